"""A package's current release, and the score that follows from it: one rule, one writer.

Every writer of releases or of what the score counts (the fetch, the djangopackages importer, the demo
loader) calls :func:`refresh_current_release_and_score`; every reader (package page and its score breakdown,
grid cells, lists, search, the APIs) reads the stored ``Package.current_release``, so they cannot disagree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from packaging.version import InvalidVersion
from packaging.version import Version as ParsedVersion

from webapp.catalog.models import Package, Version
from webapp.catalog.scoring import package_score_breakdown

_NEVER = datetime.min.replace(tzinfo=timezone.utc)


def _is_final(number: str) -> bool:
    """A final release number (not a pre-, dev- or unreadable one)."""
    try:
        parsed = ParsedVersion(number)
    except InvalidVersion:
        return False
    return not parsed.is_prerelease


def _newest(releases: list[Version]) -> Version | None:
    """The release uploaded last; one without a known upload time counts as the oldest."""
    return max(releases, key=lambda release: release.upload_time or _NEVER, default=None)


def current_release(pypi_version: str | None, releases: Iterable[Version]) -> Version | None:
    """Which of a package's ``releases`` is its current one. The one rule, in order:

    1. PyPI's ``info.version`` (stored as ``pypi_version``) when it is a known release that is not yanked;
    2. else the newest final release (not a pre- or dev-release) that is not yanked, by upload time;
    3. else the newest release that is not yanked, else the newest release at all.

    Hidden releases (PyPI no longer lists them) never count. ``None`` when no release is known.
    """
    listed = [release for release in releases if not release.hidden]
    for release in listed:
        if pypi_version and release.number == pypi_version and not release.yanked:
            return release
    available = [release for release in listed if not release.yanked]
    return (_newest([release for release in available if _is_final(release.number)])
            or _newest(available) or _newest(listed))


def refresh_current_release_and_score(package: Package, releases: Iterable[Version] | None = None) -> None:
    """Set ``package.current_release`` by :func:`current_release` and recompute its score.

    ``releases`` are all the package's stored releases (default: ``package.versions``); a writer working in
    its own session passes the ones it holds. Works on any session and neither flushes nor commits.
    """
    releases = package.versions if releases is None else list(releases)
    chosen = current_release(package.pypi_version, releases)
    # Assigned only when it changes: the pointer is written by an UPDATE of its own (post_update).
    if chosen is None:
        if package.current_release_id is not None:
            package.current_release = None
    elif chosen.id is None or chosen.id != package.current_release_id:
        package.current_release = chosen
    rescore(package, releases)


def rescore(package: Package, releases: Iterable[Version] | None = None) -> None:
    """Recompute ``package.score`` from its stored figures, releases (default: ``package.versions``) and current
    release (after "I use this", a deprecation)."""
    package.score = package_score_breakdown(package, releases).total


__all__ = ["current_release", "refresh_current_release_and_score", "rescore"]
