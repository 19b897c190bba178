"""The one text-cleaning rule for everything people and remote services write into the database.

:func:`clean_text` is applied to every string column of every model when it is written (an ORM event on the
declarative base, installed by :func:`clean_text_on_write`), so forms, services, the fetch service, the
importer and the demo loader all store clean text without each remembering to. Forms also refuse the same
characters (:func:`unsafe_characters`) so people are told rather than silently corrected.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import JSON, String, event
from sqlalchemy.orm import Mapper

# What is removed: C0 controls but tab and newline, DEL and C1 controls; bidi embeddings, overrides and
# isolates (they can make a name read backwards); lone surrogates; Unicode noncharacters (U+FDD0-U+FDEF and
# the last two code points of every plane), which XML forbids and which break the feeds.
_REMOVED_CLASS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff"
    "\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
)
_REMOVED = re.compile(f"[{_REMOVED_CLASS}]")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """``value`` without control characters (but tab and newline), bidi overrides and isolates, lone
    surrogates or noncharacters; ``\\r\\n`` and ``\\r`` become ``\\n``; NFC-normalised."""
    if not value:
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _REMOVED.sub("", value))


def unsafe_characters(value: str | None) -> list[str]:
    """The characters of ``value`` that :func:`clean_text` would remove, as ``U+XXXX`` names."""
    if not value:
        return []
    found = dict.fromkeys(_REMOVED.findall(value))
    return [f"U+{ord(char):04X}" for char in found]


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (for feeds and sitemaps built from stored text)."""
    return _NOT_XML.sub("", value)


def describe_size(size: int) -> str:
    """``10 MB``, ``512 KB``: a byte count as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def clean_value(value):
    """:func:`clean_text` applied to a string, or to every string inside lists and dicts; other values as they are."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {clean_value(key): clean_value(item) for key, item in value.items()}
    return value


_ATTRIBUTES: dict[Mapper, list[str]] = {}


def _text_attributes(mapper: Mapper) -> list[str]:
    """The mapper's string and JSON column attributes."""
    if mapper not in _ATTRIBUTES:
        _ATTRIBUTES[mapper] = [prop.key for prop in mapper.column_attrs
                               if isinstance(prop.columns[0].type, (String, JSON))]
    return _ATTRIBUTES[mapper]


def _clean_instance(mapper: Mapper, connection, target) -> None:
    # Only values this session holds (set or loaded): cleaning must not load deferred or expired columns.
    state = target.__dict__
    for key in _text_attributes(mapper):
        if key in state:
            cleaned = clean_value(state[key])
            if cleaned != state[key]:
                setattr(target, key, cleaned)


def clean_text_on_write(base) -> None:
    """Clean every string (and strings inside JSON) column of every model of ``base`` on insert and update."""
    event.listen(base, "before_insert", _clean_instance, propagate=True)
    event.listen(base, "before_update", _clean_instance, propagate=True)
