"""The rough edges of editing (issue 14), through HTTP: a bare PyPI name on the add and edit forms, the add form's
promise when fetching is off, who saved in between on a conflict, the history in people's words, "Sign in to
use", the in-place updates after "I use this" and adding to a grid, and the grid's relative bars."""

from __future__ import annotations

import gzip
import re

import pytest
from sqlalchemy import select, update

from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Element, GridPackage

HX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def _no_fetch(app, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "off")


def package_form(**fields) -> dict:
    data = {"title": "Fancy Widgets", "slug": "fancy-widgets", "category": str(make_category("Apps").id),
            "repo_url": "", "pypi_url": "fancy-widgets", "documentation_url": ""}
    data.update(fields)
    return data


def test_step_two_and_the_edit_form_take_a_bare_pypi_name(client, auth):
    token = auth.new_user()
    step_two = text(client.get("/packages/add/?source=fancy-widgets"))
    assert 'name="pypi_url"' in step_two and 'type="url"' not in step_two.split('name="pypi_url"')[0][-200:]

    response = client.post("/packages/add/", data={**package_form(), "csrf_token": token})

    assert response.status_code == 302, text(response)
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    assert package.pypi_url == "https://pypi.org/project/fancy-widgets"

    edit = client.post("/packages/fancy-widgets/edit/", data={
        "csrf_token": token, "revision": str(package.revision), "title": "Fancy Widgets", "slug": "fancy-widgets",
        "category": str(package.category_id), "repo_url": "", "pypi_url": "zope.interface",
        "documentation_url": ""})
    assert edit.status_code == 302, text(edit)
    db.session.expire_all()
    assert db.session.get(Package, package.id).pypi_url == "https://pypi.org/project/zope.interface"
    refused = client.post("/packages/add/", data={**package_form(slug="other", pypi_url="not a name!"),
                                                  "csrf_token": token})
    assert refused.status_code == 422


@pytest.mark.parametrize(("mode", "promise"), [("off", False), ("auto", True), ("sync", True)])
def test_the_add_form_promises_a_fetch_only_when_one_happens(client, auth, app, monkeypatch, mode, promise):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", mode)
    auth.new_user()
    page = text(client.get("/packages/add/?source=https://github.com/acme/fancy-widgets"))
    assert ("are fetched after you save" in page) is promise
    assert ("not fetched automatically" in page) is not promise


def test_a_cell_conflict_says_who_saved_in_between_and_when(client, auth):
    grid = make_grid("Tables", packages=[make_package("tablib")], features=1, fill=False)
    member = db.session.scalar(select(GridPackage.id))
    feature = grid.features[0].id
    url = f"/grids/g/tables/cells/{member}/{feature}/"
    token = auth.new_user("ruth", display_name="Ruth Ames")
    assert client.post(url, data={"csrf_token": token, "text": "yes", "revision": "0"}, headers=HX).status_code == 200

    other = auth.client_for(make_user("sam", password_hash=password_hash()))
    response = other.post(url, data={"csrf_token": other.token, "text": "no", "revision": "0"}, headers=HX)

    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this cell while you were editing (Ruth Ames, " in page
    assert re.search(r'<time datetime="[^"]+"[^>]*>just now</time>\)', page)


def test_the_history_speaks_peoples_words(client, auth):
    grid = make_grid("Tables", packages=[make_package("django-foo")], features=0)
    token = auth.new_user(staff=True)
    client.post("/grids/g/tables/features/add/", data={"csrf_token": token, "title": "Django 5 support"})
    member = db.session.scalar(select(GridPackage.id))
    feature = db.session.scalar(select(Element.feature_id).limit(1)) or grid.features[0].id
    client.post(f"/grids/g/tables/cells/{member}/{feature}/", data={"csrf_token": token, "text": "yes"})
    element = db.session.scalar(select(Element))
    client.post(f"/grids/g/tables/cells/{member}/{feature}/",
                data={"csrf_token": token, "text": "no", "revision": str(element.revision)})
    client.post("/grids/g/tables/lock/", data={"csrf_token": token, "locked": "1"})

    page = text(client.get("/grids/g/tables/history/"))

    for sentence in ("Changed the cell “Django 5 support” of django-foo",
                     "Filled in the cell “Django 5 support” of django-foo",
                     "Added the feature “Django 5 support”", "Locked the grid"):
        assert sentence in page, sentence
    assert "update element" not in page and "<code>text</code>" not in page
    assert 'class="btn btn-small btn-nowrap" type="submit">Revert</button>' in page


def test_signed_out_people_see_sign_in_to_use_coming_back_here(client):
    make_grid("Tables", packages=[make_package("tablib")])
    page = text(client.get("/grids/g/tables/?sort=stars"))
    form = re.search(r'<form id="usage-\d+".*?</form>', page, re.S).group(0)
    assert 'action="/accounts/login/"' in form and 'method="get"' in form
    assert 'name="next" value="/grids/g/tables/?sort=stars"' in form
    assert "Sign in to use" in form and "I use this" not in form and "csrf" not in form


def test_i_use_this_updates_who_uses_it_and_the_score_in_place(client, auth):
    package = make_package("widget")
    token = auth.new_user("ruth", display_name="Ruth Ames")

    response = client.post("/packages/p/widget/usage/", data={"csrf_token": token, "use": "1", "stat": "1"},
                           headers=HX)

    page = text(response)
    db.session.expire_all()
    score = db.session.get(Package, package.id).score
    assert '<section class="card" id="package-users" aria-labelledby="users-h" hx-swap-oob="true">' in page
    assert "Ruth Ames" in page
    assert f'<div class="stat" id="score-stat" hx-swap-oob="true"><strong>{score:.1f}</strong>' in page
    assert 'id="score-stat"' in text(client.get("/packages/p/widget/"))
    grid = make_grid("Tables", packages=[db.session.get(Package, package.id)])
    in_grid = text(client.post("/packages/p/widget/usage/", data={"csrf_token": token, "use": "0", "cell": "1"},
                               headers=HX))
    assert f'<span id="score-{package.id}" hx-swap-oob="true">' in in_grid
    assert f'<span id="score-{package.id}">' in text(client.get(f"/grids/g/{grid.slug}/"))


def test_the_picker_lists_what_was_just_added(client, auth):
    make_grid("Tables")
    package = make_package("tablib")
    token = auth.new_user()
    assert 'id="picker-added"' in text(client.get("/grids/g/tables/packages/add/"))

    response = client.post("/grids/g/tables/packages/add/", data={"csrf_token": token, "package_id": package.id},
                           headers=HX)

    assert response.status_code == 200
    assert re.search(r'<ul id="picker-added" [^>]*hx-swap-oob="beforeend"><li><a href="/packages/p/tablib/">tablib</a>',
                     text(response))


def test_numeric_rows_draw_bars_relative_to_the_leader(client):
    packages = [make_package(name, repo_watchers=stars, repo_forks=0)
                for name, stars in (("big", 1000), ("half", 500), ("tiny", 1), ("none", 0))]
    grid = make_grid("Bars", packages=packages)

    page = text(client.get(f"/grids/g/{grid.slug}/?sort=title"))

    bars = re.findall(r'data-label="Stars" class="num">([\d,]+)'
                      r'<i class="rel-bar" aria-hidden="true"><i class="w(\d+)">', page)
    assert sorted(bars) == [("0", "0"), ("1", "5"), ("1,000", "100"), ("500", "50")]
    assert 'data-label="Forks" class="num">0</td>' in page  # a row of zeros has no bars


def test_a_20_by_25_grid_page_stays_within_its_size_budget(client):
    packages = [make_package(f"package-{index:02d}", repo_watchers=index * 37) for index in range(20)]
    grid = make_grid("Big", packages=packages, features=25)
    db.session.execute(update(Element).values(text="yes, with the `extra` installed — see the docs"))
    db.session.commit()

    html = client.get(f"/grids/g/{grid.slug}/").get_data()

    assert len(html) <= 200_000 and len(gzip.compress(html)) <= 25_000, (len(html), len(gzip.compress(html)))
