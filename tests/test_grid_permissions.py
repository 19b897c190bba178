"""Who may edit grids, checked on the server for every editing route, and the buttons each person sees."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.factories import make_grid, make_package
from tests.helpers import csrf_token_for
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.history.models import Change

HX = {"HX-Request": "true"}


@dataclass
class World:
    grid: Grid
    member_id: int
    feature_id: int
    element_id: int
    spare_package_id: int

    def fill(self, path: str) -> str:
        return path.format(slug=self.grid.slug, gp=self.member_id, f=self.feature_id)


def build_world(locked: bool) -> World:
    package = make_package("member")
    spare = make_package("spare")
    grid = make_grid("Guarded", packages=[package], features=1, is_locked=locked)
    member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id))
    feature = db.session.scalar(select(Feature).where(Feature.grid_id == grid.id))
    element = db.session.scalar(select(Element))
    return World(grid=grid, member_id=member.id, feature_id=feature.id, element_id=element.id,
                 spare_package_id=spare.id)


# (method, path, who may, form data). "editor": signed in, and staff when the grid is locked.
ROUTES = [
    ("GET", "/grids/add/", "signed-in", None),
    ("POST", "/grids/add/", "signed-in", lambda w: {"title": "Brand new", "slug": "brand-new"}),
    ("GET", "/grids/g/{slug}/edit/", "editor", None),
    ("POST", "/grids/g/{slug}/edit/", "editor", lambda w: {"title": "Renamed", "revision": "1"}),
    ("POST", "/grids/g/{slug}/lock/", "staff", lambda w: {"locked": "0" if w.grid.is_locked else "1"}),
    ("GET", "/grids/g/{slug}/delete/", "staff", None),
    ("POST", "/grids/g/{slug}/delete/", "staff", lambda w: {}),
    ("GET", "/grids/g/{slug}/packages/add/", "editor", None),
    ("POST", "/grids/g/{slug}/packages/add/", "editor", lambda w: {"package_id": str(w.spare_package_id)}),
    ("POST", "/grids/g/{slug}/packages/{gp}/remove/", "editor", lambda w: {}),
    ("GET", "/grids/g/{slug}/features/add/", "editor", None),
    ("POST", "/grids/g/{slug}/features/add/", "editor", lambda w: {"title": "New row"}),
    ("GET", "/grids/g/{slug}/features/{f}/edit/", "editor", None),
    ("POST", "/grids/g/{slug}/features/{f}/edit/", "editor", lambda w: {"title": "Row", "revision": "1"}),
    ("GET", "/grids/g/{slug}/features/{f}/delete/", "staff", None),
    ("POST", "/grids/g/{slug}/features/{f}/delete/", "staff", lambda w: {}),
    ("GET", "/grids/g/{slug}/cells/{gp}/{f}/edit/", "editor", None),
    ("POST", "/grids/g/{slug}/cells/{gp}/{f}/", "editor", lambda w: {"text": "no", "revision": "1"}),
    ("GET", "/grids/g/{slug}/cells/{gp}/{f}/", "anyone", None),
]
POSTS = [route for route in ROUTES if route[0] == "POST"]


def allowed(rule: str, role: str, locked: bool) -> bool:
    if rule == "anyone":
        return True
    if role == "anonymous":
        return False
    if rule == "signed-in":
        return True
    if rule == "staff":
        return role == "staff"
    return role == "staff" or not locked  # editor


def client_as(auth, role: str) -> tuple[FlaskClient, str]:
    """A new client, anonymous or signed in to a new account named ``role``, and a CSRF token of its session."""
    client = auth.app.test_client()
    if role == "anonymous":
        return client, csrf_token_for(client, "/grids/")
    return client, auth(client).new_user(role, staff=role == "staff")


def history_size() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Change))


@pytest.mark.parametrize("locked", [False, True], ids=["open", "locked"])
@pytest.mark.parametrize("role", ["anonymous", "member", "staff"])
@pytest.mark.parametrize("method, path, rule, data", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_every_editing_route_checks_permissions(app, method, path, rule, data, role, locked, auth):
    world = build_world(locked)
    client, token = client_as(auth, role)
    url = world.fill(path)
    before = history_size()
    # the display route answers HTMX only; the others are tried as browsers send them
    headers = HX if rule == "anyone" else {}
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, data={"csrf_token": token, **data(world)}, headers=headers)

    if allowed(rule, role, locked):
        assert response.status_code in (200, 302, 303), response.get_data(as_text=True)[:400]
        assert not (response.location or "").startswith("/accounts/login/")
        if method == "POST":
            assert history_size() > before  # it really happened, and was recorded
    elif role == "anonymous":
        assert response.status_code == 302
        # a page comes back to itself after signing in; a form post goes to sign in (there is no page to return to)
        assert response.location.startswith("/accounts/login/?next=" if method == "GET" else "/accounts/login/")
        assert history_size() == before
    else:
        assert response.status_code == 403
        assert history_size() == before


@pytest.mark.parametrize("method, path, rule, data", [r for r in ROUTES if r[2] != "anyone"],
                         ids=[f"{r[0]} {r[1]}" for r in ROUTES if r[2] != "anyone"])
def test_htmx_requests_from_anonymous_people_get_401_and_hx_redirect(app, method, path, rule, data, auth):
    world = build_world(False)
    client, token = client_as(auth, "anonymous")
    headers = {**HX, "X-CSRFToken": token, "HX-Current-URL": f"http://localhost/grids/g/{world.grid.slug}/"}
    url = world.fill(path)
    response = client.get(url, headers=headers) if method == "GET" else client.post(url, data=data(world),
                                                                                    headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/accounts/login/")
    if method == "POST":
        assert response.headers["HX-Redirect"] == f"/accounts/login/?next=/grids/g/{world.grid.slug}/"


def test_htmx_refusals_on_a_locked_grid_are_403_fragments(app, auth):
    world = build_world(True)
    client, token = client_as(auth, "member")
    response = client.get(world.fill("/grids/g/{slug}/cells/{gp}/{f}/edit/"), headers=HX)
    assert response.status_code == 403
    assert response.get_data(as_text=True).strip() == (
        '<p class="inline-error" role="alert">This grid is locked: only staff can edit it.</p>')
    response = client.post(world.fill("/grids/g/{slug}/cells/{gp}/{f}/"), data={"text": "x", "revision": "1"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 403 and db.session.get(Element, world.element_id).text == "yes — works"


@pytest.mark.parametrize("method, path, rule, data", POSTS, ids=[r[1] for r in POSTS])
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_posts_without_a_csrf_token_are_refused(app, method, path, rule, data, htmx, auth):
    world = build_world(False)
    client, _token = client_as(auth, "staff")
    before = history_size()
    response = client.post(world.fill(path), data=data(world), headers=HX if htmx else {})
    assert response.status_code == 400
    assert history_size() == before
    response = client.post(world.fill(path), data={"csrf_token": "forged", **data(world)},
                           headers={**HX, "X-CSRFToken": "forged"} if htmx else {})
    assert response.status_code == 400
    assert history_size() == before
    assert db.session.scalar(select(func.count()).select_from(Grid)) == 1


def test_htmx_posts_with_the_header_token_work(app, auth):
    world = build_world(False)
    client, token = client_as(auth, "member")
    response = client.post(world.fill("/grids/g/{slug}/cells/{gp}/{f}/"), data={"text": "no", "revision": "1"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Element, world.element_id).text == "no"


# -- the buttons people see ------------------------------------------------------------------------------------

EDIT_MARKERS = ["/edit/", "/packages/add/", "/features/add/", "/remove/", 'class="cell-edit"', "/lock/", "/delete/",
                "Add packages", "Edit grid"]
STAFF_MARKERS = ["/lock/", "/delete/"]


def grid_page(client, world: World) -> str:
    return client.get(f"/grids/g/{world.grid.slug}/").get_data(as_text=True)


def test_anonymous_people_see_no_edit_controls(app, auth):
    world = build_world(False)
    client, _ = client_as(auth, "anonymous")
    html = grid_page(client, world)
    for marker in EDIT_MARKERS:
        assert marker not in html, marker
    assert "Sign in to edit" in html
    listing = client.get("/grids/").get_data(as_text=True)
    assert 'href="/grids/add/"' not in listing and "Sign in to create a grid" in listing


def test_signed_in_people_see_edit_controls_but_not_staff_ones(app, auth):
    world = build_world(False)
    client, _ = client_as(auth, "member")
    html = grid_page(client, world)
    for marker in ["/grids/g/guarded/edit/", "/grids/g/guarded/packages/add/", "/grids/g/guarded/features/add/",
                   f"/grids/g/guarded/packages/{world.member_id}/remove/", 'class="cell-edit"',
                   f"/grids/g/guarded/features/{world.feature_id}/edit/"]:
        assert marker in html, marker
    for marker in STAFF_MARKERS:
        assert marker not in html.replace(f"/packages/{world.member_id}/remove/", ""), marker
    assert "Sign in to edit" not in html
    assert 'href="/grids/add/"' in client.get("/grids/").get_data(as_text=True)
    edit_form = client.get(f"/grids/g/guarded/features/{world.feature_id}/edit/").get_data(as_text=True)
    assert "/delete/" not in edit_form


def test_on_a_locked_grid_signed_in_people_see_no_edit_controls(app, auth):
    world = build_world(True)
    client, _ = client_as(auth, "member")
    html = grid_page(client, world)
    for marker in EDIT_MARKERS:
        assert marker not in html, marker
    assert "only staff can edit it" in html
    assert "I use this" in html  # the usage toggle is not an edit of the grid


def test_staff_see_every_control_on_a_locked_grid(app, auth):
    world = build_world(True)
    client, _ = client_as(auth, "staff")
    html = grid_page(client, world)
    for marker in EDIT_MARKERS:
        assert marker in html, marker
    assert ">Unlock</button>" in html and 'name="locked" value="0"' in html
    assert f"/grids/g/guarded/features/{world.feature_id}/delete/" in html
