"""``POST /packages/github-webhook/``: signed GitHub push events refresh the pushed repository's packages."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.fetch_support import package, reload
from webapp.fetch.jobs import job_id_for

SECRET = "webhook-secret-for-tests"
URL = "/packages/github-webhook/"


@pytest.fixture
def secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "GITHUB_WEBHOOK_SECRET", SECRET)
    return SECRET


def push(html_url: str = "https://github.com/django/deps", ref: str = "refs/heads/main") -> bytes:
    """The parts of GitHub's push payload the webhook reads, with some of the rest."""
    return json.dumps({
        "ref": ref, "before": "b6e6448160fccb04cf04c6015ce04e698fb56d63",
        "after": "bd84846d4b2cf39df415706bdebf58add25999f6",
        "repository": {"id": 18764735, "full_name": "django/deps", "html_url": html_url, "default_branch": "main",
                       "master_branch": "main"},
        "pusher": {"name": "thibaudcolas"}, "commits": [],
    }).encode()


def signed(body: bytes, key: str = SECRET) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def post(client, body: bytes, *, event: str = "push", signature: str | None = None):
    headers = {"X-GitHub-Event": event, "Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post(URL, data=body, headers=headers)


def test_a_signed_push_refreshes_the_matching_package(client, remote, secret):
    deps = package("https://github.com/Django/Deps")  # compared in canonical form, whatever the case
    other = package("https://github.com/pydanny/dj-paginator")
    body = push()

    response = post(client, body, signature=signed(body))

    assert response.status_code == 200
    assert response.json["packages"] == ["deps"]
    assert response.json["statuses"] == {"deps": "updated"}
    assert reload(deps).repo_watchers == 401
    assert reload(other).last_fetched is None


@pytest.mark.parametrize("signature", [None, "", "sha256=", "sha1=abc", signed(push(), "another-secret"),
                                       signed(push() + b" ")])
def test_unsigned_or_wrongly_signed_calls_get_403(client, remote, secret, signature):
    deps = package("https://github.com/django/deps")

    response = post(client, push(), signature=signature)

    assert response.status_code == 403
    assert "X-Hub-Signature-256" in response.json["detail"]
    assert remote.hits == []
    assert reload(deps).last_fetched is None


def test_without_a_configured_secret_every_call_gets_403(client, remote, app, monkeypatch):
    monkeypatch.setitem(app.config, "GITHUB_WEBHOOK_SECRET", "")
    body = push()

    assert post(client, body, signature=signed(body, "")).status_code == 403


def test_ping_and_other_events(client, remote, secret):
    package("https://github.com/django/deps")
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()

    assert post(client, ping, event="ping", signature=signed(ping)).json == {"detail": "pong"}
    star = json.dumps({"action": "created"}).encode()
    answer = post(client, star, event="star", signature=signed(star))
    assert answer.status_code == 200 and answer.json["packages"] == []
    assert remote.hits == []


def test_pushes_to_other_branches_and_unknown_repositories_fetch_nothing(client, remote, secret):
    package("https://github.com/django/deps")
    branch = push(ref="refs/heads/feature")
    unknown = push(html_url="https://github.com/someone/else")

    assert post(client, branch, signature=signed(branch)).json["packages"] == []
    assert post(client, unknown, signature=signed(unknown)).json["packages"] == []
    assert remote.hits == []


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"repository": {"html_url": 7}}).encode()])
def test_a_malformed_push_is_a_400(client, remote, secret, body):
    response = post(client, body, signature=signed(body))

    assert response.status_code == 400
    assert response.json["detail"] == "A push payload names its repository in repository.html_url."


def test_with_redis_the_push_is_queued_in_one_query(client, remote, secret, queue, count_queries):
    deps = package("https://github.com/django/deps")
    body = push()

    with count_queries() as counter:
        response = post(client, body, signature=signed(body))

    assert response.json["statuses"] == {"deps": "queued"}
    assert queue.job_ids == [job_id_for(deps.id)]
    assert counter.count == 1
    assert remote.hits == []
