"""Signed-in readers share the anonymous parts of a grid page (webapp.page_cache.shared_fragment): the body of the
table is drawn once and kept under the versions of what it shows, each reader's own bits (the "I use this" and
star buttons, the column remove forms) are drawn for them, and what a reader may do is part of the key."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.editing_support import post
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp import page_cache
from webapp.extensions import cache, db
from webapp.grids.models import Element, Feature, GridPackage

BODY = re.compile(r"</thead>\s*<tbody[^>]*>(.*)</tbody>", re.S)
HX = {"HX-Request": "true"}


def _grid():
    category = make_category()
    packages = [make_package(f"shared-{n}", category=category, repo_watchers=10 * n) for n in range(3)]
    grid = make_grid("Shared", packages=packages, features=2)
    member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id).limit(1))
    feature = db.session.scalar(select(Feature).where(Feature.grid_id == grid.id).limit(1))
    return grid, member, feature


def _member_client(auth, username: str, staff: bool = False):
    """A new client (another browser) of a new member, signed in through ``auth`` (``staff``: a staff member)."""
    make_user(username, password_hash=password_hash(), is_staff=staff)
    return auth.client_for(username)


def _body(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return BODY.search(page).group(1)


def _fragment_keys() -> set[str]:
    backend = cache.cache
    return {key for key in getattr(backend, "_cache", {}) if "fragment:" in key}


def test_readers_share_the_table_body_and_keep_their_own_buttons(app, client, auth):
    page_cache.clear()
    grid, member, feature = _grid()
    path = f"/grids/g/{grid.slug}/"
    reader, other = _member_client(auth, "reader"), _member_client(auth, "other")  # (a new account is a write)
    anonymous_body = _body(client, path)
    assert len(_fragment_keys()) == 1  # the first view kept the body

    page = reader.get(path).get_data(as_text=True)
    assert "I use this" in page and "Sign in to use" not in page  # the reader's own heads
    # Signed in, the reader may edit: the body with edit links is another fragment.
    editor_body = BODY.search(page).group(1)
    assert 'class="cell-edit"' in editor_body and 'class="cell-edit"' not in anonymous_body
    assert len(_fragment_keys()) == 2

    # A second editor gets the same body from the cache: drawn once, shared.
    assert _body(other, path) == editor_body
    assert len(_fragment_keys()) == 2


def test_a_shared_body_is_fresh_after_a_write(app, client, auth):
    page_cache.clear()
    grid, member, feature = _grid()
    path = f"/grids/g/{grid.slug}/"
    editor = _member_client(auth, "writer")
    watcher = _member_client(auth, "watcher")
    for reader in (client, editor, watcher):
        assert "Brand new words" not in _body(reader, path)

    element = db.session.scalar(select(Element).where(Element.grid_package_id == member.id,
                                                      Element.feature_id == feature.id))
    revision = element.revision if element is not None else 0
    response = post(editor, f"/grids/g/{grid.slug}/cells/{member.id}/{feature.id}/",
                    {"text": "Brand new words", "revision": str(revision)}, htmx=True)
    assert response.status_code == 200

    for reader in (client, editor, watcher):
        assert "Brand new words" in _body(reader, path)


def test_what_a_reader_may_do_is_part_of_the_key(app, client, auth):
    page_cache.clear()
    grid, member, feature = _grid()
    grid.is_locked = True
    db.session.commit()
    path = f"/grids/g/{grid.slug}/"
    staff = _member_client(auth, "boss", staff=True)
    member_client = _member_client(auth, "plain")

    staff_body = _body(staff, path)
    assert 'class="cell-edit"' in staff_body and ">Delete</a>" in staff_body
    # A locked grid: a member may not edit it, and does not get the staff's body from the cache.
    member_body = _body(member_client, path)
    assert 'class="cell-edit"' not in member_body and ">Delete</a>" not in member_body
    assert member_body == _body(client, path)  # the same body as anonymous readers


def test_with_the_page_cache_off_nothing_is_kept(app, client, auth, page_cache_off):
    page_cache.clear()
    grid, _member, _feature = _grid()
    reader = _member_client(auth, "solo")
    assert "cell-edit" in reader.get(f"/grids/g/{grid.slug}/").get_data(as_text=True)
    assert client.get(f"/grids/g/{grid.slug}/", headers=HX).status_code == 200
    assert _fragment_keys() == set()
