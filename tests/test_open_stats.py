"""Open statistics (issue 13, item 6): packages, grids, people, edits and fetches per week with their trend, the
most active grids and editors, and the fetch service's health, in a fixed number of aggregate queries."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from tests.factories import make_grid, make_package, make_user
from webapp.extensions import db
from webapp.fetch.models import FetchDay, FetchQuota
from webapp.history.models import Change
from webapp.insights.queries import WEEKS, open_stats, weeks_start

NOW = datetime.now(timezone.utc)


def change(user=None, grid=None, days_ago: int = 0):
    db.session.add(Change(object_type="grid" if grid else "package", object_id=grid.id if grid else 1,
                          grid_id=grid.id if grid else None, user_id=user.id if user else None,
                          field="title", summary="edited", created=NOW - timedelta(days=days_ago)))


def test_weekly_series_are_grouped_in_sql(app):
    today = NOW.date()
    make_package("new-one", created=NOW - timedelta(days=1))
    make_package("last-month", created=NOW - timedelta(days=30))
    make_package("ancient", created=NOW - timedelta(days=3 * 365))  # before the chart's year: in the total only
    db.session.add(FetchDay(day=today, fetched=10, failed=1))
    db.session.add(FetchDay(day=today - timedelta(days=8), fetched=5, failed=0))
    db.session.commit()

    stats = open_stats(today)
    series = {item.key: item for item in stats.series}
    packages = series["packages"]
    assert len(packages.counts) == WEEKS and sum(packages.counts) == 2 and packages.total == 3
    start = weeks_start(today)
    assert packages.counts[((NOW - timedelta(days=1)) - start).days // 7] == 1
    assert sum(series["fetches"].counts) == 15 and series["fetches"].counts[-1] in (10, 15)
    assert stats.fetched_recently == 15 and stats.failed_recently == 1
    assert round(stats.success_rate, 1) == 93.3
    assert 'data-points="52"' in packages.chart


def test_the_page_shows_trends_activity_and_fetch_health(client):
    ada, bob = make_user("ada"), make_user("bob")
    busy, calm = make_grid("Busy grid"), make_grid("Calm grid")
    for _ in range(3):
        change(ada, busy, days_ago=2)
    change(bob, calm, days_ago=40)
    change(bob, calm, days_ago=200)  # older than 90 days: counts in the edits, not in the most active
    make_package("fetched", last_fetched=NOW - timedelta(days=9))
    make_package("broken", last_fetched=NOW - timedelta(days=1), fetch_error="GitHub: 500")
    make_package("never")
    db.session.add(FetchDay(day=NOW.date(), fetched=40, failed=2))
    db.session.add(FetchQuota(host="GitHub", limit=5000, remaining=4321, recorded_at=NOW,
                              reset_at=NOW + timedelta(minutes=20)))
    db.session.commit()

    body = client.get("/open/").get_data(as_text=True)
    assert "<h1>Open statistics</h1>" in body
    grids = re.search(r'id="active-grids-h".*?</section>', body, re.S).group(0)
    assert grids.index("Busy grid") < grids.index("Calm grid")
    assert re.search(r"Busy grid</a></td><td>3<", grids)
    editors = re.search(r'id="active-editors-h".*?</section>', body, re.S).group(0)
    assert editors.index("/profiles/ada/") < editors.index("/profiles/bob/")
    assert "<strong>95.0%</strong> of 40 fetches" in body
    assert "<strong>GitHub</strong>: 4,321 of 5,000" in body
    assert "Packages with a fetch problem</dt><dd>1<" in body
    assert "fetched 1 week ago" in body and "1 package never fetched" in body
    assert body.count('<figure class="chart">') >= 5  # packages, grids, people, edits, fetches (+ failures)
    assert "<strong>5</strong><span>edits</span>" in body


def test_a_growing_series_shows_its_trend(app):
    today = NOW.date()
    for days in (1, 2, 3, 40):
        make_package(f"p{days}", created=NOW - timedelta(days=days))
    stats = open_stats(today)
    packages = next(item for item in stats.series if item.key == "packages")
    assert (packages.recent, packages.before) == (3, 1) and packages.change == 200


def test_the_page_is_cached_for_anonymous_readers_and_follows_writes(client, count_queries):
    client.get("/open/")
    with count_queries() as counter:
        assert client.get("/open/").status_code == 200
    assert counter.count <= 2  # the scope versions (and nothing rendered again)
    make_package("brand-new")
    assert ">1</strong><span>packages</span>" in client.get("/open/").get_data(as_text=True)


def test_the_page_runs_a_fixed_number_of_queries(client, count_queries, page_cache_off):
    def measure() -> int:
        client.get("/open/")
        with count_queries() as counter:
            assert client.get("/open/").status_code == 200
        return counter.count

    empty = measure()
    users = [make_user(f"u{index}") for index in range(6)]
    grids = [make_grid(f"G{index}", packages=[make_package(f"pk{index}")]) for index in range(6)]
    for index in range(40):
        change(users[index % 6], grids[index % 6], days_ago=index * 7)
    for days in range(0, 300, 3):
        db.session.add(FetchDay(day=date.today() - timedelta(days=days), fetched=days, failed=days % 4))
    db.session.add(FetchQuota(host="GitHub", limit=5000, remaining=10, recorded_at=NOW))
    db.session.commit()
    # Counters, weekly series, grids, editors, health, quotas; plus what every page reads (the site banner).
    assert measure() == empty <= 7
