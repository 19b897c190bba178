"""Accounts in a real browser, CSRF protection on: sign up, sign out, sign in, and the mistakes people make."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import sign_in
from tests.factories import make_user
from tests.helpers import PASSWORD
from webapp.accounts.models import User
from webapp.extensions import db

pytestmark = pytest.mark.browser


def account_nav(page):
    return page.locator(".account-nav")


def test_csrf_is_on_for_the_live_server(live_server):
    assert live_server.url.startswith("http://127.0.0.1:")
    from flask import current_app

    assert current_app.config.get("WTF_CSRF_ENABLED", True)


def test_sign_up(page, live_server):
    page.goto(live_server("/"))
    page.locator(".account-nav").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(live_server("/accounts/signup/"))
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("Username").fill("ada-lovelace")
    form.get_by_label("Email").fill("ada@example.org")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Confirm password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(live_server("/profiles/ada-lovelace/"))
    expect(page.locator(".flash")).to_contain_text("Welcome, ada-lovelace!")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ada-lovelace")
    expect(account_nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "ada-lovelace"))
    assert user is not None and user.email == "ada@example.org" and user.password_hash != PASSWORD


def test_sign_up_mistakes_are_shown_next_to_the_fields(page, live_server):
    make_user("taken-name")
    page.goto(live_server("/accounts/signup/"))
    form = page.locator("main form")
    form.get_by_label("Username").fill("TAKEN-name")
    form.get_by_label("Email").fill("not an email")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Confirm password").fill(PASSWORD + "!")
    form.get_by_role("button", name="Create account").click()

    expect(page.locator("#username-error")).to_have_text("That username is taken. Choose another.")
    expect(page.locator("#email-error")).to_contain_text("Enter an email address")
    expect(page.locator("#confirm-error")).to_have_text("The passwords do not match.")
    expect(form.get_by_label("Username")).to_have_value("TAKEN-name")
    expect(form.get_by_label("Password", exact=True)).to_have_value("")
    expect(form.get_by_label("Username")).to_have_attribute("aria-invalid", "true")


def test_sign_in(page, live_server):
    make_user("grace", password=PASSWORD, display_name="Grace Hopper")
    sign_in(page, live_server, "grace", PASSWORD)
    expect(page).to_have_url(live_server("/profiles/grace/"))
    expect(page.locator(".flash")).to_contain_text("Signed in as grace.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hopper")
    expect(account_nav(page).get_by_role("link", name=re.compile("grace"))).to_have_attribute(
        "href", "/profiles/grace/")


def test_sign_in_comes_back_to_the_page_that_asked(page, live_server):
    make_user("edsger", password=PASSWORD)
    page.goto(live_server("/profiles/"))
    expect(page).to_have_url(live_server("/accounts/login/?next=/profiles/"))
    expect(page.locator(".flash")).to_contain_text("Please sign in to continue.")
    form = page.locator("main form")
    form.get_by_label("Username").fill("edsger")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server("/profiles/edsger/"))


def test_bad_password_shows_an_error(page, live_server):
    make_user("alan", password=PASSWORD)
    sign_in(page, live_server, "alan", "not the password")
    expect(page).to_have_url(live_server("/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("Incorrect username or password.")
    expect(page.locator("main form").get_by_label("Username")).to_have_value("alan")
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()


def test_sign_out(page, live_server):
    make_user("barbara", password=PASSWORD)
    sign_in(page, live_server, "barbara", PASSWORD)
    expect(account_nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    account_nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server("/"))
    expect(page.locator(".flash")).to_contain_text("You are signed out.")
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(live_server("/profiles/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_a_form_without_its_session_is_refused(page, context, live_server):
    make_user("claude", password=PASSWORD)
    page.goto(live_server("/accounts/login/"))
    context.clear_cookies()  # the CSRF token on the page no longer matches any session
    form = page.locator("main form")
    form.get_by_label("Username").fill("claude")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_response(lambda response: response.url.endswith("/accounts/login/")) as answer:
        form.get_by_role("button", name="Sign in", exact=True).click()
    assert answer.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Request problem")
    expect(page.locator("main")).to_contain_text("security token")
