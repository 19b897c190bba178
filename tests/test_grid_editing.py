"""Editing grids through HTTP: grids, their packages, features and cells, with history, stale-edit checks,
safe markdown and a fixed number of queries."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from tests.factories import make_category, make_grid, make_package, make_user
from webapp.catalog.models import Package, Version
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.history.models import Change

HX = {"HX-Request": "true"}


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def changes(**where) -> list[Change]:
    db.session.expire_all()
    statement = select(Change).order_by(Change.id)
    for key, value in where.items():
        statement = statement.where(getattr(Change, key) == value)
    return list(db.session.scalars(statement))


def member_of(grid: Grid, package) -> GridPackage:
    return db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id,
                                                       GridPackage.package_id == package.id))


def cell_url(grid, member, feature, edit=False) -> str:
    return f"/grids/g/{grid.slug}/cells/{member.id}/{feature.id}/" + ("edit/" if edit else "")


def page_text(response) -> str:
    return response.get_data(as_text=True)


# -- creating and editing grids ------------------------------------------------------------------------------


def test_create_a_grid(client, auth):
    token = auth.new_user("gwen")
    form = client.get("/grids/add/")
    assert form.status_code == 200 and 'name="title"' in page_text(form) and 'name="slug"' in page_text(form)

    response = client.post("/grids/add/", data={"csrf_token": token, "title": "Task queues", "slug": "task-queues",
                                                "description": "Run work **later**."})

    assert response.status_code == 302 and response.location == "/grids/g/task-queues/"
    grid = db.session.scalar(select(Grid).where(Grid.slug == "task-queues"))
    assert grid.title == "Task queues" and grid.description == "Run work **later**."
    assert grid.package_count == 0 and grid.is_locked is False and grid.revision == 1
    assert grid.created_by.username == "gwen"
    [created] = changes(grid_id=grid.id)
    assert (created.action, created.object_type, created.new_value, created.user.username) == (
        "create", "grid", "Task queues", "gwen")
    page = page_text(client.get("/grids/g/task-queues/"))
    assert "<strong>later</strong>" in page and "This grid has no packages yet." in page


def test_create_a_grid_makes_the_address_from_the_title_when_left_empty(client, auth):
    token = auth.new_user()
    response = client.post("/grids/add/", data={"csrf_token": token, "title": "Ünïcode & REST APIs!", "slug": ""})
    assert response.location == "/grids/g/unicode-rest-apis/"


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "Give the grid a title."),
    ({"title": "x" * 101}, "Field cannot be longer than 100 characters."),
    ({"slug": "Not A Slug"}, "Use lowercase letters, digits and single hyphens."),
    ({"slug": "double--hyphen"}, "Use lowercase letters, digits and single hyphens."),
    ({"slug": "add"}, "That address is reserved."),
    ({"title": "Add", "slug": ""}, "That address is reserved."),
    ({"title": "!!!", "slug": ""}, "the title has no letters or digits"),
    ({"description": "d" * 5001}, "Field cannot be longer than 5000 characters."),
    ({"title": "Bell\x07"}, "Remove the control characters"),
])
def test_create_a_grid_refuses_bad_input_with_form_errors(client, fields, message, auth):
    token = auth.new_user()
    data = {"csrf_token": token, "title": "Fine", "slug": "fine", "description": "", **fields}
    response = client.post("/grids/add/", data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Grid)) == 0


def test_grid_addresses_are_unique(client, auth):
    make_grid("Existing", slug="taken")
    token = auth.new_user()
    response = client.post("/grids/add/", data={"csrf_token": token, "title": "Taken", "slug": "taken"})
    assert response.status_code == 422
    assert "A grid with this address already exists." in page_text(response)
    response = client.post("/grids/add/", data={"csrf_token": token, "title": "Taken", "slug": ""})
    assert response.status_code == 422  # made from the title, and taken too
    assert db.session.scalar(select(func.count()).select_from(Grid)) == 1


def test_edit_a_grid_records_each_changed_field(client, auth):
    grid = make_grid("Old title", description="Old words")
    token = auth.new_user("hal")
    form = page_text(client.get(f"/grids/g/{grid.slug}/edit/"))
    assert 'name="revision" type="hidden" value="1"' in form and "Old words" in form
    assert 'name="slug"' in form and 'value="old-title"' in form  # the address may change (tests/test_grid_slugs.py)

    response = client.post(f"/grids/g/{grid.slug}/edit/", data={
        "csrf_token": token, "revision": "1", "title": "New title", "description": "Old words", "slug": "old-title"})

    assert response.status_code == 302 and response.location == f"/grids/g/{grid.slug}/"
    grid = fresh(Grid, grid.id)
    assert (grid.title, grid.slug, grid.revision) == ("New title", "old-title", 2)
    [change] = changes(grid_id=grid.id)
    assert (change.action, change.field, change.old_value, change.new_value) == ("update", "title", "Old title",
                                                                                  "New title")


def test_a_stale_grid_edit_is_refused_and_shows_both_versions(client, auth):
    grid = make_grid("Shared", description="First words")
    token = auth.new_user()
    client.post("/grids/g/shared/edit/", data={"csrf_token": token, "revision": "1", "title": "Shared",
                                                "description": "Someone else's words"})

    response = client.post("/grids/g/shared/edit/", data={"csrf_token": token, "revision": "1", "title": "Mine",
                                                          "description": "My words"})

    assert response.status_code == 409
    html = page_text(response)
    assert "Someone else saved this while you were editing" in html
    assert "Someone else&#39;s words" in html and "My words" in html  # theirs shown, mine kept in the form
    assert 'name="revision" type="hidden" value="2"' in html  # saving again is a deliberate merge
    grid = fresh(Grid, grid.id)
    assert (grid.title, grid.description, grid.revision) == ("Shared", "Someone else's words", 2)
    response = client.post("/grids/g/shared/edit/", data={"csrf_token": token, "revision": "2", "title": "Mine",
                                                          "description": "Merged words"})
    assert response.status_code == 302 and fresh(Grid, grid.id).description == "Merged words"


@pytest.mark.parametrize("revision", ["", "abc", "-1", "99999999999"])
def test_a_grid_edit_without_a_usable_revision_is_stale(client, revision, auth):
    grid = make_grid("Rev")
    token = auth.new_user()
    response = client.post("/grids/g/rev/edit/", data={"csrf_token": token, "revision": revision, "title": "X"})
    assert response.status_code == 409 and fresh(Grid, grid.id).title == "Rev"


def test_staff_lock_and_unlock_a_grid(client, auth):
    grid = make_grid("Lockable")
    token = auth.new_user("sam", staff=True)
    response = client.post("/grids/g/lockable/lock/", data={"csrf_token": token, "locked": "1"})
    assert response.status_code == 302 and fresh(Grid, grid.id).is_locked is True
    assert "locked</span>" in page_text(client.get("/grids/g/lockable/"))
    client.post("/grids/g/lockable/lock/", data={"csrf_token": token, "locked": "0"})
    assert fresh(Grid, grid.id).is_locked is False
    assert [(c.field, c.old_value, c.new_value) for c in changes(grid_id=grid.id)] == [
        ("is_locked", "false", "true"), ("is_locked", "true", "false")]
    assert client.post("/grids/g/lockable/lock/", data={"csrf_token": token, "locked": "maybe"}).status_code == 400
    assert client.post("/grids/g/lockable/lock/", data={"csrf_token": token}).status_code == 400


def test_staff_delete_a_grid_after_confirming(client, auth):
    packages = [make_package(f"keep-{i}") for i in range(3)]
    grid = make_grid("Doomed", packages=packages, features=2)
    other = make_grid("Other", packages=packages[:1], features=1)
    grid_id, other_id, package_ids = grid.id, other.id, [p.id for p in packages]
    token = auth.new_user("sam", staff=True)

    confirm = client.get("/grids/g/doomed/delete/")
    assert confirm.status_code == 200
    assert "2 features" in page_text(confirm) and "3 packages stay in the catalogue" in page_text(confirm)
    assert fresh(Grid, grid_id) is not None  # GET changes nothing

    response = client.post("/grids/g/doomed/delete/", data={"csrf_token": token})

    assert response.status_code == 302 and response.location == "/grids/"
    db.session.expire_all()
    assert db.session.scalar(select(Grid.slug)) == "other"
    assert db.session.scalar(select(func.count()).select_from(Feature)) == 1
    assert db.session.scalar(select(func.count()).select_from(Element)) == 1
    assert db.session.scalar(select(func.count()).select_from(GridPackage)) == 1
    assert all(fresh(Package, package_id) for package_id in package_ids)
    [deleted] = changes(object_type="grid")
    assert (deleted.action, deleted.object_id, deleted.old_value) == ("delete", grid_id, "Doomed")
    assert client.get("/grids/g/doomed/").status_code == 404
    assert fresh(Grid, other_id).package_count == 1


# -- packages in a grid ----------------------------------------------------------------------------------------


def test_the_package_picker_searches_and_leaves_out_packages_already_in_the_grid(client, auth):
    category = make_category()
    inside = make_package("django-rest-framework", category=category)
    make_package("django-ninja", category=category, repo_description="Fast REST APIs")
    make_package("flask-restful", category=category)
    make_package("django-removed", category=category, removed_at=utcnow())
    make_grid("APIs", packages=[inside])
    auth.new_user()

    page = client.get("/grids/g/apis/packages/add/")
    assert page.status_code == 200
    html = page_text(page)
    assert 'hx-get="/grids/g/apis/packages/add/"' in html and "delay:250ms" in html
    assert "/packages/add/?grid=apis" in html

    fragment = client.get("/grids/g/apis/packages/add/?q=django", headers={**HX, "HX-Target": "package-picker"})
    text = page_text(fragment)
    assert text.lstrip().startswith('<div id="package-picker"') and "<html" not in text
    assert "django-ninja" in text
    assert "django-rest-framework" not in text and "django-removed" not in text and "flask-restful" not in text
    assert "1 package matches" in text
    assert "REST" in page_text(client.get("/grids/g/apis/packages/add/?q=rest"))  # description matches too
    full = page_text(client.get("/grids/g/apis/packages/add/?q=flask"))  # without JavaScript: the whole page
    assert "<html" in full and "flask-restful" in full
    assert "No package outside this grid matches" in page_text(
        client.get("/grids/g/apis/packages/add/?q=rest-framework", headers={**HX, "HX-Target": "package-picker"}))


def test_add_packages_with_htmx_keeps_the_package_count(client, auth):
    packages = [make_package(f"pkg-{i}") for i in range(3)]
    grid = make_grid("Counted", packages=packages[:1])
    token = auth.new_user("ivy")

    response = client.post("/grids/g/counted/packages/add/", data={"package_id": packages[1].id, "q": "pkg"},
                           headers={**HX, "X-CSRFToken": token})

    assert response.status_code == 200
    assert f'id="pick-{packages[1].id}"' in page_text(response) and "added" in page_text(response)
    assert fresh(Grid, grid.id).package_count == 2
    member = member_of(grid, packages[1])
    assert member.added_by_id is not None
    [added] = changes(object_type="grid_package")
    assert (added.action, added.grid_id, added.package_id, added.new_value) == (
        "create", grid.id, packages[1].id, "pkg-1")

    again = client.post("/grids/g/counted/packages/add/", data={"package_id": packages[1].id},
                        headers={**HX, "X-CSRFToken": token})
    assert again.status_code == 422 and "already in this grid" in page_text(again)
    missing = client.post("/grids/g/counted/packages/add/", data={"package_id": "99999"},
                          headers={**HX, "X-CSRFToken": token})
    assert missing.status_code == 422 and "does not exist" in page_text(missing)
    nonsense = client.post("/grids/g/counted/packages/add/", data={"package_id": "abc"},
                           headers={**HX, "X-CSRFToken": token})
    assert nonsense.status_code == 422
    assert fresh(Grid, grid.id).package_count == 2
    assert column_titles(page_text(client.get("/grids/g/counted/?sort=title"))) == ["pkg-0", "pkg-1"]


def test_add_a_package_without_javascript_comes_back_to_the_picker(client, auth):
    package = make_package("plain")
    removed = make_package("gone", removed_at=utcnow())
    grid = make_grid("NoJS")
    token = auth.new_user()
    response = client.post("/grids/g/nojs/packages/add/", data={"csrf_token": token, "package_id": package.id,
                                                                "q": "pla"})
    assert response.status_code == 303 and response.location == "/grids/g/nojs/packages/add/?q=pla"
    assert "Added plain to the grid." in page_text(client.get(response.location))
    response = client.post("/grids/g/nojs/packages/add/", data={"csrf_token": token, "package_id": removed.id})
    assert response.status_code == 303
    assert "was removed from the site" in page_text(client.get(response.location))
    assert fresh(Grid, grid.id).package_count == 1


def column_titles(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return re.findall(r'class="pkg" href="/packages/p/[^/]+/">([^<]+)</a>', head)


def test_remove_a_package_deletes_its_cells_and_keeps_them_in_the_history(client, auth):
    packages = [make_package("stay"), make_package("leave")]
    grid = make_grid("Trim", packages=packages, features=2)
    leaving_id = member_of(grid, packages[1]).id
    token = auth.new_user()

    response = client.post(f"/grids/g/trim/packages/{leaving_id}/remove/",
                           data={"csrf_token": token, "next": "/grids/g/trim/?sort=title"})

    assert response.status_code == 303 and response.location == "/grids/g/trim/?sort=title"
    grid = fresh(Grid, grid.id)
    assert grid.package_count == 1
    assert fresh(GridPackage, leaving_id) is None
    assert db.session.scalar(select(func.count()).select_from(Element)) == 2  # only the staying column's
    removed = changes(action="delete")
    assert [(c.object_type, c.old_value) for c in removed] == [
        ("element", "yes — works"), ("element", "yes — works"), ("grid_package", "leave")]
    assert all(c.grid_id == grid.id and c.package_id == packages[1].id for c in removed)
    assert column_titles(page_text(client.get("/grids/g/trim/"))) == ["stay"]
    assert client.post(f"/grids/g/trim/packages/{leaving_id}/remove/", data={"csrf_token": token}).status_code == 404


def test_remove_a_package_with_htmx_redirects_back_to_the_grid(client, auth):
    packages = [make_package("a1"), make_package("a2")]
    grid = make_grid("HxTrim", packages=packages)
    token = auth.new_user()
    response = client.post(f"/grids/g/hxtrim/packages/{member_of(grid, packages[0]).id}/remove/",
                           data={"next": "https://evil.example/"}, headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/grids/g/hxtrim/"
    assert fresh(Grid, grid.id).package_count == 1


def test_a_package_of_another_grid_cannot_be_removed_through_this_one(client, auth):
    package = make_package("shared")
    make_grid("Mine", packages=[package])
    theirs = make_grid("Theirs", packages=[package])
    token = auth.new_user()
    response = client.post(f"/grids/g/mine/packages/{member_of(theirs, package).id}/remove/",
                           data={"csrf_token": token})
    assert response.status_code == 404 and fresh(Grid, theirs.id).package_count == 1


# -- features ---------------------------------------------------------------------------------------------------


def test_add_edit_and_delete_a_feature(client, auth):
    grid = make_grid("Rows", packages=[make_package("one")])
    token = auth.new_user("staffer", staff=True)

    response = client.post("/grids/g/rows/features/add/", data={
        "csrf_token": token, "title": "Async support", "description": "Works with `asyncio`"})
    feature = db.session.scalar(select(Feature))
    feature_id = feature.id  # the feature is deleted at the end; its id is still needed
    assert response.status_code == 302 and response.location == f"/grids/g/rows/#feature-{feature_id}"
    html = page_text(client.get("/grids/g/rows/"))
    assert f'<tr id="feature-{feature_id}">' in html and "Async support" in html
    assert "<code>asyncio</code>" in html

    form = page_text(client.get(f"/grids/g/rows/features/{feature_id}/edit/"))
    assert 'value="Async support"' in form and 'name="revision" type="hidden" value="1"' in form
    response = client.post(f"/grids/g/rows/features/{feature_id}/edit/", data={
        "csrf_token": token, "revision": "1", "title": "Async views", "description": "Works with `asyncio`"})
    assert response.status_code == 302
    feature = fresh(Feature, feature_id)
    assert (feature.title, feature.revision) == ("Async views", 2)

    stale = client.post(f"/grids/g/rows/features/{feature_id}/edit/", data={
        "csrf_token": token, "revision": "1", "title": "Old form", "description": ""})
    assert stale.status_code == 409
    assert "Async views" in page_text(stale) and 'value="Old form"' in page_text(stale)
    assert fresh(Feature, feature_id).title == "Async views"

    db.session.add(Element(grid_package_id=db.session.scalar(select(GridPackage.id)), feature_id=feature_id,
                           text="yes"))
    db.session.commit()
    confirm = client.get(f"/grids/g/rows/features/{feature_id}/delete/")
    assert confirm.status_code == 200 and "1 filled cell" in page_text(confirm)
    response = client.post(f"/grids/g/rows/features/{feature_id}/delete/", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/grids/g/rows/"
    assert fresh(Feature, feature_id) is None
    assert db.session.scalar(select(func.count()).select_from(Element)) == 0
    assert [(c.object_type, c.action, c.field) for c in changes(grid_id=grid.id)] == [
        ("feature", "create", "title"), ("feature", "update", "title"), ("element", "delete", "text"),
        ("feature", "delete", "title")]


@pytest.mark.parametrize("fields, message", [
    ({"title": "  "}, "Name the feature."),
    ({"title": "t" * 101}, "Field cannot be longer than 100 characters."),
    ({"description": "d" * 1001}, "Field cannot be longer than 1000 characters."),
])
def test_feature_forms_refuse_bad_input(client, fields, message, auth):
    make_grid("Bad rows")
    token = auth.new_user()
    response = client.post("/grids/g/bad-rows/features/add/", data={"csrf_token": token, "title": "Ok", **fields})
    assert response.status_code == 422 and message in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Feature)) == 0


def test_a_feature_of_another_grid_is_not_found(client, auth):
    make_grid("Here")
    there = make_grid("There", features=1)
    feature_id = db.session.scalar(select(Feature.id).where(Feature.grid_id == there.id))
    auth.new_user(staff=True)
    assert client.get(f"/grids/g/here/features/{feature_id}/edit/").status_code == 404
    assert client.get(f"/grids/g/here/features/{feature_id}/delete/").status_code == 404
    assert client.get("/grids/g/nowhere/features/add/").status_code == 404


# -- cells ------------------------------------------------------------------------------------------------------


@pytest.fixture
def cell_grid():
    package = make_package("celled")
    grid = make_grid("Cells", packages=[package], features=2, fill=False)
    features = list(db.session.scalars(select(Feature).order_by(Feature.id)))
    return grid, member_of(grid, package), features


def test_cell_editor_comes_inline_for_htmx_and_as_a_page_without(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    auth.new_user()

    inline = client.get(cell_url(grid, member, feature, edit=True), headers=HX)
    html = page_text(inline)
    assert inline.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<td id="cell-{member.id}-{feature.id}"')
    assert 'name="revision" value="0"' in html and "<textarea" in html and "autofocus" in html
    assert f'hx-post="{cell_url(grid, member, feature)}"' in html
    assert 'hx-trigger="cell-cancel"' in html  # static/js/site.js fires it on Escape (no eval under the CSP)
    assert f'hx-get="{cell_url(grid, member, feature)}"' in html  # Escape / Cancel bring the cell back

    page = client.get(cell_url(grid, member, feature, edit=True))
    text = page_text(page)
    assert page.status_code == 200 and "<html" in text and 'method="post"' in text
    assert "hx-post" not in text and "Esc cancels" not in text
    assert f'href="/grids/g/cells/#cell-{member.id}-{feature.id}"' in text  # Cancel goes back to the grid


def test_save_a_new_cell_inline_renders_it(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    token = auth.new_user("joe")

    response = client.post(cell_url(grid, member, feature), data={"text": "yes — with **care**", "revision": "0"},
                           headers={**HX, "X-CSRFToken": token})

    assert response.status_code == 200
    html = page_text(response)
    assert html.lstrip().startswith(f'<td id="cell-{member.id}-{feature.id}"')
    assert 'class="cell-icon cell-yes"' in html and "<strong>care</strong>" in html
    assert "cell-edit" in html and "autofocus" in html  # focus goes back to the cell's edit link
    element = db.session.scalar(select(Element))
    assert (element.text, element.revision, element.grid_package_id, element.feature_id) == (
        "yes — with **care**", 1, member.id, feature.id)
    [created] = changes(object_type="element")
    assert (created.action, created.new_value, created.grid_id, created.package_id) == (
        "create", "yes — with **care**", grid.id, member.package_id)


def test_update_a_cell_with_its_revision(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    db.session.add(Element(grid_package_id=member.id, feature_id=feature.id, text="no"))
    db.session.commit()
    token = auth.new_user()
    editor = page_text(client.get(cell_url(grid, member, feature, edit=True), headers=HX))
    assert 'name="revision" value="1"' in editor and ">no</textarea>" in editor

    response = client.post(cell_url(grid, member, feature), data={"text": "+ better now", "revision": "1"},
                           headers={**HX, "X-CSRFToken": token})

    assert response.status_code == 200 and "cell-plus1" in page_text(response)
    element = fresh(Element, db.session.scalar(select(Element.id)))
    assert (element.text, element.revision) == ("+ better now", 2)
    [update] = changes(object_type="element")
    assert (update.action, update.field, update.old_value, update.new_value) == ("update", "text", "no",
                                                                                 "+ better now")
    unchanged = client.post(cell_url(grid, member, feature), data={"text": "+ better now", "revision": "2"},
                            headers={**HX, "X-CSRFToken": token})
    assert unchanged.status_code == 200 and len(changes(object_type="element")) == 1
    assert fresh(Element, element.id).revision == 2


def test_a_stale_cell_save_is_refused_and_shows_both_versions(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    db.session.add(Element(grid_package_id=member.id, feature_id=feature.id, text="yes", revision=3))
    db.session.commit()
    token = auth.new_user()

    response = client.post(cell_url(grid, member, feature), data={"text": "no — my take", "revision": "2"},
                           headers={**HX, "X-CSRFToken": token})

    assert response.status_code == 409
    html = page_text(response)
    assert "Someone else saved this cell while you were editing" in html
    assert '<pre class="cell-current-text">yes</pre>' in html  # theirs
    assert ">no — my take</textarea>" in html  # yours
    assert 'name="revision" value="3"' in html
    assert fresh(Element, db.session.scalar(select(Element.id))).text == "yes"
    assert changes() == []
    merged = client.post(cell_url(grid, member, feature), data={"text": "yes — merged", "revision": "3"},
                         headers={**HX, "X-CSRFToken": token})
    assert merged.status_code == 200 and fresh(Element, db.session.scalar(select(Element.id))).text == "yes — merged"


def test_a_save_racing_another_save_of_the_same_revision_loses(cell_grid):
    """Two people save revision 1 at the same moment: the row is re-checked under the write lock."""
    from sqlalchemy import update

    from webapp.grids import services
    from webapp.history.services import StaleEdit

    grid, member, (feature, _) = cell_grid
    element = Element(grid_package_id=member.id, feature_id=feature.id, text="start")
    db.session.add(element)
    db.session.commit()
    user = make_user("racer")
    assert element.revision == 1  # what this editor loaded
    with db.engine.begin() as other:  # the other person's save lands first
        other.execute(update(Element).where(Element.id == element.id).values(text="theirs", revision=2))

    with pytest.raises(StaleEdit) as stale:
        services.save_cell(grid, member, feature, element, user, text="mine", revision=1)

    assert stale.value.obj.text == "theirs"
    assert fresh(Element, element.id).text == "theirs" and changes() == []


def test_creating_a_cell_someone_else_created_meanwhile_is_stale(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    token = auth.new_user()
    editor = page_text(client.get(cell_url(grid, member, feature, edit=True), headers=HX))
    assert 'name="revision" value="0"' in editor
    db.session.add(Element(grid_package_id=member.id, feature_id=feature.id, text="++ theirs"))
    db.session.commit()

    response = client.post(cell_url(grid, member, feature), data={"text": "-- mine", "revision": "0"},
                           headers={**HX, "X-CSRFToken": token})

    assert response.status_code == 409
    assert "++ theirs" in page_text(response) and "-- mine" in page_text(response)
    assert [e.text for e in db.session.scalars(select(Element))] == ["++ theirs"]
    # a form without any revision counts as "the cell did not exist" too
    response = client.post(cell_url(grid, member, feature), data={"text": "-- mine"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 409


def test_cell_save_without_javascript_redirects_to_the_grid(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    token = auth.new_user()
    response = client.post(cell_url(grid, member, feature), data={"csrf_token": token, "text": "?", "revision": "0"})
    assert response.status_code == 303
    assert response.location == f"/grids/g/cells/#cell-{member.id}-{feature.id}"
    assert "cell-unknown" in page_text(client.get("/grids/g/cells/"))
    stale = client.post(cell_url(grid, member, feature), data={"csrf_token": token, "text": "no", "revision": "0"})
    assert stale.status_code == 409 and "<html" in page_text(stale)


def test_cell_display_for_cancel(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    db.session.add(Element(grid_package_id=member.id, feature_id=feature.id, text="yes"))
    db.session.commit()
    anonymous = client.get(cell_url(grid, member, feature), headers=HX)
    assert anonymous.status_code == 200 and "cell-yes" in page_text(anonymous)
    assert "cell-edit" not in page_text(anonymous)
    auth.new_user()
    display = client.get(cell_url(grid, member, feature), headers=HX)
    assert display.status_code == 200 and "cell-yes" in page_text(display) and "cell-edit" in page_text(display)
    browser = client.get(cell_url(grid, member, feature))
    assert browser.status_code == 302 and browser.location == f"/grids/g/cells/#cell-{member.id}-{feature.id}"


def test_an_empty_new_cell_is_not_created(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    token = auth.new_user()
    response = client.post(cell_url(grid, member, feature), data={"text": "  \r\n ", "revision": "0"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200 and "No entry" in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Element)) == 0 and changes() == []


def test_cell_input_is_checked(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    token = auth.new_user()
    too_long = client.post(cell_url(grid, member, feature), data={"text": "y" * 1001, "revision": "0"},
                           headers={**HX, "X-CSRFToken": token})
    assert too_long.status_code == 422 and "Keep a cell under 1000 characters." in page_text(too_long)
    assert 'aria-invalid="true"' in page_text(too_long)
    control = client.post(cell_url(grid, member, feature), data={"text": "bad\x00byte", "revision": "0"},
                          headers={**HX, "X-CSRFToken": token})
    assert control.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Element)) == 0


def test_cells_outside_the_grid_are_not_found(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    other = make_grid("Elsewhere", packages=[make_package("elsewhere")], features=1)
    other_member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == other.id))
    other_feature = db.session.scalar(select(Feature).where(Feature.grid_id == other.id))
    token = auth.new_user()
    for path in (cell_url(grid, other_member, feature, edit=True), cell_url(grid, member, other_feature, edit=True),
                 f"/grids/g/nope/cells/{member.id}/{feature.id}/edit/", f"/grids/g/cells/cells/0/{feature.id}/"):
        assert client.get(path, headers=HX).status_code == 404, path
    response = client.post(cell_url(grid, other_member, feature), data={"text": "x", "revision": "0"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 404
    member.package.removed_at = utcnow()  # removed by moderation: its column is gone from the grid
    db.session.commit()
    assert client.get(cell_url(grid, member, feature, edit=True), headers=HX).status_code == 404


# -- XSS --------------------------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "<svg onload=alert(4)>",
    '" onmouseover="alert(5)',
    "<a href=\"javascript:alert(6)\">x</a>",
    "[x](JaVaScRiPt:alert(7))",
    "<iframe src=\"javascript:alert(8)\"></iframe>",
    "yes <details open ontoggle=alert(9)>",
    "![img](javascript:alert(10))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4=)",
    "<style>body{display:none}</style>",
    "' onfocus='alert(12)' autofocus='",
    "[ok](https://example.org \"title\" onmouseover=alert(13))",
]


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


DANGEROUS_TAGS = {"script", "img", "svg", "iframe", "details", "style", "object", "embed", "math", "form"}


def assert_inert(html: str, *, allowed: set[tuple[str, str]] = frozenset()) -> None:
    """No script, event handler, javascript: or data: URL, or tag a user could have typed made it into the page.

    The page's own tags are told apart by their attributes (``allowed`` names (tag, class) pairs).
    """
    collector = TagCollector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
        if tag in DANGEROUS_TAGS:
            ours = (
                (tag == "script" and (attrs.get("src") or "").startswith("/static/"))
                or (tag == "svg" and ("aria-hidden" in attrs or attrs.get("class") == "sparkline"
                                      or attrs.get("class") == "brand-mark"))
                or (tag == "form" and attrs.get("method") == "post" and (attrs.get("action") or "").startswith("/"))
                or (tag == "form" and attrs.get("method") == "get")
                or (tag == "img" and "avatar" in (attrs.get("class") or ""))
                or (tag == "details" and attrs.get("class") == "cell-keywords")  # the cell editor's keyword list
                or (tag == "details" and attrs.get("class") == "menu download-menu")  # the grid's export formats
            )
            assert ours, (tag, attrs)


def test_the_inertness_check_catches_live_markup():
    for bad in ('<p><img src=x onerror=alert(1)></p>', "<script>alert(1)</script>", '<a href="javascript:x">a</a>',
                '<svg onload=alert(1)>', '<div onmouseover="x">', '<a href=" data:text/html,x">a</a>'):
        with pytest.raises(AssertionError):
            assert_inert(bad)
    assert_inert('<p>&lt;img src=x onerror=alert(1)&gt; '
                 '<a href="https://example.org" title="&quot; onmouseover=x">ok</a></p>')


def test_xss_typed_into_grid_feature_and_cell_renders_inert(client, auth):
    package = make_package("target")
    token = auth.new_user()
    for index, payload in enumerate(XSS):
        slug = f"xss-{index}"
        response = client.post("/grids/add/", data={"csrf_token": token, "title": payload[:100], "slug": slug,
                                                    "description": payload})
        assert response.status_code == 302, payload
        grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
        client.post(f"/grids/g/{slug}/packages/add/", data={"csrf_token": token, "package_id": package.id})
        client.post(f"/grids/g/{slug}/features/add/", data={"csrf_token": token, "title": payload[:100],
                                                            "description": payload})
        feature = db.session.scalar(select(Feature).where(Feature.grid_id == grid.id))
        member = member_of(grid, package)
        cell = client.post(cell_url(grid, member, feature), data={"text": payload, "revision": "0"},
                           headers={**HX, "X-CSRFToken": token})
        assert cell.status_code == 200, payload
        assert_inert(page_text(cell))
        for path in (f"/grids/g/{slug}/", "/grids/?sort=newest", f"/grids/g/{slug}/edit/",
                     f"/grids/g/{slug}/features/{feature.id}/edit/", cell_url(grid, member, feature, edit=True),
                     f"/grids/g/{slug}/packages/add/"):
            assert_inert(page_text(client.get(path)))
        editor = page_text(client.get(cell_url(grid, member, feature, edit=True), headers=HX))
        assert_inert(editor)
    assert db.session.scalar(select(func.count()).select_from(Element)) == len(XSS)


def test_xss_in_a_stale_cell_conflict_view_is_inert(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    db.session.add(Element(grid_package_id=member.id, feature_id=feature.id, text=XSS[1], revision=2))
    db.session.commit()
    token = auth.new_user()
    response = client.post(cell_url(grid, member, feature), data={"text": XSS[0], "revision": "1"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 409
    assert_inert(page_text(response))


# -- the grid page stays a fixed number of queries ------------------------------------------------------------


def _grid_page_queries(client, count_queries, slug: str) -> int:
    client.get(f"/grids/g/{slug}/")
    with count_queries() as counter:
        response = client.get(f"/grids/g/{slug}/")
    assert response.status_code == 200
    return counter.count


@pytest.fixture
def small_and_large_grids():
    category = make_category()
    make_grid("Small", packages=[make_package(f"s{i}", category=category) for i in range(2)], features=2)
    large = [make_package(f"l{i}", category=category, versions=8) for i in range(25)]
    make_grid("Large", packages=large, features=10)
    for package in large[:4]:
        db.session.add(Version(package=package, number="9.9", upload_time=None, hidden=True))
    locked = make_grid("Locked", packages=large[:12], features=6, is_locked=True)
    db.session.commit()
    return locked


def test_grid_page_query_count_is_fixed_for_anonymous_and_signed_in_viewers(client, count_queries, page_cache_off,
                                                                            small_and_large_grids, auth):
    # The grid; its columns (with package, category, replacement and current release); its features; its cells;
    # the stars each column gained in 90 days (webapp/catalog/trends.py stars_since); the release cycles the
    # versions rows grey (webapp/readiness); the site banner (webapp/staff/banner.py). (A column with known
    # vulnerabilities adds one more, webapp/grids/queries.py add_fixed_row_data.)
    assert [_grid_page_queries(client, count_queries, slug) for slug in ("small", "large", "locked")] == [7, 7, 7]
    auth.new_user("viewer")
    # one more to load the signed-in person, one for which of the grid's packages they use and starred
    assert [_grid_page_queries(client, count_queries, slug) for slug in ("small", "large", "locked")] == [9, 9, 9]
    staff_client = client.application.test_client()
    auth(staff_client).new_user("boss", staff=True)
    assert [_grid_page_queries(staff_client, count_queries, slug) for slug in ("small", "large", "locked")] == [
        9, 9, 9]
    page = page_text(staff_client.get("/grids/g/large/"))
    assert page.count('class="cell-edit"') == 25 * 10


def test_cell_endpoints_run_a_fixed_number_of_queries(client, count_queries, small_and_large_grids, auth):
    token = auth.new_user()
    counts = []
    for slug in ("small", "large"):
        grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
        member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id).limit(1))
        feature = db.session.scalar(select(Feature).where(Feature.grid_id == grid.id).limit(1))
        element = db.session.scalar(select(Element).where(Element.grid_package_id == member.id,
                                                          Element.feature_id == feature.id))
        with count_queries() as editing:
            client.get(cell_url(grid, member, feature, edit=True), headers=HX)
        with count_queries() as saving:
            response = client.post(cell_url(grid, member, feature),
                                   data={"text": "no", "revision": str(element.revision)},
                                   headers={**HX, "X-CSRFToken": token})
            assert response.status_code == 200
        counts.append((editing.count, saving.count))
    assert counts[0] == counts[1]
    assert counts[0][0] == 2  # the person, the cell with its grid, column and row


def test_removing_a_package_or_a_feature_runs_a_fixed_number_of_queries(client, count_queries,
                                                                          small_and_large_grids, auth):
    token = auth.new_user()
    removals, deletions = [], []
    for slug in ("small", "large"):
        grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
        member_id = db.session.scalar(select(GridPackage.id).where(GridPackage.grid_id == grid.id).limit(1))
        with count_queries() as counter:
            assert client.post(f"/grids/g/{slug}/packages/{member_id}/remove/",
                               data={"csrf_token": token}).status_code == 303
        removals.append(counter.count)
    staff = client.application.test_client()
    staff_token = auth(staff).new_user("chief", staff=True)
    for slug in ("small", "large"):
        grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
        feature_id = db.session.scalar(select(Feature.id).where(Feature.grid_id == grid.id).limit(1))
        with count_queries() as counter:
            assert staff.post(f"/grids/g/{slug}/features/{feature_id}/delete/",
                              data={"csrf_token": staff_token}).status_code == 302
        deletions.append(counter.count)
    assert removals[0] == removals[1] and deletions[0] == deletions[1]
    # every deleted non-empty cell is still in the history: 2 + 10 from the removals, 1 + 24 from the deletions
    assert len(changes(action="delete", object_type="element")) == 2 + 10 + 1 + 24


def test_delete_grid_runs_a_fixed_number_of_queries(client, count_queries, small_and_large_grids, auth):
    token = auth.new_user(staff=True)
    counts = []
    for slug in ("small", "large"):
        with count_queries() as counter:
            assert client.post(f"/grids/g/{slug}/delete/", data={"csrf_token": token}).status_code == 302
        counts.append(counter.count)
    assert counts[0] == counts[1]


# -- GET never changes anything --------------------------------------------------------------------------------


def test_editing_pages_change_nothing_on_get(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    auth.new_user(staff=True)
    before = (fresh(Grid, grid.id).revision, fresh(Grid, grid.id).modified)
    for path in ("/grids/add/", "/grids/g/cells/edit/", "/grids/g/cells/delete/", "/grids/g/cells/packages/add/?q=c",
                 "/grids/g/cells/features/add/", f"/grids/g/cells/features/{feature.id}/edit/",
                 f"/grids/g/cells/features/{feature.id}/delete/", cell_url(grid, member, feature, edit=True),
                 cell_url(grid, member, feature)):
        assert client.get(path).status_code in (200, 302), path
        assert client.get(path, headers=HX).status_code == 200, path
    assert client.get("/grids/g/cells/lock/").status_code == 405
    assert client.get(f"/grids/g/cells/packages/{member.id}/remove/").status_code == 405
    after = fresh(Grid, grid.id)
    assert (after.revision, after.modified) == before and changes() == []
    assert db.session.scalar(select(func.count()).select_from(Element)) == 0


def test_grid_edits_show_on_the_grid_history_page(client, cell_grid, auth):
    grid, member, (feature, _) = cell_grid
    token = auth.new_user("historian", staff=True)
    client.post(cell_url(grid, member, feature), data={"csrf_token": token, "text": "yes", "revision": "0"})
    client.post("/grids/g/cells/lock/", data={"csrf_token": token, "locked": "1"})
    page = page_text(client.get("/grids/g/cells/"))
    assert 'href="/grids/g/cells/history/"' in page
    history = client.get("/grids/g/cells/history/")
    assert history.status_code == 200
    text = page_text(history)
    assert "Filled in the cell “Feature 1” of celled" in text and "Locked the grid" in text and "historian" in text
