"""The form a person edits their own profile with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from webapp.accounts import profile_links
from webapp.accounts.services import DISPLAY_NAME_MAX
from webapp.forms import reject_control_characters, strip_text
from webapp.profiles.services import BIO_MAX


def _link_check(parse):
    def check(_form, field) -> None:
        try:
            parse(field.data or "")
        except profile_links.LinkProblem as problem:
            raise ValidationError(str(problem)) from None

    return check


def _host_field(kind: str) -> StringField:
    host = profile_links.HOSTS[kind]
    return StringField(
        host.label, filters=[strip_text],
        validators=[Length(max=profile_links.HANDLE_MAX + 40), reject_control_characters,
                    _link_check(lambda value: profile_links.parse_host_handle(kind, value))],
        description=f"Username, or https://{host.domain}/name",
        render_kw={"placeholder": "username", "autocapitalize": "none", "spellcheck": "false",
                   "autocomplete": "off", "maxlength": profile_links.HANDLE_MAX + 40},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name", filters=[strip_text],
        validators=[Length(max=DISPLAY_NAME_MAX, message=f"At most {DISPLAY_NAME_MAX} characters."),
                    reject_control_characters],
        description="Shown instead of your username. Leave it empty to show your username.",
        render_kw={"maxlength": DISPLAY_NAME_MAX, "autocomplete": "name"},
    )
    bio = TextAreaField(
        "Bio", filters=[strip_text],
        validators=[Length(max=BIO_MAX, message=f"At most {BIO_MAX} characters."), reject_control_characters],
        description="A few lines on your profile. Markdown: **bold**, *italic*, `code`, [links](https://…), lists.",
        render_kw={"maxlength": BIO_MAX, "rows": 5},
    )
    github = _host_field("github")
    gitlab = _host_field("gitlab")
    bitbucket = _host_field("bitbucket")
    codeberg = _host_field("codeberg")
    mastodon = StringField(
        "Mastodon", filters=[strip_text],
        validators=[Length(max=500), reject_control_characters, _link_check(profile_links.parse_mastodon)],
        description="@name@server.social, or the profile's address",
        render_kw={"placeholder": "@name@server.social", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 500},
    )
    website = StringField(
        "Website", filters=[strip_text],
        validators=[Length(max=500), reject_control_characters, _link_check(profile_links.parse_website)],
        render_kw={"placeholder": "https://", "autocapitalize": "none", "spellcheck": "false", "maxlength": 500,
                   "inputmode": "url", "autocomplete": "url"},
    )
    favorites_public = BooleanField("Show my favorite packages on my profile")
