"""One error vocabulary and real enums.

Services raise :class:`~webapp.domain_errors.FieldError` subclasses naming the form field their message belongs
to, and every form that catches one shows the message on that field. Fetch status, flag status and change action
are StrEnums: the database keeps the same plain strings as always, the code reads and compares members, and no
module compares a status to a bare string any more.
"""

from __future__ import annotations

import ast
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

import webapp
from tests.editing_support import a_package, html, post
from tests.factories import make_category, make_grid, make_user
from tests.helpers import PASSWORD, csrf_token_for
from webapp.accounts.services import AccountError
from webapp.catalog.models import Flag, FlagStatus
from webapp.catalog.services import CatalogError
from webapp.domain_errors import DomainError, FieldError
from webapp.extensions import db
from webapp.fetch_status import FetchStatus
from webapp.grids.services import GridWriteError
from webapp.history.models import Change, ChangeAction
from webapp.staff.services import StaffError

WEBAPP = Path(webapp.__file__).parent
TEMPLATES = WEBAPP.parent / "templates"


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


# -- FieldError: every subclass shows its message on the field it names -------------------------------------------


@dataclass
class Scenario:
    """An HTTP request that makes a service raise ``error`` with ``message`` on ``field``."""

    error: type[FieldError]
    field: str
    message: str
    send: Callable  # (client, auth) -> response


def _add_package(client, auth, **fields):
    category = make_category("Apps")
    a_package(title="original", slug="original", repo_url="https://github.com/acme/original")
    auth.new_user()
    data = {"title": "Fresh", "slug": "fresh", "category": category.id, "repo_url": "https://github.com/acme/fresh",
            "pypi_url": "", "documentation_url": "", **fields}
    return post(client, "/packages/add/", data)


def _edit_package(client, auth, **fields):
    a_package(title="original", slug="original", repo_url="https://github.com/acme/original")
    package = a_package(title="widget", slug="widget", repo_url="https://github.com/acme/widget")
    auth.new_user()
    data = {"title": package.title, "slug": package.slug, "category": package.category_id,
            "repo_url": package.repo_url, "pypi_url": "", "documentation_url": "", "revision": package.revision,
            "package_id": package.id, **fields}
    return post(client, "/packages/widget/edit/", data)


def _create_grid(client, auth):
    make_grid("Existing", slug="taken")
    auth.new_user()
    return post(client, "/grids/add/", {"title": "Taken", "slug": "taken", "description": ""})


def _create_category(client, auth):
    make_category("Apps", slug="apps")
    auth.new_user("chief", staff=True)
    return post(client, "/staff/categories/", {"title": "Apps again", "slug": "apps", "description": ""})


def _sign_up(client, auth):
    # The sign-up form checks the name first so that every mistake shows at once; the service's AccountError
    # (two sign-ups racing for one name) goes through show_field_error to the same field with the same words.
    make_user("Grace")
    return client.post("/accounts/signup/", data={
        "username": "grace", "email": "grace@example.org", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token_for(client, "/accounts/signup/")})


SCENARIOS = {
    "add: slug taken": Scenario(CatalogError, "slug", "Another package already uses this slug.",
                                lambda client, auth: _add_package(client, auth, slug="original")),
    "add: repository listed": Scenario(CatalogError, "repo_url", "This repository is already listed.",
                                       lambda client, auth: _add_package(
                                           client, auth, repo_url="https://github.com/ACME/original")),
    "edit: slug taken": Scenario(CatalogError, "slug", "Another package already uses this slug.",
                                 lambda client, auth: _edit_package(client, auth, slug="original")),
    "edit: repository listed": Scenario(CatalogError, "repo_url", "This repository is already listed.",
                                        lambda client, auth: _edit_package(
                                            client, auth, repo_url="https://github.com/acme/original")),
    "new grid: address taken": Scenario(GridWriteError, "slug",
                                        "A grid with this address already exists. Choose another.", _create_grid),
    "new category: address taken": Scenario(StaffError, "slug", "A category with this address already exists.",
                                            _create_category),
    "sign up: username taken": Scenario(AccountError, "username", "That username is taken. Choose another.",
                                        _sign_up),
}


def test_every_field_error_subclass_has_a_form_scenario():
    """A new FieldError subclass needs a scenario below, so its message is proven to reach its field."""
    assert _subclasses(FieldError) == {scenario.error for scenario in SCENARIOS.values()}


def test_the_domain_errors_are_one_family():
    from webapp.history.services import RevertError
    from webapp.moderation.services import ModerationError

    assert {CatalogError, GridWriteError, AccountError} <= _subclasses(FieldError)
    assert {FieldError, RevertError, ModerationError} <= _subclasses(DomainError)
    error = CatalogError("slug", "Taken.")
    assert (error.field, error.message, str(error)) == ("slug", "Taken.", "Taken.")


def _field_error_text(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error" role="alert">(.*?)</p>', page, re.S)
    return html_lib.unescape(match.group(1)) if match else None


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_service_error_shows_on_the_field_it_names(client, auth, monkeypatch, app, name):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "off")
    scenario = SCENARIOS[name]
    response = scenario.send(client, auth)
    assert response.status_code == 422
    page = html(response)
    assert scenario.message in (_field_error_text(page, scenario.field) or ""), page
    # on that field only
    others = re.findall(r'<p class="field-error" id="([\w-]+)-error"', page)
    assert others == [scenario.field]


def test_an_error_naming_no_field_of_the_form_shows_above_the_form(app):
    from webapp.forms import show_field_error
    from webapp.grids.forms import GridForm

    with app.test_request_context("/grids/add/", method="POST", data={"title": "T"}):
        form = GridForm()
        show_field_error(form, GridWriteError("", "This grid was deleted a moment ago."))
        show_field_error(form, GridWriteError("no_such_field", "Elsewhere."))
        show_field_error(form, GridWriteError("slug", "Taken."))  # before validation: errors is a tuple
        assert form.form_errors == ["This grid was deleted a moment ago.", "Elsewhere."]
        assert form.slug.errors == ["Taken."]


# -- enums: the stored strings are the enum values ----------------------------------------------------------------


def test_the_stored_vocabulary_does_not_change():
    """Rows and API answers keep these exact strings: renaming a value needs a data migration."""
    assert {member.value for member in FlagStatus} == {"open", "approved", "dismissed"}
    assert {member.value for member in ChangeAction} == {"create", "update", "delete", "revert", "dismiss"}
    assert {member.value for member in FetchStatus} == {
        "updated", "unchanged", "failed", "quota", "nothing to fetch", "no such package", "deferred", "queued",
        "started", "off"}


def test_flags_and_changes_store_plain_strings_and_read_back_members(client, auth, people, monkeypatch, app):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "off")
    category = make_category("Apps")
    a_package(title="widget", slug="widget", category=category)
    a_package(title="gadget", slug="gadget", category=category)
    a_package(title="doomed", slug="doomed", category=category)
    other, staff = auth.client_for(people.other), auth.client_for(people.staff)
    for slug in ("widget", "gadget"):
        assert post(other, f"/packages/p/{slug}/flag/", {"reason": "Spam."}).status_code == 302
    assert db.session.execute(text("SELECT DISTINCT status FROM flags")).scalars().all() == ["open"]
    widget_flag, gadget_flag = db.session.scalars(select(Flag.id).order_by(Flag.id))
    assert post(staff, f"/moderation/flags/{widget_flag}/approve/").status_code == 302
    assert post(staff, f"/moderation/flags/{gadget_flag}/dismiss/").status_code == 302
    # people's actions through the site: add, edit, revert the edit, delete
    assert post(staff, "/packages/add/", {"title": "Added", "slug": "added", "category": category.id,
                                          "repo_url": "https://github.com/acme/added", "pypi_url": "",
                                          "documentation_url": ""}).status_code == 302
    added = db.session.scalar(text("SELECT id FROM packages WHERE slug = 'added'"))
    assert post(staff, "/packages/added/edit/", {"title": "Renamed", "slug": "added", "category": category.id,
                                                 "repo_url": "https://github.com/acme/added", "pypi_url": "",
                                                 "documentation_url": "", "revision": 1,
                                                 "package_id": added}).status_code == 302
    edit = db.session.scalar(select(Change).where(Change.field == "title", Change.package_id == added))
    assert post(staff, f"/history/{edit.id}/revert/").status_code == 302
    assert post(staff, "/packages/doomed/delete/").status_code == 302

    raw_flags = dict(db.session.execute(text("SELECT id, status FROM flags")).all())
    assert raw_flags == {widget_flag: "approved", gadget_flag: "dismissed"}
    assert all(type(value) is str for value in raw_flags.values())
    raw_actions = set(db.session.execute(text("SELECT action FROM changes")).scalars())
    assert raw_actions == {member.value for member in ChangeAction}
    db.session.expire_all()
    assert {type(flag.status) for flag in db.session.scalars(select(Flag))} == {FlagStatus}
    assert {flag.status for flag in db.session.scalars(select(Flag))} == {FlagStatus.APPROVED, FlagStatus.DISMISSED}
    assert {type(change.action) for change in db.session.scalars(select(Change))} == {ChangeAction}


def test_a_value_outside_the_enum_is_refused_on_write(people):
    package = a_package()
    db.session.add(Flag(package_id=package.id, user_id=people.other.id, reason="x", status="opened"))
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_a_fetch_status_is_its_plain_string():
    """JSON and RQ results keep plain strings: a StrEnum member is its value."""
    import json

    assert json.dumps({"deps": FetchStatus.QUEUED}) == '{"deps": "queued"}'
    assert f"{FetchStatus.NOTHING_TO_FETCH}" == "nothing to fetch"


# -- no bare status strings in the code ---------------------------------------------------------------------------

ENUMS = (FlagStatus, ChangeAction, FetchStatus)
VALUES = {member.value for enum in ENUMS for member in enum}
FETCH_VALUES = {member.value for member in FetchStatus}
# Names whose value is a status: `flag.status`, `change.action`, `status`, `outcome.status`, ...
SUBJECTS = {"status", "action"}
# Values that mean nothing else: spelled anywhere, they are a status.
DISTINCTIVE = {FlagStatus.APPROVED, FlagStatus.DISMISSED, FetchStatus.NOTHING_TO_FETCH, FetchStatus.MISSING,
               FetchStatus.DEFERRED}


def _literals(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [value for element in node.elts for value in _literals(element)]
    return []


def _subject(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def bare_status_strings(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` spells a status as a bare string: compared with a status (``==``, ``!=``, ``in``),
    passed as ``status=``/``action=``, put under a ``"status"``/``"action"`` key, as the keys of a table,
    returned, used as a default with ``or``, named as a constant, or (a value that means nothing else)
    anywhere at all."""
    found = []

    def report(node, value: str, how: str) -> None:
        found.append(f"{filename}:{node.lineno}: {value!r} {how}")

    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_subject(operand) in SUBJECTS for operand in operands):
                for value in (v for operand in operands for v in _literals(operand)):
                    if value in VALUES:
                        report(node, value, "compared with a status")
        elif isinstance(node, ast.keyword) and node.arg in SUBJECTS:
            for value in _literals(node.value):
                if value in VALUES:
                    report(node.value, value, f"passed as {node.arg}=")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if _literals(key) in (["status"], ["action"]):
                    for literal in _literals(value):
                        if literal in VALUES:
                            report(value, literal, "stored under a status key")
            for enum in ENUMS:
                keys = [literal for key in node.keys if key is not None for literal in _literals(key)]
                if len([key for key in keys if key in {member.value for member in enum}]) >= 2:
                    report(node, ", ".join(keys), f"as keys of a table of {enum.__name__} values")
        elif isinstance(node, ast.Return) and node.value is not None:
            for value in _literals(node.value):
                if value in FETCH_VALUES:
                    report(node, value, "returned as a status")
        elif isinstance(node, ast.BoolOp):
            for value in (v for operand in node.values for v in _literals(operand)):
                if value in FETCH_VALUES:
                    report(node, value, "as a default status")
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.Tuple)):
            # `FAILED = "failed"` or `UPDATED, FAILED = "updated", "failed"` (not a set of words such as {"off", ...})
            values = _literals(node.value)
            if values and all(value in VALUES for value in values):
                for value in values:
                    report(node, value, "named as a constant")
        elif isinstance(node, ast.Call):
            for value in (v for argument in node.args for v in _literals(argument)):
                if value in DISTINCTIVE:
                    report(node, value, "spelled out")
    return found


TEMPLATE_COMPARISON = re.compile(r"\.(?:status|action)\s*(?:==|!=|not in|in)\s*[(\[{]?\s*['\"]([^'\"]+)['\"]")


def test_no_module_spells_a_status_as_a_bare_string():
    defined_in = {"webapp/catalog/models.py", "webapp/history/models.py", "webapp/fetch_status.py"}
    found = []
    for path in sorted(WEBAPP.rglob("*.py")):
        name = path.relative_to(WEBAPP.parent).as_posix()
        found += [] if name in defined_in else bare_status_strings(path.read_text(), name)
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in TEMPLATE_COMPARISON.finditer(path.read_text()):
            if match.group(1) in VALUES:
                found.append(f"{path.relative_to(TEMPLATES.parent)}: {match.group(0)!r}")
    assert not found, "use the enum members (FlagStatus, ChangeAction, FetchStatus):\n" + "\n".join(found)


def test_the_sweep_finds_each_kind_of_bare_status():
    source = """
if flag.status != "open": pass
if change.action not in {"update", "revert"}: pass
record(obj, user, action="create")
rows = [{"action": "delete"}]
MESSAGES = {"queued": 1, "updated": 2}
def f():
    return "failed"
status = announce() or "off"
if mode == "off": pass          # a setting, not a status
order = {"updated": 1}          # one sort key, not a table of statuses
UPDATED, FAILED = "updated", "failed"
close(flag, "dismissed", staff)
"""
    lines = sorted(int(found.split(":")[1]) for found in bare_status_strings(source))
    assert lines == [2, 3, 3, 4, 5, 6, 8, 9, 12, 12, 13]
