"""A small page-of-results value shared by every listing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from webapp.extensions import db


@dataclass(frozen=True)
class Page:
    """One page of a listing: its items, where it is and how many there are in all."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def paginate(statement: Select, page: int, per_page: int, scalars: bool = True) -> Page:
    """Run ``statement`` for one page, plus one COUNT query: always two queries."""
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    last_page = max(1, math.ceil(total / per_page))
    page = min(page, last_page)
    paged = statement.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(paged)
    items = list(result.scalars().unique()) if scalars else list(result)
    return Page(items=items, page=page, per_page=per_page, total=total)


def parse_page(value: str | None) -> int:
    """A page number from a query argument; junk means page 1."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
