"""Grid pages: the list of grids and a grid's comparison table."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from jinja2_fragments.flask import render_block

from webapp.grids import queries
from webapp.pagination import parse_page

blueprint = Blueprint("grids", __name__)


@blueprint.get("/grids/")
def grid_list():
    sort = request.args.get("sort", queries.DEFAULT_GRID_SORT)
    if sort not in queries.GRID_SORTS:
        sort = queries.DEFAULT_GRID_SORT
    query = request.args.get("q", "")[:200]
    page = queries.grid_page(query=query, sort=sort, page=parse_page(request.args.get("page")))
    context = {"page": page, "query": query, "sort": sort, "sorts": queries.GRID_SORTS}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "grid-results":
        return render_block("grids/grid_list.html", "results", **context)
    return render_template("grids/grid_list.html", **context)


@blueprint.get("/grids/g/<slug>/")
def grid_detail(slug: str):
    sort = request.args.get("sort", queries.DEFAULT_COLUMN_SORT)
    if sort not in queries.COLUMN_SORTS:
        sort = queries.DEFAULT_COLUMN_SORT
    hide_stale = request.args.get("hide") == "stale"
    viewer_id = current_user.id if current_user.is_authenticated else None
    detail = queries.grid_detail(slug, sort=sort, hide_stale=hide_stale, viewer_id=viewer_id)
    if detail is None:
        abort(404, f"There is no grid “{slug}”.")
    context = {"detail": detail, "grid": detail.grid, "sort": sort, "hide_stale": hide_stale,
               "column_sorts": queries.COLUMN_SORTS}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "grid-table":
        return render_block("grids/grid_detail.html", "table", **context)
    return render_template("grids/grid_detail.html", **context)
