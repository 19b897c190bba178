"""Package health in the demo: a few packages marked deprecated (with their replacement) or unmaintained, one
archived repository and one illustrative vulnerability, so `make run` shows every badge and warning."""

from __future__ import annotations

from datetime import datetime, timedelta

from webapp.catalog.models import DeprecationStatus, Package, Vulnerability
from webapp.extensions import db

# (package, status, replacement or None, reason)
DEPRECATIONS = [
    ("django-ckeditor", DeprecationStatus.DEPRECATED, "django-ckeditor-5",
     "CKEditor 4, which it bundles, reached its end of life; its maintainers point to CKEditor 5."),
    ("django-celery", DeprecationStatus.DEPRECATED, "django-celery-beat",
     "Celery supports Django by itself since 3.1; the periodic task scheduler lives on in django-celery-beat."),
    ("django-userena", DeprecationStatus.UNMAINTAINED, None,
     "No release since 2016 and no answer on the issue tracker."),
]
ARCHIVED = {"django-nose": 900}  # package: days since its repository was archived
VULNERABLE = "django-tastypie"


def add_illustrative_health(packages: dict[str, Package], staff_id: int | None, now: datetime) -> None:
    """Mark the demo's deprecated, archived and vulnerable packages (before their scores are computed)."""
    for name, status, replacement, reason in DEPRECATIONS:
        package = packages.get(name)
        if package is None:
            continue
        package.deprecation_status = status
        package.deprecation_note = reason
        package.deprecated_by = packages.get(replacement) if replacement else None
        package.date_deprecated = now - timedelta(days=120)
        package.deprecated_by_user_id = staff_id
    for name, days in ARCHIVED.items():
        if name in packages:
            packages[name].date_repo_archived = now - timedelta(days=days)
    package = packages.get(VULNERABLE)
    if package is not None and package.pypi_version:
        db.session.add(Vulnerability(
            package_id=package.id, version=package.pypi_version, advisory_id="DEMO-2026-0001",
            aliases=["illustrative"], fixed_in=["0.15.2"],
            summary="Illustrative demo advisory, not a real vulnerability: a real fetch replaces it with what "
                    "PyPI lists.",
            link=f"https://osv.dev/list?ecosystem=PyPI&q={package.slug}"))
        package.vulnerability_count = 1
