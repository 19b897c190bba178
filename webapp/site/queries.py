"""Reads for the home page and the sitemap, which show packages, grids, categories and people together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp import counters
from webapp.catalog.models import Category, Package
from webapp.catalog.queries import categories_with_counts, visible_packages
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.staff.models import FeaturedGrid, FeaturedPackage


@dataclass(frozen=True)
class HomeData:
    package_count: int
    grid_count: int
    category_count: int
    user_count: int
    demo: bool
    latest: list[Package]
    popular_grids: list[Grid]
    categories: list[tuple[Category, int]]
    featured_grids: list[Grid] = ()  # chosen by staff (webapp/staff), in their order
    featured_package: object = None  # a FeaturedPackage: the package and staff's note


def home_data() -> HomeData:
    """Everything the home page shows, in four queries; the counts are stored (webapp/counters.py)."""
    counts = counters.read("packages", "grids", "categories", "users", "demo_packages")
    latest = list(db.session.scalars(
        visible_packages().options(joinedload(Package.category), joinedload(Package.current_release),
                                   joinedload(Package.deprecated_by))
        .order_by(Package.created.desc(), Package.id.desc()).limit(8)
    ))
    popular = list(db.session.scalars(select(Grid).order_by(Grid.package_count.desc(), Grid.title).limit(8)))
    return HomeData(
        package_count=counts["packages"], grid_count=counts["grids"], category_count=counts["categories"],
        user_count=counts["users"], demo=bool(counts["demo_packages"]), latest=latest, popular_grids=popular,
        categories=categories_with_counts(), **home_features(),
    )


def home_features() -> dict:
    """The featured grids and package staff chose (webapp/staff): two queries."""
    grids = [featured.grid for featured in db.session.scalars(
        select(FeaturedGrid).options(joinedload(FeaturedGrid.grid)).order_by(FeaturedGrid.position, FeaturedGrid.id))]
    package = db.session.scalar(select(FeaturedPackage).join(Package, Package.id == FeaturedPackage.package_id)
                                .where(Package.removed_at.is_(None))
                                .options(joinedload(FeaturedPackage.package).joinedload(Package.category)).limit(1))
    return {"featured_grids": grids, "featured_package": package}


def sitemap_entries() -> tuple[list[tuple[str, object]], list[tuple[str, object]], list[str]]:
    """Slugs and modification dates of packages, grids and categories: three queries."""
    packages = [tuple(r) for r in db.session.execute(
        select(Package.slug, Package.modified).where(Package.removed_at.is_(None)).order_by(Package.id))]
    grids = [tuple(r) for r in db.session.execute(select(Grid.slug, Grid.modified).order_by(Grid.id))]
    categories = list(db.session.scalars(select(Category.slug).order_by(Category.id)))
    return packages, grids, categories
