"""Every model, imported in one place for Alembic and for convenience."""

from webapp.accounts.models import User
from webapp.catalog.models import (
    Category,
    Favorite,
    Flag,
    Package,
    PackageExample,
    PackageSnapshot,
    ReleaseCycle,
    Usage,
    Version,
    Vulnerability,
)
from webapp.counters import SiteCounter
from webapp.fetch.models import FetchDay, FetchQuota, HttpCacheEntry
from webapp.grids.models import Element, Feature, Grid, GridOldSlug, GridPackage
from webapp.history.models import Change
from webapp.page_cache import CacheVersion
from webapp.staff.models import Banner, FeaturedGrid, FeaturedPackage

__all__ = [
    "Banner",
    "CacheVersion",
    "Category",
    "Change",
    "Element",
    "Favorite",
    "Feature",
    "FetchDay",
    "FetchQuota",
    "FeaturedGrid",
    "FeaturedPackage",
    "Flag",
    "Grid",
    "GridOldSlug",
    "GridPackage",
    "HttpCacheEntry",
    "Package",
    "PackageSnapshot",
    "ReleaseCycle",
    "PackageExample",
    "SiteCounter",
    "Usage",
    "User",
    "Version",
    "Vulnerability",
]
