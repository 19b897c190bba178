"""Read models for the catalogue pages: each function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion
from packaging.version import Version as ParsedVersion
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql import operators

from webapp import counters
from webapp.accounts.models import User
from webapp.catalog.models import (
    PACKAGE_LIST_ORDERS,
    Category,
    Favorite,
    Package,
    PackageExample,
    ReleaseCycle,
    Usage,
    Version,
    Vulnerability,
)
from webapp.catalog.support import CycleTable
from webapp.db_types import utcnow
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
                       ("usage", "Users"), ("favorites", "Favorites"), ("newest", "Newest"), ("title", "Name"))
}
DEFAULT_PACKAGE_SORT = "score"
# Each order has a natural direction (most stars first, names A to Z); a list may be read the other way round.
ASCENDING_SORTS = frozenset({"title"})


def natural_direction(sort: str) -> str:
    """"asc" or "desc": the direction the order ``sort`` reads in unless asked otherwise."""
    return "asc" if sort in ASCENDING_SORTS else "desc"


def _reversed(clause):
    """An ORDER BY term the other way round: every term reversed, so the list's index is read backwards."""
    modifier = getattr(clause, "modifier", None)
    if modifier is operators.desc_op:
        return clause.element.asc()
    if modifier is operators.asc_op:
        return clause.element.desc()
    return clause.desc()


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


def package_list_statement(category: Category | None, sort: str, reverse: bool = False) -> Select:
    """The listed packages (of ``category``, if given) in the order ``sort`` (``reverse``: the other way round),
    as the lists read them."""
    order = PACKAGE_SORTS.get(sort, PACKAGE_SORTS[DEFAULT_PACKAGE_SORT])[1]()
    if reverse:
        order = [_reversed(clause) for clause in order]
    statement = visible_packages().options(joinedload(Package.category), joinedload(Package.current_release),
                                           joinedload(Package.deprecated_by)).order_by(*order)
    if category is not None:
        statement = statement.where(Package.category_id == category.id)
    return statement


def package_page(*, category: Category | None = None, query: str = "", sort: str = DEFAULT_PACKAGE_SORT,
                 reverse: bool = False, page: int = 1, per_page: int = 30) -> Page:
    """One page of packages, filtered and sorted: two queries, one without a search ``query``."""
    statement = package_list_statement(category, sort, reverse)
    if query.strip():
        return paginate(statement.where(text_filter(query)), page, per_page)
    # Unfiltered: the total is stored (webapp/counters.py) rather than counted.
    total = category.package_count if category is not None else counters.read("packages")["packages"]
    return paginate(statement, page, per_page, total=total)


def categories_with_counts() -> list[tuple[Category, int]]:
    """Every category with how many listed packages it has (stored, webapp/counters.py): one query."""
    return [(category, category.package_count)
            for category in db.session.scalars(select(Category).order_by(Category.position, Category.title))]


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
    favorited_by_me: bool = False
    examples: list[PackageExample] = field(default_factory=list)


def package_detail(slug: str, viewer_id: int | None = None, user_limit: int = 60,
                   show_hidden_examples: bool = False) -> PackageDetail | None:
    """A package with everything its page shows, in six queries (five without a signed-in viewer)."""
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
    examples = package_examples(package.id, include_hidden=show_hidden_examples)
    used_by_me = favorited_by_me = False
    if viewer_id is not None:
        used_by_me, favorited_by_me = db.session.execute(select(
            exists().where(Usage.package_id == package.id, Usage.user_id == viewer_id),
            exists().where(Favorite.package_id == package.id, Favorite.user_id == viewer_id))).one()
    return PackageDetail(package=package, releases=releases, grids=grids, users=users, used_by_me=bool(used_by_me),
                         favorited_by_me=bool(favorited_by_me), examples=examples)


EXAMPLES_LIMIT = 50


def package_examples(package_id: int, *, include_hidden: bool = False) -> list[PackageExample]:
    """The sites using a package, oldest first (the first to say so stay on top), hidden ones for staff: one
    query, at most :data:`EXAMPLES_LIMIT`."""
    statement = select(PackageExample).where(PackageExample.package_id == package_id)
    if not include_hidden:
        statement = statement.where(PackageExample.hidden.is_(False))
    return list(db.session.scalars(statement.order_by(PackageExample.created, PackageExample.id)
                                   .limit(EXAMPLES_LIMIT)))


def example_by_id(example_id: int | None) -> PackageExample | None:
    return db.session.get(PackageExample, example_id) if example_id is not None else None


def favorited_among(viewer_id: int | None, package_ids: list[int]) -> set[int]:
    """Which of ``package_ids`` the viewer starred: one query (none for an anonymous viewer or no packages)."""
    if viewer_id is None or not package_ids:
        return set()
    return set(db.session.scalars(select(Favorite.package_id).where(
        Favorite.user_id == viewer_id, Favorite.package_id.in_(package_ids))))


def liked_page(*, page: int = 1, per_page: int = 30) -> Page:
    """The most starred listed packages, one page: two queries (the page and its count)."""
    statement = package_list_statement(None, "favorites").where(Package.favorite_count > 0)
    return paginate(statement, page, per_page)


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


def replacement_candidates(query: str, exclude_id: int, limit: int = 10) -> list[Package]:
    """Listed packages matching ``query`` (best score first), other than ``exclude_id``: the choices the
    "replaced by" picker offers. One query; none for a blank ``query``."""
    if not query.strip():
        return []
    return list(db.session.scalars(
        visible_packages().where(Package.id != exclude_id, text_filter(query))
        .order_by(Package.score.desc(), Package.title).limit(limit)))


def _parsed(number: str) -> ParsedVersion | None:
    try:
        return ParsedVersion(number)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Advisory:
    """One known vulnerability as a page shows it; ``fix`` is the first listed release that fixes it, if any."""

    vulnerability: Vulnerability
    fix: str | None


@dataclass(frozen=True)
class VulnerabilityReport:
    """The known vulnerabilities of the release PyPI described (``version``), and the release fixing them all."""

    version: str
    advisories: list[Advisory]

    @property
    def fixed_in(self) -> str | None:
        """The lowest release newer than ``version`` that fixes every advisory; ``None`` when one has no fix."""
        fixes = [_parsed(advisory.fix) if advisory.fix else None for advisory in self.advisories]
        if not fixes or any(fix is None for fix in fixes):
            return None
        return str(max(fixes))


def vulnerability_report(vulnerabilities: list[Vulnerability]) -> VulnerabilityReport | None:
    """What a package page or grid row says about a package's stored vulnerabilities (``None``: none known)."""
    if not vulnerabilities:
        return None
    version = vulnerabilities[0].version
    current = _parsed(version)
    advisories = []
    for vulnerability in vulnerabilities:
        newer = [parsed for parsed in (_parsed(str(number)) for number in vulnerability.fixed_in or [])
                 if parsed is not None and (current is None or parsed > current)]
        advisories.append(Advisory(vulnerability, str(min(newer)) if newer else None))
    return VulnerabilityReport(version, advisories)


def vulnerabilities_of(package_ids: list[int]) -> dict[int, VulnerabilityReport]:
    """The stored known vulnerabilities of each package in ``package_ids`` that has some: one query (none for
    no ids)."""
    found: dict[int, list[Vulnerability]] = {}
    if package_ids:
        for vulnerability in db.session.scalars(
                select(Vulnerability).where(Vulnerability.package_id.in_(package_ids))
                .order_by(Vulnerability.package_id, Vulnerability.advisory_id)):
            found.setdefault(vulnerability.package_id, []).append(vulnerability)
    return {package_id: vulnerability_report(rows) for package_id, rows in found.items()}


__all__ = [
    "PACKAGE_SORTS", "replacement_candidates", "vulnerabilities_of",
    "DEFAULT_PACKAGE_SORT", "package_page", "categories_with_counts",
    "category_by_slug", "package_detail", "latest_packages", "package_claimed_by_others",
]


def release_cycle_table(today: date | None = None) -> CycleTable:
    """Every known Django, Python and Wagtail release cycle, to grey declared versions past their end of life
    and link a grid to its readiness pages: one query (the table holds a few dozen rows a product)."""
    return CycleTable(db.session.scalars(select(ReleaseCycle)), today or utcnow().date())


def package_users(package_id: int, limit: int = 60) -> list[User]:
    """The people who said they use a package, newest first (the "Who uses it" card): one query."""
    return list(db.session.scalars(
        select(User).join(Usage, Usage.user_id == User.id).where(Usage.package_id == package_id)
        .order_by(Usage.created.desc()).limit(limit)))
