"""Reading and editing grids in a real browser: column heads stay in view below the site header on a wide
30-package grid (1440 px), a card per package whose name stays in view on a phone (390 px), Enter saves a cell
(Shift+Enter adds a line), and signing in from an HTMX action comes back to the page. With SCREENSHOT_DIR set,
the grid and history pages are saved as PNGs at both widths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import PASSWORD
from webapp.extensions import db
from webapp.grids.models import Element, Feature, GridPackage

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def wide_grid(packages: int = 30, features: int = 12):
    category = make_category("Forms")
    made = [make_package(f"forms-{index:02d}", category=category, repo_watchers=index * 41 + 3,
                         repo_description="Form rendering with a long description that wraps over lines")
            for index in range(packages)]
    return make_grid("Form libraries", slug="form-libraries", packages=made, features=features)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def header_bottom(page) -> float:
    return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().bottom")


def assert_in_view_below_header(page, selector: str) -> None:
    head = box(page, selector)
    viewport = page.viewport_size
    assert head is not None, selector
    assert head["y"] >= header_bottom(page) - 0.5, (head, header_bottom(page))
    assert head["y"] >= -0.5 and head["y"] + head["height"] <= viewport["height"], head


def test_column_heads_stay_below_the_header_while_a_wide_grid_scrolls(browser, live_server):
    wide_grid()
    context = browser.new_context(base_url=live_server.url, viewport=WIDE)
    page = context.new_page()
    try:
        page.goto(live_server("/grids/g/form-libraries/"))
        head = "table.grid thead th.col-head"
        # Scroll the page as far as it goes, then the table down and sideways: the heads stay below the header.
        page.mouse.move(700, 600)
        for _ in range(12):
            page.mouse.wheel(0, 600)
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.evaluate("document.querySelector('.grid-wrap').scrollTop = 100000")
        assert_in_view_below_header(page, head)
        page.evaluate("document.querySelector('.grid-wrap').scrollLeft = 100000")
        last = page.locator(head).last
        expect(last).to_be_in_viewport()
        assert last.bounding_box()["y"] >= header_bottom(page) - 0.5
        # The leader's bar is the longest.
        widths = page.locator("td[data-label='Stars'] .rel-bar > i").evaluate_all(
            "bars => bars.map(bar => bar.getBoundingClientRect().width)")
        assert widths[0] == max(widths) > 0  # sorted by score, then name: forms-29 has the most stars
    finally:
        context.close()


def test_on_a_phone_each_package_is_a_card_whose_name_stays_in_view(browser, live_server):
    wide_grid()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server("/grids/g/form-libraries/"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
        member = db.session.scalar(select(GridPackage.id).order_by(GridPackage.id.desc()))
        feature = db.session.scalar(select(Feature.id).order_by(Feature.id.desc()))
        # Deep inside a card (its last cell), the card's package name is still on screen, below the header.
        page.locator(f"#cell-{member}-{feature}").scroll_into_view_if_needed()
        title = db.session.scalar(select(GridPackage).where(GridPackage.id == member)).package.title
        name = page.locator("th.col-head a.pkg", has_text=title)
        expect(name).to_be_in_viewport()
        head = name.bounding_box()
        assert head["y"] >= max(header_bottom(page), 0) - 0.5
        cell = page.locator(f"#cell-{member}-{feature}").bounding_box()
        assert head["y"] < cell["y"]  # the name heads the card, above its cell
        label = page.locator(f"#cell-{member}-{feature}").evaluate(
            "cell => getComputedStyle(cell, '::before').content")
        assert "Feature 12" in label
    finally:
        context.close()


def test_enter_saves_a_cell_and_shift_enter_starts_a_new_line(page, live_server):
    grid = make_grid("Tables", packages=[make_package("tablib")], features=1, fill=False)
    member = db.session.scalar(select(GridPackage.id).where(GridPackage.grid_id == grid.id))
    feature = grid.features[0].id
    make_user("editor", password=PASSWORD)
    sign_in(page, live_server, "editor")
    page.goto(live_server("/grids/g/tables/"))
    page.wait_for_load_state("load")
    cell = page.locator(f"#cell-{member}-{feature}")
    cell.click()
    box_ = cell.locator("textarea")
    expect(box_).to_be_focused()
    box_.type("yes")
    box_.press("Shift+Enter")
    box_.type("with a plugin")
    expect(box_).to_have_value("yes\nwith a plugin")
    box_.press("Enter")
    expect(cell.locator(".cell-yes")).to_be_visible()
    expect(cell.locator("textarea")).to_have_count(0)
    db.session.expire_all()
    assert db.session.scalar(select(Element.text)) == "yes\nwith a plugin"


def test_signing_in_from_an_htmx_action_comes_back_to_the_page(page, live_server):
    grid = make_grid("Tables", packages=[make_package("tablib")], features=1, fill=False)
    member = db.session.scalar(select(GridPackage.id).where(GridPackage.grid_id == grid.id))
    make_user("editor", password=PASSWORD)
    sign_in(page, live_server, "editor")
    page.goto(live_server("/grids/g/tables/?sort=stars"))
    page.wait_for_load_state("load")
    page.context.clear_cookies()  # signed out meanwhile (another tab, an expired session)

    page.locator(f"#cell-{member}-{grid.features[0].id}").click()  # an HTMX request
    expect(page).to_have_url(live_server("/accounts/login/?next=/grids/g/tables/?sort%3Dstars"))
    form = page.locator("main form")
    form.get_by_label("Username").fill("editor")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server("/grids/g/tables/?sort=stars"))

    # Signed out again, "I use this" on the grid becomes "Sign in to use", which comes back here too.
    page.context.clear_cookies()
    page.goto(live_server("/grids/g/tables/?sort=stars"))
    page.get_by_role("button", name="Sign in to use").click()
    form = page.locator("main form")
    form.get_by_label("Username").fill("editor")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server("/grids/g/tables/?sort=stars"))


@pytest.mark.skipif(not os.environ.get("SCREENSHOT_DIR"), reason="set SCREENSHOT_DIR to save screenshots")
def test_screenshots_of_the_grid_and_history_pages(browser, live_server):
    grid = wide_grid(packages=8, features=4)
    members = list(db.session.scalars(select(GridPackage).where(GridPackage.grid_id == grid.id)))
    make_user("editor", password=PASSWORD, is_staff=True)
    out = Path(os.environ["SCREENSHOT_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("wide", WIDE), ("phone", PHONE)):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        page = context.new_page()
        try:
            sign_in(page, live_server, "editor")
            if name == "wide":  # some history to show
                page.goto(live_server("/grids/g/form-libraries/"))
                page.wait_for_load_state("load")
                for member, text in zip(members[:3], ("+1", "Yes, with the `forms` extra", "no — planned"),
                                        strict=True):
                    cell = page.locator(f"#cell-{member.id}-{grid.features[0].id}")
                    cell.click()
                    cell.locator("textarea").fill(text)
                    cell.locator("textarea").press("Enter")
                    expect(cell.locator("textarea")).to_have_count(0)
            for page_name, path in (("grid", "/grids/g/form-libraries/"),
                                    ("history", "/grids/g/form-libraries/history/")):
                page.goto(live_server(path))
                page.screenshot(path=str(out / f"{page_name}-{name}.png"), full_page=page_name == "history")
                if page_name == "grid":
                    page.evaluate("window.scrollTo(0, 700)")
                    page.screenshot(path=str(out / f"{page_name}-{name}-scrolled.png"))
        finally:
            context.close()
