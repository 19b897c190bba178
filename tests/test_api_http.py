"""The API's HTTP manners: ETags and 304s, caching, CORS, and the rate limit for anonymous clients."""

from __future__ import annotations

import itertools

import pytest

from tests.factories import make_package
from tests.helpers import require_or_skip
from webapp import ratelimit

_addresses = itertools.count(1)


def fresh_address() -> dict:
    """A client address no other test used, so rate-limit windows never mix."""
    number = next(_addresses)
    return {"REMOTE_ADDR": f"10.77.{number // 250}.{number % 250 + 1}"}


@pytest.fixture
def rate_limit(app, monkeypatch):
    """Set API_RATE_LIMIT (and optionally REDIS_URL) for one test, on a clock that stands still."""
    previous = {key: app.config[key] for key in ("API_RATE_LIMIT", "REDIS_URL")}
    now = {"t": 1_700_000_000.0}  # 20 s into a minute
    monkeypatch.setattr(ratelimit, "clock", lambda: now["t"])

    def configure(limit: int, redis_url: str = ""):
        app.config["API_RATE_LIMIT"] = limit
        app.config["REDIS_URL"] = redis_url
        return now

    yield configure
    app.config.update(previous)


def test_etag_and_304(client):
    package = make_package("cached")
    path = f"/api/v4/packages/{package.id}/"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.get_json() == first.get_json()


@pytest.mark.parametrize("path", ["/api/v4/", "/api/v4/packages/", "/api/v4/search/?q=x", "/api/v4/openapi.json",
                                  "/api/v3/packages/", "/api/v4/docs/", "/api/v4/?format=api"])
def test_every_response_has_an_etag(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers.get("ETag")
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code in (200, 304)


def test_errors_and_options_have_etags_too(client):
    for response in (client.get("/api/v4/packages/nope/"), client.options("/api/v4/"),
                     client.post("/api/v4/packages/")):
        assert response.headers.get("ETag"), response.status_code
    missing = client.get("/api/v4/packages/nope/")
    again = client.get("/api/v4/packages/nope/", headers={"If-None-Match": missing.headers["ETag"]})
    assert again.status_code == 404  # only a 200 becomes a 304


def test_etag_304_on_json_lists(client):
    make_package("one")
    response = client.get("/api/v4/packages/")
    assert client.get("/api/v4/packages/", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_cache_control(client):
    package = make_package("cc")
    assert client.get(f"/api/v4/packages/{package.id}/").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/v4/packages/9999/").headers["Cache-Control"] == "private, no-cache"
    # The browsable page carries the session's CSRF token: never shared.
    assert client.get("/api/v4/packages/?format=api").headers["Cache-Control"] == "private, no-cache"


def test_cors_on_get_and_preflight(client):
    response = client.get("/api/v4/packages/", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v4/packages/", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]


def test_rate_limit_in_memory(client, rate_limit):
    now = rate_limit(3)
    address = fresh_address()
    for remaining in (2, 1, 0):
        response = client.get("/api/v4/", environ_base=address)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    refused = client.get("/api/v4/packages/", environ_base=address)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert refused.get_json() == {"detail": "Request was throttled. Expected available in 40 seconds."}
    assert refused.headers["Cache-Control"] == "no-store"
    # Another client is not affected; the next minute starts afresh.
    assert client.get("/api/v4/", environ_base=fresh_address()).status_code == 200
    now["t"] += 40
    assert client.get("/api/v4/", environ_base=address).status_code == 200


def test_rate_limit_counts_api_v3_too(client, rate_limit):
    rate_limit(1)
    address = fresh_address()
    assert client.get("/api/v3/packages/", environ_base=address).status_code == 200
    assert client.get("/api/v3/packages/", environ_base=address).status_code == 429


def test_signed_in_people_are_not_limited(client, rate_limit, auth):
    rate_limit(1)
    auth.new_user("limited")
    address = fresh_address()
    for _ in range(3):
        assert client.get("/api/v4/", environ_base=address).status_code == 200


def _redis_url() -> str | None:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping()
        return "redis://127.0.0.1:6379/15"
    except Exception:  # noqa: BLE001
        return None


@pytest.mark.redis
def test_rate_limit_in_redis_is_shared_between_processes(app, client, rate_limit):
    url = _redis_url()
    require_or_skip(url is not None, "Redis is not running on 127.0.0.1:6379", "REQUIRE_REDIS")
    rate_limit(2, url)
    address = fresh_address()
    import redis

    connection = redis.Redis.from_url(url)
    window = int(ratelimit.clock() // ratelimit.WINDOW_SECONDS)
    key = f"{ratelimit.REDIS_PREFIX}{window}:{address['REMOTE_ADDR']}"
    connection.delete(key)
    try:
        assert client.get("/api/v4/", environ_base=address).status_code == 200
        # Another process counted one more request for the same address in Redis.
        connection.incr(key)
        refused = client.get("/api/v4/", environ_base=address)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "40"
        assert 0 < connection.ttl(key) <= 120
    finally:
        connection.delete(key)


def test_rate_limit_falls_back_to_memory_when_redis_is_down(client, rate_limit):
    rate_limit(1, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    address = fresh_address()
    assert client.get("/api/v4/", environ_base=address).status_code == 200
    assert client.get("/api/v4/", environ_base=address).status_code == 429
