"""Home, package lists, categories and package pages, through HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_category, make_grid, make_package, make_user
from webapp.catalog.models import Usage
from webapp.extensions import db


def titles_in(html: str) -> list[str]:
    return re.findall(r'<a href="/packages/p/[^/]+/">([^<]+)</a>', html)


def test_home_shows_counts_latest_packages_grids_and_categories(client):
    apps = make_category("App", slug="apps")
    older = make_package("django-older", category=apps, created=datetime(2020, 1, 1, tzinfo=timezone.utc))
    newer = make_package("django-newer", category=apps, created=datetime(2024, 1, 1, tzinfo=timezone.utc))
    make_grid("Forms", packages=[older, newer], features=2, description="Compare form libraries")

    html = client.get("/").get_data(as_text=True)

    assert "<strong>2</strong><span>packages</span>" in html
    assert "<strong>1</strong><span>grids</span>" in html
    assert titles_in(html)[:2] == ["django-newer", "django-older"]
    assert 'href="/grids/g/forms/"' in html
    assert 'href="/categories/apps/"' in html
    assert 'action="/search/"' in html


def test_home_says_when_it_runs_on_demo_data(client):
    make_package("django-demo", stats_are_demo=True)
    assert "This site runs on demo data" in client.get("/").get_data(as_text=True)


def test_home_without_demo_data_has_no_demo_notice(client):
    make_package("django-real", stats_are_demo=False)
    assert "demo data" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("sort, expected", [
    ("stars", ["many-stars", "some-stars", "few-stars"]),
    ("forks", ["few-stars", "some-stars", "many-stars"]),
    ("title", ["few-stars", "many-stars", "some-stars"]),
    ("last-commit", ["some-stars", "few-stars", "many-stars"]),
    ("score", ["some-stars", "many-stars", "few-stars"]),
])
def test_package_list_sorts(client, sort, expected):
    category = make_category()
    now = datetime.now(timezone.utc)
    make_package("many-stars", category=category, repo_watchers=900, repo_forks=1, score=20,
                 last_commit_date=now - timedelta(days=300))
    make_package("some-stars", category=category, repo_watchers=50, repo_forks=5, score=30,
                 last_commit_date=now - timedelta(days=1))
    make_package("few-stars", category=category, repo_watchers=3, repo_forks=9, score=10,
                 last_commit_date=now - timedelta(days=30))

    html = client.get(f"/packages/?sort={sort}").get_data(as_text=True)

    assert titles_in(html) == expected
    assert 'aria-current="true"' in html


def test_package_list_filters_by_text_in_name_or_description(client):
    category = make_category()
    make_package("django-rest-thing", category=category, repo_description="APIs")
    make_package("django-forms-x", category=category, repo_description="Build REST endpoints quickly")
    make_package("django-other", category=category, repo_description="Nothing related")

    html = client.get("/packages/?q=rest").get_data(as_text=True)

    assert sorted(titles_in(html)) == ["django-forms-x", "django-rest-thing"]
    assert "of 2 packages matching “rest”" in html


def test_package_list_paginates_and_bad_page_numbers_fall_back(client, app):
    category = make_category()
    for index in range(7):
        make_package(f"pkg-{index:02d}", category=category)
    app.config["PACKAGES_PER_PAGE"] = 3
    try:
        page2 = client.get("/packages/?sort=title&page=2").get_data(as_text=True)
        assert titles_in(page2) == ["pkg-03", "pkg-04", "pkg-05"]
        assert "Page 2 of 3" in page2
        assert 'rel="next" href="/packages/?sort=title&amp;page=3"' in page2
        assert client.get("/packages/?page=abc").status_code == 200
        last = client.get("/packages/?sort=title&page=99").get_data(as_text=True)
        assert titles_in(last) == ["pkg-06"]
    finally:
        app.config["PACKAGES_PER_PAGE"] = 30


def test_unknown_sort_falls_back_to_default(client):
    make_package("django-a")
    assert client.get("/packages/?sort=drop-table").status_code == 200


def test_htmx_list_request_returns_only_the_results_block(client):
    make_package("django-a")
    headers = {"HX-Request": "true", "HX-Target": "package-results"}
    fragment = client.get("/packages/?sort=title", headers=headers).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="package-results"')
    assert "<html" not in fragment
    # The URL HTMX pushes renders the whole page on its own.
    full = client.get("/packages/?sort=title").get_data(as_text=True)
    assert "<html" in full and 'id="package-results"' in full


def test_category_page_lists_only_its_packages(client):
    apps = make_category("App", slug="apps", description="Reusable apps")
    tools = make_category("Tool", slug="tools")
    make_package("an-app", category=apps)
    make_package("a-tool", category=tools)

    html = client.get("/categories/apps/").get_data(as_text=True)

    assert titles_in(html) == ["an-app"]
    assert "Reusable apps" in html
    assert client.get("/categories/nope/").status_code == 404


def test_category_index_counts_packages(client):
    apps = make_category("App", slug="apps")
    make_package("one", category=apps)
    make_package("two", category=apps)
    html = client.get("/categories/").get_data(as_text=True)
    assert "2 packages" in html


def test_package_page_shows_every_field(client):
    apps = make_category("App", slug="apps")
    replacement = make_package("django-new", category=apps)
    package = make_package(
        "django-old", category=apps, repo_description="Does old things", repo_watchers=1234, repo_forks=56,
        participants=["alice", "bob", "carol"], commits_over_52=[0] * 50 + [3, 4], pypi_version="2.0",
        pypi_url="https://pypi.org/project/django-old", documentation_url="https://docs.example.org/old/",
        date_repo_archived=datetime(2024, 5, 1, tzinfo=timezone.utc), deprecated_by=replacement,
        date_deprecated=datetime(2024, 6, 1, tzinfo=timezone.utc), deprecation_status="deprecated", versions=3,
        fetch_error="GitHub answered 500", fetch_error_at=datetime.now(timezone.utc), fetch_error_count=2,
    )
    make_grid("Old things", packages=[package])
    user = make_user("ada", display_name="Ada")
    db.session.add(Usage(user_id=user.id, package_id=package.id))
    package.usage_count = 1
    db.session.commit()

    html = client.get("/packages/p/django-old/").get_data(as_text=True)

    for text in ["Does old things", "1,234", "56", "alice", "carol", "2.0", "https://pypi.org/project/django-old",
                 "https://docs.example.org/old/", "Archived repository", "Deprecated", 'href="/packages/p/django-new/"',
                 'href="/grids/g/old-things/"', "Ada", "7 commits in the last 52 weeks", "GitHub answered 500",
                 "2 times in a row", "How the score of"]:
        assert text in html, text
    # The sparkline is the drawing stored when the counts were written: 2 weeks with commits, 50 without.
    sparkline = re.search(r'<svg class="sparkline".*?</svg>', html, re.S).group(0)
    assert re.search(r'<path class="bar" d="([^"]*)"', sparkline).group(1).count("M") == 2
    assert re.search(r'<path class="zero" d="([^"]*)"', sparkline).group(1).count("M") == 50
    assert html.count("<tr>") >= 4  # header + three releases


def test_package_page_escapes_user_text(client):
    make_package("django-x", repo_description='<script>alert("x")</script>')
    html = client.get("/packages/p/django-x/").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_unknown_package_is_a_friendly_404(client):
    response = client.get("/packages/p/nope/")
    assert response.status_code == 404
    assert "There is no package “nope”" in response.get_data(as_text=True)


def _package_page_queries(client, count_queries, slug):
    client.get(f"/packages/p/{slug}/")  # warm up the app's first-request work
    with count_queries() as counter:
        assert client.get(f"/packages/p/{slug}/").status_code == 200
    return counter.count


def test_package_page_query_count_does_not_grow(client, count_queries, page_cache_off):
    category = make_category()
    small = make_package("small", category=category, versions=1, participants=["a"])
    big = make_package("big", category=category, versions=40, participants=[f"p{i}" for i in range(80)])
    for index in range(15):
        user = make_user(f"user{index}")
        db.session.add(Usage(user_id=user.id, package_id=big.id))
        make_grid(f"Grid {index}", packages=[big, small])
    db.session.commit()

    # The package (with its grids), releases, users, sites using it, release cycles, participants' profiles, banner.
    assert _package_page_queries(client, count_queries, "small") == 8
    assert _package_page_queries(client, count_queries, "big") == 8


def test_list_and_home_query_counts_do_not_grow(client, count_queries, page_cache_off):
    category = make_category(slug="apps")
    make_package("first", category=category)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            for index in range(60):
                make_package(f"more-{index}", category=category)
        for path in ("/", "/packages/", "/categories/apps/", "/categories/", "/feeds/packages/latest/rss/"):
            client.get(path)
            with count_queries() as counter:
                client.get(path)
            counts[(size, path)] = counter.count
    for path in ("/", "/packages/", "/categories/apps/", "/categories/", "/feeds/packages/latest/rss/"):
        assert counts[("small", path)] == counts[("large", path)], path
    # Every page also reads the site banner (webapp/staff/banner.py); the home page the featured grids and package.
    assert counts[("large", "/")] == 7
    assert counts[("large", "/packages/")] == 4  # the stored total, the category chips, the page, the banner
    assert counts[("large", "/categories/apps/")] == 3  # the category (with its stored count), the page, the banner
