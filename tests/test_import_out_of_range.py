"""``flask import-djangopackages`` against a source whose items carry numbers no column can hold: each such item
is reported and skipped, the rest is imported, and a second run does not stop there either."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import BigInteger, Column, SmallInteger, func, select

from tests.fakes.djangopackages_api import FakeDjangoPackagesAPI
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.importer.djangopackages import column_bounds

BASELINE_PACKAGES = {7000, 5810, 3142, 2674, 976, 34, 12, 9999}
HUGE = 2**64 + 1  # past every integer column, 64-bit ones included


@pytest.fixture
def fake():
    with FakeDjangoPackagesAPI() as server:
        yield server


def _import(app, fake, tmp_path):
    return app.test_cli_runner().invoke(args=[
        "import-djangopackages", "--from", fake.base_url, "--page-size", "3", "--retries", "0", "--retry-wait", "0",
        "--state-file", str(tmp_path / "state.json")])


def _package_like(fake, new_id, slug: str, **changes) -> dict:
    item = copy.deepcopy(next(p for p in fake.data["packages"] if isinstance(p, dict) and p["id"] == 7000))
    item.update(id=new_id, slug=slug, title=slug, **changes)
    return item


def test_column_bounds_follow_the_column_types():
    assert column_bounds(Package.repo_watchers) == (-(2**31), 2**31 - 1)
    assert column_bounds(Column(BigInteger)) == (-(2**63), 2**63 - 1)
    assert column_bounds(Column(SmallInteger)) == (-(2**15), 2**15 - 1)


def test_items_with_out_of_range_numbers_are_reported_and_skipped(app, client, fake, tmp_path):
    categories, packages, grids = fake.data["categories"], fake.data["packages"], fake.data["grids"]
    categories.insert(0, {**categories[0], "id": HUGE, "slug": "huge-category", "title": "Huge"})
    packages[:0] = [
        _package_like(fake, HUGE, "huge-id"),
        _package_like(fake, 7101, "many-watchers", repo_watchers=2**63),
        _package_like(fake, 7102, "many-forks", repo_forks=2**31),  # just past a 32-bit column
        _package_like(fake, 7103, "negative-forks", repo_forks=-(2**31) - 1),
        _package_like(fake, 7104, "huge-category", category=f"https://djangopackages.org/api/v4/categories/{HUGE}/"),
        _package_like(fake, 7105, "huge-commits", commits_over_52=[1, 2**70]),
        _package_like(fake, 7106, "huge-participant", participants=["alice", HUGE]),
    ]
    grids.insert(0, {**grids[0], "id": HUGE, "slug": "huge-grid"})
    grids.insert(1, {**grids[0], "id": 801, "slug": "huge-member",
                     "packages": [f"https://djangopackages.org/api/v4/packages/{HUGE}/"]})

    for run in (1, 2):
        result = _import(app, fake, tmp_path)
        assert result.exit_code == 0, (run, result.output)
        output = result.output
        assert "Traceback" not in output
        assert f"category #{HUGE} skipped: 'id' is out of range" in output
        assert f"package #{HUGE} skipped: 'id' is out of range" in output
        assert "package #7101 skipped: 'repo_watchers' is out of range" in output
        assert "package #7102 skipped: 'repo_forks' is out of range" in output
        assert "package #7103 skipped: 'repo_forks' is out of range" in output
        assert "package #7104 skipped: 'category id' is out of range" in output
        assert "package #7105 skipped: 'commits_over_52' is out of range" in output
        assert "package #7106 skipped: 'participants' is not a list of text" in output
        assert f"grid #{HUGE} skipped: 'id' is out of range" in output
        assert "grid #801 skipped: 'package id' is out of range" in output
        # Everything else came in, both times.
        assert set(db.session.scalars(select(Package.id))) == BASELINE_PACKAGES
        assert db.session.scalar(select(func.count()).select_from(Category)) == 4
        assert db.session.scalar(select(func.count()).select_from(Grid)) == 3
        assert not (tmp_path / "state.json").exists()  # the run finished: nothing left to resume
    assert client.get("/api/v4/packages/2674/").status_code == 200
