"""Grid cells written as djangopackages.org writes them: every spelling of the one keyword table renders as its
icon, on the whole cell or as the cell's first word; anything else (a longer word, "n/a", "-5%") stays prose.
Existing cells are rendered again by the migration."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.factories import make_grid, make_package
from webapp.extensions import db
from webapp.grids.models import Element, Feature, GridPackage
from webapp.rendering import CELL_KEYWORDS, render_cell, split_cell

SPELLINGS = [(spelling, keyword) for keyword in CELL_KEYWORDS for spelling in keyword.spellings]


def icon(keyword) -> str:
    return (f'<span class="cell-icon cell-{keyword.css}" title="{keyword.label}" role="img" '
            f'aria-label="{keyword.label}">{keyword.symbol}</span>')


def write_cells(texts: list[str]):
    grid = make_grid("Keywords", packages=[make_package("alpha")])
    member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id))
    for index, text in enumerate(texts):
        feature = Feature(grid=grid, title=f"F{index}")
        db.session.add_all([feature, Element(grid_package=member, feature=feature, text=text)])
    db.session.commit()
    return grid


@pytest.mark.parametrize(("spelling", "keyword"), SPELLINGS, ids=[spelling for spelling, _ in SPELLINGS])
def test_every_spelling_of_the_table_is_its_icon_as_the_whole_cell_and_as_the_first_word(spelling, keyword):
    assert render_cell(spelling) == icon(keyword)
    assert render_cell(f" {spelling.upper()} ") == icon(keyword)
    assert render_cell(f"{spelling}, with signals") == icon(keyword) + ' <span class="cell-note">with signals</span>'
    assert render_cell(f"{spelling} — since 2.0") == icon(keyword) + ' <span class="cell-note">since 2.0</span>'


@pytest.mark.parametrize(("text", "css", "note"), [
    ("+1", "plus1", ""), ("-1", "minus1", ""), ("+2", "plus2", ""), ("+5", "plus3", ""), ("+12", "plus3", ""),
    ("++++", "plus3", ""), ("-----", "minus3", ""), ("+1 for async", "plus1", "for async"),
    ("Yes, with a plugin", "yes", "with a plugin"), ("no.", "no", ""), ("Good docs", "yes", "docs"),
])
def test_counts_and_first_words(text, css, note):
    keyword, rest = split_cell(text)
    assert (keyword.css, rest) == (css, note)


@pytest.mark.parametrize("text", ["yesterday", "nothing", "n/a", "-5%", "+0", "++2", "checked", "Not yet",
                                  "goodness", "MIT", "2.0+", "y2k"])
def test_longer_words_and_other_signs_stay_prose(text):
    assert split_cell(text) == (None, text)
    assert render_cell(text).startswith('<span class="cell-note">')


def test_the_grid_page_shows_keywords_as_icons_and_the_editor_lists_the_table(client, auth):
    grid = write_cells(["+1", "Yes, with signals", "check", "sucks"])

    html = client.get(f"/grids/g/{grid.slug}/").get_data(as_text=True)

    plus1, yes, no = (next(k for k in CELL_KEYWORDS if k.css == css) for css in ("plus1", "yes", "no"))
    assert icon(plus1) in html and "★" not in html
    assert icon(yes) + ' <span class="cell-note">with signals</span>' in html
    assert html.count(icon(yes)) == 2 and icon(no) in html

    auth.new_user()
    member = db.session.scalar(select(GridPackage.id))
    feature = db.session.scalar(select(Feature.id).order_by(Feature.id))
    editor = client.get(f"/grids/g/{grid.slug}/cells/{member}/{feature}/edit/").get_data(as_text=True)
    for keyword in CELL_KEYWORDS:
        assert keyword.label in editor
        for spelling in keyword.spellings:
            assert f"<code>{spelling}</code>" in editor


def test_the_migration_renders_stored_cells_again(app):
    from importlib import import_module
    from unittest import mock

    write_cells(["+1", "Yes, with signals", "plain"])
    db.session.execute(update(Element).values(text_html="stale"))
    db.session.commit()
    migration = import_module("migrations.versions.8acb65b000a6_14b")
    with db.engine.begin() as connection, mock.patch.object(migration.op, "get_bind", return_value=connection):
        migration.rerender_cells()
    db.session.expire_all()
    stored = {element.text: element.text_html for element in db.session.scalars(select(Element))}
    assert stored == {text: render_cell(text) for text in stored}
