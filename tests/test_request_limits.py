"""Request bodies are limited (``MAX_CONTENT_LENGTH``): an oversized POST is refused with 413 before it is read."""

from __future__ import annotations

import io
import re

import pytest

from tests.editing_support import post

OVERSIZED = str(400 * 1024 * 1024)  # what the request says it carries; the test never sends it


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client asks where the stream starts
        return True

    def tell(self) -> int:
        return 0

    def seek(self, *args) -> int:
        return 0

    def readinto(self, buffer) -> int:
        raise AssertionError("the oversized body was read")


def post_oversized(client, path: str, content_type: str = "application/x-www-form-urlencoded", **headers):
    return client.post(path, input_stream=UnreadableBody(), content_type=content_type, headers=headers,
                       environ_overrides={"CONTENT_LENGTH": OVERSIZED})


def post_routes(app) -> list[str]:
    """Every URL that takes a POST, generated from the URL map (``<int:...>`` parts as 1, others as a slug)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()):
            paths.add(re.sub(r"<(?:([^:>]+):)?[^>]+>", lambda m: "1" if m.group(1) == "int" else "widget", rule.rule))
    return sorted(paths)


def test_an_oversized_webhook_call_is_refused_in_json_before_being_read(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "GITHUB_WEBHOOK_SECRET", "s3cret")
    response = post_oversized(client, "/packages/github-webhook/", "application/json",
                              **{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert response.status_code == 413
    assert response.get_json() == {"detail": "That request is too large: this site accepts at most 1 MB per request."}


def test_an_oversized_form_is_refused_with_a_page_before_being_read(client, people, auth):  # noqa: F811
    auth.sign_in(people.other)
    response = post_oversized(client, "/packages/add/")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "this site accepts at most 1 MB per request" in response.get_data(as_text=True)


def test_every_post_route_refuses_an_oversized_body_unread(client, app, people, auth):  # noqa: F811
    auth.sign_in(people.staff)
    paths = post_routes(app)
    assert "/packages/add/" in paths and "/packages/github-webhook/" in paths
    answers = {path: post_oversized(client, path).status_code for path in paths}
    # The read-only API answers POST with 405 without reading anything; every form and the webhook with 413.
    assert answers == {path: 405 if path.startswith("/api/") else 413 for path in paths}


def test_the_limit_comes_from_max_content_length(client, app, monkeypatch, people, auth):  # noqa: F811
    auth.sign_in(people.other)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = post(client, "/packages/add/", {"title": "x" * 3000})
    assert response.status_code == 413
    assert "at most 2 KB per request" in response.get_data(as_text=True)
    response = post(client, "/packages/add/", {"title": "Widget"})
    assert response.status_code == 422  # a normal form is read as before (and is incomplete)


def test_a_too_long_form_field_is_a_413_that_says_so(client, app, monkeypatch, people, auth):  # noqa: F811
    auth.sign_in(people.other)
    monkeypatch.setitem(app.config, "MAX_FORM_MEMORY_SIZE", 700)  # applies to each multipart text field
    response = post(client, "/packages/add/", {"title": "x" * 1000}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "a field is longer than this site accepts" in response.get_data(as_text=True)


@pytest.mark.parametrize("variable, value", [("MAX_CONTENT_LENGTH", "5000"), ("MAX_FORM_MEMORY_SIZE", "700"),
                                             ("MAX_FORM_PARTS", "9")])
def test_limits_are_read_from_the_environment(monkeypatch, variable, value):
    from webapp.config import load_config

    monkeypatch.setenv(variable, value)
    assert load_config("/tmp")[variable] == int(value)
