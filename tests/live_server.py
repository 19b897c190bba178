"""The app served by gunicorn in its own process, on the tests' database, for tests that need real parallel
requests (several worker processes, each with its own database connections).

``gunicorn_server`` (module scope) starts ``gunicorn --workers 2`` (sync workers) on a free 127.0.0.1 port with
``DATABASE_URL`` set to the session app's database (the temporary SQLite file, or ``TEST_DATABASE_URL``):
whatever a test commits with ``tests.factories`` is what the server reads. Use it from a test module with
``from tests.live_server import gunicorn_server  # noqa: F401``. :class:`Browser` is one person's
``requests.Session`` on it (sign in, CSRF token from the page's ``<meta name="csrf-token">``), and
:func:`simultaneously` fires calls at the same moment from threads held at a ``threading.Barrier``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the server process: the tests' database and secret, nothing remote, no throttles."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "REDIS_URL": "",
        "FETCH_NEW_PACKAGES": "off",
        "API_RATE_LIMIT": "0",
        # The tests sign the same accounts in again and again from one address.
        "RATELIMIT_ENABLED": "0",
        # Nothing may reach the internet: remote services point at a closed local port.
        **{key: "http://127.0.0.1:9" for key in (
            "GITHUB_API_URL", "GITLAB_API_URL", "BITBUCKET_API_URL", "CODEBERG_API_URL", "PYPI_URL",
            "GITHUB_OAUTH_URL")},
        "GITHUB_CLIENT_ID": "",
        "GITHUB_CLIENT_SECRET": "",
    })
    env.update(extra)
    return env


@dataclass
class GunicornServer:
    """A running server: ``server.url`` or ``server("/path/")``."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve(database_url: str, *, workers: int = 2, **env: str) -> Iterator[GunicornServer]:
    """Run ``gunicorn 'webapp:create_app()'`` with ``workers`` sync workers until the block ends."""
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False) as log_file:
        log_path = Path(log_file.name)
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "2",
               # The app is built once, before the fork, so every worker answers from the first request on.
               "--preload", "--config", "python:webapp.gunicorn_conf", "--log-level", "warning", "webapp:create_app()"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=server_environment(database_url, **env),
                                   stdout=log, stderr=subprocess.STDOUT)
    server = GunicornServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log_path.unlink(missing_ok=True)


def _wait_until_up(server: GunicornServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            requests.get(server("/accounts/login/"), timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT}s:\n{server.log()}")


@pytest.fixture(scope="module")
def gunicorn_server(app):
    """The app in a gunicorn process with two sync workers, on the session app's database."""
    with serve(app.config["SQLALCHEMY_DATABASE_URI"]) as server:
        yield server


class Browser:
    """One person's ``requests.Session`` on a live server, sending forms with their CSRF token."""

    def __init__(self, server: GunicornServer) -> None:
        self.server = server
        self.session = requests.Session()
        self.token = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.server(path), timeout=REQUEST_TIMEOUT, **kwargs)

    def refresh_token(self, path: str = "/") -> str:
        """Read the CSRF token of this session from a page."""
        match = CSRF_META.search(self.get(path).text)
        if match is None and path != "/accounts/login/":  # an anonymous page carries none (webapp/http_cache.py)
            return self.refresh_token("/accounts/login/")
        assert match, f"no CSRF token on {path}"
        self.token = match.group(1)
        return self.token

    def sign_in(self, username: str, password: str) -> Browser:
        token = self.refresh_token("/accounts/login/")
        response = self.session.post(self.server("/accounts/login/"), timeout=REQUEST_TIMEOUT, allow_redirects=False,
                                     data={"csrf_token": token, "username": username, "password": password})
        assert response.status_code == 302, (response.status_code, response.text[:2000])
        self.refresh_token()  # signing in starts a new session
        return self

    def post(self, path: str, data: dict | None = None, *, htmx: bool = False) -> requests.Response:
        """POST like the site's pages: the form's CSRF token, or HTMX's header."""
        data = dict(data or {})
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": self.token}
        else:
            data.setdefault("csrf_token", self.token)
        return self.session.post(self.server(path), data=data, headers=headers, timeout=REQUEST_TIMEOUT,
                                 allow_redirects=False)


def simultaneously(*calls: Callable[[], object]) -> list:
    """Run ``calls`` in threads released together by a barrier; their results in order (exceptions re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=REQUEST_TIMEOUT)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 (handed to the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    if errors:
        raise errors[0]
    return results
