"""Small pages djangopackages.org has too: the newest packages, every release, the total commit count, "add to
grid" from a package page, API v1 gone, the favicon, the health check, robots.txt for AI crawlers and the static
pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from tests.editing_support import html, post
from tests.factories import make_category, make_grid, make_package, make_user
from tests.fakes.remote_hosts import SyntheticRepo
from tests.fetch_support import RECORDED_AT, package, reload
from tests.helpers import password_hash
from webapp.extensions import db
from webapp.fetch.services import fetch_package
from webapp.grids.models import GridPackage


def _count(client, count_queries, path: str) -> int:
    client.get(path)
    with count_queries() as counter:
        assert client.get(path).status_code == 200, path
    return counter.count


# -- the newest packages ----------------------------------------------------------------------------------------


def test_latest_packages_newest_first_a_page_at_a_time(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PACKAGES_PER_PAGE", 2)
    category = make_category()
    now = datetime.now(timezone.utc)
    for n in range(5):
        make_package(f"pkg-{n}", category=category, created=now - timedelta(days=5 - n))
    make_package("gone", category=category, created=now, removed_at=now)
    first = html(client.get("/packages/latest/"))
    assert first.index("pkg-4") < first.index("pkg-3") and "pkg-2" not in first and "gone" not in first
    assert "Showing 1–2 of 5 packages" in first and 'rel="next"' in first
    last = html(client.get("/packages/latest/?page=3"))
    assert "pkg-0" in last and "pkg-1" not in last
    assert client.get("/packages/latest/?page=999999999999").status_code == 200
    assert 'href="/packages/latest/"' in html(client.get("/"))


def test_latest_and_releases_pages_run_a_fixed_number_of_queries(client, count_queries, page_cache_off):
    category = make_category()
    make_package("small", category=category, versions=1)
    assert _count(client, count_queries, "/packages/latest/") == 3  # banner, count, page
    assert _count(client, count_queries, "/packages/p/small/releases/") == 3  # banner, package, releases
    for n in range(40):
        make_package(f"more-{n}", category=category, versions=1)
    make_package("big", category=category, versions=60)
    assert _count(client, count_queries, "/packages/latest/") == 3
    assert _count(client, count_queries, "/packages/p/big/releases/") == 3
    for path in ("/about/", "/faq/", "/terms/"):
        assert _count(client, count_queries, path) == 1  # the banner


# -- every release ----------------------------------------------------------------------------------------------


def test_the_releases_page_lists_every_release_and_the_package_page_links_to_it(client):
    make_package("busy", category=make_category(), versions=40)
    page = html(client.get("/packages/p/busy/releases/"))
    assert all(f">1.{n}" in page for n in range(40))
    assert "current" in page
    assert 'href="/packages/p/busy/releases/"' in html(client.get("/packages/p/busy/"))
    assert client.get("/packages/p/nope/releases/").status_code == 404


# -- the total commit count -------------------------------------------------------------------------------------


def test_the_fetch_stores_the_total_commit_count_from_githubs_last_page(client, remote, fetcher):
    commits = [(RECORDED_AT - timedelta(days=day), "alice") for day in range(37)]
    remote.add_repo(SyntheticRepo("github", "example", "countme", id=7070, stars=3, commits=commits))
    counted = package("https://github.com/example/countme")
    fetch_package(counted.id, fetcher=fetcher)
    assert reload(counted).commit_count == 37
    assert "37 commits in all" in html(client.get("/packages/p/countme/"))
    remote.add_repo(SyntheticRepo("github", "example", "single", id=7071, commits=commits[:1]))
    single = package("https://github.com/example/single")
    fetch_package(single.id, fetcher=fetcher)
    assert reload(single).commit_count == 1
    remote.add_repo(SyntheticRepo("github", "example", "empty", id=7072))
    empty = package("https://github.com/example/empty")
    fetch_package(empty.id, fetcher=fetcher)
    assert reload(empty).commit_count == 0


# -- add to grid ------------------------------------------------------------------------------------------------


def test_add_to_grid_from_the_package_page(client, auth):
    category = make_category()
    widget = make_package("widget", category=category)
    open_grid = make_grid("Open grid", slug="open-grid")
    make_grid("Locked grid", slug="locked-grid", is_locked=True)
    make_grid("Has it", slug="has-it", packages=[widget])
    assert "Add to grid" not in html(client.get("/packages/p/widget/"))
    anonymous = client.get("/packages/p/widget/add-to-grid/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.location
    auth.new_user("editor")
    assert 'href="/packages/p/widget/add-to-grid/"' in html(client.get("/packages/p/widget/"))
    form = html(client.get("/packages/p/widget/add-to-grid/"))
    assert "Open grid" in form and "Locked grid" not in form and "Has it" not in form
    response = post(client, "/packages/p/widget/add-to-grid/", {"grid": "open-grid"})
    assert response.status_code == 302 and response.location.endswith("/grids/g/open-grid/")
    assert db.session.scalar(select(GridPackage).where(GridPackage.grid_id == open_grid.id)) is not None
    again = post(client, "/packages/p/widget/add-to-grid/", {"grid": "open-grid"})
    assert again.status_code == 422 and "already in this grid" in html(again)
    assert post(client, "/packages/p/widget/add-to-grid/", {"grid": "locked-grid"}).status_code == 403
    assert post(client, "/packages/p/widget/add-to-grid/", {"grid": "nope"}).status_code == 422
    staff = auth.client_for(make_user("stella", password_hash=password_hash(), is_staff=True))
    assert "Locked grid" in html(staff.get("/packages/p/widget/add-to-grid/"))
    assert post(staff, "/packages/p/widget/add-to-grid/", {"grid": "locked-grid"}).status_code == 302


# -- API v1, favicon, health ------------------------------------------------------------------------------------


def test_api_v1_is_gone_with_a_json_body(client):
    for path in ("/api/v1/", "/api/v1/package/django-allauth/", "/api/v1/grid/?format=json"):
        response = client.get(path)
        assert response.status_code == 410 and response.is_json, path
        assert "/api/v4/" in response.get_json()["detail"]


def test_favicon_ico_leads_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and "favicon" in response.location and response.location.endswith(".svg")


def test_health_checks_the_database_and_redis(client, app, monkeypatch):
    response = client.get("/health/")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    failing = client.get("/health/")
    assert failing.status_code == 503 and failing.get_json()["checks"] == {"database": "ok", "redis": "failing"}
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    import webapp.pages.queries

    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(webapp.pages.queries, "database_answers", broken)
    down = client.get("/health/")
    assert down.status_code == 503 and down.get_json()["checks"]["database"] == "failing"


# -- robots.txt and static pages --------------------------------------------------------------------------------


def test_robots_txt_turns_ai_crawlers_away(client):
    robots = client.get("/robots.txt").get_data(as_text=True)
    blocks = robots.split("\n\n")
    ai_block = blocks[0].splitlines()
    for agent in ("GPTBot", "ChatGPT-User", "CCBot", "Google-Extended", "anthropic-ai", "ClaudeBot"):
        assert f"User-agent: {agent}" in ai_block
    assert "Disallow: /" in ai_block
    assert "User-agent: *" in robots and "Disallow: /staff/" in robots


def test_static_pages_are_rendered_from_markdown_and_linked_from_the_footer(client):
    for path, heading in (("/about/", "About"), ("/faq/", "Frequently asked questions"),
                          ("/terms/", "Terms of use")):
        page = html(client.get(path))
        assert f"<h1>{heading}</h1>" in page and "<h2>" in page, path
        assert f'href="{path}"' in html(client.get("/packages/"))
    assert client.get("/contact/").status_code == 404


def test_the_add_to_grid_form_runs_a_fixed_number_of_queries(client, auth, count_queries):
    widget = make_package("widget", category=make_category())
    make_grid("First", slug="first")
    auth.new_user("editor")
    few = _count(client, count_queries, "/packages/p/widget/add-to-grid/")
    for n in range(30):
        make_grid(f"Grid {n}", slug=f"grid-{n}", packages=[widget] if n % 2 else [])
    # the signed-in person, the package, the grids it is not in yet, the site banner
    assert _count(client, count_queries, "/packages/p/widget/add-to-grid/") == few == 4
