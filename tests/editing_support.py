"""Helpers shared by the package-editing, usage/flag, moderation and history tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from tests.factories import make_category, make_package, make_user
from tests.helpers import password_hash, token_of
from webapp.catalog.models import Flag, Package, Usage
from webapp.extensions import db
from webapp.grids.models import GridPackage
from webapp.history.models import Change


@pytest.fixture
def other_client(app):
    """A second person's browser (``client`` comes from tests/conftest.py)."""
    return app.test_client()


@dataclass
class People:
    creator: object
    other: object
    staff: object


@pytest.fixture
def people():
    """Three accounts that sign in with ``PASSWORD``: a package's creator, someone else, and staff."""
    return People(creator=make_user("carol", password_hash=password_hash()),
                  other=make_user("oscar", password_hash=password_hash()),
                  staff=make_user("stella", password_hash=password_hash(), is_staff=True))


def post(client, path: str, data: dict | None = None, *, htmx: bool = False, csrf: bool = True, **kwargs):
    """POST like the site's pages do: the form's CSRF token, or HTMX's header."""
    data = dict(data or {})
    headers = dict(kwargs.pop("headers", {}) or {})
    if csrf:
        if htmx:
            headers["X-CSRFToken"] = token_of(client)
        else:
            data.setdefault("csrf_token", token_of(client))
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(path, data=data, headers=headers, **kwargs)


def fresh(model, ident):
    """The row as the database has it now."""
    db.session.expire_all()
    return db.session.get(model, ident)


def table_counts() -> dict[str, int]:
    """Rows per table that editing touches: for "GET changes nothing" checks."""
    db.session.expire_all()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Package, Change, Usage, Flag, GridPackage)}


def package_state(package_id: int) -> tuple:
    package = fresh(Package, package_id)
    return (package.title, package.slug, package.repo_url, package.revision, package.usage_count, package.removed_at)


def html(response) -> str:
    return response.get_data(as_text=True)


def flashes(client) -> str:
    """The flash messages waiting in ``client``'s session, rendered by the next page."""
    page = html(client.get("/categories/"))
    return " ".join(re.findall(r'<p class="flash flash-[a-z]+">(.*?)</p>', page, re.S))


def a_package(**fields) -> Package:
    fields.setdefault("category", make_category())
    return make_package(fields.pop("title", "widget"), **fields)


# -- XSS checks ------------------------------------------------------------------------------------------------

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "poster", "background"}


class _LiveMarkup(HTMLParser):
    """Collects what would run in a browser: scripts, event handlers, script URLs, frames, inline styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            src = attributes.get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"inline or foreign <script> {attrs}")
            self._in_script = True
        if tag in {"iframe", "object", "embed", "frame", "frameset", "base"}:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "")
            squashed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            if name.lower().startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name.lower() in URL_ATTRIBUTES and squashed.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"script URL {name}={value!r} on <{tag}>")
            if name.lower() == "style" and re.search(r"expression|javascript|url\(|alert|behavior", squashed):
                self.problems.append(f"style {value!r} on <{tag}>")
            if name.lower() == "http-equiv":
                self.problems.append(f"<meta http-equiv> {value!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")


def live_markup(page: str) -> list[str]:
    """What in ``page`` a browser would execute beyond the site's own static scripts."""
    parser = _LiveMarkup()
    parser.feed(page)
    parser.close()
    return parser.problems
