"""The site banner: which one shows now, read once per rendered page, and the state cached pages are keyed by.

A banner shows until its end date, and no write happens at that moment, so the page cache cannot learn of the
end from a version bump. Instead the banner's id and end are kept in the ``cache_versions`` row "banner" as a
timed version (:func:`webapp.page_cache.timed_version`), which the page cache reads with a page's own versions
(no extra query) and turns into "this banner" or "none" by the clock: a page cached with a banner is never
served after its end.
"""

from __future__ import annotations

import logging

from flask import g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.page_cache import BANNER_SCOPE, CacheVersion, timed_version
from webapp.staff.models import Banner

logger = logging.getLogger(__name__)


def current_banner() -> Banner | None:
    """The banner showing now (the newest one not yet ended), or None: one query per request at most."""
    if "site_banner" not in g:
        try:
            g.site_banner = db.session.scalar(
                select(Banner).where(Banner.ends_at > utcnow()).order_by(Banner.id.desc()).limit(1))
        except SQLAlchemyError:  # an error page about the database itself still renders, without a banner
            logger.warning("could not read the site banner", exc_info=True)
            g.site_banner = None
    return g.site_banner


def publish_banner_state(_banner: Banner | None = None) -> None:
    """Store which banner shows now, and until when, for the page cache's keys (in the current transaction)."""
    db.session.flush()
    showing = db.session.scalar(
        select(Banner).where(Banner.ends_at > utcnow()).order_by(Banner.id.desc()).limit(1))
    version = timed_version(str(showing.id), showing.ends_at) if showing else "none"
    row = db.session.get(CacheVersion, BANNER_SCOPE)
    if row is None:
        db.session.add(CacheVersion(scope=BANNER_SCOPE, version=version))
    else:
        row.version = version
    g.pop("site_banner", None)
