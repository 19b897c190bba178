"""One current release per package: whoever wrote the releases, every page, grid cell, API and the score agree.

The inconsistent case of issue 9: PyPI's latest is 1.9 (Python 3, MIT, stable) while a newer pre-release 2.0b1,
uploaded later, carries another licence, status and no Python 3 (stored when PyPI briefly called 2.0b1 its
latest). The data is built through the real writers: the fetch against the fake PyPI, then the djangopackages
importer against its fake; the demo loader is checked on its own data.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_grid
from tests.fakes.djangopackages_api import FakeDjangoPackagesAPI, site_data
from tests.fetch_support import package, reload
from webapp.catalog.models import Package, Version
from webapp.catalog.scoring import PYTHON3_POINTS
from webapp.extensions import db
from webapp.fetch.services import fetch_package

UTC = timezone.utc
NAME = "django-twostep"
UPLOADED = {"1.8": datetime(2023, 6, 1, 9, 0, tzinfo=UTC), "1.9": datetime(2024, 1, 10, 12, 0, tzinfo=UTC),
            "2.0b1": datetime(2024, 3, 1, 8, 30, tzinfo=UTC)}
REQUIRES = {"1.8": ">=3.8", "1.9": ">=3.8", "2.0b1": "==2.7.*"}
STABLE = ("1.9", "MIT", "5 - Production/Stable", True)
BETA = ("2.0b1", "GPL-3.0-only", "4 - Beta", False)


def pypi_document(latest: str, licence: str, status: str, *, yanked: frozenset[str] = frozenset()) -> dict:
    """PyPI's JSON for the project when it calls ``latest`` its latest release."""
    releases = {number: [{
        "filename": f"{NAME}-{number}.tar.gz", "packagetype": "sdist", "requires_python": REQUIRES[number],
        "upload_time_iso_8601": moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), "yanked": number in yanked,
    }] for number, moment in UPLOADED.items()}
    return {
        "info": {"name": NAME, "version": latest, "summary": "", "license": "", "license_expression": licence,
                 "requires_python": REQUIRES[latest], "docs_url": None, "project_urls": {},
                 "classifiers": [f"Development Status :: {status}", "Framework :: Django"]},
        "last_serial": 1, "releases": releases, "urls": releases[latest], "vulnerabilities": [],
    }


@pytest.fixture
def two_step(remote, fetcher):
    """The inconsistent case, written by two real fetches: first PyPI said 2.0b1 was the latest, then 1.9."""
    item = package(pypi_url=f"https://pypi.org/project/{NAME}/", repo_watchers=120, commits_over_52=[1] * 52)
    grid = make_grid("Two step", packages=[item])
    remote.add_project(pypi_document(*BETA[:3]), NAME)
    assert fetch_package(item.id, fetcher=fetcher).status == "updated"
    remote.add_project(pypi_document(*STABLE[:3]), NAME)
    assert fetch_package(item.id, fetcher=fetcher).status == "updated"
    item = reload(item)
    stored = {v.number: (v.number, v.license, v.development_status, v.supports_python3)
              for v in db.session.scalars(select(Version).where(Version.package_id == item.id))}
    assert stored["2.0b1"] == BETA and stored["1.9"] == STABLE  # the disagreement the readers used to show
    assert item.pypi_version == "1.9"
    return item, grid


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _pairs(fragment: str) -> dict[str, str]:
    return {_text(term): _text(value) for term, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", fragment)}


def _grid_facts(page: str) -> dict[str, str]:
    """The fixed rows of a one-package grid: {row label: cell text}; Python 3 as its Yes/No label."""
    facts = {}
    for head, cell in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(<td.*?</td>)</tr>", page, re.S):
        label = _text(head).rstrip(" ↓")
        icon = re.search(r'aria-label="(Yes|No)"', cell)
        facts[label] = icon.group(1) if icon else _text(cell)
    return facts


def assert_every_reader_shows(client, item: Package, grid, expected: tuple[str, str, str, bool]) -> None:
    """The package page (facts and score breakdown), the grid, API v4 and v3 and the search API all show
    ``expected`` (number, licence, status, Python 3) and the upload time of that release."""
    number, licence, status, python3 = expected
    date = client.application.jinja_env.filters["date"](UPLOADED[number])
    yes_no = "Yes" if python3 else "No"

    page = client.get(f"/packages/p/{item.slug}/").get_data(as_text=True)
    about = _pairs(page.split('id="about-h"', 1)[1].split('<details class="score-explained">', 1)[0])
    assert (about["Version"], about["License"], about["Status"], about["Python 3"], about["Released"]) == (
        number, licence, status, yes_no, date)
    assert re.search(rf'<h1>{re.escape(item.title)}\s*<span class="badge badge-accent">{re.escape(number)}</span>',
                     page)
    score_part = page.split('<details class="score-explained">', 1)[1].split("</details>", 1)[0]
    breakdown = _pairs(score_part)
    assert float(breakdown["Python 3"]) == (PYTHON3_POINTS if python3 else 0.0)
    shown_total = float(re.search(r"How the score of ([\d.]+) is computed", score_part).group(1))
    # Each input shows its points first, then its value in brackets: "20.8 (120 stars)".
    parts = sum(float(breakdown[key].split()[0]) for key in (
        "Stars", "Recent activity", "Users", "Python 3", "Latest release", "Release cadence", "Supported Django",
        "No known vulnerability"))
    assert shown_total == round(parts, 1) == round(reload(item).score, 1)  # the stored score is the breakdown's

    facts = _grid_facts(client.get(f"/grids/g/{grid.slug}/").get_data(as_text=True))
    assert facts["Latest release"] == f"{number} {date}"
    assert (facts["License"], facts["Development status"], facts["Python 3"]) == (licence, status, yes_no)
    assert float(facts["Score"]) == shown_total

    listing = client.get("/packages/").get_data(as_text=True)
    assert re.search(rf'>{re.escape(item.title)}</a>\s*<span class="badge">{re.escape(number)}</span>', listing)

    assert client.get(f"/api/v4/packages/{item.id}/").get_json()["pypi_version"] == number
    assert client.get(f"/api/v3/packages/{item.slug}/").get_json()["pypi_version"] == number
    hits = [hit for hit in client.get(f"/api/v4/search/?q={item.slug}").get_json() if hit["slug"] == item.slug]
    assert hits[0]["last_released"].startswith(UPLOADED[number].strftime("%Y-%m-%dT%H:%M:%S"))
    assert hits[0]["weight"] == int(round(shown_total))


def test_after_a_fetch_every_reader_agrees_on_pypis_latest(client, two_step):
    item, grid = two_step
    assert reload(item).current_release.number == "1.9"
    assert_every_reader_shows(client, item, grid, STABLE)
    # The releases table still lists the newer pre-release, and marks which one is current.
    page = client.get(f"/packages/p/{item.slug}/").get_data(as_text=True)
    assert re.search(r"<td>1\.9 <span class=\"badge badge-accent\">current</span></td>", page)
    assert re.search(r"<td>2\.0b1</td>", page)


def test_a_yanked_latest_gives_way_to_the_newest_final_release_not_the_pre_release(client, remote, fetcher,
                                                                                    two_step):
    item, grid = two_step
    remote.add_project(pypi_document(*STABLE[:3], yanked=frozenset({"1.9"})), NAME)
    fetch_package(item.id, fetcher=fetcher)

    assert reload(item).current_release.number == "1.8"
    # 1.8 was never PyPI's latest, so nothing told us its licence or status.
    assert_every_reader_shows(client, item, grid, ("1.8", "—", "—", True))


def test_the_importer_sets_the_current_release_through_the_same_rule(client, app, tmp_path, two_step):
    """djangopackages says the latest is 2.0b1: the importer's write moves every reader to it, score included."""
    item, grid = two_step
    data = site_data()
    entry = {**data["packages"][0], "id": item.id, "slug": item.slug, "title": item.title, "pypi_version": "2.0b1",
             "pypi_url": item.pypi_url, "repo_url": "", "repo_watchers": 300, "grids": [],
             "category": "https://djangopackages.org/api/v4/categories/1/"}
    with FakeDjangoPackagesAPI() as fake:
        fake.data = {**data, "packages": [entry], "unlisted_packages": [], "grids": []}
        result = app.test_cli_runner().invoke(args=[
            "import-djangopackages", "--from", fake.base_url, "--retries", "0", "--retry-wait", "0",
            "--state-file", str(tmp_path / "state.json")])
    assert result.exit_code == 0, result.output
    assert "packages: 0 created, 1 updated" in result.output

    item = reload(item)
    assert (item.repo_watchers, item.current_release.number) == (300, "2.0b1")
    assert_every_reader_shows(client, item, grid, BETA)


def test_the_demo_loader_sets_every_current_release_and_its_score(client, demo):
    packages = list(db.session.scalars(select(Package)))
    assert packages and all(p.current_release is not None and p.current_release.number == p.pypi_version
                            for p in packages)
    seed = db.session.get(Package, 2674)
    page = client.get(f"/packages/p/{seed.slug}/").get_data(as_text=True)
    about = _pairs(page.split('id="about-h"', 1)[1].split('<details class="score-explained">', 1)[0])
    assert (about["Version"], about["License"], about["Python 3"]) == (seed.pypi_version, "GPL-3.0-only", "Yes")
    score_part = page.split('<details class="score-explained">', 1)[1].split("</details>", 1)[0]
    assert float(_pairs(score_part)["Python 3"]) == PYTHON3_POINTS
    assert f"How the score of {round(seed.score, 1)} is computed" in score_part
