"""HTTP for the fetch service: one session per host, conditional requests, quota, retries.

Every remote host gets one :class:`HostClient`, shared by all the threads of a run. It

- sends the ETag / Last-Modified a package stored last time (``If-None-Match`` /
  ``If-Modified-Since``), so an unchanged resource costs a 304 (free of GitHub quota);
- reads ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (GitHub), ``RateLimit-*`` (GitLab)
  and ``Retry-After`` from every response and pauses every thread while the quota is spent,
  instead of failing, and never asks a rate-limit endpoint;
- retries timeouts, connection errors, 5xx and malformed bodies with exponential backoff, then
  raises :class:`FetchError`, which the service records on the package;
- bounds every request (a total deadline, a body size cap: :mod:`webapp.fetch.transport`) and every
  package (:func:`package_deadline`: all its requests, retries and backoff together);
- sends requests, and so the host's token, only under its API base: links (``Link: next``, Bitbucket's
  ``next``) and redirects that lead elsewhere are refused.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import urlsplit

import requests

from webapp.fetch.transport import (
    DeadlineExceeded,
    RedirectRefused,
    TooLarge,
    bounded_get,
    has_dot_segments,
    mount_bounded_adapter,
)

logger = logging.getLogger(__name__)

# A 403/429 that says neither when to retry nor when the quota resets: GitHub asks to wait a minute.
DEFAULT_RATE_LIMIT_PAUSE = 60.0
# Rate-limit answers in a row for one request before the package is left for a later run.
MAX_RATE_LIMIT_ROUNDS = 5


class FetchError(Exception):
    """A remote host answered badly, even after retries; recorded on the package."""


class NotFound(FetchError):
    """The remote resource does not exist (404 or 410)."""


class Deadline:
    """The time one package's fetch (or a web request's fetches) may still take.

    ``soft`` seconds count only time spent talking to hosts: a pause for a spent quota (allowed up to the
    client's ``max_wait``) moves it on. ``hard_until`` (a ``time.monotonic()`` value) never moves: a web
    request must answer before its worker is killed, so there a quota pause longer than what is left is
    not waited for.
    """

    def __init__(self, soft: float | None, hard_until: float | None = None) -> None:
        self.seconds = soft
        self.soft_until = time.monotonic() + soft if soft is not None else None
        self.hard_until = hard_until
        self._lock = threading.Lock()

    def remaining(self) -> float | None:
        """Seconds left (``None`` when unbounded)."""
        ends = [end for end in (self.soft_until, self.hard_until) if end is not None]
        return min(ends) - time.monotonic() if ends else None

    def hard_remaining(self) -> float | None:
        return self.hard_until - time.monotonic() if self.hard_until is not None else None

    def paused(self, seconds: float) -> None:
        with self._lock:
            if self.soft_until is not None:
                self.soft_until += seconds


_deadline: ContextVar[Deadline | None] = ContextVar("fetch_deadline", default=None)


@contextmanager
def package_deadline(seconds: float | None, hard_until: float | None = None) -> Iterator[Deadline]:
    """Every :meth:`HostClient.get` in this block (this thread) shares one :class:`Deadline`."""
    deadline = Deadline(seconds, hard_until)
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


class QuotaExhausted(Exception):
    """A host's API quota is spent for longer than this run may wait; the package is left for later."""

    def __init__(self, host: str, resume_at: float):
        super().__init__(f"{host} API quota spent until {time.strftime('%H:%M:%S UTC', time.gmtime(resume_at))}")
        self.host = host
        self.resume_at = resume_at


@dataclass
class CacheEntry:
    etag: str = ""
    last_modified: str = ""
    body: str | None = None


class ConditionalCache:
    """The validators one package stored, and those this fetch learnt (written only if it succeeds)."""

    def __init__(self, entries: Mapping[str, CacheEntry] | None = None):
        self.entries = dict(entries or {})
        self.updates: dict[str, CacheEntry] = {}

    def request_headers(self, url: str) -> dict[str, str]:
        entry = self.entries.get(url)
        headers = {}
        if entry and entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry and entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return headers

    def body(self, url: str) -> str | None:
        entry = self.updates.get(url) or self.entries.get(url)
        return entry.body if entry else None

    def remember(self, url: str, etag: str, last_modified: str, body: str | None) -> None:
        if etag or last_modified:
            self.updates[url] = CacheEntry(etag=etag, last_modified=last_modified, body=body)


@dataclass
class Reply:
    """A usable answer: 200 (``data`` parsed), 304 (``data`` rebuilt from the cache), or another expected code."""

    status: int
    url: str
    headers: Mapping[str, str]
    data: Any = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def link(self, rel: str) -> str | None:
        """The URL of an RFC 8288 ``Link`` header relation (GitHub, GitLab, Forgejo pagination)."""
        for part in self.headers.get("Link", "").split(","):
            pieces = part.split(";")
            if len(pieces) < 2:
                continue
            target = pieces[0].strip()
            if not (target.startswith("<") and target.endswith(">")):
                continue
            if any(piece.strip().replace('"', "") == f"rel={rel}" for piece in pieces[1:]):
                return target[1:-1]
        return None


class Quota:
    """What one host's responses say about its API quota; shared by the threads of a run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.blocked_until: float = 0.0
        self._paused_until = 0.0

    def update(self, headers: Mapping[str, str]) -> None:
        remaining = _int(headers.get("X-RateLimit-Remaining", headers.get("RateLimit-Remaining")))
        reset = _int(headers.get("X-RateLimit-Reset", headers.get("RateLimit-Reset")))
        limit = _int(headers.get("X-RateLimit-Limit", headers.get("RateLimit-Limit")))
        if remaining is None:
            return
        with self._lock:
            if limit is not None:
                self.limit = limit
            # Responses of concurrent requests arrive out of order: within one window keep the lowest.
            if reset is not None and (self.reset_at is None or reset > self.reset_at):
                self.reset_at, self.remaining = float(reset), remaining
            elif self.remaining is None or remaining < self.remaining:
                self.remaining = remaining

    def block(self, until: float) -> None:
        with self._lock:
            self.blocked_until = max(self.blocked_until, until)

    def note_pause(self, now: float, wait: float) -> float:
        """Record a pause of ``wait`` seconds from ``now``; returns how much of it is new wall-clock time
        (threads pausing together for the same reset count once)."""
        with self._lock:
            new = max(0.0, now + wait - max(self._paused_until, now))
            self._paused_until = max(self._paused_until, now + wait)
            return new

    def wait_time(self, now: float) -> float:
        """Seconds to wait before the next request may be sent (0 when it may go now)."""
        with self._lock:
            if self.blocked_until > now:
                return self.blocked_until - now
            if self.remaining is not None and self.remaining <= 0 and self.reset_at and self.reset_at > now:
                return self.reset_at - now + 1
            return 0.0


@dataclass
class HostStats:
    requests: int = 0
    not_modified: int = 0
    rate_limited: int = 0
    retried: int = 0
    paused: float = 0.0  # wall-clock seconds this run waited for the quota to come back


def _port(parts) -> int | None:
    """The port of a split URL, its scheme's default when absent."""
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    seconds = _int(value)
    if seconds is not None:
        return now + max(seconds, 0)
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def rate_limited_until(response: requests.Response, now: float) -> float | None:
    """When a rate-limited answer (429, or a 403 that says so) allows the next request; else ``None``."""
    status = response.status_code
    headers = response.headers
    if status == 403:
        says_so = (headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in headers
                   or b"rate limit" in response.content[:2000].lower())
        if not says_so:
            return None
    elif status != 429:
        return None
    retry_after = _retry_after(headers.get("Retry-After"), now)
    if retry_after is not None:
        return retry_after
    if headers.get("X-RateLimit-Remaining", headers.get("RateLimit-Remaining")) == "0":
        reset = _int(headers.get("X-RateLimit-Reset", headers.get("RateLimit-Reset")))
        if reset is not None:
            return float(reset) + 1
    return now + DEFAULT_RATE_LIMIT_PAUSE


class HostClient:
    """GET JSON from one host, with conditional requests, quota pauses and retries."""

    def __init__(self, name: str, base_url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0,
                 retries: int = 2, backoff: float = 1.0, max_wait: float = 3900.0, pool_size: int = 4,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 deadline: float = 30.0, max_bytes: int = 20 * 1024 * 1024):
        self.name = name
        self.base_url = base_url.rstrip("/")
        base = urlsplit(self.base_url)
        self._origin = (base.scheme.lower(), (base.hostname or "").lower(), _port(base))
        self._base_path = base.path.rstrip("/")
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.quota = Quota()
        self.stats = HostStats()
        self._stats_lock = threading.Lock()
        self.session = requests.Session()
        mount_bounded_adapter(self.session, pool_size=pool_size)
        self.session.headers.update(headers or {})
        # Proxy and CA settings come from the environment once, not on every request (requests rereads
        # the whole environment per request otherwise, a measurable cost at thousands of requests).
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url or "http://localhost"))
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.session.trust_env = False

    def url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.base_url + path_or_url

    def within_base(self, url: str) -> bool:
        """Whether ``url`` is under this host's API base (same scheme, host and port, under its path, no dot
        segments): the only URLs this client sends its headers, and so its token, to."""
        try:
            parts = urlsplit(url)
            origin = (parts.scheme.lower(), (parts.hostname or "").lower(), _port(parts))
        except ValueError:
            return False
        if origin != self._origin or parts.username or parts.password or has_dot_segments(parts.path):
            return False
        return parts.path == self._base_path or parts.path.startswith(self._base_path + "/")

    def close(self) -> None:
        self.session.close()

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def _wait_for_quota(self) -> None:
        deadline = _deadline.get()
        while True:
            wait = self.quota.wait_time(self.clock())
            if wait <= 0:
                return
            hard = deadline.hard_remaining() if deadline else None
            if wait > self.max_wait or (hard is not None and wait > hard):
                raise QuotaExhausted(self.name, self.clock() + wait)
            new_pause = self.quota.note_pause(self.clock(), wait)
            if new_pause > 0.5:
                logger.info("%s API quota spent: pausing %.0f s", self.name, wait)
            self._count(paused=new_pause)
            self.sleep(wait)
            if deadline:
                deadline.paused(wait)

    def get(self, path_or_url: str, *, cache: ConditionalCache | None = None,
            store: Callable[[Any], str] | None = None, expect: Iterable[int] = (200,),
            shape: type | None = None, require: Iterable[str] = ()) -> Reply:
        """GET and parse JSON.

        ``expect`` lists the statuses the caller handles (200 is parsed as JSON; others are returned
        without a body). ``shape`` (``dict``/``list``) and ``require`` (keys of a dict) reject bodies that
        parse but are not what the API documents; they are retried like garbage. ``store`` extracts
        what the cache keeps of a 200 body so that a later 304 can return it as ``data``.
        Raises :class:`NotFound`, :class:`FetchError` or :class:`QuotaExhausted`.
        """
        url = self.url(path_or_url)
        expect = set(expect)
        shown = urlsplit(url).path
        if not self.within_base(url):
            parts = urlsplit(url)
            raise FetchError(f"refused to follow {parts.scheme}://{parts.netloc}{parts.path}: it is not under "
                             f"the {self.name} API address")
        package = _deadline.get()
        attempts = 0
        rate_rounds = 0
        while True:
            self._wait_for_quota()
            limit = self.deadline
            left = package.remaining() if package else None
            if left is not None:
                if left <= 0:
                    raise FetchError(f"gave up on {shown}: the package's fetch took longer than "
                                     f"{package.seconds or 0:g} s")
                limit = min(limit, left)
            headers = cache.request_headers(url) if cache else {}
            problem = ""
            try:
                response, sent = bounded_get(self.session, url, headers=headers, timeout=self.timeout,
                                             deadline=limit, max_bytes=self.max_bytes, allow=self.within_base)
            except TooLarge as error:
                raise FetchError(f"{error} for {shown}") from None
            except RedirectRefused as error:
                raise FetchError(f"{error} for {shown}") from None
            except (requests.Timeout, DeadlineExceeded) as error:
                problem = "timed out" if isinstance(error, requests.Timeout) else str(error)
            except requests.RequestException as error:
                problem = f"connection failed ({type(error).__name__})"
            else:
                self._count(requests=sent, not_modified=int(response.status_code == 304))
                self.quota.update(response.headers)
                until = rate_limited_until(response, self.clock())
                if until is not None:
                    self._count(rate_limited=1)
                    self.quota.block(until)
                    rate_rounds += 1
                    if rate_rounds > MAX_RATE_LIMIT_ROUNDS:
                        raise QuotaExhausted(self.name, until)
                    continue
                reply, problem = self._interpret(response, url, shown, cache, store, expect, shape, tuple(require))
                if reply is not None:
                    return reply
            attempts += 1
            if attempts > self.retries:
                raise FetchError(f"{problem} for {shown} ({attempts} attempts)")
            pause = self.backoff * 2 ** (attempts - 1)
            left = package.remaining() if package else None
            if left is not None and pause >= left:
                raise FetchError(f"{problem} for {shown} ({attempts} attempts; no time left for another)")
            self._count(retried=1)
            self.sleep(pause)

    def _interpret(self, response: requests.Response, url: str, shown: str, cache: ConditionalCache | None,
                   store, expect: set[int], shape, require: tuple[str, ...]) -> tuple[Reply | None, str]:
        status = response.status_code
        if status >= 500:
            return None, f"HTTP {status}"
        if status == 304 and cache is not None:
            body = cache.body(url)
            return Reply(304, response.url, response.headers, json.loads(body) if body else None), ""
        if status in (404, 410):
            raise NotFound(f"{shown} was not found (HTTP {status})")
        if status not in expect:
            raise FetchError(f"unexpected HTTP {status} for {shown}")
        if status != 200:
            return Reply(status, response.url, response.headers), ""
        try:
            data = json.loads(response.content)
        except ValueError:
            return None, "malformed response (not JSON)"
        if shape is not None and not isinstance(data, shape):
            return None, f"malformed response (not a JSON {shape.__name__})"
        missing = [key for key in require if not isinstance(data, dict) or key not in data]
        if missing:
            return None, f"malformed response (no {', '.join(missing)})"
        if cache is not None:
            cache.remember(url, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""),
                           store(data) if store else None)
        return Reply(200, response.url, response.headers, data), ""


@dataclass
class RunStats:
    """Requests spent by a run, per host, for the summary."""

    hosts: dict[str, HostStats] = field(default_factory=dict)
    quota_remaining: dict[str, int | None] = field(default_factory=dict)
    quota_reset: dict[str, float | None] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(stats.requests for stats in self.hosts.values())
