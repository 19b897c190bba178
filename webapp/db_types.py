"""Column types and helpers shared by every domain's models."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

# The largest id the database holds: every id column is an INTEGER, 32 bits on PostgreSQL (SQLite's are 64).
# A larger value is an "integer out of range" DataError on PostgreSQL, an OverflowError on SQLite past 2**63.
INTEGER_MAX = 2**31 - 1


def id_from_text(text: str | None) -> int | None:
    """The id written in ``text`` (digits only, at most :data:`INTEGER_MAX`), else ``None``."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(INTEGER_MAX)):
        return None
    value = int(text)
    return value if value <= INTEGER_MAX else None


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Store datetimes as naive UTC (portable to SQLite) and hand them back timezone-aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class EnumText(TypeDecorator):
    """A :class:`enum.StrEnum` kept as its plain value in a VARCHAR and read back as the member.

    No CHECK constraint and no native enum type: the column stays the string column it always was, so a
    new member needs no migration. Writing a value that is not a member raises ``ValueError``; reading one
    (a row from before a member was renamed) hands back the plain string rather than failing the page.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value
