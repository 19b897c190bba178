"""What every repository handler returns, and helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from webapp.fetch.http import ConditionalCache, FetchError, HostClient
from webapp.repos import RepoRef

WEEKS = 52


class _Unchanged:
    """Marks a field the responses did not speak about this time (a 304, a 202): keep the stored value."""

    def __repr__(self) -> str:
        return "UNCHANGED"

    def __bool__(self) -> bool:
        return False


UNCHANGED: Any = _Unchanged()


@dataclass
class RepoData:
    """What a repository host said, field by field; ``UNCHANGED`` fields keep the stored value."""

    description: Any = UNCHANGED
    stars: Any = UNCHANGED
    forks: Any = UNCHANGED
    archived: Any = UNCHANGED  # bool, or UNCHANGED where the host has no such notion (Bitbucket)
    archived_at: Any = UNCHANGED  # when the host says it was archived, if it says
    last_commit_date: Any = UNCHANGED
    commit_count: Any = UNCHANGED  # every commit on the default branch, where the host says
    participants: Any = UNCHANGED
    commits_over_52: Any = UNCHANGED
    html_url: str | None = None  # the repository's own address, to follow renames


class RepoHandler(ABC):
    """One repository host's API."""

    kind = ""
    label = ""

    def __init__(self, client: HostClient):
        self.client = client

    @abstractmethod
    def fetch(self, ref: RepoRef, cache: ConditionalCache, now: datetime) -> RepoData:
        """Read the repository; raises ``NotFound`` (missing), ``FetchError`` or ``QuotaExhausted``."""


def api_path(*parts: str) -> str:
    """``/part/part...``, each part percent-encoded whole (a ``/`` inside a part becomes ``%2F``, as GitLab's
    project paths need), so a name can never add a segment, a query or a fragment to an API path.

    Raises :class:`FetchError` for an empty part or one made of ``.``/``..`` pieces (a stored address from
    before repository URLs were checked, or a host's answer naming such a repository).
    """
    for part in parts:
        pieces = str(part).split("/")
        if any(piece in ("", ".", "..") for piece in pieces):
            raise FetchError(f"refused to build an API path from the name {part!r}")
    return "".join("/" + quote(str(part), safe="") for part in parts)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from an API as an aware UTC datetime (``None`` when absent)."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FetchError(f"unreadable date {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def window_start(now: datetime) -> datetime:
    """The start of the 52 weeks that end at ``now``."""
    return now - timedelta(weeks=WEEKS)


def weekly_counts(dates: list[datetime], now: datetime) -> list[int]:
    """Commits per week over the 52 weeks ending at ``now``, oldest week first."""
    counts = [0] * WEEKS
    start = window_start(now)
    for moment in dates:
        if start <= moment <= now:
            index = min(int((moment - start) / timedelta(weeks=1)), WEEKS - 1)
            counts[index] += 1
    return counts


def unique(names: list[str]) -> list[str]:
    """Names in first-seen order, without repeats or blanks."""
    seen: dict[str, None] = {}
    for name in names:
        if name and name not in seen:
            seen[name] = None
    return list(seen)


def as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FetchError(f"unexpected {what} {value!r}")
    return value
