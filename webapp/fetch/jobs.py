"""RQ jobs: one job per package on the ``fetch`` queue, run by ``rq worker`` processes.

A job's whole write is one database transaction, so a worker killed mid-job (OOM, deploy, SIGKILL)
leaves the package as it was; RQ sees the dead work-horse and, since every job is enqueued with
``Retry``, runs it again. A job whose host quota is spent reschedules itself for when it resets
instead of holding a worker (needs ``rq worker --with-scheduler``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from webapp.db_types import utcnow
from webapp.fetch.fetcher import Fetcher
from webapp.fetch.queries import stale_package_ids
from webapp.fetch.services import fetch_package
from webapp.fetch_status import FetchStatus

logger = logging.getLogger(__name__)

QUEUE_NAME = "fetch"
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def job_id_for(package_id: int) -> str:
    return f"fetch-package-{package_id}"


def fetch_queue(redis_url: str | None = None) -> Queue:
    """The ``fetch`` queue on ``REDIS_URL``."""
    url = redis_url or current_app.config["REDIS_URL"]
    if not url:
        raise RuntimeError("REDIS_URL is not set")
    return Queue(QUEUE_NAME, connection=Redis.from_url(url))


def job_options(config) -> dict:
    """Timeout, retries and result lifetimes for fetch jobs, from the configuration."""
    intervals = config["FETCH_JOB_RETRY_INTERVALS"]
    return {
        "job_timeout": config["FETCH_JOB_TIMEOUT"],
        "retry": Retry(max=config["FETCH_JOB_RETRIES"], interval=intervals or 0),
        "result_ttl": 86400,
        "failure_ttl": 7 * 86400,
    }


def enqueue_fetch(package_id: int, *, queue: Queue | None = None) -> Job:
    """Queue a fetch of one package, unless one is already waiting for it."""
    queue = queue or fetch_queue()
    job_id = job_id_for(package_id)
    try:
        existing = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        existing = None
    if existing is not None:
        status = existing.get_status(refresh=False)
        if status in WAITING:
            return existing
        if status == JobStatus.STARTED:
            # It may have read the package before the change that asks for this fetch: run again after it.
            job_id = f"{job_id}-{uuid.uuid4().hex[:8]}"
    return queue.enqueue(fetch_package_job, package_id, job_id=job_id, description=f"fetch package {package_id}",
                         **job_options(current_app.config))


def enqueue_many(package_ids: list[int], *, queue: Queue | None = None) -> int:
    """Queue fetches for many packages; returns how many jobs are waiting for them."""
    queue = queue or fetch_queue()
    for package_id in package_ids:
        enqueue_fetch(package_id, queue=queue)
    return len(package_ids)


@lru_cache(maxsize=1)
def _worker_app() -> Flask:
    from webapp import create_app

    return create_app()


def fetch_package_job(package_id: int) -> str:
    """The job: refresh one package. Runs in the current app context, or builds the app from the environment."""
    if has_app_context():
        return _run(package_id)
    with _worker_app().app_context():
        return _run(package_id)


def _run(package_id: int) -> str:
    config = current_app.config
    # A worker waits a little for quota; longer pauses are rescheduled rather than blocking the worker.
    fetcher = Fetcher(config, max_quota_wait=config["FETCH_JOB_MAX_QUOTA_WAIT"])
    try:
        outcome = fetch_package(package_id, fetcher=fetcher)
    finally:
        fetcher.close()
    if outcome.status == FetchStatus.QUOTA and outcome.resume_at:
        when = datetime.fromtimestamp(outcome.resume_at, timezone.utc) + timedelta(seconds=5)
        fetch_queue().enqueue_at(when, fetch_package_job, package_id, job_id=f"{job_id_for(package_id)}-quota",
                                 description=f"fetch package {package_id} (after the quota reset)",
                                 **job_options(config))
        logger.info("package %s: quota spent, rescheduled for %s", package_id, when.isoformat())
    return outcome.status.value  # RQ keeps the result: a plain string, not a pickled enum


def enqueue_stale_job() -> int:
    """Periodic job (see :mod:`webapp.fetch.cron`): queue a fetch for every stale package."""
    if not has_app_context():
        with _worker_app().app_context():
            return enqueue_stale_job()
    cutoff = utcnow() - current_app.config["FETCH_STALE_AFTER"]
    return enqueue_many(stale_package_ids(cutoff))


def periodic_refresh_job() -> int:
    """Periodic job (see :mod:`webapp.fetch.cron`): what other domains keep from elsewhere (the release cycles of
    the readiness pages) is refreshed by their receivers of :data:`webapp.signals.periodic_refresh`."""
    if not has_app_context():
        with _worker_app().app_context():
            return periodic_refresh_job()
    from webapp.signals import answers, periodic_refresh

    lines = answers(periodic_refresh)
    for line in lines:
        logger.info("%s", line)
    return len(lines)
