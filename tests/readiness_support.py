"""Fixtures for the readiness tests: the fake endoflife.date, and the release cycles stored from it."""

from __future__ import annotations

import pytest

from tests.fakes.endoflife import FakeEndOfLife


@pytest.fixture
def endoflife(app, monkeypatch):
    """The fake endoflife.date, with the app pointed at it and retries that do not wait."""
    fake = FakeEndOfLife().start()
    for key, value in {"ENDOFLIFE_URL": fake.url, "FETCH_BACKOFF": 0.0, "FETCH_RETRIES": 1,
                       "FETCH_TIMEOUT": 2.0}.items():
        monkeypatch.setitem(app.config, key, value)
    yield fake
    fake.stop()


@pytest.fixture
def cycles(app, endoflife):
    """Django's, Python's and Wagtail's cycles as the recorded answers give them, stored and committed."""
    from webapp.readiness.commands import refresh_and_commit

    outcomes = refresh_and_commit()
    assert not any(outcome.error for outcome in outcomes)
    return outcomes
