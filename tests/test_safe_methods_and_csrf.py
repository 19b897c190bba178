"""Only POST (or PUT/PATCH/DELETE) with a valid CSRF token changes anything: swept over every rule of
``app.url_map``, every method and every role (anonymous, signed in, the package's owner, staff)."""

from __future__ import annotations

from tests.editing_support import html
from tests.helpers import csrf_token_for
from tests.route_sweep import (
    CSRF_EXEMPT_BLUEPRINTS,
    CSRF_EXEMPT_VIEWS,
    ROLES,
    UNSAFE_METHODS,
    all_rules,
    check_fillers_cover_every_rule,
    differences,
    snapshot,
    url_for_rule,
)

CSRF_MESSAGE = "security token"


def _form_body(world) -> dict[str, str]:
    """Fields of every form on the site, filled so that the request would change something if it were let
    through: the sweep must not pass only because a view refused an empty form."""
    return {
        "title": "Changed title", "slug": "changedslug", "description": "Changed description", "text": "yes changed",
        "category": str(world.category.id), "repo_url": "https://github.com/example/changed", "pypi_url": "",
        "documentation_url": "", "package_id": str(world.mine.id), "locked": "1", "use": "1",
        "reason": "This is spam", "username": "newcomer", "email": "newcomer@example.org",
        "password": "a long enough password", "confirm": "a long enough password", "source": "changed",
        "grid": world.grid.slug, "q": "", "next": "/",
    }


def test_the_world_gives_the_owner_and_staff_real_powers(world):
    """The sweeps below mean something only if the roles could change things: the owner and staff see the
    delete page of the owner's package, the signed-in user does not."""
    path = f"/packages/{world.mine.slug}/delete/"
    assert world.clients["owner"].get(path).status_code == 200
    assert world.clients["staff"].get(path).status_code == 200
    assert world.clients["user"].get(path).status_code == 403


def test_safe_methods_change_nothing_on_any_route_for_any_role(world):
    """GET, HEAD and OPTIONS on every rule, as every role, plain and as HTMX: no table changes, no 500."""
    fillers = check_fillers_cover_every_rule(world)
    failures = []
    swept = 0
    for rule in all_rules():
        values = fillers.get(rule.endpoint, {})
        for method in sorted(rule.methods - UNSAFE_METHODS):
            path = url_for_rule(rule, values, method)
            for role in ROLES:
                client = world.clients[role]
                before = snapshot()
                responses = [client.open(path, method=method),
                             client.open(path, method=method, headers={"HX-Request": "true"})]
                changed = differences(before, snapshot())
                swept += 1
                if changed:
                    failures.append(f"{method} {path} as {role} changed {changed}")
                for response in responses:
                    if response.status_code >= 500:
                        failures.append(f"{method} {path} as {role}: {response.status_code}")
                if rule.arguments and role == "staff" and responses[0].status_code == 404:
                    failures.append(f"{method} {path} as staff is a 404: the filler names no real object")
    assert not failures, "\n".join(failures)
    assert swept > 150


def test_head_does_not_delete(world):
    """The original bug: HEAD ran the POST branch of the delete views (CSRF only guards POST and friends)."""
    staff = world.clients["staff"]
    feature_path = f"/grids/g/{world.grid.slug}/features/{world.feature.id}/delete/"
    for path in (f"/packages/{world.mine.slug}/delete/", feature_path, f"/grids/g/{world.grid.slug}/delete/"):
        before = snapshot()
        assert staff.head(path).status_code == 200
        assert staff.get(path).status_code == 200
        assert not differences(before, snapshot()), path
    owner_head = world.clients["owner"].head(f"/packages/{world.mine.slug}/delete/")
    assert owner_head.status_code == 200
    assert world.clients["anonymous"].get(f"/packages/p/{world.mine.slug}/").status_code == 200


def _token_variants(app) -> list[tuple[str, dict, dict]]:
    """(name, extra form fields, headers) of requests whose CSRF token is missing or not this session's."""
    foreign_token = csrf_token_for(app.test_client(), "/")  # valid, but for another session
    return [
        ("no token", {}, {}),
        ("garbage token", {"csrf_token": "not-a-token"}, {}),
        ("garbage HTMX header", {}, {"X-CSRFToken": "not-a-token", "HX-Request": "true"}),
        ("another session's token", {"csrf_token": foreign_token}, {}),
    ]


def test_unsafe_methods_without_a_valid_csrf_token_change_nothing(app, world):
    """POST/PUT/PATCH/DELETE on every rule, as every role, with no token, a garbage token (form field or HTMX
    header) or another session's token: 400 with the CSRF message and no table changes. The only exceptions
    are CSRF_EXEMPT_VIEWS and CSRF_EXEMPT_BLUEPRINTS (tests/route_sweep.py), and they must stay exactly those."""
    fillers = check_fillers_cover_every_rule(world)
    body = _form_body(world)
    variants = _token_variants(app)
    failures = []
    exempt_seen = set()
    checked = 0
    for rule in all_rules():
        values = fillers.get(rule.endpoint, {})
        for method in sorted(rule.methods & UNSAFE_METHODS):
            path = url_for_rule(rule, values, method)
            before = snapshot()
            for role in ROLES:
                client = world.clients[role]
                for name, token_fields, headers in variants:
                    response = client.open(path, method=method, data={**body, **token_fields}, headers=headers)
                    checked += 1
                    where = f"{method} {path} as {role} with {name}"
                    if CSRF_MESSAGE in html(response) and response.status_code == 400:
                        continue
                    exempt_seen.add(rule.endpoint)
                    if not (rule.endpoint in CSRF_EXEMPT_VIEWS
                            or rule.endpoint.split(".")[0] in CSRF_EXEMPT_BLUEPRINTS):
                        failures.append(f"{where}: {response.status_code}, not refused for its CSRF token")
                    elif response.status_code not in (403, 405):
                        failures.append(f"{where}: exempt endpoint answered {response.status_code}")
            changed = differences(before, snapshot())
            if changed:
                failures.append(f"{method} {path} without a valid token (as {', '.join(ROLES)}) changed {changed}")
    assert not failures, "\n".join(failures)
    assert {endpoint.split(".")[0] for endpoint in exempt_seen - CSRF_EXEMPT_VIEWS} == CSRF_EXEMPT_BLUEPRINTS
    assert {endpoint for endpoint in exempt_seen
            if endpoint.split(".")[0] not in CSRF_EXEMPT_BLUEPRINTS} == CSRF_EXEMPT_VIEWS
    assert checked > 300


def test_the_same_requests_with_a_valid_token_do_change_things(app, world):
    """The control for the sweep above: its form body is strong enough to change the database when the token
    is valid (so the sweep's "nothing changed" is the CSRF check's doing)."""
    staff = world.clients["staff"]
    token = staff.token
    body = _form_body(world)
    for path in (f"/grids/g/{world.grid.slug}/lock/", f"/packages/p/{world.mine.slug}/usage/",
                 f"/grids/g/{world.grid.slug}/packages/add/", f"/packages/{world.mine.slug}/delete/"):
        before = snapshot()
        response = staff.post(path, data={**body, "csrf_token": token})
        assert response.status_code in (200, 302, 303), (path, response.status_code)
        assert differences(before, snapshot()), path
