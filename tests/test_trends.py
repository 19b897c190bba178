"""Trends (issue 12, item 6): a dated snapshot per package and day, the package page's chart of stars and
releases, and the grids' "stars gained in the last 90 days" row."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from tests.factories import make_category, make_grid, make_package
from tests.fakes.remote_hosts import SyntheticRepo
from tests.fetch_support import package
from webapp.catalog.models import Package, PackageSnapshot
from webapp.catalog.trends import upsert_snapshots
from webapp.extensions import db
from webapp.fetch.fetcher import Fetcher
from webapp.fetch.models import FetchDay, FetchQuota
from webapp.fetch.services import fetch_package

DAY_ONE = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def fetch_on(app, package_id: int, moment: datetime):
    """Fetch a package as if it were ``moment`` (the snapshot's day is the fetch's day)."""
    fetcher = Fetcher(app.config, now=lambda: moment)
    try:
        return fetch_package(package_id, fetcher=fetcher)
    finally:
        fetcher.close()


def snapshots(package_id: int) -> list[tuple[date, int]]:
    return [(row.day, row.stars) for row in db.session.scalars(
        select(PackageSnapshot).where(PackageSnapshot.package_id == package_id).order_by(PackageSnapshot.day))]


def chart_of(client, slug: str) -> str:
    body = client.get(f"/packages/p/{slug}/").get_data(as_text=True)
    match = re.search(r'<section class="card trend".*?</section>', body, re.S)
    assert match, "the package page has no trend section"
    return match.group(0)


def test_two_fetches_a_day_apart_draw_two_points(app, client, remote):
    repo = remote.add_repo(SyntheticRepo("github", "example", "trendy", id=5150, stars=10))
    item = package("https://github.com/example/trendy")

    assert fetch_on(app, item.id, DAY_ONE).status == "updated"
    repo.stars = 25
    assert fetch_on(app, item.id, DAY_ONE + timedelta(days=1)).status == "updated"

    assert snapshots(item.id) == [(DAY_ONE.date(), 10), (DAY_ONE.date() + timedelta(days=1), 25)]
    section = chart_of(client, "trendy")
    assert 'data-points="2"' in section
    dots = re.search(r'<path class="chart-dots" d="([^"]*)"', section).group(1)
    assert dots.count("M") == 2
    line = re.search(r'<path class="chart-line" d="([^"]*)"', section).group(1)
    (x1, y1), (x2, y2) = [tuple(map(float, point.split())) for point in line[1:].split("L")]
    assert (x1, x2) == (0.0, 1000.0)  # the first day at the left edge, the second at the right
    assert y2 < y1  # more stars, higher up
    assert "Mar 2, 2026" in section and "Mar 3, 2026" in section  # the time axis is labelled
    assert "+15 over 2 snapshots" in section


def test_fetches_on_the_same_day_keep_one_snapshot_with_the_last_figures(app, remote):
    repo = remote.add_repo(SyntheticRepo("github", "example", "sameday", id=5151, stars=3))
    item = package("https://github.com/example/sameday")
    fetch_on(app, item.id, DAY_ONE)
    repo.stars = 4
    fetch_on(app, item.id, DAY_ONE + timedelta(hours=5))

    assert snapshots(item.id) == [(DAY_ONE.date(), 4)]
    day = db.session.get(FetchDay, DAY_ONE.date())
    assert (day.fetched, day.failed) == (2, 0)
    github = db.session.get(FetchQuota, "GitHub")
    assert github is not None and github.limit == 5000 and 0 < github.remaining < 5000


def test_a_failed_fetch_keeps_no_snapshot_and_counts_as_failed(app, remote):
    remote.add_repo(SyntheticRepo("github", "example", "broken", id=5152, stars=3))
    item = package("https://github.com/example/broken")
    remote.inject("github", "broken", 500, times=None)

    assert fetch_on(app, item.id, DAY_ONE).status == "failed"
    assert snapshots(item.id) == []
    assert db.session.get(FetchDay, DAY_ONE.date()).failed == 1


def test_the_first_real_fetch_replaces_an_illustrative_history(app, client, remote):
    remote.add_repo(SyntheticRepo("github", "example", "demoed", id=5153, stars=500))
    item = package("https://github.com/example/demoed", stats_are_demo=True, repo_watchers=12)
    upsert_snapshots(db.session, [{"package_id": item.id, "day": DAY_ONE.date() - timedelta(days=7 * weeks),
                                   "stars": 12 - weeks, "forks": 0, "participants": 0, "version": ""}
                                  for weeks in range(1, 5)])
    db.session.commit()

    fetch_on(app, item.id, DAY_ONE)

    assert snapshots(item.id) == [(DAY_ONE.date(), 500)]
    assert "Illustrative" not in chart_of(client, "demoed")


def test_the_package_page_says_when_there_is_no_history_yet(client):
    make_package("fresh")
    assert "No history yet" in chart_of(client, "fresh")


def test_the_chart_marks_releases_and_escapes_their_numbers(app, client):
    item = make_package("marked", versions=0)
    from webapp.catalog.models import Version
    from webapp.catalog.trends import refresh_trend_charts

    release = Version(package=item, number="<b>1.0</b>", upload_time=datetime(2026, 2, 10, tzinfo=timezone.utc))
    db.session.add(release)
    upsert_snapshots(db.session, [{"package_id": item.id, "day": date(2026, 1, 1) + timedelta(days=n),
                                   "stars": 100 + n, "forks": 0, "participants": 0, "version": ""}
                                  for n in range(90)])
    db.session.flush()
    refresh_trend_charts(db.session, [item], {item.id: [release]}, date(2026, 3, 31))
    db.session.commit()

    section = chart_of(client, "marked")
    assert section.count('class="chart-marker"') == 1
    assert "&lt;b&gt;1.0&lt;/b&gt;" in section and "<b>1.0</b>" not in section
    assert 'data-points="90"' in section and 'class="chart-dots"' not in section  # a dense series is a line


def test_the_grid_shows_stars_gained_in_the_last_90_days(client):
    category = make_category()
    rising = make_package("rising", category=category, repo_watchers=150)
    flat = make_package("flat", category=category, repo_watchers=40)
    unknown = make_package("unknown", category=category, repo_watchers=7)
    make_grid("Gains", packages=[rising, flat, unknown])
    today = datetime.now(timezone.utc).date()
    upsert_snapshots(db.session, [
        {"package_id": rising.id, "day": today - timedelta(days=120), "stars": 10, "forks": 0, "participants": 0,
         "version": ""},  # older than the window: not the baseline
        {"package_id": rising.id, "day": today - timedelta(days=80), "stars": 100, "forks": 0, "participants": 0,
         "version": ""},
        {"package_id": rising.id, "day": today - timedelta(days=10), "stars": 140, "forks": 0, "participants": 0,
         "version": ""},
        {"package_id": flat.id, "day": today - timedelta(days=30), "stars": 40, "forks": 0, "participants": 0,
         "version": ""},
    ])
    db.session.commit()

    body = client.get("/grids/g/gains/").get_data(as_text=True)
    row = re.search(r">Stars gained \(90 days\)(?: ↓)?</a></th>(.*?)</tr>", body, re.S).group(1)
    cells = dict(zip(re.findall(r'class="pkg" href="/packages/p/([^/]+)/"', body),
                     re.findall(r"<td[^>]*>(.*?)</td>", row, re.S), strict=True))
    assert ">+50<" in cells["rising"]  # 150 now, 100 at the oldest snapshot of the window
    assert ">+0<" in cells["flat"]
    assert "—" in cells["unknown"]  # no snapshot in the window
    sorted_body = client.get("/grids/g/gains/?sort=stars-gained").get_data(as_text=True)
    heads = re.findall(r'class="pkg" href="/packages/p/([^/]+)/"', sorted_body)
    assert heads == ["rising", "flat", "unknown"]


def test_snapshots_stay_one_per_package_and_day(app):
    item = make_package("counted")
    rows = [{"package_id": item.id, "day": date(2026, 1, 1), "stars": stars, "forks": 0, "participants": 0,
             "version": ""} for stars in (1, 2)]
    upsert_snapshots(db.session, rows[:1])
    upsert_snapshots(db.session, rows[1:])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PackageSnapshot)) == 1
    assert db.session.get(Package, item.id) is not None
    assert snapshots(item.id) == [(date(2026, 1, 1), 2)]
