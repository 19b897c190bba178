"""The package score: stars count, but so do recent activity, releases, real usage, supported versions and
known vulnerabilities.

A maintained package with a few stars should rank above an abandoned one with many, so stars are
log-scaled and activity in the last quarter weighs as much as a large star count. The score is stored,
computed when what it counts is written (:func:`webapp.catalog.releases.refresh_current_release_and_score`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import object_session

from webapp.catalog.models import ReleaseCycle
from webapp.catalog.support import declares_cycle, version_key


@dataclass(frozen=True)
class ScoreBreakdown:
    stars: float
    activity: float
    usage: float
    python3: float
    multiplier: float
    release_recency: float = 0.0
    release_cadence: float = 0.0
    django: float = 0.0
    no_vulnerabilities: float = 0.0
    # The inputs, as the page shows them next to their points.
    release_age_days: int | None = None
    releases_last_year: int = 0
    supported_django: tuple[str, ...] | None = None  # None: the release cycles are not known yet
    vulnerabilities: int = 0

    @property
    def total(self) -> float:
        return round((self.stars + self.activity + self.usage + self.python3 + self.release_recency
                      + self.release_cadence + self.django + self.no_vulnerabilities) * self.multiplier, 1)


STAR_WEIGHT = 10.0  # points per tenfold stars: 10 stars = 10, 1,000 = 30, 100,000 = 50
ACTIVITY_MAX = 30.0  # reached with at least one commit in each of the last 13 weeks
USAGE_WEIGHT = 5.0  # points per doubling of "I use this"
PYTHON3_POINTS = 5.0
RELEASE_RECENCY_MAX = 10.0  # a release today; nothing for one two years old or more
RELEASE_RECENCY_DAYS = 730
RELEASE_CADENCE_MAX = 5.0  # reached with four releases in the last year
RELEASE_CADENCE_TARGET = 4
DJANGO_POINTS = 5.0  # the current release declares a Django version that is still supported
NO_VULNERABILITY_POINTS = 5.0  # the release PyPI describes has no known vulnerability
INACTIVE_MULTIPLIER = 0.5  # archived or deprecated


def score_breakdown(*, stars: int, commits_over_52: list[int] | None, usage: int, supports_python3: bool | None,
                    archived: bool, deprecated: bool, release_upload: datetime | None = None,
                    release_uploads: Iterable[datetime | None] = (), declared_django: Iterable[str] = (),
                    supported_django: Iterable[str] | None = None, has_release: bool = False,
                    vulnerabilities: int = 0, now: datetime | None = None) -> ScoreBreakdown:
    """Each part of the score, for showing the formula next to the value.

    ``release_upload`` is the current release's upload time, ``release_uploads`` those of every listed release,
    ``declared_django`` the Django versions the current release declares and ``supported_django`` the Django
    release cycles not past their end of life (``None`` when unknown: the input then counts nothing).
    """
    now = now or datetime.now(timezone.utc)
    recent_weeks = (commits_over_52 or [])[-13:]
    active_weeks = sum(1 for count in recent_weeks if count)
    age_days = max((now - release_upload).days, 0) if release_upload is not None else None
    year_ago = now - timedelta(days=365)
    releases_last_year = sum(1 for moment in release_uploads if moment is not None and moment >= year_ago)
    supported = tuple(supported_django) if supported_django is not None else None
    declared = list(declared_django)
    supports_django = bool(supported) and any(declares_cycle(declared, cycle) for cycle in supported)
    return ScoreBreakdown(
        stars=round(STAR_WEIGHT * math.log10(1 + max(stars, 0)), 1),
        activity=round(ACTIVITY_MAX * active_weeks / 13, 1),
        usage=round(USAGE_WEIGHT * math.log2(1 + max(usage, 0)), 1),
        python3=PYTHON3_POINTS if supports_python3 else 0.0,
        multiplier=INACTIVE_MULTIPLIER if (archived or deprecated) else 1.0,
        release_recency=(round(RELEASE_RECENCY_MAX * max(0.0, 1 - age_days / RELEASE_RECENCY_DAYS), 1)
                         if age_days is not None else 0.0),
        release_cadence=round(RELEASE_CADENCE_MAX * min(releases_last_year, RELEASE_CADENCE_TARGET)
                              / RELEASE_CADENCE_TARGET, 1),
        django=DJANGO_POINTS if supports_django else 0.0,
        no_vulnerabilities=NO_VULNERABILITY_POINTS if has_release and not vulnerabilities else 0.0,
        release_age_days=age_days, releases_last_year=releases_last_year, supported_django=supported,
        vulnerabilities=vulnerabilities,
    )


def supported_django_cycles(session, today: date | None = None) -> tuple[str, ...] | None:
    """The Django release cycles not past their end of life (webapp/readiness keeps them from endoflife.date),
    newest first; ``None`` while none is known. One query, remembered by the session for the day."""
    today = today or datetime.now(timezone.utc).date()
    key = ("supported_django", today)
    if session is None:
        return None
    if key not in session.info:
        cycles = [cycle for cycle in session.scalars(select(ReleaseCycle).where(ReleaseCycle.product == "django"))
                  if not cycle.is_eol(today) and (cycle.release_date is None or cycle.release_date <= today)]
        session.info[key] = tuple(sorted((cycle.cycle for cycle in cycles), key=version_key, reverse=True)) or None
    return session.info[key]


def package_score_breakdown(package, releases=None, supported_django: Iterable[str] | None = None,
                            look_up_cycles: bool = True) -> ScoreBreakdown:
    """The breakdown for a stored package: Python 3 and Django support are its current release's; ``releases``
    are its listed releases (default: ``package.versions``); ``supported_django`` the supported Django cycles
    (default: read through the package's session when ``look_up_cycles``)."""
    releases = package.versions if releases is None else releases
    # After the releases: the current one is then found among them without a query of its own.
    release = package.current_release
    if supported_django is None and look_up_cycles:
        supported_django = supported_django_cycles(object_session(package))
    return score_breakdown(
        stars=package.repo_watchers or 0,
        commits_over_52=package.commits_over_52,
        usage=package.usage_count or 0,
        supports_python3=release.supports_python3 if release is not None else None,
        archived=package.date_repo_archived is not None,
        deprecated=package.is_deprecated,
        release_upload=release.upload_time if release is not None else None,
        release_uploads=[r.upload_time for r in releases if not r.hidden and not r.yanked],
        declared_django=(getattr(release, "django_versions", None) or []) if release is not None else [],
        supported_django=supported_django,
        has_release=release is not None,
        vulnerabilities=package.vulnerability_count or 0,
    )


FORMULA = (
    "10 × log₁₀(1 + stars) + 30 × (weeks with commits in the last 13 ÷ 13) + 5 × log₂(1 + users) "
    "+ 5 if it supports Python 3 + 10 × (1 − days since the current release ÷ 730, at least 0) "
    "+ 5 × (releases in the last year, at most 4) ÷ 4 + 5 if the current release declares a supported Django "
    "version + 5 if it has no known vulnerability; halved when archived or deprecated."
)
