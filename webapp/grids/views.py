"""Grid pages: the list of grids and a grid's comparison table, and editing them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from webapp import page_cache
from webapp.accounts import permissions
from webapp.catalog import services as catalog
from webapp.catalog.forms import AddPackageForm, AddSourceForm
from webapp.catalog.queries import release_cycle_table
from webapp.fetch_status import FetchStatus
from webapp.forms import show_field_error, slugify
from webapp.grids import forms, queries, services
from webapp.grids.models import Feature, Grid
from webapp.history.queries import changes_for, latest_change
from webapp.history.services import StaleEdit
from webapp.htmx import htmx_redirect, is_htmx

blueprint = Blueprint("grids", __name__)


def renamed_grid_redirect():
    """For a 404 on any page under a grid's address (``/grids/g/<slug>/...``, whichever blueprint serves it): a
    301 to the same page at the address the grid has now, when it had ``slug`` before a rename; else None.

    Only reads are redirected: a form posted to an old address gets the 404.
    """
    rule = request.url_rule
    if (rule is None or request.method not in ("GET", "HEAD") or not rule.rule.startswith("/grids/g/<slug>/")
            or not request.view_args):
        return None
    current = queries.renamed_to(request.view_args["slug"])
    if current is None:
        return None
    arguments = {**request.view_args, "slug": current, **request.args.to_dict(flat=False)}
    return redirect(url_for(request.endpoint, **arguments), 301)


def _grid_or_404(slug: str) -> Grid:
    """The grid at ``slug``, else a 404 (which redirects when the grid moved: :func:`renamed_grid_redirect`)."""
    grid = queries.grid_by_slug(slug)
    if grid is None:
        abort(404, f"There is no grid “{slug}”.")
    return grid


@blueprint.get("/grids/")
def grid_list():
    sort = request.args.get("sort", queries.DEFAULT_GRID_SORT)
    if sort not in queries.GRID_SORTS:
        sort = queries.DEFAULT_GRID_SORT
    query = request.args.get("q", "")[:200]
    page = queries.grid_page(query=query, sort=sort, page=request.args.get("page", 1, type=int))
    context = {"page": page, "query": query, "sort": sort, "sorts": queries.GRID_SORTS}
    if is_htmx("grid-results"):
        return render_block("grids/grid_list.html", "results", **context)
    return render_template("grids/grid_list.html", **context)


@blueprint.get("/grids/g/<slug>/")
def grid_detail(slug: str):
    sort = request.args.get("sort", queries.DEFAULT_COLUMN_SORT)
    if sort not in queries.COLUMN_SORTS:
        sort = queries.DEFAULT_COLUMN_SORT
    hide_stale = request.args.get("hide") == "stale"
    viewer_id = current_user.id if current_user.is_authenticated else None
    # The table's body is the same for every reader who may do the same (webapp/grids/table.py): read the versions
    # it is kept under before the data it shows.
    shared = page_cache.fragment_versions(page_cache.CACHED_RULES["/grids/g/<slug>/"])
    detail = queries.grid_detail(slug, sort=sort, hide_stale=hide_stale, viewer_id=viewer_id)
    if detail is None:
        abort(404, f"There is no grid “{slug}”.")
    layout = "rows" if request.args.get("layout") == "rows" else "columns"
    context = {"detail": detail, "grid": detail.grid, "sort": sort, "hide_stale": hide_stale, "layout": layout,
               "column_sorts": queries.COLUMN_SORTS, "cycles": release_cycle_table(), "shared": shared}
    if is_htmx("grid-table"):
        return render_block("grids/grid_detail.html", "table", **context)
    return render_template("grids/grid_detail.html", **context)


@blueprint.get("/grids/g/<slug>/history/")
def grid_history(slug: str):
    grid = _grid_or_404(slug)
    return render_template("history/grid_history.html", grid=grid, changes=changes_for(grid_id=grid.id),
                           can_revert=permissions.is_staff(current_user), revert_endpoint="history.revert")


# -- editing -----------------------------------------------------------------------------------------------------
# Anonymous people are sent to sign in (HTMX gets 401 + HX-Redirect); a locked grid is edited by staff only.


def _require_editor(grid: Grid) -> None:
    if not permissions.can_edit_grid(current_user, grid):
        abort(403, "This grid is locked: only staff can edit it.")


def _grid_url(grid: Grid, anchor: str | None = None) -> str:
    return url_for("grids.grid_detail", slug=grid.slug, _anchor=anchor)


def _add_error(field, message: str) -> None:
    field.errors = [*field.errors, message]


@blueprint.route("/grids/add/", methods=["GET", "POST"])
@permissions.login_required
def grid_create():
    form = forms.GridForm()
    if request.method == "POST":
        if form.validate():
            slug = form.slug.data or slugify(form.title.data)
            if not slug:
                _add_error(form.slug, "Choose an address: the title has no letters or digits to make one from.")
            elif slug in forms.RESERVED_SLUGS:
                _add_error(form.slug, "That address is reserved. Choose another.")
            else:
                try:
                    grid = services.create_grid(current_user, title=form.title.data, slug=slug,
                                                description=form.description.data or "")
                except services.GridWriteError as error:
                    form.slug.data = slug
                    show_field_error(form, error)
                else:
                    flash(f"Created the grid “{grid.title}”. Now add packages and features.", "success")
                    return redirect(_grid_url(grid))
        return render_template("grids/grid_form.html", form=form, grid=None), 422
    return render_template("grids/grid_form.html", form=form, grid=None)


@blueprint.route("/grids/g/<slug>/edit/", methods=["GET", "POST"])
@permissions.login_required
def grid_edit(slug: str):
    grid = _grid_or_404(slug)
    _require_editor(grid)
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        form = forms.GridEditForm(obj=grid)
        form.revision.data = grid.revision
        return render_template("grids/grid_form.html", form=form, grid=grid)
    form = forms.GridEditForm()
    if not form.validate():
        return render_template("grids/grid_form.html", form=form, grid=grid), 422
    try:
        services.update_grid(grid, current_user, revision=form.revision.data, title=form.title.data,
                             description=form.description.data or "", slug=form.slug.data)
    except StaleEdit as stale:
        form.revision.data = stale.obj.revision
        return render_template("grids/grid_form.html", form=form, grid=stale.obj, conflict=stale.obj,
                               saved_by=latest_change("grid", stale.obj.id, grid_id=stale.obj.id)), 409
    except services.GridWriteError as error:
        show_field_error(form, error)
        grid = _grid_or_404(slug)  # rolled back: read it again
        return render_template("grids/grid_form.html", form=form, grid=grid), 422
    if grid.slug != slug:
        flash(f"Saved the grid. Its address is now {_grid_url(grid)}; the old one redirects there.", "success")
        return redirect(_grid_url(grid))
    flash("Saved the grid.", "success")
    return redirect(_grid_url(grid))


@blueprint.post("/grids/g/<slug>/lock/")
@permissions.staff_required
def grid_lock(slug: str):
    grid = _grid_or_404(slug)
    value = request.form.get("locked")
    if value not in ("0", "1"):
        abort(400, "Send locked=1 to lock the grid or locked=0 to unlock it.")
    try:
        services.set_locked(grid, current_user, value == "1")
    except StaleEdit:
        abort(409, "Someone changed this grid at the same moment. Reload it and try again.")
    flash("Locked the grid: only staff can edit it now." if value == "1" else "Unlocked the grid.", "success")
    return redirect(_grid_url(grid))


@blueprint.route("/grids/g/<slug>/delete/", methods=["GET", "POST"])
@permissions.staff_required
def grid_delete(slug: str):
    grid = _grid_or_404(slug)
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        feature_count = len(grid.features)
        return render_template("grids/grid_delete.html", grid=grid, form=forms.ConfirmForm(),
                               feature_count=feature_count)
    title = grid.title
    try:
        services.delete_grid(grid, current_user)
    except services.GridWriteError as error:  # deleted by someone else at the same moment
        abort(409, error.message)
    flash(f"Deleted the grid “{title}”.", "success")
    return redirect(url_for("grids.grid_list"))


@blueprint.route("/grids/g/<slug>/packages/add/", methods=["GET", "POST"])
@permissions.login_required
def grid_add_package(slug: str):
    grid = _grid_or_404(slug)
    _require_editor(grid)
    if request.method == "POST":
        return _add_package(grid)
    query = request.args.get("q", "")[:200]
    packages, total = queries.package_choices(grid, query)
    context = {"grid": grid, "query": query, "packages": packages, "total": total}
    if is_htmx("package-picker"):
        return render_template("_partials/package_picker.html", **context)
    return render_template("grids/grid_add_package.html", **context)


def _add_package(grid: Grid):
    form = forms.AddPackageForm()
    query = (form.q.data or "")[:200]
    package = queries.package_by_id(form.package_id.data) if form.validate() else None
    error = None
    if package is None:
        error = "That package does not exist."
    else:
        try:
            services.add_package(grid, package, current_user)
        except services.GridWriteError as failure:
            error = failure.message
    if is_htmx():
        return render_template("_partials/package_picker.html", grid=grid, added=package, error=error,
                               package_id=form.package_id.data), (422 if error else 200)
    if error:
        flash(error, "error")
    else:
        flash(f"Added {package.title} to the grid.", "success")
    return redirect(url_for("grids.grid_add_package", slug=grid.slug, q=query or None), 303)


@blueprint.post("/grids/g/<slug>/packages/<int:grid_package_id>/remove/")
@permissions.login_required
def grid_remove_package(slug: str, grid_package_id: int):
    grid = _grid_or_404(slug)
    _require_editor(grid)
    member = queries.grid_member(grid, grid_package_id)
    if member is None:
        abort(404, "That package is not in this grid.")
    title = member.package.title
    try:
        services.remove_package(grid, member, current_user)
    except services.GridWriteError as error:  # taken out by someone else at the same moment
        abort(409, error.message)
    flash(f"Removed {title} from the grid.", "success")
    target = permissions.safe_next(request.form.get("next")) or _grid_url(grid)
    if is_htmx():
        return htmx_redirect(target)
    return redirect(target, 303)


@blueprint.route("/grids/g/<slug>/features/add/", methods=["GET", "POST"])
@permissions.login_required
def feature_add(slug: str):
    grid = _grid_or_404(slug)
    _require_editor(grid)
    form = forms.FeatureForm()
    if request.method == "POST":
        if form.validate():
            feature = services.add_feature(grid, current_user, title=form.title.data,
                                           description=form.description.data or "")
            flash(f"Added the feature “{feature.title}”.", "success")
            return redirect(_grid_url(grid, f"feature-{feature.id}"))
        return render_template("grids/feature_form.html", form=form, grid=grid, feature=None), 422
    return render_template("grids/feature_form.html", form=form, grid=grid, feature=None)


def _feature_or_404(grid: Grid, feature_id: int) -> Feature:
    feature = queries.grid_feature(grid, feature_id)
    if feature is None:
        abort(404, "This grid has no such feature.")
    return feature


@blueprint.route("/grids/g/<slug>/features/<int:feature_id>/edit/", methods=["GET", "POST"])
@permissions.login_required
def feature_edit(slug: str, feature_id: int):
    grid = _grid_or_404(slug)
    _require_editor(grid)
    feature = _feature_or_404(grid, feature_id)
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        form = forms.FeatureForm(obj=feature)
        form.revision.data = feature.revision
        return render_template("grids/feature_form.html", form=form, grid=grid, feature=feature)
    form = forms.FeatureForm()
    if not form.validate():
        return render_template("grids/feature_form.html", form=form, grid=grid, feature=feature), 422
    try:
        services.update_feature(feature, grid, current_user, revision=form.revision.data, title=form.title.data,
                                description=form.description.data or "")
    except StaleEdit as stale:
        form.revision.data = stale.obj.revision
        return render_template("grids/feature_form.html", form=form, grid=grid, feature=stale.obj,
                               conflict=stale.obj), 409
    flash("Saved the feature.", "success")
    return redirect(_grid_url(grid, f"feature-{feature_id}"))


@blueprint.route("/grids/g/<slug>/features/<int:feature_id>/delete/", methods=["GET", "POST"])
@permissions.staff_required
def feature_delete(slug: str, feature_id: int):
    grid = _grid_or_404(slug)
    feature = _feature_or_404(grid, feature_id)
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        filled = queries.filled_cell_count(feature)
        return render_template("grids/feature_delete.html", grid=grid, feature=feature, filled=filled,
                               form=forms.ConfirmForm())
    title = feature.title
    try:
        services.delete_feature(feature, grid, current_user)
    except services.GridWriteError as error:  # deleted by someone else at the same moment
        abort(409, error.message)
    flash(f"Deleted the feature “{title}”.", "success")
    return redirect(_grid_url(grid))


# -- cells: inline with HTMX, or as full pages without JavaScript ---------------------------------------------------


def _cell_or_404(slug: str, grid_package_id: int, feature_id: int) -> queries.CellContext:
    cell = queries.cell_context(slug, grid_package_id, feature_id)
    if cell is None:
        abort(404, "This grid has no such cell.")
    return cell


def _cell_anchor(cell: queries.CellContext) -> str:
    return f"cell-{cell.member.id}-{cell.feature.id}"


def _render_cell(cell: queries.CellContext, *, refocus: bool = False):
    return render_template("_partials/grid_cell.html", grid=cell.grid, column=cell.column, feature=cell.feature,
                           can_edit=permissions.can_edit_grid(current_user, cell.grid), refocus=refocus)


def _render_editor(cell: queries.CellContext, form, status: int = 200, conflict: bool = False):
    saved_by = None
    if conflict and cell.element is not None:
        saved_by = latest_change("element", cell.element.id, grid_id=cell.grid.id)
    context = {"grid": cell.grid, "cell": cell, "column": cell.column, "feature": cell.feature, "form": form,
               "conflict": conflict, "saved_by": saved_by}
    if is_htmx():
        return render_template("_partials/cell_editor.html", inline=True, **context), status
    return render_template("grids/cell_form.html", inline=False, **context), status


@blueprint.get("/grids/g/<slug>/cells/<int:grid_package_id>/<int:feature_id>/")
def cell(slug: str, grid_package_id: int, feature_id: int):
    """The cell as the grid shows it (HTMX, e.g. after Cancel); a browser is sent to the grid."""
    cell_ = _cell_or_404(slug, grid_package_id, feature_id)
    if not is_htmx():
        return redirect(_grid_url(cell_.grid, _cell_anchor(cell_)))
    return _render_cell(cell_, refocus=True)


@blueprint.get("/grids/g/<slug>/cells/<int:grid_package_id>/<int:feature_id>/edit/")
@permissions.login_required
def cell_edit(slug: str, grid_package_id: int, feature_id: int):
    cell_ = _cell_or_404(slug, grid_package_id, feature_id)
    _require_editor(cell_.grid)
    form = forms.CellForm(formdata=None)
    form.text.data = cell_.element.text if cell_.element else ""
    form.revision.data = cell_.element.revision if cell_.element else 0
    return _render_editor(cell_, form)


@blueprint.post("/grids/g/<slug>/cells/<int:grid_package_id>/<int:feature_id>/")
@permissions.login_required
def cell_save(slug: str, grid_package_id: int, feature_id: int):
    cell_ = _cell_or_404(slug, grid_package_id, feature_id)
    _require_editor(cell_.grid)
    form = forms.CellForm()
    if not form.validate():
        return _render_editor(cell_, form, 422)
    try:
        services.save_cell(cell_.grid, cell_.member, cell_.feature, cell_.element, current_user,
                           text=form.text.data or "", revision=form.revision.data)
    except StaleEdit:
        # Someone saved (or created) the cell since this editor loaded it: show theirs next to ours.
        fresh = _cell_or_404(slug, grid_package_id, feature_id)
        form.revision.data = fresh.element.revision if fresh.element else 0
        return _render_editor(fresh, form, 409, conflict=True)
    if not is_htmx():
        flash("Saved the cell.", "success")
        return redirect(url_for("grids.grid_detail", slug=slug, _anchor=f"cell-{grid_package_id}-{feature_id}"), 303)
    # Reload what the commit expired in one query rather than attribute by attribute.
    saved = queries.cell_context(slug, grid_package_id, feature_id) or cell_
    return _render_cell(saved, refocus=True)


# -- adding a package, straight into a grid when the form names one ------------------------------------------------
# The catalogue's add form, served here because it may put the new package in a grid: the grids build on the
# catalogue, never the other way round. Same address and form; one unit of work for both writes.


def _grid_named(slug: str | None) -> Grid | None:
    return queries.grid_by_slug(slug) if slug else None


@blueprint.get("/packages/add/")
@permissions.login_required
def package_add():
    """Adding a package, step 1 (paste a repository URL or PyPI name), then step 2 (the pre-filled form), both GET."""
    source_form = AddSourceForm(request.args)
    grid = _grid_named(source_form.grid.data)
    context = {"source_form": source_form, "grid": grid, "step": 1, "existing": None}
    if "source" not in request.args:
        return render_template("catalog/package_add.html", **context)
    if not source_form.validate():
        return render_template("catalog/package_add.html", **context), 422
    guess = catalog.interpret_source(source_form.source.data)
    if guess is None:
        source_form.source.errors.append("That is neither a repository URL (like https://github.com/owner/name) "
                                         "nor a PyPI project name.")
        return render_template("catalog/package_add.html", **context), 422
    existing = catalog.find_duplicate(repo_url=guess.repo_url, pypi_url=guess.pypi_url,
                                      slug="" if request.args.get("different") else guess.slug)
    if existing is not None:
        same_project = bool((guess.repo_url and existing.repo_url.lower() == guess.repo_url.lower())
                            or (guess.pypi_url and catalog.find_duplicate(pypi_url=guess.pypi_url) is not None))
        context.update(existing=existing, guess=guess, same_project=same_project)
        return render_template("catalog/package_add.html", **context)
    form = AddPackageForm(formdata=None, data={
        "title": guess.title, "slug": guess.slug, "repo_url": guess.repo_url, "pypi_url": guess.pypi_url,
        "grid": grid.slug if grid else ""})
    form.category.choices = catalog.category_choices()
    context.update(step=2, form=form)
    return render_template("catalog/package_add.html", **context)


@blueprint.post("/packages/add/")
@permissions.login_required
def package_create():
    form = AddPackageForm()
    form.category.choices = catalog.category_choices()
    grid = _grid_named(form.grid.data)
    context = {"source_form": AddSourceForm(formdata=None), "grid": grid, "step": 2, "form": form, "existing": None}
    if not form.validate():
        return render_template("catalog/package_add.html", **context), 422
    try:
        package = catalog.create_package(current_user, form.values())
    except catalog.CatalogError as error:
        show_field_error(form, error)
        return render_template("catalog/package_add.html", **{**context, "existing": error.existing}), 422
    add_to_grid = grid is not None and permissions.can_edit_grid(current_user, grid)
    if add_to_grid:
        try:  # one unit of work: if the package cannot go in the grid, it is not added either
            services.add_package(grid, package, current_user)
        except services.GridWriteError as error:
            form.form_errors.append(error.message)
            grid = _grid_named(form.grid.data)  # rolled back: perhaps the grid is gone
            return render_template("catalog/package_add.html", **{**context, "grid": grid}), 409
    status = catalog.announce_new_package(package.id)
    flash(f"Added {package.title}." + (" Its repository and PyPI data are being fetched."
                                       if status != FetchStatus.OFF else ""), "success")
    if add_to_grid:
        flash(f"{package.title} is now in the grid {grid.title}.", "success")
        return redirect(url_for("grids.grid_detail", slug=grid.slug))
    if grid is not None:
        flash(f"The grid {grid.title} is locked, so {package.title} was not added to it.", "warning")
    return redirect(url_for("catalog.package_detail", slug=package.slug))
