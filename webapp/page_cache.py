"""The anonymous page cache, with exact invalidation by versioned keys.

Reads: anonymous ``GET``/``HEAD`` answers of the endpoints in :data:`CACHED_ENDPOINTS` are kept in the
Flask-Caching backend (Redis with ``REDIS_URL``, else each process's memory) under a key made of the request
(path with query string, host, ``Accept`` and the HTMX headers) and the current versions of the scopes the
page depends on. The versions live in the database (``cache_versions``, read in one query per request), so
every process and server agrees on them whatever the cache backend.

Writes: any session (a request's, the fetch service's own, a job's, a CLI command's) records which tables it
changed (``after_flush`` and ORM ``INSERT``/``UPDATE``/``DELETE`` statements), and just before it commits
writes a fresh random version for each affected scope in the same transaction. The new data and the new
versions become visible together, so nobody, the writer included, ever reads a stale page, and nothing
depends on time. A rolled-back transaction takes its version changes with it.

The CSRF token in a cached page is stored as a placeholder and each reader gets their own.

The front (:class:`PageFront`, WSGI middleware around the app) answers the common case before Flask runs: a
``GET``/``HEAD`` without the session or remember-me cookie (crawlers, first visits, a CDN revalidating). Its
entries are the app's finished answers, headers included (validators, ``Cache-Control``, security headers,
compression), so a hit costs one small query and a cache read: no session, no sign-in, no hooks, no hashing.
Visitors holding a session (a CSRF token from a form they opened) go through Flask and the view wrapper below.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Callable, Iterable

from flask import Flask, Response, current_app, make_response, request, session
from flask_login import current_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from flask_wtf.csrf import generate_csrf
from sqlalchemy import String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_cookie, parse_date, parse_etags, unquote_etag
from werkzeug.routing import RequestRedirect

from webapp.config import SETTINGS, resource_path
from webapp.extensions import cache, db
from webapp.htmx import CURRENT_URL as HTMX_CURRENT_URL
from webapp.htmx import REQUEST as HTMX_REQUEST
from webapp.htmx import TARGET as HTMX_TARGET
from webapp.htmx import htmx_current_url, htmx_target, is_htmx

logger = logging.getLogger(__name__)

SITE = "site"  # lists, home, category, package, search, feeds, sitemap, API: anything a catalogue row shows
GRID_CONTENT = "grid-content"  # features and cells, shown by grid pages (and feature counts)
HISTORY = "history"  # recorded changes, shown on package pages

# Which scopes a write to each table affects; a table not listed affects SITE (when in doubt, bump it all).
SCOPES_BY_TABLE: dict[str, tuple[str, ...]] = {
    "features": (GRID_CONTENT,),
    "elements": (GRID_CONTENT,),
    "changes": (HISTORY,),
    "http_cache_entries": (),  # the fetch service's validators: on no page
    "cache_versions": (),
}
# Columns no cached page shows: a change to only these bumps nothing (signing in sets last_login).
UNSHOWN_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"last_login", "session_token", "password_hash", "email", "email_verified_at"}),
}

_ALL = (SITE, GRID_CONTENT, HISTORY)
_GRID = (SITE, GRID_CONTENT)
# The pages cached for anonymous readers, by URL rule, and the scopes each one shows. Every other readable
# rule is listed in UNCACHED_RULES (tests/test_page_cache.py checks the url_map against both).
CACHED_RULES: dict[str, tuple[str, ...]] = {
    "/": (SITE,),
    "/packages/": (SITE,),
    "/categories/": (SITE,),
    "/categories/<slug>/": (SITE,),
    "/packages/p/<slug>/": _ALL,
    "/packages/liked/": (SITE,),
    "/packages/p/<slug>/badge.svg": (SITE,),
    "/feeds/packages/latest/atom/": (SITE,),
    "/feeds/packages/latest/rss/": (SITE,),
    "/sitemap.xml": (SITE,),
    "/grids/": _GRID,
    "/grids/g/<slug>/": _GRID,
    # Ad-hoc comparisons show catalogue rows only; grid exports show the grid's cells too.
    "/compare/": (SITE,),
    **{f"/compare/export.{fmt}": (SITE,) for fmt in ("csv", "json", "md")},
    **{f"/grids/g/<slug>/export.{fmt}": _GRID for fmt in ("csv", "json", "md")},
    "/grids/g/<slug>/timesheet/": (SITE,),  # packages, releases and grid members: all in SITE
    "/open/": _ALL,  # counts of packages, grids, people, fetches (SITE) and edits (HISTORY)
    "/grids/g/<slug>/cells/<int:grid_package_id>/<int:feature_id>/": _GRID,
    "/search/": (SITE,),
    # Release cycles, and packages (with a grid's name and members) by what they declare.
    "/readiness/": (SITE,),
    "/readiness/<product>/<cycle>/": (SITE,),
    "/search/suggest/": (SITE,),
    "/changes/": (SITE, HISTORY),
    "/changes/atom/": (SITE, HISTORY),
    "/packages/latest/": (SITE,),
    "/packages/p/<slug>/releases/": (SITE,),
    "/<any(about, faq, terms):name>/": (SITE,),
}
# The API (v4 and v3) answers: every rule under these prefixes but the people endpoints (signed in only).
CACHED_PREFIXES: dict[str, tuple[str, ...]] = {"/api/v4/": _ALL, "/api/v3/": _ALL}
UNCACHED_RULES = {
    "/robots.txt", "/opensearch.xml",  # no database read
    "/api/v3/users/", "/api/v3/users/<username>/",  # signed in only
    # Forms and sign-in steps: for signed-in people (anonymous readers are sent to sign in), or per person.
    "/accounts/login/", "/accounts/signup/", "/accounts/github/login/", "/accounts/github/callback/",
    "/accounts/settings/", "/accounts/profile/", "/profiles/<username>/edit/",
    "/accounts/password/reset/", "/accounts/password/reset/<token>/", "/accounts/email/verify/<token>/",
    "/packages/<slug>/deprecation/",
    "/packages/p/<slug>/sites/add/",
    # Share cards: stored on disk by what they show, answered 304 by their ETag (webapp/cards/store.py).
    "/card.png", "/packages/p/<slug>/card.png", "/grids/g/<slug>/card.png",
    "/packages/add/", "/packages/<slug>/edit/", "/packages/<slug>/delete/", "/packages/p/<slug>/flag/",
    "/grids/add/", "/grids/g/<slug>/edit/", "/grids/g/<slug>/delete/", "/grids/g/<slug>/packages/add/",
    "/grids/g/<slug>/features/add/", "/grids/g/<slug>/features/<int:feature_id>/edit/",
    "/grids/g/<slug>/features/<int:feature_id>/delete/",
    "/grids/g/<slug>/cells/<int:grid_package_id>/<int:feature_id>/edit/", "/moderation/",
    # A form for anyone (its answer is a POST): its CSRF token goes in the reader's session, as sign-in's does.
    "/readiness/check/",
    # Rarely read pages, left out of the cache for now: history and profiles.
    "/packages/p/<slug>/history/", "/grids/g/<slug>/history/", "/profiles/", "/profiles/<username>/",
    # Staff tools: staff only.
    "/staff/", "/staff/categories/", "/staff/home/", "/staff/people/", "/staff/people/<username>/",
    "/packages/p/<slug>/add-to-grid/",  # a form for signed-in people
    "/api/v1/", "/api/v1/<path:rest>", "/favicon.ico",  # no database read
    "/health/",  # must ask the database and Redis every time
}

# Scopes every cached page is keyed by as well, whose stored version may carry an end time
# (:func:`timed_version`): the site banner (webapp/staff/banner.py), which ends by the clock, not by a write.
BANNER_SCOPE = "banner"
TIMED_SCOPES = (BANNER_SCOPE,)

_PENDING = "page_cache_scopes"
FRONT_FLAG = "packagegrids.page_front"  # set in the WSGI environ of a request the front will store the answer of
# The request headers a front entry's key holds. An answer whose Vary names any other header (Cookie aside: the
# front only sees requests without the site's cookies) is not stored by the front.
FRONT_KEY_HEADERS = ("Accept", "Accept-Encoding", HTMX_REQUEST, HTMX_TARGET, HTMX_CURRENT_URL)
_FRONT_KEY_ENVIRON = tuple("HTTP_" + name.upper().replace("-", "_") for name in FRONT_KEY_HEADERS)
# The versions a request already read for its page's key (by the front or the view wrapper), before the view read
# any data: shared fragments (:func:`fragment_versions`) reuse them rather than asking again.
VERSIONS_SEEN = "packagegrids.page_cache_versions"
_NOT_MODIFIED_DROPS = {"content-length", "content-type", "content-encoding"}
_CSRF_PLACEHOLDER = "\x00csrf-token\x00"
_STORED_SESSION_KEYS = {"csrf_token"}  # an anonymous session holding only these sees the shared page
MISSING_VERSION = "0"


class CacheVersion(db.Model):
    """The current version of one cache scope: a random token replaced by every write the scope shows."""

    __tablename__ = "cache_versions"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))


# --- writes ------------------------------------------------------------------------------------------------

def scopes_for_table(table: str) -> tuple[str, ...]:
    """The scopes a write to ``table`` affects."""
    return SCOPES_BY_TABLE.get(table, (SITE,))


def _record(session: Session, scopes: Iterable[str]) -> None:
    session.info.setdefault(_PENDING, set()).update(scopes)


def _changed_columns_shown(obj) -> bool:
    hidden = UNSHOWN_COLUMNS.get(obj.__table__.name)
    if not hidden:
        return True
    state = inspect(obj)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    return not changed or bool(changed - hidden)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _flush_context) -> None:
    # Here new, dirty and deleted, and each attribute's history, still describe what was just flushed.
    for obj in (*session.new, *session.deleted):
        table = getattr(obj, "__table__", None)
        if table is not None:
            _record(session, scopes_for_table(table.name))
    for obj in session.dirty:
        table = getattr(obj, "__table__", None)
        if table is not None and session.is_modified(obj) and _changed_columns_shown(obj):
            _record(session, scopes_for_table(table.name))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if table is not None and getattr(table, "name", None) != CacheVersion.__tablename__:
            _record(state.session, scopes_for_table(table.name))


@event.listens_for(Session, "before_commit")
def _bump_versions(session: Session) -> None:
    session.flush()  # what the commit would flush may touch more tables
    scopes = session.info.pop(_PENDING, None)
    if scopes:
        bump(session, scopes)


@event.listens_for(Session, "after_soft_rollback")
def _forget_scopes(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def bump(session: Session, scopes: Iterable[str]) -> None:
    """Give each scope a new random version, inside ``session``'s transaction (sorted: a fixed lock order)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = CacheVersion.__table__
    for scope in sorted(scopes):
        statement = insert(table).values(scope=scope, version=uuid.uuid4().hex)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[table.c.scope], set_={"version": statement.excluded.version}))


# --- reads -------------------------------------------------------------------------------------------------

def scopes_for_rule(rule: str) -> tuple[str, ...] | None:
    """The scopes the page of a URL rule shows, or None when it is never cached."""
    if rule in UNCACHED_RULES:
        return None
    if rule in CACHED_RULES:
        return CACHED_RULES[rule]
    for prefix, scopes in CACHED_PREFIXES.items():
        if rule.startswith(prefix):
            return scopes
    return None


def _versions(scopes: tuple[str, ...]) -> list[str]:
    rows = dict(db.session.execute(
        select(CacheVersion.scope, CacheVersion.version).where(CacheVersion.scope.in_(scopes))).all())
    return [rows.get(scope, MISSING_VERSION) for scope in scopes]


def _shares_anonymous_page() -> bool:
    return (request.method in ("GET", "HEAD") and not current_user.is_authenticated
            and set(session.keys()) <= _STORED_SESSION_KEYS)


def _settings_fingerprint() -> str:
    # Settings shape pages (SITE_NAME, TIME_ZONE, PACKAGES_PER_PAGE, ...): a changed one is a different page.
    config = current_app.config
    return repr([config[setting.key] for setting in SETTINGS])


def timed_version(token: str, until: datetime) -> str:
    """A version that means ``token`` until ``until`` and "ended" after it (for :data:`TIMED_SCOPES`)."""
    return f"{token}@{int(until.timestamp())}"


def _as_of_now(version: str) -> str:
    token, _, until = version.rpartition("@")
    if not token or not until.isdigit():
        return version
    return token if time.time() < int(until) else "ended"


def _key(endpoint: str, scopes: tuple[str, ...]) -> str:
    read = (*scopes, *TIMED_SCOPES)
    versions = _versions(read)
    request.environ.setdefault(VERSIONS_SEEN, {}).update(zip(read, versions, strict=True))
    parts = [endpoint, _settings_fingerprint(), request.host_url, request.full_path, request.headers.get("Accept", ""),
             str(is_htmx()), htmx_target() or "", htmx_current_url() or "",
             *(f"{scope}={_as_of_now(version)}" for scope, version in zip(read, versions, strict=True))]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _hit(stored: dict) -> Response:
    body: bytes = stored["body"]
    if _CSRF_PLACEHOLDER.encode() in body:
        body = body.replace(_CSRF_PLACEHOLDER.encode(), generate_csrf().encode())
    response = Response(body, status=200, headers=stored["headers"])
    return response


def _storable(response: Response) -> dict | None:
    if (response.status_code != 200 or response.direct_passthrough or response.is_streamed
            or "Set-Cookie" in response.headers or not set(session.keys()) <= _STORED_SESSION_KEYS):
        return None
    body = response.get_data()
    token = session.get("csrf_token") and generate_csrf()
    if token:
        body = body.replace(token.encode(), _CSRF_PLACEHOLDER.encode())
    headers = [(name, value) for name, value in response.headers.items() if name.lower() != "content-length"]
    return {"body": body, "headers": headers}


def cached_view(endpoint: str, view: Callable, scopes: tuple[str, ...]) -> Callable:
    """Wrap ``view``: answer anonymous readers from the cache, and fill it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if (not current_app.config["PAGE_CACHE"] or request.environ.get(FRONT_FLAG)
                or not _shares_anonymous_page()):
            return view(*args, **kwargs)  # not shared, or the front stores this answer whole
        key = _key(endpoint, scopes)
        try:
            stored = cache.get(key)
        except Exception:  # a cache that is down serves nothing, and the page is rendered
            logger.warning("page cache unavailable", exc_info=True)
            return view(*args, **kwargs)
        if stored is not None:
            return _hit(stored)
        response = make_response(view(*args, **kwargs))
        entry = _storable(response)
        if entry is not None:
            try:
                cache.set(key, entry)
            except Exception:
                logger.warning("page cache unavailable", exc_info=True)
        return response

    return wrapper


class PageFront:
    """WSGI middleware: answers ``GET``/``HEAD`` requests that carry neither the session nor the remember-me cookie
    for cached pages from the page cache, with the app's own finished answer, before Flask runs; on a miss, lets
    the app answer and stores what it said when that answer is public.

    ``guards`` maps a blueprint name to a function of the WSGI environ run before a hit (the API's rate limit):
    it returns headers to put on the answer, or None to send the request on to the app (unstored).
    """

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.guards: dict[str, Callable[[dict], dict[str, str] | None]] = {}
        self._scopes_by_rule: dict[tuple[str, str], tuple[str, ...] | None] = {}
        self._engine = None

    def __call__(self, environ: dict, start_response: Callable):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or not self.app.config["PAGE_CACHE"] or self._has_site_cookie(environ):
            return self.wsgi_app(environ, start_response)
        rule = self._rule(environ)
        scopes = rule is not None and self._scopes(rule)
        if not scopes:
            return self.wsgi_app(environ, start_response)
        guard = self.guards.get(rule.endpoint.rpartition(".")[0])
        extra: dict[str, str] = {}
        if guard is not None:
            with self.app.app_context():
                extra = guard(environ)
            if extra is None:
                return self.wsgi_app(environ, start_response)
        try:
            key = self._key(environ, rule.endpoint, scopes)
            entry = self._backend().get(key)
        except Exception:  # a cache or database that is down serves nothing here: the app answers as it can
            logger.warning("page cache front unavailable", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if entry is not None:
            return self._answer(environ, start_response, entry, extra)
        if method == "HEAD":
            return self.wsgi_app(environ, start_response)
        return self._fill(environ, start_response, key, extra)

    def _has_site_cookie(self, environ: dict) -> bool:
        header = environ.get("HTTP_COOKIE")
        if not header:
            return False
        names = (self.app.config["SESSION_COOKIE_NAME"], REMEMBER_COOKIE)
        if not any(name in header for name in names):
            return False
        cookies = parse_cookie(header)
        return any(name in cookies for name in names)

    def _rule(self, environ: dict):
        try:
            rule, _arguments = self.app.url_map.bind_to_environ(environ).match(return_rule=True)
        except (HTTPException, RequestRedirect):
            return None
        return rule

    def _scopes(self, rule) -> tuple[str, ...] | None:
        key = (rule.rule, rule.endpoint)
        if key not in self._scopes_by_rule:
            self._scopes_by_rule[key] = scopes_for_rule(rule.rule) if rule.endpoint in _wrapped(self.app) else None
        return self._scopes_by_rule[key]

    def _backend(self):
        return self.app.extensions["cache"][cache]

    def _versions(self) -> dict[str, str]:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        with self._engine.connect() as connection:
            return dict(connection.exec_driver_sql(
                f"SELECT scope, version FROM {CacheVersion.__tablename__}").all())

    def _key(self, environ: dict, endpoint: str, scopes: tuple[str, ...]) -> str:
        versions = self._versions()
        environ[VERSIONS_SEEN] = {scope: versions.get(scope, MISSING_VERSION) for scope in scopes}
        parts = ["front", endpoint, repr([self.app.config[setting.key] for setting in SETTINGS]),
                 environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""), environ.get("SERVER_NAME", ""),
                 environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                 *(environ.get(name, "") for name in _FRONT_KEY_ENVIRON),
                 *(f"{scope}={versions.get(scope, MISSING_VERSION)}" for scope in scopes)]
        return "page:front:" + hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()

    def _fill(self, environ: dict, start_response: Callable, key: str, extra: dict[str, str]):
        answer: list = []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return lambda _data: None  # the app never writes through it (Flask returns its body)

        environ[FRONT_FLAG] = True
        body_parts = self.wsgi_app(environ, capture)
        try:
            body = b"".join(body_parts)
        finally:
            if hasattr(body_parts, "close"):
                body_parts.close()
        status, headers = answer
        entry = self._storable(status, headers, body, extra)
        if entry is not None:
            try:
                self._backend().set(key, entry)
            except Exception:
                logger.warning("page cache front unavailable", exc_info=True)
        start_response(status, headers)
        return [body]

    @staticmethod
    def _storable(status: str, headers: list[tuple[str, str]], body: bytes, extra: dict[str, str]) -> dict | None:
        names = {name.lower(): value for name, value in headers}
        varies = {part.strip().lower() for part in names.get("vary", "").split(",") if part.strip()}
        if (not status.startswith("200 ") or "set-cookie" in names or "public" not in names.get("cache-control", "")
                or "etag" not in names or varies - {"cookie"} - {name.lower() for name in FRONT_KEY_HEADERS}):
            return None
        volatile = {name.lower() for name in extra}
        return {"status": status, "body": body, "headers": [(n, v) for n, v in headers if n.lower() not in volatile],
                "etag": unquote_etag(names["etag"])[0], "last_modified": names.get("last-modified")}

    @staticmethod
    def _answer(environ: dict, start_response: Callable, entry: dict, extra: dict[str, str]):
        headers = [*entry["headers"], *extra.items()]
        if _holds_already(environ, entry):
            start_response("304 Not Modified", [(n, v) for n, v in headers if n.lower() not in _NOT_MODIFIED_DROPS])
            return [b""]
        start_response(entry["status"], headers)
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else entry["body"]]


def _holds_already(environ: dict, entry: dict) -> bool:
    """The client's ``If-None-Match`` (or, without one, ``If-Modified-Since``) names this entry's body (as
    :func:`webapp.http_cache.not_modified` decides for answers made by the app)."""
    wanted = environ.get("HTTP_IF_NONE_MATCH")
    if wanted:
        return parse_etags(wanted).contains_weak(entry["etag"])
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    last_modified = parse_date(entry["last_modified"])
    return since is not None and last_modified is not None and last_modified <= since


# --- fragments shared by every reader -----------------------------------------------------------------------

class FragmentVersions:
    """The versions of the scopes a page fragment shows, read before the data it is drawn from (so a fragment is
    never stored under a version newer than its data). See :func:`shared_fragment`."""

    __slots__ = ("scopes", "versions")

    def __init__(self, scopes: tuple[str, ...], versions: list[str]) -> None:
        self.scopes, self.versions = scopes, versions


def fragment_versions(scopes: tuple[str, ...]) -> FragmentVersions | None:
    """Read the versions of ``scopes`` now (one query), before reading what a shared fragment shows; None when the
    page cache is off."""
    if not current_app.config["PAGE_CACHE"]:
        return None
    seen = request.environ.get(VERSIONS_SEEN, {})
    if all(scope in seen for scope in scopes):
        return FragmentVersions(scopes, [seen[scope] for scope in scopes])
    return FragmentVersions(scopes, _versions(scopes))


def shared_fragment(name: str, versions: FragmentVersions | None, parts: tuple, render: Callable[[], str]) -> str:
    """A piece of a page that is the same for every reader who sees it (signed in or not): rendered once, kept in
    the page cache under ``versions`` and the request's address, and shared, so a signed-in reader renders only
    their own bits around it. ``parts`` are whatever else it depends on (what the reader may do, say). Without
    ``versions`` (the page cache off), or with the cache down, it is rendered."""
    if versions is None:
        return render()
    key = "fragment:" + hashlib.sha256("\n".join([
        name, _settings_fingerprint(), request.host_url, request.full_path, repr(parts),
        *(f"{scope}={version}" for scope, version in zip(versions.scopes, versions.versions, strict=True)),
    ]).encode()).hexdigest()
    try:
        stored = cache.get(key)
    except Exception:  # a cache that is down serves nothing, and the fragment is rendered
        logger.warning("page cache unavailable", exc_info=True)
        return render()
    if stored is not None:
        return stored
    fragment = render()
    try:
        cache.set(key, str(fragment))
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
    return fragment


def clear() -> None:
    """Drop every cached page of this app (tests; the versions alone already keep pages exact)."""
    cache.clear()


def register(app: Flask) -> None:
    """Configure the cache backend and wrap every cached endpoint's view (after the blueprints are mounted)."""
    if app.config["REDIS_URL"]:
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    else:
        app.config.setdefault("CACHE_TYPE", "SimpleCache")
        app.config.setdefault("CACHE_THRESHOLD", 2000)
    # A timeout only to let unused entries go (keys of replaced versions are never read again); not for freshness.
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 24 * 3600)
    # One database's pages, rendered by this code: servers of another release or database never share them.
    app.config.setdefault("CACHE_KEY_PREFIX", "pg:" + _fingerprint(
        app.config["SQLALCHEMY_DATABASE_URI"].encode(), *_code()) + ":")
    cache.init_app(app)
    for rule in app.url_map.iter_rules():
        scopes = scopes_for_rule(rule.rule)
        if scopes is not None and "GET" in rule.methods and rule.endpoint not in _wrapped(app):
            app.view_functions[rule.endpoint] = cached_view(rule.endpoint, app.view_functions[rule.endpoint], scopes)
            _wrapped(app).add(rule.endpoint)


def _fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def _code() -> list[bytes]:
    """The templates and Python code that render pages, read once at startup."""
    files = sorted([*Path(resource_path("templates")).rglob("*.*"), *Path(__file__).parent.rglob("*.py")])
    return [str(path.relative_to(path.parent.parent)).encode() + b"\0" + path.read_bytes() for path in files]


def _wrapped(app: Flask) -> set[str]:
    return app.extensions.setdefault("page_cache_endpoints", set())


def cached_endpoints(app: Flask) -> set[str]:
    """The endpoints whose anonymous answers are cached."""
    return set(_wrapped(app))
