"""Exports of grids and comparisons: CSV, JSON and a Markdown table with the fixed rows and the cells as written,
the right Content-Type and file name, CSV safe from formulas, Markdown pipes escaped, and a fixed query count."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select

from tests.factories import make_category, make_grid, make_package
from webapp.extensions import db
from webapp.grids.models import Element, Feature

TRICKY = ["=HYPERLINK(\"http://evil\")", "+1 a | b", "-2", "@SUM(A1)", "plain **bold** text"]


def _grid(size: int = 3, slug: str = "task-queues", prefix: str = "pkg"):
    category = make_category("App", slug=f"apps-{slug}")
    packages = [make_package(f"{prefix}-{n:02}", category=category, repo_watchers=100 - n, repo_forks=n,
                             repo_description=f"Package {n}") for n in range(size)]
    grid = make_grid("Task queues", slug=slug, packages=packages, features=len(TRICKY), fill=True)
    features = db.session.scalars(select(Feature).where(Feature.grid_id == grid.id).order_by(Feature.id)).all()
    for feature, text in zip(features, TRICKY, strict=True):
        for element in db.session.scalars(select(Element).where(Element.feature_id == feature.id)):
            element.text = text
    db.session.commit()
    return grid, packages


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _markdown_rows(text: str) -> list[list[str]]:
    """The table of a Markdown export, cells unescaped (split on pipes not preceded by a backslash)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            rows.append([cell.strip().replace("\\|", "|").replace("&lt;", "<").replace("&gt;", ">")
                         .replace("\\\\", "\\") for cell in cells])
    return rows


def test_grid_csv_has_the_fixed_rows_and_the_cells_as_text_safe_from_formulas(client):
    _grid()
    response = client.get("/grids/g/task-queues/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=task-queues.csv"
    header, *rows = _csv_rows(response)
    assert header[:3] == ["Package", "Slug", "Description"] and "Forks" in header and "Users" in header
    assert header[-len(TRICKY):] == [f"Feature {n + 1}" for n in range(len(TRICKY))]
    assert [row[0] for row in rows] == ["pkg-00", "pkg-01", "pkg-02"]  # the grid page's order (score, then name)
    assert all(len(row) == len(header) for row in rows)
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_name["pkg-02"]["Stars"] == "98" and by_name["pkg-02"]["Forks"] == "2"
    assert by_name["pkg-02"]["Description"] == "Package 2"
    cells = [by_name["pkg-00"][f"Feature {n + 1}"] for n in range(len(TRICKY))]
    assert cells == ["'=HYPERLINK(\"http://evil\")", "'+1 a | b", "'-2", "'@SUM(A1)", "plain **bold** text"]
    assert "<" not in response.get_data(as_text=True).replace('"http://evil"', "")  # text, not HTML


def test_grid_json_holds_typed_values_and_each_cell(client):
    _grid()
    response = client.get("/grids/g/task-queues/export.json")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Disposition"] == "attachment; filename=task-queues.json"
    document = json.loads(response.get_data(as_text=True))
    assert document["title"] == "Task queues" and document["url"].endswith("/grids/g/task-queues/")
    assert [feature["title"] for feature in document["features"]] == [f"Feature {n + 1}" for n in range(5)]
    first = document["packages"][0]
    assert first["slug"] == "pkg-00" and first["stars"] == 100 and first["forks"] == 0
    assert first["features"]["Feature 1"] == TRICKY[0]  # JSON is no spreadsheet: the text exactly as written
    assert first["features"]["Feature 2"] == TRICKY[1]


def test_grid_markdown_is_a_table_with_escaped_pipes_matching_the_grid(client):
    _grid()
    response = client.get("/grids/g/task-queues/export.md")
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=task-queues.md"
    text = response.get_data(as_text=True)
    assert text.startswith("# Task queues\n") and "+1 a \\| b" in text
    header, separator, *rows = _markdown_rows(text)
    assert len(rows) == 3 and all(len(row) == len(header) == len(separator) for row in rows)
    assert set(separator) == {"---"}
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_name["pkg-01"]["Stars"] == "99" and by_name["pkg-01"]["Feature 2"] == "+1 a | b"


def test_compare_exports_follow_the_same_p(client):
    category = make_category("App", slug="apps")
    for slug in ("alpha", "beta"):
        make_package(slug, category=category, repo_forks=7)
    db.session.commit()
    response = client.get("/compare/export.csv?p=beta,alpha,nope&p=alpha")
    assert response.headers["Content-Disposition"] == "attachment; filename=compare-beta-alpha.csv"
    header, *rows = _csv_rows(response)
    assert [row[0] for row in rows] == ["beta", "alpha"] and header[-1] == "Documentation"  # no features
    document = json.loads(client.get("/compare/export.json?p=alpha").get_data(as_text=True))
    assert [package["slug"] for package in document["packages"]] == ["alpha"] and document["features"] == []
    markdown = _markdown_rows(client.get("/compare/export.md?p=alpha,beta").get_data(as_text=True))
    assert len(markdown) == 4 and markdown[2][header.index("Forks")] == "7"
    too_many = client.get("/compare/export.json?p=" + ",".join(f"p{n}" for n in range(21)))
    assert too_many.status_code == 400


def test_exports_of_an_unknown_grid_are_404(client):
    for fmt in ("csv", "json", "md"):
        assert client.get(f"/grids/g/nope/export.{fmt}").status_code == 404
    assert client.get("/grids/g/nope/export.xml").status_code == 404


def test_the_grid_and_compare_pages_offer_the_downloads(client):
    _grid()
    grid_page = client.get("/grids/g/task-queues/").get_data(as_text=True)
    for fmt in ("csv", "json", "md"):
        assert f'href="/grids/g/task-queues/export.{fmt}"' in grid_page
    compare_page = client.get("/compare/?p=pkg-00,pkg-01").get_data(as_text=True)
    assert 'href="/compare/export.md?p=pkg-00,pkg-01"' in compare_page


def test_exports_run_a_fixed_number_of_queries(client, count_queries, page_cache_off):
    counts = {}
    for size in (2, 12):
        _grid(size, slug=f"grid-{size}", prefix=f"p{size}")
        slugs = ",".join(f"p{size}-{n:02}" for n in range(size))
        for fmt in ("csv", "json", "md"):
            for kind, path in (("grid", f"/grids/g/grid-{size}/export.{fmt}"),
                               ("compare", f"/compare/export.{fmt}?p={slugs}")):
                client.get(path)
                with count_queries() as counter:
                    assert client.get(path).status_code == 200
                counts[(size, kind, fmt)] = counter.count
    for (size, kind, fmt), count in counts.items():
        assert count == counts[(2, kind, fmt)], (size, kind, fmt)
    assert counts[(12, "grid", "csv")] == 4  # the grid, its packages, features and cells
    assert counts[(12, "compare", "csv")] == 2  # the packages and their stars 90 days ago
