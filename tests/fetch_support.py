"""Fixtures and helpers shared by the fetch tests: the fake hosts, a fake clock, and Redis database 5."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from tests.factories import make_category
from tests.fakes.remote_hosts import FakeClock, FakeRemoteHosts
from tests.helpers import require_or_skip
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.fetch.fetcher import Fetcher
from webapp.fetch.jobs import QUEUE_NAME
from webapp.repos import parse_repo_url, pypi_name

# The cassettes were recorded on 2024-01-13: weekly counts are computed as of then.
RECORDED_AT = datetime(2024, 1, 13, 2, 47, tzinfo=timezone.utc)


@pytest.fixture
def remote(app, monkeypatch):
    """The fake hosts, with the app pointed at them and retries that do not wait."""
    fake = FakeRemoteHosts().start()
    for key, value in {**fake.config(), "FETCH_BACKOFF": 0.0, "FETCH_RETRIES": 2, "FETCH_TIMEOUT": 2.0}.items():
        monkeypatch.setitem(app.config, key, value)
    yield fake
    fake.stop()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fetcher(app, remote, clock):
    instance = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    yield instance
    instance.close()


def package(repo_url: str = "", pypi_url: str = "", **fields) -> Package:
    """A package as a person added it: addresses only, nothing fetched yet."""
    slug = fields.pop("slug", None) or (parse_repo_url(repo_url).name.lower() if repo_url else pypi_name(pypi_url))
    item = Package(title=slug, slug=slug, category=make_category(), repo_url=repo_url, pypi_url=pypi_url, **fields)
    db.session.add(item)
    db.session.commit()
    return item


def reload(item: Package) -> Package:
    db.session.expire_all()
    return db.session.get(Package, item.id)


REDIS_URL = "redis://127.0.0.1:6379/5"
ROOT = Path(__file__).resolve().parents[1]


def redis_is_up() -> bool:
    try:
        return bool(Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except RedisError:
        return False


@pytest.fixture
def redis_db(app, monkeypatch):
    """Redis database 5, empty, with the app configured to queue there."""
    require_or_skip(redis_is_up(), "Redis is not answering on 127.0.0.1:6379", "REQUIRE_REDIS")
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def queue(redis_db):
    return Queue(QUEUE_NAME, connection=redis_db)


def run_jobs(queue: Queue) -> None:
    """A real RQ worker, in this process (so the job sees this test's app and database), until the queue is empty."""
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
