"""Editing grids in a real browser, CSRF protection on: create a grid, add packages with the HTMX picker, add a
feature, edit cells inline (save, Escape, a stale save), remove a column, and the back button after sorting."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import PASSWORD
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage

pytestmark = pytest.mark.browser


def package_id(slug: str) -> int:
    return db.session.scalar(select(Package.id).where(Package.slug == slug))


def member_id(grid_slug: str, package_slug: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(GridPackage.id).join(Grid, Grid.id == GridPackage.grid_id)
        .where(Grid.slug == grid_slug, GridPackage.package_id == package_id(package_slug)))


def column_order(page) -> list[str]:
    return page.locator("table.grid thead a.pkg").all_inner_texts()


def wait_for_htmx_to_settle(page) -> None:
    """Wait until htmx has wired the content it just swapped in.

    htmx focuses an ``autofocus`` field as soon as it swaps, but sets up the new content's ``hx-*`` links in
    its settle step a moment later: a click in between is an ordinary link.
    """
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping")).to_have_count(0)


def mark_page(page) -> None:
    """Remember this document (a full reload forgets the mark), once htmx has set the page up.

    htmx is loaded with ``defer`` and wires the page on DOMContentLoaded; a click before that is an
    ordinary link or form submission, which is what the no-JavaScript path does but not what these tests check.
    """
    page.wait_for_load_state("load")
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_create_a_grid_add_packages_and_a_feature_then_edit_a_cell_inline(page, live_server):
    category = make_category("App")
    make_package("django-ninja", category=category, repo_description="Fast APIs with type hints")
    make_package("django-rest-framework", category=category, repo_description="Web APIs for Django")
    make_package("flask-smorest", category=category)
    make_user("editor", password=PASSWORD)
    sign_in(page, live_server, "editor", PASSWORD)

    # Create the grid.
    page.goto(live_server("/grids/"))
    page.get_by_role("link", name="Create a grid").click()
    page.get_by_label("Title").fill("API frameworks")
    page.get_by_label("Description").fill("Build **web APIs**.")
    page.get_by_role("button", name="Create the grid").click()
    expect(page).to_have_url(live_server("/grids/g/api-frameworks/"))
    expect(page.locator(".flash")).to_contain_text("Created the grid")
    expect(page.locator(".lead strong")).to_have_text("web APIs")

    # Add two packages with the search-as-you-type picker, without leaving the page.
    page.locator(".grid-actions").get_by_role("link", name="Add packages").click()
    expect(page).to_have_url(live_server("/grids/g/api-frameworks/packages/add/"))
    mark_page(page)
    search = page.get_by_label("Find a package")
    search.press_sequentially("django", delay=20)
    results = page.locator("#package-picker")
    expect(results.locator(".picker-name")).to_have_text(["django-ninja", "django-rest-framework"])
    results.get_by_role("button", name="Add django-ninja to the grid").click()
    expect(page.locator(f"#pick-{package_id('django-ninja')}")).to_contain_text("added")
    results.get_by_role("button", name="Add django-rest-framework to the grid").click()
    expect(results.locator(".picker-added")).to_have_count(2)
    search.fill("")
    search.press_sequentially("djan", delay=20)
    expect(results).to_contain_text("No package outside this grid matches")  # both are in the grid now
    assert same_document(page)
    assert "q=djan" in page.url  # the search is in the address, so reloading keeps it
    page.get_by_role("link", name="Back to the grid").click()
    expect(page).to_have_url(live_server("/grids/g/api-frameworks/"))
    assert sorted(column_order(page)) == ["django-ninja", "django-rest-framework"]
    grid = db.session.scalar(select(Grid).where(Grid.slug == "api-frameworks"))
    assert grid.package_count == 2

    # Add a feature.
    page.locator(".grid-actions").get_by_role("link", name="Add a feature").click()
    page.get_by_label("Feature").fill("Async views")
    page.get_by_label("Description").fill("Handlers can be `async def`")
    page.get_by_role("button", name="Add the feature").click()
    expect(page.locator("table.grid tbody th", has_text="Async views")).to_be_visible()
    expect(page.locator("table.grid tbody th code")).to_have_text("async def")
    db.session.expire_all()
    feature_id = db.session.scalar(select(Feature.id).where(Feature.grid_id == grid.id))
    ninja = member_id("api-frameworks", "django-ninja")

    # Click the cell, type, save: the rendered value appears without a reload.
    mark_page(page)
    cell = page.locator(f"#cell-{ninja}-{feature_id}")
    expect(cell).to_contain_text("—")
    cell.click()
    editor = cell.locator("textarea")
    expect(editor).to_be_focused()
    editor.fill("yes — with **care**")
    cell.get_by_role("button", name="Save").click()
    expect(cell.locator(".cell-icon.cell-yes")).to_be_visible()
    expect(cell.locator("strong")).to_have_text("care")
    expect(cell.locator("textarea")).to_have_count(0)
    expect(cell.locator(".cell-edit")).to_be_focused()  # focus comes back to the cell
    assert same_document(page)
    db.session.expire_all()
    assert db.session.scalar(select(Element.text)) == "yes — with **care**"

    # Escape cancels: the cell shows what was saved, nothing is written.
    cell.click()
    expect(cell.locator("textarea")).to_be_focused()
    cell.locator("textarea").fill("no — changed my mind")
    page.keyboard.press("Escape")
    expect(cell.locator("textarea")).to_have_count(0)
    expect(cell.locator("strong")).to_have_text("care")
    db.session.expire_all()
    assert db.session.scalar(select(Element.text)) == "yes — with **care**"

    # The keyboard reaches the cell's edit link, and Cancel works too.
    cell.locator(".cell-edit").focus()
    page.keyboard.press("Enter")
    expect(cell.locator("textarea")).to_be_focused()
    wait_for_htmx_to_settle(page)
    cell.get_by_role("link", name="Cancel").click()
    expect(cell.locator("textarea")).to_have_count(0)
    assert same_document(page)

    # The saved cell survives a reload.
    page.reload()
    expect(page.locator(f"#cell-{ninja}-{feature_id} strong")).to_have_text("care")


def test_a_stale_inline_save_shows_both_versions_and_overwrites_nothing(page, live_server):
    package = make_package("celery")
    grid = make_grid("Queues", packages=[package], features=1, fill=False)
    member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id))
    feature = db.session.scalar(select(Feature).where(Feature.grid_id == grid.id))
    element = Element(grid_package_id=member.id, feature_id=feature.id, text="yes")
    db.session.add(element)
    db.session.commit()
    element_id = element.id
    make_user("editor", password=PASSWORD)
    sign_in(page, live_server, "editor", PASSWORD)
    page.goto(live_server("/grids/g/queues/"))

    cell = page.locator(f"#cell-{member.id}-{feature.id}")
    cell.click()
    cell.locator("textarea").fill("no — mine")
    with db.engine.begin() as other:  # someone else saves while the editor is open
        other.execute(update(Element).where(Element.id == element_id).values(text="++ theirs", revision=2))
    cell.get_by_role("button", name="Save").click()

    expect(cell.locator(".cell-conflict")).to_contain_text("Someone else saved this cell")
    expect(cell.locator(".cell-current-text")).to_have_text("++ theirs")
    expect(cell.locator("textarea")).to_have_value("no — mine")
    db.session.expire_all()
    assert db.session.get(Element, element_id).text == "++ theirs"

    cell.locator("textarea").fill("++ theirs, and mine")
    cell.get_by_role("button", name="Save").click()
    expect(cell.locator(".cell-plus2")).to_be_visible()
    expect(cell.locator(".cell-note")).to_have_text("theirs, and mine")
    db.session.expire_all()
    assert db.session.get(Element, element_id).text == "++ theirs, and mine"


def test_remove_a_package_after_confirming(page, live_server):
    packages = [make_package("keep-me"), make_package("drop-me")]
    grid = make_grid("Trim", packages=packages, features=1)
    make_user("editor", password=PASSWORD)
    sign_in(page, live_server, "editor", PASSWORD)
    page.goto(live_server("/grids/g/trim/?sort=title"))

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Remove drop-me from this grid").click()
    expect(page.locator("table.grid thead a.pkg")).to_have_count(2)  # dismissed: nothing happens
    assert messages and "Remove drop-me from this grid?" in messages[0]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove drop-me from this grid").click()
    expect(page).to_have_url(live_server("/grids/g/trim/?sort=title"))
    expect(page.locator(".flash")).to_contain_text("Removed drop-me from the grid.")
    assert column_order(page) == ["keep-me"]
    db.session.expire_all()
    assert db.session.get(Grid, grid.id).package_count == 1


def test_back_button_after_sorting_with_htmx_shows_the_earlier_order(page, live_server):
    category = make_category()
    make_grid("Sorted", packages=[
        make_package("alpha", category=category, repo_watchers=5, repo_forks=300, score=10),
        make_package("bravo", category=category, repo_watchers=500, repo_forks=3, score=30),
        make_package("charlie", category=category, repo_watchers=50, repo_forks=30, score=20),
    ])
    page.goto(live_server("/grids/g/sorted/"))
    mark_page(page)
    assert column_order(page) == ["bravo", "charlie", "alpha"]  # by score

    page.get_by_label("Sort packages by").select_option("forks")
    expect(page).to_have_url(re.compile(r"/grids/g/sorted/\?sort=forks"))
    expect(page.locator("table.grid thead a.pkg").first).to_have_text("alpha")
    assert column_order(page) == ["alpha", "charlie", "bravo"]

    page.get_by_label("Sort packages by").select_option("title")
    expect(page).to_have_url(re.compile(r"sort=title"))
    expect(page.locator("table.grid thead a.pkg")).to_have_text(["alpha", "bravo", "charlie"])
    assert same_document(page)  # HTMX swapped the table; no reload

    page.go_back()
    expect(page).to_have_url(re.compile(r"sort=forks"))
    expect(page.locator("table.grid thead a.pkg")).to_have_text(["alpha", "charlie", "bravo"])
    expect(page.get_by_label("Sort packages by")).to_have_value("forks")

    page.go_back()
    expect(page).to_have_url(live_server("/grids/g/sorted/"))
    expect(page.locator("table.grid thead a.pkg")).to_have_text(["bravo", "charlie", "alpha"])

    page.go_forward()
    expect(page.locator("table.grid thead a.pkg")).to_have_text(["alpha", "charlie", "bravo"])


def test_signed_out_people_are_sent_to_sign_in_from_an_htmx_edit(page, live_server):
    """A person signed out in another tab clicks a cell: HTMX follows the 401's HX-Redirect to sign in."""
    package = make_package("lonely")
    grid = make_grid("Solo", packages=[package], features=1)
    member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id))
    feature = db.session.scalar(select(Feature).where(Feature.grid_id == grid.id))
    make_user("editor", password=PASSWORD)
    sign_in(page, live_server, "editor", PASSWORD)
    page.goto(live_server("/grids/g/solo/"))
    page.context.clear_cookies()  # the session ends

    page.locator(f"#cell-{member.id}-{feature.id}").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/grids/g/solo/"))
