"""Trends: a dated snapshot of each package's stars, forks, participants and current release per day it is
fetched, and the chart of its last year drawn from them.

The fetch service (and the demo loader) call :func:`record_snapshots` then :func:`refresh_trend_charts` in the
transaction that writes the packages: one upsert on (package, day), so the table grows by at most one row per
package and day, and one read of the year's snapshots for all the packages written; the chart is stored in
``Package.trend_chart`` so the package page prints it without a query. Grids read the stars gained over the last
90 days for all their packages in one query (:func:`stars_since`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import cache
from typing import Iterable, Mapping

from sqlalchemy import Select, and_, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from webapp import charts
from webapp.catalog.models import Package, PackageSnapshot, Version
from webapp.catalog.releases import current_release
from webapp.extensions import db

CHART_DAYS = 365  # how far back the package page's chart goes
GAINED_DAYS = 90  # the window of the grids' "stars gained" row
DEMO_NOTE = "Illustrative history until a fetch runs."


def snapshot_row(package: Package, day: date, releases: Iterable[Version]) -> dict:
    """The snapshot of ``package`` as it stands, for ``day``; ``releases`` are all of its stored releases."""
    release = current_release(package.pypi_version, releases)
    return {"package_id": package.id, "day": day, "stars": package.repo_watchers or 0,
            "forks": package.repo_forks or 0, "participants": len(package.participants or []),
            "version": (release.number if release else package.pypi_version or "")[:100]}


def upsert_snapshots(session: Session, rows: list[dict]) -> None:
    """Insert snapshot rows, replacing the one of the same package and day: one statement."""
    if not rows:
        return
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(PackageSnapshot)
    statement = statement.on_conflict_do_update(
        index_elements=["package_id", "day"],
        set_={name: statement.excluded[name] for name in ("stars", "forks", "participants", "version")},
    )
    session.execute(statement, rows)


def forget_snapshots(session: Session, package_ids: list[int]) -> None:
    """Drop the snapshots of these packages (an illustrative demo history, once a real fetch replaces it)."""
    if package_ids:
        session.execute(delete(PackageSnapshot).where(PackageSnapshot.package_id.in_(package_ids)))


def record_snapshots(session: Session, packages: Iterable[tuple[Package, date]],
                     releases: Mapping[int, Iterable[Version]]) -> None:
    """Keep the snapshot of each fetched package for its day (the day's last fetch wins): one statement."""
    upsert_snapshots(session, [snapshot_row(package, day, releases.get(package.id, ())) for package, day in packages])


def refresh_trend_charts(session: Session, packages: Iterable[Package], releases: Mapping[int, Iterable[Version]],
                         today: date) -> None:
    """Draw each package's chart from its snapshots of the last year and the releases given: one query."""
    packages = list(packages)
    if not packages:
        return
    series: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for package_id, day, stars in session.execute(
        select(PackageSnapshot.package_id, PackageSnapshot.day, PackageSnapshot.stars)
        .where(PackageSnapshot.package_id.in_([package.id for package in packages]),
               PackageSnapshot.day > today - timedelta(days=CHART_DAYS))
        .order_by(PackageSnapshot.package_id, PackageSnapshot.day)
    ):
        series[package_id].append((day, stars))
    for package in packages:
        package.trend_chart = trend_chart(series.get(package.id, []), releases.get(package.id, ()),
                                          demo=package.stats_are_demo)


def release_markers(releases: Iterable[Version]) -> list[charts.Marker]:
    """The releases (not hidden) with an upload time, oldest first, as chart markers."""
    return sorted((charts.Marker(release.upload_time.date(), release.number) for release in releases
                   if release.upload_time is not None and not release.hidden), key=lambda marker: marker.day)


def trend_chart(points: list[tuple[date, int]], releases: Iterable[Version], *, demo: bool = False) -> str:
    """The stored chart of stars and releases over ``points``' days ("" without a snapshot)."""
    return charts.line_chart(points, release_markers(releases), name="Stars", marker_name="Releases",
                             note=DEMO_NOTE if demo else "")


@cache
def _stars_since_statement() -> Select:
    # Built once per process (grid pages run it on every view).
    first = (select(PackageSnapshot.package_id, func.min(PackageSnapshot.day).label("day"))
             .where(PackageSnapshot.package_id.in_(bindparam("ids", expanding=True)),
                    PackageSnapshot.day >= bindparam("since"))
             .group_by(PackageSnapshot.package_id).subquery())
    return (select(PackageSnapshot.package_id, PackageSnapshot.day, PackageSnapshot.stars)
            .join(first, and_(PackageSnapshot.package_id == first.c.package_id, PackageSnapshot.day == first.c.day)))


def stars_since(package_ids: list[int], today: date, days: int = GAINED_DAYS) -> dict[int, tuple[date, int]]:
    """For each package, its oldest snapshot within the last ``days`` (day and stars): one query."""
    if not package_ids:
        return {}
    rows = db.session.execute(_stars_since_statement(), {"ids": list(package_ids),
                                                          "since": today - timedelta(days=days)})
    return {package_id: (day, stars) for package_id, day, stars in rows}
