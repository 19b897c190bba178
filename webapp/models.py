"""Every model, imported in one place for Alembic and for convenience."""

from webapp.accounts.models import User
from webapp.catalog.models import Category, Flag, Package, Usage, Version
from webapp.counters import SiteCounter
from webapp.fetch.models import HttpCacheEntry
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.history.models import Change
from webapp.page_cache import CacheVersion

__all__ = [
    "CacheVersion",
    "Category",
    "Change",
    "Element",
    "Feature",
    "Flag",
    "Grid",
    "GridPackage",
    "HttpCacheEntry",
    "Package",
    "SiteCounter",
    "Usage",
    "User",
    "Version",
]
