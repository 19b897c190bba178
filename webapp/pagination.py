"""Pages of a listing: Flask-SQLAlchemy's pagination, with a page past the end showing the last page."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from webapp.extensions import db

# One page of a listing: ``items``, ``page``, ``per_page``, ``total``, ``pages``, ``has_prev``, ``has_next``,
# and ``first``/``last`` (the 1-based numbers of the page's first and last item, 0 on an empty page).
Page = Pagination

# Pages beyond this are the last page anyway; the bound keeps the OFFSET a database integer.
MAX_PAGE = 2**31 - 1


def paginate(statement: Select, page: int, per_page: int, total: int | None = None) -> Page:
    """Run ``statement`` for one page, plus one COUNT query unless the caller knows the ``total`` (a stored
    counter, webapp/counters.py); a page past the end is the last page."""
    page = min(max(1, page), MAX_PAGE // per_page)
    if total is not None:
        result = db.paginate(statement, page=min(page, max(1, -(-total // per_page))), per_page=per_page,
                             max_per_page=None, error_out=False, count=False)
        result.total = total
        return result
    result = db.paginate(statement, page=page, per_page=per_page, max_per_page=None, error_out=False)
    if result.page > 1 and not result.items and result.total:
        result = db.paginate(statement, page=result.pages, per_page=per_page, max_per_page=None, error_out=False)
    return result
