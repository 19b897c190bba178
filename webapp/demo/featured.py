"""What the demo's staff chose for the home page: three grids and a package, and the categories' order."""

from __future__ import annotations

from sqlalchemy import select

from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.staff.models import FeaturedGrid, FeaturedPackage

FEATURED_PACKAGE = "django-allauth"
FEATURED_NOTE = "Sign-in, sign-up and social accounts: the package most Django sites start with."


def add_featured(packages: dict[str, Package]) -> None:
    """Feature the three biggest grids and one well-known package; number the categories in their demo order."""
    for position, category in enumerate(db.session.scalars(select(Category).order_by(Category.id)), start=1):
        category.position = position
    grids = db.session.scalars(select(Grid).order_by(Grid.package_count.desc(), Grid.title).limit(3))
    db.session.add_all(FeaturedGrid(grid_id=grid.id, position=position) for position, grid in enumerate(grids, 1))
    package = packages.get(FEATURED_PACKAGE) or max(packages.values(), key=lambda item: item.repo_watchers)
    db.session.add(FeaturedPackage(package_id=package.id, note=FEATURED_NOTE))
