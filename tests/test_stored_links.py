"""Stored addresses never become script links: checked where they enter (forms, fetch, import: one validator,
webapp/links.py) and where they leave (the ``safe_url`` filter in every template, the API serializers)."""

from __future__ import annotations

import html as html_module
import json
import re

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select, update

from tests.editing_support import html, live_markup, post
from tests.factories import make_category, make_package
from tests.fakes.djangopackages_api import FakeDjangoPackagesAPI
from tests.fakes.remote_hosts import SyntheticRepo, synthetic_project
from tests.fetch_support import package, reload
from tests.hostile_support import build_world, get_pages, url_columns
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.fetch.services import fetch_package
from webapp.history.models import Change

# What an import, an old row or a fetch could have left in a URL column. No NUL: PostgreSQL refuses it.
HOSTILE_URLS = [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\x01\x02 \t\n JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
]
# Answers that are pictures, not text (a package's or a grid's card.png).
IMAGES = {"image/png"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
URL_ATTRIBUTE = re.compile(r"""\b(href|src|action|formaction|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
                           re.IGNORECASE)


def scheme_of(url: str) -> str | None:
    """The scheme a browser would see: it drops leading controls and spaces, and tabs and newlines anywhere."""
    squashed = re.sub(r"[\t\n\r]", "", url).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                                     "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                                                     "\x1d\x1e\x1f ").lower()
    match = SCHEME.match(squashed)
    return match.group(1) if match else None


def bad_links(body: str, content_type: str) -> list[str]:
    """Attributes (in HTML and XML) and URL values (in JSON) whose scheme is not http(s) or mailto."""
    problems = []
    for match in URL_ATTRIBUTE.finditer(body):
        value = html_module.unescape(next(group for group in match.groups()[1:] if group is not None))
        if scheme_of(value) not in (None, "http", "https", "mailto"):
            problems.append(f"{match.group(1)}={value!r}")
    if content_type.startswith("application/json"):
        def walk(node, key=""):
            if isinstance(node, dict):
                for name, child in node.items():
                    walk(child, name)
            elif isinstance(node, list):
                for child in node:
                    walk(child, key)
            elif isinstance(node, str) and (key.endswith(("url", "uri"))) and node:
                if scheme_of(node) not in (None, "http", "https"):
                    problems.append(f"{key}: {node!r}")
        walk(json.loads(body))
    return problems


def test_the_link_checks_can_fail():
    assert bad_links('<a href=" &#106;avascript:x">', "text/html")
    assert bad_links("<img src='\x01 data:text/html,x'>", "text/html")
    assert bad_links('{"repo_url": "java\\tscript:x"}', "application/json")
    assert bad_links('<a href="https://x.example/">x</a><a href="/p/">p</a>', "text/html") == []


def test_the_sweep_finds_every_url_column(app):
    names = {(model.__name__, column) for model, columns in url_columns().items() for column in columns}
    assert {("Package", "repo_url"), ("Package", "pypi_url"), ("Package", "documentation_url"),
            ("User", "avatar_url"), ("HttpCacheEntry", "url"), ("Banner", "link"), ("Vulnerability", "link")} <= names


@pytest.mark.parametrize("hostile", HOSTILE_URLS)
def test_hostile_urls_in_the_database_are_never_links_on_any_page(app, hostile, auth):
    """(a) Every URL column of every table holds a script URL, written straight to the database (as an old row
    or another writer would). No page, feed or API answer, for anybody, turns one into a link."""
    world = build_world()
    for model, columns in url_columns().items():
        db.session.execute(update(model.__table__).values({name: hostile for name in columns}))
    db.session.commit()
    stored = db.session.execute(select(Package.__table__.c.repo_url)).scalar()
    assert stored == hostile  # nothing cleaned it on the way in: the pages face the raw value
    pages = get_pages(world)
    assert {"/grids/g/widgets/", "/packages/p/widget/", f"/profiles/{world.person.username}/", "/moderation/",
            "/feeds/packages/latest/rss/", "/api/v4/packages/widget/"} <= set(pages)
    clients = {"anonymous": app.test_client(), "staff": auth.client_for(world.staff),
               "person": auth.client_for(world.person)}
    for who, client in clients.items():
        for path in pages:
            response = client.get(path)
            assert response.status_code < 500, (who, path)
            if response.mimetype in IMAGES:
                continue  # pixels: no link to follow (an SVG is text, and swept)
            body = response.get_data(as_text=True)
            assert bad_links(body, response.content_type) == [], (who, path)
            if response.mimetype == "text/html":
                assert live_markup(body) == [], (who, path)
    # The grid page still links what is good.
    db.session.execute(update(Package.__table__).values(repo_url="https://github.com/example/widget"))
    db.session.commit()
    assert 'href="https://github.com/example/widget"' in html(clients["anonymous"].get("/grids/g/widgets/"))


# -- (b) forms ---------------------------------------------------------------------------------------------------

def _all_form_classes(cls=FlaskForm):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _all_form_classes(subclass)


def url_form_fields() -> set[tuple[str, str]]:
    """(form class, field) of every field of every form whose name says it holds an address."""
    import webapp.accounts.forms  # noqa: F401  (every form module, so every form class is defined)
    import webapp.catalog.forms  # noqa: F401
    import webapp.grids.forms  # noqa: F401

    found = set()
    for form_class in _all_form_classes():
        for name in dir(form_class):
            if name.endswith("_url") and hasattr(getattr(form_class, name), "field_class"):
                found.add((form_class.__name__, name))
    return found


def _add_form(category_id: int, **fields) -> dict:
    return {"title": "Fancy Widgets", "slug": "fancy-widgets", "category": category_id,
            "repo_url": "https://github.com/acme/fancy-widgets", "pypi_url": "", "documentation_url": "", **fields}


def _edit_form(item: Package, **fields) -> dict:
    return {"title": item.title, "slug": item.slug, "category": item.category_id, "repo_url": item.repo_url,
            "pypi_url": item.pypi_url or "", "documentation_url": item.documentation_url or "",
            "revision": item.revision, "package_id": item.id, **fields}


# Which page submits each form that has a URL field; a new URL field anywhere makes the sweep fail until added.
FORM_PAGES = {
    "AddPackageForm": lambda category, item, **f: ("/packages/add/", _add_form(category.id, **f)),
    "EditPackageForm": lambda category, item, **f: (f"/packages/{item.slug}/edit/", _edit_form(item, **f)),
}


@pytest.mark.parametrize("hostile", HOSTILE_URLS + ["https://x.example/\" onmouseover=\"alert(1)",
                                                    "https://exa mple.org/", "http://localhost/"])
def test_every_url_field_of_every_form_refuses_a_bad_address(client, people, hostile, auth):
    """(b) Every URL field of every form (found from the form classes) refuses it with a form error."""
    fields = url_form_fields()
    assert {form for form, _ in fields} <= {*FORM_PAGES, "PackageForm"}, "a new form with a URL field: add its page"
    category = make_category("Apps")
    item = make_package("widget", category=category)
    auth.sign_in(people.creator)
    for form, field in sorted(fields):
        if form not in FORM_PAGES:
            continue  # a base class: its subclasses are submitted
        path, data = FORM_PAGES[form](category, item, **{field: hostile})
        response = post(client, path, data)
        assert response.status_code == 422, (form, field)
        assert f'id="{field}-error"' in html(response), (form, field)
        assert live_markup(html(response)) == []
    db.session.expire_all()
    assert [tuple(row) for row in db.session.execute(select(Package.slug, Package.repo_url, Package.pypi_url,
                                                            Package.documentation_url))] == [
        ("widget", "https://github.com/example/widget", "", "")]


# -- (c) the fetch service ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hostile", HOSTILE_URLS)
def test_a_script_documentation_link_from_pypi_is_never_stored(remote, fetcher, hostile):
    """(c) PyPI's project_urls may hold anything: a bad Documentation link keeps the last good one."""
    document = synthetic_project("widget", "1.0", "2023-05")
    remote.add_project(document, "widget")
    item = package(pypi_url="https://pypi.org/project/widget/")
    fetch_package(item.id, fetcher=fetcher)
    assert reload(item).documentation_url == "https://widget.readthedocs.io/"

    document["info"]["project_urls"]["Documentation"] = hostile
    document["info"]["docs_url"] = "javascript:alert(2)"
    document["info"]["version"] = "1.1"
    document["releases"]["1.1"] = document["releases"]["1.0"]
    remote.add_project(document, "widget")
    assert fetch_package(item.id, fetcher=fetcher).status == "updated"
    item = reload(item)
    assert item.pypi_version == "1.1"  # the rest of the answer was used
    assert item.documentation_url == "https://widget.readthedocs.io/"

    # A first fetch with only bad links stores none; a good docs_url is used when Documentation is bad.
    remote.add_project(document, "gadget")
    gadget = package(pypi_url="https://pypi.org/project/gadget/")
    fetch_package(gadget.id, fetcher=fetcher)
    assert reload(gadget).documentation_url == ""
    document["info"]["docs_url"] = "https://gadget.example.org/docs/"
    remote.add_project(document, "gadget")
    fetch_package(gadget.id, fetcher=fetcher)
    assert reload(gadget).documentation_url == "https://gadget.example.org/docs/"


class _OddAddressRepo(SyntheticRepo):
    """A repository whose host answers with an address that parses as a move but is not a usable link."""

    @property
    def html_url(self) -> str:
        return 'https://github.com/example/moved"><script>alert(1)</script>'


def test_a_repository_host_naming_a_bad_new_address_does_not_move_the_package(remote, fetcher):
    remote.add_repo(_OddAddressRepo("github", "example", "widget", id=4242, description="Widgets", stars=3))
    item = package("https://github.com/example/widget")
    fetch_package(item.id, fetcher=fetcher)
    item = reload(item)
    assert item.repo_watchers == 3  # the answer was used
    assert item.repo_url == "https://github.com/example/widget"
    assert db.session.scalars(select(Change).where(Change.field == "repo_url")).all() == []


# -- (d) the importer -------------------------------------------------------------------------------------------------

@pytest.fixture
def fake_site():
    with FakeDjangoPackagesAPI() as server:
        yield server


def _import(app, source: str, tmp_path):
    return app.test_cli_runner().invoke(args=[
        "import-djangopackages", "--from", source, "--page-size", "3", "--retries", "0", "--retry-wait", "0",
        "--state-file", str(tmp_path / "state.json")])


def test_the_importer_reports_and_leaves_out_script_links(app, client, fake_site, tmp_path):
    """(d) A new package comes in without the bad link; an existing one keeps its good link."""
    packages = {item["id"]: item for item in fake_site.data["packages"] if isinstance(item, dict)}
    packages[7000]["documentation_url"] = "javascript:alert(1)"
    packages[5810]["repo_url"] = "\x01 JaVaScRiPt:alert(1)"
    packages[5810]["pypi_url"] = "data:text/html,<script>alert(1)</script>"
    result = _import(app, fake_site.base_url, tmp_path)
    assert result.exit_code == 0, result.output
    assert "package #7000: documentation_url 'javascript:alert(1)' ignored" in result.output
    assert "package #5810: repo_url ' JaVaScRiPt:alert(1)' ignored" in result.output  # controls cleaned first
    assert "package #5810: pypi_url 'data:text/html,<script>alert(1)</script>' ignored" in result.output
    assert db.session.get(Package, 7000).documentation_url == ""
    assert (db.session.get(Package, 5810).repo_url, db.session.get(Package, 5810).pypi_url) == ("", "")
    assert db.session.get(Package, 7000).repo_url == "https://github.com/cookiecutter/cookiecutter-django"

    # The source later turns a good link bad: the one stored stays.
    packages[7000]["documentation_url"] = "https://cookiecutter-django.readthedocs.io/"
    assert _import(app, fake_site.base_url, tmp_path).exit_code == 0
    packages[7000]["documentation_url"] = "vbscript:msgbox(1)"
    result = _import(app, fake_site.base_url, tmp_path)
    assert "package #7000: documentation_url 'vbscript:msgbox(1)' ignored" in result.output
    db.session.expire_all()
    assert db.session.get(Package, 7000).documentation_url == "https://cookiecutter-django.readthedocs.io/"
