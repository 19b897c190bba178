"""Comparing packages in a real browser: tick packages on the list, add one with the search-as-you-type picker,
take one out (each time the address follows, without a reload), then save the comparison as a grid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_package, make_user
from tests.helpers import password_hash
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage

pytestmark = pytest.mark.browser


def _heads(page) -> list[str]:
    return page.locator("table.compare-table thead a.pkg").all_inner_texts()


def _settled(page) -> None:
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)


def test_compare_from_the_list_add_remove_and_save_as_grid(page, live_server):
    category = make_category("App", slug="apps")
    for slug, stars in (("django-allauth", 30), ("dj-rest-auth", 20), ("django-invitations", 10),
                        ("rest-extra", 5)):
        make_package(slug, category=category, repo_watchers=stars)
    make_user("ada", password_hash=password_hash())
    db.session.commit()
    sign_in(page, live_server, "ada")

    # Tick two packages on the list; the GET form brings them to the compare page (one comma list).
    page.goto(live_server("/packages/?sort=stars"))
    page.wait_for_load_state("load")
    page.locator('input[name="p"][value="django-allauth"]').check()
    page.locator('input[name="p"][value="django-invitations"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="Compare selected").click()
    expect(page).to_have_url(re.compile(r"/compare/\?p=django-allauth,django-invitations$"))
    assert _heads(page) == ["django-allauth", "django-invitations"]
    page.evaluate("window.__sameDocument = true")

    # Search as you type, add one: the table and the address change, the document stays.
    page.get_by_label("Add a package").fill("rest")
    add = page.get_by_role("link", name="Add dj-rest-auth to the comparison")
    expect(add).to_be_visible()
    _settled(page)
    add.click()
    expect(page).to_have_url(re.compile(r"/compare/\?p=django-allauth,django-invitations,dj-rest-auth&q=rest$"))
    expect(page.locator("table.compare-table thead a.pkg")).to_have_count(3)
    assert _heads(page) == ["django-allauth", "django-invitations", "dj-rest-auth"]

    # Take one out.
    _settled(page)
    page.get_by_role("link", name="Remove django-invitations from the comparison").click()
    expect(page).to_have_url(re.compile(r"/compare/\?p=django-allauth,dj-rest-auth$"))
    expect(page.locator("table.compare-table thead a.pkg")).to_have_count(2)
    assert page.evaluate("window.__sameDocument === true")

    # The pushed address is a page of its own.
    page.reload()
    assert _heads(page) == ["django-allauth", "dj-rest-auth"]

    # Save as grid.
    page.get_by_label("Title of the new grid").fill("Auth for APIs")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as grid").click()
    expect(page).to_have_url(re.compile(r"/grids/g/auth-for-apis/$"))
    expect(page.locator("h1")).to_contain_text("Auth for APIs")
    db.session.expire_all()
    grid = db.session.scalar(select(Grid).where(Grid.slug == "auth-for-apis"))
    assert db.session.scalar(select(db.func.count()).select_from(GridPackage)
                             .where(GridPackage.grid_id == grid.id)) == 2
