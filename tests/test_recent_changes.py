"""The public recent changes: every edit, newest first, filtered by person, kind and grid, a page at a time, with
an Atom feed, in a fixed number of queries."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.editing_support import html
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp.extensions import db
from webapp.history.models import Change, ChangeAction

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def edits(app):
    """Changes by two people on two grids and a package: alice renames the package and edits grid A's feature,
    bob edits a cell of grid B."""
    alice, bob = make_user("alice"), make_user("bob")
    package = make_package("widget", category=make_category())
    grid_a = make_grid("Grid A", slug="grid-a", packages=[package], features=1)
    grid_b = make_grid("Grid B", slug="grid-b", packages=[package], features=1)
    rows = [
        Change(object_type="package", object_id=package.id, package_id=package.id, user_id=alice.id, field="title",
               old_value="widget", new_value="Widget renamed", summary="alice renames"),
        Change(object_type="feature", object_id=grid_a.features[0].id, grid_id=grid_a.id, user_id=alice.id,
               field="title", old_value="Feature 1", new_value="Speed", summary="alice on grid a"),
        Change(object_type="element", object_id=1, grid_id=grid_b.id, package_id=package.id, user_id=bob.id,
               field="text", old_value="yes", new_value="no", summary="bob on grid b"),
        Change(object_type="grid", object_id=grid_b.id, grid_id=grid_b.id, user_id=bob.id,
               action=ChangeAction.CREATE, field="title", new_value="Grid B", summary="bob creates grid b"),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _summaries(response) -> list[str]:
    page = html(response)
    return [summary for summary in ("alice renames", "alice on grid a", "bob on grid b", "bob creates grid b")
            if summary in page]


def test_everyone_sees_every_change_newest_first(client, edits):
    response = client.get("/changes/")
    assert response.status_code == 200
    page = html(response)
    assert _summaries(response) == ["alice renames", "alice on grid a", "bob on grid b", "bob creates grid b"]
    assert page.index("bob creates grid b") < page.index("alice renames")  # newest first
    assert 'href="/grids/g/grid-b/"' in page and 'href="/packages/p/widget/"' in page
    assert "Set-Cookie" not in response.headers


def test_filters_by_person_kind_and_grid(client, edits):
    assert _summaries(client.get("/changes/?person=alice")) == ["alice renames", "alice on grid a"]
    assert _summaries(client.get("/changes/?person=ALICE")) == ["alice renames", "alice on grid a"]
    assert _summaries(client.get("/changes/?kind=element")) == ["bob on grid b"]
    assert _summaries(client.get("/changes/?grid=grid-b")) == ["bob on grid b", "bob creates grid b"]
    assert _summaries(client.get("/changes/?person=bob&grid=grid-b&kind=grid")) == ["bob creates grid b"]
    assert _summaries(client.get("/changes/?person=nobody")) == []
    assert "No changes match" in html(client.get("/changes/?grid=no-such-grid"))
    # Unknown kinds and odd values are ignored, never an error.
    assert client.get("/changes/?kind=<script>&before=abc&person=%25").status_code == 200
    assert client.get("/changes/?before=99999999999999").status_code == 200


def test_pages_go_back_in_time_with_an_older_link(client, edits, monkeypatch):
    import webapp.staff.queries

    monkeypatch.setattr(webapp.staff.queries, "CHANGES_PER_PAGE", 3)
    monkeypatch.setattr(webapp.staff.queries.recent_changes, "__kwdefaults__", {
        "person": "", "kind": "", "grid": "", "before": None, "per_page": 3})
    first = html(client.get("/changes/"))
    assert "Older →" in first
    older = edits[1].id + 1  # the oldest on the first page is edits[1]
    assert f"before={older - 1}" in first
    second = client.get(f"/changes/?before={older - 1}")
    assert _summaries(second) == ["alice renames"]
    assert "Older →" not in html(second) and "← Newest" in html(second)


def test_the_atom_feed_follows_the_filters(client, edits):
    response = client.get("/changes/atom/?person=bob")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert all(entry.find(f"{ATOM}author/{ATOM}name").text == "bob" for entry in entries)
    assert entries[0].find(f"{ATOM}link").get("href").endswith("/grids/g/grid-b/history/")
    assert 'type="application/atom+xml"' in html(client.get("/changes/?person=bob"))


def test_a_new_edit_shows_at_once_on_the_cached_page(client, edits):
    assert "fresh edit" not in html(client.get("/changes/"))
    db.session.add(Change(object_type="package", object_id=edits[0].object_id, package_id=edits[0].package_id,
                          field="title", old_value="a", new_value="b", summary="fresh edit"))
    db.session.commit()
    assert "fresh edit" in html(client.get("/changes/"))


def _count(client, count_queries, path: str) -> int:
    client.get(path)
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.count


def test_a_fixed_number_of_queries_whatever_the_number_of_changes(client, edits, count_queries, page_cache_off,
                                                                  auth):
    paths = ("/changes/", "/changes/?person=alice&kind=package&grid=grid-a", "/changes/atom/")
    few = [_count(client, count_queries, path) for path in paths]
    alice = edits[0].user_id
    db.session.add_all([Change(object_type="package", object_id=edits[0].object_id, package_id=edits[0].package_id,
                               user_id=alice, field="title", old_value=str(n), new_value=str(n + 1))
                        for n in range(120)])
    db.session.commit()
    many = [_count(client, count_queries, path) for path in paths]
    assert few == many == [2, 2, 1]  # the banner and the changes (the feed has no banner)
    signed_in = auth.client_for(make_user("reader", password_hash=password_hash()))
    assert _count(signed_in, count_queries, "/changes/") == 3  # and the signed-in person
