"""Staleness (no release or commit in over a year, archived repositories) and known vulnerabilities: what the
fetch stores, and what the package page, lists and grids say; the score's new inputs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from tests.editing_support import html
from tests.factories import make_grid, make_package
from tests.fakes.remote_hosts import SyntheticRepo
from tests.fetch_support import RECORDED_AT, package, reload
from tests.helpers import FIXTURES
from webapp.catalog.models import Version, Vulnerability
from webapp.catalog.scoring import NO_VULNERABILITY_POINTS, score_breakdown
from webapp.extensions import db
from webapp.fetch.fetcher import Fetcher
from webapp.fetch.services import fetch_package

VULNERABLE = json.loads((FIXTURES / "vulnerabilities" / "pypi-django-crispy-forms.json").read_text(encoding="utf-8"))
NOW = datetime.now(timezone.utc)


def crispy(remote, document=VULNERABLE):
    remote.add_project(document, "django-crispy-forms")
    return package(pypi_url="https://pypi.org/project/django-crispy-forms/")


def advisories(package_id: int) -> list[tuple]:
    db.session.expire_all()
    return [(row.advisory_id, row.version, row.fixed_in, row.link) for row in db.session.scalars(
        select(Vulnerability).where(Vulnerability.package_id == package_id).order_by(Vulnerability.advisory_id))]


# -- vulnerabilities -------------------------------------------------------------------------------------------


def test_the_fetch_stores_known_vulnerabilities_and_the_page_links_each(remote, fetcher, client):
    item = crispy(remote)

    assert fetch_package(item.id, fetcher=fetcher).status == "updated"

    # The withdrawn advisory is left out; a link that is not http(s) is dropped, the advisory kept.
    assert advisories(item.id) == [
        ("GHSA-demo-0001-aaaa", "1.14.0", ["1.14.1", "2.0"], "https://osv.dev/vulnerability/GHSA-demo-0001-aaaa"),
        ("PYSEC-2099-2", "1.14.0", [], ""),
    ]
    assert reload(item).vulnerability_count == 2
    page = html(client.get("/packages/p/django-crispy-forms/"))
    assert "2 known vulnerabilities in 1.14.0" in page
    assert '<a href="https://osv.dev/vulnerability/GHSA-demo-0001-aaaa" rel="noopener">GHSA-demo-0001-aaaa</a>' in page
    assert "fixed in 1.14.1" in page
    assert "PYSEC-2099-2" in page and "javascript:" not in page and "PYSEC-2099-3" not in page
    assert "Template injection in &lt;crispy&gt; helper" in page
    # A list row carries the count.
    assert "2 known vulnerabilities</span>" in html(client.get("/packages/"))


def test_a_failed_fetch_keeps_the_last_good_list_and_a_clean_answer_clears_it(remote, fetcher, client):
    item = crispy(remote)
    fetch_package(item.id, fetcher=fetcher)

    remote.inject("pypi", "django-crispy-forms", "status", code=500, times=None)
    assert fetch_package(item.id, fetcher=fetcher).status == "failed"
    assert len(advisories(item.id)) == 2 and reload(item).vulnerability_count == 2
    assert "2 known vulnerabilities in 1.14.0" in html(client.get("/packages/p/django-crispy-forms/"))

    remote.faults.clear()
    crispy_fixed = {**VULNERABLE, "vulnerabilities": []}
    remote.add_project(crispy_fixed, "django-crispy-forms")
    assert fetch_package(item.id, fetcher=fetcher).status == "updated"
    assert advisories(item.id) == [] and reload(item).vulnerability_count == 0
    assert "known vulnerabilities in" not in html(client.get("/packages/p/django-crispy-forms/"))


def test_a_grid_row_lists_the_advisories_at_one_query_more(remote, fetcher, client, count_queries, page_cache_off):
    item = crispy(remote)
    other = make_package("django-other")
    make_grid("Forms", packages=[reload(item), other])

    def grid_queries() -> int:
        client.get("/grids/g/forms/")
        with count_queries() as counter:
            assert client.get("/grids/g/forms/").status_code == 200
        return counter.count

    before = grid_queries()
    fetch_package(item.id, fetcher=fetcher)
    assert grid_queries() == before + 1  # the advisories of all the grid's vulnerable packages, in one query
    page = html(client.get("/grids/g/forms/"))
    assert "2 known vulnerabilities in 1.14.0" in page and "fixed in 1.14.1" in page
    assert 'href="https://osv.dev/vulnerability/GHSA-demo-0001-aaaa"' in page
    assert "no known problem" in page  # django-other


def test_the_package_page_asks_one_query_more_only_with_vulnerabilities(remote, fetcher, client, count_queries,
                                                                        page_cache_off):
    item = crispy(remote)

    def page_queries() -> int:
        client.get("/packages/p/django-crispy-forms/")
        with count_queries() as counter:
            assert client.get("/packages/p/django-crispy-forms/").status_code == 200
        return counter.count

    before = page_queries()
    fetch_package(item.id, fetcher=fetcher)
    assert page_queries() == before + 1


# -- staleness -------------------------------------------------------------------------------------------------


def test_no_release_and_no_commit_in_over_a_year_are_said_plainly(client, page_cache_off):
    old = make_package("django-dusty", last_commit_date=NOW - timedelta(days=500))
    old.versions[0].upload_time = NOW - timedelta(days=400)
    make_package("django-fresh")
    db.session.commit()

    page = html(client.get("/packages/p/django-dusty/"))
    assert "No release in over a year." in page and "No commit in over a year." in page
    fresh_page = html(client.get("/packages/p/django-fresh/"))
    assert "in over a year" not in fresh_page
    listing = html(client.get("/packages/"))
    assert listing.count("no release in over a year</span>") == 1
    assert listing.count("no commit in over a year</span>") == 1
    make_grid("Dust", packages=[old])
    assert ">stale</span>" in html(client.get("/grids/g/dust/"))


def test_archived_at_is_when_the_fetch_first_saw_it_kept_while_archived_cleared_after(app, remote, client):
    remote.add_repo(SyntheticRepo("github", "acme", "attic", 991, description="Old", stars=3, archived=True,
                                  commits=[(RECORDED_AT - timedelta(days=10), "ann")], contributors=["ann"]))
    item = package("https://github.com/acme/attic")

    def fetch_on(day: datetime) -> None:
        fetcher = Fetcher(app.config, sleep=lambda seconds: None, now=lambda: day)
        try:
            fetch_package(item.id, fetcher=fetcher)
        finally:
            fetcher.close()

    fetch_on(RECORDED_AT)
    assert reload(item).date_repo_archived == RECORDED_AT
    fetch_on(RECORDED_AT + timedelta(days=30))
    assert reload(item).date_repo_archived == RECORDED_AT  # not the date of the latest fetch
    page = html(client.get("/packages/p/attic/"))
    assert "Archived repository." in page and RECORDED_AT.strftime("%b") in page

    remote.synthetic[("github", "acme/attic")].archived = False
    fetch_on(RECORDED_AT + timedelta(days=60))
    assert reload(item).date_repo_archived is None
    assert "Archived repository." not in html(client.get("/packages/p/attic/"))


# -- the score -------------------------------------------------------------------------------------------------


def test_releases_django_support_and_vulnerabilities_join_the_score():
    base = dict(stars=0, commits_over_52=[], usage=0, supports_python3=False, archived=False, deprecated=False,
                now=NOW)
    nothing = score_breakdown(**base)
    assert nothing.total == 0
    fresh = score_breakdown(**base, release_upload=NOW, has_release=True,
                            release_uploads=[NOW - timedelta(days=days) for days in (0, 60, 120, 180, 240, 500)],
                            declared_django=["4.2", "5.2"], supported_django=["6.0", "5.2"])
    assert (fresh.release_recency, fresh.release_cadence, fresh.django, fresh.no_vulnerabilities) == (10, 5, 5, 5)
    assert fresh.releases_last_year == 5 and fresh.total == 25
    old = score_breakdown(**base, release_upload=NOW - timedelta(days=366), has_release=True, vulnerabilities=2,
                          release_uploads=[NOW - timedelta(days=366)], declared_django=["3.2"],
                          supported_django=["6.0", "5.2"])
    assert (old.release_recency, old.release_cadence, old.django, old.no_vulnerabilities) == (5, 0, 0, 0)
    # Unknown release cycles count nothing rather than guess.
    assert score_breakdown(**base, declared_django=["5.2"], supported_django=None).django == 0


def test_the_page_shows_each_input_of_the_score(remote, fetcher, client):
    item = crispy(remote)
    fetch_package(item.id, fetcher=fetcher)
    score = reload(item).score
    page = html(client.get("/packages/p/django-crispy-forms/"))
    assert f"How the score of {score}" in page
    assert 'id="score-vulnerabilities">0.0</span> <span class="muted small">(2 known)' in page
    assert 'id="score-django">0.0</span> <span class="muted small">(release cycles not loaded yet)' in page
    assert 'id="score-cadence">' in page and 'id="score-release">' in page
    # Without the vulnerabilities, the stored score gains their points.
    remote.add_project({**VULNERABLE, "vulnerabilities": []}, "django-crispy-forms")
    fetch_package(item.id, fetcher=fetcher)
    assert reload(item).score == round(score + NO_VULNERABILITY_POINTS, 1)
    assert db.session.scalar(select(Version.number).where(Version.id == reload(item).current_release_id)) == "1.14.0"
