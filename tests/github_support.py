"""A fake GitHub on 127.0.0.1 for "Sign in with GitHub" (fixtures ``fake_github`` and ``github``) and the
redirect dance through it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from tests.fakes.oauth_server import FakeGitHub


@pytest.fixture(scope="module")
def fake_github():
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def github(app, fake_github, monkeypatch):
    """GitHub sign-in switched on and pointed at the fake server, reset to the documented octocat."""
    fake_github.reset()
    monkeypatch.setitem(app.config, "GITHUB_CLIENT_ID", fake_github.client_id)
    monkeypatch.setitem(app.config, "GITHUB_CLIENT_SECRET", fake_github.client_secret)
    monkeypatch.setitem(app.config, "GITHUB_OAUTH_URL", fake_github.oauth_url)
    monkeypatch.setitem(app.config, "GITHUB_API_URL", fake_github.api_url)
    monkeypatch.setitem(app.config, "FETCH_TIMEOUT", 5)
    return fake_github


def start(client, github: FakeGitHub, path: str = "/accounts/github/login/") -> str:
    """Begin signing in; return GitHub's authorize URL the site sent the browser to."""
    response = client.get(path)
    assert response.status_code == 302
    authorize = response.location
    assert authorize.startswith(github.oauth_url + "/authorize?")
    return authorize


def authorize(authorize_url: str) -> str:
    """Play the person clicking "Authorize" on GitHub: return the callback path with its query."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == "/accounts/github/callback/"
    return f"{callback.path}?{callback.query}"


def dance(client, github: FakeGitHub, path: str = "/accounts/github/login/"):
    """The full round trip; return the site's answer to the callback."""
    return client.get(authorize(start(client, github, path)))
