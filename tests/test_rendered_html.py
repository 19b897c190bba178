"""Render once, at write time: every rendered column (``info=rendered_from(...)``) is set by the ORM whenever its
source is written, pages print the stored HTML without rendering, and no markdown field lets live markup through."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, update

from tests.editing_support import a_package, html, live_markup
from tests.factories import make_category, make_grid, make_package, make_user
from webapp import rendering
from webapp.accounts.models import User
from webapp.catalog.models import Flag, Package
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid


def _rendered():
    """(model, source, html, renderer) for every rendered column of every model, from the mappers."""
    return [(mapper.class_, source, html_, renderer) for mapper in db.Model.registry.mappers
            for source, html_, renderer in rendering.rendered_columns(mapper)]


XSS = [
    "<script>alert(1)</script>",
    "yes <img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "++ <a href=\"javascript:alert(1)\" onclick=\"alert(1)\">x</a> **bold**",
    "<iframe src=//evil></iframe> <style>*{}</style>",
]
SOURCES = {"sparkline": [[0, 3, 1] * 17 + [9]], **{name: XSS for name in ("markdown", "markdown_inline", "cell")}}


def _one_of(model, source, value, people):
    """A new row of ``model`` with ``source`` set to ``value``, written through the ORM."""
    if model is Package:
        return make_package(**{source: value})
    if model is User:
        return make_user(**{source: value})
    grid = make_grid(packages=[a_package(title=f"p{id(value)}", slug=f"p{abs(hash(str(value)))}")], features=1)
    if model is Grid:
        setattr(grid, source, value)
        db.session.commit()
        return grid
    feature = grid.features[0]
    if model is Feature:
        setattr(feature, source, value)
        db.session.commit()
        return feature
    if model is Element:
        element = feature.elements[0]
        setattr(element, source, value)
        db.session.commit()
        return element
    if model is Flag:
        item = Flag(package_id=grid.grid_packages[0].package_id, user_id=people.other.id, **{source: value})
        db.session.add(item)
        db.session.commit()
        return item
    raise AssertionError(f"{model.__name__}.{source} is rendered but this test cannot write one: add it")


def test_every_markdown_field_and_the_sparkline_are_stored_rendered():
    found = {(model.__name__, source, html_) for model, source, html_, _renderer in _rendered()}
    assert {("Grid", "description", "description_html"), ("Feature", "description", "description_html"),
            ("Element", "text", "text_html"), ("Flag", "reason", "reason_html"),
            ("Package", "commits_over_52", "commits_sparkline"), ("User", "bio", "bio_html")} <= found


@pytest.mark.parametrize("model, source, html_, renderer", _rendered(),
                         ids=lambda value: getattr(value, "__name__", str(value)))
def test_writing_the_source_through_the_orm_sets_the_html(model, source, html_, renderer, people):
    for value in SOURCES[renderer]:
        row = _one_of(model, source, value, people)
        db.session.expire_all()
        stored = db.session.get(model, row.id)
        assert getattr(stored, html_) == rendering.RENDERERS[renderer](value) != ""
        assert not live_markup(getattr(stored, html_))
        # An update of the source renders again; an update of anything else leaves the html alone.
        changed = [5, 0] * 26 if renderer == "sparkline" else "no *changed*"
        setattr(stored, source, changed)
        db.session.commit()
        db.session.expire_all()
        assert getattr(db.session.get(model, row.id), html_) == rendering.RENDERERS[renderer](changed)


@pytest.mark.parametrize("model, source, html_, renderer", _rendered(),
                         ids=lambda value: getattr(value, "__name__", str(value)))
def test_bulk_inserts_set_the_html_too(model, source, html_, renderer):
    value = SOURCES[renderer][0]
    make_category()
    rows = {Package: {"id": 990, "title": "bulk", "slug": "bulk", "category_id": 1},
            Grid: {"id": 990, "title": "bulk", "slug": "bulk"}}
    if model not in rows:
        pytest.skip("written row by row only")  # cells, features and flags are written through the services
    db.session.execute(insert(model), [{**rows[model], source: value}])
    db.session.commit()
    assert db.session.scalar(select(getattr(model, html_)).where(model.id == 990)) == \
        rendering.RENDERERS[renderer](value)


def _counting(function, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)
    return counted


@pytest.fixture
def render_calls(monkeypatch):
    """Every call of a renderer (the functions and the table the ORM hook uses)."""
    calls: list = []
    for name, function in list(rendering.RENDERERS.items()):
        monkeypatch.setitem(rendering.RENDERERS, name, _counting(function, calls))
    for attribute in ("render_markdown", "render_markdown_inline", "render_cell", "render_sparkline"):
        monkeypatch.setattr(rendering, attribute, _counting(getattr(rendering, attribute), calls))
    return calls


def test_grid_and_list_pages_print_the_stored_html_and_render_nothing(client, render_calls):
    category = make_category()
    packages = [make_package(f"pkg{n}", category=category) for n in range(3)]
    grid = make_grid("Stored", packages=packages, features=2, description="A **grid**")
    # Stored HTML that no renderer would make from the source: the page must print exactly it.
    db.session.execute(update(Element).values(text_html='<em class="stored-cell">from the column</em>'))
    db.session.execute(update(Feature).values(description_html='<em class="stored-feature">f</em>'))
    db.session.execute(update(Grid).values(description_html='<em class="stored-grid">g</em>'))
    db.session.execute(update(Package).values(commits_sparkline='<path class="stored-spark"></path>'))
    db.session.commit()
    render_calls.clear()
    for path in (f"/grids/g/{grid.slug}/", f"/grids/g/{grid.slug}/?layout=rows", "/packages/",
                 f"/packages/p/{packages[0].slug}/"):
        page = html(client.get(path))
        assert 'class="stored-spark"' in page, path
        if path.startswith("/grids/"):
            assert page.count('class="stored-cell"') == 6 and page.count('class="stored-feature"') == 2
            assert 'class="stored-grid"' in page
    assert render_calls == []


def test_moderation_queue_prints_the_stored_reason(client, people, auth):
    package = a_package()
    item = Flag(package_id=package.id, user_id=people.other.id, reason="spam")
    db.session.add(item)
    db.session.commit()
    db.session.execute(update(Flag).values(reason_html='<em class="stored-reason">r</em>'))
    db.session.commit()
    auth.sign_in(people.staff)
    assert 'class="stored-reason"' in html(client.get("/moderation/"))


@pytest.mark.parametrize("payload", XSS)
def test_no_markdown_field_lets_live_markup_reach_a_page(client, people, auth, payload):
    package = a_package()
    grid = make_grid("Payload", packages=[package], features=1, description=payload)
    grid.features[0].description = payload
    grid.features[0].elements[0].text = payload
    db.session.add(Flag(package_id=package.id, user_id=people.other.id, reason=payload))
    db.session.commit()
    auth.sign_in(people.staff)
    for path in (f"/grids/g/{grid.slug}/", f"/grids/g/{grid.slug}/?layout=rows", "/moderation/",
                 f"/grids/g/{grid.slug}/cells/{grid.grid_packages[0].id}/{grid.features[0].id}/edit/"):
        page = html(client.get(path))
        assert not live_markup(page), (path, live_markup(page))
        assert "<script>alert" not in page and "<iframe" not in page
