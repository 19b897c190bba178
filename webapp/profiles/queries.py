"""Reads for a profile page: a person's packages, the packages they use and their recent changes."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from webapp.accounts.models import User
from webapp.accounts.queries import user_by_username
from webapp.catalog.models import Favorite, Package, Usage
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.history.models import Change, ChangeAction

PROFILE_PACKAGES_LIMIT = 60
PROFILE_CHANGES_LIMIT = 30


@dataclass
class ProfileEntry:
    """A package on a profile page."""

    title: str
    slug: str
    description: str
    when: object


@dataclass
class ProfileChange:
    """A recent edit on a profile page, with where it happened."""

    summary: str
    action: ChangeAction
    object_type: str
    field: str
    created: object
    package_slug: str | None
    package_title: str | None
    grid_slug: str | None
    grid_title: str | None


@dataclass
class Profile:
    user: User
    added: list[ProfileEntry] = field(default_factory=list)
    added_total: int = 0
    used: list[ProfileEntry] = field(default_factory=list)
    used_total: int = 0
    changes: list[ProfileChange] = field(default_factory=list)


def profile(username: str) -> Profile | None:
    """Everything a profile page shows, in four queries whatever the amount of data."""
    user = user_by_username(username)
    if user is None:
        return None
    result = Profile(user=user)

    added_total = func.count().over().label("total")
    rows = db.session.execute(
        select(Package.title, Package.slug, Package.repo_description, Package.created, added_total)
        .where(Package.created_by_id == user.id, Package.removed_at.is_(None))
        .order_by(Package.created.desc(), Package.id.desc())
        .limit(PROFILE_PACKAGES_LIMIT)
    ).all()
    result.added = [ProfileEntry(r.title, r.slug, r.repo_description, r.created) for r in rows]
    result.added_total = rows[0].total if rows else 0

    used_total = func.count().over().label("total")
    rows = db.session.execute(
        select(Package.title, Package.slug, Package.repo_description, Usage.created, used_total)
        .join(Usage, and_(Usage.package_id == Package.id, Usage.user_id == user.id))
        .where(Package.removed_at.is_(None))
        .order_by(Usage.created.desc(), Package.id.desc())
        .limit(PROFILE_PACKAGES_LIMIT)
    ).all()
    result.used = [ProfileEntry(r.title, r.slug, r.repo_description, r.created) for r in rows]
    result.used_total = rows[0].total if rows else 0

    rows = db.session.execute(
        select(Change.summary, Change.action, Change.object_type, Change.field, Change.created,
               Package.slug.label("package_slug"), Package.title.label("package_title"),
               Grid.slug.label("grid_slug"), Grid.title.label("grid_title"))
        .outerjoin(Package, Package.id == Change.package_id)
        .outerjoin(Grid, Grid.id == Change.grid_id)
        .where(Change.user_id == user.id)
        .order_by(Change.created.desc(), Change.id.desc())
        .limit(PROFILE_CHANGES_LIMIT)
    ).all()
    result.changes = [ProfileChange(**row._asdict()) for row in rows]
    return result


@dataclass
class Favorites:
    """The packages a person starred, newest first, and how many there are."""

    entries: list[ProfileEntry]
    total: int


def favorites_of(user: User, limit: int = PROFILE_PACKAGES_LIMIT) -> Favorites:
    """A person's favorite (starred) listed packages, newest first: one query."""
    total = func.count().over().label("total")
    rows = db.session.execute(
        select(Package.title, Package.slug, Package.repo_description, Favorite.created, total)
        .join(Favorite, and_(Favorite.package_id == Package.id, Favorite.user_id == user.id))
        .where(Package.removed_at.is_(None))
        .order_by(Favorite.created.desc(), Package.id.desc())
        .limit(limit)
    ).all()
    return Favorites([ProfileEntry(r.title, r.slug, r.repo_description, r.created) for r in rows],
                     rows[0].total if rows else 0)
