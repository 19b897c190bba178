"""A fake GitHub: the OAuth authorize/token endpoints and the user API, on 127.0.0.1 in a thread.

It replays GitHub's documented answers from ``tests/fixtures/github_oauth/`` and can be told to deny the
authorization, fail the token endpoint, or describe odd profiles.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.server import FakeServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github_oauth"


def fixture(name: str):
    """A recorded GitHub answer, parsed."""
    return json.loads((FIXTURES / name).read_text())


class FakeGitHub(FakeServer):
    """GitHub's OAuth server at ``oauth_url`` and its REST API at ``api_url``.

    Change ``profile``/``emails`` to describe the person signing in; set ``deny`` to have them refuse,
    ``token_status`` to make the token endpoint fail, ``user_status`` to make ``/user`` fail.
    """

    def __init__(self, client_id: str = "fake-client-id", client_secret: str = "fake-client-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.profile: dict = fixture("user.json")
        self.emails: list | None = fixture("user_emails.json")
        self.deny = False
        self.token_status = 200
        self.user_status = 200
        self.codes: dict[str, str] = {}
        self.tokens: dict[str, dict] = {}
        self.log: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/login/oauth"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    def reset(self) -> None:
        """Back to the documented octocat, accepting every request."""
        with self._lock:
            self.profile = fixture("user.json")
            self.emails = fixture("user_emails.json")
            self.deny = False
            self.token_status = 200
            self.user_status = 200
            self.codes.clear()
            self.tokens.clear()
            self.log.clear()

    # -- behaviour ------------------------------------------------------------------------------------------

    def issue_code(self, redirect_uri: str) -> str:
        code = secrets.token_hex(10)
        with self._lock:
            self.codes[code] = redirect_uri
        return code

    def exchange(self, code: str, redirect_uri: str | None) -> str | None:
        """A new access token for a valid, unused code (codes are single-use), else ``None``."""
        with self._lock:
            expected = self.codes.pop(code, None)
            if expected is None or (redirect_uri is not None and redirect_uri != expected):
                return None
            token = "gho_" + secrets.token_hex(18)
            self.tokens[token] = {"profile": copy.deepcopy(self.profile), "emails": copy.deepcopy(self.emails)}
            return token


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _send_json(self, status: int, payload, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_text(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        self.github.log.append(("GET", url.path))
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/login/oauth/authorize":
            return self._authorize(query)
        if url.path in ("/api/user", "/api/user/emails"):
            return self._user_api(url.path)
        self._send_json(404, {"message": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        self.github.log.append(("POST", url.path))
        length = int(self.headers.get("Content-Length") or 0)
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        if url.path == "/login/oauth/access_token":
            return self._access_token(form)
        self._send_json(404, {"message": "Not Found"})

    def _authorize(self, query: dict) -> None:
        github = self.github
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != github.client_id or not redirect_uri:
            return self._send_text(404, "<h1>404 · This is not the web page you are looking for</h1>")
        separator = "&" if "?" in redirect_uri else "?"
        state = {"state": query["state"]} if "state" in query else {}
        if github.deny:
            params = {"error": "access_denied",
                      "error_description": "The user has denied your application access.",
                      "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-"
                                   "authorization-request-errors/#access-denied", **state}
            return self._redirect(redirect_uri + separator + urlencode(params))
        code = github.issue_code(redirect_uri)
        self._redirect(redirect_uri + separator + urlencode({"code": code, **state}))

    def _client_credentials(self, form: dict) -> tuple[str | None, str | None]:
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id, secret
        return form.get("client_id"), form.get("client_secret")

    def _access_token(self, form: dict) -> None:
        github = self.github
        if github.token_status != 200:
            return self._send_text(github.token_status, "<h1>Internal Server Error</h1>")
        client_id, secret = self._client_credentials(form)
        if client_id != github.client_id or secret != github.client_secret:
            return self._send_json(200, {"error": "incorrect_client_credentials",
                                         "error_description": "The client_id and/or client_secret passed are "
                                                             "incorrect."})
        token = github.exchange(form.get("code", ""), form.get("redirect_uri"))
        if token is None:
            return self._send_json(200, fixture("bad_verification_code.json"))
        answer = fixture("access_token.json")
        answer["access_token"] = token
        self._send_json(200, answer)

    def _user_api(self, path: str) -> None:
        github = self.github
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        grant = github.tokens.get(token) if scheme.lower() in ("bearer", "token") else None
        if grant is None:
            return self._send_json(401, fixture("bad_credentials.json"))
        if github.user_status != 200:
            return self._send_text(github.user_status, "<h1>Unicorn!</h1>")
        if path == "/api/user":
            return self._send_json(200, grant["profile"])
        if grant["emails"] is None:
            return self._send_json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        self._send_json(200, grant["emails"])


# The handler is defined below the fake it serves.
FakeGitHub.handler_class = _Handler
FakeGitHub.handler_attribute = "github"
FakeGitHub.thread_name = "fake-github"
