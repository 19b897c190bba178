"""Package editing in a real browser, CSRF protection on: add in two steps, "I use this" in place, flag,
moderate, and the Back button after an HTMX swap."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_package, make_user
from tests.helpers import PASSWORD
from webapp.catalog.models import Flag, Package
from webapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _no_fetch(app, monkeypatch):
    """Nothing is fetched from remote hosts in these tests (they would be a closed port anyway)."""
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "off")


@pytest.fixture
def widget():
    return make_package("widget", category=make_category("Apps"))


def usage_form(page, package):
    return page.locator(f"#usage-{package.id}")


def fresh_package(package_id: int) -> Package:
    db.session.expire_all()
    return db.session.get(Package, package_id)


def test_add_a_package_in_two_steps(page, live_server):
    make_category("Apps")
    make_user("amy", password=PASSWORD)
    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/"))
    page.get_by_role("link", name="Add a package").click()
    expect(page).to_have_url(live_server("/packages/add/"))
    page.get_by_label("Repository URL or PyPI name").fill("https://github.com/Acme/Fancy-Widgets.git")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator('[aria-current="step"]')).to_have_text("Check the details")
    expect(page.get_by_label("Title")).to_have_value("Fancy-Widgets")
    expect(page.get_by_label("Slug")).to_have_value("fancy-widgets")
    expect(page.get_by_label("Repository URL")).to_have_value("https://github.com/Acme/Fancy-Widgets")
    page.get_by_label("Title").fill("Fancy Widgets")
    page.get_by_label("Category").select_option(label="Apps")
    page.get_by_role("button", name="Add package").click()

    expect(page).to_have_url(live_server("/packages/p/fancy-widgets/"))
    expect(page.locator(".flash")).to_contain_text("Added Fancy Widgets.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fancy Widgets")
    db.session.expire_all()
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    assert package is not None and package.created_by.username == "amy"

    # The same repository again, pasted differently: the site points at the listed package.
    page.goto(live_server("/packages/add/"))
    page.get_by_label("Repository URL or PyPI name").fill("git@github.com:acme/fancy-widgets.git")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".already-listed")).to_contain_text("Already listed: Fancy Widgets")
    page.locator(".already-listed").get_by_role("link", name="Fancy Widgets").click()
    expect(page).to_have_url(live_server("/packages/p/fancy-widgets/"))


def test_usage_toggles_in_place_without_a_reload(page, live_server, widget):
    make_user("amy", password=PASSWORD)
    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    page.evaluate("window.notReloaded = true")
    form = usage_form(page, widget)
    expect(form.get_by_role("button")).to_have_text("I use this")
    expect(form.locator(".usage-count")).to_contain_text("0")

    form.get_by_role("button", name="I use this").click()
    expect(form.get_by_role("button")).to_have_text("You use this ✓ — remove")
    expect(form.locator(".usage-count")).to_contain_text("1")
    expect(page.locator("#usage-count strong")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    assert fresh_package(widget.id).usage_count == 1

    form.get_by_role("button", name="You use this ✓ — remove").click()
    expect(form.get_by_role("button")).to_have_text("I use this")
    expect(form.locator(".usage-count")).to_contain_text("0")
    expect(page.locator("#usage-count strong")).to_have_text("0")
    assert page.evaluate("window.notReloaded") is True
    assert fresh_package(widget.id).usage_count == 0


def test_back_button_after_an_htmx_swap_shows_the_current_state(page, live_server, widget):
    make_user("amy", password=PASSWORD)
    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    usage_form(page, widget).get_by_role("button", name="I use this").click()
    expect(usage_form(page, widget).get_by_role("button")).to_have_text("You use this ✓ — remove")

    page.locator(".package-actions").get_by_role("link", name="History").click()
    expect(page).to_have_url(live_server("/packages/p/widget/history/"))
    page.go_back()
    expect(page).to_have_url(live_server("/packages/p/widget/"))
    expect(usage_form(page, widget).get_by_role("button")).to_have_text("You use this ✓ — remove")
    expect(usage_form(page, widget).locator(".usage-count")).to_contain_text("1")
    expect(page.locator("#usage-count strong")).to_have_text("1")

    # And it still works after coming back.
    usage_form(page, widget).get_by_role("button").click()
    expect(usage_form(page, widget).get_by_role("button")).to_have_text("I use this")
    page.go_forward()
    page.go_back()
    expect(usage_form(page, widget).get_by_role("button")).to_have_text("I use this")
    assert fresh_package(widget.id).usage_count == 0


def test_anonymous_usage_click_leads_to_sign_in_and_back(page, live_server, widget):
    make_user("amy", password=PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    usage_form(page, widget).get_by_role("button", name="Sign in to use").click()
    # A link to sign in (a GET form: the browser percent-encodes the slashes of ``next``).
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)packages(/|%2F)p(/|%2F)widget(/|%2F)$"))
    form = page.locator("main form")
    form.get_by_label("Username").fill("amy")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server("/packages/p/widget/"))
    expect(usage_form(page, widget).get_by_role("button")).to_have_text("I use this")


def test_flag_then_staff_approve_and_the_package_page_says_removed(page, live_server, widget):
    make_user("amy", password=PASSWORD)
    make_user("sam", password=PASSWORD, is_staff=True)
    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    box = page.locator(f"#flag-{widget.id}")
    box.locator("summary", has_text="Flag").click()
    box.get_by_label("Why should this package be removed?").fill("Spam: it only links to a casino.")
    box.get_by_role("button", name="Send to the moderators").click()
    expect(page.locator(f"#flag-{widget.id}")).to_contain_text("Thank you. Staff will review your report.")
    expect(page).to_have_url(live_server("/packages/p/widget/"))
    db.session.expire_all()
    assert db.session.scalar(select(Flag.status)) == "open"

    page.locator(".account-nav").get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "sam", PASSWORD)
    page.locator(".account-nav").get_by_role("link", name="Moderation").click()
    expect(page).to_have_url(live_server("/moderation/"))
    item = page.locator(".flag-item", has_text="widget")
    expect(item).to_contain_text("Spam: it only links to a casino.")
    expect(item).to_contain_text("amy")
    item.get_by_role("button", name="Approve: remove widget").click()
    expect(page.locator(".flash")).to_contain_text("Removed widget from lists and grids.")
    expect(page.locator(".flag-item")).to_have_count(0)

    page.goto(live_server("/packages/p/widget/"))
    expect(page.get_by_role("alert").first).to_contain_text("Removed from lists and grids by the moderators")
    expect(page.get_by_role("alert").first).to_contain_text("Spam: it only links to a casino.")
    page.goto(live_server("/packages/"))
    expect(page.locator(".package-list")).not_to_contain_text("widget")


def test_edit_and_see_it_in_the_history(page, live_server, widget):
    make_user("amy", password=PASSWORD)
    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    page.locator(".package-actions").get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("Widget Pro")
    page.get_by_label("Documentation URL").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#documentation_url-error")).to_contain_text("Only http:// and https://")
    page.get_by_label("Documentation URL").fill("https://widget.example.org/docs/")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(live_server("/packages/p/widget/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Widget Pro")
    page.locator(".package-actions").get_by_role("link", name="History").click()
    expect(page.locator("table.history")).to_contain_text("Widget Pro")
    expect(page.locator("table.history")).to_contain_text("https://widget.example.org/docs/")
