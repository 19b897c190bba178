"""Readiness (issue 12, part a): release cycles from endoflife.date, which packages declare each, and what blocks
an upgrade. The cycles come from a fake endoflife.date replaying its recorded answers (tests/fixtures/endoflife)."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.editing_support import post
from tests.factories import make_grid, make_package
from tests.fetch_support import package
from tests.helpers import token_of
from webapp.catalog.models import ReleaseCycle, SupportProduct
from webapp.extensions import db
from webapp.fetch.services import fetch_package
from webapp.readiness.requirements import parse_requirements


def stored(product: str) -> dict[str, ReleaseCycle]:
    db.session.expire_all()
    return {row.cycle: row for row in db.session.scalars(
        select(ReleaseCycle).where(ReleaseCycle.product == SupportProduct(product)))}


@pytest.fixture
def overhead(client, count_queries, page_cache_off) -> int:
    """What any page costs before its own queries (the layout's, such as the site banner): a 404 page's count."""
    with count_queries() as counter:
        assert client.get("/readiness/no/such/page/").status_code == 404
    return counter.count


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


# -- the release cycles -----------------------------------------------------------------------------------------


def test_the_command_stores_every_cycle_as_endoflife_date_gives_it(run, endoflife):
    result = run("readiness", "refresh")

    assert result.exit_code == 0, result.output
    assert "Django: 23 cycles, 23 new or changed" in result.output
    django, python, wagtail = stored("django"), stored("python"), stored("wagtail")
    assert (len(django), len(python), len(wagtail)) == (23, 17, 36)
    lts = django["5.2"]
    assert (lts.release_date, lts.support_date, lts.eol_date, lts.latest, lts.lts) == (
        date(2025, 4, 2), date(2025, 12, 3), date(2028, 4, 30), "5.2.17", True)
    # "support": true instead of a date.
    assert (python["2.6"].support_date, python["2.6"].support_flag, python["2.6"].eol_date) == (
        None, True, date(2013, 10, 29))
    assert wagtail["7.4"].lts is True and django["6.1"].lts is False
    assert sorted(endoflife.log) == ["/api/django.json", "/api/python.json", "/api/wagtail.json"]

    again = run("readiness", "refresh", "django")
    assert again.exit_code == 0 and "Django: 23 cycles, 0 new or changed" in again.output


@pytest.mark.parametrize(("status", "body"), [
    (500, b"Internal Server Error"),
    (200, b'{"message": "not a list"}'),
    (200, b"[]"),
    (200, b'[{"cycle": "not a version"}]'),
    (200, b"<html>garbage"),
])
def test_a_failed_refresh_keeps_the_last_good_data(run, cycles, endoflife, status, body):
    before = {cycle: (row.eol_date, row.latest) for cycle, row in stored("django").items()}
    endoflife.answers["python"] = [{"cycle": "3.99", "releaseDate": "2030-10-01", "eol": False, "latest": "3.99.0"}]
    endoflife.fail("django", status, body)

    result = run("readiness", "refresh")

    assert result.exit_code == 1
    assert "Django: kept the stored cycles" in result.output
    assert {cycle: (row.eol_date, row.latest) for cycle, row in stored("django").items()} == before
    assert list(stored("python")) == ["3.99"]  # the other products were refreshed (and a cycle gone is dropped)


def test_the_periodic_refresh_refreshes_the_cycles(app, endoflife):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fetch", "--every", "1s", "--times", "1"])

    assert result.exit_code == 0, result.output
    assert "Release cycles: Django: 23 cycles" in result.output
    assert len(stored("wagtail")) == 36


def test_the_rq_cron_job_refreshes_the_cycles(app, endoflife):
    from webapp.fetch.jobs import periodic_refresh_job

    assert periodic_refresh_job() == 1
    assert len(stored("python")) == 17


# -- the readiness pages ------------------------------------------------------------------------------------------


def test_the_index_lists_the_cycles_per_product(client, cycles, count_queries, overhead):
    with count_queries() as counter:
        body = client.get("/readiness/").get_data(as_text=True)
    assert counter.count == overhead + 1
    assert 'href="/readiness/django/5.2/">Django 5.2</a> <span class="badge badge-accent" title="Long-term support">' \
           'LTS</span>' in body
    assert "Apr 30, 2028" in body and "Dec 3, 2025" in body  # 5.2: end of life, end of bug fixes
    assert 'href="/readiness/python/2.6/"' in body and 'href="/readiness/wagtail/0.8/"' in body
    assert "older cycles past end of life" in body


def test_an_empty_index_says_how_to_fill_it(client):
    assert "flask readiness refresh" in client.get("/readiness/").get_data(as_text=True)


def _section(body: str, section: str) -> str:
    match = re.search(rf'<(section|div)[^>]* id="{section}"[^>]*>(.*?)</\1>', body, re.S)
    assert match, section
    return match.group(2)


def _listed(body: str, section: str) -> list[str]:
    return re.findall(r'<a href="/packages/p/([^/]+)/">', _section(body, section))


def test_djangorestframework_is_ready_for_django_4_0_and_has_not_declared_5_2(client, cycles, remote, fetcher):
    drf = package(pypi_url="https://pypi.org/project/djangorestframework/", usage_count=5)
    crispy = package(pypi_url="django-crispy-forms", usage_count=3)
    for item in (drf, crispy):
        fetch_package(item.id, fetcher=fetcher)

    body = client.get("/readiness/django/4.0/").get_data(as_text=True)
    assert _listed(body, "ready") == ["djangorestframework", "django-crispy-forms"]
    assert "djangorestframework</a> <span class=\"muted small\">3.13.1</span>" in body
    assert '<strong id="ready-count">2 of 2</strong>' in body

    body = client.get("/readiness/django/5.2/").get_data(as_text=True)
    assert _listed(body, "ready") == []
    not_declared = _section(body, "not-declared")
    assert "djangorestframework" in not_declared and "django-crispy-forms" in not_declared
    # Both released before Django 5.2 came out (Dec 2021, Feb 2022).
    assert _listed(body, "no-release-since") == ["djangorestframework", "django-crispy-forms"]
    assert "released Dec 15, 2021" in body

    body = client.get("/readiness/python/3.6/").get_data(as_text=True)
    assert _listed(body, "ready") == ["djangorestframework"]


def test_packages_released_since_a_cycle_without_declaring_it(client, cycles):
    late = make_package("late", usage_count=2)
    late.current_release.classifiers = ["Framework :: Django :: 4.2"]
    ready = make_package("ready-one", usage_count=1)
    ready.current_release.classifiers = ["Framework :: Django :: 4.2", "Framework :: Django :: 5.2"]
    removed = make_package("removed-one", usage_count=9, removed_at=datetime.now(timezone.utc))
    removed.current_release.classifiers = ["Framework :: Django :: 5.2"]
    db.session.commit()

    body = client.get("/readiness/django/5.2/").get_data(as_text=True)
    assert _listed(body, "released-since") == ["late"]
    assert "declares 4.2" in body
    assert _listed(body, "ready") == ["ready-one"]
    assert "removed-one" not in body


def test_only_wagtail_packages_count_for_wagtail(client, cycles):
    plain = make_package("plain", usage_count=5)
    plain.current_release.classifiers = ["Framework :: Django :: 5.2"]
    extras = make_package("wagtail-extras", usage_count=1)
    extras.current_release.classifiers = ["Framework :: Wagtail", "Framework :: Wagtail :: 7"]
    db.session.commit()

    body = client.get("/readiness/wagtail/7.4/").get_data(as_text=True)
    assert _listed(body, "ready") == ["wagtail-extras"]
    assert "plain" not in body


def test_a_grid_links_to_its_readiness_pages(client, cycles, count_queries, overhead):
    members = [make_package(f"member-{index}") for index in range(3)]
    members[0].current_release.classifiers = ["Framework :: Django :: 5.2"]
    db.session.commit()
    make_grid("Members", packages=members)
    outsider = make_package("outsider", usage_count=50)
    outsider.current_release.classifiers = ["Framework :: Django :: 5.2"]
    db.session.commit()

    grid_page = client.get("/grids/g/members/").get_data(as_text=True)
    assert 'href="/readiness/django/5.2/?grid=members"' in grid_page
    assert 'href="/readiness/django/4.2/' not in grid_page  # past end of life: not offered

    with count_queries() as counter:
        body = client.get("/readiness/django/5.2/?grid=members").get_data(as_text=True)
    assert counter.count == overhead + 3  # the cycle, the grid, its packages
    assert _listed(body, "ready") == ["member-0"]
    assert sorted(_listed(body, "not-declared")) == ["member-1", "member-2"]
    assert "outsider" not in body
    assert 'href="/grids/g/members/">Members</a>' in body


def test_cycle_pages_run_a_fixed_number_of_queries(client, cycles, count_queries, overhead):
    def measure() -> int:
        with count_queries() as counter:
            assert client.get("/readiness/django/5.2/").status_code == 200
        return counter.count

    few = measure()
    for index in range(12):
        item = make_package(f"pkg-{index}", usage_count=index)
        item.current_release.classifiers = ["Framework :: Django :: 5.2"] if index % 2 else []
    db.session.commit()
    assert few == measure() == overhead + 2  # the cycle, the packages


@pytest.mark.parametrize("path", ["/readiness/django/9.9/", "/readiness/perl/5.2/", "/readiness/django/5.2/?grid=nope",
                                  "/readiness/django/%00/", "/readiness/django/5.2/?grid=%00"])
def test_unknown_products_cycles_and_grids_are_404_pages(client, cycles, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["Content-Type"]


# -- what blocks my upgrade ---------------------------------------------------------------------------------------


def test_requirements_are_read_like_pip_reads_them():
    parsed = parse_requirements(
        "# a comment\n\nDjango>=4.2  # inline comment\n-r base.txt\n--index-url https://example.org\n"
        "djangorestframework==3.13.1 \\\n    --hash=sha256:abc\nDjango_Crispy.Forms[extra]; python_version >= '3.8'\n"
        "-e ./src\nthis is not a requirement\nwagtail @ https://example.org/wagtail.zip\ndjango\n")
    assert parsed.names == ["django", "djangorestframework", "django-crispy-forms", "wagtail"]
    assert parsed.spelled["django-crispy-forms"] == "Django_Crispy.Forms"
    assert parsed.unreadable == [(10, "this is not a requirement")]


def test_what_blocks_an_upgrade(client, cycles, count_queries, overhead):
    ready = make_package("ready-one", pypi_url="https://pypi.org/project/Ready_One/")
    ready.current_release.classifiers = ["Framework :: Django :: 5.2"]
    behind = make_package("behind", pypi_url="behind")
    behind.current_release.classifiers = ["Framework :: Django :: 4.2"]
    make_package("no-pypi")  # known by its slug
    db.session.commit()
    with count_queries() as counter:
        form = client.get("/readiness/check/?target=django:5.2")
    assert counter.count == overhead + 1
    assert '<option selected value="django:5.2">Django 5.2</option>' in form.get_data(as_text=True)

    token = token_of(client)
    with count_queries() as counter:
        response = post(client, "/readiness/check/", {
            "target": "django:5.2", "requirements": "ready.one==1.0\nbehind\nno-pypi\nunheard-of\n!!!\nDjango\n",
            "csrf_token": token}, csrf=False)
    assert response.status_code == 200
    assert counter.count == overhead + 2  # the cycles, the packages
    body = response.get_data(as_text=True)
    result = _section(body, "check-result")
    assert re.findall(r'<a href="/packages/p/([^/]+)/">', result.split('id="ready"')[0]) == ["behind", "no-pypi"]
    assert re.findall(r'<a href="/packages/p/([^/]+)/">', result.split('id="ready"')[1].split("</ul>")[0]) == [
        "ready-one"]
    assert "unheard-of" in result.split('id="unknown"')[1]
    unknown = result.split('id="unknown"')[1].split("</p>")[0]
    assert "unheard-of" in unknown and "Django" not in unknown  # what is being upgraded blocks nothing
    assert "line 5: <code>!!!</code>" in result


@pytest.mark.parametrize(("data", "message"), [
    ({"target": "django:5.2", "requirements": ""}, "Paste at least one requirement."),
    ({"target": "django:5.2", "requirements": "# only a comment\n-r base.txt"}, "No requirement found"),
    ({"target": "django:0.0", "requirements": "django"}, "Not a valid choice"),
    ({"target": "django:5.2", "requirements": "\n".join(f"p{index}" for index in range(301))}, "at most 300 projects"),
    ({"target": "django:5.2", "requirements": "x\n" * 1001}, "at most 1000 lines"),
])
def test_bad_check_forms_are_form_errors(client, cycles, data, message):
    response = post(client, "/readiness/check/", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_checking_changes_nothing_and_needs_the_csrf_token(client, cycles):
    before = db.session.scalar(select(func.count()).select_from(ReleaseCycle))
    assert post(client, "/readiness/check/", {"target": "django:5.2", "requirements": "x"}, csrf=False
                ).status_code == 400
    assert post(client, "/readiness/check/", {"target": "django:5.2", "requirements": "x"}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ReleaseCycle)) == before


def test_the_readiness_pages_are_cached_for_anonymous_readers_and_follow_a_refresh(app, client, cycles, endoflife,
                                                                                  count_queries):
    from webapp.readiness.commands import refresh_and_commit

    for path in ("/readiness/", "/readiness/django/5.2/"):
        client.get(path)
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        assert counter.count == 1, path  # the cache versions only
    endoflife.answers["django"][2]["latest"] = "5.2.99"
    refresh_and_commit([SupportProduct.DJANGO])
    assert "5.2.99" in client.get("/readiness/django/5.2/").get_data(as_text=True)
    assert "5.2.99" in client.get("/readiness/").get_data(as_text=True)


def test_the_demo_has_cycles_and_declared_versions(client, demo):
    body = client.get("/readiness/").get_data(as_text=True)
    assert 'href="/readiness/django/5.2/"' in body
    page = client.get("/readiness/django/5.2/").get_data(as_text=True)
    # The demo's classifiers follow each release's date, some lagging behind: every group has packages.
    assert _listed(page, "ready") and _listed(page, "released-since") and _listed(page, "no-release-since")
