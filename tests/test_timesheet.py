"""The grid timesheet (issue 12, item 9): each package's life (first to last release, last commit) on one time
axis, as server-side SVG, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tests.factories import make_category, make_grid, make_package
from webapp.catalog.models import Version
from webapp.extensions import db

NOW = datetime.now(timezone.utc)


def aged(title: str, *, first_days: int, last_days: int, commit_days: int | None, category=None):
    """A package whose releases span ``first_days`` to ``last_days`` ago."""
    package = make_package(title, category=category, versions=0,
                           last_commit_date=NOW - timedelta(days=commit_days) if commit_days is not None else None)
    for number, days in (("0.1", first_days), ("1.0", last_days)):
        db.session.add(Version(package=package, number=number, upload_time=NOW - timedelta(days=days)))
    db.session.add(Version(package=package, number="9.9", upload_time=NOW - timedelta(days=first_days + 5000),
                           hidden=True))  # PyPI no longer lists it: not part of the life
    db.session.commit()
    return package


def rows(body: str) -> dict[str, str]:
    """Each package row's state class by package slug."""
    return dict((slug, state) for state, slug in re.findall(
        r'<div class="timesheet-row life-row-(\w+)" role="row">\s*<span class="timesheet-name" role="rowheader">'
        r'<a href="/packages/p/([^/]+)/"', body))


def test_the_timesheet_draws_every_life_and_tells_dead_from_young(client):
    category = make_category()
    veteran = aged("veteran", first_days=4000, last_days=30, commit_days=2, category=category)
    dead = aged("dead", first_days=3000, last_days=1500, commit_days=1200, category=category)
    young = aged("young", first_days=100, last_days=5, commit_days=1, category=category)
    quiet = aged("quiet", first_days=2000, last_days=500, commit_days=None, category=category)
    bare = make_package("bare", category=category, versions=0, last_commit_date=None)
    make_grid("Lives", packages=[veteran, dead, young, quiet, bare])

    response = client.get("/grids/g/lives/timesheet/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert rows(body) == {"veteran": "active", "dead": "dead", "quiet": "quiet", "young": "young", "bare": "unknown"}
    assert list(rows(body)) == ["veteran", "dead", "quiet", "young", "bare"]  # oldest first release first
    assert body.count('<svg class="life life-') == 5 + 1  # a drawing per package, and the axis
    assert body.count('class="life-span"') == 4  # the package without a release has no bar
    assert body.count('class="life-commit"') == 3
    first_year = (NOW - timedelta(days=4000)).year
    assert f"<span>{first_year}</span>" in body and f"<span>{NOW.year}</span>" in body
    assert "Dead: nothing for two years or more (1)" in body
    # The bar of the dead package ends where its last release was, well left of today's line.
    dead_row = body.split('life-row-dead')[1].split("</svg>")[0]
    today_x = float(re.search(r'class="life-today" d="M([\d.]+) ', dead_row).group(1))
    span = re.search(r'class="life-span" d="M([\d.]+) 7H([\d.]+)V', dead_row)
    assert float(span.group(1)) < float(span.group(2)) < today_x - 100


def test_the_grid_page_links_to_its_timesheet(client):
    make_grid("Linked", packages=[make_package("one")])
    assert 'href="/grids/g/linked/timesheet/"' in client.get("/grids/g/linked/").get_data(as_text=True)


def test_an_unknown_grid_has_no_timesheet(client):
    assert client.get("/grids/g/nope/timesheet/").status_code == 404


def test_an_empty_grid_says_so(client):
    make_grid("Empty")
    assert "This grid has no packages yet." in client.get("/grids/g/empty/timesheet/").get_data(as_text=True)


def test_the_timesheet_runs_a_fixed_number_of_queries(client, count_queries, page_cache_off):
    category = make_category()
    make_grid("Small", packages=[aged("s1", first_days=50, last_days=3, commit_days=1, category=category)])
    make_grid("Large", packages=[aged(f"l{index}", first_days=100 + index * 40, last_days=index, commit_days=index,
                                      category=category) for index in range(25)])
    counts = []
    for slug in ("small", "large"):
        client.get(f"/grids/g/{slug}/timesheet/")
        with count_queries() as counter:
            assert client.get(f"/grids/g/{slug}/timesheet/").status_code == 200
        counts.append(counter.count)
    # The grid, and its packages with their release spans; plus what every page reads (the site banner).
    assert counts[0] == counts[1] <= 3
