"""Favorites in a real browser: the star toggles in place, on the package page and in a list, without a reload;
adding a site that uses the package swaps its section in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_package, make_user
from tests.helpers import PASSWORD
from webapp.catalog.models import Package
from webapp.extensions import db

pytestmark = pytest.mark.browser


def favorite_count(package_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Package, package_id).favorite_count


def test_the_star_toggles_in_place_on_the_package_page_and_in_lists(page, live_server):
    widget = make_package("widget", category=make_category("Apps"))
    make_user("amy", password=PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    expect(page.locator(f"#favorite-{widget.id}").get_by_role("link")).to_contain_text("Sign in to favorite")

    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    page.evaluate("window.notReloaded = true")
    control = page.locator(f"#favorite-{widget.id}")
    expect(control.locator(".favorite-count")).to_contain_text("0")
    control.get_by_role("button", name="Favorite widget").click()
    expect(control.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    expect(control.locator(".favorite-count")).to_contain_text("1")
    assert page.evaluate("window.notReloaded") is True
    assert favorite_count(widget.id) == 1

    page.goto(live_server("/packages/"))
    page.evaluate("window.notReloaded = true")
    row_control = page.locator(f"#favorite-{widget.id}")
    expect(row_control.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    row_control.get_by_role("button").click()
    expect(row_control.get_by_role("button")).to_have_attribute("aria-pressed", "false")
    expect(row_control.locator(".favorite-count")).to_contain_text("0")
    assert page.evaluate("window.notReloaded") is True
    assert favorite_count(widget.id) == 0


def test_adding_a_site_swaps_the_section_in_place(page, live_server):
    make_package("widget", category=make_category("Apps"))
    make_user("amy", password=PASSWORD)
    sign_in(page, live_server, "amy", PASSWORD)
    page.goto(live_server("/packages/p/widget/"))
    page.evaluate("window.notReloaded = true")
    page.get_by_text("Add a site that uses widget").click()
    page.get_by_label("Site name").fill("Shop")
    page.get_by_label("Address").fill("ftp://shop.example.com/")
    page.get_by_role("button", name="Add site").click()
    expect(page.locator("#package-examples .field-error")).to_contain_text("http")
    page.get_by_label("Address").fill("https://shop.example.com/")
    page.get_by_role("button", name="Add site").click()
    expect(page.locator("#package-examples").get_by_role("link", name="Shop")).to_have_attribute(
        "href", "https://shop.example.com/")
    assert page.evaluate("window.notReloaded") is True
