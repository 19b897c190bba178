"""Form helpers shared by every domain: filters, slugs and text validators."""

from __future__ import annotations

import re
import unicodedata

from wtforms.validators import ValidationError

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


def reject_control_characters(_form, field) -> None:
    """WTForms validator: none of the characters the text-cleaning rule removes (control characters, bidi
    overrides, noncharacters: :func:`webapp.text.clean_text`), so people are told instead of corrected.
    Newlines and tabs are fine in multi-line text only."""
    if not isinstance(field.data, str):
        return
    one_line = field.type != "TextAreaField"
    if unsafe_characters(field.data) or (one_line and any(char in "\n\r\t" for char in field.data)):
        raise ValidationError("Remove the control characters and invisible formatting characters from this text.")
