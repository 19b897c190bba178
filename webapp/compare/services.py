"""Writes of the compare page: saving a comparison as a grid, through the grids' own services (so the new grid
and each package put in it are recorded in the history). Flushes; the request commits."""

from __future__ import annotations

import uuid
from typing import Any

from webapp.catalog.models import Package
from webapp.forms import SLUG_MAX, slugify
from webapp.grids import services as grids
from webapp.grids.forms import RESERVED_SLUGS
from webapp.grids.models import Grid

_NUMBERED_TRIES = 20


def free_slug(title: str) -> str:
    """An unused grid address made from ``title``: its slug, else the slug with -2, -3, ... (at most a few
    queries), else with a random suffix."""
    base = (slugify(title) or "comparison")[:SLUG_MAX - 9].strip("-") or "comparison"
    if base not in RESERVED_SLUGS and not grids.slug_taken(base):
        return base
    for number in range(2, _NUMBERED_TRIES + 2):
        if not grids.slug_taken(f"{base}-{number}"):
            return f"{base}-{number}"
    return f"{base}-{uuid.uuid4().hex[:8]}"


def save_as_grid(user: Any, *, title: str, packages: list[Package]) -> Grid:
    """A new grid called ``title`` holding ``packages`` (in this order), recorded in the history.

    Raises :class:`~webapp.grids.services.GridWriteError` when it cannot be made (an address taken at the same
    moment, a package removed meanwhile): nothing is saved then.
    """
    names = ", ".join(package.title for package in packages)
    grid = grids.create_grid(user, title=title, slug=free_slug(title),
                             description=f"Made from a comparison of {names}." if names else "")
    for package in packages:
        grids.add_package(grid, package, user)
    return grid
