"""GitHub sign-in: the whole redirect dance against a fake GitHub on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.github_support import authorize, dance, start
from tests.helpers import PASSWORD, csrf_token_for
from webapp.accounts.models import User
from webapp.extensions import db


def flashed(client) -> str:
    return client.get("/accounts/login/").get_data(as_text=True)


def users() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(select(User).order_by(User.id)))


# -- switched on and off ---------------------------------------------------------------------------------------


def test_github_is_off_without_client_credentials(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "GITHUB_CLIENT_ID", "")
    monkeypatch.setitem(app.config, "GITHUB_CLIENT_SECRET", "secret-only")
    assert "Sign in with GitHub" not in client.get("/accounts/login/").get_data(as_text=True)
    assert client.get("/accounts/github/login/").status_code == 404
    assert client.get("/accounts/github/callback/?code=x&state=y").status_code == 404


def test_login_and_signup_pages_offer_github_when_on(client, github):
    for path in ("/accounts/login/", "/accounts/signup/"):
        html = client.get(path).get_data(as_text=True)
        assert "Sign in with GitHub" in html
        assert 'href="/accounts/github/login/"' in html


def test_authorize_request_carries_client_id_scope_state_and_callback(client, github):
    query = parse_qs(urlsplit(start(client, github)).query)
    assert query["client_id"] == [github.client_id]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://localhost/accounts/github/callback/"]
    assert set(query["scope"][0].split()) == {"read:user", "user:email"}
    assert len(query["state"][0]) >= 20


def test_callback_url_uses_site_url_when_set(app, client, github, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://grids.example.org/")
    query = parse_qs(urlsplit(start(client, github)).query)
    assert query["redirect_uri"] == ["https://grids.example.org/accounts/github/callback/"]


# -- the happy path --------------------------------------------------------------------------------------------


def test_first_sign_in_creates_an_account_from_the_github_profile(client, github, auth):
    response = dance(client, github)
    assert response.status_code == 302
    assert response.location == "/profiles/octocat/"
    [user] = users()
    assert (user.username, user.github_id, user.github_login) == ("octocat", 1, "octocat")
    assert user.display_name == "monalisa octocat"
    assert user.email == "octocat@github.com"
    assert user.avatar_url == "https://github.com/images/error/octocat_happy.gif"
    assert user.password_hash is None and not user.is_staff
    assert user.last_login is not None
    assert auth.username() == "octocat"
    assert ("GET", "/api/user/emails") not in github.log  # the public email was enough


def test_next_survives_the_round_trip_and_open_redirects_do_not(client, github, auth):
    response = dance(client, github, "/accounts/github/login/?next=/grids/g/web/")
    assert response.location == "/grids/g/web/"
    auth.logout()
    response = dance(client, github, "/accounts/github/login/?next=//evil.example/")
    assert response.location == "/profiles/octocat/"


def test_later_sign_ins_match_by_github_id_even_after_a_rename(client, github, auth):
    dance(client, github)
    auth.logout()
    github.profile["login"] = "octo-renamed"
    github.profile["avatar_url"] = "https://avatars.githubusercontent.com/u/1?v=4"
    response = dance(client, github)
    assert response.location == "/profiles/octocat/"
    [user] = users()
    assert user.username == "octocat" and user.github_login == "octo-renamed"
    assert user.avatar_url == "https://avatars.githubusercontent.com/u/1?v=4"


def test_github_sign_in_renews_the_session(client, github):
    csrf_token_for(client, "/accounts/login/")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    dance(client, github)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert not [key for key in session if key.startswith("_state_github_")]


# -- awkward profiles ------------------------------------------------------------------------------------------


def test_username_clash_with_a_local_account_gets_a_suffix(client, github):
    make_user("OctoCat", password=PASSWORD)
    make_user("octocat-2")
    response = dance(client, github)
    assert response.location == "/profiles/octocat-3/"
    local, _, new = users()
    assert local.github_id is None  # the local account is not taken over
    assert new.username == "octocat-3" and new.github_id == 1


def test_same_email_as_a_local_account_makes_a_separate_account(client, github):
    local = make_user("mona", password=PASSWORD, email="octocat@github.com")
    dance(client, github)
    accounts = users()
    assert len(accounts) == 2
    assert accounts[0].id == local.id and accounts[0].github_id is None
    assert accounts[1].email == "octocat@github.com" and accounts[1].github_id == 1


def test_private_email_comes_from_the_primary_verified_address(client, github):
    github.profile["email"] = None
    dance(client, github)
    [user] = users()
    assert user.email == "octocat@github.com"
    assert ("GET", "/api/user/emails") in github.log


@pytest.mark.parametrize("emails", [
    None,  # /user/emails answers 404 (no user:email scope granted)
    [],
    [{"email": "unverified@example.org", "primary": True, "verified": False, "visibility": "private"},
     {"email": "secondary@example.org", "primary": False, "verified": True, "visibility": None}],
])
def test_no_usable_email_leaves_it_empty(client, github, emails):
    github.profile["email"] = None
    github.emails = emails
    response = dance(client, github)
    assert response.location == "/profiles/octocat/"
    [user] = users()
    assert user.email == ""


def test_profile_without_a_name(client, github):
    github.profile["name"] = None
    dance(client, github)
    [user] = users()
    assert user.display_name == "" and user.name == "octocat"
    assert "<h1>octocat" in client.get("/profiles/octocat/").get_data(as_text=True).replace("\n", "")


def test_long_names_are_truncated(client, github):
    github.profile["name"] = "Ünïcödé " * 60
    github.profile["login"] = "a" * 39
    dance(client, github)
    [user] = users()
    assert len(user.display_name) <= 200 and user.display_name.startswith("Ünïcödé Ünïcödé")
    assert user.username == "a" * 39


@pytest.mark.parametrize("login, expected", [("x", "x-github"), ("", "github-user"), (None, "github-user")])
def test_short_or_missing_logins_still_give_a_valid_username(client, github, login, expected):
    github.profile["login"] = login
    response = dance(client, github)
    assert response.location == f"/profiles/{expected}/"


def test_odd_avatar_urls_are_dropped(client, github):
    github.profile["avatar_url"] = "javascript:alert(1)"
    dance(client, github)
    assert users()[0].avatar_url == ""


def test_profile_without_an_id_is_refused(client, github):
    del github.profile["id"]
    response = dance(client, github)
    assert response.status_code == 302 and response.location == "/accounts/login/"
    assert "We could not read your GitHub profile" in flashed(client)
    assert users() == []


def test_inactive_github_account_is_refused(client, github, auth):
    make_user("octocat", github_id=1, is_active=False)
    response = dance(client, github)
    assert response.location == "/accounts/login/"
    assert "This account is disabled" in flashed(client)
    assert auth.username() is None


# -- failures: a message and the sign-in page, never a 500 -----------------------------------------------------


def test_denied_authorization(client, github, auth):
    github.deny = True
    response = dance(client, github)
    assert response.status_code == 302 and response.location == "/accounts/login/"
    assert "GitHub sign-in was cancelled" in flashed(client)
    assert users() == [] and auth.username() is None


def test_other_error_from_github(client, github):
    response = client.get("/accounts/github/callback/?error=redirect_uri_mismatch&state=whatever")
    assert response.location == "/accounts/login/"
    assert "GitHub refused the sign-in request" in flashed(client)


def test_tampered_state_is_refused(client, github):
    callback = authorize(start(client, github))
    response = client.get(callback.replace("state=", "state=x"))
    assert response.status_code == 302 and response.location == "/accounts/login/"
    assert "expired or was started elsewhere" in flashed(client)
    assert users() == []


def test_callback_from_another_browser_is_refused(client, github):
    callback = authorize(start(client, github))
    stranger = client.application.test_client()
    response = stranger.get(callback)
    assert response.location == "/accounts/login/"
    assert "expired or was started elsewhere" in flashed(stranger)
    assert users() == []


def test_callback_without_parameters(client, github):
    response = client.get("/accounts/github/callback/")
    assert response.status_code == 302 and response.location == "/accounts/login/"


def test_replayed_callback_is_refused(client, github, auth):
    callback = authorize(start(client, github))
    assert client.get(callback).location == "/profiles/octocat/"
    auth.logout()
    response = client.get(callback)
    assert response.location == "/accounts/login/"
    assert auth.username() is None


def test_token_endpoint_500(client, github):
    github.token_status = 500
    response = dance(client, github)
    assert response.status_code == 302 and response.location == "/accounts/login/"
    assert "could not reach GitHub" in flashed(client)
    assert users() == []


def test_token_endpoint_refuses_the_code(client, github):
    callback = authorize(start(client, github))
    github.codes.clear()  # the code expired on GitHub's side
    response = client.get(callback)
    assert response.location == "/accounts/login/"
    assert "GitHub did not accept the sign-in" in flashed(client)


def test_wrong_client_secret(app, client, github, monkeypatch):
    monkeypatch.setitem(app.config, "GITHUB_CLIENT_SECRET", "not-the-secret")
    response = dance(client, github)
    assert response.location == "/accounts/login/"
    assert "GitHub did not accept the sign-in" in flashed(client)


def test_user_api_500(client, github):
    github.user_status = 502
    response = dance(client, github)
    assert response.location == "/accounts/login/"
    assert "could not read your GitHub profile" in flashed(client)
    assert users() == []


def test_github_unreachable(app, client, github, monkeypatch):
    authorize_url = start(client, github)
    callback = authorize(authorize_url)
    # Nothing listens on port 9 (discard) of 127.0.0.1 here.
    monkeypatch.setitem(app.config, "GITHUB_OAUTH_URL", "http://127.0.0.1:9/login/oauth")
    response = client.get(callback)
    assert response.location == "/accounts/login/"
    assert users() == []


def test_callback_is_get_only_and_starting_changes_nothing(client, github):
    assert client.post("/accounts/github/callback/").status_code in (400, 405)
    start(client, github)
    assert users() == []


def test_password_and_github_accounts_coexist(client, github, auth):
    make_user("mona", password=PASSWORD)
    dance(client, github)
    auth.logout()
    assert auth.login("mona").location == "/profiles/mona/"
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("github_id", [2**31, -5, 0, "12", True, None])
def test_impossible_github_ids_are_refused(client, github, github_id):
    github.profile["id"] = github_id
    response = dance(client, github)
    assert response.location == "/accounts/login/"
    assert users() == []
