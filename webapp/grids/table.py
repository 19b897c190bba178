"""A comparison table drawn in Python: the grid page's table and the fixed rows the compare page shares.

A grid of 20 packages and 25 features is about 350 fixed-row cells, 500 feature cells and 45 heads; as Jinja
macros and includes they cost more than the rest of the request together (a context and argument binding per call,
a ``url_for`` per link). Here each cell is one f-string from the column's data, addresses are built once per table
(:class:`webapp.url_patterns.UrlPattern`) and the badges and toggles come from the one implementation every page
uses (webapp/catalog/widgets.py). Stored HTML (cell notes, feature descriptions, sparklines) was rendered and
sanitised when written; everything else is escaped here.

The exports write the same fixed rows as text (webapp/compare/export.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import quote

from flask import current_app, url_for
from markupsafe import Markup, escape

from webapp.catalog.widgets import (
    PageWidgets,
    declared_versions,
    favorite_toggle,
    has_health_problem,
    health_badges,
    usage_toggle,
)
from webapp.grids.cells import CELL_SWAP, CellColumn, CellRenderer
from webapp.links import safe_url
from webapp.page_cache import FragmentVersions, shared_fragment
from webapp.templating import format_date, intcomma, sparkline, timesince, url_with
from webapp.url_patterns import UrlPattern

# The fixed rows of a comparison: (key, label, the column sort it offers or None), in the order shown.
FACT_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("description", "Description", None), ("category", "Category", "category"), ("usage", "Users", "usage"),
    ("python3", "Python 3", "python3"), ("django", "Django versions", "django"),
    ("python", "Python versions", "python"), ("status", "Development status", None),
    ("release", "Latest release", "release"), ("health", "Health", None), ("stars", "Stars", "stars"),
    ("stars-gained", "Stars gained (90 days)", "stars-gained"), ("forks", "Forks", "forks"),
    ("commits", "Commit activity", "commits"), ("last-commit", "Last commit", "last-commit"),
    ("license", "License", None), ("score", "Score", "score"), ("links", "Links", None),
)
_DASH = "—"
_YES = '<span class="cell-icon cell-yes" role="img" aria-label="Yes">✔</span>'
_NO = '<span class="cell-icon cell-no" role="img" aria-label="No">✘</span>'
_REMOVE_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>'


def _bar(column, key: str) -> str:
    # A bar under a number, as long as its share of the grid's largest (GridColumn.bars, webapp/grids/queries.py).
    width = column.bars.get(key) if column.bars else None
    return "" if width is None else f'<i class="rel-bar" aria-hidden="true"><i class="w{width}"></i></i>'


def _vulnerability_list(report) -> str:
    # Rare (a package with known advisories): the partial the package page uses too.
    return current_app.jinja_env.get_template("_partials/vulnerability_list.html").render(report=report)


class FactCells:
    """The fixed rows' cells of columns that have ``package`` and ``release`` (webapp/grids/queries.py GridColumn).

    ``cycles`` (webapp.catalog.support.CycleTable) greys declared versions past their end of life.
    """

    def __init__(self, cycles=None, page: PageWidgets | None = None) -> None:
        self.cycles = cycles
        self.page = page or PageWidgets()
        self._cell: dict[str, Callable] = {
            "description": self._description, "category": self._category, "usage": self._usage,
            "python3": self._python3, "django": self._versions, "python": self._versions, "status": self._status,
            "release": self._release, "health": self._health, "stars": self._stars,
            "stars-gained": self._stars_gained, "forks": self._forks, "commits": self._commits,
            "last-commit": self._last_commit, "license": self._license, "score": self._score, "links": self._links,
        }

    def cell(self, key: str, column, label: str) -> str:
        """One ``<td>``; ``label`` is the row's name, shown above the value when a phone shows packages as cards."""
        return self._cells(key, label, (column,))[0]

    def rows(self, columns: Sequence, head: Callable[[str, str, str | None], str] | None = None) -> Markup:
        """Every fixed row across ``columns`` (packages as columns); ``head`` draws a row's heading (default: its
        label)."""
        rows = []
        for key, label, sort_key in FACT_ROWS:
            heading = head(key, label, sort_key) if head else f'<th scope="row">{escape(label)}</th>'
            rows.append(f"<tr>{heading}{''.join(self._cells(key, label, columns))}</tr>")
        return Markup("\n".join(rows))

    def _cells(self, key: str, label: str, columns: Sequence) -> list[str]:
        draw, cells = self._cell[key], []
        opening = f'<td data-label="{escape(label)}"'
        for column in columns:
            css, content = draw(column, key)
            cells.append(f'{opening} class="{css}">{content}</td>' if css else f"{opening}>{content}</td>")
        return cells

    # Each returns (the td's class, its content).
    @staticmethod
    def _description(c, _key):
        return "desc", f'<span class="clamp">{escape(c.package.repo_description or _DASH)}</span>'

    @staticmethod
    def _category(c, _key):
        return "", escape(c.package.category.title)

    @staticmethod
    def _usage(c, key):
        return "num", f'<span id="users-{c.package.id}">{intcomma(c.package.usage_count)}</span>{_bar(c, key)}'

    @staticmethod
    def _python3(c, _key):
        supports = c.release.supports_python3 if c.release is not None else None
        return "", _YES if supports is True else _NO if supports is False else '<span class="cell-empty">unknown</span>'

    def _versions(self, c, key):
        return "versions-cell", declared_versions(c.release, key, self.cycles)

    @staticmethod
    def _status(c, _key):
        return "", escape(c.release.development_status if c.release is not None and c.release.development_status
                          else _DASH)

    @staticmethod
    def _release(c, _key):
        number = c.package.version_number
        if not number:
            return "", _DASH
        uploaded = c.release.upload_time if c.release is not None else None
        when = f'<br><span class="muted small">{format_date(uploaded)}</span>' if uploaded else ""
        return "", f"{escape(number)}{when}"

    def _health(self, c, _key):
        package, report = c.package, c.vulnerabilities
        content = str(health_badges(package, report, page=self.page))
        if report:
            content += _vulnerability_list(report)
        if not has_health_problem(package):
            content += '<span class="cell-empty">no known problem</span>'
        return "health-cell", content

    @staticmethod
    def _stars(c, key):
        return "num", f"{intcomma(c.package.repo_watchers)}{_bar(c, key)}"

    @staticmethod
    def _stars_gained(c, _key):
        gained = c.stars_gained
        if gained is None:
            return "", f'<span class="cell-empty">{_DASH}</span>'
        since = c.stars_gained_since.strftime("%b %-d, %Y")
        return "", (f'<span class="{"gain" if gained > 0 else "muted"}" title="Stars gained since {since}">'
                    f'{"+" if gained >= 0 else "−"}{intcomma(abs(gained))}</span>')

    @staticmethod
    def _forks(c, key):
        return "num", f"{intcomma(c.package.repo_forks)}{_bar(c, key)}"

    @staticmethod
    def _commits(c, _key):
        return "", sparkline(c.package.commits_sparkline, width=140, height=26)

    @staticmethod
    def _last_commit(c, _key):
        last = c.package.last_commit_date
        return "", timesince(last) if last else _DASH

    @staticmethod
    def _license(c, _key):
        return "", escape(c.release.license if c.release is not None and c.release.license else _DASH)

    @staticmethod
    def _score(c, _key):
        return "num", f'<span id="score-{c.package.id}">{round(c.package.score or 0, 1)}</span>'

    @staticmethod
    def _links(c, _key):
        package = c.package
        links = [f'<a href="{escape(url)}" rel="noopener">{name}</a>'
                 for name, url in (("Repo", safe_url(package.repo_url)), ("PyPI", safe_url(package.pypi_url)),
                                   ("Docs", safe_url(package.documentation_url))) if url]
        return "small links", "".join(links)


def fact_rows(columns: Sequence, cycles=None) -> Markup:
    """The fixed rows of a comparison (the compare page's table body)."""
    return FactCells(cycles).rows(columns)


class GridTable:
    """A grid's comparison table (webapp.grids.queries.GridDetail) for one viewer.

    ``can_edit``: cells, features and columns get their edit links; ``can_delete_features``: features get
    "Delete"; ``sort``: the column order shown (its row heading gets an arrow). With ``shared`` (the versions the
    grid page's data was read at, webapp.page_cache.fragment_versions), the body of the "packages as columns"
    table (fixed rows and feature rows: nothing of the reader's own) is kept in the page cache and shared by every
    reader who may do the same; the column heads (the reader's "I use this", star and remove buttons) are drawn
    for each.
    """

    def __init__(self, detail, *, can_edit: bool, can_delete_features: bool, cycles, sort: str,
                 shared: FragmentVersions | None = None) -> None:
        self.detail, self.grid = detail, detail.grid
        self.can_edit, self.can_delete_features, self.sort = bool(can_edit), bool(can_delete_features), sort
        self.shared = shared
        self.page = PageWidgets()
        self.facts = FactCells(cycles, self.page)
        self.cells = CellRenderer(self.grid.slug, self.can_edit)  # "packages as rows": each link says its swap
        self.here = url_with()
        # The page with another sort: built once with a stand-in, as the sort keys need no quoting.
        self._sorted_url = url_with(sort="2147483647")
        if self.can_edit:
            slug = self.grid.slug
            self._remove_url = UrlPattern("grids.grid_remove_package", "grid_package_id", slug=slug)
            self._feature_edit_url = UrlPattern("grids.feature_edit", "feature_id", slug=slug)
            self._feature_delete_url = UrlPattern("grids.feature_delete", "feature_id", slug=slug)

    def render(self, layout: str = "columns") -> Markup:
        """The ``<table>``: packages as columns (the default) or, with ``layout="rows"``, as rows."""
        return self._rows_layout() if layout == "rows" else self._columns_layout()

    # -- heads ---------------------------------------------------------------------------------------------------

    def _sort_head(self, label: str, key: str, scope: str) -> str:
        url = escape(self._sorted_url.replace("2147483647", quote(key)))
        arrow = " ↓" if self.sort == key else ""
        return (f'<th scope="{scope}"><a href="{url}" hx-get="{url}" hx-target="#grid-table" hx-select="#grid-table" '
                f'hx-swap="outerHTML" hx-push-url="true" title="Sort packages by {escape(label.lower())}">'
                f'{escape(label)}{arrow}</a></th>')

    def _fact_head(self, label: str, sort_key: str | None, scope: str) -> str:
        return self._sort_head(label, sort_key, scope) if sort_key else f'<th scope="{scope}">{escape(label)}</th>'

    def _package_head(self, column, scope: str) -> str:
        package, page = column.package, self.page
        title = escape(package.title)
        remove = ""
        if self.can_edit:
            url = self._remove_url(grid_package_id=column.grid_package.id)
            remove = (
                f'\n<form method="post" action="{url}" class="inline-form col-remove" hx-post="{url}" '
                f'hx-confirm="Remove {title} from this grid? Its cells in this grid are deleted too (the history '
                f'keeps them).">\n<input type="hidden" name="csrf_token" value="{page.csrf_token}">\n'
                f'<input type="hidden" name="next" value="{escape(self.here)}">\n'
                f'<button type="submit" class="btn-icon" title="Remove from this grid" '
                f'aria-label="Remove {title} from this grid">{_REMOVE_ICON}</button>\n</form>')
        return (
            f'<th scope="{scope}" class="col-head{" col-removable" if self.can_edit else ""}">\n'
            f'<a class="pkg" href="{page.detail(slug=package.slug)}">{title}</a>{remove}\n'
            f'<div class="badges">{health_badges(package, compact=True, page=page)}</div>\n'
            f'<div class="col-tools">{usage_toggle(package, column.used_by_me, cell=True, page=page)}'
            f'{favorite_toggle(package, column.favorited_by_me, compact=True, page=page)}</div>\n</th>')

    def _feature_head(self, feature, scope: str) -> str:
        description = (f'<div class="feature-desc">{feature.description_html}</div>'
                       if feature.description_html else "")
        tools = ""
        if self.can_edit:
            name = escape(feature.title)
            delete = (f'<a class="danger-link" href="{self._feature_delete_url(feature_id=feature.id)}" '
                      f'aria-label="Delete feature {name}">Delete</a>' if self.can_delete_features else "")
            tools = (f'\n<div class="feature-tools"><a href="{self._feature_edit_url(feature_id=feature.id)}" '
                     f'aria-label="Edit feature {name}">Edit</a>{delete}</div>')
        return f'<th scope="{scope}" class="feature-head">{escape(feature.title)}{description}{tools}</th>'

    # -- layouts -------------------------------------------------------------------------------------------------

    def _caption(self, what: str) -> str:
        return f'<caption class="visually-hidden">{escape(self.grid.title)}: {what}</caption>'

    def _columns_layout(self) -> Markup:
        columns = self.detail.columns
        # No form in this body (the heads hold them): the cells' edit links take their swap from the <tbody>.
        self.cells = CellRenderer(self.grid.slug, self.can_edit, swap_set_above=True)
        tbody = f"<tbody {CELL_SWAP}>" if self.can_edit else "<tbody>"
        body = shared_fragment("grid-columns-body", self.shared, (self.can_edit, self.can_delete_features),
                               self._columns_body)
        return Markup("\n".join([
            '<table class="grid">', self._caption(f"{len(columns)} packages compared"),
            '<thead>\n<tr>\n<th scope="col">Package</th>',
            *(self._package_head(column, "col") for column in columns),
            "</tr>\n</thead>", tbody, body, "</tbody>\n</table>",
        ]))

    def _columns_body(self) -> str:
        columns, features = self.detail.columns, self.detail.features
        empty_cells = "<td></td>" * len(columns)
        cell_columns = [CellColumn.of(column) for column in columns]
        parts = [
            self.facts.rows(columns, lambda _key, label, sort_key: self._fact_head(label, sort_key, "row")),
            f'<tr class="section"><th scope="row">Features</th>{empty_cells}</tr>',
        ]
        for feature in features:
            parts.append(f'<tr id="feature-{feature.id}">{self._feature_head(feature, "row")}'
                         f'{self.cells.feature_row(feature, cell_columns)}</tr>')
        if not features:
            add = ""
            if self.can_edit:
                add = (f'<div class="feature-tools"><a href="{url_for("grids.feature_add", slug=self.grid.slug)}">'
                       f'Add a feature</a></div>')
            parts.append(f'<tr><th scope="row" class="muted">No features yet{add}</th>{empty_cells}</tr>')
        return "\n".join(parts)

    def _rows_layout(self) -> Markup:
        columns, features = self.detail.columns, self.detail.features
        facts = [(key, label, sort_key) for key, label, sort_key in FACT_ROWS if key != "description"]
        parts = [
            '<table class="grid grid-rows">', self._caption(f"{len(columns)} packages compared, one package a row"),
            '<thead>\n<tr>\n<th scope="col">Package</th>',
            *(self._fact_head(label, sort_key, "col") for _key, label, sort_key in facts),
            *(self._feature_head(feature, "col") for feature in features),
            "</tr>\n</thead>\n<tbody>",
        ]
        for column in columns:
            fixed = "".join(self.facts.cell(key, column, label) for key, label, _sort in facts)
            parts.append(f'<tr id="package-row-{column.package.id}">{self._package_head(column, "row")}{fixed}'
                         f'{self.cells.package_row(CellColumn.of(column), features)}</tr>')
        parts.append("</tbody>\n</table>")
        return Markup("\n".join(parts))


def grid_table(detail, *, can_edit: bool, can_delete_features: bool, cycles, sort: str,
               layout: str = "columns", shared: FragmentVersions | None = None) -> Markup:
    """The grid page's ``<table>`` (see :class:`GridTable`)."""
    return GridTable(detail, can_edit=can_edit, can_delete_features=can_delete_features, cycles=cycles,
                     sort=sort, shared=shared).render(layout)
