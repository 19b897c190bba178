"""``flask import-djangopackages``: copying a djangopackages site through its API v4, from a fake on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.factories import make_category, make_package
from tests.fakes.djangopackages_api import RECORDED_HOST, FakeDjangoPackagesAPI, seed_package
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage
from webapp.importer.djangopackages import Importer


@pytest.fixture
def fake():
    with FakeDjangoPackagesAPI() as server:
        yield server


@pytest.fixture
def new_york(app):
    previous = app.config["TIME_ZONE"]
    app.config["TIME_ZONE"] = "America/New_York"
    yield
    app.config["TIME_ZONE"] = previous


@pytest.fixture
def run_import(app, tmp_path):
    """Run the command; returns its result (exit code and output)."""
    state = tmp_path / "import-state.json"

    def run(source: str, *extra: str):
        runner = app.test_cli_runner()
        return runner.invoke(args=["import-djangopackages", "--from", source, "--page-size", "3", "--retries", "1",
                                   "--retry-wait", "0", "--state-file", str(state), *extra])

    run.state = state
    return run


def api_snapshot(client) -> dict:
    """Everything the API shows, to compare before and after."""
    return {kind: client.get(f"/api/v4/{kind}/?limit=100").get_json()
            for kind in ("packages", "grids", "categories")}


def test_import_copies_categories_packages_and_grids(client, fake, run_import, new_york):
    fake.fail_pages.add(("packages", 3))  # the second page of packages always answers 500
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Importing categories" in output and "Importing packages" in output and "Importing grids" in output
    assert "categories: 4 created, 0 updated" in output
    assert "packages: 8 created, 0 updated, 2 skipped" in output
    assert "grids: 3 created, 0 updated" in output
    assert "grid packages: 8 created, 0 updated" in output
    assert "pages that could not be read: 1" in output
    assert "package #4242 skipped: missing field 'slug'" in output
    assert "packages/?limit=3&offset=3 answered HTTP 500; skipped packages 4–6" in output
    assert "packages/8888/ could not be fetched" in output

    # The seed package (on the page that failed, so fetched through its grids) is exactly as recorded.
    body = client.get("/api/v4/packages/2674/").get_json()
    expected = json.loads(json.dumps(seed_package()).replace(RECORDED_HOST, "http://localhost"))
    assert body == expected
    assert client.get("/api/v4/packages/django-invitations/").get_json() == expected

    # Ids and slugs are kept.
    categories = client.get("/api/v4/categories/").get_json()["results"]
    assert [(c["id"], c["slug"]) for c in categories] == [(4, "projects"), (3, "other"), (2, "frameworks"),
                                                          (1, "apps")]
    assert client.get("/api/v4/categories/1/").get_json()["modified"] == "2022-03-04T21:48:41.249944-05:00"
    ids = {p["id"] for p in client.get("/api/v4/packages/?limit=100").get_json()["results"]}
    assert ids == {7000, 5810, 3142, 2674, 976, 34, 12, 9999}
    grid = client.get("/api/v4/grids/healt-checkers/").get_json()
    assert grid["id"] == 439
    assert grid["packages"] == [f"http://localhost/api/v4/packages/{pid}/" for pid in (2674, 5810, 976, 9999)]
    assert client.get("/api/v4/grids/282/").get_json()["packages"] == [
        "http://localhost/api/v4/packages/2674/", "http://localhost/api/v4/packages/3142/"]
    assert db.session.scalar(select(Grid.package_count).where(Grid.id == 439)) == 4
    cms = client.get("/api/v4/packages/12/").get_json()
    assert cms["last_fetched"] is None and cms["category"].endswith("/categories/2/")
    # A finished run leaves no position behind.
    assert not run_import.state.exists()


def test_second_run_changes_nothing(client, fake, run_import):
    fake.fail_pages.add(("packages", 3))
    assert run_import(fake.base_url).exit_code == 0
    before = api_snapshot(client)
    second = run_import(fake.root)  # the API root works as well as the site
    assert second.exit_code == 0, second.output
    for kind in ("categories", "packages", "grids", "grid packages"):
        assert f"{kind}: 0 created, 0 updated" in second.output
    assert "categories: 0 created, 0 updated, 4 unchanged" in second.output
    assert api_snapshot(client) == before


def test_a_changed_source_updates_only_what_changed(client, fake, run_import):
    assert run_import(fake.base_url).exit_code == 0
    toolbar = next(p for p in fake.data["packages"] if isinstance(p, dict) and p["id"] == 34)
    toolbar["repo_watchers"] = 8000
    toolbar["participants"] = ["tim", "matthias"]
    fake.data["grids"][1]["title"] = "Registration and sign-up"
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert "packages: 0 created, 1 updated" in result.output
    assert "grids: 0 created, 1 updated" in result.output
    assert "categories: 0 created, 0 updated, 4 unchanged" in result.output
    body = client.get("/api/v4/packages/34/").get_json()
    assert body["repo_watchers"] == 8000 and body["participants"] == ["tim", "matthias"]
    assert client.get("/api/v4/grids/282/").get_json()["title"] == "Registration and sign-up"


def test_an_interrupted_import_continues_where_it_stopped(app, client, fake, run_import):
    pages_done = []

    def stop_after_first_package_page(stage: str, url: str) -> None:
        pages_done.append((stage, url))
        if stage == "packages":
            raise KeyboardInterrupt

    importer = Importer(fake.base_url, retries=0, retry_wait=0, page_size=3, state_path=run_import.state,
                        on_page=stop_after_first_package_page)
    with pytest.raises(KeyboardInterrupt):
        importer.run()
    assert run_import.state.exists()
    assert db.session.scalar(select(func.count()).select_from(Package)) == 2  # 7000 and 5810; 4242 is bad
    first_page = "/api/v4/packages/?limit=3"
    category_pages = [entry for entry in fake.log if entry.startswith("/api/v4/categories/")]
    assert fake.requested(first_page) == 1

    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert "Continuing an interrupted import from" in result.output
    assert "offset=3" in result.output.split("Continuing an interrupted import from", 1)[1].splitlines()[0]
    assert fake.requested(first_page) == 1  # not asked again
    assert [entry for entry in fake.log if entry.startswith("/api/v4/categories/")] == category_pages
    assert "categories: 0 created" in result.output
    assert "packages: 6 created" in result.output
    assert {p["id"] for p in client.get("/api/v4/packages/?limit=100").get_json()["results"]} == {
        7000, 5810, 3142, 2674, 976, 34, 12, 9999}
    assert not run_import.state.exists()


def test_restart_ignores_a_stale_position(fake, run_import):
    run_import.state.write_text(json.dumps({"source": fake.base_url, "stage": "grids", "next": None,
                                            "done": ["categories", "packages"]}))
    result = run_import(fake.base_url, "--restart")
    assert result.exit_code == 0, result.output
    assert "Continuing" not in result.output
    assert "categories: 4 created" in result.output


def test_a_slug_taken_here_skips_only_that_package(client, fake, run_import):
    local = make_package("django-watchman", category=make_category("Local"))
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert "package #976 skipped: slug 'django-watchman' belongs to another package here" in result.output
    assert client.get(f"/api/v4/packages/{local.id}/").get_json()["slug"] == "django-watchman"
    assert client.get("/api/v4/packages/976/").status_code == 404
    assert client.get("/api/v4/packages/2674/").status_code == 200


def test_pages_that_are_not_json_are_reported(fake, run_import):
    fake.fail_pages.add(("categories", 0))
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert "categories/?limit=3 answered HTTP 500; skipped categories 1–3" in result.output
    # Packages still come in: their categories are fetched one by one when missing.
    assert db.session.scalar(select(func.count()).select_from(Category)) == 4
    assert db.session.scalar(select(func.count()).select_from(Package)) == 8


def test_a_page_that_fails_for_a_while_is_asked_again_and_read(fake, run_import):
    fake.flaky_pages[("packages", 3)] = 2  # answers 503 twice, then the page
    result = run_import(fake.base_url, "--retries", "2")
    assert result.exit_code == 0, result.output
    assert fake.requested("/api/v4/packages/?limit=3&offset=3") == 3
    assert "could not be read" not in result.output and "answered HTTP 503" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Package)) == 8


def test_a_page_that_keeps_failing_is_asked_retries_plus_one_times_then_skipped(fake, run_import):
    fake.fail_pages.add(("packages", 3))
    fake.flaky_pages[("categories", 0)] = 3  # one more failure than --retries 2 allows
    result = run_import(fake.base_url, "--retries", "2")
    assert result.exit_code == 0, result.output
    assert fake.requested("/api/v4/packages/?limit=3&offset=3") == 3
    assert fake.requested("/api/v4/categories/?limit=3") == 3
    assert "packages/?limit=3&offset=3 answered HTTP 500; skipped packages 4–6" in result.output
    assert "categories/?limit=3 answered HTTP 503; skipped categories 1–3" in result.output


def test_retry_waits_grow_by_retry_wait_per_attempt_and_bound_the_page():
    """``--retry-wait 0.5``: 0.5 s, 1 s, 1.5 s between attempts (as before urllib3 did the retrying)."""
    from urllib3.exceptions import ConnectTimeoutError

    from webapp.importer.djangopackages import ImportRetry

    retry = ImportRetry.for_importer(3, 0.5)
    waits = []
    for _ in range(3):
        retry = retry.increment("GET", "/api/v4/packages/", error=ConnectTimeoutError())
        waits.append(retry.get_backoff_time())
    assert waits == [0.5, 1.0, 1.5]
    importer = Importer("http://127.0.0.1:9/", retries=3, retry_wait=0, deadline=10)
    assert importer.page_deadline == 40  # four attempts of 10 s, no waits


def test_new_rows_after_an_import_get_fresh_ids(client, fake, run_import):
    assert run_import(fake.base_url).exit_code == 0
    package = make_package("made-here", category=db.session.get(Category, 1))
    assert package.id > 9999  # PostgreSQL's sequences were moved past the imported ids
    category = make_category("Made here")
    assert category.id > 4


def test_unreachable_source_is_a_clear_error(run_import):
    result = run_import("http://127.0.0.1:1")
    assert result.exit_code != 0
    assert "Nothing imported" in result.output
    assert db.session.scalar(select(func.count()).select_from(GridPackage)) == 0


def test_not_a_djangopackages_api(client, run_import, fake):
    result = run_import(f"{fake.base_url}/api/v4/packages/")
    assert result.exit_code != 0
    assert "is not a djangopackages API v4 root" in result.output


# -- bounded reading: size, other sites, endless pagination --------------------------------------------------------


@pytest.fixture
def other_site():
    """Another server (another port): it records any request that reaches it."""
    from tests.fakes.recorder import RecordingHost

    with RecordingHost(status=200, body={"count": 0, "next": None, "previous": None, "results": []}) as host:
        yield host


def test_an_oversized_page_is_reported_and_skipped(fake, run_import):
    fake.huge_pages[("packages", 3)] = 60 * 1024 * 1024  # streamed as it is generated, never held whole
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert "packages/?limit=3&offset=3: answer larger than 20 MB; skipped packages 4–6" in result.output
    assert fake.requested("/api/v4/packages/?limit=3&offset=3") == 1  # not asked again: it would be as big
    assert "packages: 8 created" in result.output  # the others, and those grids list, came in
    assert db.session.get(Package, 7000) is not None


def test_a_next_page_on_another_site_is_not_followed(fake, run_import, other_site):
    fake.next_links["categories"] = lambda offset, limit: f"{other_site.base_url}/api/v4/categories/?offset=3"
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert (f"the categories page after {fake.base_url}/api/v4/categories/?limit=3 is on another site "
            f"({other_site.base_url}/api/v4/categories/?offset=3); not followed") in result.output
    assert other_site.seen == []
    assert "packages: 8 created" in result.output  # categories a package needs are fetched from the site itself


def test_endpoints_on_another_site_stop_the_import(fake, run_import, other_site, monkeypatch):
    original = fake.answer

    def root_elsewhere(path, query):
        status, body = original(path, query)
        if path.rstrip("/") == "/api/v4":
            body = {**body, "grids": f"{other_site.base_url}/api/v4/grids/"}
        return status, body

    monkeypatch.setattr(fake, "answer", root_elsewhere)
    result = run_import(fake.base_url)
    assert result.exit_code != 0
    assert "lists endpoints on another site" in result.output
    assert other_site.seen == []


def test_a_next_link_that_always_changes_stops_at_the_page_cap(fake, run_import):
    spin = iter(range(1_000_000))

    def always_new(offset: int, limit: int) -> str | None:
        turn = next(spin)  # (ends after 50 pages, so that an importer without a cap fails instead of hanging)
        return f"{fake.base_url}/api/v4/categories/?limit={limit}&offset={offset}&spin={turn}" if turn < 50 else None

    fake.next_links["categories"] = always_new
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    # 4 categories at 3 a page need 2 pages; a few more are allowed, then the stage ends.
    assert "stopped reading categories after 7 pages: the site links to more pages than its count (4) needs" \
        in result.output
    assert len([entry for entry in fake.log if entry.startswith("/api/v4/categories/?")]) == 7
    assert "grids: 3 created" in result.output  # the next stages still run

    fake.log.clear()
    result = run_import(fake.base_url, "--max-pages", "2", "--restart")
    assert "stopped reading categories after 2 pages: --max-pages is 2" in result.output


def test_a_next_link_back_to_a_page_already_read_ends_the_stage(fake, run_import):
    fake.next_links["categories"] = lambda offset, limit: f"{fake.base_url}/api/v4/categories/?limit={limit}"
    result = run_import(fake.base_url)
    assert result.exit_code == 0, result.output
    assert f"the categories pages lead back to {fake.base_url}/api/v4/categories/?limit=3" in result.output
