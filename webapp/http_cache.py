"""HTTP caching of pages: validators (``ETag``, ``Last-Modified``), 304s, ``Cache-Control`` and ``Vary: Cookie``.

One ``after_request`` hook (:func:`finish_response`) does it all from the finished response's body, whoever
made it (a view, a template, the server-side page cache), so a cached body gets the same validators as a
freshly rendered one:

- every 200 answer to a GET or HEAD gets a strong ``ETag``, the hash of its body (kept if the view or the API
  set one), and a request whose ``If-None-Match`` names it gets a 304 without a body;
- an anonymous answer that sets no cookie is ``public, max-age=0, must-revalidate``: a proxy or CDN may store
  it and serve it to anyone, after asking this site whether it is still current (a 304 costs a hash, no
  database work once the page is cached server-side), so nobody is ever served a page older than the last
  write; it also gets a ``Last-Modified`` (when this URL's body last changed) and 304s for ``If-Modified-Since``;
- a signed-in person's answer, or one that sets a cookie (the sign-in form's CSRF token), is private.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime

from flask import Response, current_app, request, session
from werkzeug.datastructures import ETags
from werkzeug.http import parse_etags

logger = logging.getLogger(__name__)

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-cache"
PRIVATE_NO_STORE = "private, no-store"
# Content codings Flask-Compress may add to a strong ETag (``"<hash>:gzip"``): a client holding the compressed
# copy's ETag gets its 304 before anything is compressed.
CODINGS = ("br", "gzip", "zstd", "deflate")
_SAFE = ("GET", "HEAD")


def is_signed_in() -> bool:
    """Whether a person is signed in (no session or remember-me cookie: anonymous, without looking further).

    Read from the session Flask-Login filled during the request, not from ``current_user``: the request's commit
    has expired the user row by now, and asking it again would cost every signed-in page a query.
    """
    from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE  # the app keeps Flask-Login's name

    if not {current_app.config["SESSION_COOKIE_NAME"], REMEMBER_COOKIE} & set(request.cookies):
        return False
    return "_user_id" in session


def sets_cookie(response: Response) -> bool:
    """Whether ``response`` will carry a ``Set-Cookie`` (set already, or the session is about to be saved)."""
    return "Set-Cookie" in response.headers or bool(getattr(session, "modified", False))


def body_etag(response: Response) -> str:
    """The strong ETag of ``response``: the one it has, else the SHA-256 of its body (set on it)."""
    etag, _weak = response.get_etag()
    if not etag:
        etag = hashlib.sha256(response.get_data()).hexdigest()[:32]
        response.set_etag(etag)
    return etag


def not_modified(response: Response, etag: str, last_modified: datetime | None = None) -> bool:
    """Whether the client's ``If-None-Match`` (or, without one, ``If-Modified-Since``) says it holds this body.

    ``If-None-Match`` also matches the ETag of a compressed copy (``<etag>:gzip``), which then stays the ETag
    of the 304.
    """
    wanted: ETags = parse_etags(request.headers.get("If-None-Match"))
    if wanted:
        for candidate in (etag, *(f"{etag}:{coding}" for coding in CODINGS)):
            if wanted.contains_weak(candidate):
                if candidate != etag:
                    response.set_etag(candidate)
                return True
        return False
    since = request.if_modified_since
    return last_modified is not None and since is not None and last_modified <= since


def make_not_modified(response: Response) -> Response:
    """Turn ``response`` into a 304 without a body, keeping its validators and caching headers."""
    response.status_code = 304
    response.set_data(b"")
    for header in ("Content-Length", "Content-Type", "Content-Encoding"):
        response.headers.pop(header, None)
    return response


def conditional(response: Response, *, public: bool) -> Response:
    """Give a 200 answer to a GET/HEAD its validators, and make it a 304 when the client holds it already."""
    if (request.method not in _SAFE or response.status_code != 200 or response.direct_passthrough
            or response.is_streamed or "Content-Encoding" in response.headers):
        return response
    etag = body_etag(response)
    last_modified = None
    if public:
        last_modified = validators.changed_at(_validator_key(response), etag)
        response.last_modified = last_modified
    if not_modified(response, etag, last_modified):
        return make_not_modified(response)
    return response


def finish_response(response: Response) -> Response:
    """The app's ``after_request`` hook: ``Cache-Control``, ``Vary: Cookie``, validators and 304s (see above)."""
    if request.method not in _SAFE:
        return response
    response.vary.add("Cookie")
    if "Cache-Control" not in response.headers:
        if is_signed_in():
            response.headers["Cache-Control"] = PRIVATE_NO_STORE if response.mimetype == "text/html" else PRIVATE
        elif sets_cookie(response):
            # A page holding a form's CSRF token is this visitor's own: never stored, never shared.
            response.headers["Cache-Control"] = PRIVATE_NO_STORE
        elif response.status_code == 200:
            response.headers["Cache-Control"] = PUBLIC
        else:
            response.headers["Cache-Control"] = "no-cache"
    # The API chooses its own Cache-Control (webapp/api/http.py); its public answers get the same validators.
    return conditional(response, public=response.cache_control.public)


# -- Last-Modified ----------------------------------------------------------------------------------------------


def _validator_key(response: Response) -> str:
    """This URL and the request headers its answer varies by (HTMX fragments have their own)."""
    varying = sorted(name.lower() for name in response.vary if name.lower() not in ("cookie", "accept-encoding"))
    parts = [request.full_path] + [f"{name}={request.headers.get(name, '')}" for name in varying]
    return "pagegrids:lm:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class ValidatorStore:
    """When each URL's body last changed: ``(etag, since)`` per URL, in Redis when ``REDIS_URL`` is set (shared
    by every worker and server, so all give one ``Last-Modified``), else in this process (bounded).

    ``since`` only moves forward, by at least a second per change, so a body that changed within the second a
    client got the previous one still has a later ``Last-Modified`` (HTTP dates have whole seconds): an
    ``If-Modified-Since`` never hides a change.
    """

    LIMIT = 20_000

    def __init__(self) -> None:
        self._local: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._redis_clients: dict[str, object] = {}

    def _redis(self):
        url = current_app.config["REDIS_URL"]
        if not url:
            return None
        if url not in self._redis_clients:
            from redis import Redis

            self._redis_clients[url] = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._redis_clients[url]

    def changed_at(self, key: str, etag: str) -> datetime:
        """When the body of ``key`` became the one whose ETag is ``etag`` (now, if it just did)."""
        redis = self._redis()
        if redis is not None:
            try:
                return self._changed_at_redis(redis, key, etag)
            except Exception:  # Redis down: this process's memory still gives a correct answer
                logger.warning("Redis unavailable for Last-Modified; using this process's record", exc_info=True)
        with self._lock:
            record = self._local.get(key)
            if record is None or record[0] != etag:
                record = (etag, self._next_since(record))
                self._local[key] = record
                if len(self._local) > self.LIMIT:
                    self._local.popitem(last=False)
            self._local.move_to_end(key)
            return datetime.fromtimestamp(record[1], UTC)

    def _changed_at_redis(self, redis, key: str, etag: str) -> datetime:
        stored = redis.get(key)
        record = None
        if stored:
            stored_etag, _, since = stored.decode().partition(" ")
            record = (stored_etag, int(since))
        if record is None or record[0] != etag:
            record = (etag, self._next_since(record))
            redis.set(key, f"{etag} {record[1]}")
        return datetime.fromtimestamp(record[1], UTC)

    @staticmethod
    def _next_since(previous: tuple[str, int] | None) -> int:
        now = math.floor(time.time())
        return now if previous is None else max(now, previous[1] + 1)

    def clear(self) -> None:
        """Forget this process's records."""
        with self._lock:
            self._local.clear()


validators = ValidatorStore()
