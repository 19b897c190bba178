"""Refreshing the release cycles from endoflife.date: the only writer of ``release_cycles``.

Each product is asked on its own; a product whose answer fails (after the fetch client's retries) or is
malformed keeps the cycles stored before, and the others are still refreshed. Writes flush, never commit: the
command or job around it commits (webapp/readiness/commands.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy import select

from webapp.catalog.models import ReleaseCycle, SupportProduct
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.fetch.http import FetchError, HostClient
from webapp.readiness.endoflife import CycleData, MalformedAnswer, parse_cycles

logger = logging.getLogger(__name__)

FIELDS = ("release_date", "support_date", "support_flag", "eol_date", "eol_flag", "latest", "latest_release_date",
          "lts")


@dataclass
class RefreshOutcome:
    """What refreshing one product did: how many cycles it stores now, or the error that kept the old ones."""

    product: SupportProduct
    cycles: int = 0
    changed: int = 0
    error: str = ""

    @property
    def line(self) -> str:
        if self.error:
            return f"{self.product.label}: kept the stored cycles ({self.error})"
        return f"{self.product.label}: {self.cycles} cycles, {self.changed} new or changed"


def endoflife_client(config: Mapping) -> HostClient:
    """An HTTP client for ``ENDOFLIFE_URL`` with the fetch service's timeouts, retries and size limits."""
    site = config["SITE_URL"] or "https://github.com/package-grids"
    return HostClient("endoflife.date", config["ENDOFLIFE_URL"], headers={
        "User-Agent": f"PackageGrids-readiness/1.0 (+{site})", "Accept": "application/json"},
        timeout=config["FETCH_TIMEOUT"], retries=config["FETCH_RETRIES"], backoff=config["FETCH_BACKOFF"],
        deadline=config["FETCH_DEADLINE"], max_bytes=config["FETCH_MAX_BYTES"], pool_size=1)


def refresh_release_cycles(client: HostClient, products: Iterable[SupportProduct] = tuple(SupportProduct)
                           ) -> list[RefreshOutcome]:
    """Ask endoflife.date for each product's cycles and store them: one request and a few statements each."""
    outcomes = []
    for product in products:
        outcome = RefreshOutcome(product)
        try:
            reply = client.get(f"/{product.value}.json", shape=list)
            cycles = parse_cycles(product, reply.data)
        except (FetchError, MalformedAnswer) as error:
            logger.warning("release cycles of %s not refreshed: %s", product.value, error)
            outcome.error = str(error)
        else:
            outcome.cycles = len(cycles)
            outcome.changed = store_cycles(product, cycles)
        outcomes.append(outcome)
    return outcomes


def store_cycles(product: SupportProduct, cycles: list[CycleData]) -> int:
    """Make ``product``'s stored cycles exactly ``cycles``; returns how many were added or changed."""
    stored = {row.cycle: row for row in db.session.scalars(
        select(ReleaseCycle).where(ReleaseCycle.product == product))}
    now = utcnow()
    changed = 0
    for data in cycles:
        row = stored.pop(data.cycle, None)
        if row is None:
            row = ReleaseCycle(product=product, cycle=data.cycle)
            db.session.add(row)
        values = {name: getattr(data, name) for name in FIELDS}
        if row.id is None or any(getattr(row, name) != value for name, value in values.items()):
            changed += 1
            for name, value in values.items():
                setattr(row, name, value)
            row.updated = now
    for gone in stored.values():  # a cycle the API no longer lists
        db.session.delete(gone)
    db.session.flush()
    return changed
