"""The catalogue: categories, packages, their releases, usage and flags."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.catalog.support import declared_support
from webapp.db_types import EnumText, UTCDateTime, utcnow
from webapp.extensions import db
from webapp.rendering import rendered_from


class DeprecationStatus(StrEnum):
    """Why a package should no longer be chosen; the value is what ``packages.deprecation_status`` stores.

    ``None`` (no status) is a package nobody marked. The reason, the replacement, who marked it and since when
    are kept next to it (``deprecation_note``, ``deprecated_by``, ``deprecated_by_user``, ``date_deprecated``).
    """

    DEPRECATED = "deprecated"  # its authors (or staff) say: use something else
    UNMAINTAINED = "unmaintained"  # nobody looks after it any more


# A package without a release, or a commit, for longer than this is said to be stale.
STALE_AFTER = timedelta(days=365)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title_plural: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    show_pypi: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where staff put the category in lists (smaller first; ties by title): see webapp/staff.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How many listed (not removed) packages the category has, kept by database triggers (webapp/counters.py).
    package_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    packages: Mapped[list[Package]] = relationship(back_populates="category")

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Package(db.Model):
    __tablename__ = "packages"
    __table_args__ = (
        Index("ix_packages_repo_url", "repo_url"),
        Index("ix_packages_repo_watchers", "repo_watchers"),
        Index("ix_packages_score", "score"),
        Index("ix_packages_created", "created"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    repo_url: Mapped[str] = mapped_column(String(500), default="")
    pypi_url: Mapped[str] = mapped_column(String(500), default="")
    documentation_url: Mapped[str] = mapped_column(String(500), default="")
    # True when documentation_url came from PyPI's project_urls; a person's entry is never replaced.
    documentation_url_from_pypi: Mapped[bool] = mapped_column(Boolean, default=False)
    repo_description: Mapped[str] = mapped_column(Text, default="")
    repo_watchers: Mapped[int] = mapped_column(Integer, default=0)
    repo_forks: Mapped[int] = mapped_column(Integer, default=0)
    # Every commit on the default branch, when the host says (GitHub: the last page of commits?per_page=1).
    commit_count: Mapped[int | None] = mapped_column(Integer)
    participants: Mapped[list] = mapped_column(JSON, default=list)
    commits_over_52: Mapped[list] = mapped_column(JSON, default=list)
    # The SVG drawing of commits_over_52, made when they are written (webapp/rendering.py).
    commits_sparkline: Mapped[str] = mapped_column(Text, default="", server_default="",
                                                   info=rendered_from("commits_over_52", "sparkline"))
    # The stars-and-releases chart of the last year (webapp.catalog.trends), drawn when a fetch adds a snapshot.
    trend_chart: Mapped[str] = mapped_column(Text, default="", server_default="")
    pypi_version: Mapped[str | None] = mapped_column(String(100))
    last_commit_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fetched: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_repo_archived: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repo_missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deprecated_by_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"))
    deprecated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    date_deprecated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deprecation_note: Mapped[str] = mapped_column(Text, default="")
    # Set (with the fields above) by webapp.catalog.deprecation; the one field that says a package is marked.
    deprecation_status: Mapped[DeprecationStatus | None] = mapped_column(EnumText(DeprecationStatus, 20))
    # Known vulnerabilities (not withdrawn) of the release PyPI describes, as the last good fetch stored them
    # (the advisories themselves: Vulnerability); stored so lists and the score need no extra query.
    vulnerability_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_modified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    fetch_error: Mapped[str] = mapped_column(Text, default="")
    fetch_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetch_error_count: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float] = mapped_column(Float, default=0)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many people starred the package ("favorites"), kept by database triggers (webapp/counters.py).
    favorite_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Repository statistics loaded by the demo command are illustrative until a real fetch runs.
    stats_are_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when staff approve a flag: the package leaves lists and grids, its page says why.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    # Incremented on every edit so a save made from a stale form is detected and refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The release every page, grid, feed and API answer shows; set only by
    # webapp.catalog.releases.refresh_current_release_and_score. use_alter: packages and versions refer to each other.
    current_release_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL", use_alter=True))

    category: Mapped[Category] = relationship(back_populates="packages")
    deprecated_by: Mapped[Package | None] = relationship(remote_side=[id], foreign_keys=[deprecated_by_id])
    versions: Mapped[list[Version]] = relationship(
        back_populates="package", cascade="all, delete-orphan", order_by="Version.upload_time.desc()",
        foreign_keys="Version.package_id",
    )
    # post_update: a new package and its first release point at each other, so the pointer is set after both exist.
    current_release: Mapped[Version | None] = relationship(foreign_keys=[current_release_id], post_update=True)
    created_by = relationship("User", foreign_keys=[created_by_id])
    last_modified_by = relationship("User", foreign_keys=[last_modified_by_id])
    deprecated_by_user = relationship("User", foreign_keys=[deprecated_by_user_id])
    # The grids listing the package (read only), named by string: the grids domain builds on the catalogue, so
    # the catalogue never imports it.
    grids = relationship("Grid", secondary="grid_packages", viewonly=True, order_by="Grid.title")

    @property
    def is_archived(self) -> bool:
        return self.date_repo_archived is not None

    @property
    def is_deprecated(self) -> bool:
        """Marked deprecated or unmaintained (either way: people should pick something else)."""
        return self.deprecation_status is not None

    @property
    def release_is_stale(self) -> bool:
        """The current release is known and over a year old."""
        release = self.current_release
        return (release is not None and release.upload_time is not None
                and release.upload_time < datetime.now(timezone.utc) - STALE_AFTER)

    @property
    def commit_is_stale(self) -> bool:
        """The last commit is known and over a year old."""
        return (self.last_commit_date is not None
                and self.last_commit_date < datetime.now(timezone.utc) - STALE_AFTER)

    @property
    def version_number(self) -> str | None:
        """The version pages and the API show: the current release's, else PyPI's when no release is stored."""
        if self.current_release is not None:
            return self.current_release.number
        return self.pypi_version or None

    def __repr__(self) -> str:
        return f"<Package {self.slug}>"


# The orders the package lists offer (webapp.catalog.queries.PACKAGE_SORTS), ties broken by title or id. Each
# is read from an index of listed packages, over all of them and within a category (below), so a page of a
# list costs the same whatever the size of the catalogue.
PACKAGE_LIST_ORDERS = {
    "stars": lambda: [Package.repo_watchers.desc(), Package.title],
    "score": lambda: [Package.score.desc(), Package.title],
    "forks": lambda: [Package.repo_forks.desc(), Package.title],
    # Packages never committed to last: "IS NULL" first rather than NULLS LAST, which SQLite's indexes cannot hold.
    "last-commit": lambda: [Package.last_commit_date.is_(None), Package.last_commit_date.desc(), Package.title],
    "usage": lambda: [Package.usage_count.desc(), Package.title],
    "favorites": lambda: [Package.favorite_count.desc(), Package.title],
    "newest": lambda: [Package.created.desc(), Package.id.desc()],
    "title": lambda: [func.lower(Package.title), Package.id],
}

for _key, _order in PACKAGE_LIST_ORDERS.items():
    _name = _key.replace("-", "_")
    _listed = {"sqlite_where": Package.removed_at.is_(None), "postgresql_where": Package.removed_at.is_(None)}
    Index(f"ix_packages_listed_by_{_name}", *_order(), **_listed)
    Index(f"ix_packages_category_by_{_name}", Package.category_id, *_order(), **_listed)
# API v3 lists a category's packages in id order.
Index("ix_packages_category_by_id", Package.category_id, Package.id, sqlite_where=Package.removed_at.is_(None),
      postgresql_where=Package.removed_at.is_(None))
# A person's profile lists the packages they added.
Index("ix_packages_created_by_id", Package.created_by_id)


# ``info`` of a column written only from another column (the declared versions, from the classifiers).
DERIVED = {"derived_from": "classifiers"}


class Version(db.Model):
    """A release of a package, as PyPI lists it."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("package_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(100))
    license: Mapped[str] = mapped_column(String(200), default="")
    upload_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    development_status: Mapped[str] = mapped_column(String(50), default="")
    supports_python3: Mapped[bool | None] = mapped_column(Boolean)
    requires_python: Mapped[str] = mapped_column(String(100), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    yanked: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The release's trove classifiers (PyPI describes only the latest release's), and what they declare, worked
    # out whenever they are set (webapp/catalog/support.py) so that no page parses classifiers.
    classifiers: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    django_versions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]", info=DERIVED)
    python_versions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]", info=DERIVED)
    wagtail_versions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]", info=DERIVED)
    # "Framework :: Wagtail" in any form: a Wagtail package, which shows (and is counted for) Wagtail versions.
    for_wagtail: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    package: Mapped[Package] = relationship(back_populates="versions", foreign_keys=[package_id])

    def declared_versions(self, product: SupportProduct | str) -> list[str]:
        """The versions of ``product`` (django, python, wagtail) the release's classifiers declare, oldest first."""
        return {SupportProduct.DJANGO: self.django_versions, SupportProduct.PYTHON: self.python_versions,
                SupportProduct.WAGTAIL: self.wagtail_versions}[SupportProduct(product)] or []

    def __repr__(self) -> str:
        return f"<Version {self.package_id} {self.number}>"


@event.listens_for(Version.classifiers, "set")
def _declare_support(version: Version, classifiers, _old, _initiator) -> None:
    """Whoever writes a release's classifiers (the fetch, the importer, the demo) writes what they declare."""
    declared = declared_support(classifiers or [])
    version.django_versions, version.python_versions = declared.django, declared.python
    version.wagtail_versions, version.for_wagtail = declared.wagtail, declared.for_wagtail


class Usage(db.Model):
    """A person saying "I use this" about a package."""

    __tablename__ = "usages"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    package: Mapped[Package] = relationship()


class Favorite(db.Model):
    """A person starring a package: a public "I like this", separate from "I use this"."""

    __tablename__ = "favorites"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A person's favorites, newest first (their profile page).
Index("ix_favorites_user_created", Favorite.user_id, Favorite.created)


class PackageExample(db.Model):
    """A site that uses a package ("sites using this"), added by a signed-in person; staff hide bad ones."""

    __tablename__ = "package_examples"
    __table_args__ = (Index("ix_package_examples_package", "package_id", "created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    # Hidden by staff (recorded in the history, so revertible): left out of the package page.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    package: Mapped[Package] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])


class FlagStatus(StrEnum):
    """Where a flag stands; the value is what the ``flags.status`` column stores."""

    OPEN = "open"
    APPROVED = "approved"  # staff agreed: the package was removed from lists and grids
    DISMISSED = "dismissed"  # staff disagreed: the package stays


class Flag(db.Model):
    """A report that a package does not belong here, waiting for staff."""

    __tablename__ = "flags"
    __table_args__ = (
        # One open flag per person and package.
        Index(
            "uq_flags_open_per_user",
            "package_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    reason_html: Mapped[str] = mapped_column(Text, default="", server_default="",
                                             info=rendered_from("reason", "markdown"))
    status: Mapped[FlagStatus] = mapped_column(EnumText(FlagStatus, 20), default=FlagStatus.OPEN)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    package: Mapped[Package] = relationship()
    user = relationship("User", foreign_keys=[user_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])

    @property
    def approved(self) -> bool:
        """True when staff approved the flag and so removed the package."""
        return self.status == FlagStatus.APPROVED


class Vulnerability(db.Model):
    """A known vulnerability of a package's release, as PyPI's JSON lists it (from the OSV database).

    Replaced as a whole by each successful PyPI fetch of the package; withdrawn advisories are not stored.
    """

    __tablename__ = "vulnerabilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    # The release PyPI described (its ``info.version``) when it listed the advisory.
    version: Mapped[str] = mapped_column(String(100))
    advisory_id: Mapped[str] = mapped_column(String(100))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    fixed_in: Mapped[list] = mapped_column(JSON, default=list)
    link: Mapped[str] = mapped_column(String(500), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Vulnerability {self.package_id} {self.advisory_id}>"


class SupportProduct(StrEnum):
    """The frameworks and language whose versions packages declare, and whose release cycles are followed."""

    DJANGO = "django"
    PYTHON = "python"
    WAGTAIL = "wagtail"

    @property
    def label(self) -> str:
        return self.value.title()


class ReleaseCycle(db.Model):
    """One release cycle (say Django 5.2) as endoflife.date describes it; refreshed by webapp/readiness.

    endoflife.date gives ``support`` and ``eol`` as a date or as a plain yes/no: a date goes in ``*_date``, a
    yes/no in ``*_flag`` (``eol_flag`` true: past its end of life, date unknown).
    """

    __tablename__ = "release_cycles"
    __table_args__ = (UniqueConstraint("product", "cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[SupportProduct] = mapped_column(EnumText(SupportProduct, 20))
    cycle: Mapped[str] = mapped_column(String(20))
    release_date: Mapped[date | None] = mapped_column(Date)
    support_date: Mapped[date | None] = mapped_column(Date)
    support_flag: Mapped[bool | None] = mapped_column(Boolean)
    eol_date: Mapped[date | None] = mapped_column(Date)
    eol_flag: Mapped[bool | None] = mapped_column(Boolean)
    latest: Mapped[str] = mapped_column(String(50), default="")
    latest_release_date: Mapped[date | None] = mapped_column(Date)
    lts: Mapped[bool] = mapped_column(Boolean, default=False)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_eol(self, today: date) -> bool:
        """Past its end of life on ``today``."""
        return bool(self.eol_flag) or (self.eol_date is not None and self.eol_date < today)

    def in_active_support(self, today: date) -> bool:
        """Still getting bug fixes (not only security fixes) on ``today``."""
        if self.is_eol(today):
            return False
        if self.support_date is not None:
            return today <= self.support_date
        return self.support_flag is not False

    def is_released(self, today: date) -> bool:
        return self.release_date is None or self.release_date <= today

    def __repr__(self) -> str:
        return f"<ReleaseCycle {self.product} {self.cycle}>"


class PackageSnapshot(db.Model):
    """What a fetch saw of a package on one day: at most one row per package and day (the day's last fetch)."""

    __tablename__ = "package_snapshots"

    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    forks: Mapped[int] = mapped_column(Integer, default=0)
    participants: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str] = mapped_column(String(100), default="")
