"""A fake "other host" on 127.0.0.1 that answers every GET and records what it was sent (path and headers).

Tests point redirects and pagination links at it to prove that no request, and so no token, reaches it; and
point a fetch client at it to see the exact API paths a handler builds.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.fakes.server import FakeServer


@dataclass
class Seen:
    path: str  # as sent on the request line: path and query, still percent-encoded
    headers: dict[str, str]


class RecordingHost(FakeServer):
    """Answers ``status`` with ``body`` (JSON) to every GET, and keeps each request in ``seen``."""

    def __init__(self, status: int = 404, body: object = None) -> None:
        self.status = status
        self.body = body if body is not None else {"message": "Not Found"}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.seen.append(Seen(path, headers))


class _Handler(BaseHTTPRequestHandler):
    host: RecordingHost
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.host.record(self.path, {name.lower(): value for name, value in self.headers.items()})
        payload = json.dumps(self.host.body).encode()
        self.send_response(self.host.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


RecordingHost.handler_class = _Handler
RecordingHost.handler_attribute = "host"
RecordingHost.thread_name = "fake-recording-host"
