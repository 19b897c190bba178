"""The compare page's one form: saving the comparison as a grid (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from webapp.forms import reject_control_characters, strip_text
from webapp.grids.forms import TITLE_MAX


class SaveAsGridForm(FlaskForm):
    title = StringField(
        "Grid title", filters=[strip_text],
        validators=[DataRequired("Give the grid a title."), Length(max=TITLE_MAX), reject_control_characters],
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
    )
    p = HiddenField()
