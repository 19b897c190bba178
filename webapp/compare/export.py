"""Grids and comparisons as files: CSV, JSON and a Markdown table, one package a row, the fixed rows (as the grid
page shows them, webapp/grids/table.py) then one column per feature with the cell's text as written.

CSV cells that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage return) get a
leading apostrophe; Markdown cells have their pipes, angle brackets and line breaks escaped.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from webapp.grids.models import Feature
from webapp.grids.queries import GridColumn
from webapp.links import safe_url

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
}


def _date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def _python3(column: GridColumn) -> bool | None:
    return column.release.supports_python3 if column.release else None


@dataclass(frozen=True)
class Fact:
    """One fixed row as data: its JSON key, its CSV and Markdown heading, and its value for a column."""

    key: str
    label: str
    value: Callable[[GridColumn], Any]


FACTS = (
    Fact("title", "Package", lambda c: c.package.title),
    Fact("slug", "Slug", lambda c: c.package.slug),
    Fact("description", "Description", lambda c: c.package.repo_description or None),
    Fact("category", "Category", lambda c: c.package.category.title),
    Fact("users", "Users", lambda c: c.package.usage_count or 0),
    Fact("python3", "Python 3", _python3),
    Fact("development_status", "Development status",
         lambda c: (c.release.development_status or None) if c.release else None),
    Fact("latest_release", "Latest release", lambda c: c.package.version_number or None),
    Fact("released", "Released", lambda c: _date(c.release.upload_time) if c.release else None),
    Fact("stars", "Stars", lambda c: c.package.repo_watchers or 0),
    Fact("forks", "Forks", lambda c: c.package.repo_forks or 0),
    Fact("commits_52_weeks", "Commits (52 weeks)", lambda c: sum(int(n or 0) for n in c.package.commits_over_52 or [])),
    Fact("last_commit", "Last commit", lambda c: _date(c.package.last_commit_date)),
    Fact("license", "License", lambda c: (c.release.license or None) if c.release else None),
    Fact("score", "Score", lambda c: round(c.package.score or 0, 1)),
    Fact("repo_url", "Repository", lambda c: safe_url(c.package.repo_url) or None),
    Fact("pypi_url", "PyPI", lambda c: safe_url(c.package.pypi_url) or None),
    Fact("documentation_url", "Documentation", lambda c: safe_url(c.package.documentation_url) or None),
)


@dataclass
class Table:
    """What an export holds: a title, the page it comes from, packages as columns, features and cell texts."""

    title: str
    url: str
    columns: list[GridColumn]
    features: list[Feature]
    texts: dict[tuple[int, int], str]

    def cell(self, column: GridColumn, feature: Feature) -> str:
        if column.grid_package is None:
            return ""
        return self.texts.get((column.grid_package.id, feature.id), "")

    def headings(self) -> list[str]:
        return [fact.label for fact in FACTS] + [feature.title for feature in self.features]

    def rows(self) -> list[list[Any]]:
        """One list of values a package, in the order of :meth:`headings`."""
        return [[fact.value(column) for fact in FACTS] + [self.cell(column, feature) for feature in self.features]
                for column in self.columns]


def as_text(value: Any) -> str:
    """A value as a CSV or Markdown cell shows it."""
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text a spreadsheet will not run: one that starts like a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(heading) for heading in table.headings()])
    for row in table.rows():
        writer.writerow([csv_safe(as_text(value)) for value in row])
    return out.getvalue()


def markdown_cell(text: str) -> str:
    """Text that stays inside one Markdown table cell and shows as written."""
    text = " ".join(text.replace("\\", "\\\\").split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(table: Table) -> str:
    headings = table.headings()
    lines = [f"# {markdown_cell(table.title)}", "", f"From {table.url}", "",
             "| " + " | ".join(markdown_cell(heading) for heading in headings) + " |",
             "|" + "|".join(" --- " for _ in headings) + "|"]
    for row in table.rows():
        lines.append("| " + " | ".join(markdown_cell(as_text(value)) for value in row) + " |")
    return "\n".join(lines) + "\n"


def _unique(titles: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for title in titles:
        seen[title] = seen.get(title, 0) + 1
        unique.append(title if seen[title] == 1 else f"{title} ({seen[title]})")
    return unique


def to_json(table: Table) -> str:
    feature_keys = _unique([feature.title for feature in table.features])
    packages = []
    for row in table.rows():
        values = dict(zip([fact.key for fact in FACTS], row[:len(FACTS)], strict=True))
        values["features"] = dict(zip(feature_keys, row[len(FACTS):], strict=True))
        packages.append(values)
    document = {
        "title": table.title, "url": table.url,
        "features": [{"title": key, "description": feature.description or ""}
                     for key, feature in zip(feature_keys, table.features, strict=True)],
        "packages": packages,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


WRITERS = {"csv": to_csv, "json": to_json, "md": to_markdown}
