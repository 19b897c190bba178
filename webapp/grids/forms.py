"""Forms for editing grids, their features and cells (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from webapp.db_types import INTEGER_MAX
from webapp.forms import SLUG_MAX, SLUG_PATTERN, SLUG_REGEX, reject_control_characters, strip_text

TITLE_MAX = 100
GRID_DESCRIPTION_MAX = 5000
FEATURE_DESCRIPTION_MAX = 1000
CELL_MAX = 1000
# Paths under /grids/ that a slug must not shadow.
RESERVED_SLUGS = {"add", "g", "new", "edit", "delete"}
MARKDOWN_HELP = "Markdown: **bold**, _italic_, `code`, [links](https://example.org) and lists. No HTML."


def _normalise_newlines(value):
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


class RevisionField(HiddenField):
    """The revision the form was loaded at; anything that is not a whole number counts as none."""

    def process_formdata(self, valuelist) -> None:
        raw = valuelist[0] if valuelist else ""
        self.data = int(raw) if raw.isdigit() and len(raw) < 10 else None


class GridForm(FlaskForm):
    title = StringField(
        "Title", filters=[strip_text],
        validators=[DataRequired("Give the grid a title."), Length(max=TITLE_MAX), reject_control_characters],
        description="What the packages in this grid have in common, e.g. “REST frameworks”.",
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
    )
    slug = StringField(
        "Address", filters=[strip_text, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[Optional(), Length(max=SLUG_MAX),
                    Regexp(SLUG_PATTERN, message="Use lowercase letters, digits and single hyphens.")],
        description="The last part of the grid's address: lowercase letters, digits and hyphens. "
                    "Left empty, it is made from the title. If it changes later, the old address redirects here.",
        render_kw={"maxlength": SLUG_MAX, "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                   "pattern": SLUG_REGEX},
    )
    description = TextAreaField(
        "Description", filters=[_normalise_newlines],
        validators=[Length(max=GRID_DESCRIPTION_MAX), reject_control_characters],
        description=MARKDOWN_HELP, render_kw={"rows": 6, "maxlength": GRID_DESCRIPTION_MAX},
    )
    revision = RevisionField()

    def validate_slug(self, field) -> None:
        if field.data in RESERVED_SLUGS:
            raise ValidationError("That address is reserved. Choose another.")


class GridEditForm(GridForm):
    """Editing may change the address: the old one keeps working, redirecting to the new one."""

    slug = StringField(
        "Address", filters=[strip_text, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[Optional(), Length(max=SLUG_MAX),
                    Regexp(SLUG_PATTERN, message="Use lowercase letters, digits and single hyphens.")],
        description="The last part of the grid's address (left empty, it stays as it is). Links to the old "
                    "address keep working: they redirect to the new one.",
        render_kw={"maxlength": SLUG_MAX, "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                   "pattern": SLUG_REGEX},
    )


class FeatureForm(FlaskForm):
    title = StringField(
        "Feature", filters=[strip_text],
        validators=[DataRequired("Name the feature."), Length(max=TITLE_MAX), reject_control_characters],
        description="A question every package in the grid answers, e.g. “Supports async views”.",
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
    )
    description = TextAreaField(
        "Description", filters=[_normalise_newlines],
        validators=[Length(max=FEATURE_DESCRIPTION_MAX), reject_control_characters],
        description="Optional: what counts as a yes. " + MARKDOWN_HELP,
        render_kw={"rows": 3, "maxlength": FEATURE_DESCRIPTION_MAX},
    )
    revision = RevisionField()


class CellForm(FlaskForm):
    text = TextAreaField(
        "Cell", filters=[_normalise_newlines],
        validators=[Length(max=CELL_MAX, message=f"Keep a cell under {CELL_MAX} characters."),
                    reject_control_characters],
        description="A keyword (yes, no, +1, ++, -, check, bad, ?… see the list) shows as an icon; "
                    "after it, an optional note (markdown).",
        render_kw={"rows": 3, "maxlength": CELL_MAX},
    )
    revision = RevisionField()


class AddPackageForm(FlaskForm):
    package_id = IntegerField("Package", validators=[
        DataRequired("Choose a package."), NumberRange(1, INTEGER_MAX, "That package does not exist.")])
    q = HiddenField()


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for confirmation pages and one-button actions."""

