"""A staff member rolls back a spammer's 20 edits (package edits, added features, cell edits and new cells, across
three packages and a grid) with one click, and every earlier value is back, on the pages and in the database."""

from __future__ import annotations

from tests.browser.helpers import sign_in
from tests.staff_support import SPAM, site_state, spam


def test_one_click_rolls_back_a_spam_wave(page, live_server, spam_world, auth):
    wave = spam_world
    assert spam(auth.client_for(wave.spammer), wave) == 20
    package_ids = [package.id for package in wave.packages]
    page.goto(live_server(f"/grids/g/{wave.grid.slug}/"))
    assert page.get_by_text(SPAM).first.is_visible()

    sign_in(page, live_server, "stella")
    page.goto(live_server("/staff/people/spammer/"))
    assert page.get_by_role("heading", name="Everything spammer did").is_visible()
    page.get_by_label("Undo every edit made since (UTC date)").fill("2000-01-01")
    page.get_by_role("button", name="Roll back spammer's edits").click()
    page.wait_for_url("**/staff/people/spammer/")
    assert page.get_by_text("Rolled back 20 changes by spammer").is_visible()

    assert site_state(wave.grid.id, package_ids) == wave.before
    page.goto(live_server(f"/grids/g/{wave.grid.slug}/"))
    assert SPAM not in page.content()
    for package in wave.packages:
        page.goto(live_server(f"/packages/p/{package.slug}/"))
        assert SPAM not in page.locator("main").inner_text()
        assert package.title in page.locator("h1").inner_text()
    page.goto(live_server("/changes/?person=stella"))
    undone = page.get_by_text("Reverted change #").count() + page.get_by_text("Rolled back change #").count()
    assert undone == 18  # 6 package fields and 6 cells put back, 6 new cells emptied (and 2 features deleted)
