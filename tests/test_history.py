"""History pages of packages and grids, and staff reverting a recorded change."""

from __future__ import annotations

from sqlalchemy import select

from tests.editing_support import a_package, fresh, html, post
from tests.factories import make_grid, make_user
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid
from webapp.history import services as history
from webapp.history.models import Change


def edit(obj, user, **values) -> list[Change]:
    changes = history.apply_changes(obj, user, values)
    db.session.commit()
    return changes


def test_package_history_lists_changes_newest_first_for_everyone(client, people):
    package = a_package()
    history.record(package, people.creator, action="create", summary="Added widget")
    db.session.commit()
    edit(package, people.other, title="Widget 2")
    edit(package, people.creator, title="Widget 3")
    response = client.get("/packages/p/widget/history/")
    assert response.status_code == 200
    page = html(response)
    assert page.index("<ins>Widget 3</ins>") < page.index("<ins>Widget 2</ins>") < page.index("Added widget")
    assert 'href="/profiles/oscar/"' in page and 'href="/profiles/carol/"' in page
    assert "Revert" not in page  # anonymous people read only
    assert 'content="noindex"' in page
    assert 'href="/packages/p/widget/history/"' in html(client.get("/packages/p/widget/"))


def test_history_pages_404_for_unknown_objects(client):
    assert client.get("/packages/p/nope/history/").status_code == 404
    assert client.get("/grids/g/nope/history/").status_code == 404


def test_grid_history_lists_grid_feature_and_cell_changes(client, people):
    package = a_package()
    grid = make_grid("Widgets", packages=[package], features=1)
    edit(grid, people.other, description="All the widgets")
    feature = db.session.scalar(select(Feature))
    edit(feature, people.other, title="Speed")
    cell = db.session.scalar(select(Element))
    edit(cell, people.creator, text="no")
    page = html(client.get("/grids/g/widgets/history/"))
    for text in ("<ins>All the widgets</ins>", "<ins>Speed</ins>", "<ins>no</ins>"):
        assert text in page
    assert "<ins>no</ins>" in html(client.get("/packages/p/widget/history/"))  # a cell is on both pages
    assert "<ins>Speed</ins>" not in html(client.get("/packages/p/widget/history/"))
    assert grid.id


def test_only_staff_see_revert_buttons(client, other_client, people, auth):
    package = a_package()
    [change] = edit(package, people.other, title="Widget 2")
    auth.sign_in(people.other)
    assert f'action="/history/{change.id}/revert/"' not in html(client.get("/packages/p/widget/history/"))
    auth(other_client).sign_in(people.staff)
    assert f'action="/history/{change.id}/revert/"' in html(other_client.get("/packages/p/widget/history/"))


def test_revert_is_for_staff_only(client, people, auth):
    package = a_package()
    [change] = edit(package, people.other, title="Vandalised")
    response = post(client, f"/history/{change.id}/revert/")
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    auth.sign_in(people.other)
    assert post(client, f"/history/{change.id}/revert/").status_code == 403
    assert fresh(Package, package.id).title == "Vandalised"
    assert client.get(f"/history/{change.id}/revert/").status_code == 405


def test_staff_revert_a_package_field(client, people, auth):
    package = a_package()
    [change] = edit(package, people.other, title="Vandalised")
    auth.sign_in(people.staff)
    response = post(client, f"/history/{change.id}/revert/")
    assert response.status_code == 302 and response.location == "/packages/p/widget/history/"
    package = fresh(Package, package.id)
    assert package.title == "widget" and package.revision == 3
    revert = db.session.scalar(select(Change).where(Change.action == "revert"))
    assert (revert.reverts_id, revert.user_id, revert.old_value, revert.new_value) == (
        change.id, people.staff.id, "Vandalised", "widget")
    page = html(client.get(response.location))
    assert f"Reverted change #{change.id}." in page


def test_revert_without_csrf_is_refused(client, people, auth):
    package = a_package()
    [change] = edit(package, people.other, title="Vandalised")
    auth.sign_in(people.staff)
    assert post(client, f"/history/{change.id}/revert/", csrf=False).status_code == 400
    assert fresh(Package, package.id).title == "Vandalised"


def test_revert_refusals_are_flashed(client, people, auth):
    package = a_package()
    history.record(package, people.creator, action="create", summary="Added widget")
    db.session.commit()
    create = db.session.scalar(select(Change).where(Change.action == "create"))
    [first] = edit(package, people.other, title="One")
    edit(package, people.other, title="Two")
    auth.sign_in(people.staff)
    response = post(client, f"/history/{first.id}/revert/")
    assert response.location == "/packages/p/widget/history/"
    assert "changed again after this change" in html(client.get(response.location))
    assert fresh(Package, package.id).title == "Two"
    response = post(client, f"/history/{create.id}/revert/")
    assert "Only changes to a field can be reverted." in html(client.get(response.location))
    assert post(client, "/history/99999/revert/").status_code == 404


def test_reverting_a_slug_goes_to_the_history_at_its_restored_address(client, people, auth):
    package = a_package()
    [change] = edit(package, people.other, slug="moved")
    auth.sign_in(people.staff)
    response = post(client, f"/history/{change.id}/revert/",
                    headers={"Referer": "http://localhost/packages/p/moved/history/"})
    assert response.location == "/packages/p/widget/history/"
    assert fresh(Package, package.id).slug == "widget"


def test_reverting_to_a_slug_taken_since_is_refused_not_a_500(client, people, auth):
    package = a_package()
    [change] = edit(package, people.other, slug="moved")
    a_package(title="squatter", slug="widget", repo_url="https://github.com/x/squatter")
    auth.sign_in(people.staff)
    response = post(client, f"/history/{change.id}/revert/")
    assert response.status_code == 302
    assert "cannot be reverted" in html(client.get(response.location))
    assert fresh(Package, package.id).slug == "moved"


def test_grid_changes_go_back_to_the_grid_history(client, people, auth):
    package = a_package()
    grid = make_grid("Widgets", packages=[package], features=1)
    [grid_change] = edit(grid, people.other, title="Gadgets")
    cell = db.session.scalar(select(Element))
    [cell_change] = edit(cell, people.other, text="no")
    auth.sign_in(people.staff)
    response = post(client, f"/history/{grid_change.id}/revert/")
    assert response.location == "/grids/g/widgets/history/"
    assert fresh(Grid, grid.id).title == "Widgets"
    # A cell is listed on both pages: the revert comes back to the page it was asked from.
    response = post(client, f"/history/{cell_change.id}/revert/",
                    headers={"Referer": "http://localhost/packages/p/widget/history/"})
    assert response.location == "/packages/p/widget/history/"
    assert fresh(Element, cell.id).text == "yes — works"
    [again] = edit(fresh(Element, cell.id), people.other, text="maybe")
    response = post(client, f"/history/{again.id}/revert/")
    assert response.location == "/grids/g/widgets/history/"


def test_history_page_query_counts_do_not_grow(client, people, count_queries, auth):
    package = a_package()
    grid = make_grid("Widgets", packages=[package], features=1)
    auth.sign_in(people.staff)
    counts = []
    for size in (2, 40):
        for index in range(size):
            editor = make_user()
            edit(fresh(Package, package.id), editor, title=f"Widget {size}-{index}")
            edit(fresh(Grid, grid.id), editor, description=f"Grid {size}-{index}")
        row = []
        for path in ("/packages/p/widget/history/", "/grids/g/widgets/history/"):
            client.get(path)
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            row.append(counter.count)
        counts.append(row)
    # the user, the package or grid, its changes with their authors, the site banner
    assert counts[0] == counts[1] == [4, 4]
