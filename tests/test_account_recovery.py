"""Accounts that recover (issue 13): password reset by mailed link (single use, expiring, no account enumeration,
throttled), email verification, changing the password and the address. Mail goes to a real SMTP server on
127.0.0.1 (tests/mail_support.py) and is read from there."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner

from tests.factories import make_user
from tests.helpers import PASSWORD, csrf_token_for, password_hash, user_named
from tests.mail_support import body_of, link_in
from webapp.extensions import limiter

NEW_PASSWORD = "a brand new passphrase"


def person(username="rita", email="rita@example.org", **fields):
    return make_user(username, email=email, password_hash=password_hash(), **fields)


def ask_for_reset(client, email: str, address: str = "127.0.0.1"):
    token = csrf_token_for(client, "/accounts/password/reset/")
    return client.post("/accounts/password/reset/", data={"csrf_token": token, "email": email},
                       environ_base={"REMOTE_ADDR": address})


def path_of(link: str) -> str:
    return urlsplit(link).path


def set_new_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    token = csrf_token_for(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm or password})


def signs_in(app, username: str, password: str) -> bool:
    other = app.test_client()
    token = csrf_token_for(other, "/accounts/login/")
    answer = other.post("/accounts/login/", data={"csrf_token": token, "username": username, "password": password})
    return answer.status_code == 302


# -- password reset -------------------------------------------------------------------------------------------


def test_a_reset_link_is_mailed_and_sets_a_new_password_once(app, client, mailbox):
    person()
    answer = ask_for_reset(client, "Rita@Example.org")  # any case finds the account
    assert answer.status_code == 200
    assert "Check your mail" in answer.get_data(as_text=True)

    mail = mailbox.last(to="rita@example.org")
    assert mail["Subject"] == "Reset your password · Package Grids"
    assert "rita" in body_of(mail) and "1 hour" in body_of(mail)
    link = link_in(mail)
    assert link.startswith("http://localhost/accounts/password/reset/")

    page = client.get(path_of(link))
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    answer = set_new_password(client, path_of(link))
    assert answer.status_code == 302 and answer.location == "/accounts/login/"
    assert signs_in(app, "rita", NEW_PASSWORD)
    assert not signs_in(app, "rita", PASSWORD)
    assert user_named("rita").email_verified_at is not None  # the link came to that mailbox

    reused = client.get(path_of(link))
    assert reused.status_code == 400
    assert "already used" in reused.get_data(as_text=True)
    again = set_new_password(client, path_of(link), "yet another password")
    assert again.status_code == 400
    assert signs_in(app, "rita", NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(app, client, mailbox, monkeypatch):
    person()
    two_hours_ago = int(time.time()) - 7200
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_ago)
        ask_for_reset(client, "rita@example.org")
    path = path_of(link_in(mailbox.last(to="rita@example.org")))
    answer = client.get(path)
    assert answer.status_code == 400
    assert "This link has expired." in answer.get_data(as_text=True)
    assert set_new_password(client, path).status_code == 400
    assert signs_in(app, "rita", PASSWORD)
    # A longer PASSWORD_RESET_MAX_AGE accepts the same link.
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", timedelta(hours=3))
    assert client.get(path).status_code == 200


def test_a_reset_link_dies_when_the_password_changes_another_way(app, client, mailbox, auth):
    person()
    ask_for_reset(client, "rita@example.org")
    path = path_of(link_in(mailbox.last(to="rita@example.org")))
    auth.sign_in("rita")
    token = csrf_token_for(client, "/accounts/settings/")
    answer = client.post("/accounts/settings/password/", data={
        "csrf_token": token, "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    auth.logout()
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/accounts/password/reset/not-a-token/",
                                  "/accounts/password/reset/" + "x" * 400 + "/"])
def test_a_forged_or_mangled_reset_link_is_refused(client, path):
    person()
    answer = client.get(path)
    assert answer.status_code == 400
    assert "not valid" in answer.get_data(as_text=True)


def test_a_tampered_reset_link_is_refused(client, mailbox):
    person()
    ask_for_reset(client, "rita@example.org")
    path = path_of(link_in(mailbox.last(to="rita@example.org")))
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/accounts/password/reset/{forged}/").status_code == 400


def test_the_new_password_must_be_acceptable(client, mailbox):
    person()
    ask_for_reset(client, "rita@example.org")
    path = path_of(link_in(mailbox.last(to="rita@example.org")))
    short = set_new_password(client, path, "short")
    assert short.status_code == 422 and "at least 8 characters" in short.get_data(as_text=True)
    mismatch = set_new_password(client, path, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 422 and "do not match" in mismatch.get_data(as_text=True)
    assert client.get(path).status_code == 200  # still unused


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailbox):
    person()
    known = ask_for_reset(client, "rita@example.org")
    unknown = ask_for_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace("rita@example.org", "EMAIL")
            == unknown.get_data(as_text=True).replace("nobody@example.org", "EMAIL"))
    assert mailbox.to("nobody@example.org") == []
    assert len(mailbox.to("rita@example.org")) == 1


def test_a_disabled_account_gets_no_reset_mail(client, mailbox):
    person(is_active=False)
    assert ask_for_reset(client, "rita@example.org").status_code == 200
    assert mailbox.messages == []


def test_a_malformed_address_is_a_form_error(client, mailbox):
    answer = ask_for_reset(client, "not an address")
    assert answer.status_code == 422
    assert "Enter an email address" in answer.get_data(as_text=True)


def test_reset_requests_are_throttled_per_address_asked_for(app, client, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_MAIL_RATE_LIMIT", "2 per hour")
    limiter.reset()
    try:
        person()
        asked = [ask_for_reset(client, "rita@example.org", f"10.0.0.{number}").status_code for number in range(3)]
        assert asked == [200, 200, 429]  # from three client addresses: counted per email address
        assert len(mailbox.to("rita@example.org")) == 2
        # An unknown address is counted alike, so the throttle tells nothing either.
        asked = [ask_for_reset(client, "nobody@example.org", f"10.0.1.{number}").status_code for number in range(3)]
        assert asked == [200, 200, 429]
        # And one client address asking about many email addresses is stopped too.
        asked = [ask_for_reset(client, f"person{number}@example.org", "10.0.2.1").status_code for number in range(3)]
        assert asked == [200, 200, 429]
    finally:
        limiter.reset()


def test_without_a_mail_server_the_mail_is_written_to_the_log(app, client, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    person()
    with caplog.at_level(logging.WARNING, logger="webapp.mail"):
        ask_for_reset(client, "rita@example.org")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "MAIL_SERVER is not set" in logged
    assert "http://localhost/accounts/password/reset/" in logged


def test_reset_links_use_site_url(app, client, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://grids.example.org")
    person()
    ask_for_reset(client, "rita@example.org")
    assert link_in(mailbox.last(to="rita@example.org")).startswith("https://grids.example.org/accounts/password/reset/")


# -- email verification ---------------------------------------------------------------------------------------


def sign_up(client, username="sam", email="sam@example.org"):
    token = csrf_token_for(client, "/accounts/signup/")
    return client.post("/accounts/signup/", data={"csrf_token": token, "username": username, "email": email,
                                                  "password": PASSWORD, "confirm": PASSWORD})


def test_sign_up_mails_a_verification_link_and_opening_it_confirms_the_address(client, mailbox):
    assert sign_up(client).status_code == 302
    assert user_named("sam").email_verified_at is None
    mail = mailbox.last(to="sam@example.org")
    assert mail["Subject"] == "Confirm your email address · Package Grids"
    path = path_of(link_in(mail))
    assert path.startswith("/accounts/email/verify/")

    page = client.get(path)  # opening the link changes nothing: the button does
    assert page.status_code == 200 and "sam@example.org" in page.get_data(as_text=True)
    assert user_named("sam").email_verified_at is None
    answer = client.post(path, data={"csrf_token": csrf_token_for(client, path)})
    assert answer.status_code == 302 and answer.location == "/accounts/settings/"
    assert user_named("sam").email_verified_at is not None
    assert "confirmed" in client.get("/accounts/settings/").get_data(as_text=True)


def test_the_verification_link_works_signed_out_too(app, client, mailbox):
    sign_up(client)
    path = path_of(link_in(mailbox.last(to="sam@example.org")))
    other = app.test_client()
    answer = other.post(path, data={"csrf_token": csrf_token_for(other, path)})
    assert answer.status_code == 302 and answer.location == "/"
    assert user_named("sam").email_verified_at is not None


def test_a_verification_link_for_an_old_address_or_expired_fails(app, client, mailbox, auth, monkeypatch):
    sign_up(client)
    old_path = path_of(link_in(mailbox.last(to="sam@example.org")))
    token = csrf_token_for(client, "/accounts/settings/")
    answer = client.post("/accounts/settings/email/", data={
        "csrf_token": token, "email": "sam@elsewhere.org", "current_password": PASSWORD})
    assert answer.status_code == 302
    assert client.get(old_path).status_code == 400
    new_path = path_of(link_in(mailbox.last(to="sam@elsewhere.org")))
    monkeypatch.setitem(app.config, "EMAIL_VERIFY_MAX_AGE", timedelta(seconds=-1))
    expired = client.get(new_path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_a_new_verification_link_can_be_sent(client, mailbox, auth):
    person()
    auth.sign_in("rita")
    answer = client.post("/accounts/settings/email/verify/", data={"csrf_token": auth.token})
    assert answer.status_code == 302
    assert mailbox.last(to="rita@example.org")["Subject"].startswith("Confirm your email address")


# -- changes while signed in ----------------------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(app, client, mailbox, auth):
    person()
    auth.sign_in("rita")
    wrong = client.post("/accounts/settings/password/", data={
        "csrf_token": auth.token, "current_password": "not my password", "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert signs_in(app, "rita", PASSWORD)

    other_device = auth.client_for("rita")
    right = client.post("/accounts/settings/password/", data={
        "csrf_token": auth.token, "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert right.status_code == 302
    assert client.get("/accounts/settings/").status_code == 200  # this browser stays signed in
    assert other_device.get("/accounts/settings/").status_code == 302  # the others are signed out
    assert signs_in(app, "rita", NEW_PASSWORD) and not signs_in(app, "rita", PASSWORD)
    assert mailbox.last(to="rita@example.org")["Subject"].startswith("Your password was changed")


def test_a_github_only_account_sets_a_password_without_a_current_one(app, client, mailbox, auth, github):
    from tests.github_support import dance

    dance(client, github)
    answer = client.post("/accounts/settings/password/", data={
        "csrf_token": csrf_token_for(client, "/accounts/settings/"), "current_password": "",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    assert signs_in(app, "octocat", NEW_PASSWORD)


def test_changing_the_address_needs_the_password_and_a_new_verification(client, mailbox, auth):
    person(email_verified_at=None)
    auth.sign_in("rita")
    wrong = client.post("/accounts/settings/email/", data={
        "csrf_token": auth.token, "email": "rita@new.example", "current_password": "nope nope"})
    assert wrong.status_code == 422 and "That is not your current password." in wrong.get_data(as_text=True)
    bad = client.post("/accounts/settings/email/", data={
        "csrf_token": auth.token, "email": "not-an-address", "current_password": PASSWORD})
    assert bad.status_code == 422 and "Enter an email address" in bad.get_data(as_text=True)
    assert user_named("rita").email == "rita@example.org"

    right = client.post("/accounts/settings/email/", data={
        "csrf_token": auth.token, "email": "rita@new.example", "current_password": PASSWORD})
    assert right.status_code == 302
    user = user_named("rita")
    assert user.email == "rita@new.example" and user.email_verified_at is None
    assert "Your email address was changed" in mailbox.last(to="rita@example.org")["Subject"]
    assert "rita@new.example" not in body_of(mailbox.last(to="rita@example.org"))
    assert mailbox.last(to="rita@new.example")["Subject"].startswith("Confirm your email address")


def test_account_pages_need_signing_in(client):
    for path in ("/accounts/settings/", "/accounts/profile/"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.startswith("/accounts/login/?next=")


def test_nothing_is_mailed_when_the_request_fails(client, mailbox, auth):
    person()
    auth.sign_in("rita")
    client.post("/accounts/settings/email/", data={
        "csrf_token": auth.token, "email": "rita@new.example", "current_password": "wrong password"})
    assert mailbox.messages == []


# -- query counts ---------------------------------------------------------------------------------------------


def queries_of(client, count_queries, path: str) -> int:
    client.get(path)  # warm up the first request's work
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.count


def test_recovery_pages_run_a_fixed_number_of_queries(client, mailbox, auth, count_queries):
    """Measured against the sign-in page (what every page's frame costs, whatever the other parts of the site
    add to it): the reset request page and account settings add nothing, a mailed link reads its account once."""
    person()
    ask_for_reset(client, "rita@example.org")
    reset_path = path_of(link_in(mailbox.last(to="rita@example.org")))
    frame = queries_of(client, count_queries, "/accounts/login/")
    assert queries_of(client, count_queries, "/accounts/password/reset/") == frame
    assert queries_of(client, count_queries, reset_path) == frame + 1

    auth.sign_in("rita")
    client.post("/accounts/settings/email/verify/", data={"csrf_token": auth.token})
    verify_path = path_of(link_in(mailbox.last(to="rita@example.org")))
    signed_in_frame = queries_of(client, count_queries, "/accounts/password/reset/")  # loads the person
    assert signed_in_frame == frame + 1
    assert queries_of(client, count_queries, "/accounts/settings/") == signed_in_frame
    # The link's account is the signed-in person, already loaded: no query more.
    assert queries_of(client, count_queries, verify_path) == signed_in_frame
