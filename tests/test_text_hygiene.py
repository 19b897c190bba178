"""One text-cleaning rule (webapp/text.py) for every string column, whoever writes it: forms refuse what it
would remove, every ORM write cleans it, and the feeds stay well-formed XML even for a row written around it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select, update

from tests.editing_support import html, post
from tests.factories import make_category, make_package
from tests.fakes.djangopackages_api import FakeDjangoPackagesAPI
from tests.fakes.remote_hosts import SyntheticRepo
from tests.fetch_support import package, reload
from tests.helpers import PASSWORD, csrf_token_for
from tests.hostile_support import build_world, text_columns
from webapp.accounts.models import User
from webapp.catalog.models import Category, Flag, Package
from webapp.extensions import db
from webapp.fetch.services import fetch_package
from webapp.grids.models import Element, Feature, Grid

BAD_CHARACTERS = {"NUL": "\x00", "ESC": "\x1b", "U+FFFE": "\ufffe", "U+202E": "\u202e"}
# What the rule removes, written out independently of webapp/text.py.
UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef"
                     "\ufffe\uffff\U0001fffe\U0001ffff\U0010fffe\U0010ffff]")


def unclean_values() -> list[tuple[str, str, object]]:
    """Every (table, column, value) in the database that holds a character the rule removes."""
    found = []

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from strings(key)
                yield from strings(item)

    db.session.expire_all()
    for model, names in text_columns().items():
        table = model.__table__
        for row in db.session.execute(select(*(table.c[name] for name in names))):
            for name, value in zip(names, row, strict=True):
                if any(UNCLEAN.search(text) for text in strings(value)):
                    found.append((table.name, name, value))
    return found


def test_the_sweep_covers_every_string_column():
    names = {(model.__name__, name) for model, columns in text_columns().items() for name in columns}
    assert {("Package", "title"), ("Package", "repo_description"), ("Package", "participants"),
            ("Flag", "reason"), ("User", "username"), ("Grid", "description"), ("Element", "text"),
            ("Change", "new_value"), ("Feature", "title"), ("Category", "title")} <= names


# -- forms ---------------------------------------------------------------------------------------------------------

def _submissions(world, bad: str) -> dict[str, tuple[str, dict]]:
    """Every form with free text, filled with ``bad`` in each text field, against this world's objects."""
    package_item = db.session.get(Package, world.package.id)
    grid = db.session.get(Grid, world.grid.id)
    feature = db.session.get(Feature, world.feature.id)
    element = db.session.scalars(select(Element)).one()
    words = f"Some{bad}words"
    return {
        "package add": ("/packages/add/", {
            "title": words, "slug": "new-thing", "category": world.category.id,
            "repo_url": "https://github.com/acme/new-thing", "pypi_url": "", "documentation_url": ""}),
        "package edit": (f"/packages/{package_item.slug}/edit/", {
            "title": words, "slug": package_item.slug, "category": package_item.category_id,
            "repo_url": package_item.repo_url, "pypi_url": package_item.pypi_url,
            "documentation_url": package_item.documentation_url, "revision": package_item.revision,
            "package_id": package_item.id}),
        "grid create title": ("/grids/add/", {"title": words, "slug": "new-grid", "description": ""}),
        "grid create description": ("/grids/add/", {"title": "New grid", "slug": "new-grid", "description": words}),
        "grid edit title": (f"/grids/g/{grid.slug}/edit/", {"title": words, "description": "",
                                                             "revision": grid.revision}),
        "grid edit description": (f"/grids/g/{grid.slug}/edit/", {"title": "Widgets", "description": words,
                                                                   "revision": grid.revision}),
        "feature add title": (f"/grids/g/{grid.slug}/features/add/", {"title": words, "description": ""}),
        "feature add description": (f"/grids/g/{grid.slug}/features/add/", {"title": "Fast",
                                                                             "description": words}),
        "feature edit": (f"/grids/g/{grid.slug}/features/{feature.id}/edit/", {
            "title": words, "description": words, "revision": feature.revision}),
        "cell": (f"/grids/g/{grid.slug}/cells/{world.member.id}/{feature.id}/", {
            "text": f"yes {words}", "revision": element.revision}),
        "flag reason": (f"/packages/p/{package_item.slug}/flag/", {"reason": words}),
    }


@pytest.mark.parametrize("name", BAD_CHARACTERS)
def test_every_free_text_form_refuses_unclean_text(app, name, auth):
    """NUL, ESC, U+FFFE and U+202E typed into any free-text field get a form error and store nothing."""
    bad = BAD_CHARACTERS[name]
    world = build_world()
    staff = auth.client_for(world.staff)
    for label, (path, data) in _submissions(world, bad).items():
        response = post(staff, path, data)
        assert response.status_code == 422, (label, response.status_code)
        assert "Remove the control characters" in html(response), label
    anonymous = app.test_client()
    response = anonymous.post("/accounts/signup/", data={
        "username": f"new{bad}person", "email": "new@example.org", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token_for(anonymous, "/accounts/signup/")})
    assert response.status_code == 422 and 'id="username-error"' in html(response)
    # The one form that is not a WTForm (staff's reason shown on a removed package) is cleaned on write.
    flag = db.session.scalars(select(Flag)).one()
    assert post(staff, f"/moderation/flags/{flag.id}/approve/", {"reason": f"Spam{bad}here"}).status_code == 302
    assert db.session.get(Package, world.package.id).removed_reason == "Spamhere"
    assert unclean_values() == []


def test_accepted_text_is_stored_normalised(app, auth):
    """Carriage returns become newlines and text is NFC: "e" + combining acute is stored as "é"."""
    world = build_world()
    staff = auth.client_for(world.staff)
    response = post(staff, "/grids/add/", {"title": "Cafe\u0301 tools", "slug": "cafe-tools",
                                           "description": "Line one\r\nLine two\rthree\ttabbed"})
    assert response.status_code == 302
    grid = db.session.scalars(select(Grid).where(Grid.slug == "cafe-tools")).one()
    assert (grid.title, grid.description) == ("Café tools", "Line one\nLine two\nthree\ttabbed")


@pytest.mark.parametrize("username", ["ali\u202ecE", "pat\u2066", "bob\u200b", "\u0430dmin", "ad\u00admin",
                                      "x\u0301yz", "ｆｕｌｌ"])
def test_usernames_refuse_spoofing_characters(client, username):
    response = client.post("/accounts/signup/", data={
        "username": username, "email": "new@example.org", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token_for(client, "/accounts/signup/")})
    assert response.status_code == 422
    assert 'id="username-error"' in html(response)
    assert db.session.scalars(select(User)).all() == []


# -- every ORM write --------------------------------------------------------------------------------------------------

DIRTY = "A\x00B\x1bC\ufffeD\u202eE\U0010ffffF\u2066G\x85H\ufdd0I\r\nJ\rK\tL" + "e\u0301"
CLEAN = "ABCDEFGHI\nJ\nK\tLé"


def written_text_columns() -> dict:
    """The text columns a writer sets; a column rendered from another (``rendered_from``) follows its source, and
    tests/test_rendered_html.py sweeps those; a column worked out from another (``derived_from``: a release's
    declared versions, from its classifiers) is rewritten from its cleaned source."""
    followers = {"rendered_from", "derived_from"}
    columns = {model: [name for name in names if not followers & set(model.__table__.c[name].info)]
               for model, names in text_columns().items()}
    return {model: names for model, names in columns.items() if names}


def test_every_string_column_of_every_model_is_cleaned_on_update(app):
    """Through the ORM (as services, the fetch service, the importer and the demo loader write), each string
    column of one row of every table gets dirty text; the database holds it clean."""
    build_world()
    expected = {}
    for model, names in written_text_columns().items():
        row = db.session.scalars(select(model).order_by(*model.__table__.primary_key).limit(1)).one()
        for index, name in enumerate(names):
            is_json = not isinstance(getattr(row, name), (str, type(None)))
            value = [f"{DIRTY}{index}", 1] if is_json else f"{DIRTY}{index}"
            setattr(row, name, value)
            expected[(model.__table__.name, name)] = [f"{CLEAN}{index}", 1] if is_json else f"{CLEAN}{index}"
    db.session.commit()
    db.session.expire_all()
    stored = {}
    for model, names in written_text_columns().items():
        row = db.session.execute(select(*(model.__table__.c[name] for name in names))
                                 .order_by(*model.__table__.primary_key).limit(1)).one()
        stored.update({(model.__table__.name, name): value for name, value in zip(names, row, strict=True)})
    assert stored == expected


def test_new_rows_are_cleaned_on_insert(app):
    category = Category(title=f"Apps{DIRTY}", slug="apps", title_plural="Apps", description=DIRTY)
    person = User(username="pat", display_name="\u202eevil\u202c name")
    db.session.add_all([category, person])
    db.session.commit()
    item = make_package("widget", category=category, participants=["al\x00ice", "\u202ebob"],
                        repo_description=DIRTY)
    db.session.expire_all()
    assert db.session.get(Category, category.id).title == f"Apps{CLEAN}"
    assert db.session.get(User, person.id).display_name == "evil name"
    assert (db.session.get(Package, item.id).participants, db.session.get(Package, item.id).repo_description) == (
        ["alice", "bob"], CLEAN)
    assert unclean_values() == []


# -- remote writers: compared as stored, so a rerun changes nothing ---------------------------------------------------

def test_fetched_text_is_cleaned_and_does_not_change_every_run(remote, fetcher):
    repo = remote.add_repo(SyntheticRepo("github", "example", "widget", id=4243, stars=1,
                                         description="Widgets\x00 for\u202e all\ufffe\r\nsorts"))
    item = package("https://github.com/example/widget")
    fetch_package(item.id, fetcher=fetcher)
    assert reload(item).repo_description == "Widgets for all\nsorts"
    repo.stars = 2  # a changed answer, with the same description
    outcome = fetch_package(item.id, fetcher=fetcher)
    assert outcome.changed == ["repo_watchers"]
    assert unclean_values() == []


def test_imported_text_is_cleaned_and_a_rerun_changes_nothing(app, tmp_path):
    with FakeDjangoPackagesAPI() as fake:
        item = next(p for p in fake.data["packages"] if isinstance(p, dict) and p["id"] == 7000)
        item["title"] = "cookie\u202ecutter\x1b"
        item["participants"] = ["user\ufffe-xxx"]
        fake.data["grids"][0]["description"] = "Health\x00 checks"

        def run():
            return app.test_cli_runner().invoke(args=[
                "import-djangopackages", "--from", fake.base_url, "--page-size", "3", "--retries", "0",
                "--retry-wait", "0", "--state-file", str(tmp_path / "state.json")])

        assert run().exit_code == 0
        assert db.session.get(Package, 7000).title == "cookiecutter"
        assert db.session.get(Package, 7000).participants == ["user-xxx"]
        assert unclean_values() == []
        second = run()
        assert second.exit_code == 0, second.output
        assert "packages: 0 created, 0 updated" in second.output
        assert "grids: 0 created, 0 updated" in second.output


# -- feeds ------------------------------------------------------------------------------------------------------------

def test_feeds_are_well_formed_xml_even_with_a_bad_row(client):
    """A row written around the ORM (an old database, a manual fix) still cannot break the feeds for everyone."""
    category = make_category("Apps")
    make_package("clean-one", category=category, repo_description=f"Written{DIRTY}through the ORM")
    raw = make_package("raw-one", category=category)
    # PostgreSQL refuses NUL in text, so the raw row has every other character XML cannot carry.
    nasty = "Raw\x1b\x0b\x08 title\ufffe\uffff"
    db.session.execute(update(Package.__table__).where(Package.__table__.c.id == raw.id)
                       .values(title=nasty, repo_description=f"Raw {nasty}"))
    db.session.execute(update(Category.__table__).values(title=nasty))
    db.session.commit()
    assert db.session.execute(select(Package.__table__.c.title).where(Package.__table__.c.id == raw.id)).scalar() \
        == nasty
    for path in ("/feeds/packages/latest/rss/", "/feeds/packages/latest/atom/", "/sitemap.xml"):
        response = client.get(path)
        assert response.status_code == 200, path
        root = ElementTree.fromstring(response.data)  # raises on any character XML forbids
        titles = [element.text for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "title"]
        if "sitemap" not in path:
            assert "Raw title" in titles and "clean-one" in titles, titles
