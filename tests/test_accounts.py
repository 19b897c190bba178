"""Local accounts over HTTP: sign up, sign in, sign out, profiles, CSRF, redirects and create-user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests.factories import make_grid, make_package, make_user
from tests.helpers import PASSWORD, csrf_token_for, user_named
from webapp.accounts.models import User
from webapp.catalog.models import Usage
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.history.models import Change


def signup_data(client, **fields) -> dict:
    data = {"username": "newperson", "email": "new@example.org", "password": PASSWORD, "confirm": PASSWORD}
    data.update(fields)
    data["csrf_token"] = csrf_token_for(client, "/accounts/signup/")
    return data


# -- sign up ---------------------------------------------------------------------------------------------------


def test_signup_page_renders_a_form_with_csrf_token(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    for name in ("username", "email", "password", "confirm"):
        assert f'name="{name}"' in html
    assert 'class="card narrow' in html


def test_signup_creates_a_hashed_account_and_signs_in(client, auth):
    response = client.post("/accounts/signup/", data=signup_data(client, username="Ada.L_ovelace-1"))
    assert response.status_code == 302
    assert response.location == "/profiles/Ada.L_ovelace-1/"
    user = user_named("Ada.L_ovelace-1")
    assert user is not None and user.email == "new@example.org"
    assert user.password_hash and PASSWORD not in user.password_hash
    assert check_password_hash(user.password_hash, PASSWORD)
    assert not user.is_staff
    assert auth.username() == "Ada.L_ovelace-1"
    assert "Sign out" in client.get("/accounts/signup/", follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("fields, field, message", [
    ({"username": "ab"}, "username", "3 to 150 characters"),
    ({"username": "x" * 151}, "username", "3 to 150 characters"),
    ({"username": "bad name!"}, "username", "Use only letters"),
    ({"username": "émile"}, "username", "Use only letters"),
    ({"username": ""}, "username", "Choose a username"),
    ({"email": "not-an-email"}, "email", "Enter an email address"),
    ({"email": ""}, "email", "Enter your email address"),
    ({"password": "short", "confirm": "short"}, "password", "at least 8"),
    ({"confirm": "something else"}, "confirm", "do not match"),
])
def test_signup_bad_input_gives_form_errors(client, fields, field, message):
    response = client.post("/accounts/signup/", data=signup_data(client, **fields))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_signup_username_is_unique_whatever_the_case(client):
    make_user("Grace")
    response = client.post("/accounts/signup/", data=signup_data(client, username="grace"))
    assert response.status_code == 422
    assert "That username is taken" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_signup_keeps_what_was_typed_except_passwords(client):
    response = client.post("/accounts/signup/", data=signup_data(client, username="ok-name", confirm="nope-nope"))
    html = response.get_data(as_text=True)
    assert 'value="ok-name"' in html
    assert PASSWORD not in html


def test_signup_without_csrf_token_is_refused(client):
    data = signup_data(client)
    del data["csrf_token"]
    response = client.post("/accounts/signup/", data=data)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_signup_follows_a_local_next_and_ignores_others(client, auth):
    response = client.post("/accounts/signup/", data=signup_data(client, next="/grids/"))
    assert response.location == "/grids/"
    auth.logout()
    response = client.post("/accounts/signup/",
                           data=signup_data(client, username="second", next="https://evil.example/"))
    assert response.location == "/profiles/second/"


def test_signup_can_be_turned_off(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_SIGNUP", False)
    assert client.get("/accounts/signup/").status_code == 404
    response = client.post("/accounts/signup/", data={"username": "x" * 5})
    assert response.status_code in (400, 404)
    login_page = client.get("/accounts/login/").get_data(as_text=True)
    assert "Create an account" not in login_page
    assert 'href="/accounts/signup/"' not in login_page


def test_signed_in_people_are_sent_away_from_signup_and_login(client, auth):
    make_user("dora", password=PASSWORD)
    auth.login("dora")
    assert client.get("/accounts/signup/").status_code == 302
    response = client.get("/accounts/login/")
    assert response.status_code == 302 and response.location == "/profiles/dora/"


# -- sign in ---------------------------------------------------------------------------------------------------


def test_login_page_for_anonymous_people(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'name="password"' in html
    assert "Sign in with GitHub" not in html  # GitHub is not configured in tests by default
    assert 'href="/accounts/signup/"' in html


def test_login_with_the_right_password_signs_in_whatever_the_username_case(client, auth):
    make_user("Edsger", password=PASSWORD)
    response = auth.login("edsger")
    assert response.status_code == 302
    assert response.location == "/profiles/Edsger/"
    assert auth.username() == "Edsger"
    assert user_named("Edsger").last_login is not None


@pytest.mark.parametrize("username, password", [("frances", "wrong password"), ("nobody", PASSWORD)])
def test_bad_credentials_show_one_message(client, username, password, auth):
    make_user("frances", password=PASSWORD)
    response = auth.login(username, password)
    assert response.status_code == 422
    assert "Incorrect username or password." in response.get_data(as_text=True)
    assert auth.username() is None


def test_login_empty_fields_give_form_errors(client, auth):
    response = auth.login("", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your username." in html and "Enter your password." in html


def test_github_only_accounts_cannot_sign_in_with_a_password(client, auth):
    make_user("ghonly", github_id=42)
    response = auth.login("ghonly", "")
    assert response.status_code == 422
    response = auth.login("ghonly", "anything-at-all")
    assert "Incorrect username or password." in response.get_data(as_text=True)


def test_inactive_accounts_cannot_sign_in(client, auth):
    make_user("gone", password=PASSWORD, is_active=False)
    response = auth.login("gone")
    assert response.status_code == 422
    assert "This account is disabled" in response.get_data(as_text=True)
    assert auth.username() is None


def test_a_deactivated_account_loses_its_session(client, auth):
    user = make_user("hedy", password=PASSWORD)
    auth.login("hedy")
    user.is_active = False
    db.session.commit()
    assert auth.username() is None


def test_login_without_csrf_token_is_refused(client, auth):
    make_user("ida", password=PASSWORD)
    response = client.post("/accounts/login/", data={"username": "ida", "password": PASSWORD})
    assert response.status_code == 400
    assert auth.username() is None


def test_login_renews_the_session(client, auth):
    make_user("joan", password=PASSWORD)
    csrf_token_for(client, "/accounts/login/")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        before = dict(session)
    auth.login("joan")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id") is not None
        assert session.get("csrf_token") != before.get("csrf_token")


def test_remember_me_sets_a_remember_cookie(client, auth):
    make_user("karen", password=PASSWORD)
    response = auth.login("karen", remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    other = client.application.test_client()
    response = auth(other).login("karen")
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target, expected", [
    ("/grids/", "/grids/"),
    ("/packages/?q=auth&sort=name", "/packages/?q=auth&sort=name"),
    ("https://evil.example/", "/profiles/lin/"),
    ("//evil.example/", "/profiles/lin/"),
    ("/\\evil.example/", "/profiles/lin/"),
    ("\\\\evil.example/", "/profiles/lin/"),
    ("http:evil.example", "/profiles/lin/"),
    ("javascript:alert(1)", "/profiles/lin/"),
    (" //evil.example/", "/profiles/lin/"),
    ("/\t/evil.example/", "/profiles/lin/"),
])
def test_login_next_is_a_local_path_only(client, target, expected, auth):
    make_user("lin", password=PASSWORD)
    response = auth.login("lin", next=target)
    assert response.status_code == 302
    assert response.location == expected


def test_login_next_from_the_query_string(client):
    make_user("mae", password=PASSWORD)
    page = client.get("/accounts/login/?next=/grids/").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/grids/"' in page
    page = client.get("/accounts/login/?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in page
    token = csrf_token_for(client, "/accounts/login/")
    response = client.post("/accounts/login/?next=https://evil.example",
                           data={"csrf_token": token, "username": "mae", "password": PASSWORD})
    assert response.location == "/profiles/mae/"


# -- sign out --------------------------------------------------------------------------------------------------


def test_logout_is_post_only(client, auth):
    make_user("nell", password=PASSWORD)
    auth.login("nell")
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert auth.username() == "nell"


def test_logout_without_csrf_token_is_refused(client, auth):
    make_user("olga", password=PASSWORD)
    auth.login("olga")
    response = client.post("/accounts/logout/")
    assert response.status_code == 400
    assert auth.username() == "olga"


def test_logout_signs_out_and_clears_the_session(client, auth):
    make_user("pat", password=PASSWORD)
    auth.login("pat", remember="y")
    token = csrf_token_for(client, "/profiles/pat/")
    response = client.post("/accounts/logout/", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/"
    assert auth.username() is None
    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))


# -- account menu ----------------------------------------------------------------------------------------------


def test_account_menu_for_anonymous_signed_in_and_staff(client, auth):
    html = client.get("/accounts/login/").get_data(as_text=True)
    menu = html.split('<div class="account-nav">')[1].split("</div>")[0]
    assert "Sign in" in menu and "Sign up" in menu and "Sign out" not in menu

    make_user("quinn", password=PASSWORD)
    auth.login("quinn")
    html = client.get("/profiles/quinn/").get_data(as_text=True)
    menu = html.split('<div class="account-nav">')[1].split("</form>")[0]
    assert 'href="/profiles/quinn/"' in menu
    assert 'action="/accounts/logout/"' in menu and 'name="csrf_token"' in menu
    assert "Moderation" not in menu


def test_account_menu_moderation_link_only_for_staff_and_only_when_it_exists(app, client, auth):
    make_user("rosa", password=PASSWORD, is_staff=True)
    auth.login("rosa")
    html = client.get("/profiles/rosa/").get_data(as_text=True)
    exists = "moderation.queue" in app.view_functions
    assert ('href="/moderation/"' in html) == exists


# -- profiles --------------------------------------------------------------------------------------------------


def _profile_data(owner: User, size: int) -> None:
    other = make_user()
    for index in range(size):
        package = make_package(f"added-{owner.id}-{index}", created_by_id=owner.id)
        db.session.add(Usage(user_id=owner.id, package_id=package.id))
        grid = make_grid(f"Grid {owner.id} {index}", packages=[package])
        db.session.add(Change(object_type="package", object_id=package.id, package_id=package.id, user_id=owner.id,
                              action="update", field="repo_url", summary=f"Changed the repository of {index}"))
        db.session.add(Change(object_type="grid", object_id=grid.id, grid_id=grid.id, user_id=owner.id,
                              action="create", summary=f"Created grid {index}"))
        db.session.add(Change(object_type="package", object_id=package.id, package_id=package.id, user_id=other.id,
                              summary="someone else's edit"))
    db.session.commit()


def test_profile_shows_added_used_and_recent_edits(client):
    owner = make_user("sam", display_name="Samantha Jones", avatar_url="https://avatars.example/u/1")
    _profile_data(owner, 3)
    response = client.get("/profiles/sam/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Samantha Jones" in html and "@sam" in html and "Member since" in html
    assert 'src="https://avatars.example/u/1"' in html
    for index in range(3):
        assert f'href="/packages/p/added-{owner.id}-{index}/"' in html
        assert f"Changed the repository of {index}" in html
        assert f'href="/grids/g/grid-{owner.id}-{index}/"' in html
    assert "someone else&#39;s edit" not in html and "someone else's edit" not in html
    assert "Sign out" not in html


def test_profile_lists_the_newest_30_edits(client):
    owner = make_user("tess")
    package = make_package("edited")
    now = utcnow()
    for index in range(35):
        db.session.add(Change(object_type="package", object_id=package.id, package_id=package.id, user_id=owner.id,
                              summary=f"edit number {index:02d}", created=now - timedelta(minutes=100 - index)))
    db.session.commit()
    html = client.get("/profiles/tess/").get_data(as_text=True)
    assert "edit number 34" in html and "edit number 05" in html
    assert "edit number 04" not in html
    assert html.index("edit number 34") < html.index("edit number 05")


def test_profile_of_someone_with_nothing_yet(client):
    make_user("uma")
    html = client.get("/profiles/uma/").get_data(as_text=True)
    assert "No edits yet." in html and "No packages added yet." in html


def test_unknown_profile_is_404(client):
    response = client.get("/profiles/nobody-here/")
    assert response.status_code == 404
    assert "nobody-here" in response.get_data(as_text=True)


def test_profile_url_is_canonical_in_case(client):
    make_user("Vera")
    response = client.get("/profiles/vera/")
    assert response.status_code == 301 and response.location == "/profiles/Vera/"


def test_profile_escapes_what_people_typed(client):
    make_user("wes", display_name="<script>alert(1)</script>")
    html = client.get("/profiles/wes/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_profile_runs_a_fixed_number_of_queries(client, count_queries, signed_in, auth):
    _profile_data(make_user("xena"), 1)
    _profile_data(make_user("yuri"), 12)
    make_user("viewer", password=PASSWORD)
    if signed_in:
        auth.login("viewer")
    counts = []
    for username in ("xena", "yuri"):
        with count_queries() as counter:
            assert client.get(f"/profiles/{username}/").status_code == 200
        counts.append(counter.count)
    # The person, packages added, packages used, recent edits, the site banner; plus loading the signed-in viewer.
    assert counts[0] == counts[1] == (6 if signed_in else 5)
    with count_queries() as counter:
        assert client.get("/profiles/nobody/").status_code == 404
    assert counter.count == (3 if signed_in else 2)  # the 404 page shows the site banner too


def test_profiles_index_sends_you_to_your_profile_or_to_sign_in(client, auth):
    response = client.get("/profiles/")
    assert response.status_code == 302
    assert response.location == "/accounts/login/?next=/profiles/"
    make_user("zoe", password=PASSWORD)
    auth.login("zoe")
    response = client.get("/profiles/")
    assert response.status_code == 302 and response.location == "/profiles/zoe/"


def test_htmx_requests_get_401_with_hx_redirect_to_sign_in(client):
    response = client.get("/profiles/", headers={"HX-Request": "true",
                                                 "HX-Current-URL": "http://localhost/grids/g/web/?sort=name"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/accounts/login/?next=/grids/g/web/?sort%3Dname"
    response = client.get("/profiles/", headers={"HX-Request": "true",
                                                 "HX-Current-URL": "https://evil.example/grids/"})
    assert response.headers["HX-Redirect"] == "/accounts/login/"


def test_account_pages_accept_no_other_methods(client):
    assert client.put("/accounts/login/").status_code == 405
    assert client.delete("/accounts/logout/").status_code == 405
    assert client.post("/profiles/someone/").status_code == 405


# -- flask create-user -----------------------------------------------------------------------------------------


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "admin", "--password", "long-enough-pw", "--email", "a@example.org",
                                 "--staff"])
    assert result.exit_code == 0, result.output
    assert "Created staff user admin" in result.output
    user = user_named("admin")
    assert user.is_staff and user.email == "a@example.org"
    assert check_password_hash(user.password_hash, "long-enough-pw")

    result = runner.invoke(args=["create-user", "editor", "--password", "long-enough-pw"])
    assert result.exit_code == 0 and not user_named("editor").is_staff


def test_create_user_command_refuses_an_existing_name(app):
    make_user("Admin")
    result = app.test_cli_runner().invoke(args=["create-user", "admin", "--password", "long-enough-pw"])
    assert result.exit_code != 0
    assert "A user called admin already exists." in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("args, message", [
    (["create-user", "ab", "--password", "long-enough-pw"], "3 to 150 characters"),
    (["create-user", "okname", "--password", "short"], "at least 8"),
    (["create-user", "okname", "--password", "long-enough-pw", "--email", "nope"], "email"),
])
def test_create_user_command_validates(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_created_user_can_sign_in(app, client, auth):
    app.test_cli_runner().invoke(args=["create-user", "cli-made", "--password", "long-enough-pw"])
    response = auth.login("cli-made", "long-enough-pw")
    assert response.status_code == 302 and response.location == "/profiles/cli-made/"


# -- hostile input: a clear 4xx, never a 500 -------------------------------------------------------------------


def test_nul_and_control_characters_are_refused_cleanly(client, auth):
    make_user("nora", password=PASSWORD)
    assert client.get("/profiles/no%00ra/").status_code == 404
    assert auth.login("no\x00ra").status_code == 422
    response = client.post("/accounts/signup/", data=signup_data(client, username="nul-email",
                                                                 email="a\x00b@example.org"))
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    response = client.post("/accounts/signup/", data=signup_data(client, username="ok\x00name"))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_very_long_input_is_refused_cleanly(client, auth):
    response = auth.login("u" * 5000, "p" * 5000)
    assert response.status_code == 422
    response = client.post("/accounts/signup/", data=signup_data(client, email="e" * 300 + "@example.org",
                                                                 password="p" * 2000, confirm="p" * 2000))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html and "at most 1024" in html
