"""The part every fake remote service shares: an HTTP server on 127.0.0.1 in a background thread."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    """Threaded server that does not print a traceback when a client hangs up early."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class FakeServer:
    """Base of the fakes: ``start()``/``stop()`` or ``with``, and ``base_url``.

    Subclasses name their request handler class and the attribute under which the handler finds the fake.
    """

    handler_class: type[BaseHTTPRequestHandler]
    handler_attribute: str
    thread_name = "fake-server"

    _server: QuietThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self, port: int = 0):
        handler = type(f"{type(self).__name__}Handler", (self.handler_class,), {self.handler_attribute: self})
        self._server = QuietThreadingHTTPServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"


# Bodies too big to hold, or sent slowly on purpose --------------------------------------------------------

def huge_body(size: int, chunk: int = 1024 * 1024) -> Callable[[], Iterator[bytes]]:
    """``size`` bytes of a JSON-looking body, made a chunk at a time (never held in memory whole)."""
    def produce() -> Iterator[bytes]:
        yield b'{"padding": "'
        sent = len(b'{"padding": "')
        block = b"x" * chunk
        while sent < size:
            piece = block[:min(chunk, size - sent)]
            sent += len(piece)
            yield piece
    return produce


def dripping_body(interval: float, length: int = 1000) -> Callable[[], Iterator[bytes]]:
    """A body sent one byte every ``interval`` seconds."""
    def produce() -> Iterator[bytes]:
        for _ in range(length):
            yield b" "
            time.sleep(interval)
    return produce


def send_stream(handler: BaseHTTPRequestHandler, chunks: Iterator[bytes]) -> None:
    """End the headers and send ``chunks`` as they come (the body ends when the connection closes, unless
    a Content-Length was sent); stops when the client hangs up."""
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    try:
        for chunk in chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
