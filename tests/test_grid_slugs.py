"""A grid's address can change on its edit form; the old address keeps working, redirecting (301) every page
of the grid to the same page at the new address, and no other grid can take it."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_grid, make_package
from webapp.extensions import db
from webapp.grids.models import Grid, GridOldSlug, GridPackage
from webapp.history.models import Change


def edit(client, grid_slug: str, token: str, **values):
    form = {"csrf_token": token, "title": "Forms", "description": "", "revision": "1", "slug": grid_slug}
    form.update(values)
    return client.post(f"/grids/g/{grid_slug}/edit/", data=form)


def test_the_edit_form_changes_the_address_and_the_old_one_redirects(client, auth):
    grid = make_grid("Forms", slug="forms", packages=[make_package("alpha")], features=1)
    token = auth.new_user()
    assert 'name="slug"' in client.get("/grids/g/forms/edit/").get_data(as_text=True)

    response = edit(client, "forms", token, slug="form-libraries")

    assert response.status_code == 302 and response.headers["Location"].endswith("/grids/g/form-libraries/")
    db.session.expire_all()
    assert db.session.get(Grid, grid.id).slug == "form-libraries"
    change = db.session.scalar(select(Change).where(Change.field == "slug"))
    assert (change.old_value, change.new_value) == ("forms", "form-libraries")
    assert client.get("/grids/g/form-libraries/").status_code == 200

    old = client.get("/grids/g/forms/?sort=stars")
    assert old.status_code == 301 and old.headers["Location"].endswith("/grids/g/form-libraries/?sort=stars")
    assert client.get("/grids/g/forms/history/").headers["Location"].endswith("/grids/g/form-libraries/history/")
    member = db.session.scalar(select(GridPackage.id))
    feature = grid.features[0].id
    cell = client.get(f"/grids/g/forms/cells/{member}/{feature}/")
    assert cell.status_code == 301 and f"/grids/g/form-libraries/cells/{member}/{feature}/" in cell.headers["Location"]
    assert client.get("/grids/g/never-was/").status_code == 404
    # A form posted to the old address changes nothing.
    assert client.post("/grids/g/forms/lock/", data={"csrf_token": token, "locked": "1"}).status_code in (403, 404)


def test_renaming_back_and_again_keeps_every_old_address(client, auth):
    grid = make_grid("Forms", slug="forms")
    token = auth.new_user()
    edit(client, "forms", token, slug="forms-2")
    edit(client, "forms-2", token, slug="forms", revision="2")
    edit(client, "forms", token, slug="forms-3", revision="3")

    db.session.expire_all()
    assert db.session.get(Grid, grid.id).slug == "forms-3"
    assert sorted(db.session.scalars(select(GridOldSlug.slug))) == ["forms", "forms-2"]
    for old in ("forms", "forms-2"):
        assert client.get(f"/grids/g/{old}/").headers["Location"].endswith("/grids/g/forms-3/")


def test_an_address_in_use_or_once_used_by_another_grid_is_refused(client, auth):
    make_grid("Forms", slug="forms")
    make_grid("Tables", slug="tables")
    token = auth.new_user()
    edit(client, "tables", token, slug="tables-new", title="Tables")

    taken = edit(client, "forms", token, slug="tables")
    once = edit(client, "forms", token, slug="tables-new")
    bad = edit(client, "forms", token, slug="Not a slug!")

    for response in (taken, once):
        assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(Grid.slug).where(Grid.title == "Forms")) == "forms"
    assert client.get("/grids/g/forms/").status_code == 200


def test_a_new_grid_cannot_take_an_old_address(client, auth):
    make_grid("Forms", slug="forms")
    token = auth.new_user()
    edit(client, "forms", token, slug="forms-new")

    response = client.post("/grids/add/", data={"csrf_token": token, "title": "Other", "slug": "forms"})

    assert response.status_code == 422


def test_every_read_page_under_an_old_grid_address_redirects(app, client, auth):
    """Generated from the url_map: every GET rule under ``/grids/g/<slug>/``, whichever blueprint serves it (the
    timesheet, the card, exports, history, cells, the editing forms)."""
    from tests.route_sweep import make_world, url_for_rule

    world = make_world()
    token = auth.new_user("renamer", staff=True)  # staff: every page of the grid is open to them
    fillers = world.url_arguments()
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/grids/g/<slug>/") and "GET" in rule.methods]
    assert len(rules) > 10
    old = world.grid.slug
    edit(client, old, token, title=world.grid.title, slug="renamed-grid", revision=str(world.grid.revision))
    for rule in rules:
        arguments = {**fillers.get(rule.endpoint, {}), "slug": old}
        path = url_for_rule(rule, arguments, "GET")
        response = client.get(path)
        assert response.status_code == 301, (rule.endpoint, path, response.status_code)
        assert "/grids/g/renamed-grid/" in response.headers["Location"], (rule.endpoint, response.headers["Location"])
