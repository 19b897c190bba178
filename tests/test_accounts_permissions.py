"""Permission helpers, and how refusals look over HTTP: sign-in redirects, HTMX 401s, 403 for non-staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Blueprint
from flask_login import AnonymousUserMixin

from tests.factories import make_grid, make_package, make_user
from tests.helpers import PASSWORD, csrf_token_for
from webapp import create_app
from webapp.accounts import permissions
from webapp.catalog.models import Usage
from webapp.catalog.queries import package_claimed_by_others
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.grids.models import GridPackage


@pytest.fixture(scope="module")
def guarded_app(app):
    """The site plus a few views guarded the way other domains guard theirs."""
    other = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SERVER_NAME", "REDIS_URL", "API_RATE_LIMIT")})
    guarded = Blueprint("guarded", __name__)

    @guarded.route("/guarded/edit/", methods=["GET", "POST"])
    @permissions.login_required
    def edit():
        return "edited"

    @guarded.post("/guarded/staff/")
    @permissions.staff_required
    def staff_only():
        return "staff did it"

    @guarded.get("/api/v4/guarded/")
    @permissions.login_required
    def api_view():
        return {"ok": True}

    other.register_blueprint(guarded)
    other.test_client_class = app.test_client_class  # one app context per request, as on the site
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def guarded(guarded_app):
    return guarded_app.test_client()


def test_login_required_redirects_a_page_to_sign_in_and_back(guarded, auth):
    response = guarded.get("/guarded/edit/?tab=2")
    assert response.status_code == 302
    assert response.location == "/accounts/login/?next=/guarded/edit/?tab%3D2"
    make_user("amy", password=PASSWORD)
    response = auth(guarded).login("amy", next="/guarded/edit/?tab=2")
    assert response.location == "/guarded/edit/?tab=2"
    assert guarded.get("/guarded/edit/").get_data(as_text=True) == "edited"


def test_login_required_post_comes_back_to_the_page_it_was_sent_from(guarded):
    token = csrf_token_for(guarded, "/accounts/login/")
    response = guarded.post("/guarded/edit/", data={"csrf_token": token},
                            headers={"Referer": "http://localhost/grids/g/web/"})
    assert response.status_code == 302
    assert response.location == "/accounts/login/?next=/grids/g/web/"
    response = guarded.post("/guarded/edit/", data={"csrf_token": token},
                            headers={"Referer": "https://evil.example/phish/"})
    assert response.location == "/accounts/login/"


def test_login_required_htmx_gets_401_and_hx_redirect(guarded):
    token = csrf_token_for(guarded, "/accounts/login/")
    response = guarded.post("/guarded/edit/", headers={
        "HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": "http://localhost/packages/p/flask/"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/accounts/login/?next=/packages/p/flask/"


def test_login_required_api_gets_json_401(guarded):
    response = guarded.get("/api/v4/guarded/")
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Sign in to do that."}


def test_htmx_post_without_csrf_header_is_refused(guarded, auth):
    make_user("ben", password=PASSWORD)
    auth(guarded).login("ben")
    response = guarded.post("/guarded/edit/", headers={"HX-Request": "true"})
    assert response.status_code == 400
    token = csrf_token_for(guarded, "/profiles/ben/")
    response = guarded.post("/guarded/edit/", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200 and response.get_data(as_text=True) == "edited"


def test_staff_required(guarded, auth):
    token = csrf_token_for(guarded, "/accounts/login/")
    response = guarded.post("/guarded/staff/", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")

    make_user("cat", password=PASSWORD)
    auth(guarded).login("cat")
    token = csrf_token_for(guarded, "/profiles/cat/")
    response = guarded.post("/guarded/staff/", data={"csrf_token": token})
    assert response.status_code == 403
    assert "Only staff can do that." in response.get_data(as_text=True)
    response = guarded.post("/guarded/staff/", data={"csrf_token": token}, headers={"HX-Request": "true",
                                                                                   "X-CSRFToken": token})
    assert response.status_code == 403
    assert 'class="inline-error"' in response.get_data(as_text=True)

    staff_client = guarded.application.test_client()
    make_user("dee", password=PASSWORD, is_staff=True)
    auth(staff_client).login("dee")
    token = csrf_token_for(staff_client, "/profiles/dee/")
    response = staff_client.post("/guarded/staff/", data={"csrf_token": token})
    assert response.status_code == 200 and response.get_data(as_text=True) == "staff did it"


# -- the rules -------------------------------------------------------------------------------------------------


def test_anonymous_people_only_read():
    anonymous = AnonymousUserMixin()
    grid = make_grid("Open")
    package = make_package("pkg")
    assert not permissions.is_signed_in(anonymous) and not permissions.is_staff(anonymous)
    assert not permissions.can_add(anonymous)
    assert not permissions.can_edit_grid(anonymous, grid)
    assert not permissions.can_edit_package(anonymous, package)
    assert not permissions.can_delete_package(anonymous, package, used_or_gridded=False)
    assert not permissions.can_moderate(anonymous)
    assert not permissions.can_edit_grid(None, grid)


def test_signed_in_people_add_and_edit_but_not_locked_grids():
    user = make_user()
    open_grid, locked_grid = make_grid("Open"), make_grid("Locked", is_locked=True)
    package = make_package("pkg")
    assert permissions.can_add(user)
    assert permissions.can_edit_grid(user, open_grid)
    assert not permissions.can_edit_grid(user, locked_grid)
    assert permissions.can_edit_package(user, package)
    assert not permissions.can_delete_grid(user, open_grid)
    assert not permissions.can_delete_feature(user)
    assert not permissions.can_moderate(user) and not permissions.can_lock_grid(user, open_grid)


def test_staff_do_everything():
    staff = make_user(is_staff=True)
    locked = make_grid("Locked", is_locked=True)
    package = make_package("pkg", removed_at=utcnow())
    assert permissions.is_staff(staff)
    assert permissions.can_edit_grid(staff, locked)
    assert permissions.can_edit_package(staff, package)
    assert permissions.can_delete_package(staff, package, used_or_gridded=True)
    assert permissions.can_delete_grid(staff, locked) and permissions.can_delete_feature(staff)
    assert permissions.can_moderate(staff) and permissions.can_lock_grid(staff, locked)


def test_inactive_staff_are_nobody():
    staff = make_user(is_staff=True, is_active=False)
    assert not permissions.is_staff(staff) and not permissions.can_add(staff)


def test_removed_packages_are_edited_by_staff_only():
    user = make_user()
    package = make_package("pkg", removed_at=utcnow())
    assert not permissions.can_edit_package(user, package)


def test_creator_may_delete_within_24_hours_when_nobody_else_used_or_gridded_it():
    creator, other = make_user(), make_user()
    package = make_package("mine", created_by_id=creator.id)
    now = utcnow()
    assert permissions.can_delete_package(creator, package, used_or_gridded=False, now=now)
    assert permissions.can_delete_package(creator, package, False, now=package.created + timedelta(hours=23))
    assert not permissions.can_delete_package(creator, package, False, now=package.created + timedelta(hours=25))
    assert not permissions.can_delete_package(creator, package, used_or_gridded=True, now=now)
    assert not permissions.can_delete_package(other, package, used_or_gridded=False, now=now)


def test_package_claimed_by_others():
    creator, other = make_user(), make_user()
    package = make_package("mine", created_by_id=creator.id)
    assert not package_claimed_by_others(package.id, creator.id)

    db.session.add(Usage(user_id=creator.id, package_id=package.id))
    grid = make_grid("Mine")
    db.session.add(GridPackage(grid_id=grid.id, package_id=package.id, added_by_id=creator.id))
    db.session.commit()
    assert not package_claimed_by_others(package.id, creator.id)

    db.session.add(Usage(user_id=other.id, package_id=package.id))
    db.session.commit()
    assert package_claimed_by_others(package.id, creator.id)


def test_package_in_someone_elses_grid_is_claimed():
    creator, other = make_user(), make_user()
    package = make_package("mine", created_by_id=creator.id)
    grid = make_grid("Theirs")
    db.session.add(GridPackage(grid_id=grid.id, package_id=package.id, added_by_id=other.id))
    db.session.commit()
    assert package_claimed_by_others(package.id, creator.id)
    assert package_claimed_by_others(package.id, None)


@pytest.mark.parametrize("target, expected", [
    ("/grids/", "/grids/"),
    ("/a?b=c#d", "/a?b=c#d"),
    ("", None), (None, None),
    ("grids/", None),
    ("//evil.example", None),
    ("/\\evil.example", None),
    ("https://evil.example/", None),
    ("/ok\r\nSet-Cookie: x=y", None),
    ("/" + "a" * 3000, None),
])
def test_safe_next(target, expected):
    assert permissions.safe_next(target) == expected
