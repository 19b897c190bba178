"""API v4: djangopackages.org's current API, checked against its recorded answer for package 2674."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_category, make_grid, make_package
from tests.helpers import FIXTURES
from webapp.extensions import db

SEED_JSON = (FIXTURES / "api" / "api-v4-package-2674.json").read_text(encoding="utf-8")
SEED_PAGE = (FIXTURES / "api" / "api-v4-package-2674.browsable.txt").read_text(encoding="utf-8")
SEED = json.loads(SEED_JSON)
SEED_HOST = "https://djangopackages.org"


@pytest.fixture
def new_york(app):
    """The site's time zone set to djangopackages.org's."""
    previous = app.config["TIME_ZONE"]
    app.config["TIME_ZONE"] = "America/New_York"
    yield
    app.config["TIME_ZONE"] = previous


def strip_format(value):
    """The seed with its links as plain JSON gives them (DRF keeps ``?format=api`` only on the API page)."""
    return json.loads(json.dumps(value).replace("?format=api", ""))


def page_text(body: str, css_class: str) -> str:
    """The text of one block of the browsable page, tags removed, as a browser shows it."""
    match = re.search(rf'<div class="{css_class}">(.*?)</div>', body, re.S)
    assert match, f"no {css_class} block"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def browsable_text(body: str) -> str:
    return (page_text(body, "api-description") + "\n\n" + page_text(body, "request-info") + "\n"
            + page_text(body, "response-info"))


# The seed ------------------------------------------------------------------------------------------------


def test_seed_package_as_json_matches_djangopackages(client, demo, new_york):
    response = client.get("/api/v4/packages/2674/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    expected = json.loads(json.dumps(strip_format(SEED)).replace(SEED_HOST, "http://localhost"))
    assert body == expected
    assert list(body) == list(SEED)  # key for key, in the seed's order


def test_seed_package_on_djangopackages_host_is_byte_for_byte_the_seed(client, demo, new_york):
    # On the same host, the API page's body is exactly the recorded one, and plain JSON is too once the
    # ``?format=api`` that DRF carries into links is taken off.
    page = client.get("/api/v4/packages/2674/?format=api", base_url=SEED_HOST)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    text = browsable_text(page.get_data(as_text=True))
    assert text == SEED_PAGE
    assert text.split("Vary: Accept\n\n", 1)[1] == SEED_JSON

    plain = client.get("/api/v4/packages/2674/", base_url=SEED_HOST)
    assert plain.get_data(as_text=True) == json.dumps(strip_format(SEED), ensure_ascii=False,
                                                       separators=(",", ":"))


def test_seed_package_browsable_page_on_any_host(client, demo, new_york):
    page = client.get("/api/v4/packages/2674/?format=api").get_data(as_text=True)
    assert browsable_text(page).replace("http://localhost", SEED_HOST) == SEED_PAGE
    assert "<h1>Package Instance</h1>" in page
    # Every URL in the body is a link that keeps ?format=api.
    assert '<a href="http://localhost/api/v4/grids/231/?format=api" rel="nofollow">' in page
    assert '<a href="https://github.com/jazzband/django-invitations" rel="nofollow">' in page
    assert 'class="site-header"' in page  # in the site's layout


def test_seed_package_by_slug_with_format_json_and_in_utc(app, client, demo, new_york):
    by_id = client.get("/api/v4/packages/2674/").get_json()
    assert client.get("/api/v4/packages/django-invitations/").get_json() == by_id
    # ?format=json is carried into links as DRF does with any format argument.
    body = client.get("/api/v4/packages/2674/?format=json").get_json()
    assert body["category"] == "http://localhost/api/v4/categories/1/?format=json"
    assert body["grids"][0] == "http://localhost/api/v4/grids/231/?format=json"
    # In UTC (the default time zone) the offset is written Z, as DRF does.
    app.config["TIME_ZONE"] = "UTC"
    body = client.get("/api/v4/packages/2674/").get_json()
    assert body["last_updated"] == "2024-08-13T17:34:06Z"
    assert body["created"] == "2014-12-02T11:21:51.560890Z"


# Packages ------------------------------------------------------------------------------------------------


def test_package_fields_for_a_never_fetched_package(client):
    package = make_package("fresh", commits_over_52=[], participants=[], pypi_version=None, versions=0,
                           documentation_url="", last_commit_date=None)
    body = client.get(f"/api/v4/packages/{package.id}/").get_json()
    assert body["commits_over_52"] == []
    assert body["participants"] == []
    assert body["pypi_version"] is None
    assert body["documentation_url"] is None
    assert body["last_updated"] is None
    assert body["last_fetched"] is None
    assert body["grids"] == []
    assert body["category"] == f"http://localhost/api/v4/categories/{package.category_id}/"


def test_package_list_pagination_newest_first(client):
    category = make_category()
    packages = [make_package(f"pkg-{index}", category=category) for index in range(5)]
    first = client.get("/api/v4/packages/?limit=2").get_json()
    assert first["count"] == 5
    assert [item["id"] for item in first["results"]] == [packages[4].id, packages[3].id]
    assert first["previous"] is None
    assert first["next"] == "http://localhost/api/v4/packages/?limit=2&offset=2"
    second = client.get(first["next"]).get_json()
    assert [item["id"] for item in second["results"]] == [packages[2].id, packages[1].id]
    assert second["previous"] == "http://localhost/api/v4/packages/?limit=2"
    third = client.get(second["next"]).get_json()
    assert [item["id"] for item in third["results"]] == [packages[0].id]
    assert third["next"] is None
    assert third["previous"] == "http://localhost/api/v4/packages/?limit=2&offset=2"


def test_package_list_defaults_and_bad_arguments(client):
    category = make_category()
    for index in range(23):
        make_package(f"many-{index}", category=category, versions=0)
    body = client.get("/api/v4/packages/").get_json()
    assert len(body["results"]) == 20
    assert body["next"] == "http://localhost/api/v4/packages/?limit=20&offset=20"
    for junk in ("limit=abc", "limit=0", "limit=-3", "offset=-1&limit=x", "offset=zz"):
        response = client.get(f"/api/v4/packages/?{junk}")
        assert response.status_code == 200, junk
        assert len(response.get_json()["results"]) == 20
    assert len(client.get("/api/v4/packages/?limit=1000").get_json()["results"]) == 23  # capped at 100
    assert client.get("/api/v4/packages/?offset=99999999999999999999").get_json()["results"] == []


def test_package_list_links_keep_format_api(client):
    category = make_category()
    for index in range(3):
        make_package(f"fmt-{index}", category=category, versions=0)
    body = client.get("/api/v4/packages/?format=json&limit=1").get_json()
    assert body["next"] == "http://localhost/api/v4/packages/?format=json&limit=1&offset=1"
    page = client.get("/api/v4/packages/?format=api&limit=1").get_data(as_text=True)
    assert "http://localhost/api/v4/packages/?format=api&amp;limit=1&amp;offset=1" in page
    assert "<h1>Package List</h1>" in page


def test_removed_packages_are_not_in_the_api(client):
    kept = make_package("kept")
    gone = make_package("gone", removed_at=datetime.now(timezone.utc), removed_reason="spam")
    make_grid("Both", packages=[kept, gone])
    assert [p["slug"] for p in client.get("/api/v4/packages/").get_json()["results"]] == ["kept"]
    assert client.get(f"/api/v4/packages/{gone.id}/").status_code == 404
    grid = client.get("/api/v4/grids/both/").get_json()
    assert grid["packages"] == [f"http://localhost/api/v4/packages/{kept.id}/"]


# Grids and categories -----------------------------------------------------------------------------------


def test_grid_by_id_and_slug(client):
    first, second = make_package("alpha"), make_package("beta")
    grid = make_grid("Forms", packages=[second, first], description="Form libraries", is_locked=True)
    body = client.get(f"/api/v4/grids/{grid.id}/").get_json()
    assert list(body) == ["id", "title", "slug", "description", "is_locked", "packages", "header", "created",
                          "modified"]
    assert body["packages"] == [f"http://localhost/api/v4/packages/{second.id}/",
                                f"http://localhost/api/v4/packages/{first.id}/"]
    assert body["is_locked"] is True
    assert client.get("/api/v4/grids/forms/").get_json() == body
    package = client.get(f"/api/v4/packages/{first.id}/").get_json()
    assert package["grids"] == [f"http://localhost/api/v4/grids/{grid.id}/"]


def test_grid_list(client):
    older = make_grid("Older")
    newer = make_grid("Newer", packages=[make_package("in-newer")])
    body = client.get("/api/v4/grids/").get_json()
    assert body["count"] == 2
    assert [grid["id"] for grid in body["results"]] == [newer.id, older.id]
    assert len(body["results"][0]["packages"]) == 1


def test_categories(client):
    make_category("App", slug="apps", description="Reusable apps", show_pypi=True)
    project = make_category("Project", slug="projects", show_pypi=False)
    body = client.get("/api/v4/categories/").get_json()
    assert [c["slug"] for c in body["results"]] == ["projects", "apps"]
    detail = client.get(f"/api/v4/categories/{project.id}/").get_json()
    assert list(detail) == ["id", "title", "slug", "description", "title_plural", "show_pypi", "created",
                            "modified"]
    assert detail["show_pypi"] is False and detail["title_plural"] == "Projects"
    assert client.get("/api/v4/categories/projects/").status_code == 404  # by id only, as djangopackages.org


def test_root_lists_the_endpoints(client):
    assert client.get("/api/v4/").get_json() == {
        "packages": "http://localhost/api/v4/packages/",
        "search": "http://localhost/api/v4/search/",
        "grids": "http://localhost/api/v4/grids/",
        "categories": "http://localhost/api/v4/categories/",
    }
    page = client.get("/api/v4/?format=api").get_data(as_text=True)
    assert '<a href="http://localhost/api/v4/grids/?format=api" rel="nofollow">' in page


# Search -------------------------------------------------------------------------------------------------


def test_search_ranks_exact_name_then_grids_then_others(client):
    category = make_category("App")
    make_package("django-rest-tools", category=category, repo_description="Tools for rest")
    exact = make_package("rest", category=category, repo_watchers=5)
    make_grid("REST frameworks", description="Build REST APIs")
    results = client.get("/api/v4/search/?q=rest").get_json()
    assert [(r["item_type"], r["slug"]) for r in results] == [
        ("package", exact.slug), ("grid", "rest-frameworks"), ("package", "django-rest-tools")]
    package = results[0]
    assert package["category"] == "App"
    assert package["absolute_url"] == "/packages/p/rest/"
    assert package["participants"] == "alice,bob"
    assert package["last_released"] is not None
    assert results[2]["title_no_prefix"] == "rest-tools"
    assert client.get("/api/v4/search/").get_json() == []
    assert client.get("/api/v4/search/?q=nothing-like-this").get_json() == []


def test_search_by_repository_url(client):
    package = make_package("odd-name", repo_url="https://github.com/someone/thing")
    results = client.get("/api/v4/search/?q=https://github.com/someone/thing").get_json()
    assert results[0]["slug"] == package.slug


# Errors, methods and formats -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v4/packages/999999/", "/api/v4/packages/no-such-slug/",
                                  "/api/v4/grids/12345/", "/api/v4/grids/nope/", "/api/v4/categories/77/",
                                  "/api/v4/categories/99999999999999999999/",
                                  "/api/v4/packages/99999999999999999999/"])
def test_unknown_ids_are_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"detail": "Not found."}


def test_404_in_the_browsable_page(client):
    response = client.get("/api/v4/packages/999999/?format=api")
    assert response.status_code == 404
    text = browsable_text(response.get_data(as_text=True))
    assert "HTTP 404 Not Found" in text
    assert text.endswith('{\n    "detail": "Not found."\n}')


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_are_405_with_allow(client, method):
    package = make_package("ro")
    for path in ("/api/v4/", "/api/v4/packages/", f"/api/v4/packages/{package.id}/", "/api/v4/search/"):
        response = client.open(path, method=method, json={"title": "changed"})
        assert response.status_code == 405, path
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert response.get_json() == {"detail": f'Method "{method}" not allowed.'}
    assert client.get(f"/api/v4/packages/{package.id}/").get_json()["title"] == "ro"


def test_unrouted_methods_get_the_same_allow_header(client):
    response = client.open("/api/v4/packages/", method="TRACE")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "detail" in response.get_json()


def test_options_describes_the_view(client):
    response = client.options("/api/v4/packages/2674/")
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.get_json() == {
        "name": "Package Instance",
        "description": "API endpoint that allows packages to be viewed or edited.",
        "renders": ["application/json", "text/html"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    }


def test_head_has_headers_and_no_body(client):
    package = make_package("headed")
    response = client.head(f"/api/v4/packages/{package.id}/")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"]


@pytest.mark.parametrize("accept, html_expected", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser
    ("application/json", False),
    ("*/*", False),
    ("", False),
    ("application/json, text/html", False),
])
def test_content_negotiation(client, accept, html_expected):
    response = client.get("/api/v4/", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html" if html_expected else "application/json")
    assert "Accept" in response.headers["Vary"]


def test_format_json_beats_a_browser_accept_header(client):
    response = client.get("/api/v4/?format=json", headers={"Accept": "text/html"})
    assert response.headers["Content-Type"] == "application/json"


def test_unknown_format_is_404(client):
    response = client.get("/api/v4/packages/?format=xml")
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Not found."}


def test_api_posts_are_not_csrf_checked(app, client):
    previous = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/api/v4/packages/", data={"x": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = previous
    assert response.status_code == 405  # the API's answer, not a CSRF 400


# Query counts -------------------------------------------------------------------------------------------------


# Queries per request, measured on the demo data with a fresh session (as every real request has).
V4_LIST_COUNTS = {
    "/api/v4/packages/": 3,
    "/api/v4/grids/": 3,
    "/api/v4/categories/": 2,
}
V4_DETAIL_COUNTS = {
    "/api/v4/": 0,
    "/api/v4/packages/2674/": 2,
    "/api/v4/packages/django-invitations/": 2,
    "/api/v4/packages/2674/?format=api": 3,  # the browsable page shows the site banner
    "/api/v4/grids/231/": 2,
    "/api/v4/categories/1/": 1,
    "/api/v4/search/?q=django": 3,
    "/api/v4/search/?q=a": 3,
    "/api/v4/search/": 0,
    "/api/v4/openapi.json": 0,
    "/api/v4/docs/": 1,  # the site banner
}


def measure(client, count_queries, path: str) -> int:
    db.session.remove()  # a fresh session, as each real request gets
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


def test_query_counts_are_fixed(client, demo, count_queries, page_cache_off):
    measured = {}
    for path in V4_LIST_COUNTS:
        for limit in (1, 100):
            measured[f"{path}?limit={limit}"] = measure(client, count_queries, f"{path}?limit={limit}")
    for path in V4_DETAIL_COUNTS:
        measured[path] = measure(client, count_queries, path)
    expected = {f"{path}?limit={limit}": count for path, count in V4_LIST_COUNTS.items() for limit in (1, 100)}
    expected.update(V4_DETAIL_COUNTS)
    assert measured == expected
    assert len(client.get("/api/v4/packages/?limit=100").get_json()["results"]) == 100


def test_big_grid_still_two_queries(client, count_queries, page_cache_off):
    category = make_category()
    packages = [make_package(f"g-{index}", category=category, versions=0) for index in range(40)]
    grid = make_grid("Big", packages=packages)
    for package in packages[:10]:
        make_grid(f"Other {package.id}", packages=[package])
    path = f"/api/v4/grids/{grid.id}/"
    with count_queries() as counter:
        body = client.get(path).get_json()
    assert len(body["packages"]) == 40
    assert counter.count == 2
    with count_queries() as counter:
        body = client.get("/api/v4/packages/?limit=100").get_json()
    assert counter.count == 3
    assert sum(len(item["grids"]) for item in body["results"]) == 50


def test_modified_package_shows_new_values(client):
    package = make_package("changing", repo_watchers=1)
    first = client.get(f"/api/v4/packages/{package.id}/")
    package.repo_watchers = 2
    package.modified = package.modified + timedelta(seconds=1)
    db.session.commit()
    second = client.get(f"/api/v4/packages/{package.id}/")
    assert second.get_json()["repo_watchers"] == 2
    assert first.headers["ETag"] != second.headers["ETag"]
