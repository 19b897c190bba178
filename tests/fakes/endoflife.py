"""A fake endoflife.date API on 127.0.0.1, in a thread: ``GET /api/<product>.json`` answers the copies of its
answers kept in ``tests/fixtures/endoflife/``. A product can be made to answer an error status or a body
that is not the API's list (``faults``), or a list of the test's own (``answers``)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.fakes.server import FakeServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "endoflife"


class FakeEndOfLife(FakeServer):
    """``url`` is what ``ENDOFLIFE_URL`` is set to; ``log`` records every path asked."""

    thread_name = "fake-endoflife"

    def __init__(self) -> None:
        self.answers: dict[str, object] = {path.stem: json.loads(path.read_text(encoding="utf-8"))
                                           for path in sorted(FIXTURES.glob("*.json"))}
        self.faults: dict[str, tuple[int, bytes]] = {}  # product -> (status, body)
        self.log: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{self.base_url}/api"

    def fail(self, product: str, status: int = 500, body: bytes = b"Internal Server Error") -> None:
        """Answer ``product`` with ``status`` and ``body`` from now on."""
        self.faults[product] = (status, body)

    def answer(self, path: str) -> tuple[int, bytes]:
        with self._lock:
            self.log.append(path)
        if not (path.startswith("/api/") and path.endswith(".json")):
            return 404, b'{"message": "Not Found"}'
        product = path[len("/api/"):-len(".json")]
        if product in self.faults:
            return self.faults[product]
        if product not in self.answers:
            return 404, b'{"message": "Product not found"}'
        return 200, json.dumps(self.answers[product]).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeEndOfLife
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, body = self.fake.answer(self.path.split("?", 1)[0])
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


FakeEndOfLife.handler_class = _Handler
FakeEndOfLife.handler_attribute = "fake"
