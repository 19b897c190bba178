"""Which packages a fetch run should visit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select

from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.repos import normalise_repo_url


def package_ids_by_slug(slugs: list[str]) -> tuple[list[int], list[str]]:
    """The ids of the packages with these slugs (in that order), and the slugs that match none."""
    rows = dict(db.session.execute(select(Package.slug, Package.id).where(Package.slug.in_(slugs))).all())
    return [rows[slug] for slug in slugs if slug in rows], [slug for slug in slugs if slug not in rows]


def all_package_ids() -> list[int]:
    """Every listed package (removed ones are not fetched)."""
    return list(db.session.scalars(select(Package.id).where(Package.removed_at.is_(None)).order_by(Package.id)))


def stale_package_ids(cutoff: datetime) -> list[int]:
    """Listed packages not attempted since ``cutoff`` (a success sets last_fetched, a failure fetch_error_at)."""
    not_recent = and_(
        or_(Package.last_fetched.is_(None), Package.last_fetched < cutoff),
        or_(Package.fetch_error_at.is_(None), Package.fetch_error_at < cutoff),
    )
    query = (select(Package.id).where(Package.removed_at.is_(None), not_recent)
             .order_by(Package.last_fetched.asc().nulls_first(), Package.id))
    return list(db.session.scalars(query))


def packages_for_repository(url: str) -> list[tuple[int, str]]:
    """(id, slug) of the listed packages whose repository is ``url``, compared in canonical form."""
    canonical = normalise_repo_url(url).lower()
    if not canonical:
        return []
    candidates = {canonical, canonical + "/", canonical + ".git"}
    query = (select(Package.id, Package.slug)
             .where(func.lower(Package.repo_url).in_(candidates), Package.removed_at.is_(None))
             .order_by(Package.id))
    return [(row.id, row.slug) for row in db.session.execute(query)]
