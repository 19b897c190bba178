"""Share cards: OpenGraph and Twitter tags on every page, and the 1200x630 PNG cards of packages, grids and the
site, stored on disk by what they show and redrawn when it changes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.editing_support import a_package, html
from tests.factories import make_category, make_grid, make_package
from webapp.cards import drawing
from webapp.extensions import db
from webapp.grids.models import Feature


@pytest.fixture
def card_folder(app, tmp_path, monkeypatch) -> Path:
    """The instance folder the cards are stored in, for this test only."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "cards"


def decoded(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.get_data()))
    image.load()
    assert image.format == "PNG" and image.size == (1200, 630)
    return image


def meta(page: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    assert match, key
    return match.group(1)


def test_the_package_card_is_a_png_stored_and_redrawn_when_the_package_changes(client, card_folder):
    package = a_package(repo_watchers=10, repo_description="Widgets for everyone")
    first = client.get("/packages/p/widget/card.png")
    decoded(first)
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    etag = first.headers["ETag"]
    assert [path.name for path in card_folder.iterdir()] == [f"package-{package.id}-{etag.strip(chr(34))}.png"]
    assert client.get("/packages/p/widget/card.png", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/packages/p/widget/card.png").get_data() == first.get_data()  # from the disk

    package.repo_watchers = 11
    db.session.commit()
    second = client.get("/packages/p/widget/card.png", headers={"If-None-Match": etag})
    decoded(second)
    assert second.headers["ETag"] != etag and second.get_data() != first.get_data()
    assert len(list(card_folder.iterdir())) == 1  # the old card is gone
    assert client.get("/packages/p/nope/card.png").status_code == 404


def test_the_grid_card_shows_its_figures_and_changes_with_the_grid(client, card_folder):
    category = make_category()
    grid = make_grid("Web", packages=[make_package("a", category=category)], features=2,
                     description="Compare **web** frameworks")
    first = client.get("/grids/g/web/card.png")
    decoded(first)
    db.session.add(Feature(grid_id=grid.id, title="Async"))
    db.session.commit()
    second = client.get("/grids/g/web/card.png")
    decoded(second)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert client.get("/grids/g/nope/card.png").status_code == 404


def test_the_site_card(client, card_folder):
    decoded(client.get("/card.png"))


def test_cards_are_drawn_without_the_dejavu_fonts(client, card_folder, monkeypatch):
    a_package(title="x" * 100, repo_description="word " * 200)
    monkeypatch.setattr(drawing, "FONT_DIR", Path("/nonexistent"))
    drawing.font.cache_clear()
    try:
        decoded(client.get("/packages/p/" + "x" * 100 + "/card.png"))
    finally:
        drawing.font.cache_clear()


def test_a_folder_that_cannot_be_written_only_means_drawing_afresh(client, app, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(app, "instance_path", str(blocker))
    a_package()
    decoded(client.get("/packages/p/widget/card.png"))


def test_card_query_counts(client, count_queries, card_folder):
    category = make_category()
    make_package("widget", category=category)
    make_grid("Web", packages=[make_package("a", category=category)], features=3)
    for path in ("/packages/p/widget/card.png", "/grids/g/web/card.png", "/card.png"):
        client.get(path)
        with count_queries() as counter:
            client.get(path)
        assert counter.count == 1, path


def test_every_page_has_opengraph_and_twitter_tags(client):
    category = make_category()
    a_package(repo_description="Widgets for everyone", category=category)
    make_grid("Web", packages=[make_package("a", category=category)], description="Compare frameworks")
    package_page = html(client.get("/packages/p/widget/"))
    assert meta(package_page, "og:title") == "widget"
    assert meta(package_page, "og:description") == "Widgets for everyone"
    assert meta(package_page, "og:url") == "http://localhost/packages/p/widget/"
    assert meta(package_page, "og:image") == "http://localhost/packages/p/widget/card.png"
    assert meta(package_page, "twitter:card") == "summary_large_image"
    assert meta(package_page, "twitter:image") == "http://localhost/packages/p/widget/card.png"
    grid_page = html(client.get("/grids/g/web/"))
    assert meta(grid_page, "og:image") == "http://localhost/grids/g/web/card.png"
    assert meta(grid_page, "og:title") == "Web"
    for path in ("/", "/packages/", "/grids/", "/packages/liked/"):
        page = html(client.get(path))
        assert meta(page, "og:image") == "http://localhost/card.png", path
        assert meta(page, "og:title") and meta(page, "twitter:title") and meta(page, "og:description"), path


def test_wrapping_keeps_text_inside_the_card():
    face = drawing.font(32)
    lines = drawing.wrap("a " * 10 + "b" * 300, face, 500, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(face.getlength(line) <= 500 for line in lines)
    assert drawing.wrap("short", face, 500, 3) == ["short"]
