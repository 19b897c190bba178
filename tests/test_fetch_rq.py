"""The RQ path against the real Redis (database 5 of 127.0.0.1:6379): jobs, retries, killed workers, cron."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import text

from tests.fetch_support import REDIS_URL, ROOT, package, reload, run_jobs
from webapp.catalog.models import Version
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.fetch.jobs import QUEUE_NAME, enqueue_fetch, enqueue_stale_job, job_id_for, periodic_refresh_job
from webapp.fetch.services import enqueue_or_run_fetch


def test_enqueue_queues_one_retrying_job_per_package_and_a_worker_runs_them(app, remote, queue):
    deps = package("https://github.com/django/deps")
    django = package(pypi_url="https://pypi.org/project/django/")
    runner = app.test_cli_runner()

    result = runner.invoke(args=["fetch", "--enqueue", "deps", "django"])
    runner.invoke(args=["fetch", "--enqueue", "deps"])  # already waiting: not queued twice

    assert result.exit_code == 0, result.output
    assert "Queued 2 fetch jobs" in result.output
    assert queue.count == 2
    job = Job.fetch(job_id_for(deps.id), connection=queue.connection)
    assert job.func_name == "webapp.fetch.jobs.fetch_package_job"
    assert (job.retries_left, job.retry_intervals, job.timeout) == (3, [60, 300, 1800], 600)
    assert remote.hits == []

    run_jobs(queue)

    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == "updated"
    assert reload(deps).repo_watchers == 401
    assert reload(django).pypi_version == "4.0.2"
    assert queue.count == 0


def test_enqueue_or_run_fetch_queues_when_redis_is_configured(app, remote, queue):
    deps = package("https://github.com/django/deps")

    assert enqueue_or_run_fetch(deps.id) == "queued"

    assert queue.job_ids == [job_id_for(deps.id)]
    assert reload(deps).last_fetched is None


def test_enqueue_or_run_fetch_runs_in_process_without_redis(app, remote, monkeypatch):
    deps = package("https://github.com/django/deps")
    assert enqueue_or_run_fetch(deps.id) == "updated"
    assert reload(deps).repo_watchers == 401

    # Configured but unreachable: the fetch is not lost.
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    other = package("https://github.com/pydanny/dj-paginator")
    assert enqueue_or_run_fetch(other.id) == "updated"
    assert reload(other).repo_watchers == 36


def test_a_job_whose_quota_is_spent_reschedules_itself_after_the_reset(app, remote, queue, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_JOB_MAX_QUOTA_WAIT", 5)
    deps = package("https://github.com/django/deps")
    remote.inject("github", r"^/repos/django/deps$", "rate_limit", reset_in=600)
    job = enqueue_fetch(deps.id)

    run_jobs(queue)

    assert job.return_value() == "quota"
    registry = ScheduledJobRegistry(queue=queue)
    later = f"{job_id_for(deps.id)}-quota"
    assert registry.get_job_ids() == [later]
    when = registry.get_scheduled_time(later)
    assert timedelta(seconds=590) < when - utcnow() < timedelta(seconds=620)
    assert reload(deps).fetch_error == ""


def test_the_periodic_job_queues_stale_packages_and_rq_cron_runs_it(app, remote, queue):
    stale = package("https://github.com/django/deps", last_fetched=utcnow() - timedelta(days=2))
    package("https://github.com/pydanny/dj-paginator", last_fetched=utcnow() - timedelta(hours=1))

    assert enqueue_stale_job() == 1

    assert queue.job_ids == [job_id_for(stale.id)]
    scheduler = CronScheduler(connection=queue.connection)
    scheduler.load_config_from_file("webapp.fetch.cron")
    # Two jobs: the stale packages every 6 hours, and the daily refresh of what other domains keep from elsewhere.
    assert sorted((job.name, job.func, job.queue_name, job.interval) for job in scheduler.get_jobs()) == [
        ("fetch-stale-packages", enqueue_stale_job, "fetch", 21600),
        ("periodic-refresh", periodic_refresh_job, "fetch", 86400)]


# -- killed workers --------------------------------------------------------------------------------------------------

def start_worker(app, remote, log: Path) -> subprocess.Popen:
    """``rq worker --burst`` in a subprocess, against this test's database and fake hosts.

    Retries wait 30 s, so the burst worker stops after the kill and the test sees the state in between.
    """
    env = {**os.environ, **remote.config(), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": REDIS_URL, "FETCH_BACKOFF": "0", "FETCH_JOB_RETRY_INTERVALS": "30"}
    return subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, QUEUE_NAME],
                            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def work_horse(worker: subprocess.Popen) -> int:
    """The pid of the process RQ forked to run the job."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    for _ in range(600):
        pids = children.read_text().split() if children.exists() else []
        if pids:
            return int(pids[0])
        time.sleep(0.05)
    raise AssertionError("the worker never forked a work-horse")


def wait_for(condition, seconds: float = 60.0, message=lambda: "timed out waiting"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(message())


def fresh_scalar(statement, **params):
    """One value, read in a new transaction (PostgreSQL's activity view is a snapshot within one)."""
    with db.engine.connect() as connection:
        return connection.execute(statement, params).scalar()


def assert_untouched(deps) -> None:
    db.session.rollback()
    deps = reload(deps)
    assert (deps.repo_watchers, deps.participants, deps.pypi_version, deps.last_fetched) == (0, [], None, None)
    assert (deps.fetch_error, deps.fetch_error_count) == ("", 0)
    assert db.session.query(Version).filter_by(package_id=deps.id).count() == 0


def retry_now(job: Job, queue: Queue) -> None:
    """Run the scheduled retry now rather than in 30 s."""
    ScheduledJobRegistry(queue=queue).requeue(job)
    run_jobs(queue)


def test_a_worker_killed_mid_job_leaves_nothing_and_the_job_is_retried(app, remote, queue, tmp_path):
    deps = package("https://github.com/django/deps", pypi_url="https://pypi.org/project/django/")
    remote.inject("pypi", "django", "hang")
    job = enqueue_fetch(deps.id)
    worker = start_worker(app, remote, tmp_path / "worker.log")
    try:
        assert remote.hang_started.wait(60), (tmp_path / "worker.log").read_text()
        os.kill(work_horse(worker), signal.SIGKILL)
        remote.release_hang.set()
        assert worker.wait(60) == 0
    finally:
        worker.kill()

    job.refresh()
    assert job.get_status() == "scheduled", (tmp_path / "worker.log").read_text()
    assert job.retries_left == 2
    assert "Work-horse terminated unexpectedly" in (tmp_path / "worker.log").read_text()
    assert_untouched(deps)

    retry_now(job, queue)

    assert job.get_status(refresh=True) == "finished"
    assert reload(deps).repo_watchers == 401 and reload(deps).pypi_version == "4.0.2"


def test_a_worker_killed_inside_its_write_transaction_leaves_nothing(app, remote, queue, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL shows which statement a connection waits on; SQLite has one writer at a time")
    deps = package("https://github.com/django/deps", pypi_url="https://pypi.org/project/django/")
    job = enqueue_fetch(deps.id)
    waiting = text("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE 'INSERT INTO versions%'")
    with db.engine.connect() as locker:
        # The worker's transaction gets as far as updating the package row, then waits for this lock.
        locker.execute(text("LOCK TABLE versions IN EXCLUSIVE MODE"))
        worker = start_worker(app, remote, tmp_path / "worker.log")
        try:
            backend = wait_for(lambda: fresh_scalar(waiting), message=lambda: (tmp_path / "worker.log").read_text())
            os.kill(work_horse(worker), signal.SIGKILL)
            assert worker.wait(60) == 0
        finally:
            worker.kill()
        locker.rollback()

    # PostgreSQL ends the killed worker's transaction when it finds the client gone: rolled back.
    wait_for(lambda: fresh_scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), pid=backend) == 0)
    job.refresh()
    assert (job.get_status(), job.retries_left) == ("scheduled", 2)
    assert "Work-horse terminated unexpectedly" in (tmp_path / "worker.log").read_text()
    assert_untouched(deps)

    retry_now(job, queue)

    assert job.get_status(refresh=True) == "finished"
    assert reload(deps).repo_watchers == 401
    assert db.session.query(Version).filter_by(package_id=deps.id).count() == 294


def test_the_job_builds_its_app_from_the_environment_outside_an_app_context(app, remote):
    """What ``rq worker`` does: no app context; the app comes from DATABASE_URL and the other settings."""
    deps = package("https://github.com/django/deps")
    env = {**os.environ, **remote.config(), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}

    result = subprocess.run(
        [sys.executable, "-c", f"from webapp.fetch.jobs import fetch_package_job; print(fetch_package_job({deps.id}))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "updated"
    assert reload(deps).repo_watchers == 401
