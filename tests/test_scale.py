"""Lists cost the same at any catalogue size: whole-table counts are stored (webapp/counters.py) and kept exact
by every kind of write, list pages count nothing per request, and every list order is read from an index."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import csrf_token_for, password_hash
from webapp import counters
from webapp.catalog.models import Flag, Package
from webapp.catalog.queries import PACKAGE_SORTS, package_list_statement
from webapp.extensions import db
from webapp.grids.queries import GRID_SORTS, grid_list_statement
from webapp.history.models import Change

from .editing_support import post


def _fresh() -> dict[str, object]:
    db.session.expire_all()
    with db.engine.connect() as connection:
        return counters.fresh_values(connection)


def _check() -> list[str]:
    with db.engine.connect() as connection:
        return counters.check(connection)


# -- the counters stay exact -----------------------------------------------------------------------------------


def _make_categories_and_staff(client, auth, ctx):
    ctx.update(apps=make_category("App", slug="x-apps"), tools=make_category("Tool", slug="x-tools"),
               staff=make_user("stella", password_hash=password_hash(), is_staff=True))
    make_category("Empty", slug="empty")
    db.session.commit()


def _sign_up(client, auth, ctx):
    data = {"username": "newperson", "email": "new@example.org", "password": "a long password",
            "confirm": "a long password", "csrf_token": csrf_token_for(client, "/accounts/signup/")}
    assert client.post("/accounts/signup/", data=data).status_code == 302
    auth.logout()
    auth.sign_in(ctx["staff"])


def _add_package(client, auth, ctx):
    response = post(client, "/packages/add/", {"title": "Fancy Widgets", "slug": "fancy-widgets",
                                               "category": ctx["apps"].id, "repo_url": "https://github.com/acme/fw",
                                               "pypi_url": "", "documentation_url": ""})
    assert response.status_code == 302, response.get_data(as_text=True)


def _change_category(client, auth, ctx):
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    response = post(client, "/packages/fancy-widgets/edit/", {
        "title": package.title, "slug": package.slug, "category": ctx["tools"].id, "repo_url": package.repo_url,
        "pypi_url": "", "documentation_url": "", "revision": package.revision, "package_id": package.id})
    assert response.status_code == 302, response.get_data(as_text=True)


def _remove_by_moderation(client, auth, ctx):
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    flag = Flag(package_id=package.id, user_id=ctx["staff"].id, reason="spam")
    db.session.add(flag)
    db.session.commit()
    assert post(client, f"/moderation/flags/{flag.id}/approve/").status_code == 302


def _restore(client, auth, ctx):
    removal = db.session.scalar(select(Change).where(Change.field == "removed_at"))
    assert post(client, f"/history/{removal.id}/revert/").status_code == 302


def _create_grid(client, auth, ctx):
    response = post(client, "/grids/add/", {"title": "Task queues", "slug": "scale-sweep-grid", "description": ""})
    assert response.status_code == 302, response.get_data(as_text=True)


def _delete_grid(client, auth, ctx):
    assert post(client, "/grids/g/scale-sweep-grid/delete/").status_code == 302


def _delete_package(client, auth, ctx):
    assert post(client, "/packages/fancy-widgets/delete/").status_code == 302


def _load_demo(client, auth, ctx):
    from webapp.demo.loader import load_demo

    load_demo()
    db.session.commit()


def _sql_by_hand(client, auth, ctx):
    db.session.execute(text("UPDATE users SET is_active = :no WHERE username = 'newperson'"), {"no": False})
    db.session.execute(text("UPDATE packages SET stats_are_demo = :no, category_id = :tools "
                            "WHERE id = (SELECT min(id) FROM packages)"), {"no": False, "tools": ctx["tools"].id})
    db.session.execute(text("DELETE FROM categories WHERE slug = 'empty'"))
    db.session.commit()


WRITES = [_load_demo, _make_categories_and_staff, _sign_up, _add_package, _change_category, _remove_by_moderation,
          _restore, _create_grid, _delete_grid, _delete_package, _sql_by_hand]


def test_every_kind_of_write_keeps_every_stored_counter_equal_to_a_fresh_count(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "off")
    ctx: dict = {}
    assert _check() == []
    moved: set[str] = set()
    before = _fresh()
    for write in WRITES:
        write(client, auth, ctx)
        after = _fresh()
        assert after != before, f"{write.__name__} changed no counter: the sweep would prove nothing"
        assert _check() == [], write.__name__
        moved |= {name for name in after if after[name] != before[name]}
        before = after
    assert moved == {counter.name for counter in counters.COUNTERS}, "a counter that no write of the sweep moves"


def test_a_missing_counter_row_is_counted_afresh_not_shown_as_zero(client):
    make_package("one")
    db.session.execute(text("DELETE FROM site_counters WHERE name = 'packages'"))
    db.session.commit()
    assert counters.read("packages") == {"packages": 1}


# -- list pages count nothing per request ----------------------------------------------------------------------


def _list_pages(app) -> list[str]:
    pages = ["/", "/packages/", "/categories/", "/categories/apps/", "/grids/", "/sitemap.xml",
             "/feeds/packages/latest/rss/", "/feeds/packages/latest/atom/"]
    pages += [f"/packages/?sort={key}" for key in PACKAGE_SORTS]
    pages += [f"/categories/apps/?sort={key}&page=2" for key in PACKAGE_SORTS]
    pages += [f"/grids/?sort={key}" for key in GRID_SORTS]
    # Every API list (a GET rule without arguments under /api/), v3 and v4.
    pages += sorted(rule.rule for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/api/") and not rule.arguments and "GET" in rule.methods
                    and not rule.rule.startswith("/api/v1/"))  # API v1 is gone: a 410 reading nothing
    return pages


COUNT = re.compile(r"\bcount\s*\(", re.IGNORECASE)


def test_home_and_list_pages_run_no_count_over_a_whole_table(app, client, auth, count_queries, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)  # every request reads the database
    apps = make_category("App", slug="apps")
    packages = [make_package(f"p{n}", category=apps) for n in range(35)]
    make_grid("G", packages=packages[:3])
    auth.new_user("reader")  # /api/v3/users/ is for signed-in people
    pages = _list_pages(app)
    assert len(pages) > 30
    for page in pages:
        with count_queries() as counter:
            response = client.get(page)
        assert response.status_code == 200, page
        assert any(re.search(r"\b(packages|grids|categories|users|site_counters)\b", s) for s in counter.statements) \
            or page.endswith(("/api/v4/", "/api/v3/", ".json")), f"{page} read nothing: nothing was checked"
        counting = [s for s in counter.statements if COUNT.search(s)]
        assert counting == [], f"{page} counts per request: {counting}"


def test_the_lists_show_the_stored_totals_and_a_page_past_the_end_is_the_last(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    apps = make_category("App", slug="apps")
    for n in range(31):
        make_package(f"p{n:02}", category=apps)
    make_package("gone", category=apps).removed_at = db.func.now()
    make_package("elsewhere")
    db.session.commit()
    assert "Showing 31–32 of 32 packages" in client.get("/packages/?sort=title&page=9").get_data(as_text=True)
    page = client.get("/categories/apps/?sort=title&page=2").get_data(as_text=True)
    assert "Showing 31–31 of 31 packages" in page and "p30" in page
    assert "Showing 1–1 of 1 packages" in client.get("/packages/?q=elsewhere").get_data(as_text=True)
    assert client.get("/api/v4/packages/?limit=1").get_json()["count"] == 32
    make_grid("G")
    db.session.commit()
    assert "1 grid." in client.get("/grids/").get_data(as_text=True)


# -- every list order is read from an index --------------------------------------------------------------------


def _plan(statement) -> str:
    sql = str(statement.limit(30).offset(30).compile(db.engine, compile_kwargs={"literal_binds": True}))
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Sorting and full scans priced out: a plan that still sorts has no index to read the order from.
        connection.execute(text("SET LOCAL enable_sort = off"))
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))
    return "\n".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def _sorts(plan: str) -> bool:
    return "TEMP B-TREE" in plan or re.search(r"(^|\s)(Incremental )?Sort\b", plan) is not None


@pytest.mark.parametrize("sort", list(PACKAGE_SORTS))
@pytest.mark.parametrize("in_category", [False, True], ids=["all", "category"])
def test_each_package_list_order_is_read_from_an_index(sort, in_category):
    apps = make_category("App", slug="apps")
    for n in range(40):
        make_package(f"p{n}", category=apps)
    plan = _plan(package_list_statement(apps if in_category else None, sort))
    assert not _sorts(plan), plan
    db.session.rollback()


@pytest.mark.parametrize("sort", list(GRID_SORTS))
def test_each_grid_list_order_is_read_from_an_index(sort):
    for n in range(10):
        make_grid(f"g{n}")
    plan = _plan(grid_list_statement(sort))
    assert not _sorts(plan), plan
    db.session.rollback()


def test_the_schema_has_every_counter_trigger(app):
    """db.create_all() installs them (tests/test_demo_and_migrations.py checks the migrated schema too)."""
    expected = {name for counter in counters.COUNTERS for name in counters.trigger_names(counter)}
    with db.engine.connect() as connection:
        assert counters.installed_triggers(connection) == expected
