"""Forms for the staff tools (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from webapp.db_types import INTEGER_MAX
from webapp.forms import SLUG_MAX, SLUG_PATTERN, reject_control_characters, strip_text
from webapp.links import url_problem

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
BANNER_MAX = 300


class CategoryForm(FlaskForm):
    title = StringField("Name", filters=[strip_text],
                        validators=[DataRequired("Give the category a name."), Length(max=TITLE_MAX),
                                    reject_control_characters], render_kw={"maxlength": TITLE_MAX})
    slug = StringField("Address", filters=[strip_text, lambda v: v.lower() if isinstance(v, str) else v],
                       validators=[Optional(), Length(max=SLUG_MAX),
                                   Regexp(SLUG_PATTERN, message="Use lowercase letters, digits and single hyphens.")],
                       description="Left empty, it is made from the name.", render_kw={"maxlength": SLUG_MAX})
    description = TextAreaField("Description", filters=[strip_text],
                                validators=[Length(max=DESCRIPTION_MAX), reject_control_characters],
                                render_kw={"rows": 2, "maxlength": DESCRIPTION_MAX})


class MergeForm(FlaskForm):
    target = IntegerField("Merge into", validators=[DataRequired("Choose the category to merge into."),
                                                     NumberRange(min=1, max=INTEGER_MAX)])


class SlugForm(FlaskForm):
    slug = StringField("Address", filters=[strip_text],
                       validators=[DataRequired("Type the address (slug) of one."), Length(max=SLUG_MAX)],
                       render_kw={"maxlength": SLUG_MAX, "autocomplete": "off", "spellcheck": "false"})
    note = StringField("Why (optional)", filters=[strip_text],
                       validators=[Length(max=300), reject_control_characters], render_kw={"maxlength": 300})


class BannerForm(FlaskForm):
    text = StringField("Message", filters=[strip_text],
                       validators=[DataRequired("Write the message."), Length(max=BANNER_MAX),
                                   reject_control_characters], render_kw={"maxlength": BANNER_MAX})
    link = StringField("Link (optional)", filters=[strip_text], validators=[Length(max=500)],
                       render_kw={"maxlength": 500, "placeholder": "https://…"})
    ends_at = DateTimeLocalField("Shown until (UTC)", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                 validators=[DataRequired("Say until when (a date and time, UTC).")])

    def validate_link(self, field) -> None:
        if field.data and url_problem(field.data):
            raise ValidationError(url_problem(field.data))

    def ends_at_utc(self) -> datetime:
        return self.ends_at.data.replace(tzinfo=timezone.utc)


class RollbackForm(FlaskForm):
    since = DateField("Undo every edit made since (UTC date)", validators=[DataRequired("Give a date.")])
