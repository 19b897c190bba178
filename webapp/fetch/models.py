"""What the fetch service remembers between runs to spend less API quota."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db_types import UTCDateTime, utcnow
from webapp.extensions import db


class HttpCacheEntry(db.Model):
    """The validators (ETag, Last-Modified) of a remote resource as one package last stored it.

    Entries belong to a package and are written in the same transaction as the data they describe,
    so a 304 for an entry always means "what the package holds is still current". Two packages
    sharing a repository keep their own entries. ``body`` holds a compact extract (for instance the
    logins of a contributors page) when a later 304 needs it to rebuild a result from several pages.
    """

    __tablename__ = "http_cache_entries"
    __table_args__ = (UniqueConstraint("package_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str | None] = mapped_column(Text)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FetchDay(db.Model):
    """How many package fetches were written on one day, and how many of them failed: one row a day, added to by
    every write of the fetch service (the open statistics page reads the fetches per week and the success rate)."""

    __tablename__ = "fetch_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class FetchQuota(db.Model):
    """The API quota a host last reported (``X-RateLimit-*`` headers), as the latest fetch saw it."""

    __tablename__ = "fetch_quotas"

    host: Mapped[str] = mapped_column(String(50), primary_key=True)
    limit: Mapped[int | None] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
