"""The package score: stars count, but so do recent activity, real usage and Python 3 support.

A maintained package with a few stars should rank above an abandoned one with many, so stars are
log-scaled and activity in the last quarter weighs as much as a large star count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreBreakdown:
    stars: float
    activity: float
    usage: float
    python3: float
    multiplier: float

    @property
    def total(self) -> float:
        return round((self.stars + self.activity + self.usage + self.python3) * self.multiplier, 1)


STAR_WEIGHT = 10.0  # points per tenfold stars: 10 stars = 10, 1,000 = 30, 100,000 = 50
ACTIVITY_MAX = 30.0  # reached with at least one commit in each of the last 13 weeks
USAGE_WEIGHT = 5.0  # points per doubling of "I use this"
PYTHON3_POINTS = 5.0
INACTIVE_MULTIPLIER = 0.5  # archived or deprecated


def score_breakdown(*, stars: int, commits_over_52: list[int] | None, usage: int, supports_python3: bool | None,
                    archived: bool, deprecated: bool) -> ScoreBreakdown:
    """Each part of the score, for showing the formula next to the value."""
    recent_weeks = (commits_over_52 or [])[-13:]
    active_weeks = sum(1 for count in recent_weeks if count)
    return ScoreBreakdown(
        stars=round(STAR_WEIGHT * math.log10(1 + max(stars, 0)), 1),
        activity=round(ACTIVITY_MAX * active_weeks / 13, 1),
        usage=round(USAGE_WEIGHT * math.log2(1 + max(usage, 0)), 1),
        python3=PYTHON3_POINTS if supports_python3 else 0.0,
        multiplier=INACTIVE_MULTIPLIER if (archived or deprecated) else 1.0,
    )


def package_score_breakdown(package) -> ScoreBreakdown:
    """The breakdown for a stored package; Python 3 support is its current release's."""
    release = package.current_release
    return score_breakdown(
        stars=package.repo_watchers or 0,
        commits_over_52=package.commits_over_52,
        usage=package.usage_count or 0,
        supports_python3=release.supports_python3 if release is not None else None,
        archived=package.date_repo_archived is not None,
        deprecated=package.date_deprecated is not None,
    )


FORMULA = (
    "10 × log₁₀(1 + stars) + 30 × (weeks with commits in the last 13 ÷ 13) + 5 × log₂(1 + users) "
    "+ 5 if it supports Python 3; halved when archived or deprecated."
)
