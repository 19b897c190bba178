"""The page cache's front (webapp/page_cache.py ``PageFront``): cookieless anonymous readers get the app's own
finished answer from the cache before Flask runs, with the same headers, validators and 304s, and the API's rate
limit still counting them; anyone holding the site's cookies goes through Flask."""

from __future__ import annotations

import re

import pytest
from flask import request_started

from tests.editing_support import post
from tests.factories import make_package, make_user
from tests.helpers import password_hash
from webapp import page_cache
from webapp.extensions import db


@pytest.fixture
def listed(app):
    package = make_package(title="Frontline", slug="frontline")
    db.session.commit()
    return package


@pytest.fixture
def flask_requests(app):
    """How many requests entered Flask (the front answers without)."""
    seen = []

    def record(sender, **extra):
        seen.append(1)

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)


def test_a_warm_page_is_answered_before_flask_with_the_same_headers_and_body(client, listed, flask_requests,
                                                                            count_queries):
    first = client.get("/packages/p/frontline/")
    assert len(flask_requests) == 1
    with count_queries() as counter:
        second = client.get("/packages/p/frontline/")
    assert len(flask_requests) == 1, "the second answer came from the front"
    assert counter.count == 1  # the cache versions
    assert second.status_code == 200 and second.data == first.data
    assert dict(second.headers) == dict(first.headers)
    for header in ("ETag", "Last-Modified", "Content-Security-Policy", "Cache-Control", "Vary"):
        assert second.headers[header] == first.headers[header]


def test_the_front_answers_304s_and_head_like_the_app(client, listed, flask_requests):
    first = client.get("/packages/")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    flask_requests.clear()
    again = client.get("/packages/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert "Content-Type" not in again.headers
    assert client.get("/packages/", headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get("/packages/", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head("/packages/")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]
    assert not flask_requests


def test_a_write_is_seen_at_once_through_the_front(app, client, auth, listed):
    def users_shown() -> str:
        page = client.get("/packages/p/frontline/").get_data(as_text=True)
        return re.search(r'id="usage-count"><strong>(\d+)<', page).group(1)

    assert users_shown() == users_shown() == "0"
    editor = auth.client_for(make_user("front-editor", password_hash=password_hash()))
    saved = post(editor, "/packages/p/frontline/usage/", {"use": "1"})
    assert saved.status_code in (302, 303)
    assert users_shown() == "1"


def test_visitors_with_the_sites_cookies_go_through_flask(app, client, auth, listed, flask_requests):
    client.get("/packages/")
    flask_requests.clear()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    client.get("/packages/")
    assert len(flask_requests) == 1
    reader = auth.client_for(make_user("reader", password_hash=password_hash()))
    flask_requests.clear()
    signed_in = reader.get("/packages/")
    assert len(flask_requests) == 1
    assert "private" in signed_in.headers["Cache-Control"]


def test_other_cookies_and_query_strings_and_headers_are_keyed(client, listed, flask_requests):
    plain = client.get("/packages/")
    client.set_cookie("analytics", "1")
    flask_requests.clear()
    assert client.get("/packages/").data == plain.data
    assert not flask_requests, "a cookie the site does not read does not keep the page from the front"
    sorted_page = client.get("/packages/?sort=name")
    assert len(flask_requests) == 1
    gzipped = client.get("/packages/", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers.get("Content-Encoding") == "gzip"
    assert client.get("/packages/").headers.get("Content-Encoding") is None
    assert sorted_page.status_code == 200


def test_only_public_answers_are_stored(client, listed, flask_requests):
    assert client.get("/packages/p/missing/").status_code == 404
    flask_requests.clear()
    assert client.get("/packages/p/missing/").status_code == 404
    assert len(flask_requests) == 1, "a 404 is never kept"
    page_cache.clear()


def test_the_api_rate_limit_counts_answers_from_the_front(app, client, listed, monkeypatch, flask_requests):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 3)
    remaining = []
    for _ in range(3):
        response = client.get("/api/v4/packages/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert response.status_code == 200
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    assert len(flask_requests) == 1, "the second and third came from the front"
    refused = client.get("/api/v4/packages/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    other = client.get("/api/v4/packages/", environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "2"
