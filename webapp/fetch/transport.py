"""Bounded HTTP GETs for everything that reads other servers (the fetch service, the djangopackages importer).

``requests`` alone limits only the wait between two bytes, reads a body whole whatever its size, and follows
redirects to any host with the session's custom headers (GitLab's ``PRIVATE-TOKEN``) still attached. Here:

- **a total deadline** per request: connect, headers and body together. A watchdog shuts the socket down
  when it passes, so a server that drips a byte at a time cannot hold the caller longer;
- **a size cap** on the body, counted after decompression: a declared ``Content-Length`` over it is refused
  without reading, and a streamed body is dropped as soon as it passes the cap;
- **redirects followed by hand**, each one only to an address the caller allows (its API base, its site):
  a session's credentials never leave it.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from typing import Callable, Mapping
from urllib.parse import unquote, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from webapp.text import describe_size

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


class TransportError(Exception):
    """A request that was given up: its message says why, for the caller's report."""


class TooLarge(TransportError):
    """The answer is bigger than the caller accepts."""


class DeadlineExceeded(TransportError):
    """The request (connect, headers and body) took longer than its deadline."""


class RedirectRefused(TransportError):
    """A redirect to an address the caller does not allow (another host, outside the API), or too many."""


def has_dot_segments(path: str) -> bool:
    """Whether a URL path has ``.``/``..`` segments, written plainly or percent-encoded (``%2e%2e``):
    clients and servers resolve them, so such a path can leave the prefix it seems to be under."""
    return any(unquote(segment) in (".", "..") for segment in path.split("/"))


# The watchdog ------------------------------------------------------------------------------------------------

class _Watchdog:
    """Shuts down the sockets of one request when its deadline passes (unblocking any read in progress)."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.done = False
        self.until = time.monotonic() + max(seconds, 0.0)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "_Watchdog":
        _current.watchdog = self
        _reaper.add(self)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.done = True
            self._sockets.clear()
        _current.watchdog = None

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)


class _Reaper:
    """One thread for all watchdogs (a timer thread per request would cost more than a fast request):
    it sleeps until the earliest deadline and expires the watchdogs whose request is still running."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, watchdog: _Watchdog) -> None:
        with self._wake:
            heapq.heappush(self._heap, (watchdog.until, next(self._order), watchdog))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="http-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    watchdog = heapq.heappop(self._heap)[2]
                    if not watchdog.done:
                        watchdog.expire()
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


_reaper = _Reaper()


def _new_reaper_after_fork() -> None:
    global _reaper
    _reaper = _Reaper()  # the parent's thread (and maybe its held lock) did not come along


os.register_at_fork(after_in_child=_new_reaper_after_fork)


def _shutdown(sock: socket.socket) -> None:
    try:
        # The plain socket's method: an SSL socket's own shutdown() would also drop its TLS state under the
        # thread that is reading.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


_current = threading.local()


class _WatchedConnection:
    """Hands the socket of each request to the calling thread's watchdog (new and reused connections)."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self.sock)  # type: ignore[attr-defined]

    def request(self, *args, **kwargs):
        _watch(self.sock)  # type: ignore[attr-defined]
        return super().request(*args, **kwargs)  # type: ignore[misc]


def _watch(sock) -> None:
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(sock)


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class BoundedAdapter(HTTPAdapter):
    """An adapter whose connections report their sockets to the watchdog of :func:`bounded_get`."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def mount_bounded_adapter(session: requests.Session, *, pool_size: int = 10, retries: Retry | int = 0) -> None:
    """Make ``session`` use :class:`BoundedAdapter` for http and https; ``retries`` as urllib3 takes them
    (none by default). Retries happen inside :func:`bounded_get`, so its deadline covers them and their waits."""
    adapter = BoundedAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=retries)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


# The request --------------------------------------------------------------------------------------------------

def bounded_get(session: requests.Session, url: str, *, headers: Mapping[str, str] | None = None,
                timeout: float, deadline: float, max_bytes: int,
                allow: Callable[[str], bool]) -> tuple[requests.Response, int]:
    """GET ``url`` within ``deadline`` seconds in all, reading at most ``max_bytes`` of body.

    ``timeout`` bounds each wait for the server (connect, every read). Redirects are followed only to URLs
    ``allow`` accepts, with the same headers. Returns the final response, its body read (``.content``),
    and the number of requests sent. Raises :class:`TooLarge`, :class:`DeadlineExceeded`,
    :class:`RedirectRefused`, or ``requests.RequestException`` for network errors.
    The session should have :func:`mount_bounded_adapter`; without it the body is still checked against
    the deadline after each chunk, but a stalled read lasts up to ``timeout``.
    """
    started = time.monotonic()
    sent = 0
    for _ in range(MAX_REDIRECTS + 1):
        remaining = deadline - (time.monotonic() - started)
        if remaining <= 0:
            raise DeadlineExceeded(f"took longer than {deadline:g} s")
        sent += 1
        with _Watchdog(remaining) as watchdog:
            try:
                response = session.get(url, headers=dict(headers or {}), allow_redirects=False, stream=True,
                                       timeout=(min(timeout, remaining), min(timeout, remaining)))
                try:
                    _read_body(response, max_bytes, started, deadline)
                except BaseException:
                    response.close()
                    raise
            except (requests.RequestException, OSError) as error:
                if watchdog.expired or time.monotonic() - started >= deadline:
                    raise DeadlineExceeded(f"took longer than {deadline:g} s") from error
                raise
        if watchdog.expired:  # the body ended early because the watchdog closed the socket
            response.close()
            raise DeadlineExceeded(f"took longer than {deadline:g} s")
        location = response.headers.get("Location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return response, sent
        target = urljoin(response.url, location)
        if not allow(target):
            parts = urlsplit(target)
            raise RedirectRefused(f"redirected to {parts.scheme}://{parts.netloc}{parts.path}, which is not "
                                  "followed")
        url = target
    raise RedirectRefused(f"more than {MAX_REDIRECTS} redirects")


def _read_body(response: requests.Response, max_bytes: int, started: float, deadline: float) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"answer larger than {describe_size(max_bytes)} ({describe_size(int(declared))} "
                       "declared)")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"answer larger than {describe_size(max_bytes)}")
        if time.monotonic() - started > deadline:
            raise DeadlineExceeded(f"took longer than {deadline:g} s")
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what .content, .text and .json() read from now on
    response._content_consumed = True
