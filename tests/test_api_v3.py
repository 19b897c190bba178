"""API v3: djangopackages.org's older JSON API, for clients written against it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import g
from sqlalchemy import select

from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp.extensions import db

V3_PACKAGE_KEYS = {
    "absolute_url", "category", "commit_list", "commits_over_52", "created", "created_by", "documentation_url",
    "grids", "last_fetched", "last_modified_by", "modified", "participants", "pypi_url", "pypi_version",
    "repo_description", "repo_forks", "repo_url", "repo_watchers", "resource_uri", "slug", "title", "usage_count",
}


@pytest.fixture
def catalogue():
    apps = make_category("App", slug="apps")
    author = make_user("jezdez", github_login="jezdez", password_hash=password_hash())
    django = make_package("Django", slug="django", category=apps, commits_over_52=[3, 0, 5],
                          participants=["adrian", "jacob"], pypi_version="5.0", versions=0, usage_count=356,
                          created_by_id=author.id, last_modified_by_id=author.id,
                          created=datetime(2010, 8, 14, 22, 50, 35, 123456, tzinfo=timezone.utc),
                          last_fetched=datetime(2015, 2, 28, 12, 4, 58, 537000, tzinfo=timezone.utc))
    other = make_package("south", category=apps)
    grid = make_grid("Frameworks", slug="frameworks", packages=[django, other])
    return {"category": apps, "package": django, "other": other, "grid": grid, "author": author}


def test_package_detail(client, catalogue):
    body = client.get("/api/v3/packages/django/").get_json()
    assert set(body) == V3_PACKAGE_KEYS
    assert body["commits_over_52"] == "3,0,5"
    assert body["commit_list"] == "[3, 0, 5]"
    assert body["participants"] == "adrian,jacob"
    assert body["category"] == "/api/v3/categories/apps/"
    assert body["grids"] == ["/api/v3/grids/frameworks/"]
    assert body["resource_uri"] == "/api/v3/packages/django/"
    assert body["absolute_url"] == "/packages/p/django/"
    assert body["created_by"] == "/api/v3/users/jezdez/"
    assert body["last_modified_by"] == "jezdez"
    assert body["usage_count"] == 356
    assert body["pypi_version"] == "5.0"
    assert body["created"] == "2010-08-14T22:50:35.123Z"  # milliseconds, as Django's JSON encoder
    assert body["last_fetched"] == "2015-02-28T12:04:58.537Z"


def test_package_list_meta_and_category_filter(client, catalogue):
    make_package("elsewhere", category=make_category("Framework", slug="frameworks"))
    body = client.get("/api/v3/packages/?limit=2").get_json()
    assert body["meta"] == {"limit": 2, "next": "/api/v3/packages/?limit=2&offset=2", "offset": 0,
                            "previous": None, "total_count": 3}
    assert body["category"] is None
    assert [p["slug"] for p in body["objects"]] == ["django", "south"]
    second = client.get(body["meta"]["next"]).get_json()
    assert second["meta"]["previous"] == "/api/v3/packages/?limit=2&offset=0"
    assert [p["slug"] for p in second["objects"]] == ["elsewhere"]
    filtered = client.get("/api/v3/packages/?category=frameworks").get_json()
    assert filtered["meta"]["total_count"] == 1
    assert filtered["category"] == "/api/v3/categories/frameworks/"
    assert client.get("/api/v3/packages/?limit=abc&offset=-5").get_json()["meta"]["limit"] == 20


def test_grids(client, catalogue):
    grid = client.get("/api/v3/grids/frameworks/").get_json()
    assert grid["packages"] == ["/api/v3/packages/django/", "/api/v3/packages/south/"]
    assert grid["resource_uri"] == "/api/v3/grids/frameworks/"
    assert grid["absolute_url"] == "/grids/g/frameworks/"
    listing = client.get("/api/v3/grids/").get_json()
    assert listing["meta"]["total_count"] == 1
    packages = client.get("/api/v3/grids/frameworks/packages/?limit=1").get_json()
    assert packages["grid"] == grid
    assert packages["meta"]["total_count"] == 2
    assert packages["meta"]["next"] == "/api/v3/grids/frameworks/packages/?limit=1&offset=1"
    assert [p["slug"] for p in packages["objects"]] == ["django"]


def test_categories(client, catalogue):
    listing = client.get("/api/v3/categories/").get_json()
    assert [c["slug"] for c in listing["objects"]] == ["apps"]
    category = client.get("/api/v3/categories/apps/").get_json()
    assert category["resource_uri"] == "/api/v3/categories/apps/"
    assert category["title_plural"] == "Apps"


def test_index(client):
    assert client.get("/api/v3/").get_json() == {
        "categories": "/api/v3/categories/", "grids": "/api/v3/grids/", "packages": "/api/v3/packages/",
        "users": "/api/v3/users/"}


@pytest.mark.parametrize("path", ["/api/v3/packages/nope/", "/api/v3/grids/nope/", "/api/v3/grids/nope/packages/",
                                  "/api/v3/categories/nope/"])
def test_unknown_slugs_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Not found."}


def test_v3_is_json_only(client, catalogue):
    response = client.get("/api/v3/packages/django/?format=api", headers={"Accept": "text/html"})
    assert response.headers["Content-Type"] == "application/json"


def test_v3_writes_are_405(client, catalogue):
    response = client.delete("/api/v3/packages/django/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/api/v3/users/", "/api/v3/users/jezdez/"])
def test_users_need_signing_in(client, catalogue, path):
    response = client.get(path)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "Authentication credentials were not provided."}
    assert "jezdez@" not in response.get_data(as_text=True)


def test_users_for_signed_in_people(client, catalogue, auth):
    auth.sign_in(catalogue["author"])
    listing = client.get("/api/v3/users/")
    assert listing.status_code == 200
    assert listing.headers["Cache-Control"] == "private, no-cache"
    body = listing.get_json()
    assert body["meta"]["total_count"] == 1
    user = body["objects"][0]
    assert user["username"] == "jezdez"
    assert user["github_account"] == "jezdez"
    assert user["resource_uri"] == "/api/v3/users/jezdez/"
    assert "email" not in user and "packages" not in user
    detail = client.get("/api/v3/users/jezdez/?list_packages=1").get_json()
    assert detail["packages"] == ["/api/v3/packages/django/"]
    with_packages = client.get("/api/v3/users/?list_packages=true").get_json()
    assert with_packages["objects"][0]["packages"] == ["/api/v3/packages/django/"]
    assert client.get("/api/v3/users/nobody/").status_code == 404


# Queries per request, measured on the demo data with a fresh session (as every real request has).
V3_COUNTS = {
    "/api/v3/": 0,
    "/api/v3/packages/": 3,
    "/api/v3/packages/?category=apps": 3,  # the category (with its stored count), the page, grid slugs
    "/api/v3/packages/django-invitations/": 2,
    "/api/v3/grids/": 3,
    "/api/v3/grids/{grid}/": 2,
    "/api/v3/grids/{grid}/packages/": 5,
    "/api/v3/categories/": 2,
    "/api/v3/categories/apps/": 1,
}
V3_SIGNED_IN_COUNTS = {  # one of them loads the signed-in person
    "/api/v3/users/": 3,
    "/api/v3/users/?list_packages=1": 4,
    "/api/v3/users/ada/": 2,
    "/api/v3/users/ada/?list_packages=1": 3,
}


def measure(client, count_queries, path: str) -> dict[int, int]:
    counts = {}
    for limit in (1, 100):
        separator = "&" if "?" in path else "?"
        db.session.remove()  # a fresh session and g, as each real request gets
        g.pop("_login_user", None)
        with count_queries() as counter:
            response = client.get(f"{path}{separator}limit={limit}")
        assert response.status_code == 200, path
        counts[limit] = counter.count
    return counts


def test_query_counts(client, demo, count_queries, auth, page_cache_off):
    from webapp.accounts.models import User
    from webapp.grids.models import Grid

    grid_slug = db.session.scalar(select(Grid.slug).where(Grid.id == 231))
    measured = {path: measure(client, count_queries, path.format(grid=grid_slug)) for path in V3_COUNTS}
    assert measured == {path: {1: count, 100: count} for path, count in V3_COUNTS.items()}
    ada = db.session.scalar(select(User).where(User.username == "ada"))
    ada.password_hash = password_hash()  # demo people sign in with GitHub only
    db.session.commit()
    auth.sign_in(ada)
    measured = {path: measure(client, count_queries, path) for path in V3_SIGNED_IN_COUNTS}
    assert measured == {path: {1: count, 100: count} for path, count in V3_SIGNED_IN_COUNTS.items()}
