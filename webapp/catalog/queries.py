"""Read models for the catalogue pages: each function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from webapp import counters
from webapp.accounts.models import User
from webapp.catalog.models import PACKAGE_LIST_ORDERS, Category, Package, Usage, Version
from webapp.extensions import db
from webapp.pagination import Page, paginate
from webapp.signals import answers, package_claim_asked, package_text_filter_asked

if TYPE_CHECKING:  # for annotations only: the grids domain builds on the catalogue
    from webapp.grids.models import Grid
from webapp.sql_like import contains

# The sort keys the package lists accept: label and ORDER BY (each served by an index, see the models).
PACKAGE_SORTS = {
    key: (label, PACKAGE_LIST_ORDERS[key])
    for key, label in (("stars", "Stars"), ("score", "Score"), ("forks", "Forks"), ("last-commit", "Last commit"),
                       ("usage", "Users"), ("newest", "Newest"), ("title", "Name"))
}
DEFAULT_PACKAGE_SORT = "score"


def visible_packages():
    """Packages that are listed: not removed by moderation."""
    return select(Package).where(Package.removed_at.is_(None))


def text_filter(query: str):
    """The packages matching ``query``: as the search domain reads it (every word, through the search index;
    :data:`~webapp.signals.package_text_filter_asked`), else a case-insensitive match on title, slug or
    description."""
    for condition in answers(package_text_filter_asked, query=query):
        return condition
    text = query.strip().lower()
    return or_(
        contains(func.lower(Package.title), text),
        contains(func.lower(Package.slug), text),
        contains(func.lower(Package.repo_description), text),
    )


def package_list_statement(category: Category | None, sort: str) -> Select:
    """The listed packages (of ``category``, if given) in the order ``sort``, as the lists read them."""
    order = PACKAGE_SORTS.get(sort, PACKAGE_SORTS[DEFAULT_PACKAGE_SORT])[1]()
    statement = visible_packages().options(joinedload(Package.category), joinedload(Package.current_release)
                                           ).order_by(*order)
    if category is not None:
        statement = statement.where(Package.category_id == category.id)
    return statement


def package_page(*, category: Category | None = None, query: str = "", sort: str = DEFAULT_PACKAGE_SORT,
                 page: int = 1, per_page: int = 30) -> Page:
    """One page of packages, filtered and sorted: two queries, one without a search ``query``."""
    statement = package_list_statement(category, sort)
    if query.strip():
        return paginate(statement.where(text_filter(query)), page, per_page)
    # Unfiltered: the total is stored (webapp/counters.py) rather than counted.
    total = category.package_count if category is not None else counters.read("packages")["packages"]
    return paginate(statement, page, per_page, total=total)


def categories_with_counts() -> list[tuple[Category, int]]:
    """Every category with how many listed packages it has (stored, webapp/counters.py): one query."""
    return [(category, category.package_count)
            for category in db.session.scalars(select(Category).order_by(Category.title))]


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
                 joinedload(Package.current_release), selectinload(Package.grids))
    )
    if package is None:
        return None
    releases = list(db.session.scalars(
        select(Version).where(Version.package_id == package.id, Version.hidden.is_(False))
        .order_by(Version.upload_time.desc().nulls_last(), Version.id.desc())
    ))
    grids = list(package.grids)
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


def package_claimed_by_others(package_id: int, creator_id: int | None) -> bool:
    """True when someone other than ``creator_id`` uses the package, or relies on it in a domain building on the
    catalogue (they answer :data:`~webapp.signals.package_claim_asked`: a grid someone else put it in). The rule
    for a creator deleting their own package; one query."""
    used_where = [Usage.package_id == package_id]
    if creator_id is not None:
        used_where.append(Usage.user_id != creator_id)
    claims = answers(package_claim_asked, package_id=package_id, creator_id=creator_id)
    return bool(db.session.scalar(select(or_(exists().where(*used_where), *claims))))


__all__ = [
    "PACKAGE_SORTS", "DEFAULT_PACKAGE_SORT", "package_page", "categories_with_counts",
    "category_by_slug", "package_detail", "latest_packages", "package_claimed_by_others",
]
