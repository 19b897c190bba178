"""Column types and helpers shared by every domain's models."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
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
