"""The anonymous page cache (webapp/page_cache.py): warm pages cost one query, and after every kind of write the
next anonymous view of every page that shows it is fresh."""

from __future__ import annotations

import re

import pytest
from redis import Redis
from sqlalchemy import select

from tests.editing_support import a_package, html, post
from tests.factories import make_grid, make_package, make_user
from tests.fakes.djangopackages_api import FakeDjangoPackagesAPI
from tests.fetch_support import package as unfetched_package
from tests.helpers import csrf_token_for, require_or_skip
from webapp import create_app, page_cache
from webapp.catalog.models import Flag, Package
from webapp.extensions import db
from webapp.fetch.services import fetch_package
from webapp.grids.models import Element, Feature, GridPackage
from webapp.history import services as history

CSRF = re.compile(r'(name="csrf-token" content="|"X-CSRFToken": "|name="csrf_token" type="hidden" value=")[^"]+')


def anonymous_pages(package: Package, grid=None) -> list[str]:
    """Every anonymous page that shows ``package`` (and ``grid``), HTML, feeds, sitemap and both APIs."""
    pages = ["/", "/packages/", "/categories/", f"/categories/{package.category.slug}/",
             f"/packages/p/{package.slug}/", "/grids/", f"/search/?q={package.slug}", "/feeds/packages/latest/rss/",
             "/feeds/packages/latest/atom/", "/sitemap.xml", f"/api/v4/packages/{package.id}/", "/api/v4/packages/",
             f"/api/v4/search/?q={package.slug}", f"/api/v4/categories/{package.category_id}/",
             f"/api/v3/packages/{package.slug}/", "/api/v3/packages/"]
    if grid is not None:
        pages += [f"/grids/g/{grid.slug}/", f"/api/v4/grids/{grid.id}/", "/api/v4/grids/",
                  f"/api/v3/grids/{grid.slug}/", f"/api/v3/grids/{grid.slug}/packages/"]
        for member in db.session.scalars(select(GridPackage).where(GridPackage.grid_id == grid.id)):
            for feature in db.session.scalars(select(Feature).where(Feature.grid_id == grid.id)):
                pages.append(f"/grids/g/{grid.slug}/cells/{member.id}/{feature.id}/")
    return pages


def answer(client, path: str) -> tuple[int, str]:
    # A cell alone is an HTMX answer (without HTMX the address leads to the grid).
    response = client.get(path, headers={"HX-Request": "true"} if "/cells/" in path else {})
    return response.status_code, CSRF.sub(r"\1…", response.get_data(as_text=True))


def view(client, path: str) -> str:
    status, body = answer(client, path)
    assert status == 200, path
    return body


def warm(client, pages: list[str]) -> None:
    """View every page anonymously, twice: the second answer comes from the cache."""
    for path in pages:
        view(client, path)
        view(client, path)


def assert_fresh(app, client, pages: list[str], monkeypatch) -> dict[str, str]:
    """Each page as an anonymous reader gets it (maybe cached) is the page rendered from the database now."""
    cached = {path: answer(client, path) for path in pages}
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    try:
        for path in pages:
            assert cached[path] == answer(client, path), f"stale page after the write: {path}"
    finally:
        monkeypatch.setitem(app.config, "PAGE_CACHE", True)
    return {path: body for path, (_status, body) in cached.items()}


@pytest.fixture
def widgets():
    """A package in a grid with one feature and one filled cell."""
    package = a_package()
    other = make_package("other", category=package.category)
    grid = make_grid("Widgets", packages=[package, other], features=1)
    return package, grid


# -- the cache answers --------------------------------------------------------------------------------------------


def test_a_warm_anonymous_page_runs_only_the_version_lookup(app, client, widgets, count_queries):
    package, grid = widgets
    pages = anonymous_pages(package, grid)
    for path in pages:
        view(client, path)
    for path in pages:
        with count_queries() as counter:
            view(client, path)
        assert counter.count == 1, (path, counter.statements)


def test_every_readable_rule_is_cached_or_listed_as_uncached(app):
    """A new page must say whether it is cached (and which scopes it shows) or why not."""
    cached = page_cache.cached_endpoints(app)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.endpoint in cached:
            assert page_cache.scopes_for_rule(rule.rule), rule.rule
        else:
            assert rule.rule in page_cache.UNCACHED_RULES, f"{rule.rule}: add it to CACHED_RULES or UNCACHED_RULES"


def test_htmx_fragments_and_query_strings_are_kept_apart(client, widgets):
    package, grid = widgets
    make_package("zeta", category=package.category)
    results = {"HX-Request": "true", "HX-Target": "package-results"}
    for _ in range(2):  # rendered, then cached: each answer stays its own
        assert "<html" in html(client.get("/packages/"))
        assert "<html" not in html(client.get("/packages/", headers=results))
    by_title = html(client.get("/packages/?sort=title"))
    assert by_title != html(client.get("/packages/?sort=-title"))
    assert by_title == html(client.get("/packages/?sort=title"))


def test_no_reader_gets_another_ones_csrf_token_and_signed_in_people_get_their_own_page(app, client, widgets, auth):
    mine = csrf_token_for(client, "/accounts/login/")  # this reader's session now holds a token
    client.get("/packages/p/widget/")  # cached while this reader holds a token
    other = app.test_client()
    second = html(other.get("/packages/p/widget/"))
    assert mine not in second and "\x00" not in second
    # A token a cached page carries is its reader's own: a form posted with it is accepted.
    for token in re.findall(r'(?:name="csrf-token" content="|"X-CSRFToken": ")([^"]+)', second):
        response = other.post("/accounts/login/", data={"csrf_token": token, "username": "nobody", "password": "x"})
        assert "CSRF" not in html(response)
    auth.new_user("reader")
    assert "Sign out" in html(client.get("/packages/p/widget/"))
    assert "Sign out" not in html(other.get("/packages/p/widget/"))


def test_flashed_messages_are_never_cached(app, client, widgets, auth):
    other = app.test_client()
    html(other.get("/"))  # the page is cached
    auth.new_user("leaver")
    auth.logout()  # "You are signed out." waits in the session for the next page
    assert "You are signed out." in html(client.get("/"))
    assert "You are signed out." not in html(client.get("/")) and "You are signed out." not in html(other.get("/"))


# -- after each kind of write, every page that shows it is fresh ------------------------------------------------------


def test_cell_edit(app, client, other_client, widgets, auth, monkeypatch):
    package, grid = widgets
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    cell = db.session.scalar(select(Element).join(GridPackage).where(GridPackage.package_id == package.id))
    url = f"/grids/g/{grid.slug}/cells/{cell.grid_package_id}/{cell.feature_id}/"
    auth(other_client).new_user("joe")
    assert post(other_client, url, {"text": "no — broken since 2.0", "revision": str(cell.revision)}).status_code < 400
    seen = assert_fresh(app, client, pages, monkeypatch)
    assert "broken since 2.0" in seen[f"/grids/g/{grid.slug}/"] and "broken since 2.0" in seen[url]


def test_feature_edit(app, client, other_client, widgets, auth, monkeypatch):
    package, grid = widgets
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    feature = db.session.scalar(select(Feature))
    auth(other_client).new_user("joe")
    response = post(other_client, f"/grids/g/{grid.slug}/features/{feature.id}/edit/",
                    {"revision": str(feature.revision), "title": "Async views", "description": "Works"})
    assert response.status_code == 302
    assert "Async views" in assert_fresh(app, client, pages, monkeypatch)[f"/grids/g/{grid.slug}/"]


def test_package_edit(app, client, other_client, widgets, auth, monkeypatch):
    package, grid = widgets
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    auth(other_client).new_user("joe")
    response = post(other_client, "/packages/widget/edit/", {
        "title": "Widget Pro", "slug": "widget", "category": package.category_id, "repo_url": package.repo_url,
        "pypi_url": "", "documentation_url": "", "revision": package.revision, "package_id": package.id})
    assert response.status_code == 302
    seen = assert_fresh(app, client, pages, monkeypatch)
    for path in ("/", "/packages/", f"/grids/g/{grid.slug}/", "/packages/p/widget/", f"/api/v4/packages/{package.id}/"):
        assert "Widget Pro" in seen[path], path


def test_usage(app, client, other_client, widgets, auth, monkeypatch):
    package, grid = widgets
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    auth(other_client).new_user("joe")
    assert post(other_client, "/packages/p/widget/usage/", {"use": "1"}).status_code < 400
    seen = assert_fresh(app, client, pages, monkeypatch)
    assert re.search(r'id="usage-count"><strong>1</strong>', seen["/packages/p/widget/"])


def test_fetch(app, client, remote, fetcher, monkeypatch):
    deps = unfetched_package("https://github.com/django/deps")
    pages = anonymous_pages(deps)
    warm(client, pages)
    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"
    seen = assert_fresh(app, client, pages, monkeypatch)
    assert "Django Enhancement Proposals" in seen["/packages/p/deps/"]


def test_moderation(app, client, other_client, widgets, people, auth, monkeypatch):
    package, grid = widgets
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    flag = Flag(package_id=package.id, user_id=people.other.id, reason="Casino spam", status="open")
    db.session.add(flag)
    db.session.commit()
    auth(other_client).sign_in(people.staff)
    assert post(other_client, f"/moderation/flags/{flag.id}/approve/").status_code == 302
    seen = assert_fresh(app, client, pages, monkeypatch)
    assert "Casino spam" in seen["/packages/p/widget/"]
    assert client.get(f"/api/v4/packages/{package.id}/").status_code == 404  # was cached as 200
    assert 'href="/packages/p/widget/"' not in seen[f"/grids/g/{grid.slug}/"]


def test_revert(app, client, other_client, widgets, people, auth, monkeypatch):
    package, grid = widgets
    [change] = history.apply_changes(package, people.other, {"title": "Vandalised"})
    db.session.commit()
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    assert "Vandalised" in view(client, "/")
    auth(other_client).sign_in(people.staff)
    assert post(other_client, f"/history/{change.id}/revert/").status_code == 302
    seen = assert_fresh(app, client, pages, monkeypatch)
    assert "Vandalised" not in seen["/"] and "Vandalised" not in seen[f"/grids/g/{grid.slug}/"]


def test_import(app, client, tmp_path, monkeypatch):
    def run_import(source):
        return app.test_cli_runner().invoke(args=[
            "import-djangopackages", "--from", source, "--page-size", "3", "--retries", "1", "--retry-wait", "0",
            "--state-file", str(tmp_path / "state.json")])

    with FakeDjangoPackagesAPI() as fake:
        assert run_import(fake.base_url).exit_code == 0
        toolbar = db.session.get(Package, 34)
        pages = [*anonymous_pages(toolbar), "/api/v4/grids/282/"]
        warm(client, pages)
        source = next(p for p in fake.data["packages"] if isinstance(p, dict) and p["id"] == 34)
        source["repo_watchers"] = 8000
        fake.data["grids"][1]["title"] = "Registration and sign-up"
        assert run_import(fake.base_url).exit_code == 0
    seen = assert_fresh(app, client, pages, monkeypatch)
    assert '8000' in seen["/api/v4/packages/34/"] and "Registration and sign-up" in seen["/api/v4/grids/282/"]


def test_a_rolled_back_write_keeps_the_versions(client, widgets, count_queries):
    package, _grid = widgets
    view(client, "/")
    package.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    with count_queries() as counter:
        assert "Never saved" not in view(client, "/")
    assert counter.count == 1  # still the cached page


def test_a_write_in_a_session_of_its_own_bumps_too(app, client, widgets, monkeypatch):
    """Sessions the app does not manage (the fetch service's, a script's) are covered: the listeners are on Session."""
    from sqlalchemy.orm import Session

    package, grid = widgets
    pages = anonymous_pages(package, grid)
    warm(client, pages)
    with Session(db.engine) as session, session.begin():
        session.get(Package, package.id).title = "Renamed elsewhere"
    assert "Renamed elsewhere" in assert_fresh(app, client, pages, monkeypatch)["/"]


# -- several servers sharing Redis -------------------------------------------------------------------------------------

CACHE_REDIS = "redis://127.0.0.1:6379/13"


def test_two_servers_share_pages_and_see_each_others_invalidation(app, widgets, people, count_queries):
    try:
        up = Redis.from_url(CACHE_REDIS, socket_connect_timeout=1).ping()
    except Exception:
        up = False
    require_or_skip(up, "Redis is not answering on 127.0.0.1:6379", "REQUIRE_REDIS")
    Redis.from_url(CACHE_REDIS).flushdb()
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SERVER_NAME")}
    servers = [create_app({**config, "TESTING": True, "REDIS_URL": CACHE_REDIS}) for _ in range(2)]
    for server in servers:
        server.test_client_class = app.test_client_class
    first, second = (server.test_client() for server in servers)
    try:
        with servers[0].app_context():
            assert servers[0].config["CACHE_TYPE"] == "RedisCache"
            assert "widget" in html(first.get("/packages/"))
        with servers[1].app_context(), count_queries() as counter:  # counting the second server's engine
            assert "widget" in html(second.get("/packages/"))
        assert counter.count == 1  # the version lookup: the page the first server rendered came from Redis
        with servers[1].app_context():
            editor = servers[1].test_client()
            from tests.helpers import AuthActions

            AuthActions(servers[1], editor).sign_in(people.other)
            package = db.session.scalar(select(Package).where(Package.slug == "widget"))
            response = post(editor, "/packages/widget/edit/", {
                "title": "Widget Two", "slug": "widget", "category": package.category_id,
                "repo_url": package.repo_url, "pypi_url": "", "documentation_url": "", "revision": package.revision,
                "package_id": package.id})
            assert response.status_code == 302
        with servers[0].app_context():
            assert "Widget Two" in html(first.get("/packages/"))
        keys = Redis.from_url(CACHE_REDIS).keys("*page:*")
        assert keys, "the pages are in Redis"
    finally:
        for server in servers:
            with server.app_context():
                db.session.remove()
                db.engine.dispose()
        Redis.from_url(CACHE_REDIS).flushdb()


def test_a_change_no_page_shows_bumps_nothing(client, widgets, count_queries):
    from datetime import datetime, timezone

    user = make_user("quiet")
    view(client, "/")
    user.last_login = datetime.now(timezone.utc)  # signing in writes it
    db.session.commit()
    with count_queries() as counter:
        view(client, "/")
    assert counter.count == 1
    user.username = "loud"  # shown on pages
    db.session.commit()
    with count_queries() as counter:
        view(client, "/")
    assert counter.count > 1
