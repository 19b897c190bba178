"""Read models for the catalogue pages: each function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from webapp.accounts.models import User
from webapp.catalog.models import Category, Package, Usage, Version
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage
from webapp.pagination import Page, paginate
from webapp.sql_like import contains

# The sort keys the package lists accept: label and ORDER BY.
PACKAGE_SORTS = {
    "stars": ("Stars", lambda: [Package.repo_watchers.desc(), Package.title]),
    "score": ("Score", lambda: [Package.score.desc(), Package.title]),
    "forks": ("Forks", lambda: [Package.repo_forks.desc(), Package.title]),
    "last-commit": ("Last commit", lambda: [Package.last_commit_date.desc().nulls_last(), Package.title]),
    "usage": ("Users", lambda: [Package.usage_count.desc(), Package.title]),
    "newest": ("Newest", lambda: [Package.created.desc(), Package.id.desc()]),
    "title": ("Name", lambda: [func.lower(Package.title), Package.id]),
}
DEFAULT_PACKAGE_SORT = "score"


def visible_packages():
    """Packages that are listed: not removed by moderation."""
    return select(Package).where(Package.removed_at.is_(None))


def text_filter(query: str):
    """A case-insensitive match on title, slug or description."""
    text = query.strip().lower()
    return or_(
        contains(func.lower(Package.title), text),
        contains(func.lower(Package.slug), text),
        contains(func.lower(Package.repo_description), text),
    )


def package_page(*, category: Category | None = None, query: str = "", sort: str = DEFAULT_PACKAGE_SORT,
                 page: int = 1, per_page: int = 30) -> Page:
    """One page of packages, filtered and sorted: two queries."""
    order = PACKAGE_SORTS.get(sort, PACKAGE_SORTS[DEFAULT_PACKAGE_SORT])[1]()
    statement = visible_packages().options(joinedload(Package.category), joinedload(Package.current_release)
                                           ).order_by(*order)
    if category is not None:
        statement = statement.where(Package.category_id == category.id)
    if query.strip():
        statement = statement.where(text_filter(query))
    return paginate(statement, page, per_page)


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


def home_data() -> HomeData:
    """Everything the home page shows, in four queries."""
    counts = db.session.execute(
        select(
            select(func.count()).select_from(Package).where(Package.removed_at.is_(None)).scalar_subquery(),
            select(func.count()).select_from(Grid).scalar_subquery(),
            select(func.count()).select_from(Category).scalar_subquery(),
            select(func.count()).select_from(User).scalar_subquery(),
            select(func.count()).select_from(Package).where(Package.stats_are_demo.is_(True)).scalar_subquery(),
        )
    ).one()
    latest = list(db.session.scalars(
        visible_packages().options(joinedload(Package.category), joinedload(Package.current_release))
        .order_by(Package.created.desc(), Package.id.desc()).limit(8)
    ))
    popular = list(db.session.scalars(select(Grid).order_by(Grid.package_count.desc(), Grid.title).limit(8)))
    return HomeData(
        package_count=counts[0], grid_count=counts[1], category_count=counts[2], user_count=counts[3],
        demo=bool(counts[4]), latest=latest, popular_grids=popular, categories=categories_with_counts(),
    )


def categories_with_counts() -> list[tuple[Category, int]]:
    """Every category with how many listed packages it has: one query."""
    count = (
        select(func.count()).select_from(Package)
        .where(Package.category_id == Category.id, Package.removed_at.is_(None))
        .correlate(Category).scalar_subquery()
    )
    return [(row[0], row[1]) for row in db.session.execute(select(Category, count).order_by(Category.title))]


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def category_or_404(slug: str) -> Category:
    """The category with this slug; a 404 page saying so when there is none."""
    return db.first_or_404(select(Category).where(Category.slug == slug),
                           description=f"There is no category “{slug}”.")


def package_by_slug(slug: str) -> Package | None:
    """The package with this slug (removed ones too), or ``None``."""
    return db.session.scalar(select(Package).where(Package.slug == slug))


def package_or_404(slug: str) -> Package:
    """The package with this slug (removed ones too); a 404 page saying so when there is none."""
    return db.first_or_404(select(Package).where(Package.slug == slug),
                           description=f"There is no package “{slug}”.")


def package_by_id(package_id: int | None, *, fresh: bool = False) -> Package | None:
    """The package with this id, or ``None``; ``fresh`` reads the row again rather than what the session holds
    (after a refused save: the conflict page shows what the other person stored)."""
    if package_id is None:
        return None
    return db.session.get(Package, package_id, populate_existing=fresh)


@dataclass(frozen=True)
class PackageDetail:
    package: Package
    releases: list[Version]
    grids: list[Grid]
    users: list[User]
    used_by_me: bool


def package_detail(slug: str, viewer_id: int | None = None, user_limit: int = 60) -> PackageDetail | None:
    """A package with everything its page shows, in five queries (four without a signed-in viewer)."""
    package = db.session.scalar(
        select(Package).where(Package.slug == slug)
        .options(joinedload(Package.category), joinedload(Package.deprecated_by),
                 joinedload(Package.created_by), joinedload(Package.deprecated_by_user),
                 joinedload(Package.current_release))
    )
    if package is None:
        return None
    releases = list(db.session.scalars(
        select(Version).where(Version.package_id == package.id, Version.hidden.is_(False))
        .order_by(Version.upload_time.desc().nulls_last(), Version.id.desc())
    ))
    grids = list(db.session.scalars(
        select(Grid).join(GridPackage, GridPackage.grid_id == Grid.id)
        .where(GridPackage.package_id == package.id).order_by(Grid.title)
    ))
    users = list(db.session.scalars(
        select(User).join(Usage, Usage.user_id == User.id).where(Usage.package_id == package.id)
        .order_by(Usage.created.desc()).limit(user_limit)
    ))
    used_by_me = False
    if viewer_id is not None:
        used_by_me = db.session.scalar(
            select(func.count()).select_from(Usage).where(Usage.package_id == package.id, Usage.user_id == viewer_id)
        ) > 0
    return PackageDetail(package=package, releases=releases, grids=grids, users=users, used_by_me=used_by_me)


def latest_packages(limit: int = 30) -> list[Package]:
    """The newest listed packages, for feeds: one query."""
    return list(db.session.scalars(
        visible_packages().options(joinedload(Package.category)).order_by(Package.created.desc(), Package.id.desc())
        .limit(limit)
    ))


def sitemap_entries() -> tuple[list[tuple[str, object]], list[tuple[str, object]], list[str]]:
    """Slugs and modification dates of packages, grids and categories: three queries."""
    packages = [tuple(r) for r in db.session.execute(
        select(Package.slug, Package.modified).where(Package.removed_at.is_(None)).order_by(Package.id))]
    grids = [tuple(r) for r in db.session.execute(select(Grid.slug, Grid.modified).order_by(Grid.id))]
    categories = list(db.session.scalars(select(Category.slug).order_by(Category.id)))
    return packages, grids, categories


__all__ = [
    "PACKAGE_SORTS", "DEFAULT_PACKAGE_SORT", "package_page", "home_data", "categories_with_counts",
    "category_by_slug", "package_detail", "latest_packages", "sitemap_entries",
]
