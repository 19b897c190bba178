"""Sessions end for real: a session or remember-me cookie copied before sign-out, before a password change or
before an account was disabled signs nobody in afterwards, whether the account signs in with a password or
with GitHub; and the remember-me cookie is short-lived, HTTP-only and follows SESSION_COOKIE_SECURE."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

import pytest

from tests.factories import make_user
from tests.github_support import dance
from tests.helpers import PASSWORD, user_named
from webapp.accounts import services
from webapp.config import load_config
from webapp.extensions import db

SESSION = "session"
REMEMBER = "remember_token"


def cookie_value(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def browser_with(app, **cookies):
    """A new browser holding only ``cookies`` (copied from another one, as a thief would)."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


@pytest.fixture
def pat():
    return make_user("pat", password=PASSWORD)


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, pat, auth):
    auth.login("pat")
    stolen = cookie_value(client, SESSION)
    assert auth(browser_with(app, session=stolen)).username() == "pat"  # the copy works while signed in

    assert auth.logout().status_code == 302

    assert auth.username() is None
    assert auth(browser_with(app, session=stolen)).username() is None


def test_a_copied_remember_cookie_stops_working_after_sign_out(app, client, pat, auth):
    auth.login("pat", remember="y")
    stolen = cookie_value(client, REMEMBER)
    assert stolen
    assert auth(browser_with(app, remember_token=stolen)).username() == "pat"

    assert auth.logout().status_code == 302

    assert auth(browser_with(app, remember_token=stolen)).username() is None


def test_signing_out_ends_the_accounts_other_sessions(app, client, pat, auth):
    laptop, phone = client, app.test_client()
    auth(laptop).login("pat")
    auth(phone).login("pat", remember="y")

    assert auth(laptop).logout().status_code == 302

    assert auth(phone).username() is None
    assert auth(laptop).username() is None
    auth(laptop).login("pat")  # signing in again works, with a new token
    assert auth(laptop).username() == "pat"


def test_a_password_change_signs_every_session_out(app, client, pat, auth):
    auth.login("pat", remember="y")
    remembered = cookie_value(client, REMEMBER)

    result = app.test_cli_runner().invoke(args=["set-password", "pat", "--password", "a new long password"])

    assert result.exit_code == 0, result.output
    assert auth.username() is None
    assert auth(browser_with(app, remember_token=remembered)).username() is None
    assert auth(app.test_client()).login("pat").status_code == 422  # the old password is gone
    assert auth.login("pat", "a new long password").status_code == 302


def test_set_password_refuses_a_short_password_and_keeps_the_sessions(app, client, pat, auth):
    auth.login("pat")
    with pytest.raises(services.AccountError):
        services.set_password(user_named("pat"), "short")
    assert auth.username() == "pat"


def test_a_disabled_account_is_signed_out_even_with_a_remember_cookie(app, client, pat, auth):
    auth.login("pat", remember="y")
    remembered = cookie_value(client, REMEMBER)
    user_named("pat").is_active = False
    db.session.commit()

    assert auth.username() is None
    assert auth(browser_with(app, remember_token=remembered)).username() is None


def test_a_session_holding_a_bare_user_id_signs_nobody_in(app, client, pat, auth):
    """Sessions from before tokens (``_user_id`` = "1") and forged ids without the token are refused."""
    with client.session_transaction() as session:
        session["_user_id"] = str(pat.id)
        session["_fresh"] = True
    assert auth.username() is None
    with client.session_transaction() as session:
        session["_user_id"] = f"{pat.id}.not-the-token"
    assert auth.username() is None


def test_a_github_session_ends_at_sign_out(app, client, github, auth):
    assert dance(client, github).status_code == 302
    assert auth.username() == "octocat"
    stolen = cookie_value(client, SESSION)

    assert auth.logout().status_code == 302

    assert auth(browser_with(app, session=stolen)).username() is None


def test_remember_cookie_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("REMEMBER_COOKIE_DAYS", raising=False)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    config = load_config(str(tmp_path))
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert config["REMEMBER_COOKIE_SECURE"] is True and config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "")
    monkeypatch.setenv("REMEMBER_COOKIE_DAYS", "7")
    config = load_config(str(tmp_path))
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
    assert config["REMEMBER_COOKIE_SECURE"] is False


def test_the_remember_cookie_lasts_30_days_and_is_http_only(client, pat, auth):
    response = auth.login("pat", remember="y")
    header = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(REMEMBER + "="))
    morsel = SimpleCookie(header)[REMEMBER]
    assert morsel["httponly"]
    lifetime = parsedate_to_datetime(morsel["expires"]) - datetime.now(timezone.utc)
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
