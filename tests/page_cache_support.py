"""Fixtures for the anonymous page cache (webapp/page_cache.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def page_cache_off(app, monkeypatch):
    """Render every page: for tests that count what rendering a page costs (the cache would answer instead)."""
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
