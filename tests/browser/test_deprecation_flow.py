"""Deprecating a package in a real browser: pick the replacement as you type, see the notice, then staff
revert it from the history page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_package, make_user
from tests.helpers import PASSWORD
from webapp.catalog.models import Package
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_deprecate_with_a_replacement_then_revert_it_from_the_history(page, live_server):
    apps = make_category("Apps")
    make_user("stella", password=PASSWORD, is_staff=True)
    old = make_package("django-oldie", category=apps)
    make_package("django-newbie", category=apps)

    sign_in(page, live_server, "stella", PASSWORD)
    page.goto(live_server("/packages/p/django-oldie/"))
    page.get_by_role("link", name="Mark deprecated…").click()
    expect(page).to_have_url(live_server("/packages/django-oldie/deprecation/"))
    page.get_by_label("Status").select_option("deprecated")
    page.get_by_label("Reason").fill("Its authors recommend the newbie.")
    replacement = page.get_by_label("Replaced by (optional)")
    replacement.press_sequentially("newb", delay=30)
    # The picker's choices arrive as the person types (HTMX swaps the datalist).
    expect(page.locator('#replacement-options option[value="django-newbie"]')).to_have_count(1)
    expect(page.locator('#replacement-options option[value="django-oldie"]')).to_have_count(0)
    replacement.fill("django-newbie")
    page.get_by_role("button", name="Mark it").click()

    expect(page).to_have_url(live_server("/packages/p/django-oldie/"))
    notice = page.locator("#deprecation-notice")
    expect(notice).to_contain_text("Deprecated since")
    expect(notice).to_contain_text("Its authors recommend the newbie.")
    expect(notice.get_by_role("link", name="django-newbie")).to_have_attribute("href", "/packages/p/django-newbie/")

    page.goto(live_server("/packages/p/django-oldie/history/"))
    row = page.locator("tr", has_text="deprecation status")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Revert").click()
    expect(page).to_have_url(live_server("/packages/p/django-oldie/history/"))
    expect(page.locator(".flash")).to_contain_text("Reverted change")

    page.goto(live_server("/packages/p/django-oldie/"))
    expect(page.locator("#deprecation-notice")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(Package, old.id).deprecation_status is None
