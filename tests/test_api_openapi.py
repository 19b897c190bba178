"""The OpenAPI document: valid, true to real responses, and every endpoint fuzzed with schemathesis."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import select

from tests.helpers import password_hash
from webapp.accounts.models import User
from webapp.extensions import db


def document(client) -> dict:
    response = client.get("/api/v4/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


def response_validator(doc: dict, path_template: str, status: str = "200") -> Draft202012Validator:
    """A JSON Schema validator for one operation's JSON response, resolving ``#/components/...``."""
    schema = doc["paths"][path_template]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]}, format_checker=FormatChecker())


def test_document_is_valid_openapi_3_1(client):
    doc = document(client)
    assert doc["openapi"].startswith("3.1")
    validate_spec(doc)


def test_document_lists_every_api_route(app, client):
    doc = document(client)
    documented = {re.sub(r"\{[^}]+\}", "<>", path) for path in doc["paths"]}
    routed = {re.sub(r"<[^>]+>", "<>", rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith(("api.", "api_v3."))}
    assert routed == documented


REAL_RESPONSES = [
    ("/api/v4/", "/api/v4/"),
    ("/api/v4/packages/", "/api/v4/packages/"),
    ("/api/v4/packages/?limit=100&offset=3", "/api/v4/packages/"),
    ("/api/v4/packages/2674/", "/api/v4/packages/{id_or_slug}/"),
    ("/api/v4/packages/django-invitations/?format=json", "/api/v4/packages/{id_or_slug}/"),
    ("/api/v4/categories/", "/api/v4/categories/"),
    ("/api/v4/categories/1/", "/api/v4/categories/{id}/"),
    ("/api/v4/grids/", "/api/v4/grids/"),
    ("/api/v4/grids/231/", "/api/v4/grids/{id_or_slug}/"),
    ("/api/v4/search/?q=django", "/api/v4/search/"),
    ("/api/v3/", "/api/v3/"),
    ("/api/v3/packages/", "/api/v3/packages/"),
    ("/api/v3/packages/django-invitations/", "/api/v3/packages/{slug}/"),
    ("/api/v3/grids/", "/api/v3/grids/"),
    ("/api/v3/categories/", "/api/v3/categories/"),
    ("/api/v3/categories/apps/", "/api/v3/categories/{slug}/"),
]


def test_real_responses_match_the_document(client, demo, auth):
    doc = document(client)
    for url, template in REAL_RESPONSES:
        response = client.get(url)
        assert response.status_code == 200, url
        errors = list(response_validator(doc, template).iter_errors(response.get_json()))
        assert not errors, (url, [error.message for error in errors[:5]])
    grid_slug = client.get("/api/v4/grids/231/").get_json()["slug"]
    for url, template in ((f"/api/v3/grids/{grid_slug}/", "/api/v3/grids/{slug}/"),
                          (f"/api/v3/grids/{grid_slug}/packages/", "/api/v3/grids/{slug}/packages/")):
        assert not list(response_validator(doc, template).iter_errors(client.get(url).get_json())), url
    user = db.session.scalar(select(User).where(User.username == "ada"))
    user.password_hash = password_hash()  # demo people sign in with GitHub only
    db.session.commit()
    auth.sign_in(user)
    for url, template in (("/api/v3/users/?list_packages=1", "/api/v3/users/"),
                          ("/api/v3/users/ada/", "/api/v3/users/{username}/")):
        response = client.get(url)
        assert response.status_code == 200
        assert not list(response_validator(doc, template).iter_errors(response.get_json())), url


def test_errors_match_the_document(client):
    doc = document(client)
    response = client.get("/api/v4/packages/nope/")
    assert response.status_code == 404
    assert not list(response_validator(doc, "/api/v4/packages/{id_or_slug}/", "404").iter_errors(
        response.get_json()))


def test_human_documentation_page(client):
    response = client.get("/api/v4/docs/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Package Grids API</h1>" in page
    for path in ("/api/v4/packages/{id_or_slug}/", "/api/v3/grids/{slug}/packages/", "/api/v4/search/"):
        assert path in page
    assert "commits_over_52" in page and "Retry-After" in page
    # Nothing from elsewhere: every script and stylesheet is the site's own.
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/") for asset in assets), assets


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
            response_headers_conformance]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_fuzz_every_endpoint(app, client, demo, signed_in, auth):
    """Schemathesis generates requests for every operation; none may fail or stray from the document."""
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/api/v4/openapi.json", app)
    cookies = {}
    if signed_in:
        auth.new_user("fuzzer")
        cookie = client.get_cookie("session")
        cookies = {"session": cookie.value}
    checks = _checks()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every path but the document's own, which schemathesis leaves out (it is checked above).
    assert {op.path for op in operations} == set(schema.raw_schema["paths"]) - {"/api/v4/openapi.json"}
    statuses: dict[str, set[int]] = {}

    def fuzzer(operation):
        @settings(max_examples=25, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(cookies=cookies or None))
        def fuzz(case):
            # The WSGI transport hands back the body as sent; real HTTP clients undo the compression.
            case.headers = {**(case.headers or {}), "Accept-Encoding": "identity"}
            with app.app_context():  # as in production, each request gets its own `g` (see FreshContextClient)
                response = case.call()
            statuses.setdefault(operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=checks)

        return fuzz

    for operation in operations:
        fuzzer(operation)()
    assert all(max(codes) < 500 for codes in statuses.values()), statuses
    users = statuses["GET /api/v3/users/"]
    assert users == ({200} if signed_in else {403})
