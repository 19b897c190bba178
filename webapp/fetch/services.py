"""Refreshing packages from their repository host and PyPI: the only writer of fetched fields.

A fetch reads what it needs of the package, closes that transaction, talks HTTP (possibly for
seconds), then writes everything it learnt (fields, releases, cache validators, error state) in one
short transaction that locks the package row. A crash or kill at any point leaves the package as it
was; a failed source records an error and keeps the data fetched before.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from flask import current_app, g, has_request_context
from sqlalchemy import Engine, delete, select
from sqlalchemy import insert as plain_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from webapp.catalog.models import Package, Version, Vulnerability
from webapp.catalog.releases import refresh_current_release_and_score
from webapp.catalog.trends import forget_snapshots, record_snapshots, refresh_trend_charts
from webapp.db_types import utcnow
from webapp.fetch.fetcher import Fetcher
from webapp.fetch.handlers.base import UNCHANGED, RepoData
from webapp.fetch.handlers.pypi import PypiData
from webapp.fetch.http import (
    CacheEntry,
    ConditionalCache,
    FetchError,
    NotFound,
    QuotaExhausted,
    RunStats,
    package_deadline,
)
from webapp.fetch.models import FetchDay, FetchQuota, HttpCacheEntry
from webapp.fetch_status import FetchStatus
from webapp.history.models import Change, ChangeAction
from webapp.history.services import as_text
from webapp.links import url_problem
from webapp.repos import parse_repo_url, pypi_name
from webapp.signals import fetch_requested, package_saved
from webapp.text import clean_value
from webapp.transaction import after_commit

logger = logging.getLogger(__name__)

# SQLite has one writer at a time: threads of one process take turns instead of waiting on busy_timeout.
_sqlite_write_lock = threading.Lock()

MAX_ERROR_LENGTH = 2000
WRITE_BATCH = 100  # packages per transaction at most when a run writes for many threads
# Marker rows among a package's validators: which repository and PyPI address they were stored for.
ADDRESS_PREFIX = "address:"
REPO_ADDRESS, PYPI_ADDRESS = "address:repository", "address:pypi"


@dataclass
class FetchOutcome:
    """What one package's fetch did."""

    package_id: int
    slug: str = ""
    status: FetchStatus = FetchStatus.UNCHANGED
    errors: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    resume_at: float | None = None  # for FetchStatus.QUOTA: when the host's quota comes back


@dataclass
class RunSummary:
    """What a run over many packages did, for the CLI's closing line."""

    outcomes: list[FetchOutcome] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    seconds: float = 0.0

    def count(self, status: FetchStatus) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def failures(self) -> list[FetchOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == FetchStatus.FAILED]


@dataclass
class _Snapshot:
    id: int
    slug: str
    repo_url: str
    pypi_url: str
    cache: dict[str, CacheEntry]


@dataclass
class _Part:
    """One source's result: data, "missing" (repository 404), or an error to record."""

    label: str
    cache: ConditionalCache
    address_key: str  # the marker row naming the address the validators were stored for
    valid_for: str | None  # that address, when it is still the package's
    stale: list[str]  # validators stored for another address: dropped when this source succeeds
    data: Any = None
    missing: bool = False
    error: str = ""


@dataclass
class _Fetched:
    """What the remote hosts said about one package, ready to be written."""

    snapshot: _Snapshot
    repo: _Part | None
    pypi: _Part | None
    now: datetime
    quotas: dict[str, tuple[int | None, int, float | None]] = field(default_factory=dict)  # host: limit, left, reset


def fetch_package(package_id: int, *, fetcher: Fetcher | None = None, engine: Engine | None = None) -> FetchOutcome:
    """Refresh one package from its repository host and PyPI, and store the result atomically.

    Never raises for remote trouble: errors are recorded on the package and returned in the outcome.
    A spent API quota (beyond what the fetcher may wait) leaves the package untouched with status
    ``"quota"``. Call it after committing any pending write to the package.
    """
    own_fetcher = fetcher is None
    if own_fetcher:
        fetcher = Fetcher(current_app.config)
    engine = engine or _default_engine()
    try:
        fetched = _fetch_remote(package_id, fetcher, engine)
        if isinstance(fetched, FetchOutcome):
            return fetched
        return _write(engine, [fetched], isolate=False)[0]
    finally:
        if own_fetcher:
            fetcher.close()


def fetch_many(package_ids: Iterable[int], *, workers: int = 4, fetcher: Fetcher | None = None,
               on_done: Callable[[FetchOutcome], None] | None = None) -> RunSummary:
    """Refresh many packages: ``workers`` threads talk HTTP (one session per host, shared by all) while
    this thread writes what they bring, whatever has arrived in one transaction (up to WRITE_BATCH
    packages), so the database has one writer and few commits. Each package is still all or nothing."""
    ids = list(package_ids)
    own_fetcher = fetcher is None
    if own_fetcher:
        fetcher = Fetcher(current_app.config, workers=workers)
    engine = _default_engine()
    summary = RunSummary()
    started = time.monotonic()
    arrived: queue.Queue[_Fetched | FetchOutcome] = queue.Queue()

    def work(package_id: int) -> None:
        try:
            arrived.put(_fetch_remote(package_id, fetcher, engine))
        except Exception:  # one package's bug or database hiccup must not stop the run
            logger.exception("fetch of package %s failed", package_id)
            arrived.put(FetchOutcome(package_id, status=FetchStatus.FAILED,
                                     errors=["internal error (see the log)"]))

    def finish(outcome: FetchOutcome) -> None:
        summary.outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch")
    try:
        for package_id in ids:
            pool.submit(work, package_id)
        remaining = len(ids)
        while remaining:
            batch = [arrived.get()]
            while len(batch) < WRITE_BATCH:
                try:
                    batch.append(arrived.get_nowait())
                except queue.Empty:
                    break
            remaining -= len(batch)
            for item in batch:
                if isinstance(item, FetchOutcome):
                    finish(item)
            for outcome in _write_or_fail(engine, [item for item in batch if isinstance(item, _Fetched)]):
                finish(outcome)
    finally:
        # On Ctrl-C, packages not started yet are dropped; what is fetched but unwritten is simply lost.
        pool.shutdown(wait=True, cancel_futures=True)
        summary.seconds = time.monotonic() - started
        summary.stats = fetcher.stats()
        if own_fetcher:
            fetcher.close()
    return summary


def _default_engine() -> Engine:
    from webapp.extensions import db

    return db.engine


def _fetch_remote(package_id: int, fetcher: Fetcher, engine: Engine) -> _Fetched | FetchOutcome:
    """Ask the hosts (no transaction is open meanwhile); an outcome when there is nothing to write."""
    with Session(engine) as session:
        snapshot = _read_snapshot(session, package_id)
    if snapshot is None:
        return FetchOutcome(package_id, status=FetchStatus.MISSING)
    ref = parse_repo_url(snapshot.repo_url)
    handler = fetcher.repo_handlers.get(ref.kind) if ref and ref.kind else None
    name = pypi_name(snapshot.pypi_url)
    if handler is None and name is None:
        return FetchOutcome(package_id, snapshot.slug, status=FetchStatus.NOTHING_TO_FETCH)
    now = fetcher.now()
    pypi_prefix = fetcher.clients["pypi"].base_url + "/"
    try:
        repo = pypi = None
        # One deadline for all of the package's requests: a slow host cannot hold a worker (or a web request).
        with package_deadline(fetcher.package_deadline, fetcher.hard_until):
            if handler:
                repo = _run(handler.label, snapshot, REPO_ADDRESS, snapshot.repo_url,
                            lambda url: not url.startswith(pypi_prefix), lambda cache: handler.fetch(ref, cache, now))
            if name:
                pypi = _run("PyPI", snapshot, PYPI_ADDRESS, snapshot.pypi_url, lambda url: url.startswith(pypi_prefix),
                            lambda cache: fetcher.pypi.fetch(name, cache))
    except QuotaExhausted as error:
        logger.info("%s: %s", snapshot.slug, error)
        return FetchOutcome(package_id, snapshot.slug, status=FetchStatus.QUOTA, resume_at=error.resume_at)
    return _Fetched(snapshot, repo, pypi, now, _quotas(fetcher))


def _write_or_fail(engine: Engine, items: list[_Fetched]) -> list[FetchOutcome]:
    if not items:
        return []
    try:
        return _write(engine, items, isolate=True)
    except Exception:  # the database itself failed: nothing of this group was written
        logger.exception("writing %s fetched packages failed", len(items))
        return [FetchOutcome(item.snapshot.id, item.snapshot.slug, status=FetchStatus.FAILED,
                             errors=["internal error while saving (see the log)"]) for item in items]


def enqueue_or_run_fetch(package_id: int) -> FetchStatus:
    """Refresh a package soon: an RQ job when ``REDIS_URL`` is set, else right now in this process.

    Returns ``"queued"`` or the in-process outcome's status. For callers such as the add-package form
    and the GitHub webhook; call it after committing the package. If Redis cannot be reached the
    fetch runs in-process rather than being lost. Inside a web request, all the fetches it runs end
    within ``FETCH_REQUEST_DEADLINE`` seconds (the worker would be killed otherwise): a quota pause
    that does not fit is not waited for (``"quota"``), and a package there is no time left for at all
    is ``"deferred"``.
    """
    if current_app.config["REDIS_URL"]:
        from redis.exceptions import RedisError

        from webapp.fetch.jobs import enqueue_fetch

        try:
            enqueue_fetch(package_id)
            return FetchStatus.QUEUED
        except RedisError:
            logger.exception("could not queue the fetch of package %s; fetching in-process", package_id)
    hard_until = None
    if has_request_context():
        if "fetch_deadline" not in g:
            g.fetch_deadline = time.monotonic() + current_app.config["FETCH_REQUEST_DEADLINE"]
        hard_until = g.fetch_deadline
        if hard_until - time.monotonic() < 1:
            return FetchStatus.DEFERRED
    fetcher = Fetcher(current_app.config, hard_until=hard_until)
    try:
        return fetch_package(package_id, fetcher=fetcher).status
    except Exception:  # the caller's own action (adding a package, a webhook call) must not fail for it
        logger.exception("fetch of package %s failed", package_id)
        return FetchStatus.FAILED
    finally:
        fetcher.close()


def fetch_new_package(package_id: int) -> FetchStatus:
    """Refresh a package just added, as setting ``FETCH_NEW_PACKAGES`` says, once it is committed.

    The fetch reads the package in its own transactions (or an RQ worker does), so it starts only when the
    unit of work that added the package commits (:func:`webapp.transaction.after_commit`), and never if that
    is rolled back. ``"auto"`` (default): queue it when ``REDIS_URL`` is set, else fetch in a background
    thread so the add-package request does not wait for remote hosts (and their retries); ``"sync"``: fetch
    in the request, right after its commit; ``"off"``: do not fetch (the package page offers "Fetch now").
    Returns ``"queued"``, ``"started"`` (a thread, or the request itself, will fetch it) or ``"off"``.
    """
    mode = current_app.config["FETCH_NEW_PACKAGES"]
    if mode == "off":
        return FetchStatus.OFF
    if mode == "sync" or current_app.config["REDIS_URL"]:
        after_commit(lambda: _fetch_new_now(package_id))
        return FetchStatus.STARTED if mode == "sync" else FetchStatus.QUEUED
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            _fetch_new_now(package_id)

    after_commit(threading.Thread(target=run, name=f"fetch-new-{package_id}", daemon=True).start)
    return FetchStatus.STARTED


def _fetch_new_now(package_id: int) -> None:
    try:
        enqueue_or_run_fetch(package_id)
    except Exception:  # a broken fetch must not lose the package that was just saved
        logger.exception("fetch of new package %s failed", package_id)


def _on_package_saved(_sender, *, package_id: int, created: bool, **_extra) -> FetchStatus | None:
    return fetch_new_package(package_id) if created else None


def _on_fetch_requested(_sender, *, package_id: int, **_extra) -> FetchStatus:
    try:
        return enqueue_or_run_fetch(package_id)
    except Exception:  # the fetch service records remote trouble itself; anything else is a bug to log
        logger.exception("fetch of package %s failed", package_id)
        return FetchStatus.FAILED


def connect_signals() -> None:
    """Fetch what the catalogue announces: a package just added, a "Fetch now" press."""
    package_saved.connect(_on_package_saved)
    fetch_requested.connect(_on_fetch_requested)


def _read_snapshot(session: Session, package_id: int) -> _Snapshot | None:
    row = session.execute(
        select(Package.id, Package.slug, Package.repo_url, Package.pypi_url).where(Package.id == package_id)
    ).one_or_none()
    if row is None:
        return None
    entries = session.scalars(select(HttpCacheEntry).where(HttpCacheEntry.package_id == package_id))
    cache = {entry.url: CacheEntry(entry.etag or "", entry.last_modified or "", entry.body) for entry in entries}
    return _Snapshot(row.id, row.slug, row.repo_url or "", row.pypi_url or "", cache)


def _run(label: str, snapshot: _Snapshot, address_key: str, address: str, belongs: Callable[[str], bool],
         call: Callable[[ConditionalCache], Any]) -> _Part:
    """Ask one source, with the validators stored for its current address only.

    Validators stored while the package had another address describe data since overwritten: a 304
    for them (say the address went A, B, then back to A) would keep B's data. They are not sent.
    """
    marker = snapshot.cache.get(address_key)
    own = [url for url in snapshot.cache if not url.startswith(ADDRESS_PREFIX) and belongs(url)]
    valid = marker is not None and marker.body == address
    cache = ConditionalCache({url: snapshot.cache[url] for url in own} if valid else {})
    part = _Part(label, cache, address_key, address if valid else None, [] if valid else own)
    try:
        part.data = call(cache)
    except NotFound:
        part.missing = True
    except FetchError as error:
        part.error = f"{label}: {error}"
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        logger.warning("%s: unexpected %s response for %s: %r", snapshot.slug, label, snapshot.repo_url, error)
        part.error = f"{label}: unexpected response ({type(error).__name__})"
    return part


def _set(obj: Any, attribute: str, value: Any, changed: list[str], name: str | None = None) -> None:
    """Assign only real changes, and note them."""
    # Compared as it will be stored (text is cleaned on write), or a dirty description "changes" every run.
    value = clean_value(value)
    if value is UNCHANGED or getattr(obj, attribute) == value:
        return
    setattr(obj, attribute, value)
    changed.append(name or attribute)


def _write(engine: Engine, items: list[_Fetched], *, isolate: bool) -> list[FetchOutcome]:
    """Store fetched packages in one transaction. If that fails and ``isolate`` is set, store them one
    transaction each, so one package's failure (logged, reported as failed) costs only that package."""
    lock = _sqlite_write_lock if engine.dialect.name == "sqlite" else None
    if lock:
        lock.acquire()
    try:
        try:
            return _write_together(engine, items)
        except Exception:
            if not isolate or len(items) == 1:
                raise
            logger.warning("saving %s packages together failed; saving them one by one", len(items))
        outcomes = []
        for item in items:
            try:
                outcomes.extend(_write_together(engine, [item]))
            except Exception:
                logger.exception("saving package %s failed", item.snapshot.slug)
                outcomes.append(FetchOutcome(item.snapshot.id, item.snapshot.slug, status=FetchStatus.FAILED,
                                             errors=["internal error while saving (see the log)"]))
        return outcomes
    finally:
        if lock:
            lock.release()


def _write_together(engine: Engine, items: list[_Fetched]) -> list[FetchOutcome]:
    """One transaction for ``items``, with a fixed number of statements whatever their count."""
    ids = [item.snapshot.id for item in items]
    with Session(engine, expire_on_commit=False, autoflush=False) as session, session.begin():
        if engine.dialect.name == "sqlite":
            # SQLite's driver would open the transaction only at the first UPDATE: take the write lock
            # before reading the packages, so nothing changes between the read and the write.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        packages = {package.id: package for package in session.scalars(
            select(Package).where(Package.id.in_(ids)).order_by(Package.id).with_for_update())}
        releases: dict[int, dict[str, Version]] = {package_id: {} for package_id in ids}
        for version in session.scalars(select(Version).where(Version.package_id.in_(ids))):
            releases[version.package_id][version.number] = version
        validators: list[dict] = []
        outcomes = [_apply(session, item, packages.get(item.snapshot.id), releases[item.snapshot.id], validators)
                    for item in items]
        _store_validators(session, validators)
        _record_trends(session, items, outcomes, packages, releases)
        _record_fetch_day(session, items, outcomes)
        _store_quotas(session, items)
        return outcomes


def _apply(session: Session, item: _Fetched, package: Package | None, releases: dict[str, Version],
           validators: list[dict]) -> FetchOutcome:
    """Set one package's fetched data and error state; collect its validators (written by the caller)."""
    snapshot, repo, pypi, now = item.snapshot, item.repo, item.pypi, item.now
    if package is None:
        return FetchOutcome(snapshot.id, snapshot.slug, status=FetchStatus.MISSING)
    outcome = FetchOutcome(package.id, package.slug)
    # Someone changed the address while we fetched: that source's answer is about the old one.
    if repo and package.repo_url != snapshot.repo_url:
        repo = None
    if pypi and package.pypi_url != snapshot.pypi_url:
        pypi = None
    for part in (repo, pypi):
        if part is None:
            continue
        if part.error:
            outcome.errors.append(part.error)
        elif part.missing:
            if package.repo_missing_since is None:
                package.repo_missing_since = now
                outcome.changed.append("repo_missing_since")
        else:
            if part is repo:
                _apply_repo(session, package, part.data, now, outcome.changed)
            elif part.data is not None:
                _apply_pypi(session, package, part.data, releases, outcome.changed)
            _collect_validators(session, package, part, now, validators)
    refresh_current_release_and_score(package, releases.values())
    if outcome.errors:
        package.fetch_error = "; ".join(outcome.errors)[:MAX_ERROR_LENGTH]
        package.fetch_error_at = now
        package.fetch_error_count = (package.fetch_error_count or 0) + 1
        outcome.status = FetchStatus.FAILED
    else:
        package.fetch_error, package.fetch_error_at, package.fetch_error_count = "", None, 0
        package.last_fetched = now
        outcome.status = FetchStatus.UPDATED if outcome.changed else FetchStatus.UNCHANGED
    return outcome


def _apply_repo(session: Session, package: Package, data: RepoData, now: datetime, changed: list[str]) -> None:
    _set(package, "repo_description", data.description, changed)
    _set(package, "repo_watchers", data.stars, changed)
    _set(package, "repo_forks", data.forks, changed)
    _set(package, "last_commit_date", data.last_commit_date, changed)
    _set(package, "commit_count", data.commit_count, changed)
    _set(package, "participants", data.participants, changed)
    _set(package, "commits_over_52", data.commits_over_52, changed)
    if data.archived is not UNCHANGED:
        archived_at = None
        if data.archived:
            archived_at = data.archived_at or package.date_repo_archived or now
        _set(package, "date_repo_archived", archived_at, changed)
    _set(package, "repo_missing_since", None, changed)
    _set(package, "stats_are_demo", False, changed)
    _follow_rename(session, package, data.html_url, changed)


def _follow_rename(session: Session, package: Package, html_url: str | None, changed: list[str]) -> None:
    """A renamed or transferred repository: store its new address, in the package's history too."""
    old, new = parse_repo_url(package.repo_url), parse_repo_url(html_url)
    if not old or not new or new.kind != old.kind or new.full_name.lower() == old.full_name.lower():
        return
    if url_problem(new.url) is not None:
        logger.warning("%s: ignoring an unusable new repository address %r", package.slug, html_url)
        return
    session.add(Change(
        object_type="package", object_id=package.id, package_id=package.id, user_id=None, action=ChangeAction.UPDATE,
        field="repo_url", old_value=as_text(package.repo_url), new_value=new.url,
        summary="The repository moved: its host now answers at this address.",
    ))
    package.repo_url = new.url
    # An edit form opened before the move must not put the old address back. Incremented in SQL: a person's
    # save committed since this fetch read the package must not be matched by the revision we write.
    package.revision = Package.revision + 1
    changed.append("repo_url")


def _apply_pypi(session: Session, package: Package, data: PypiData, stored: dict[str, Version],
                changed: list[str]) -> None:
    _set(package, "pypi_version", data.version, changed)
    _store_vulnerabilities(session, package, data, changed)
    if data.documentation_url and (not package.documentation_url or package.documentation_url_from_pypi):
        _set(package, "documentation_url", data.documentation_url, changed)
        package.documentation_url_from_pypi = True
    releases_changed: list[str] = []
    listed = set()
    for release in data.releases:
        listed.add(release.number)
        version = stored.get(release.number)
        if version is None:
            version = Version(package_id=package.id, number=release.number, hidden=False, yanked=False,
                              license="", development_status="", requires_python="")
            session.add(version)
            stored[release.number] = version
            releases_changed.append(release.number)
        _set(version, "upload_time", release.upload_time, releases_changed, release.number)
        _set(version, "requires_python", release.requires_python, releases_changed, release.number)
        _set(version, "yanked", release.yanked, releases_changed, release.number)
        _set(version, "hidden", False, releases_changed, release.number)
        if release.supports_python3 is not None:
            _set(version, "supports_python3", release.supports_python3, releases_changed, release.number)
        if release.license is not None:
            _set(version, "license", release.license, releases_changed, release.number)
        if release.development_status is not None:
            _set(version, "development_status", release.development_status, releases_changed, release.number)
        if release.classifiers is not None:  # the declared Django, Python and Wagtail versions follow them
            _set(version, "classifiers", release.classifiers, releases_changed, release.number)
    # Releases PyPI no longer lists are hidden, never deleted.
    for number, version in stored.items():
        if number not in listed:
            _set(version, "hidden", True, releases_changed, number)
    if releases_changed:
        changed.append("versions")


def _store_vulnerabilities(session: Session, package: Package, data: PypiData, changed: list[str]) -> None:
    """Replace the package's known vulnerabilities with those PyPI lists now (a 304 or a failed answer never
    gets here, so the last good list stays)."""
    rows = [{"package_id": package.id, "version": data.version, "advisory_id": advisory.advisory_id,
             "aliases": advisory.aliases, "summary": clean_value(advisory.summary), "fixed_in": advisory.fixed_in,
             "link": advisory.link, "created": utcnow()} for advisory in data.vulnerabilities]
    if package.vulnerability_count or rows:  # nothing stored and nothing listed: no statement at all
        session.execute(delete(Vulnerability).where(Vulnerability.package_id == package.id))
        if rows:
            session.execute(plain_insert(Vulnerability), rows)
    _set(package, "vulnerability_count", len(rows), changed)


def _collect_validators(session: Session, package: Package, part: _Part, now: datetime,
                        validators: list[dict]) -> None:
    """The validators one successful source learnt, and the address they are for."""
    if part.stale:
        session.execute(delete(HttpCacheEntry).where(HttpCacheEntry.package_id == package.id,
                                                     HttpCacheEntry.url.in_(part.stale)))
    rows = {url: (entry.etag, entry.last_modified, entry.body) for url, entry in part.cache.updates.items()}
    address = package.repo_url if part.address_key == REPO_ADDRESS else package.pypi_url
    if address != part.valid_for:  # first fetch, a changed address, or a rename followed just now
        rows[part.address_key] = ("", "", address)
    validators.extend({"package_id": package.id, "url": url[:1000], "etag": etag[:500],
                       "last_modified": last_modified[:100], "body": body, "updated": now}
                      for url, (etag, last_modified, body) in rows.items())


def _store_validators(session: Session, rows: list[dict]) -> None:
    """Insert or update validators in one statement."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(HttpCacheEntry)
    statement = statement.on_conflict_do_update(
        index_elements=["package_id", "url"],
        set_={name: statement.excluded[name] for name in ("etag", "last_modified", "body", "updated")},
    )
    session.execute(statement, rows)


def _quotas(fetcher: Fetcher) -> dict[str, tuple[int | None, int, float | None]]:
    """The API quota each host has reported so far in this run (limit, remaining, reset time)."""
    return {client.name: (client.quota.limit, client.quota.remaining, client.quota.reset_at)
            for client in fetcher.clients.values() if client.quota.remaining is not None}


def _upsert(session: Session, model, rows: list[dict], keys: list[str], set_) -> None:
    if not rows:
        return
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model)
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=set_(statement)), rows)


def _record_trends(session: Session, items: list[_Fetched], outcomes: list[FetchOutcome],
                   packages: dict[int, Package], releases: dict[int, dict[str, Version]]) -> None:
    """A dated snapshot of every package fetched without error, and its chart drawn again: two statements."""
    fetched = [(packages[outcome.package_id], item.now.date()) for item, outcome in zip(items, outcomes, strict=True)
               if outcome.status in (FetchStatus.UPDATED, FetchStatus.UNCHANGED) and outcome.package_id in packages]
    if not fetched:
        return
    stored = {package_id: list(versions.values()) for package_id, versions in releases.items()}
    # The first real fetch of a demo package: its illustrative history goes, the real one starts.
    forget_snapshots(session, [outcome.package_id for outcome in outcomes if "stats_are_demo" in outcome.changed])
    record_snapshots(session, fetched, stored)
    refresh_trend_charts(session, [package for package, _day in fetched], stored, max(day for _p, day in fetched))


def _record_fetch_day(session: Session, items: list[_Fetched], outcomes: list[FetchOutcome]) -> None:
    """Add this write's fetches and failures to their day's counts: one statement."""
    days: dict = {}
    for item, outcome in zip(items, outcomes, strict=True):
        counts = days.setdefault(item.now.date(), {"day": item.now.date(), "fetched": 0, "failed": 0})
        counts["fetched"] += 1
        counts["failed"] += outcome.status == FetchStatus.FAILED
    table = FetchDay.__table__
    _upsert(session, FetchDay, list(days.values()), ["day"], lambda statement: {
        "fetched": table.c.fetched + statement.excluded.fetched, "failed": table.c.failed + statement.excluded.failed})


def _store_quotas(session: Session, items: list[_Fetched]) -> None:
    """The latest quota each host reported to the fetches written: one statement."""
    latest: dict[str, dict] = {}
    for item in items:
        for host, (limit, remaining, reset_at) in item.quotas.items():
            reset = datetime.fromtimestamp(reset_at, timezone.utc) if reset_at else None
            latest[host] = {"host": host, "limit": limit, "remaining": remaining, "reset_at": reset,
                            "recorded_at": item.now}
    _upsert(session, FetchQuota, list(latest.values()), ["host"], lambda statement: {
        name: statement.excluded[name] for name in ("limit", "remaining", "reset_at", "recorded_at")})
