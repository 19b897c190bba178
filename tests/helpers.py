"""What the test modules share: the test password, CSRF tokens, the ``auth`` fixture (signing in and out through
the site's own forms, flaskr style) and skipping for a missing service.

Fixtures reach the tests through ``pytest_plugins`` in tests/conftest.py, never by importing them (ruff would
report each import as a redefinition); plain functions and constants are imported from here.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, select, text
from werkzeug.security import generate_password_hash

from tests.factories import make_user
from webapp.accounts.models import User
from webapp.extensions import db

FIXTURES = Path(__file__).resolve().parent / "fixtures"

PASSWORD = "correct horse battery"

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token_for(client, path: str = "/") -> str:
    """Fetch a page and return the CSRF token it carries (the session cookie stays in the client).

    An anonymous page other than sign-in and sign-up carries none (it is cached publicly, see
    webapp/http_cache.py): then the session's token is read from the sign-in page.
    """
    response = client.get(path)
    match = CSRF_META.search(response.get_data(as_text=True))
    if match is None and path != "/accounts/login/":
        return csrf_token_for(client, "/accounts/login/")
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def csrf_token(client):
    """A CSRF token valid for ``client``'s session."""
    return lambda path="/": csrf_token_for(client, path)


def require_or_skip(condition: bool, reason: str, env_flag: str) -> None:
    """Skip a test for a missing browser or service locally; fail it in CI (where ``env_flag`` is set)."""
    if condition:
        return
    if os.environ.get(env_flag):
        pytest.fail(reason + f" ({env_flag} is set, so this is an error)")
    pytest.skip(reason)


def token_of(client) -> str:
    """A CSRF token of ``client``'s current session, read once per session and kept as ``client.token`` (signing in
    or out through ``auth`` forgets it)."""
    token = getattr(client, "token", None)
    if token is None:
        token = client.token = csrf_token_for(client, "/")
    return token


@functools.cache
def password_hash() -> str:
    """One hash of :data:`PASSWORD` for every account (hashing is slow on purpose)."""
    return generate_password_hash(PASSWORD)


def user_named(username: str) -> User | None:
    """The account called ``username`` as the database has it now, or None."""
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


class AuthActions:
    """Signing one test client in and out the way a browser does: through the forms, with their CSRF tokens.

    ``auth.login(...)`` and ``auth.logout()`` post the forms and return the answer (for tests of signing in);
    ``auth.sign_in(user)`` and ``auth.new_user(...)`` are the "given someone is signed in" step of other tests.
    ``auth(other_client)`` does the same for another client, ``auth.client_for(user)`` for a new one.
    """

    def __init__(self, app, client: FlaskClient) -> None:
        self.app = app
        self.client = client

    def __call__(self, client: FlaskClient) -> AuthActions:
        return AuthActions(self.app, client)

    def login(self, username="test", password: str = PASSWORD, **form):
        """Post the sign-in form for ``username`` (a name or a user); return the answer."""
        username = getattr(username, "username", username)
        token = csrf_token_for(self.client, "/accounts/login/")
        # Signing in starts a new session: a CSRF token kept from before it (see ``token``) is stale.
        self.client.__dict__.pop("token", None)
        return self.client.post("/accounts/login/", data={"csrf_token": token, "username": username,
                                                          "password": password, **form})

    def logout(self):
        """Post the sign-out form (the account menu's button); return the answer."""
        response = self.client.post("/accounts/logout/", data={"csrf_token": csrf_token_for(self.client, "/")})
        self.client.__dict__.pop("token", None)
        return response

    def sign_in(self, user, password: str = PASSWORD) -> str:
        """Sign in as ``user`` (a name or a user), failing the test if the site refuses; return a CSRF token of the
        new session, also kept on the client as ``client.token``."""
        response = self.login(user, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.token

    def new_user(self, username: str = "editor", *, staff: bool = False, **fields) -> str:
        """Create an account and sign in to it; return a CSRF token of the new session."""
        make_user(username, password_hash=password_hash(), is_staff=staff, **fields)
        return self.sign_in(username)

    def client_for(self, user) -> FlaskClient:
        """A new client (another browser) signed in as ``user``."""
        client = self.app.test_client()
        self(client).sign_in(user)
        return client

    @property
    def token(self) -> str:
        """A CSRF token of the client's current session (see :func:`token_of`)."""
        return token_of(self.client)

    def username(self) -> str | None:
        """Who the site thinks the client is: where "my profile" leads."""
        location = self.client.get("/profiles/").location
        match = re.match(r"^/profiles/([^/]+)/$", location or "")
        return match.group(1) if match else None


@pytest.fixture
def empty_database_url(app, request):
    """A URL to a brand-new, empty database of the same kind as the test database (one per test module)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    module = request.module.__name__.rsplit(".", 1)[-1]
    if url.get_backend_name() == "sqlite":
        yield str(url.set(database=str(Path(url.database).with_name(f"{module}-{uuid.uuid4().hex}.sqlite3"))))
        return
    name = f"{url.database}_{module}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def auth(app, client) -> AuthActions:
    """Sign ``client`` (or, through ``auth(other)``, another client) in and out."""
    return AuthActions(app, client)
