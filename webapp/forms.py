"""Form helpers shared by every domain: filters, slugs, text validators and showing a service's error."""

from __future__ import annotations

import re
import unicodedata

from wtforms.validators import ValidationError

from webapp.domain_errors import FieldError
from webapp.text import unsafe_characters

SLUG_MAX = 100
SLUG_REGEX = r"[a-z0-9]+(?:-[a-z0-9]+)*"  # also the HTML `pattern` of slug inputs
SLUG_PATTERN = re.compile(f"^{SLUG_REGEX}$")


def strip_text(value):
    """WTForms filter: strip surrounding white space from text."""
    return value.strip() if isinstance(value, str) else value


def slugify(text: str) -> str:
    """A slug made from a name: lowercase ASCII letters and digits joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))[:SLUG_MAX].strip("-")


def show_field_error(form, error: FieldError, default: str | None = None) -> None:
    """Show a service's :class:`~webapp.domain_errors.FieldError` on the form field it names.

    An error that names no field of ``form`` goes on ``default`` when given, else among the form's own
    errors (``form.form_errors``, which the ``form_errors`` template macro shows above the fields).
    """
    name = error.field if error.field in form else default
    field = form[name] if name else None
    if field is None:
        form.form_errors.append(error.message)
        return
    # A field's errors are a tuple until the form is validated.
    field.errors = [*field.errors, error.message]


def reject_control_characters(_form, field) -> None:
    """WTForms validator: none of the characters the text-cleaning rule removes (control characters, bidi
    overrides, noncharacters: :func:`webapp.text.clean_text`), so people are told instead of corrected.
    Newlines and tabs are fine in multi-line text only."""
    if not isinstance(field.data, str):
        return
    one_line = field.type != "TextAreaField"
    if unsafe_characters(field.data) or (one_line and any(char in "\n\r\t" for char in field.data)):
        raise ValidationError("Remove the control characters and invisible formatting characters from this text.")
