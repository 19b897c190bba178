"""Grid list and grid comparison pages, through HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tests.factories import make_category, make_grid, make_package
from webapp.catalog.models import Version
from webapp.extensions import db
from webapp.grids.models import Element, Feature, GridPackage


def column_order(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return re.findall(r'class="pkg" href="/packages/p/[^/]+/">([^<]+)</a>', head)


def test_grid_list_searches_and_sorts(client):
    category = make_category()
    packages = [make_package(f"p{i}", category=category) for i in range(3)]
    make_grid("REST frameworks", packages=packages, description="APIs for Django")
    make_grid("Admin skins", packages=packages[:1], description="Make the admin pretty")

    html = client.get("/grids/").get_data(as_text=True)
    assert html.index("REST frameworks") < html.index("Admin skins")  # most packages first
    by_title = client.get("/grids/?sort=title").get_data(as_text=True)
    assert by_title.index("Admin skins") < by_title.index("REST frameworks")
    found = client.get("/grids/?q=pretty").get_data(as_text=True)
    assert "Admin skins" in found and "REST frameworks" not in found
    fragment = client.get("/grids/?q=api", headers={"HX-Request": "true", "HX-Target": "grid-results"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="grid-results"')


def test_grid_shows_every_package_as_a_column_with_fixed_and_feature_rows(client):
    category = make_category("App")
    packages = [make_package(f"pkg-{i:02d}", category=category, repo_watchers=i) for i in range(14)]
    make_grid("Big", packages=packages, features=6)

    html = client.get("/grids/g/big/?sort=title").get_data(as_text=True)

    assert column_order(html) == [f"pkg-{i:02d}" for i in range(14)]
    for row in ["Description", "Category", "Users", "Python 3", "Development status", "Latest release", "Stars",
                "Forks", "Commit activity", "Last commit", "License", "Links"]:
        assert f">{row}<" in html, row
    for index in range(1, 7):
        assert f">Feature {index}<" in html
    assert html.count('class="cell-icon cell-yes"') >= 14 * 6
    assert "position: sticky" not in html  # stickiness comes from the stylesheet, not inline styles


def test_grid_cells_render_keywords_as_icons_and_sanitise_markdown(client):
    package = make_package("alpha")
    grid = make_grid("Cells", packages=[package])
    gp = db.session.scalar(db.select(GridPackage).where(GridPackage.grid_id == grid.id))
    texts = ["yes — via signals", "no", "++", "-- slow", "?", "MIT", '<img src=x onerror=alert(1)> **bold**',
             "[bad](javascript:alert(1))"]
    for index, text in enumerate(texts):
        feature = Feature(grid=grid, title=f"F{index}")
        db.session.add(feature)
        db.session.add(Element(grid_package=gp, feature=feature, text=text))
    db.session.commit()

    html = client.get("/grids/g/cells/").get_data(as_text=True)

    assert ('<span class="cell-icon cell-yes" title="Yes" role="img" aria-label="Yes">✔</span> '
            '<span class="cell-note">via signals</span>') in html
    assert 'cell-no' in html and 'cell-plus2' in html and 'cell-minus2' in html and 'cell-unknown' in html
    assert '<span class="cell-note">slow</span>' in html
    assert '<span class="cell-note">MIT</span>' in html
    assert "<strong>bold</strong>" in html
    assert "<img" not in html and not re.search(r"<[^>]*onerror", html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text, inert
    assert 'href="javascript:' not in html


def test_grid_columns_sort_by_fixed_rows(client):
    category = make_category()
    now = datetime.now(timezone.utc)
    a = make_package("aaa", category=category, repo_watchers=5, repo_forks=50,
                     last_commit_date=now - timedelta(days=9))
    b = make_package("bbb", category=category, repo_watchers=500, repo_forks=5,
                     last_commit_date=now - timedelta(days=1))
    c = make_package("ccc", category=category, repo_watchers=50, repo_forks=500,
                     last_commit_date=now - timedelta(days=90))
    make_grid("Sortable", packages=[a, b, c])

    assert column_order(client.get("/grids/g/sortable/?sort=stars").get_data(as_text=True)) == ["bbb", "ccc", "aaa"]
    assert column_order(client.get("/grids/g/sortable/?sort=forks").get_data(as_text=True)) == ["ccc", "aaa", "bbb"]
    by_last_commit = client.get("/grids/g/sortable/?sort=last-commit").get_data(as_text=True)
    assert column_order(by_last_commit) == ["bbb", "aaa", "ccc"]
    assert column_order(client.get("/grids/g/sortable/?sort=title").get_data(as_text=True)) == ["aaa", "bbb", "ccc"]
    assert client.get("/grids/g/sortable/?sort=bogus").status_code == 200


def test_toggle_hides_stale_and_archived_packages_and_says_how_many(client):
    category = make_category()
    now = datetime.now(timezone.utc)
    fresh = make_package("fresh", category=category)
    stale = make_package("stale", category=category, last_commit_date=now - timedelta(days=800))
    archived = make_package("archived", category=category, date_repo_archived=now - timedelta(days=5))
    make_grid("Mixed", packages=[fresh, stale, archived])

    everything = client.get("/grids/g/mixed/").get_data(as_text=True)
    assert sorted(column_order(everything)) == ["archived", "fresh", "stale"]
    hidden = client.get("/grids/g/mixed/?hide=stale").get_data(as_text=True)
    assert column_order(hidden) == ["fresh"]
    assert "2 of 3 packages are hidden" in hidden
    assert 'href="/grids/g/mixed/"' in hidden  # the way to show them again


def test_grid_htmx_request_returns_the_table_block(client):
    make_grid("Tiny", packages=[make_package("one")], features=1)
    fragment = client.get("/grids/g/tiny/?sort=stars", headers={"HX-Request": "true", "HX-Target": "grid-table"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="grid-table"') and "<html" not in text


def test_unknown_grid_is_404(client):
    assert client.get("/grids/g/nope/").status_code == 404


def _grid_queries(client, count_queries, slug):
    client.get(f"/grids/g/{slug}/")
    with count_queries() as counter:
        assert client.get(f"/grids/g/{slug}/").status_code == 200
    return counter.count


def test_grid_query_count_is_the_same_for_small_and_large_grids(client, count_queries, page_cache_off):
    category = make_category()
    small = [make_package(f"s{i}", category=category, versions=1) for i in range(2)]
    make_grid("Small", packages=small, features=2)
    large = [make_package(f"l{i}", category=category, versions=12) for i in range(30)]
    make_grid("Large", packages=large, features=12)
    for package in large[:5]:
        db.session.add(Version(package=package, number="9.9", upload_time=None, hidden=True))
    db.session.commit()

    # grid, members, features, cells, the stars gained over 90 days (one query for all columns), and the release
    # cycles (to grey the declared versions past end of life and link the readiness pages), and the site banner
    assert _grid_queries(client, count_queries, "small") == 7
    assert _grid_queries(client, count_queries, "large") == 7


def test_grid_shows_latest_release_facts(client):
    package = make_package("rel", versions=3)
    package.pypi_version = "1.2"
    db.session.commit()
    make_grid("Rel", packages=[package])
    html = client.get("/grids/g/rel/").get_data(as_text=True)
    assert "5 - Production/Stable" in html and ">MIT<" in html and "1.2" in html


def test_grid_list_query_count_does_not_grow(client, count_queries, page_cache_off):
    category = make_category()
    package = make_package("p", category=category)
    make_grid("First", packages=[package])
    counts = []
    for extra in (0, 40):
        for index in range(extra):
            make_grid(f"More {index}", packages=[package])
        client.get("/grids/")
        with count_queries() as counter:
            client.get("/grids/")
        counts.append(counter.count)
    assert counts == [3, 3]  # the stored count, the page, the site banner


def test_grid_can_show_packages_as_rows(client):
    category = make_category()
    packages = [make_package(name, category=category, repo_watchers=stars)
                for name, stars in (("low", 1), ("high", 900), ("mid", 50))]
    make_grid("Rows", packages=packages, features=3)

    html = client.get("/grids/g/rows/?layout=rows&sort=stars").get_data(as_text=True)

    body = html.split("<tbody>", 1)[1]
    row_heads = (r'<tr id="package-row-\d+">\s*<th scope="row" class="col-head[^"]*">\s*'
                 r'<a class="pkg" href="/packages/p/([^/]+)/">')
    assert re.findall(row_heads, body) == ["high", "mid", "low"]
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert ">Stars ↓</a>" in head and ">Feature 3<" in head
    assert body.count('class="cell"') == 9
    assert '<option value="rows" selected>' in html
    # Sorting links keep the layout.
    assert 'href="/grids/g/rows/?layout=rows&amp;sort=forks"' in html
