"""The header's search as you type, from the keyboard: "/" focuses it, arrow keys move through the
suggestions, Enter opens the highlighted one, Escape closes them, and screen readers are told the count."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_category, make_package

pytestmark = pytest.mark.browser


def test_the_suggestions_work_from_the_keyboard(page, live_server):
    category = make_category("Apps", slug="apps")
    make_package("django-imagekit", category=category, repo_description="Automated image processing", repo_watchers=900)
    make_package("django-image-cropping", category=category, repo_description="Crop images", repo_watchers=10)
    page.goto(live_server("/packages/"))
    box = page.locator("#site-search-q")
    page.locator("body").press("/")
    expect(box).to_be_focused()
    box.press_sequentially("imagkit", delay=20)  # a typo: corrected
    options = page.locator("#search-suggestions [role=option]")
    expect(options.first).to_contain_text("django-imagekit")
    expect(page.locator("#search-status")).to_contain_text("1 package and 0 grids found for imagekit")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    box.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "false")
    box.press("Escape")
    expect(page.locator("#search-suggestions")).to_be_empty()
    box.fill("")
    box.press_sequentially("image", delay=20)
    expect(options).to_have_count(2)
    box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/packages/p/django-image"))
