"""Version support (issue 12, part a): the Django, Python and Wagtail versions a release's classifiers declare,
stored when fetched, shown on package pages and as sortable grid rows, greyed past their end of life."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from tests.factories import make_grid, make_package
from tests.fetch_support import package, reload
from tests.helpers import FIXTURES
from webapp.catalog.models import ReleaseCycle, SupportProduct, Version
from webapp.catalog.support import declared_support, declares_cycle
from webapp.extensions import db
from webapp.fetch.services import fetch_package

# What the recorded PyPI answers' classifiers declare, exactly (tests/fixtures/recorded/pypi/).
RECORDED = {
    "djangorestframework": ("3.13.1", ["2.2", "3.0", "3.1", "3.2", "4.0"], ["3.6", "3.7", "3.8", "3.9", "3.10"], [],
                            False),
    "django-crispy-forms": ("1.14.0", ["2.2", "3.2", "4.0"], ["3.7", "3.8", "3.9", "3.10"], [], False),
    "django-minify-html": ("1.0.0", ["2.2", "3.0", "3.1", "3.2", "4.0"], ["3.8", "3.9", "3.10"], [], False),
    # "Framework :: Wagtail" without a version: a Wagtail package declaring no Wagtail version.
    "wagtail": ("2.16.1", ["3.2", "4.0"], ["3.7", "3.8", "3.9", "3.10"], [], True),
    # Django's own classifiers name no Django version.
    "django": ("4.0.2", [], ["3.8", "3.9", "3.10"], [], False),
    # Only "Python :: 3": no minor version declared.
    "nango": ("0.1.2", [], [], [], False),
}


def chips(body: str, product: str) -> list[tuple[str, bool]]:
    """(version, greyed) for each chip of ``product`` in a package page."""
    match = re.search(rf'<dd id="declared-{product}">(.*?)</dd>', body, re.S)
    if match is None:
        return []
    return [(number, "version-eol" in classes) for classes, number in
            re.findall(r'<span class="(version[^"]*)"[^>]*>([0-9.]+)', match.group(1))]


def test_classifiers_declare_versions():
    support = declared_support([
        "Framework :: Django", "Framework :: Django :: 4.2", "Framework :: Django :: 5.0", "Framework :: Django :: 4.2",
        "Programming Language :: Python :: 3", "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10", "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: Implementation :: CPython", "Framework :: Wagtail :: 6",
        "Framework :: Wagtail :: 5", "Framework :: Django :: not-a-version",
    ])
    assert (support.django, support.python, support.wagtail, support.for_wagtail) == (
        ["4.2", "5.0"], ["3.9", "3.10"], ["5", "6"], True)
    assert declared_support(["Framework :: Django :: 4.2"]).for_wagtail is False
    # A major version alone covers its cycles (Wagtail's classifiers name majors only).
    assert declares_cycle(["6"], "6.3") and declares_cycle(["4.2"], "4.2")
    assert not declares_cycle(["4.2"], "4.1") and not declares_cycle(["6"], "7.0") and not declares_cycle([], "6.0")


def test_fetching_the_recorded_answers_stores_and_shows_exactly_what_the_classifiers_declare(remote, fetcher,
                                                                                              client):
    packages = {slug: package(pypi_url=f"https://pypi.org/project/{slug}/") for slug in RECORDED}
    for item in packages.values():
        assert fetch_package(item.id, fetcher=fetcher).status == "updated"

    for slug, (number, django, python, wagtail, for_wagtail) in RECORDED.items():
        current = reload(packages[slug]).current_release
        assert current.number == number
        assert (current.django_versions, current.python_versions, current.wagtail_versions,
                current.for_wagtail) == (django, python, wagtail, for_wagtail), slug
        body = client.get(f"/packages/p/{slug}/").get_data(as_text=True)
        assert [chip for chip, _eol in chips(body, "django")] == django, slug
        assert [chip for chip, _eol in chips(body, "python")] == python, slug
        assert ('id="declared-wagtail"' in body) is for_wagtail, slug
    # Only the release PyPI describes has classifiers; older releases keep none.
    older = db.session.scalars(select(Version).where(Version.package_id == packages["djangorestframework"].id,
                                                     Version.number == "3.9.3")).one()
    assert (older.classifiers, older.django_versions) == ([], [])
    # The grid rows show the same.
    make_grid("APIs", packages=[reload(packages["djangorestframework"]), reload(packages["nango"])])
    grid = client.get("/grids/g/apis/").get_data(as_text=True)
    assert "Django versions" in grid and "Python versions" in grid
    assert re.search(r'<td[^>]* class="versions-cell"><span class="versions">(<span class="version[^"]*"[^>]*>'
                     r'[0-9.]+(<span class="visually-hidden"> \(end of life\)</span>)?</span>){5}</span></td>', grid)


def _wagtail_project() -> dict:
    document = json.loads((FIXTURES / "recorded" / "pypi" / "pypi-wagtail.json").read_text())
    document = copy.deepcopy(document)
    document["info"]["name"] = document["info"]["version"] = "wagtail-extras"
    document["info"]["classifiers"] = ["Framework :: Wagtail", "Framework :: Wagtail :: 6", "Framework :: Wagtail :: 7",
                                       "Framework :: Django :: 5.2", "Programming Language :: Python :: 3.13"]
    document["info"]["version"] = "1.0"
    document["releases"] = {"1.0": document["releases"]["2.16.1"]}
    return document


def test_a_wagtail_package_shows_its_wagtail_versions_and_a_refetch_follows_new_classifiers(remote, fetcher, client):
    remote.add_project(_wagtail_project(), "wagtail-extras")
    extras = package(pypi_url="https://pypi.org/project/wagtail-extras/")
    assert fetch_package(extras.id, fetcher=fetcher).status == "updated"
    body = client.get("/packages/p/wagtail-extras/").get_data(as_text=True)
    assert [number for number, _eol in chips(body, "wagtail")] == ["6", "7"]
    assert [number for number, _eol in chips(body, "django")] == ["5.2"]

    changed = _wagtail_project()
    changed["info"]["classifiers"] = ["Framework :: Django :: 6.0"]
    remote.add_project(changed, "wagtail-extras")
    fetch_package(extras.id, fetcher=fetcher)
    release = reload(extras).current_release
    assert (release.django_versions, release.wagtail_versions, release.for_wagtail) == (["6.0"], [], False)


def _cycle(product: str, cycle: str, eol: date | bool, released: date = date(2020, 1, 1)) -> ReleaseCycle:
    row = ReleaseCycle(product=SupportProduct(product), cycle=cycle, release_date=released, latest=cycle,
                       eol_date=eol if isinstance(eol, date) else None,
                       eol_flag=eol if isinstance(eol, bool) else None)
    db.session.add(row)
    return row


def test_versions_past_end_of_life_are_greyed(client):
    today = datetime.now(timezone.utc).date()
    _cycle("django", "3.2", today - timedelta(days=1))
    _cycle("django", "4.2", today + timedelta(days=300))
    _cycle("python", "3.8", True)  # endoflife.date may say "eol: true" without a date
    _cycle("python", "3.12", False)
    _cycle("wagtail", "5.2", today - timedelta(days=10))
    _cycle("wagtail", "6.0", today - timedelta(days=10))
    _cycle("wagtail", "6.3", today + timedelta(days=10))
    db.session.commit()
    item = make_package("greyed")
    item.current_release.classifiers = [
        "Framework :: Django :: 3.2", "Framework :: Django :: 4.2", "Framework :: Django :: 9.0",
        "Programming Language :: Python :: 3.8", "Programming Language :: Python :: 3.12",
        "Framework :: Wagtail :: 5", "Framework :: Wagtail :: 6"]
    db.session.commit()

    body = client.get("/packages/p/greyed/").get_data(as_text=True)
    # 9.0: no cycle known, so not greyed. Wagtail 6: one 6.x cycle is still supported.
    assert chips(body, "django") == [("3.2", True), ("4.2", False), ("9.0", False)]
    assert chips(body, "python") == [("3.8", True), ("3.12", False)]
    assert chips(body, "wagtail") == [("5", True), ("6", False)]
    assert 'title="Django 3.2 is past its end of life"' in body


def test_grids_sort_by_the_newest_declared_version(client):
    old = make_package("old-one")
    new = make_package("new-one")
    none = make_package("no-classifiers")
    old.current_release.classifiers = ["Framework :: Django :: 3.2", "Programming Language :: Python :: 3.12"]
    new.current_release.classifiers = ["Framework :: Django :: 5.2", "Programming Language :: Python :: 3.9"]
    db.session.commit()
    make_grid("Sorted", packages=[none, old, new])

    def order(sort: str) -> list[str]:
        body = client.get(f"/grids/g/sorted/?sort={sort}").get_data(as_text=True)
        return re.findall(r'<a class="pkg" href="/packages/p/([^/]+)/">', body)

    assert order("django") == ["new-one", "old-one", "no-classifiers"]
    assert order("python") == ["old-one", "new-one", "no-classifiers"]
    body = client.get("/grids/g/sorted/").get_data(as_text=True)
    assert 'href="/grids/g/sorted/?sort=django"' in body and 'href="/grids/g/sorted/?sort=python"' in body
