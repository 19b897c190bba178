"""Staff tools: who may use them, categories (merge keeps the counts right), the home page and the banner (gone
from cached pages at its end), people (staff, blocking: a blocked person's every write is refused), and rolling
back a person's edits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.editing_support import flashes, html, post
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from tests.route_sweep import UNSAFE_METHODS, all_rules, differences, snapshot, url_for_rule
from tests.staff_support import SPAM, site_state, spam
from webapp import counters
from webapp.accounts.models import User
from webapp.accounts.permissions import BLOCKED_MAY_POST, BLOCKED_MESSAGE
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.history.models import Change, ChangeAction

BANNER = '<div class="site-banner" role="note"><div class="wrap"><p>Maintenance tonight'
STAFF_PAGES = ("/staff/", "/staff/categories/", "/staff/home/", "/staff/people/", "/staff/people/oscar/")


@pytest.fixture
def trio(app, auth):
    """Clients for anonymous, a signed-in person and staff."""
    oscar = make_user("oscar", password_hash=password_hash())
    stella = make_user("stella", password_hash=password_hash(), is_staff=True)
    return {"anonymous": app.test_client(), "user": auth.client_for(oscar), "staff": auth.client_for(stella),
            "oscar": oscar, "stella": stella}


# -- authorization ----------------------------------------------------------------------------------------------


def test_staff_pages_are_for_staff_only(trio):
    for path in STAFF_PAGES:
        anonymous = trio["anonymous"].get(path)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.location, path
        assert trio["user"].get(path).status_code == 403, path
        assert trio["staff"].get(path).status_code == 200, path


def test_staff_writes_are_refused_to_others_and_change_nothing(trio):
    category = make_category("Widgets", slug="widgets")
    writes = [("/staff/categories/", {"title": "New", "slug": "new"}),
              (f"/staff/categories/{category.id}/", {"title": "Renamed", "description": ""}),
              ("/staff/people/oscar/staff/", {"staff": "1"}), ("/staff/people/stella/block/", {"block": "1"}),
              ("/staff/banner/", {"text": "Hello", "link": "", "ends_at": "2999-01-01T00:00"})]
    for path, data in writes:
        before = snapshot()
        assert post(trio["user"], path, data).status_code == 403, path
        anonymous = post(trio["anonymous"], path, data, csrf=False)
        assert anonymous.status_code in (302, 400), path
        assert not differences(before, snapshot()), path
    assert "Staff" not in html(trio["user"].get("/packages/"))
    assert 'href="/staff/"' in html(trio["staff"].get("/packages/"))


# -- categories -------------------------------------------------------------------------------------------------


def test_create_rename_describe_and_reorder_categories(trio):
    staff = trio["staff"]
    for title in ("Apps", "Tools"):
        assert post(staff, "/staff/categories/", {"title": title, "slug": "", "description": ""}).status_code == 302
    apps, tools = (db.session.scalar(select(Category).where(Category.slug == slug)) for slug in ("apps", "tools"))
    assert (apps.position, tools.position) == (1, 2)
    duplicate = post(staff, "/staff/categories/", {"title": "Apps again", "slug": "apps"})
    assert duplicate.status_code == 422 and "already exists" in html(duplicate)
    assert post(staff, f"/staff/categories/{apps.id}/", {"title": "Applications", "description": "Whole apps"}
                ).status_code == 302
    assert post(staff, f"/staff/categories/{tools.id}/move/", {"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert (apps.title, apps.description, apps.position, tools.position) == ("Applications", "Whole apps", 2, 1)
    assert html(trio["anonymous"].get("/categories/")).index("Tools") < html(
        trio["anonymous"].get("/categories/")).index("Applications")
    fields = set(db.session.scalars(select(Change.field).where(Change.object_type == "categorie")))
    assert {"title", "description", "position"} <= fields


def test_merging_moves_the_packages_and_keeps_every_count_right(trio):
    staff = trio["staff"]
    source, target = make_category("Old", slug="old"), make_category("New", slug="new")
    for n in range(3):
        make_package(f"old-{n}", category=source)
    make_package("new-0", category=target)
    make_package("removed", category=source, removed_at=datetime.now(timezone.utc))
    assert (db.session.get(Category, source.id).package_count, db.session.get(Category, target.id).package_count) \
        == (3, 1)
    categories_before = counters.read("categories")["categories"]
    source_id, target_id = source.id, target.id
    response = post(staff, f"/staff/categories/{source_id}/merge/", {"target": str(target_id)})
    assert response.status_code == 302
    assert "4 packages moved" in flashes(staff)  # the removed one too: it stays removed, in its new category
    db.session.expunge_all()
    assert db.session.get(Category, source_id) is None
    assert db.session.get(Category, target_id).package_count == 4  # the removed package is not counted
    assert {package.category_id for package in db.session.scalars(select(Package))} == {target_id}
    assert counters.read("categories")["categories"] == categories_before - 1
    assert counters.check(db.session.connection()) == []
    assert db.session.scalar(select(func.count()).select_from(Change).where(Change.field == "category_id")) == 4
    assert trio["anonymous"].get("/categories/old/").status_code == 404
    assert "4" in html(trio["anonymous"].get("/categories/new/"))
    assert post(staff, f"/staff/categories/{target_id}/merge/", {"target": str(target_id)}).status_code == 302
    assert db.session.get(Category, target_id) is not None


# -- the home page and the banner -------------------------------------------------------------------------------


def test_featured_grids_and_package_show_on_the_home_page(trio):
    staff, anonymous = trio["staff"], trio["anonymous"]
    make_package("shiny", category=make_category())
    grids = [make_grid(f"Grid {n}", slug=f"grid-{n}") for n in range(2)]
    assert "Featured" not in html(anonymous.get("/"))
    for grid in grids:
        assert post(staff, "/staff/home/grids/", {"slug": grid.slug}).status_code == 302
    assert post(staff, "/staff/home/grids/", {"slug": "nope"}).status_code == 422
    assert post(staff, "/staff/home/package/", {"slug": "shiny", "note": "Our pick this week"}).status_code == 302
    page = html(anonymous.get("/"))
    assert "Our pick this week" in page and page.index("Grid 0") < page.index("Grid 1")
    featured = html(staff.get("/staff/home/"))
    assert "Grid 0" in featured
    from webapp.staff.models import FeaturedGrid

    second = db.session.scalar(select(FeaturedGrid).where(FeaturedGrid.grid_id == grids[1].id))
    assert post(staff, f"/staff/home/grids/{second.id}/move/", {"direction": "up"}).status_code == 302
    page = html(anonymous.get("/"))
    assert page.index("Grid 1") < page.index("Grid 0")
    assert post(staff, f"/staff/home/grids/{second.id}/remove/").status_code == 302
    assert post(staff, "/staff/home/package/remove/").status_code == 302
    page = html(anonymous.get("/"))
    assert "Our pick this week" not in page
    assert db.session.scalar(select(func.count()).select_from(Change).where(
        Change.object_type.in_(["featured_grid", "featured_package"]))) >= 5


def test_the_banner_shows_on_every_page_until_its_end_even_on_cached_pages(trio, monkeypatch):
    staff, anonymous, user = trio["staff"], trio["anonymous"], trio["user"]
    make_package("widget", category=make_category())
    ends = (datetime.now(timezone.utc) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    bad = post(staff, "/staff/banner/", {"text": "Past", "link": "javascript:alert(1)", "ends_at": "2000-01-01T00:00"})
    assert bad.status_code == 422
    response = post(staff, "/staff/banner/", {"text": "Maintenance tonight", "link": "https://status.example.org/",
                                              "ends_at": ends})
    assert response.status_code == 302
    for path in ("/", "/packages/", "/packages/p/widget/", "/changes/", "/about/", "/grids/"):
        for client in (anonymous, user):
            assert BANNER in html(client.get(path)), path
    assert BANNER in html(anonymous.get("/accounts/login/"))
    assert 'href="https://status.example.org/"' in html(anonymous.get("/"))
    # Three hours later, with no write in between: the cached pages are not served any more.
    import webapp.page_cache
    import webapp.staff.banner

    later = datetime.now(timezone.utc) + timedelta(hours=3)
    monkeypatch.setattr(webapp.page_cache.time, "time", lambda: later.timestamp())
    monkeypatch.setattr(webapp.staff.banner, "utcnow", lambda: later)
    for path in ("/", "/packages/", "/packages/p/widget/", "/changes/"):
        assert BANNER not in html(anonymous.get(path)), path
    monkeypatch.undo()
    assert BANNER in html(anonymous.get("/"))
    assert post(staff, "/staff/banner/end/").status_code == 302
    assert BANNER not in html(anonymous.get("/"))


# -- people -----------------------------------------------------------------------------------------------------


def test_making_and_removing_staff_is_recorded(trio):
    staff = trio["staff"]
    assert post(staff, "/staff/people/oscar/staff/", {"staff": "1"}).status_code == 302
    assert db.session.get(User, trio["oscar"].id).is_staff
    assert trio["user"].get("/staff/").status_code == 200  # at the next request
    assert post(staff, "/staff/people/oscar/staff/", {"staff": "0"}).status_code == 302
    assert not db.session.get(User, trio["oscar"].id).is_staff
    assert post(staff, "/staff/people/stella/staff/", {"staff": "0"}).status_code == 302
    assert db.session.get(User, trio["stella"].id).is_staff  # not oneself
    fields = list(db.session.scalars(select(Change.new_value).where(Change.object_type == "user",
                                                                    Change.field == "is_staff")))
    assert fields == ["true", "false"]
    assert staff.get("/staff/people/nobody/").status_code == 404


def test_a_blocked_person_reads_but_every_write_is_refused(trio):
    staff, user = trio["staff"], trio["user"]
    package = make_package("widget", category=make_category())
    assert post(staff, "/staff/people/oscar/block/", {"block": "1"}).status_code == 302
    assert db.session.get(User, trio["oscar"].id).blocked_at is not None
    assert user.get("/packages/p/widget/").status_code == 200
    assert "Edit</a>" not in html(user.get("/packages/p/widget/"))
    response = post(user, f"/packages/{package.slug}/edit/", {"title": "Hacked"})
    assert response.status_code == 403 and "blocked from editing" in html(response)
    assert post(user, "/accounts/logout/").status_code == 302  # signing out still works
    assert post(staff, "/staff/people/stella/block/", {"block": "1"}).status_code == 302
    assert db.session.get(User, trio["stella"].id).blocked_at is None  # not oneself
    assert post(staff, "/staff/people/oscar/block/", {"block": "0"}).status_code == 302
    assert db.session.get(User, trio["oscar"].id).blocked_at is None


def test_every_unsafe_route_refuses_a_blocked_person(world, auth):
    """Swept over app.url_map: a blocked person, with a valid CSRF token and a form that would change things,
    gets 403 with the blocked message on every POST/PUT/PATCH/DELETE route, and nothing changes."""
    fillers = world.url_arguments()  # the CSRF sweep checks they cover every rule
    blocked = make_user("blocky", password_hash=password_hash())
    client = auth.client_for(blocked)
    db.session.get(User, blocked.id).blocked_at = datetime.now(timezone.utc)
    db.session.commit()
    token = client.token
    body = {"title": "Changed", "slug": "changed", "description": "Changed", "text": "changed",
            "category": str(world.category.id), "package_id": str(world.mine.id), "locked": "1", "use": "1",
            "reason": "spam", "grid": world.grid.slug, "staff": "1", "block": "1", "since": "2000-01-01",
            "csrf_token": token}
    failures, swept = [], 0
    for rule in all_rules():
        if rule.endpoint in BLOCKED_MAY_POST:
            continue
        for method in sorted(rule.methods & UNSAFE_METHODS):
            if rule.arguments and rule.endpoint not in fillers:
                failures.append(f"{rule.endpoint}: no URL filler in tests/route_sweep.py")
                continue
            path = url_for_rule(rule, fillers.get(rule.endpoint, {}), method)
            before = snapshot()
            response = client.open(path, method=method, data=body, headers={"X-CSRFToken": token})
            swept += 1
            changed = differences(before, snapshot())
            if changed:
                failures.append(f"{method} {path} changed {changed}")
            if response.status_code == 405:
                continue
            if response.status_code != 403 or BLOCKED_MESSAGE.split(".")[0] not in html(response):
                if not (rule.endpoint.split(".")[0] in ("api", "api_v3") or rule.endpoint == "fetch.github_webhook"):
                    failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert swept > 30


# -- rolling back a person's edits ------------------------------------------------------------------------------


def test_rollback_undoes_a_spam_wave_and_each_undo_is_recorded_and_revertible(spam_world, auth, client):
    wave = spam_world
    spammer = auth.client_for(wave.spammer)
    assert spam(spammer, wave) == 20
    spammed = site_state(wave.grid.id, [package.id for package in wave.packages])
    assert spammed != wave.before and any(SPAM in title for title, *_ in spammed["packages"].values())
    staff = auth.client_for(wave.staff)
    page = html(staff.get("/staff/people/spammer/"))
    assert page.count(SPAM) >= 20
    response = post(staff, "/staff/people/spammer/rollback/", {"since": "2000-01-01"})
    assert response.status_code == 302
    assert "Rolled back 20 changes" in flashes(staff)
    assert site_state(wave.grid.id, [package.id for package in wave.packages]) == wave.before
    undos = list(db.session.scalars(select(Change).where(Change.user_id == wave.staff.id)))
    assert sum(1 for change in undos if change.action == ChangeAction.REVERT) == 18  # 6 fields, 12 cells
    assert sum(1 for change in undos if change.action == ChangeAction.DELETE and change.object_type == "feature") == 2
    # An undo is itself revertible from the history.
    title_undo = next(change for change in undos if change.field == "title" and change.object_type == "package")
    assert post(staff, f"/history/{title_undo.id}/revert/").status_code == 302
    assert SPAM in db.session.get(Package, title_undo.object_id).title
    # A second rollback finds everything already reverted, or changed since by staff.
    post(staff, "/staff/people/spammer/rollback/", {"since": "2000-01-01"})
    assert "Rolled back 0 changes" in flashes(staff)


def test_rollback_leaves_alone_what_someone_else_changed_since_and_says_so(spam_world, auth):
    wave = spam_world
    spammer = auth.client_for(wave.spammer)
    spam(spammer, wave)
    first = wave.packages[0]
    fresh = db.session.get(Package, first.id)
    honest = auth.client_for(wave.honest)
    response = post(honest, f"/packages/{fresh.slug}/edit/", {
        "title": "Widget, fixed by hand", "slug": fresh.slug, "category": str(fresh.category_id),
        "repo_url": fresh.repo_url, "pypi_url": "", "documentation_url": fresh.documentation_url,
        "revision": str(fresh.revision)})
    assert response.status_code == 302
    staff = auth.client_for(wave.staff)
    post(staff, "/staff/people/spammer/rollback/", {"since": "2000-01-01"})
    messages = flashes(staff)
    assert "Rolled back 19 changes" in messages and "changed again since by honest" in messages
    assert db.session.get(Package, first.id).title == "Widget, fixed by hand"
    assert db.session.get(Package, wave.packages[1].id).title == wave.before["packages"][wave.packages[1].id][0]


def test_rollback_since_a_date_keeps_older_edits(spam_world, auth):
    wave = spam_world
    spam(auth.client_for(wave.spammer), wave)
    for change in db.session.scalars(select(Change).where(Change.user_id == wave.spammer.id,
                                                          Change.object_type == "package")):
        change.created = datetime(2020, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    staff = auth.client_for(wave.staff)
    post(staff, "/staff/people/spammer/rollback/", {"since": "2021-01-01"})
    assert "Rolled back 14 changes" in flashes(staff)
    assert all(SPAM in db.session.get(Package, package.id).title for package in wave.packages)
    assert post(staff, "/staff/people/spammer/rollback/", {"since": "not a date"}).status_code == 302


# -- fixed query counts -----------------------------------------------------------------------------------------


def _queries(client, count_queries, path: str) -> int:
    client.get(path)  # warm: the signed-in user's row, the CSRF token
    with count_queries() as counter:
        assert client.get(path).status_code == 200, path
    return counter.count


def test_staff_pages_run_a_fixed_number_of_queries(trio, count_queries):
    staff = trio["staff"]
    small = {path: _queries(staff, count_queries, path) for path in STAFF_PAGES}
    category = make_category("Widgets", slug="widgets")
    for n in range(25):
        make_user(f"person{n}")
        make_category(f"Extra {n}")
    for n in range(30):
        db.session.add(Change(object_type="package", object_id=n + 1, user_id=trio["oscar"].id, field="title",
                              old_value="a", new_value="b", summary="renamed"))
    grid = make_grid("Grid", slug="grid")
    from webapp.staff.models import Banner, FeaturedGrid

    db.session.add_all([FeaturedGrid(grid_id=grid.id, position=1),
                        Banner(text="Hi", link="", ends_at=datetime.now(timezone.utc) + timedelta(days=1))])
    db.session.commit()
    assert category.id
    large = {path: _queries(staff, count_queries, path) for path in STAFF_PAGES}
    assert large == small
    assert small == {"/staff/": 2, "/staff/categories/": 3, "/staff/home/": 5, "/staff/people/": 5,
                     "/staff/people/oscar/": 5}
