"""A grid's feature cells as HTML, built in Python.

A grid of 20 packages and 25 features has 500 cells, one of 150 packages thousands: a template macro call per
cell (argument binding, escaping, a ``url_for`` per editable cell) cost more than the rest of the page together.
The cell's text is stored already rendered and sanitised (``Element.text_html``, see webapp/rendering.py); here it
is only placed in its ``<td>``, with the edit link for people who may edit the grid. The grid page and the
single-cell HTMX answers use the same :class:`CellRenderer`, so a cell looks the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for
from markupsafe import Markup, escape

EMPTY = '<span class="cell-empty" aria-label="No entry">—</span>'
EDIT_ICON = ('<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 20h4L19 9l-4-4L4 16v4Z"/>'
             '<path d="m13.5 6.5 4 4"/></svg>')
# Stand-ins for the two ids in the cell edit URL: the URL is built once per grid and filled in per cell.
_COLUMN_MARK, _FEATURE_MARK = 2147483641, 2147483643


class CellRenderer:
    """The feature cells of one grid for one viewer (``can_edit``: whether each cell gets its edit link)."""

    def __init__(self, slug: str, can_edit: bool) -> None:
        self.can_edit = bool(can_edit)
        self._edit_url = ""
        if self.can_edit:
            url = url_for("grids.cell_edit", slug=slug, grid_package_id=_COLUMN_MARK, feature_id=_FEATURE_MARK)
            self._edit_url = url.replace("{", "{{").replace("}", "}}").replace(
                str(_COLUMN_MARK), "{column}", 1).replace(str(_FEATURE_MARK), "{feature}", 1)

    def cell(self, grid_package_id: int, feature, html: str | None, package_title: str,
             refocus: bool = False) -> Markup:
        """One ``<td>``: the cell's stored HTML (or a dash), and its edit link when the viewer may edit."""
        content = html or EMPTY
        # data-label: the feature's name, shown beside the value when a phone shows each package as a card.
        cell_id, label = f"cell-{grid_package_id}-{feature.id}", escape(feature.title)
        if not self.can_edit:
            return Markup(f'<td id="{cell_id}" class="cell" data-label="{label}">{content}</td>')
        url = self._edit_url.format(column=grid_package_id, feature=feature.id)
        edit_label = escape(f"Edit {package_title}: {feature.title}")
        focus = " autofocus" if refocus else ""
        return Markup(
            f'<td id="{cell_id}" class="cell cell-editable" data-label="{label}">{content}\n'
            f'<a class="cell-edit" href="{url}" hx-get="{url}" hx-target="closest td" hx-swap="outerHTML" '
            f'title="Edit this cell" aria-label="{edit_label}"{focus}>{EDIT_ICON}</a></td>')

    def feature_row(self, feature, columns: Iterable) -> Markup:
        """The cells of one feature across the grid's columns (packages as columns)."""
        return Markup("").join(self.cell(column.grid_package.id, feature, column.cells.get(feature.id),
                                         column.package.title) for column in columns)

    def package_row(self, column, features: Iterable) -> Markup:
        """The cells of one package across the grid's features (packages as rows)."""
        return Markup("").join(self.cell(column.grid_package.id, feature, column.cells.get(feature.id),
                                         column.package.title) for feature in features)
