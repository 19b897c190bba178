"""The "what blocks my upgrade" form: a requirements file and the cycle to check it against."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.forms import reject_control_characters
from webapp.readiness.requirements import MAX_LINES

REQUIREMENTS_MAX = 100_000  # characters: a long requirements file with hashes fits
MAX_NAMES = 300


class CheckForm(FlaskForm):
    """``target`` is ``product:cycle`` (``django:5.2``); its choices are the stored cycles."""

    target = SelectField("Upgrade to", validators=[DataRequired()], validate_choice=True)
    requirements = TextAreaField(
        "Your requirements", validators=[DataRequired("Paste at least one requirement."),
                                         Length(max=REQUIREMENTS_MAX), reject_control_characters],
        description=f"A requirements file, or one project name a line (at most {MAX_NAMES} projects, "
                    f"{MAX_LINES} lines). Comments, options and blank lines are skipped.",
        render_kw={"rows": 12, "spellcheck": "false"})

    def validate_requirements(self, field) -> None:
        if isinstance(field.data, str) and field.data.count("\n") >= MAX_LINES:
            raise ValidationError(f"Paste at most {MAX_LINES} lines.")


def target_value(product: str, cycle: str) -> str:
    return f"{product}:{cycle}"


def split_target(value: str) -> tuple[str, str]:
    product, _sep, cycle = (value or "").partition(":")
    return product, cycle
