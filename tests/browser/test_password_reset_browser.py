"""A forgotten password in a real browser: ask for a link, read the mail the site sent to the SMTP server on
127.0.0.1, open the link, choose a new password, sign in with it; the link does not work a second time."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.factories import make_user
from tests.helpers import password_hash
from tests.mail_support import link_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase"


def test_password_reset_from_the_mailed_link(page, live_server, mailbox):
    make_user("rita", email="rita@example.org", password_hash=password_hash())

    page.goto(live_server("/accounts/login/"))
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.locator("main form").get_by_label("Email").fill("rita@example.org")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    link = link_in(mailbox.last(to="rita@example.org"))
    assert link.startswith(live_server("/accounts/password/reset/"))
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Set new password").click()
    expect(page).to_have_url(live_server("/accounts/login/"))
    expect(page.locator(".flash")).to_contain_text("Your password is changed")

    sign_in(page, live_server, "rita", NEW_PASSWORD)
    expect(page).to_have_url(live_server("/profiles/rita/"))
    expect(page.locator(".account-nav").get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("This link was already used")
    expect(page.locator("main form")).to_have_count(0)

