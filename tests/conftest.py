"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
a clean database for every test, a query counter and a CSRF-aware client."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from webapp import create_app, page_cache
from webapp.extensions import db

# Fixtures shared between test modules (``auth``, ``csrf_token``, ``people``, the fake remote hosts, ...), registered
# here rather than imported by name into each module. Helper functions are imported from tests/helpers.py.
pytest_plugins = [
    "tests.helpers",
    "tests.editing_support",
    "tests.fetch_support",
    "tests.github_support",
    "tests.live_server",
    "tests.mail_support",
    "tests.page_cache_support",
    "tests.readiness_support",
    "tests.route_sweep",
    "tests.staff_support",
]

class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The autouse fixture keeps an app context pushed during each test, and Flask would reuse it for requests:
    ``g`` (Flask-Login's cached ``current_user``, Flask-WTF's cached CSRF token) and the database session would
    then outlive a request. After each request the test's own session is expired, so objects the test holds
    show what the request stored.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, with the schema created once for the session."""
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": None,
        "REDIS_URL": "",
        "API_RATE_LIMIT": 100000,
        # Throttles stay on, but high: tests of the throttles lower them (tests/test_throttle.py).
        **{key: "100000 per minute" for key in (
            "LOGIN_RATE_LIMIT_ACCOUNT", "LOGIN_RATE_LIMIT_ADDRESS", "SIGNUP_RATE_LIMIT", "FETCH_NOW_RATE_LIMIT",
            "ACCOUNT_MAIL_RATE_LIMIT")},
        # Nothing in the tests may reach the internet: remote services point at a closed local port
        # unless a test starts a fake server and points them there.
        **{key: "http://127.0.0.1:9" for key in (
            "GITHUB_API_URL", "GITLAB_API_URL", "BITBUCKET_API_URL", "CODEBERG_API_URL", "PYPI_URL",
            "GITHUB_OAUTH_URL", "ENDOFLIFE_URL")},
    })
    application.test_client_class = FreshContextClient
    with application.app_context():
        _drop_everything()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_everything() -> None:
    """Drop our tables and Alembic's version table, whatever state an earlier run left."""
    if db.engine.dialect.name == "postgresql":
        # CASCADE: drop_all first drops the constraints packages and versions hold on each other, which a schema
        # left by older code does not have.
        with db.engine.begin() as connection:
            for table in db.metadata.sorted_tables:
                connection.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def truncate_all() -> None:
    """Empty every table, quickly, keeping the schema."""
    db.session.remove()
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
        # The stored counters (webapp/counters.py) start again from the empty tables.
        from webapp.counters import recount

        recount(connection)
        # The search index (webapp/search/index.py) is not a model's table: emptied with them.
        from webapp.search.index import clear

        clear(connection)


@pytest.fixture(autouse=True)
def _app_context(app):
    """Every test runs inside an app context on an empty database."""
    with app.app_context():
        truncate_all()
        page_cache.clear()  # pages of the last test's rows (truncating bypasses the version bumps)
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo catalogue loaded into the database."""
    from webapp.demo.loader import load_demo

    created = load_demo()
    db.session.commit()  # the loader flushes; its caller (`flask demo load`, here this fixture) commits
    return created


class QueryCounter:
    """Counts the SQL statements run while it is active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...``, then ``counter.count``."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting
