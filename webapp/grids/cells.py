"""A grid's feature cells as HTML, built in Python.

A grid of 20 packages and 25 features has 500 cells, one of 150 packages thousands: a template macro call per
cell (argument binding, escaping, a ``url_for`` per editable cell) cost more than the rest of the page together.
The cell's text is stored already rendered and sanitised (``Element.text_html``, see webapp/rendering.py); here it
is only placed in its ``<td>``, with the edit link for people who may edit the grid. The grid page and the
single-cell HTMX answers use the same :class:`CellRenderer`, so a cell looks the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from markupsafe import Markup, escape

from webapp.url_patterns import UrlPattern

EMPTY = '<span class="cell-empty" aria-label="No entry">—</span>'
# Where the answer of a cell's edit link goes: the cell itself, replaced by the editor.
CELL_SWAP = 'hx-target="closest td" hx-swap="outerHTML"'


class CellRenderer:
    """The feature cells of one grid for one viewer (``can_edit``: whether each cell gets its edit link).

    ``swap_set_above``: the table around the cells says where an edit link's answer goes (``hx-target`` and
    ``hx-swap`` on its ``<tbody>``, which htmx reads from the link's ancestors), so the links leave it out: a grid
    of 500 cells is 20 KB lighter for editors.
    """

    def __init__(self, slug: str, can_edit: bool, swap_set_above: bool = False) -> None:
        self.can_edit = bool(can_edit)
        self._swap = "" if swap_set_above else f" {CELL_SWAP}"
        # The cell edit address, built once per grid and filled in per cell.
        self._edit_url = (UrlPattern("grids.cell_edit", "grid_package_id", "feature_id", slug=slug)
                          if self.can_edit else None)

    def cell(self, grid_package_id: int, feature, html: str | None, package_title: str,
             refocus: bool = False) -> Markup:
        """One ``<td>``: the cell's stored HTML (or a dash), and its edit link when the viewer may edit."""
        return Markup(self._cell(grid_package_id, feature.id, escape(feature.title), html,
                                 escape(package_title), escape(feature.title), refocus))

    def _cell(self, grid_package_id: int, feature_id: int, label: str, html: str | None, package_title: str,
              feature_title: str, refocus: bool = False) -> str:
        # ``label``, ``package_title`` and ``feature_title`` come escaped; ``html`` is stored sanitised HTML.
        # data-label: the feature's name, shown beside the value when a phone shows each package as a card.
        content = html or EMPTY
        if not self.can_edit:
            return f'<td id="cell-{grid_package_id}-{feature_id}" class="cell" data-label="{label}">{content}</td>'
        url = self._edit_url(grid_package_id, feature_id)
        focus = " autofocus" if refocus else ""
        return (
            f'<td id="cell-{grid_package_id}-{feature_id}" class="cell cell-editable" data-label="{label}">{content}\n'
            f'<a class="cell-edit" href="{url}" hx-get="{url}"{self._swap} title="Edit this cell" '
            f'aria-label="Edit {package_title}: {feature_title}"{focus}></a></td>')

    def feature_row(self, feature, columns: list[CellColumn]) -> str:
        """The cells of one feature across the grid's columns (packages as columns)."""
        feature_id, title = feature.id, escape(feature.title)
        return "".join(self._cell(column.grid_package_id, feature_id, title, column.cells.get(feature_id),
                                  column.title, title) for column in columns)

    def package_row(self, column: CellColumn, features: Iterable) -> str:
        """The cells of one package across the grid's features (packages as rows)."""
        cells, parts = column.cells, []
        for feature in features:
            title = escape(feature.title)
            parts.append(self._cell(column.grid_package_id, feature.id, title, cells.get(feature.id), column.title,
                                    title))
        return "".join(parts)


class CellColumn(NamedTuple):
    """What a cell needs of its column, read once per grid rather than once per cell."""

    grid_package_id: int
    title: Markup  # the package's title, escaped
    cells: dict[int, str]  # feature id -> the cell's stored HTML

    @classmethod
    def of(cls, column) -> CellColumn:
        """From a grid column (webapp/grids/queries.py GridColumn)."""
        return cls(column.grid_package.id, escape(column.package.title), column.cells)
