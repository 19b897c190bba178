"""HTTP caching: every anonymous page a proxy may share (ETag, Last-Modified, 304s, public Cache-Control, no
cookie), signed-in pages private, static files fingerprinted, immutable and precompressed, pages compressed on
request. The sweeps are generated from ``app.url_map``."""

from __future__ import annotations

import gzip
import re
from email.utils import format_datetime, parsedate_to_datetime

import brotli
import pytest

from tests.editing_support import post
from tests.route_sweep import all_rules, check_fillers_cover_every_rule, url_for_rule
from webapp.static_files import HASHED_NAME

# Anonymous GET pages with a form an anonymous person submits: they carry a CSRF token (in the session cookie)
# and are private. Adding one must be deliberate: the sweep fails when this set changes.
FORM_PAGES = {
    "accounts.login", "accounts.signup",
    "accounts.password_reset_request", "accounts.password_reset",  # asking for a reset link, choosing a password
    "readiness.check",  # pasting a requirements file to check against a release cycle
}
# Anonymous GET answers that must never be stored, by any cache: each says what is true now. Adding one must be
# deliberate too: the sweep checks they say no-store, and that no other page does.
NEVER_STORED = {
    "pages.health",  # a load balancer's health check: a stored "ok" would hide a failing database or Redis
}


def anonymous_get_urls(world) -> dict[str, str]:
    """endpoint -> URL for every GET rule (the API's browsable page aside, which is for people, not proxies)."""
    fillers = check_fillers_cover_every_rule(world)
    urls = {}
    for rule in all_rules():
        if "GET" in rule.methods:
            urls[rule.endpoint] = url_for_rule(rule, fillers.get(rule.endpoint, {}), "GET")
    return urls


def test_every_anonymous_page_is_public_with_validators_and_answers_304(app, world):
    shared, form_pages, never_stored = [], set(), set()
    for endpoint, url in anonymous_get_urls(world).items():
        client = app.test_client()  # a first visit: no cookie from an earlier page (the sign-in form sets one)
        response = client.get(url)
        if response.status_code != 200:
            continue  # sign-in redirects, 405s of POST-only views reached by GET
        cookies = response.headers.getlist("Set-Cookie")
        if cookies:
            form_pages.add(endpoint)
            assert "private" in response.headers["Cache-Control"], (url, response.headers["Cache-Control"])
            continue
        if response.cache_control.no_store:
            never_stored.add(endpoint)
            assert "public" not in response.cache_control and response.cache_control.max_age is None, url
            continue
        shared.append(url)
        etag = response.headers.get("ETag")
        assert etag and not etag.startswith("W/"), f"{url}: ETag {etag!r}"
        assert "public" in response.cache_control and response.cache_control.max_age is not None, \
            f"{url}: Cache-Control {response.headers.get('Cache-Control')!r}"
        if endpoint != "static":  # WhiteNoise's answers do not depend on cookies
            assert "cookie" in {name.lower() for name in response.vary}, f"{url}: Vary {response.vary}"
        assert response.last_modified is not None, url
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", f"{url}: {again.status_code}"
        assert again.headers["ETag"] == etag
        since = format_datetime(response.last_modified, usegmt=True)
        assert client.get(url, headers={"If-Modified-Since": since}).status_code == 304, url
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200, url
    assert form_pages == FORM_PAGES
    assert never_stored == NEVER_STORED
    for path in ("/", f"/packages/p/{world.mine.slug}/", f"/grids/g/{world.grid.slug}/", "/feeds/packages/latest/rss/",
                 "/sitemap.xml", "/search/", "/api/v4/packages/"):
        assert path in shared, path
    assert any(url.startswith("/static/") for url in shared)
    assert len(shared) > 30


def test_signed_in_pages_are_private(app, world):
    client = world.clients["staff"]
    seen = 0
    for endpoint, url in anonymous_get_urls(world).items():
        if endpoint == "static" or endpoint.startswith("api"):
            continue  # the API's shared answers are the same for everyone (webapp/api/http.py)
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            seen += 1
            assert response.cache_control.private or response.cache_control.no_store, \
                f"{url}: {response.headers['Cache-Control']}"
            assert "public" not in response.headers["Cache-Control"], url
    assert seen > 20
    feed = client.get("/feeds/packages/latest/rss/")
    assert feed.status_code == 200 and feed.cache_control.private


def test_anonymous_pages_carry_no_csrf_token_and_signed_in_pages_do(world):
    anonymous = world.clients["anonymous"].get(f"/packages/p/{world.listed.slug}/").get_data(as_text=True)
    assert 'name="csrf-token"' not in anonymous and "X-CSRFToken" not in anonymous
    signed_in = world.clients["user"].get(f"/packages/p/{world.listed.slug}/").get_data(as_text=True)
    assert 'name="csrf-token"' in signed_in and "X-CSRFToken" in signed_in


def test_htmx_fragments_have_their_own_validators(world):
    client = world.clients["anonymous"]
    page = client.get("/search/suggest/?q=listed")  # a full page when opened directly, a fragment for HTMX
    fragment = client.get("/search/suggest/?q=listed", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert "HX-Request" in page.vary and "HX-Request" in fragment.vary
    assert page.data != fragment.data
    assert page.headers["ETag"] != fragment.headers["ETag"]
    assert client.get("/search/suggest/?q=listed", headers={"HX-Request": "true"}).data == fragment.data  # cached


def test_a_write_changes_the_etag_and_the_old_one_gets_the_new_page(world):
    anonymous = world.clients["anonymous"]
    url = f"/packages/p/{world.listed.slug}/"
    first = anonymous.get(url)
    etag, last_modified = first.headers["ETag"], first.last_modified
    assert anonymous.get(url, headers={"If-None-Match": etag}).status_code == 304
    saved = post(world.clients["owner"], f"/packages/p/{world.listed.slug}/usage/", {"use": "1"})
    assert saved.status_code in (302, 303), saved.status_code
    validators = {"If-None-Match": etag, "If-Modified-Since": format_datetime(last_modified, usegmt=True)}
    after = anonymous.get(url, headers=validators)
    assert after.status_code == 200 and after.data != first.data
    assert after.headers["ETag"] != etag
    assert after.last_modified > last_modified
    # A client that kept no ETag (If-Modified-Since only) sees the change too.
    stale = anonymous.get(url, headers={"If-Modified-Since": validators["If-Modified-Since"]})
    assert stale.status_code == 200 and stale.data == after.data


def test_static_urls_in_pages_are_fingerprinted_and_immutable(client):
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert urls and all(HASHED_NAME.search(url) for url in urls), urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        response.close()
    stylesheet = next(url for url in urls if url.endswith(".css"))
    # The unhashed name still answers, kept a short time only.
    plain = client.get(re.sub(r"\.[0-9a-f]{12}(\.css)$", r"\1", stylesheet))
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert plain.data == client.get(stylesheet).data


@pytest.mark.parametrize("coding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_static_files_come_precompressed(client, coding, decompress):
    page = client.get("/").get_data(as_text=True)
    script = re.search(r'src="(/static/vendor/htmx[^"]+)"', page).group(1)
    identity = client.get(script).data
    compressed = client.get(script, headers={"Accept-Encoding": coding})
    assert compressed.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in compressed.vary
    assert len(compressed.data) < len(identity) / 2
    assert decompress(compressed.data) == identity


@pytest.mark.parametrize("coding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_pages_are_compressed_on_request_and_revalidate(world, coding, decompress):
    client = world.clients["anonymous"]
    url = f"/grids/g/{world.grid.slug}/"
    plain = client.get(url)
    compressed = client.get(url, headers={"Accept-Encoding": coding})
    assert compressed.headers["Content-Encoding"] == coding and "Accept-Encoding" in compressed.vary
    assert decompress(compressed.data) == plain.data
    assert compressed.headers["ETag"] != plain.headers["ETag"]  # another representation, another strong ETag
    again = client.get(url, headers={"Accept-Encoding": coding, "If-None-Match": compressed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    api = client.get("/api/v4/packages/", headers={"Accept-Encoding": coding})
    assert api.headers["Content-Encoding"] == coding and decompress(api.data).startswith(b"{")


def test_last_modified_moves_forward_within_one_second(app):
    """Two bodies of one URL in the same second still get different Last-Modified (HTTP dates have seconds)."""
    from webapp.http_cache import ValidatorStore

    store = ValidatorStore()
    with app.test_request_context():
        first = store.changed_at("k", "a")
        second = store.changed_at("k", "b")
        back = store.changed_at("k", "a")
    assert first < second < back
    assert parsedate_to_datetime(format_datetime(second, usegmt=True)) > first
