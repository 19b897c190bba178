"""What the browser tests share: signing in through the real form in Chromium."""

from __future__ import annotations

from tests.helpers import PASSWORD


def sign_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would, and wait for the next page."""
    page.goto(live_server("/accounts/login/"))
    form = page.locator("main form")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in", exact=True).click()
