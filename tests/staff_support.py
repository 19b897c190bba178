"""A spam wave for the staff tools' tests: three packages in a grid with filled cells, and a spammer who makes 20
edits through the site's own forms (package edits, added features, cell edits and new cells)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from tests.editing_support import post
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Element, Feature, GridPackage
from webapp.history.models import Change

SPAM = "BUY CHEAP PILLS"


@dataclass
class SpamWave:
    """The rows before the spam (``before``: what must come back), and who did what."""

    spammer: object
    staff: object
    honest: object
    grid: object
    packages: list
    before: dict = field(default_factory=dict)


def site_state(grid_id: int, package_ids: list[int]) -> dict:
    """Package fields, feature titles and cell texts: what a rollback must restore."""
    db.session.expire_all()
    packages = {package.id: (package.title, package.documentation_url, package.slug)
                for package in db.session.scalars(select(Package).where(Package.id.in_(package_ids)))}
    features = sorted(db.session.scalars(select(Feature.title).where(Feature.grid_id == grid_id)))
    cells = {(row.grid_package_id, row.feature_id): row.text for row in db.session.execute(
        select(Element.grid_package_id, Element.feature_id, Element.text)
        .join(GridPackage, GridPackage.id == Element.grid_package_id).where(GridPackage.grid_id == grid_id))
        if row.text}
    return {"packages": packages, "features": features, "cells": cells}


def make_spam_world() -> SpamWave:
    """Three packages in a grid with two features, every cell filled; a spammer, staff and an honest editor."""
    category = make_category("Widgets", slug="widgets")
    packages = [make_package(f"widget-{n}", category=category, documentation_url=f"https://docs.example.org/{n}")
                for n in range(3)]
    grid = make_grid("Widget grid", slug="widget-grid", packages=packages, features=2)
    spammer = make_user("spammer", password_hash=password_hash())
    staff = make_user("stella", password_hash=password_hash(), is_staff=True)
    honest = make_user("honest", password_hash=password_hash())
    wave = SpamWave(spammer=spammer, staff=staff, honest=honest, grid=grid, packages=packages)
    wave.before = site_state(grid.id, [package.id for package in packages])
    return wave


def spam(client, wave: SpamWave) -> int:
    """The spammer's 20 edits through the site (the client is signed in as the spammer); returns how many
    changes the history recorded for them."""
    for package in wave.packages:  # 3 posts, 2 fields each: 6 changes
        fresh = db.session.get(Package, package.id)
        response = post(client, f"/packages/{fresh.slug}/edit/", {
            "title": f"{SPAM} {fresh.title}", "slug": fresh.slug, "category": str(fresh.category_id),
            "repo_url": fresh.repo_url, "pypi_url": fresh.pypi_url, "revision": str(fresh.revision),
            "documentation_url": "https://spam.example.com/"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    for n in range(2):  # 2 new features
        response = post(client, f"/grids/g/{wave.grid.slug}/features/add/", {"title": f"{SPAM} {n}",
                                                                            "description": ""})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    members = list(db.session.scalars(select(GridPackage).where(GridPackage.grid_id == wave.grid.id)
                                      .order_by(GridPackage.id)))
    features = list(db.session.scalars(select(Feature).where(Feature.grid_id == wave.grid.id).order_by(Feature.id)))
    for feature in features:  # 6 cells changed, 6 cells created
        for member in members:
            element = db.session.scalar(select(Element).where(Element.grid_package_id == member.id,
                                                              Element.feature_id == feature.id))
            response = post(client, f"/grids/g/{wave.grid.slug}/cells/{member.id}/{feature.id}/",
                            {"text": f"{SPAM} cell", "revision": str(element.revision if element else 0)})
            assert response.status_code in (200, 302, 303), response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    return len(list(db.session.scalars(select(Change.id).where(Change.user_id == wave.spammer.id))))


@pytest.fixture
def spam_world(app) -> SpamWave:
    """A :class:`SpamWave` before the spam."""
    return make_spam_world()
