"""An illustrative year of history for the demo: weekly snapshots of every package's stars (so the package pages
draw their charts) and weekly fetch counts (so the open statistics page does), until real fetches replace them."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import insert

from webapp.catalog import trends
from webapp.catalog.models import Package, PackageSnapshot
from webapp.extensions import db
from webapp.fetch.models import FetchDay

WEEKS = 52


def _weekly_stars(stars: int, yearly_growth: float, rng: random.Random) -> list[int]:
    """A year of weekly star counts ending at ``stars``: a walk back in time, losing each week's gain (a few
    stars more or less than the trend, now and then a star taken back)."""
    trend = stars * yearly_growth / WEEKS
    counts = [stars]
    for _ in range(WEEKS):
        gain = max(-1, round(rng.gauss(trend, trend * 0.7 + 0.3)))
        counts.append(max(0, counts[-1] - gain))
    return counts[::-1]


def add_illustrative_history(packages: Iterable[Package], rng: random.Random, now: datetime) -> int:
    """A snapshot a week over the last year for each package with a repository, ending today at its current
    figures, and the chart drawn from them; returns how many snapshots were written (one statement each table)."""
    today = now.date()
    days = [today - timedelta(weeks=weeks_ago) for weeks_ago in range(WEEKS, -1, -1)]
    rows, fetched_per_day = [], {day: 0 for day in days}
    for package in packages:
        if not package.repo_url:
            continue
        active = package.last_commit_date is not None and (now - package.last_commit_date).days < 365
        growth = rng.uniform(0.08, 0.45) if active else rng.uniform(0.0, 0.06)
        releases = {version.number: version.upload_time.date() for version in package.versions
                    if version.upload_time is not None}
        points: list[tuple[date, int]] = []
        for day, stars in zip(days, _weekly_stars(package.repo_watchers, growth, rng), strict=True):
            released = [number for number, uploaded in releases.items() if uploaded <= day]
            rows.append({"package_id": package.id, "day": day, "stars": stars,
                         "forks": round(package.repo_forks * stars / max(package.repo_watchers, 1)),
                         "participants": len(package.participants or []),
                         "version": (package.pypi_version if package.pypi_version in released else "")[:100]})
            points.append((day, stars))
            fetched_per_day[day] += 1
        package.trend_chart = trends.trend_chart(points, package.versions, demo=True)
    if rows:
        db.session.execute(insert(PackageSnapshot.__table__), rows)
        db.session.execute(insert(FetchDay.__table__), [
            # Besides the daily run, people press "Fetch now" and webhooks call: more on some weeks than others.
            {"day": day, "fetched": round(count * rng.uniform(1.0, 1.3)), "failed": round(count * rng.uniform(0, 0.03))}
            for day, count in fetched_per_day.items() if count])
    return len(rows)
