"""Reads for the cards and badges: one query each."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from webapp import counters
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Feature, Grid


def package_by_slug(slug: str) -> Package | None:
    """The package with this slug and its category: one query."""
    return db.session.scalar(select(Package).where(Package.slug == slug).options(joinedload(Package.category)))


def grid_with_feature_count(slug: str) -> tuple[Grid, int] | None:
    """The grid with this slug and how many features (rows) it has: one query."""
    features = select(func.count(Feature.id)).where(Feature.grid_id == Grid.id).scalar_subquery()
    row = db.session.execute(select(Grid, features).where(Grid.slug == slug)).first()
    return (row[0], row[1]) if row else None


def site_figures() -> dict[str, int]:
    """How many packages and grids the site lists (stored counters): one query."""
    return counters.read("packages", "grids")
