"""Security headers on every response (pages, error pages, static files, API answers, feeds), absolute URLs
from SITE_URL whatever Host a client sends, and TRUSTED_HOSTS refusing other hosts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import PASSWORD
from tests.route_sweep import all_rules, check_fillers_cover_every_rule, url_for_rule
from webapp import create_app
from webapp.catalog.models import Flag
from webapp.extensions import db
from webapp.grids.models import Feature, GridPackage
from webapp.security import SECURITY_HEADERS

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def assert_secure(response, what: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{what}: {name} is {response.headers.get(name)!r}"
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives.get("frame-ancestors") == "'none'", f"{what}: {policy!r}"
    assert directives.get("script-src") == "'self'", f"{what}: {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, f"{what}: {policy!r}"


@pytest.fixture
def site():
    """A package, a grid with a feature, a category, a flag and a staff account to read them as."""
    category = make_category("App", slug="apps")
    package = make_package("widget", category=category)
    grid = make_grid("Widgets", packages=[package], features=1)
    staff = make_user("stella", password=PASSWORD, is_staff=True)
    db.session.add(Flag(package=package, user=staff, reason="spam"))
    db.session.commit()
    member = db.session.scalar(select(GridPackage.id).where(GridPackage.grid_id == grid.id))
    feature = db.session.scalar(select(Feature.id).where(Feature.grid_id == grid.id))
    return {"package": package, "grid": grid, "category": category, "member": member, "feature": feature}


def every_get_url(world) -> list[str]:
    """One URL for every GET rule of the app: those without arguments, and the others with the real arguments the
    route sweeps fill them with (tests/route_sweep.py, which fails on a rule it cannot fill)."""
    fillers = check_fillers_cover_every_rule(world)
    return [url_for_rule(rule, fillers.get(rule.endpoint, {}), "GET") for rule in all_rules() if "GET" in rule.methods]


def test_the_headers_are_on_every_get_route_anonymous_and_signed_in(world):
    urls = every_get_url(world)
    assert len(urls) > 40
    statuses = {}
    for who in ("anonymous", "staff"):
        for url in urls:
            response = world.clients[who].get(url)
            statuses[(who, url)] = response.status_code
            assert_secure(response, f"GET {url} as {who} ({response.status_code})")
    # The sweep really rendered pages (and redirects for the sign-in pages), not only errors.
    assert sum(status == 200 for status in statuses.values()) > len(urls)
    assert all(status < 500 for status in statuses.values()), statuses


def test_the_headers_are_on_errors_static_files_and_api_answers(app, client, site, monkeypatch):
    responses = {
        "404 page": client.get("/no/such/page/"),
        "404 package": client.get("/packages/p/no-such-package/"),
        "405": client.put("/packages/"),
        "400 CSRF": client.post("/accounts/logout/"),
        "HTMX 404 fragment": client.get("/grids/g/nope/", headers={"HX-Request": "true"}),
        "static css": client.get("/static/css/site.css"),
        "static js": client.get("/static/js/site.js"),
        "static 404": client.get("/static/nothing-here.css"),
        "HEAD": client.head("/"),
        "API JSON": client.get("/api/v4/packages/"),
        "API 404": client.get("/api/v4/packages/999999/"),
        "API 405": client.post("/api/v4/packages/"),
        "API OPTIONS": client.options("/api/v4/packages/"),
        "API v3": client.get("/api/v3/packages/"),
        "OpenAPI": client.get("/api/v4/openapi.json"),
        "feed": client.get("/feeds/packages/latest/rss/"),
        "sitemap": client.get("/sitemap.xml"),
        "robots": client.get("/robots.txt"),
    }
    etag = responses["API JSON"].headers["ETag"]
    responses["API 304"] = client.get("/api/v4/packages/", headers={"If-None-Match": etag})
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 1)
    client.get("/api/v4/")
    responses["API 429"] = client.get("/api/v4/")
    assert responses["API 429"].status_code == 429 and responses["API 304"].status_code == 304
    for what, response in responses.items():
        assert_secure(response, what)


def test_the_headers_are_on_a_500_page(tmp_path):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TESTING": False,
                         "SECRET_KEY": "x"})

    @broken.get("/boom/")
    def boom():
        raise RuntimeError("internals")

    response = broken.test_client().get("/boom/")
    assert response.status_code == 500
    assert_secure(response, "500")


def test_the_policy_allows_only_this_site(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert policy == SECURITY_HEADERS["Content-Security-Policy"]
    for directive in ("default-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'self'",
                      "form-action 'self'"):
        assert directive in policy


def test_pages_carry_no_inline_script_style_or_handlers(world):
    """What the browser test checks in Chromium, checked on the markup of every GET page too."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|\shx-on|hx-trigger=\"[^\"]*\[",
                        re.I)
    for url in every_get_url(world):
        response = world.clients["staff"].get(url)
        if response.mimetype == "text/html":
            found = inline.findall(response.get_data(as_text=True))
            assert not found, f"{url}: {found}"


# -- SITE_URL and TRUSTED_HOSTS ---------------------------------------------------------------------------------


EVIL = {"Host": "evil.example"}


def absolute_links(client, site) -> dict[str, str]:
    """The answers that carry absolute URLs, requested with a forged Host."""
    package = site["package"]
    return {
        "rss": client.get("/feeds/packages/latest/rss/", headers=EVIL).get_data(as_text=True),
        "atom": client.get("/feeds/packages/latest/atom/", headers=EVIL).get_data(as_text=True),
        "sitemap": client.get("/sitemap.xml", headers=EVIL).get_data(as_text=True),
        "robots": client.get("/robots.txt", headers=EVIL).get_data(as_text=True),
        "api root": client.get("/api/v4/", headers=EVIL).get_data(as_text=True),
        "api list": client.get("/api/v4/packages/?limit=1&offset=1", headers=EVIL).get_data(as_text=True),
        "api package": client.get(f"/api/v4/packages/{package.id}/", headers=EVIL).get_data(as_text=True),
        "api grids": client.get("/api/v4/grids/", headers=EVIL).get_data(as_text=True),
        "openapi": client.get("/api/v4/openapi.json", headers=EVIL).get_data(as_text=True),
    }


def test_without_site_url_links_follow_the_host_header(client, site):
    """The default, and why SITE_URL matters: the forged host ends up in publicly cached answers."""
    make_package("gadget", category=site["category"])
    assert all("evil.example" in body for body in absolute_links(client, site).values())


def test_site_url_makes_every_absolute_link_ignore_the_host_header(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://grids.example.org")
    make_package("gadget", category=site["category"])
    make_package("doohickey", category=site["category"])
    answers = absolute_links(client, site)
    for what, body in answers.items():
        assert "evil.example" not in body, what
        assert "https://grids.example.org" in body, what
    locs = [el.text for el in ET.fromstring(answers["sitemap"]).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and all(loc.startswith("https://grids.example.org/") for loc in locs)
    listing = json.loads(answers["api list"])
    assert listing["next"].startswith("https://grids.example.org/api/v4/packages/?")
    assert listing["previous"].startswith("https://grids.example.org/api/v4/packages/?")
    assert json.loads(answers["openapi"])["servers"] == [{"url": "https://grids.example.org"}]
    assert "Sitemap: https://grids.example.org/sitemap.xml" in answers["robots"]
    # Pages are still found at their paths, and relative links stay relative.
    assert client.get("/packages/p/widget/", headers=EVIL).status_code == 200
    assert client.get("/packages/p/widget", headers=EVIL).location.endswith("/packages/p/widget/")


def test_site_url_with_a_path_prefixes_every_absolute_link(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://example.org/grids/")
    sitemap = client.get("/sitemap.xml", headers=EVIL).get_data(as_text=True)
    assert "https://example.org/grids/packages/p/widget/" in sitemap and "evil.example" not in sitemap
    root = json.loads(client.get("/api/v4/", headers=EVIL).data)
    assert root["packages"] == "https://example.org/grids/api/v4/packages/"


def test_trusted_hosts_refuses_other_hosts_with_400(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["grids.example.org", ".example.net"])
    for path in ("/", "/sitemap.xml", "/api/v4/packages/", "/no/such/page/", "/static/css/site.css"):
        response = client.get(path, headers=EVIL)
        assert response.status_code == 400, path
        assert "evil.example" not in response.get_data(as_text=True)
        assert_secure(response, f"untrusted host {path}")
    assert client.get("/", headers={"Host": "grids.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "www.example.net"}).status_code == 200
    assert client.get("/").status_code == 400  # the test client's own host, localhost, is not trusted either


def test_trusted_hosts_comes_from_the_environment(monkeypatch, tmp_path):
    from webapp.config import load_config

    monkeypatch.setenv("TRUSTED_HOSTS", "grids.example.org, .example.net")
    assert load_config(str(tmp_path))["TRUSTED_HOSTS"] == ["grids.example.org", ".example.net"]
    monkeypatch.setenv("TRUSTED_HOSTS", "")
    assert load_config(str(tmp_path))["TRUSTED_HOSTS"] is None
