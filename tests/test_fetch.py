"""The fetch service against the fake hosts replaying real recorded responses: what is stored, exactly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.fakes.remote_hosts import SyntheticRepo
from tests.fetch_support import RECORDED_AT, package, reload
from webapp.catalog.models import Package, Version
from webapp.catalog.scoring import FORMULA
from webapp.extensions import db
from webapp.fetch.handlers.pypi import python3_from_requires
from webapp.fetch.models import HttpCacheEntry
from webapp.fetch.services import fetch_package
from webapp.repos import normalise_repo_url, pypi_name

UTC = timezone.utc


def weeks(**nonzero: int) -> list[int]:
    """52 weekly counts, zero except ``w11=1`` style entries."""
    counts = [0] * 52
    for key, value in nonzero.items():
        counts[int(key[1:])] = value
    return counts


# -- GitHub ----------------------------------------------------------------------------------------------------------

def test_github_repository_stores_exactly_what_github_said(remote, fetcher):
    deps = package("https://github.com/django/deps")

    outcome = fetch_package(deps.id, fetcher=fetcher)

    assert outcome.status == "updated"
    deps = reload(deps)
    assert deps.repo_description == "Django Enhancement Proposals"
    assert deps.repo_watchers == 401
    assert deps.repo_forks == 85
    assert deps.date_repo_archived is None
    assert deps.participants == [
        "carljm", "jacobian", "aaugustin", "andrewgodwin", "treyhunner", "ubernostrum", "jezdez", "adrianholovaty",
        "sjoerdjob", "akaariai", "carltongibson", "adamchainz", "ovangle", "timgraham", "thedrow", "nedbat",
        "MarkusH", "jdufresne", "thibaudcolas", "VishvajitP", "alexwlchan", "andreif", "berkerpeksag", "ewjoachim",
        "jarshwah", "mjtamlyn", "felixxm", "mblayman", "michael-k", "knyghty", "nessita",
    ]
    assert deps.last_commit_date == datetime(2023, 12, 19, 21, 59, 33, tzinfo=UTC)
    # Commits of 2023-04-06, 2023-10-23, 2023-10-30 and 2023-12-19 in the year before 2024-01-13.
    assert deps.commits_over_52 == weeks(w11=1, w40=1, w41=1, w48=1)
    assert deps.last_fetched == RECORDED_AT
    assert (deps.fetch_error, deps.fetch_error_at, deps.fetch_error_count) == ("", None, 0)
    assert deps.repo_missing_since is None
    # 10 × log10(402) + 30 × 3/13 (weeks 40, 41, 48 are among the last 13), no users, no PyPI release.
    assert deps.score == 32.9
    assert [hit.path for hit in remote.requests_to("github")] == [
        "/repos/django/deps", "/repos/django/deps/contributors?per_page=100",
        "/repos/django/deps/commits?per_page=1", "/repos/django/deps/stats/participation",
    ]
    assert not remote.requests_to("github", "rate_limit")


def test_archived_github_repository(remote, fetcher):
    paginator = package("https://github.com/pydanny/dj-paginator")

    fetch_package(paginator.id, fetcher=fetcher)

    paginator = reload(paginator)
    assert paginator.repo_description == "Django + Pagination made easy."
    assert (paginator.repo_watchers, paginator.repo_forks) == (36, 4)
    assert paginator.date_repo_archived == RECORDED_AT  # GitHub says archived, not since when: first seen
    assert paginator.participants == ["audreyfeldroy", "pydanny"]
    assert paginator.last_commit_date == datetime(2016, 11, 7, 8, 42, 39, tzinfo=UTC)
    assert paginator.commits_over_52 == [0] * 52
    # Archived: 10 × log10(37) = 15.7, halved.
    assert paginator.score == 7.8


def test_a_second_refresh_of_unchanged_github_repositories_spends_no_quota(remote, fetcher):
    deps = package("https://github.com/django/deps")
    paginator = package("https://github.com/pydanny/dj-paginator")
    fetch_package(deps.id, fetcher=fetcher)
    fetch_package(paginator.id, fetcher=fetcher)
    stored = reload(deps).participants, reload(deps).commits_over_52
    assert remote.github_counted == 8
    remote.reset_log()

    assert fetch_package(deps.id, fetcher=fetcher).status == "unchanged"
    assert fetch_package(paginator.id, fetcher=fetcher).status == "unchanged"

    assert remote.github_counted == 0
    hits = remote.requests_to("github")
    # The repository answered 304, so contributors and last commit cannot have changed: not asked.
    assert [(hit.path, hit.status) for hit in hits] == [
        ("/repos/django/deps", 304), ("/repos/django/deps/stats/participation", 304),
        ("/repos/pydanny/dj-paginator", 304), ("/repos/pydanny/dj-paginator/stats/participation", 304),
    ]
    assert (reload(deps).participants, reload(deps).commits_over_52) == stored
    assert fetcher.stats().hosts["GitHub"].not_modified == 4


def test_conditional_request_validators_are_kept_per_package(remote, fetcher):
    first = package("https://github.com/django/deps", slug="deps-one")
    second = package("https://github.com/django/deps", slug="deps-two")
    fetch_package(first.id, fetcher=fetcher)

    fetch_package(second.id, fetcher=fetcher)

    # The second package shares the repository but has no data yet: it must not get a 304.
    assert reload(second).repo_watchers == 401
    assert reload(second).participants == reload(first).participants
    entries = db.session.scalars(select(HttpCacheEntry).where(HttpCacheEntry.package_id == second.id)).all()
    rows = {entry.url.replace(f"{remote.base_url}/github", ""): entry for entry in entries}
    assert sorted(rows) == [
        "/repos/django/deps", "/repos/django/deps/commits?per_page=1",
        "/repos/django/deps/contributors?per_page=100", "/repos/django/deps/stats/participation",
        "address:repository",
    ]
    assert rows["/repos/django/deps"].etag == 'W/"c10ca93c29e2f6118cdc102b5f5b87e371ea02c22bf41ca82bfc0aaf8695fe3e"'
    assert rows["address:repository"].body == "https://github.com/django/deps"


def test_validators_of_an_earlier_address_are_not_trusted(remote, fetcher):
    item = package("https://github.com/django/deps")
    fetch_package(item.id, fetcher=fetcher)
    item.repo_url = "https://github.com/pydanny/dj-paginator"
    db.session.commit()
    fetch_package(item.id, fetcher=fetcher)
    assert reload(item).participants == ["audreyfeldroy", "pydanny"]
    item.repo_url = "https://github.com/django/deps"  # put back, as a revert would
    db.session.commit()
    remote.reset_log()

    fetch_package(item.id, fetcher=fetcher)

    # A 304 for django/deps' old validators would have kept dj-paginator's data.
    assert [hit.status for hit in remote.requests_to("github")] == [200, 200, 200, 200]
    assert reload(item).repo_watchers == 401
    assert len(reload(item).participants) == 31
    urls = db.session.scalars(select(HttpCacheEntry.url).where(HttpCacheEntry.package_id == item.id)).all()
    assert not any("dj-paginator" in url for url in urls)


def test_missing_github_repository_is_marked_and_its_data_kept(remote, fetcher, client):
    gone = package("https://github.com/djangopackages/does-not-exist", repo_description="It was here",
                   repo_watchers=12, participants=["someone"], commits_over_52=[1] * 52)

    outcome = fetch_package(gone.id, fetcher=fetcher)

    gone = reload(gone)
    assert outcome.status == "updated"
    assert gone.repo_missing_since == RECORDED_AT
    assert (gone.repo_description, gone.repo_watchers, gone.participants) == ("It was here", 12, ["someone"])
    assert gone.commits_over_52 == [1] * 52
    assert gone.fetch_error == ""  # a 404 is news about the repository, not a failure to fetch
    page = client.get(f"/packages/p/{gone.slug}/").get_data(as_text=True)
    assert "Repository not found" in page


# -- GitLab and Bitbucket --------------------------------------------------------------------------------------------

def test_gitlab_project_in_nested_groups(remote, fetcher):
    fields = package("https://gitlab.com/lansharkconsulting/django/django-encrypted-model-fields")

    fetch_package(fields.id, fetcher=fetcher)

    fields = reload(fields)
    assert fields.repo_description == ("A set of fields that wrap standard Django fields with encryption provided "
                                       "by the python cryptography library.")
    assert (fields.repo_watchers, fields.repo_forks) == (33, 25)
    assert fields.date_repo_archived is None
    assert fields.participants == [
        "Pavel Žák", "Jonathan DEKHTIAR", "Manuel Kaufmann", "Will Gordon", "Yoseph Radding", "Dylan Gregersen",
        "Matt Lewellyn", "Lucas Roesler", "nasief", "waseem-omar", "Josh Wright", "ghalebkhaled", "Dana Spiegel",
        "Scott Sharkey",
    ]
    # The newest recorded commit, 2022-07-12T09:28:12-04:00; none in the year before the recording.
    assert fields.last_commit_date == datetime(2022, 7, 12, 13, 28, 12, tzinfo=UTC)
    assert fields.commits_over_52 == [0] * 52
    assert [hit.path.split("?")[0] for hit in remote.requests_to("gitlab")] == [
        "/projects/lansharkconsulting%2Fdjango%2Fdjango-encrypted-model-fields",
        "/projects/6812925/repository/contributors",
        "/projects/6812925/repository/commits", "/projects/6812925/repository/commits",
    ]
    assert "since=2023-01-14T02:47:00Z" in remote.requests_to("gitlab")[2].path


def test_archived_and_missing_gitlab_projects(remote, fetcher):
    metadata = package("https://gitlab.com/jeff.triplett/django-metadata")
    missing = package("https://gitlab.com/jeff.triplett/does-not-exist", repo_watchers=3)

    fetch_package(metadata.id, fetcher=fetcher)
    fetch_package(missing.id, fetcher=fetcher)

    metadata = reload(metadata)
    # GitLab's \r\n is stored as \n, like all text (webapp/text.py).
    assert metadata.repo_description == ("Metadata package for models. \n\n"
                                         "My forked copy of: https://github.com/rafaelsierra/django-metadata")
    assert (metadata.repo_watchers, metadata.repo_forks) == (0, 0)
    assert metadata.date_repo_archived == RECORDED_AT
    assert metadata.participants == ["Israel Fruchter", "fruch", "Jeff Triplett", "Rafael Sierra"]
    assert metadata.last_commit_date == datetime(2014, 4, 27, 20, 54, 43, tzinfo=UTC)
    missing = reload(missing)
    assert missing.repo_missing_since == RECORDED_AT
    assert missing.repo_watchers == 3


def test_bitbucket_repository(remote, fetcher):
    mssql = package("https://bitbucket.org/Manfre/django-mssql")

    fetch_package(mssql.id, fetcher=fetcher)

    mssql = reload(mssql)
    assert mssql.repo_description == (
        "Microsoft SQL server backend for Django running on windows.\n\nNo actively maintained and only supports "
        "up to Django 1.8, which hasn't received security fixes for years.")
    assert (mssql.repo_watchers, mssql.repo_forks) == (16, 37)  # the "size" of watchers/ and forks/
    assert mssql.date_repo_archived is None  # Bitbucket has no archived state
    assert mssql.last_commit_date == datetime(2018, 8, 22, 18, 50, 22, tzinfo=UTC)
    assert mssql.participants == ["Manfre", "phistrom", "mu5h3r", "AdamChainz", "timograham", "jblissnge",
                                  "Erin Mullaney"]
    assert mssql.commits_over_52 == [0] * 52


def test_codeberg_repository(remote, fetcher):
    commits = [(RECORDED_AT - timedelta(days=2), "alice"), (RECORDED_AT - timedelta(days=3), "anon-bob"),
               (RECORDED_AT - timedelta(days=20), "alice"), (RECORDED_AT - timedelta(days=400), "carol")]
    commits += [(RECORDED_AT - timedelta(days=500 + day), "dave") for day in range(60)]
    remote.add_repo(SyntheticRepo("codeberg", "forge", "django-sample", 77, description="A sample", stars=9,
                                  forks=2, commits=commits))
    sample = package("https://codeberg.org/forge/django-sample.git")

    fetch_package(sample.id, fetcher=fetcher)

    sample = reload(sample)
    assert (sample.repo_description, sample.repo_watchers, sample.repo_forks) == ("A sample", 9, 2)
    assert sample.last_commit_date == RECORDED_AT - timedelta(days=2)
    assert sample.commits_over_52 == weeks(w49=1, w51=2)
    # Forgejo has no contributors endpoint: authors of the commits read (the year, and the first page).
    assert sample.participants == ["alice", "Anon-Bob", "carol", "dave"]
    assert sample.date_repo_archived is None
    # One page of 50 reached past the 52 weeks: no second page asked for.
    assert len(remote.requests_to("codeberg", "/commits")) == 1


# -- PyPI ------------------------------------------------------------------------------------------------------------

def version(item: Package, number: str) -> Version:
    return db.session.scalars(select(Version).where(Version.package_id == item.id, Version.number == number)).one()


def test_pypi_project_every_release(remote, fetcher):
    django = package(pypi_url="https://pypi.org/project/Django/")

    outcome = fetch_package(django.id, fetcher=fetcher)

    assert outcome.status == "updated"
    django = reload(django)
    assert django.pypi_version == "4.0.2"
    assert django.documentation_url == "https://docs.djangoproject.com/"
    assert django.documentation_url_from_pypi is True
    assert db.session.query(Version).filter_by(package_id=django.id).count() == 294
    latest = version(django, "4.0.2")
    assert latest.upload_time == datetime(2022, 2, 1, 7, 56, 23, 36066, tzinfo=UTC)
    assert (latest.license, latest.development_status) == ("BSD-3-Clause", "5 - Production/Stable")
    assert (latest.requires_python, latest.supports_python3, latest.yanked, latest.hidden) == (">=3.8", True,
                                                                                                False, False)
    prerelease = version(django, "4.0rc1")
    assert prerelease.upload_time == datetime(2021, 11, 22, 6, 37, 57, 726504, tzinfo=UTC)
    assert (prerelease.requires_python, prerelease.supports_python3) == (">=3.8", True)
    assert (prerelease.license, prerelease.development_status) == ("", "")  # PyPI only describes the latest
    no_files = version(django, "1.0.1")
    assert (no_files.upload_time, no_files.supports_python3, no_files.yanked) == (None, None, False)
    # 0 stars, no activity, no users; Python 3: 5; no known vulnerability: 5 (releases years old count nothing).
    assert django.score == 10.0


def test_pypi_projects_licences_and_python3(remote, fetcher):
    drf = package(pypi_url="https://pypi.org/project/djangorestframework/", documentation_url="https://drf.example/")
    crispy = package(pypi_url="django-crispy-forms")
    nango = package(pypi_url="https://pypi.python.org/pypi/nango")
    wagtail = package(pypi_url="https://pypi.org/project/wagtail")
    minify = package(pypi_url="https://pypi.org/project/django-minify-html/")

    for item in (drf, crispy, nango, wagtail, minify):
        assert fetch_package(item.id, fetcher=fetcher).status == "updated"

    drf = reload(drf)
    assert drf.pypi_version == "3.13.1"
    assert drf.documentation_url == "https://drf.example/"  # a person's entry is never replaced
    assert (version(drf, "3.13.1").license, version(drf, "3.13.1").requires_python) == ("BSD", ">=3.6")
    assert version(drf, "3.9.3").requires_python == ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*"
    assert version(drf, "3.9.3").supports_python3 is True
    assert version(drf, "0.1").supports_python3 is None  # neither requires_python nor classifiers for it
    assert version(drf, "0.1").upload_time == datetime(2011, 2, 21, 23, 0, 59, 984837, tzinfo=UTC)
    assert reload(crispy).pypi_version == "1.14.0"
    assert version(crispy, "1.14.0").license == "MIT"
    # nango's licence field is empty: its classifier names it.
    assert (reload(nango).pypi_version, version(nango, "0.1.2").license) == ("0.1.2", "MIT License")
    assert version(nango, "0.1.2").development_status == ""
    assert (reload(wagtail).pypi_version, version(wagtail, "2.16.1").license) == ("2.16.1", "BSD")
    assert db.session.query(Version).filter_by(package_id=minify.id).count() == 1
    assert version(minify, "1.0.0").upload_time == datetime(2021, 12, 28, 10, 37, 18, 583101, tzinfo=UTC)


def test_missing_pypi_project_is_an_error_that_keeps_the_releases(remote, fetcher):
    fett = package(pypi_url="https://pypi.org/project/django-fett/", pypi_version="0.3")
    db.session.add(Version(package_id=fett.id, number="0.3", license="BSD"))
    db.session.commit()

    outcome = fetch_package(fett.id, fetcher=fetcher)

    fett = reload(fett)
    assert outcome.status == "failed"
    assert fett.fetch_error == "PyPI: no project named “django-fett”"
    assert (fett.fetch_error_at, fett.fetch_error_count) == (RECORDED_AT, 1)
    assert fett.pypi_version == "0.3"
    assert version(fett, "0.3").license == "BSD"
    assert len(remote.requests_to("pypi")) == 1  # a 404 is not retried


def test_releases_pypi_no_longer_lists_are_hidden_not_deleted(remote, fetcher):
    minify = package(pypi_url="https://pypi.org/project/django-minify-html/")
    db.session.add(Version(package_id=minify.id, number="0.9", license="MIT"))
    db.session.commit()

    fetch_package(minify.id, fetcher=fetcher)

    assert version(minify, "0.9").hidden is True
    assert version(minify, "1.0.0").hidden is False


def test_second_pypi_fetch_is_a_304_and_changes_nothing(remote, fetcher):
    django = package(pypi_url="https://pypi.org/project/django/")
    fetch_package(django.id, fetcher=fetcher)

    assert fetch_package(django.id, fetcher=fetcher).status == "unchanged"

    assert [hit.status for hit in remote.requests_to("pypi")] == [200, 304]


def test_repository_and_pypi_together_and_the_formula(remote, fetcher, client):
    deps = package("https://github.com/django/deps", pypi_url="https://pypi.org/project/django/", usage_count=3)

    fetch_package(deps.id, fetcher=fetcher)

    # 26.0 (stars) + 6.9 (3 of 13 weeks) + 5 × log2(4) = 10.0 (users) + 5 (Python 3) + 5 (no known vulnerability)
    assert reload(deps).score == 52.9
    page = client.get("/packages/p/deps/").get_data(as_text=True)
    assert "52.9" in page
    assert FORMULA in page


# -- addresses -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("https://github.com/Django/Deps", "https://github.com/Django/Deps"),
    ("http://www.github.com/django/deps.git", "https://github.com/django/deps"),
    ("git@github.com:django/deps.git", "https://github.com/django/deps"),
    ("ssh://git@github.com/django/deps", "https://github.com/django/deps"),
    ("https://GitHub.com/django/deps/tree/main/docs", "https://github.com/django/deps"),
    ("github.com/django/deps/", "https://github.com/django/deps"),
    ("https://gitlab.com/lansharkconsulting/django/django-encrypted-model-fields/-/tree/develop",
     "https://gitlab.com/lansharkconsulting/django/django-encrypted-model-fields"),
    ("https://bitbucket.org/Manfre/django-mssql/src/master/", "https://bitbucket.org/Manfre/django-mssql"),
    ("https://codeberg.org/forge/django-sample.git", "https://codeberg.org/forge/django-sample"),
    ("https://git.example.org/team/tool", "https://git.example.org/team/tool"),
])
def test_repository_addresses_are_normalised(raw, expected):
    assert normalise_repo_url(raw) == expected


def test_unknown_hosts_are_kept_and_not_fetched(remote, fetcher):
    selfhosted = package("https://git.example.org/team/tool")

    outcome = fetch_package(selfhosted.id, fetcher=fetcher)

    assert outcome.status == "nothing to fetch"
    assert reload(selfhosted).repo_url == "https://git.example.org/team/tool"
    assert reload(selfhosted).last_fetched is None
    assert remote.hits == []


@pytest.mark.parametrize(("address", "name"), [
    ("https://pypi.org/project/django-invitations", "django-invitations"),
    ("https://pypi.org/project/Django/", "Django"),
    ("http://pypi.python.org/pypi/nango/0.1.2", "nango"),
    ("django-crispy-forms", "django-crispy-forms"),
    ("https://example.org/project/thing", None),
    ("", None),
])
def test_pypi_addresses(address, name):
    assert pypi_name(address) == name


@pytest.mark.parametrize(("spec", "answer"), [
    (">=3.8", True), (">=2.7, !=3.0.*, !=3.1.*", True), ("<3", False), ("==2.7.*", False), ("", None),
    ("not a specifier", None),
])
def test_python3_from_requires_python(spec, answer):
    assert python3_from_requires(spec) is answer
