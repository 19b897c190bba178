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
from webapp.catalog.models import Category, Favorite, Flag, FlagStatus, Package, PackageExample, Usage
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
from webapp.signals import announce, change_reverted, fetch_requested, package_deleting, package_saved

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
                                                              .order_by(Category.position, Category.title))]


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
    # The count and the score it changes are written by one UPDATE (the score's reads need no flush before them).
    with db.session.no_autoflush:
        package.usage_count = count
        rescore(package)
    db.session.flush()
    return wanted


# -- favorites -------------------------------------------------------------------------------------------------


def favorited(user_id: int, package_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(Favorite).where(
        Favorite.user_id == user_id, Favorite.package_id == package_id)) > 0


def set_favorite(user, package: Package, favorite: bool | None = None) -> bool:
    """Star ``package`` for ``user`` (``favorite=True``), unstar it (``False``) or flip it (``None``).

    Returns whether the user has it as a favorite now. The (user, package) primary key makes a repeated star
    harmless; ``packages.favorite_count`` is kept by database triggers (webapp/counters.py) whatever clicks
    race, and is read back into ``package``.
    """
    for attempt in (1, 2):
        try:
            return _set_favorite(user, package, favorite)
        except IntegrityError:
            # A simultaneous click inserted the row first (or the package went): look again.
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _set_favorite(user, package: Package, favorite: bool | None) -> bool:
    currently = favorited(user.id, package.id)
    wanted = (not currently) if favorite is None else favorite
    if wanted and not currently:
        db.session.execute(insert(Favorite).values(user_id=user.id, package_id=package.id, created=utcnow()))
    elif not wanted and currently:
        db.session.execute(delete(Favorite).where(Favorite.user_id == user.id, Favorite.package_id == package.id))
    if wanted != currently:
        db.session.refresh(package, ["favorite_count"])  # as the trigger left it
    return wanted


def set_favorites_public(user, public: bool) -> None:
    """Show ``user``'s favorites on their profile page to everyone (``True``) or to them only."""
    user.favorites_public = bool(public)
    db.session.flush()


# -- sites using a package -------------------------------------------------------------------------------------


def add_example(user, package: Package, title: str, url: str) -> PackageExample:
    """Add a site that uses ``package`` (the form checked ``url`` with webapp/links.py), with a history entry."""
    if package.removed_at is not None:
        raise CatalogError("", "This package has been removed by the moderators.")
    example = PackageExample(package_id=package.id, title=title, url=url, created_by_id=user.id)
    db.session.add(example)
    history.record(example, user, action=ChangeAction.CREATE, new=url, summary=f"Added site using it: {title}")
    db.session.flush()
    return example


def set_example_hidden(user, example: PackageExample, hidden: bool) -> bool:
    """Hide a site from the package page (staff), or show it again; recorded in the history, so a hide can also
    be reverted there. Returns whether anything changed."""
    verb = "Hid" if hidden else "Showed again"
    changes = history.apply_changes(example, user, {"hidden": bool(hidden)},
                                    summary=f"{verb} site using it: {example.title}")
    db.session.flush()
    return bool(changes)


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


# -- deprecation -----------------------------------------------------------------------------------------------

DEPRECATION_FIELDS = ("deprecation_status", "deprecation_note", "deprecated_by_id")


def may_mark_deprecated(user, package: Package) -> bool:
    """Staff, or the person who added the package, may mark it deprecated or unmaintained (staff only once the
    moderators removed it)."""
    if is_staff(user):
        return True
    return (getattr(user, "is_authenticated", False) and package.removed_at is None
            and package.created_by_id is not None and package.created_by_id == user.id)


def find_replacement(package: Package, text: str) -> Package | None:
    """The package named by ``text`` (a slug, else an exact title) to replace ``package``; ``None`` for blank.

    Raises :class:`CatalogError` on ``replaced_by`` when no listed package has that name, or it is ``package``.
    """
    text = (text or "").strip()
    if not text:
        return None
    replacement = db.session.scalar(
        select(Package).where(Package.removed_at.is_(None),
                              or_(Package.slug == text.lower(), func.lower(Package.title) == text.lower()))
        .order_by((Package.slug == text.lower()).desc(), Package.id).limit(1))
    if replacement is None:
        raise CatalogError("replaced_by", f"No package named “{text[:100]}” is listed: pick one from the list.")
    if replacement.id == package.id:
        raise CatalogError("replaced_by", "A package cannot replace itself.")
    return replacement


def mark_deprecated(package: Package, user, *, status, reason: str, replacement: Package | None,
                    submitted_revision) -> list:
    """Mark ``package`` deprecated or unmaintained, with a reason and an optional replacement, from a form
    loaded at ``submitted_revision``.

    Each field that changes is recorded in the history, so staff can revert it there (reverting the status
    change removes the mark). Raises :class:`~webapp.history.services.StaleEdit` when someone saved the package
    in between (nothing is written).
    """
    newly_marked = package.deprecation_status is None
    title = replacement.title if replacement is not None else None
    summary = f"Marked {status}" + (f"; replaced by {title}" if title else "")
    changes = history.apply_changes(
        package, user, {"deprecation_status": status, "deprecation_note": reason,
                        "deprecated_by_id": replacement.id if replacement is not None else None},
        summary=summary, revision=submitted_revision)
    if changes and newly_marked:
        package.date_deprecated = utcnow()
        package.deprecated_by_user_id = user.id
    if changes:
        rescore(package)
    db.session.flush()
    return changes


def clear_deprecation(package: Package, user, submitted_revision) -> list:
    """Take the deprecated/unmaintained mark off ``package`` (recorded, revertible). The reason and the
    replacement stay stored, unshown, so reverting this change brings the whole mark back."""
    changes = history.apply_changes(package, user, {"deprecation_status": None},
                                    summary="No longer marked deprecated", revision=submitted_revision)
    if changes:
        rescore(package)
    db.session.flush()
    return changes


def _rescore_reverted_package(_sender, *, obj, field: str, **_extra) -> None:
    if isinstance(obj, Package) and field in DEPRECATION_FIELDS:
        rescore(obj)
        db.session.flush()


def connect_signals() -> None:
    """What the catalogue reacts to: a reverted deprecation changes the package's score."""
    change_reverted.connect(_rescore_reverted_package)
