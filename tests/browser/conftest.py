"""Browser-test infrastructure: the app served on 127.0.0.1 in a thread, and Debian's Chromium via Playwright.

The live server runs the session ``app`` (tests/conftest.py) on the same database as the test, so data made
with ``tests.factories`` is what the browser sees; the autouse fixture empties every table before each test.
Only requests to the live server leave the browser: anything else is aborted, so no test reaches the internet.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.helpers import require_or_skip

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser/ is a browser test, marked or not."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class LiveServer:
    """Where the app is served: ``live_server.url`` or ``live_server("/path/")``."""

    url: str
    host: str
    port: int

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(app):
    """The session app served by werkzeug in a background thread on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", host="127.0.0.1", port=server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, launched by Playwright by its path (no browser is ever downloaded)."""
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}", env_flag="REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no cookies) for one test, allowed to talk to the live server only."""
    browser_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    browser_context.set_default_timeout(DEFAULT_TIMEOUT_MS)

    def only_live_server(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https") and (parts.hostname, parts.port) != (live_server.host, live_server.port):
            route.abort()
        else:
            route.continue_()

    browser_context.route("**/*", only_live_server)
    try:
        yield browser_context
    finally:
        browser_context.close()


@pytest.fixture
def page(context):
    """A tab in a fresh browser profile."""
    return context.new_page()
