"""Input that used to give 500s or match too much: integers too big for the database in URLs, text fields
sent as file parts, and LIKE wildcards typed into search boxes and list filters."""

from __future__ import annotations

import io
import json

import pytest
from flask_wtf import FlaskForm

from tests.editing_support import html
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import PASSWORD, csrf_token_for, password_hash
from tests.route_sweep import (
    CSRF_EXEMPT_BLUEPRINTS,
    CSRF_EXEMPT_VIEWS,
    UNSAFE_METHODS,
    all_rules,
    check_fillers_cover_every_rule,
    differences,
    int_arguments,
    snapshot,
    url_for_rule,
)
from webapp.db_types import INTEGER_MAX

# -- integers in URLs ------------------------------------------------------------------------------------------

HUGE_VALUES = (INTEGER_MAX + 1, 2**63, 99999999999999999999, 10**40)


def test_every_int_url_argument_too_big_for_the_database_is_a_404(world):
    """Every rule with an ``<int:...>`` argument, GET and POST (with a valid CSRF token) as staff: a value
    above what an id column holds (2**31-1, PostgreSQL's INTEGER; SQLite overflowed past 2**63-1) is a 404,
    never a 500; the largest value a column holds is a plain 404 too."""
    fillers = check_fillers_cover_every_rule(world)
    staff = world.clients["staff"]
    failures = []
    rules = [rule for rule in all_rules() if int_arguments(rule)]
    assert len(rules) >= 9, [rule.rule for rule in rules]
    before = snapshot()
    for rule in rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            for name in int_arguments(rule):
                for value in (*HUGE_VALUES, INTEGER_MAX):
                    path = url_for_rule(rule, {**fillers[rule.endpoint], name: value}, method)
                    data = {"csrf_token": staff.token} if method == "POST" else None
                    response = staff.open(path, method=method, data=data)
                    if response.status_code != 404:
                        failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert not differences(before, snapshot())


def _destructive_last(rule) -> tuple:
    return (rule.endpoint.endswith(("delete", "remove_package", "approve")), rule.rule, rule.endpoint)


def test_every_form_field_with_a_huge_number_is_never_a_500(world):
    """Every POST form route as staff with a valid token, one field at a time set to numbers no id column holds:
    a form error or another 4xx, never a 500 (ids read from forms are bounded like ids in URLs)."""
    fields = _form_field_names()
    fillers = check_fillers_cover_every_rule(world)
    staff = world.clients["staff"]
    routes = sorted((rule for rule in all_rules() if rule.methods & UNSAFE_METHODS and not _is_exempt(rule.endpoint)),
                    key=_destructive_last)
    failures = []
    for rule in routes:
        path = url_for_rule(rule, fillers.get(rule.endpoint, {}), "POST")
        for name in sorted(fields):
            for value in (str(INTEGER_MAX + 1), "99999999999999999999"):
                response = staff.post(path, data={"csrf_token": staff.token, name: value})
                if response.status_code >= 500:
                    failures.append(f"POST {path} with {name}={value}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", [str(INTEGER_MAX + 1), "99999999999999999999"])
def test_a_huge_package_id_when_editing_a_renamed_package_is_a_404(world, value):
    """The edit form carries the package's id to survive a rename; an id no column holds is "no such package"."""
    staff = world.clients["staff"]
    response = staff.post("/packages/renamed-meanwhile/edit/", data={
        "csrf_token": staff.token, "package_id": value, "title": "Mine", "slug": "mine",
        "category": str(world.category.id), "revision": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("value", [str(INTEGER_MAX + 1), "99999999999999999999"])
def test_adding_a_package_with_a_huge_id_to_a_grid_is_refused(world, value):
    staff = world.clients["staff"]
    before = snapshot()
    response = staff.post(f"/grids/g/{world.grid.slug}/packages/add/",
                          data={"csrf_token": staff.token, "package_id": value}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "That package does not exist." in html(response)
    assert not differences(before, snapshot())


def test_a_huge_cell_address_is_a_friendly_404(world):
    response = world.clients["anonymous"].get(f"/grids/g/{world.grid.slug}/cells/99999999999999999999/1/")
    assert response.status_code == 404
    assert "We could not find that page." in html(response)


# -- file parts where forms expect text ------------------------------------------------------------------------

# Fields the views read straight from request.form, besides the form classes' fields.
RAW_FORM_FIELDS = {"locked", "use", "reason", "next", "stat", "cell", "package_id", "q"}


def _form_field_names() -> set[str]:
    """The names of every field of every form class on the site, and the raw fields views read."""
    import webapp.accounts.forms  # noqa: F401
    import webapp.catalog.forms  # noqa: F401
    import webapp.grids.forms  # noqa: F401

    names = set(RAW_FORM_FIELDS)
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        if form_class.__module__.startswith("webapp."):
            names.update(name for name, _field in form_class(formdata=None, meta={"csrf": False})._fields.items())
    return names - {"csrf_token"}


def _is_exempt(endpoint: str) -> bool:
    return endpoint in CSRF_EXEMPT_VIEWS or endpoint.split(".")[0] in CSRF_EXEMPT_BLUEPRINTS


def test_every_form_field_sent_as_a_file_part_is_a_400(app, world):
    """Every POST route (the CSRF-checked ones: forms), as staff with a valid token sent as text, with one
    field at a time sent as a file part: 400 with a clear message, and nothing changes."""
    fields = _form_field_names()
    assert {"username", "password", "title", "text", "reason", "package_id"} <= fields
    fillers = check_fillers_cover_every_rule(world)
    staff = world.clients["staff"]
    failures = []
    routes = [rule for rule in all_rules() if rule.methods & UNSAFE_METHODS and not _is_exempt(rule.endpoint)]
    assert len(routes) >= 15
    for rule in routes:
        path = url_for_rule(rule, fillers.get(rule.endpoint, {}), "POST")
        before = snapshot()
        for name in sorted(fields):
            response = staff.post(path, content_type="multipart/form-data", data={
                "csrf_token": staff.token, name: (io.BytesIO(b"text sent as a file"), "field.txt")})
            if response.status_code != 400 or "takes no file uploads" not in html(response):
                failures.append(f"POST {path} with {name} as a file: {response.status_code}")
        changed = differences(before, snapshot())
        if changed:
            failures.append(f"POST {path} with fields as files changed {changed}")
    assert not failures, "\n".join(failures)


def test_sign_in_with_the_username_as_a_file_is_a_400(app):
    """The first report: a text field sent as a file crashed the sign-in form."""
    make_user("carol", password_hash=password_hash())
    client = app.test_client()
    token = csrf_token_for(client, "/accounts/login/")
    response = client.post("/accounts/login/", content_type="multipart/form-data", data={
        "csrf_token": token, "username": (io.BytesIO(b"carol"), "name.txt"), "password": "whatever"})
    assert response.status_code == 400
    assert "This form takes no file uploads: send username as text." in html(response)


def test_multipart_forms_without_files_still_work(app):
    """Only file parts are refused: a browser may send a form as multipart/form-data."""
    make_user("carol", password_hash=password_hash())
    client = app.test_client()
    token = csrf_token_for(client, "/accounts/login/")
    response = client.post("/accounts/login/", content_type="multipart/form-data",
                           data={"csrf_token": token, "username": "carol", "password": PASSWORD})
    assert response.status_code == 302


# -- LIKE wildcards ------------------------------------------------------------------------------------------------

PACKAGES = {"Quokka", "Zebrafish", "Marmot"}
GRIDS = {"Animals", "Birds"}
LITERAL_PACKAGES = {"100% Pure", "snake_case"}
LITERAL_GRIDS = {"100% Coverage"}


@pytest.fixture
def wildcard_catalogue():
    """Packages and grids whose names have no ``%`` or ``_`` (and slugs no ``-``: search treats ``_`` in a
    query as the ``-`` of a slug), and a person to use the grid package picker."""
    category = make_category("Tools", slug="tools")
    packages = [make_package(title, category=category, slug=title.lower(), repo_url=f"https://github.com/x/{title}",
                             repo_description=f"The {title} library")
                for title in sorted(PACKAGES)]
    grid = make_grid("Animals", slug="animals", description="Furry things", packages=packages[:1])  # Marmot
    make_grid("Birds", slug="birds", description="Winged critters")
    return category, grid, make_user("oscar", password_hash=password_hash())


def _found(client, category, grid, query: str) -> dict[str, set[str]]:
    """Which package and grid names each list, filter or search answer shows for ``query``."""
    every_package = PACKAGES | LITERAL_PACKAGES
    every_name = every_package | GRIDS | LITERAL_GRIDS
    pages = {  # where: (path, the names that answer lists)
        "/packages/": (f"/packages/?q={query}", every_package),
        "category page": (f"/categories/{category.slug}/?q={query}", every_package),
        "/search/": (f"/search/?q={query}", every_name),
        "/search/suggest/": (f"/search/suggest/?q={query}", every_name),
        "/api/v4/search/": (f"/api/v4/search/?q={query}", every_name),
        "/grids/": (f"/grids/?q={query}", GRIDS | LITERAL_GRIDS),
        "grid package picker": (f"/grids/g/{grid.slug}/packages/add/?q={query}", every_package),
    }
    found = {}
    for where, (path, names) in pages.items():
        response = client.get(path, headers={"HX-Request": "true"} if where == "/search/suggest/" else {})
        assert response.status_code == 200, (where, response.status_code)
        text = json.dumps(response.get_json()) if where.startswith("/api/") else html(response)
        found[where] = {name for name in names if name in text}
    return found


@pytest.mark.parametrize("query", ["%", "_", "%25", "%5F", "%25%25", "o%25", "%5Fo"])
def test_like_wildcards_typed_in_searches_and_filters_match_nothing(app, wildcard_catalogue, query, auth):
    """``q=%`` and ``q=_`` are literal characters: no name here has them, so nothing is found anywhere."""
    category, grid, person = wildcard_catalogue
    client = auth.client_for(person)
    control = _found(client, category, grid, "a")
    assert control["/packages/"] == control["/search/"] - GRIDS == PACKAGES
    assert control["/grids/"] == {"Animals"}
    assert control["grid package picker"] == {"Quokka", "Zebrafish"}  # Marmot is in the grid
    assert _found(client, category, grid, query) == {where: set() for where in control}


def test_a_literal_percent_or_underscore_in_a_name_is_still_found(app, wildcard_catalogue, auth):
    category, grid, person = wildcard_catalogue
    make_package("100% Pure", category=category, slug="purepercent", repo_url="https://github.com/x/pure")
    make_package("snake_case", category=category, slug="snakecase", repo_url="https://github.com/x/snake")
    make_grid("100% Coverage", slug="coverage")
    client = auth.client_for(person)
    percent = _found(client, category, grid, "%25")
    assert percent["/grids/"] == {"100% Coverage"}
    for where in ("/search/", "/search/suggest/", "/api/v4/search/"):
        assert percent[where] == {"100% Pure", "100% Coverage"}, where
    for where in ("/packages/", "category page", "grid package picker"):
        assert percent[where] == {"100% Pure"}, where
    underscore = _found(client, category, grid, "_")
    assert underscore["/grids/"] == set()
    for where in ("/packages/", "category page", "grid package picker", "/search/", "/search/suggest/",
                  "/api/v4/search/"):
        assert underscore[where] == {"snake_case"}, where
