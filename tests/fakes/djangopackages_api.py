"""A fake djangopackages.org API v4 on 127.0.0.1, in a thread, for the importer tests.

It serves ``tests/fixtures/api/djangopackages-site.json`` (with the recorded seed package 2674) the way
Django REST framework does: a root listing the endpoints, lists with limit/offset pagination and absolute
``next``/``previous`` links, and detail pages by id. Pages can be made to fail with a 500, to answer a huge
streamed body, or to link ``next`` anywhere.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.server import FakeServer, huge_body, send_stream

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "api"
RECORDED_HOST = "https://djangopackages.org"


def seed_package() -> dict:
    """djangopackages.org's recorded answer for package 2674, as plain JSON (no ``?format=api``)."""
    text = (FIXTURES / "api-v4-package-2674.json").read_text(encoding="utf-8")
    return json.loads(text.replace("?format=api", ""))


def site_data() -> dict:
    """The fake site's objects: categories, listed and unlisted packages, grids."""
    data = json.loads((FIXTURES / "djangopackages-site.json").read_text(encoding="utf-8"))
    data["packages"] = [seed_package() if item == "SEED" else item for item in data["packages"]]
    return data


class FakeDjangoPackagesAPI(FakeServer):
    """The API at ``root`` (``http://127.0.0.1:PORT/api/v4/``).

    ``fail_pages`` holds ``(endpoint, offset)`` pairs answered with HTTP 500; ``flaky_pages`` maps such pairs
    to how many more times they answer 503 before answering normally; ``huge_pages`` maps such pairs to
    a body size in bytes, streamed as it is generated; ``next_links`` maps an endpoint to a function of
    ``(offset, limit)`` giving the ``next`` link its pages carry; ``log`` records every path asked.
    """

    def __init__(self) -> None:
        self.data = site_data()
        self.fail_pages: set[tuple[str, int]] = set()
        self.flaky_pages: dict[tuple[str, int], int] = {}
        self.huge_pages: dict[tuple[str, int], int] = {}
        self.next_links: dict[str, Callable[[int, int], str | None]] = {}
        self.log: list[str] = []
        self._lock = threading.Lock()

    @property
    def root(self) -> str:
        return f"{self.base_url}/api/v4/"

    def requested(self, path_and_query: str) -> int:
        """How many times a path (with its query, as sent) was asked for."""
        with self._lock:
            return self.log.count(path_and_query)

    # What each URL answers --------------------------------------------------------------------------------

    def _objects(self, endpoint: str) -> list:
        return self.data[endpoint]

    def _detail(self, endpoint: str, object_id: str):
        pool = list(self.data[endpoint])
        if endpoint == "packages":
            pool += self.data["unlisted_packages"]
        for item in pool:
            if isinstance(item, dict) and str(item.get("id")) == object_id:
                return item
        return None

    def answer(self, path: str, query: str) -> tuple[int, object]:
        arguments = parse_qs(query)
        parts = [part for part in path.split("/") if part]
        if parts[:2] != ["api", "v4"]:
            return 404, {"detail": "Not found."}
        if len(parts) == 2:
            return 200, {name: f"{RECORDED_HOST}/api/v4/{name}/" for name in
                         ("packages", "search", "grids", "categories")}
        endpoint = parts[2]
        if endpoint not in ("packages", "categories", "grids"):
            return 404, {"detail": "Not found."}
        if len(parts) == 4:
            item = self._detail(endpoint, parts[3])
            return (200, item) if item is not None else (404, {"detail": "Not found."})
        try:
            limit = int(arguments.get("limit", ["20"])[0])
            offset = int(arguments.get("offset", ["0"])[0])
        except ValueError:
            return 400, {"detail": "Bad limit or offset."}
        if (endpoint, offset) in self.fail_pages:
            return 500, "<h1>Server Error (500)</h1>"
        if self.flaky_pages.get((endpoint, offset), 0) > 0:
            self.flaky_pages[(endpoint, offset)] -= 1
            return 503, "<h1>Service Unavailable (503)</h1>"
        if (endpoint, offset) in self.huge_pages:
            return 200, huge_body(self.huge_pages[(endpoint, offset)])
        objects = self._objects(endpoint)
        url = f"{RECORDED_HOST}{path}"

        def link(new_offset: int | None) -> str:
            query_arguments = {key: values[0] for key, values in arguments.items()}
            query_arguments["limit"] = str(limit)
            if new_offset:
                query_arguments["offset"] = str(new_offset)
            else:
                query_arguments.pop("offset", None)
            return f"{url}?{urlencode(sorted(query_arguments.items()))}"

        next_link = link(offset + limit) if offset + limit < len(objects) else None
        if endpoint in self.next_links:
            next_link = self.next_links[endpoint](offset, limit)
        return 200, {
            "count": len(objects),
            "next": next_link,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "results": objects[offset:offset + limit],
        }


class _Handler(BaseHTTPRequestHandler):
    api: FakeDjangoPackagesAPI

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self):  # noqa: N802
        parts = urlsplit(self.path)
        with self.api._lock:
            self.api.log.append(self.path)
        status, body = self.api.answer(parts.path, parts.query)
        if callable(body):  # a streamed body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            send_stream(self, body())
            return
        if isinstance(body, str):
            payload, content_type = body.encode(), "text/html; charset=utf-8"
        else:
            text = json.dumps(body).replace(RECORDED_HOST, self.api.base_url)
            payload, content_type = text.encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


# The handler is defined below the fake it serves.
FakeDjangoPackagesAPI.handler_class = _Handler
FakeDjangoPackagesAPI.handler_attribute = "api"
FakeDjangoPackagesAPI.thread_name = "fake-djangopackages"
