"""Writes to the catalogue: adding, editing and deleting packages, "I use this", and flags.

Every write records history (:mod:`webapp.history.services`). Functions add to the session and flush; the
unit of work (the request, see :mod:`webapp.transaction`) commits, so several of them make one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from webapp.accounts.permissions import can_delete_package, is_staff
from webapp.catalog.models import Category, Flag, FlagStatus, Package, Usage
from webapp.catalog.queries import package_claimed_by_others
from webapp.catalog.releases import rescore
from webapp.db_types import utcnow
from webapp.domain_errors import FieldError
from webapp.extensions import db
from webapp.fetch_status import FetchStatus
from webapp.forms import slugify
from webapp.history import services as history
from webapp.history.models import ChangeAction
from webapp.repos import parse_repo_url, pypi_name
from webapp.signals import announce, fetch_requested, package_deleting, package_saved

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("title", "slug", "category_id", "repo_url", "pypi_url", "documentation_url")


class CatalogError(FieldError):
    """A catalogue write that cannot be done; ``existing`` is the package it collides with, if any."""

    def __init__(self, field: str, message: str, existing: Package | None = None) -> None:
        super().__init__(field, message)
        self.existing = existing


# -- adding ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceGuess:
    """What a pasted repository URL or PyPI name tells us about a new package."""

    title: str
    slug: str
    repo_url: str
    pypi_url: str


def pypi_project_url(name: str) -> str:
    """The public PyPI page of project ``name``."""
    return f"https://pypi.org/project/{name}"


def interpret_source(source: str) -> SourceGuess | None:
    """Read a repository URL, a PyPI URL or a PyPI project name; ``None`` when it is none of them."""
    name = pypi_name(source)
    if name:
        return SourceGuess(title=name, slug=slugify(name), repo_url="", pypi_url=pypi_project_url(name))
    ref = parse_repo_url(source)
    if ref:
        return SourceGuess(title=ref.name, slug=slugify(ref.name), repo_url=ref.url, pypi_url="")
    return None


def _pypi_url_variants(pypi_url: str) -> list[str]:
    name = pypi_name(pypi_url)
    if not name:
        return []
    names = {name.lower(), name.lower().replace("_", "-").replace(".", "-")}
    urls = []
    for candidate in names:
        for base in ("https://pypi.org/project/", "http://pypi.org/project/", "https://pypi.python.org/pypi/"):
            urls += [base + candidate, base + candidate + "/"]
    return urls


def find_duplicate(*, repo_url: str = "", slug: str = "", pypi_url: str = "",
                   exclude_id: int | None = None) -> Package | None:
    """A package already listed with this repository (any case), slug or PyPI project: one query."""
    conditions = []
    if repo_url:
        conditions.append(func.lower(Package.repo_url) == repo_url.lower())
    if slug:
        conditions.append(Package.slug == slug)
    variants = _pypi_url_variants(pypi_url) if pypi_url else []
    if variants:
        conditions.append(func.lower(Package.pypi_url).in_(variants))
    if not conditions:
        return None
    statement = select(Package).where(or_(*conditions)).order_by(Package.id).limit(1)
    if exclude_id is not None:
        statement = statement.where(Package.id != exclude_id)
    return db.session.scalar(statement)


def category_choices() -> list[tuple[int, str]]:
    """(id, title) of every category, for the package form: one query."""
    return [(row.id, row.title) for row in db.session.execute(select(Category.id, Category.title)
                                                              .order_by(Category.title))]


def _check_unique(values: dict, exclude_id: int | None = None) -> None:
    """Refuse a slug or repository that another package already has."""
    existing = db.session.scalar(select(Package).where(Package.slug == values["slug"],
                                                       Package.id != (exclude_id or 0)))
    if existing is not None:
        raise CatalogError("slug", "Another package already uses this slug.", existing=existing)
    if values.get("repo_url"):
        existing = find_duplicate(repo_url=values["repo_url"], exclude_id=exclude_id)
        if existing is not None:
            raise CatalogError("repo_url", "This repository is already listed.", existing=existing)


def create_package(user, values: dict) -> Package:
    """Add a package from the form's ``values``, with a "create" history entry.

    Raises :class:`CatalogError` for a slug or repository that is already listed.
    """
    _check_unique(values)
    package = Package(**{key: values[key] for key in EDITABLE_FIELDS}, created_by_id=user.id,
                      last_modified_by_id=user.id, revision=1)
    db.session.add(package)
    try:
        history.record(package, user, action=ChangeAction.CREATE, summary=f"Added {package.title}")
        db.session.flush()
    except IntegrityError:
        # Two people adding the same package at the same moment: the unique slug decides.
        db.session.rollback()
        raise CatalogError("slug", "Another package already uses this slug.",
                           existing=find_duplicate(slug=values["slug"])) from None
    return package


# -- fetching --------------------------------------------------------------------------------------------------


def fetch_now(package: Package) -> FetchStatus:
    """Refresh ``package`` now (or queue it when a worker runs): the fetch service's status.

    The fetch reads and writes the package in its own transactions; nothing of this unit of work is committed
    for it (the package is already stored). Afterwards ``package`` is reloaded when next read.
    """
    package_id = package.id
    status = announce(fetch_requested, package_id=package_id) or FetchStatus.OFF
    db.session.expire(package)
    return status


def announce_new_package(package_id: int) -> FetchStatus:
    """Say a package was just added (the fetch service fetches it, as ``FETCH_NEW_PACKAGES`` says).

    Returns what the listener started (``"queued"``, ``"started"``, the in-process fetch's status), or
    ``"off"`` when nothing fetches it.
    """
    return announce(package_saved, package_id=package_id, created=True) or FetchStatus.OFF


# -- editing ---------------------------------------------------------------------------------------------------


def update_package(package: Package, user, values: dict, submitted_revision) -> list:
    """Save an edit made from the form loaded at ``submitted_revision``.

    Raises :class:`webapp.history.services.StaleEdit` when someone saved in between, including at the same
    moment (nothing is written), :class:`CatalogError` for a slug or repository another package has.
    """
    history.check_revision(package, submitted_revision)
    _check_unique(values, exclude_id=package.id)
    package_id = package.id
    try:
        changes = history.apply_changes(package, user, {key: values[key] for key in EDITABLE_FIELDS},
                                        revision=submitted_revision)
        if "documentation_url" in {change.field for change in changes}:
            package.documentation_url_from_pypi = False  # a person's entry is never replaced by the fetch
        db.session.flush()
    except IntegrityError:
        # The slug was free when checked and taken before the save (history flushes, so this may come early).
        db.session.rollback()
        raise CatalogError("slug", "Another package already uses this slug.",
                           existing=find_duplicate(slug=values["slug"], exclude_id=package_id)) from None
    return changes


# -- deleting --------------------------------------------------------------------------------------------------


def may_delete(user, package: Package) -> bool:
    """Whether ``user`` may delete ``package``; asks the database only when the answer depends on it."""
    if is_staff(user):
        return True
    if not can_delete_package(user, package, used_or_gridded=False):
        return False
    return can_delete_package(user, package, package_claimed_by_others(package.id, package.created_by_id))


def delete_package(package: Package, user) -> None:
    """Delete ``package`` with its releases, uses and flags; its grids lose the column.

    The history keeps a "delete" entry (on the person's profile; grids list their lost column). Raises
    :class:`CatalogError` when someone deleted it a moment ago (their deletion is the one recorded).
    """
    if not history.lock_row(Package, package.id):
        db.session.rollback()
        raise CatalogError("", "This package was deleted a moment ago.")
    # The domains building on the catalogue let go of it first (the grids: their column, counts and history).
    announce(package_deleting, package=package, user=user)
    history.record(package, user, action=ChangeAction.DELETE, summary=f"Deleted {package.title} ({package.slug})")
    db.session.flush()
    db.session.delete(package)
    db.session.flush()


# -- "I use this" ----------------------------------------------------------------------------------------------


def uses(user_id: int, package_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(Usage).where(
        Usage.user_id == user_id, Usage.package_id == package_id)) > 0


def set_usage(user, package: Package, use: bool | None = None) -> bool:
    """Say ``user`` uses ``package`` (``use=True``), does not (``False``) or flip it (``None``).

    Returns whether the user uses it now. The (user, package) primary key makes a repeated "use"
    harmless, and the count is recounted from the rows (the score with it), so it stays right whatever
    clicks race.
    """
    for attempt in (1, 2):
        try:
            return _set_usage(user, package, use)
        except IntegrityError:
            # SQLite does not lock rows: a simultaneous click inserted the row first. Look again.
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _set_usage(user, package: Package, use: bool | None) -> bool:
    # Lock (and re-read) the package row first: concurrent clicks on one package then recount one after the other.
    db.session.execute(select(Package).where(Package.id == package.id).with_for_update()
                       .execution_options(populate_existing=True))
    currently = uses(user.id, package.id)
    wanted = (not currently) if use is None else use
    if wanted and not currently:
        db.session.execute(insert(Usage).values(user_id=user.id, package_id=package.id, created=utcnow()))
    elif not wanted and currently:
        db.session.execute(delete(Usage).where(Usage.user_id == user.id, Usage.package_id == package.id))
    count = db.session.scalar(select(func.count()).select_from(Usage).where(Usage.package_id == package.id))
    package.usage_count = count
    rescore(package)
    db.session.flush()
    return wanted


# -- flags -----------------------------------------------------------------------------------------------------


def open_flag(user_id: int, package_id: int) -> Flag | None:
    return db.session.scalar(select(Flag).where(Flag.user_id == user_id, Flag.package_id == package_id,
                                                Flag.status == FlagStatus.OPEN))


def flag_package(user, package: Package, reason: str) -> Flag:
    """Report ``package`` for staff to review.

    Raises :class:`CatalogError` when the package is already removed or ``user`` has an open flag on it
    (the partial unique index settles a race between two submissions).
    """
    if package.removed_at is not None:
        raise CatalogError("", "This package has already been removed by the moderators.")
    duplicate = CatalogError("", "You have already flagged this package; staff will review your report.")
    if open_flag(user.id, package.id) is not None:
        raise duplicate
    flag = Flag(user_id=user.id, package_id=package.id, reason=reason, status=FlagStatus.OPEN)
    db.session.add(flag)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise duplicate from None
    return flag
