"""Faults: retries, rate limits, 404/301/202, crashes mid-write. Nothing fetched before is ever lost."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, select

from tests.fetch_support import RECORDED_AT, package, reload
from webapp.catalog.models import Package, Version
from webapp.extensions import db
from webapp.fetch.fetcher import Fetcher
from webapp.fetch.models import HttpCacheEntry
from webapp.fetch.services import fetch_package
from webapp.history.models import Change

REPO = r"^/repos/django/deps$"


def with_data(**fields) -> Package:
    """django/deps with data from an earlier successful fetch."""
    fields = {"repo_description": "Old description", "repo_watchers": 5, "repo_forks": 1,
              "participants": ["old-timer"], "commits_over_52": [2] * 52, **fields}
    return package("https://github.com/django/deps", **fields)


def test_a_5xx_is_retried_with_backoff(app, remote, clock, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_BACKOFF", 0.5)
    fetcher = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    remote.inject("github", REPO, "status", code=502)
    deps = package("https://github.com/django/deps")

    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"

    assert [hit.status for hit in remote.requests_to("github", REPO)] == [502, 200]
    assert clock.sleeps == [0.5]
    assert reload(deps).repo_watchers == 401
    assert reload(deps).fetch_error == ""


def test_persistent_failures_are_recorded_counted_shown_and_cleared(app, remote, clock, client, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_BACKOFF", 0.5)
    fetcher = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    remote.inject("github", REPO, "status", code=500, times=None)
    deps = with_data()

    first = fetch_package(deps.id, fetcher=fetcher)
    second = fetch_package(deps.id, fetcher=fetcher)

    assert (first.status, second.status) == ("failed", "failed")
    deps = reload(deps)
    assert deps.fetch_error == "GitHub: HTTP 500 for /github/repos/django/deps (3 attempts)"
    assert (deps.fetch_error_at, deps.fetch_error_count) == (RECORDED_AT, 2)
    assert (deps.repo_description, deps.repo_watchers, deps.participants) == ("Old description", 5, ["old-timer"])
    assert deps.last_fetched is None
    assert clock.sleeps == [0.5, 1.0, 0.5, 1.0]
    page = client.get("/packages/p/deps/").get_data(as_text=True)
    assert "Fetch problem" in page and "HTTP 500 for /github/repos/django/deps (3 attempts)" in page
    assert "(2 times in a row)" in page

    remote.faults.clear()
    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"

    deps = reload(deps)
    assert (deps.fetch_error, deps.fetch_error_at, deps.fetch_error_count) == ("", None, 0)
    assert deps.last_fetched == RECORDED_AT
    assert deps.repo_watchers == 401
    assert "Fetch problem" not in client.get("/packages/p/deps/").get_data(as_text=True)


def test_timeouts_are_retried_then_recorded(app, remote, clock, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_TIMEOUT", 0.3)
    fetcher = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    django = package(pypi_url="https://pypi.org/project/django/")
    remote.inject("pypi", "django", "slow", delay=1.0)

    assert fetch_package(django.id, fetcher=fetcher).status == "updated"
    assert reload(django).pypi_version == "4.0.2"
    assert fetcher.stats().hosts["PyPI"].retried == 1

    remote.inject("pypi", "django", "slow", delay=1.0, times=3)
    db.session.execute(db.delete(HttpCacheEntry))
    db.session.commit()
    assert fetch_package(django.id, fetcher=fetcher).status == "failed"
    assert reload(django).fetch_error == "PyPI: timed out for /pypi/pypi/django/json (3 attempts)"
    assert reload(django).pypi_version == "4.0.2"


def test_garbage_bodies_are_retried_then_recorded(remote, fetcher):
    deps = with_data()
    remote.inject("github", "/stats/participation", "garbage")

    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"
    assert reload(deps).commits_over_52[48] == 1

    other = with_data(slug="other-deps")
    remote.inject("github", "/contributors", "garbage", times=None)
    assert fetch_package(other.id, fetcher=fetcher).status == "failed"
    assert reload(other).fetch_error == ("GitHub: malformed response (not JSON) for "
                                         "/github/repos/django/deps/contributors (3 attempts)")
    assert reload(other).participants == ["old-timer"]

    remote.faults.clear()
    remote.inject("github", "/contributors", "status", code=200, body={"not": "a list"}, times=None)
    assert fetch_package(other.id, fetcher=fetcher).status == "failed"
    assert "malformed response (not a JSON list)" in reload(other).fetch_error
    assert reload(other).fetch_error_count == 2


def test_a_found_repository_clears_the_missing_mark(remote, fetcher):
    deps = with_data()
    remote.inject("github", REPO, "status", code=404, body={"message": "Not Found"})
    fetch_package(deps.id, fetcher=fetcher)
    assert reload(deps).repo_missing_since == RECORDED_AT
    assert reload(deps).repo_watchers == 5

    fetch_package(deps.id, fetcher=fetcher)

    assert reload(deps).repo_missing_since is None
    assert reload(deps).repo_watchers == 401


def test_a_renamed_repository_301_updates_repo_url_and_the_history(remote, fetcher):
    remote.move("django/old-deps", "django/deps")
    moved = package("https://github.com/django/old-deps")

    assert fetch_package(moved.id, fetcher=fetcher).status == "updated"

    moved = reload(moved)
    assert moved.repo_url == "https://github.com/django/deps"
    assert moved.revision == 2  # an edit form opened before the move cannot put the old address back
    assert moved.repo_watchers == 401
    assert [(hit.path, hit.status) for hit in remote.requests_to("github")][:3] == [
        ("/repos/django/old-deps", 301), ("/repositories/18764735", 200),
        ("/repos/django/deps/contributors?per_page=100", 200),
    ]
    change = db.session.scalars(select(Change).where(Change.package_id == moved.id)).one()
    assert (change.field, change.old_value, change.new_value, change.user_id) == (
        "repo_url", "https://github.com/django/old-deps", "https://github.com/django/deps", None)


def test_statistics_still_being_computed_202_keep_the_old_weekly_counts(remote, fetcher):
    deps = with_data()
    remote.inject("github", "/stats/participation", "status", code=202, body={})

    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"

    deps = reload(deps)
    assert deps.commits_over_52 == [2] * 52
    assert deps.repo_watchers == 401
    assert deps.fetch_error == ""
    urls = db.session.scalars(select(HttpCacheEntry.url).where(HttpCacheEntry.package_id == deps.id)).all()
    assert not any(url.endswith("/stats/participation") for url in urls)  # asked again, unconditionally, next time

    fetch_package(deps.id, fetcher=fetcher)

    assert reload(deps).commits_over_52[40:49] == [1, 1, 0, 0, 0, 0, 0, 0, 1]


def test_a_spent_quota_pauses_the_fetch_instead_of_failing_it(remote, fetcher, clock):
    deps = package("https://github.com/django/deps")
    remote.inject("github", REPO, "rate_limit", reset_in=30)

    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"

    assert len(clock.sleeps) == 1 and 29 < clock.sleeps[0] <= 32  # until X-RateLimit-Reset, plus a second
    assert reload(deps).fetch_error == ""
    assert reload(deps).repo_watchers == 401
    assert fetcher.stats().hosts["GitHub"].rate_limited == 1
    assert [hit.status for hit in remote.requests_to("github", REPO)] == [403, 200]


def test_429_and_secondary_limits_wait_as_long_as_retry_after_says(remote, fetcher, clock):
    django = package("https://github.com/django/deps", pypi_url="https://pypi.org/project/django/")
    remote.inject("pypi", "django", "retry_after", seconds=7)
    remote.inject("github", REPO, "status", code=403, headers={"Retry-After": "60"},
                  body={"message": "You have exceeded a secondary rate limit."})

    assert fetch_package(django.id, fetcher=fetcher).status == "updated"

    assert sorted(round(pause) for pause in clock.sleeps) == [7, 60]
    assert reload(django).fetch_error == ""


def test_a_quota_spent_for_longer_than_allowed_leaves_the_package_for_later(app, remote, clock):
    fetcher = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT, max_quota_wait=5)
    first = with_data()
    second = with_data(slug="second")
    remote.inject("github", REPO, "rate_limit", reset_in=600)

    outcome = fetch_package(first.id, fetcher=fetcher)
    requests_so_far = len(remote.hits)
    later = fetch_package(second.id, fetcher=fetcher)

    assert outcome.status == later.status == "quota"
    assert outcome.resume_at > clock.time() + 590
    assert len(remote.hits) == requests_so_far  # the spent quota is known: no request is sent
    for item in (reload(first), reload(second)):
        assert (item.fetch_error, item.fetch_error_count, item.last_fetched) == ("", 0, None)
        assert item.repo_watchers == 5
    assert clock.sleeps == []


def test_a_403_that_is_not_a_rate_limit_is_an_error(remote, fetcher):
    deps = with_data()
    remote.inject("github", REPO, "status", code=403, body={"message": "Repository access blocked"})

    assert fetch_package(deps.id, fetcher=fetcher).status == "failed"

    assert reload(deps).fetch_error == "GitHub: unexpected HTTP 403 for /github/repos/django/deps"


def test_a_crash_in_the_middle_of_the_write_leaves_the_package_unchanged(remote, fetcher):
    deps = with_data(pypi_url="https://pypi.org/project/django/")

    def crash_on_releases(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO versions"):
            raise RuntimeError("worker killed")

    event.listen(db.engine, "before_cursor_execute", crash_on_releases)
    try:
        with pytest.raises(RuntimeError, match="worker killed"):
            fetch_package(deps.id, fetcher=fetcher)
    finally:
        event.remove(db.engine, "before_cursor_execute", crash_on_releases)

    deps = reload(deps)
    assert (deps.repo_description, deps.repo_watchers, deps.pypi_version) == ("Old description", 5, None)
    assert deps.last_fetched is None
    assert db.session.query(Version).filter_by(package_id=deps.id).count() == 0
    assert db.session.query(HttpCacheEntry).filter_by(package_id=deps.id).count() == 0

    assert fetch_package(deps.id, fetcher=fetcher).status == "updated"
    assert db.session.query(Version).filter_by(package_id=deps.id).count() == 294
    assert reload(deps).repo_watchers == 401


def test_one_failing_source_does_not_stop_the_other(remote, fetcher):
    deps = with_data(pypi_url="https://pypi.org/project/django/")
    remote.inject("pypi", "django", "status", code=503, times=None)

    assert fetch_package(deps.id, fetcher=fetcher).status == "failed"

    deps = reload(deps)
    assert deps.repo_watchers == 401
    assert deps.fetch_error == "PyPI: HTTP 503 for /pypi/pypi/django/json (3 attempts)"
    assert deps.last_fetched is None  # not a complete refresh
    assert deps.pypi_version is None


def test_an_address_edited_during_the_fetch_is_not_overwritten(remote, fetcher):
    deps = package("https://github.com/django/deps", pypi_url="https://pypi.org/project/django/")
    remote.inject("pypi", "django", "hang")
    engine, package_id = db.engine, deps.id
    result = {}
    worker = threading.Thread(target=lambda: result.update(outcome=fetch_package(package_id, fetcher=fetcher,
                                                                                 engine=engine)))
    worker.start()
    assert remote.hang_started.wait(10)

    deps.repo_url = "https://github.com/pydanny/dj-paginator"
    db.session.commit()
    remote.release_hang.set()
    worker.join(10)

    deps = reload(deps)
    assert result["outcome"].status == "updated"
    assert deps.repo_url == "https://github.com/pydanny/dj-paginator"
    assert deps.repo_description == ""  # django/deps' description was about the old address
    assert deps.pypi_version == "4.0.2"
