"""Feeds, sitemap, robots.txt and error pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from tests.factories import make_category, make_grid, make_package
from webapp import create_app


def test_rss_feed_lists_latest_packages(client):
    category = make_category()
    make_package("older", category=category, created=datetime(2020, 1, 1, tzinfo=timezone.utc))
    make_package("newer", category=category, created=datetime(2023, 5, 1, tzinfo=timezone.utc),
                 repo_description="Fish & chips <b>")
    response = client.get("/feeds/packages/latest/rss/")
    assert response.mimetype == "application/rss+xml"
    root = ET.fromstring(response.data)
    items = root.findall("./channel/item")
    assert [item.findtext("title") for item in items] == ["newer", "older"]
    assert items[0].findtext("link").endswith("/packages/p/newer/")
    assert items[0].findtext("description") == "Fish & chips <b>"


def test_atom_feed_is_valid_atom(client):
    make_package("one")
    response = client.get("/feeds/packages/latest/atom/")
    assert response.mimetype == "application/atom+xml"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(response.data)
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1 and entries[0].findtext("a:title", namespaces=ns) == "one"
    assert root.findtext("a:updated", namespaces=ns)


def test_sitemap_and_robots(client):
    package = make_package("in-sitemap")
    make_grid("Mapped", packages=[package])
    root = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(loc.endswith("/packages/p/in-sitemap/") for loc in locs)
    assert any(loc.endswith("/grids/g/mapped/") for loc in locs)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in robots


def test_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Go to the home page" in html


def test_friendly_500_without_traceback(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TESTING": False,
                      "SECRET_KEY": "x"})

    @app.get("/boom/")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Server error" in html and "secret internals" not in html and "Traceback" not in html


def test_method_not_allowed_is_a_clear_405(client):
    response = client.post("/search/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "That method is not allowed here." in response.get_data(as_text=True)


def test_forwarded_headers_are_trusted_only_behind_a_configured_proxy(tmp_path):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grids.example.org"}
    for count, expected in ((0, "Sitemap: http://localhost/sitemap.xml"),
                            (1, "Sitemap: https://grids.example.org/sitemap.xml")):
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}", "PROXY_COUNT": count,
                          "TESTING": True})
        assert expected in app.test_client().get("/robots.txt", headers=headers).get_data(as_text=True)
