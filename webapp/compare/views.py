"""The compare page (``/compare/?p=a,b,c``), saving it as a grid, and the exports of grids and comparisons."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from webapp.accounts.permissions import login_required
from webapp.catalog.queries import release_cycle_table
from webapp.compare import export, queries, services
from webapp.compare.forms import SaveAsGridForm
from webapp.grids.queries import renamed_to
from webapp.grids.services import GridWriteError
from webapp.htmx import is_htmx
from webapp.security import site_origin

blueprint = Blueprint("compare", __name__)

TEMPLATE = "compare/compare.html"


def _selection() -> queries.Selection:
    return queries.selection_from(request.args.getlist("p"))


def _default_title(comparison: queries.Comparison) -> str:
    titles = [column.package.title for column in comparison.columns]
    return (" vs ".join(titles) if len(titles) <= 3 else f"{', '.join(titles[:3])} and {len(titles) - 3} more")[:100]


@blueprint.get("/compare/")
def compare():
    """Any packages side by side: ``p`` names them (several ``p``, or one comma-separated list; at most 20)."""
    values = request.args.getlist("p")
    selection = queries.selection_from(values)
    if len(values) > 1 and not is_htmx():  # the checkboxes of a list: one address per comparison, easy to share
        return redirect(url_for("compare.compare", p=queries.compare_param(selection.slugs),
                                q=request.args.get("q") or None))
    query = request.args.get("q", "")[:200]
    matches, total = queries.picker_matches(query, selection)
    context = {"selection": selection, "query": query, "matches": matches, "total": total,
               "p": queries.compare_param(selection.slugs), "max_compared": queries.MAX_COMPARED}
    if is_htmx("compare-results"):  # search as you type: the matches alone
        return render_block(TEMPLATE, "picker_results", **context)
    comparison = queries.comparison(selection)
    context.update(comparison=comparison, columns=comparison.columns, cycles=release_cycle_table())
    if current_user.is_authenticated:  # anonymous pages are shared: they carry a sign-in link instead
        context["save_form"] = SaveAsGridForm(formdata=None, data={"title": _default_title(comparison),
                                                                   "p": context["p"]})
    if is_htmx("compare-area"):  # a package added or taken out
        return render_block(TEMPLATE, "area", **context)
    return render_template(TEMPLATE, **context)


@blueprint.post("/compare/save/")
@login_required
def save():
    """Save the compared packages as a new grid (recorded in the history) and go to it."""
    form = SaveAsGridForm()
    selection = queries.selection_from([form.p.data or ""])
    back = url_for("compare.compare", p=queries.compare_param(selection.slugs))
    if not form.validate():
        flash(" ".join(form.title.errors) or "The grid could not be saved.", "error")
        return redirect(back, 303)
    comparison = queries.comparison(selection)
    if not comparison.columns:
        flash("Add a package or two to compare before saving them as a grid.", "error")
        return redirect(back, 303)
    try:
        grid = services.save_as_grid(current_user, title=form.title.data,
                                     packages=[column.package for column in comparison.columns])
    except GridWriteError as error:
        flash(error.message, "error")
        return redirect(back, 303)
    flash(f"Saved the comparison as the grid “{grid.title}”. Add features to compare them on.", "success")
    return redirect(url_for("grids.grid_detail", slug=grid.slug), 303)


def _download(body: str, fmt: str, name: str) -> Response:
    response = Response(body, content_type=export.FORMATS[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=f"{name}.{fmt}")
    return response


@blueprint.get("/compare/export.csv", defaults={"fmt": "csv"})
@blueprint.get("/compare/export.json", defaults={"fmt": "json"})
@blueprint.get("/compare/export.md", defaults={"fmt": "md"})
def compare_export(fmt: str):
    """The compared packages as a file (the same ``p`` as the page)."""
    selection = _selection()
    if selection.extra:
        abort(400, f"Compare at most {queries.MAX_COMPARED} packages at a time.")
    comparison = queries.comparison(selection)
    table = export.Table(title="Comparison: " + ", ".join(column.package.title for column in comparison.columns),
                         url=site_origin() + url_for("compare.compare", p=queries.compare_param(selection.slugs)),
                         columns=comparison.columns, features=[], texts={})
    name = "-".join(column.package.slug for column in comparison.columns)
    return _download(export.WRITERS[fmt](table), fmt, "compare-" + name if 0 < len(name) <= 80 else "comparison")


@blueprint.get("/grids/g/<slug>/export.csv", defaults={"fmt": "csv"})
@blueprint.get("/grids/g/<slug>/export.json", defaults={"fmt": "json"})
@blueprint.get("/grids/g/<slug>/export.md", defaults={"fmt": "md"})
def grid_export(slug: str, fmt: str):
    """A grid as a file: the fixed rows and every feature, one package a row."""
    data = queries.grid_export(slug)
    if data is None:
        new_slug = renamed_to(slug)
        if new_slug is None:
            abort(404, f"There is no grid “{slug}”.")
        return redirect(url_for("compare.grid_export", slug=new_slug, fmt=fmt), 301)
    table = export.Table(title=data.grid.title, url=site_origin() + url_for("grids.grid_detail", slug=slug),
                         columns=data.columns, features=data.features, texts=data.texts)
    return _download(export.WRITERS[fmt](table), fmt, data.grid.slug)
