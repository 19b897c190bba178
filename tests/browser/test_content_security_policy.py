"""The Content-Security-Policy in a real browser: every main page, and HTMX at work, without one violation.

Chromium reports a violation both as a console error and as a ``securitypolicyviolation`` event; the test
listens to both, so an inline script, an inline style, an ``on*=`` attribute, htmx's injected indicator style
or an eval (``hx-on``, trigger filters) anywhere on these pages fails it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import sign_in
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import PASSWORD
from webapp.catalog.models import Flag
from webapp.extensions import db
from webapp.grids.models import Feature, GridPackage

pytestmark = pytest.mark.browser


RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
                              + `at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched_page(context):
    """A tab that records every CSP violation (events and console errors) in ``page.violations``."""
    context.add_init_script(RECORD_VIOLATIONS)
    tab = context.new_page()
    tab.violations = []
    tab.on("console", lambda message: tab.violations.append(f"console: {message.text}")
           if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    return tab


def violations(page) -> list[str]:
    return page.violations + page.evaluate("window.__cspViolations || []")


@pytest.fixture
def catalogue():
    category = make_category("App", slug="apps")
    ninja = make_package("django-ninja", category=category, repo_description="Fast APIs with type hints",
                         fetch_error="HTTP 500 from GitHub", fetch_error_count=2)
    drf = make_package("django-rest-framework", category=category, repo_description="Web APIs for Django")
    grid = make_grid("API frameworks", packages=[ninja, drf], features=2, description="Build **web APIs**.")
    staff = make_user("stella", password=PASSWORD, is_staff=True)
    db.session.add(Flag(package=drf, user=staff, reason="spam"))
    db.session.commit()
    return grid


def test_every_main_page_loads_without_a_csp_violation(watched_page, live_server, catalogue):
    page = watched_page
    sign_in(page, live_server, "stella", PASSWORD)
    member = db.session.scalar(select(GridPackage.id).where(GridPackage.grid_id == catalogue.id))
    feature = db.session.scalar(select(Feature.id).where(Feature.grid_id == catalogue.id))
    paths = [
        "/", "/packages/", "/packages/?q=django&sort=name", "/packages/p/django-ninja/", "/categories/",
        "/categories/apps/", "/grids/", "/grids/g/api-frameworks/", "/search/?q=django", "/profiles/stella/",
        "/api/v4/docs/", "/api/v4/packages/?format=api", "/api/v4/", "/packages/add/",
        "/packages/django-ninja/edit/", "/grids/add/", "/grids/g/api-frameworks/edit/",
        "/grids/g/api-frameworks/packages/add/?q=django", "/grids/g/api-frameworks/features/add/",
        f"/grids/g/api-frameworks/cells/{member}/{feature}/edit/", "/packages/p/django-ninja/history/",
        "/grids/g/api-frameworks/history/", "/packages/p/django-ninja/flag/", "/moderation/",
        "/packages/p/no-such-package/",
    ]
    seen = {}
    for path in paths:
        page.goto(live_server(path))
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.htmx") == "object", f"htmx did not load on {path}"
        seen[path] = violations(page)
    assert {path: found for path, found in seen.items() if found} == {}
    page.goto(live_server("/accounts/login/"))  # signed in: the sign-in page redirects; sign out to see it
    page.context.clear_cookies()
    for path in ("/accounts/login/", "/accounts/signup/"):
        page.goto(live_server(path))
        page.wait_for_load_state("load")
        assert violations(page) == [], path


def test_htmx_interactions_run_under_the_policy(watched_page, live_server, catalogue):
    page = watched_page
    sign_in(page, live_server, "stella", PASSWORD)

    # Search as you type: the suggestions come from an HTMX request.
    page.goto(live_server("/"))
    page.wait_for_load_state("load")
    page.locator("#site-search-q").press_sequentially("ninja", delay=20)
    expect(page.locator("#search-suggestions")).to_contain_text("django-ninja")

    # Edit a grid cell inline, save it, open it again and cancel with Escape (the handler in site.js).
    page.goto(live_server("/grids/g/api-frameworks/"))
    page.wait_for_load_state("load")
    cell = page.locator("td.cell").first
    cell.click()
    editor = cell.locator("textarea")
    expect(editor).to_be_focused()
    editor.fill("yes — with **care**")
    cell.get_by_role("button", name="Save").click()
    expect(cell.locator("strong")).to_have_text("care")
    cell.click()
    expect(cell.locator("textarea")).to_be_focused()
    page.keyboard.press("Escape")
    expect(cell.locator("textarea")).to_have_count(0)
    expect(cell.locator("strong")).to_have_text("care")

    # "I use this" toggles in place.
    page.goto(live_server("/packages/p/django-ninja/"))
    page.wait_for_load_state("load")
    page.get_by_role("button", name="I use this").first.click()
    expect(page.get_by_role("button", name="You use this").first).to_be_visible()

    assert violations(page) == []
