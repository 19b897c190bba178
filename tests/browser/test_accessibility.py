"""axe-core in Chromium over every readable page: no serious or critical violation, at 1440 px and at 390 px,
signed out and as staff (who see every button and form).

The pages are the url_map's GET routes, filled from the route sweep's world (tests/route_sweep.py); answers that
are not HTML (feeds, the API, images, exports) are skipped. axe is the vendored, pinned tests/browser/vendor/
axe-*.min.js (from ``npm pack axe-core``; MPL-2.0, see axe-LICENSE.txt), evaluated in the page through the
DevTools protocol, which the site's Content-Security-Policy does not govern.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import sign_in
from tests.helpers import PASSWORD
from tests.route_sweep import all_rules, make_world, url_for_rule

pytestmark = pytest.mark.browser

AXE = next((Path(__file__).parent / "vendor").glob("axe-*.min.js"))
WIDTHS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")
# Not pages: files, feeds, downloads (by their suffix), the sign-out and the OAuth hops.
SKIPPED_PREFIXES = ("/static/", "/feeds/")  # the API's JSON is skipped by its content type; its docs are a page
SKIPPED_SUFFIXES = (".json", ".csv", ".svg", ".png", ".xml", ".txt", ".md")
SKIPPED_ENDPOINTS = {"accounts.github_login", "accounts.github_callback", "accounts.logout"}


def page_paths() -> list[str]:
    """A path for every GET route (its URL arguments filled from the route sweep's world), HTML or not: the
    sweep skips what is not HTML. A route the world has no filler for yet is left to the route sweeps to report."""
    fillers = make_world().url_arguments()
    paths = []
    for rule in all_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        if rule.arguments and rule.endpoint not in fillers:
            continue
        path = url_for_rule(rule, fillers.get(rule.endpoint, {}), "GET")
        if not path.startswith(SKIPPED_PREFIXES) and not path.endswith(SKIPPED_SUFFIXES) and path not in paths:
            paths.append(path)
    return paths


def violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [violation for violation in found if violation["impact"] in BLOCKING]


def sweep(browser, live_server, paths: list[str], viewport: dict, username: str | None) -> dict[str, list]:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
                  else route.abort())
    page = context.new_page()
    problems = {}
    try:
        if username:
            sign_in(page, live_server, username, PASSWORD)
        seen = set()
        for path in paths:
            try:
                response = page.goto(live_server(path))
            except PlaywrightError:  # a download (an export), not a page
                continue
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            landed = page.url
            if landed in seen:
                continue
            seen.add(landed)
            page.wait_for_load_state("load")
            found = violations(page)
            editable = page.locator("td.cell-editable")
            if editable.count():  # a grid editor sees the inline cell editor too
                editable.first.click()
                page.locator("td.cell-editing textarea").wait_for()
                found += [{**violation, "state": "cell editor open"} for violation in violations(page)]
            if found:
                problems[landed.removeprefix(live_server.url)] = found
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violation_on_any_page(browser, live_server, app, width):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The markup is the same whichever database answers: CI's SQLite run sweeps it (4 minutes saved here).
        pytest.skip("accessibility is checked in the SQLite run")
    paths = page_paths()
    problems = {}
    for role, username in (("anonymous", None), ("staff", "stella")):
        for path, found in sweep(browser, live_server, paths, WIDTHS[width], username).items():
            problems[f"{role} {path}"] = found
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
