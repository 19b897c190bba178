"""The open statistics page and a grid's timesheet: read-only pages, cached for anonymous readers."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from webapp.insights import queries

blueprint = Blueprint("insights", __name__)


@blueprint.get("/open/")
def open_stats():
    return render_template("insights/open.html", stats=queries.open_stats())


@blueprint.get("/grids/g/<slug>/timesheet/")
def grid_timesheet(slug: str):
    sheet = queries.timesheet(slug)
    if sheet is None:
        abort(404, f"There is no grid “{slug}”.")
    return render_template("insights/timesheet.html", sheet=sheet, grid=sheet.grid, labels=queries.STATE_LABELS)
