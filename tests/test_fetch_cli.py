"""``flask fetch``: which packages, threads, the closing summary, the periodic loop, bad options."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fetch_support import package, reload
from webapp.config import parse_duration
from webapp.db_types import utcnow


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["fetch", *args])


def test_fetch_named_packages_with_a_summary(run, remote):
    deps = package("https://github.com/django/deps", pypi_url="https://pypi.org/project/django/")
    fett = package(pypi_url="https://pypi.org/project/django-fett/")
    untouched = package("https://github.com/pydanny/dj-paginator")

    result = run("deps", "django-fett", "--workers", "2")

    assert result.exit_code == 0, result.output
    assert "Fetched 2 packages" in result.output
    assert "with 2 workers: 1 updated, 0 unchanged, 1 failed, 0 skipped for quota." in result.output
    assert "Requests spent: 6 — GitHub 4, PyPI 2." in result.output
    assert "Quota left: GitHub 4996" in result.output
    assert "django-fett: PyPI: no project named “django-fett”" in result.output
    assert reload(deps).repo_watchers == 401
    assert reload(fett).fetch_error_count == 1
    assert reload(untouched).last_fetched is None

    again = run("deps")
    assert "0 updated, 1 unchanged" in again.output
    assert "Requests spent: 3 — GitHub 2 (2 answered 304 Not Modified), PyPI 1 (1 answered 304 Not Modified)." \
        in again.output


def test_without_slugs_only_stale_packages_are_fetched(run, remote):
    fresh = package("https://github.com/django/deps", last_fetched=utcnow() - timedelta(hours=2))
    stale = package("https://github.com/pydanny/dj-paginator", last_fetched=utcnow() - timedelta(days=3))
    never = package(pypi_url="https://pypi.org/project/nango/")
    failed_recently = package(pypi_url="https://pypi.org/project/wagtail/", fetch_error="PyPI: HTTP 500",
                              fetch_error_at=utcnow() - timedelta(hours=1), fetch_error_count=1)
    removed = package(pypi_url="https://pypi.org/project/django/", removed_at=utcnow())

    result = run()

    assert result.exit_code == 0, result.output
    assert "Fetched 2 packages" in result.output
    assert reload(stale).repo_watchers == 36 and reload(never).pypi_version == "0.1.2"
    assert reload(fresh).repo_watchers == 0 and reload(failed_recently).pypi_version is None
    assert reload(removed).pypi_version is None

    # The two fetched a moment ago are fresh now; fresh and failed_recently are older than an hour.
    assert "Fetched 2 packages" in run("--stale-after", "1h").output
    assert reload(fresh).repo_watchers == 401 and reload(failed_recently).pypi_version == "2.16.1"
    assert "Fetched 4 packages" in run("--all").output


def test_periodic_refresh_runs_again_and_again(run, remote):
    package("https://github.com/django/deps")

    result = run("--every", "1s", "--times", "2")

    assert result.exit_code == 0, result.output
    assert "Fetched 1 package in" in result.output
    assert "Next run in 0:00:01." in result.output
    assert "Nothing to fetch: every package is fresh." in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["no-such-package"], "no package with slug no-such-package"),
    (["deps", "--all"], "Give package slugs or --all, not both."),
    (["--times", "2"], "--times goes with --every."),
    (["--every", "0s"], "must be longer than 0s"),
    (["--stale-after", "soon"], "“soon” is not a duration"),
    (["--workers", "0"], "0 is not in the range"),
    (["--enqueue"], "--enqueue needs REDIS_URL"),
])
def test_bad_options_get_a_clear_message(run, remote, args, message):
    package("https://github.com/django/deps")

    result = run(*args)

    assert result.exit_code == 2
    assert message in result.output
    assert remote.hits == []


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("24h", 86400), ("7d", 604800),
                                               ("2w", 1209600), ("45", 45), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)
