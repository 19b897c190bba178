"""Staff tools (categories, the home page, the banner, people) and the public recent changes."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.permissions import staff_required
from webapp.db_types import id_from_text, utcnow
from webapp.forms import show_field_error, slugify
from webapp.history.services import StaleEdit
from webapp.security import site_origin
from webapp.staff import queries, services
from webapp.staff.forms import BannerForm, CategoryForm, MergeForm, RollbackForm, SlugForm
from webapp.staff.services import StaffError
from webapp.text import xml_safe

blueprint = Blueprint("staff", __name__)
changes_blueprint = Blueprint("changes", __name__)

ROLLBACK_REPORT_LIMIT = 20


def _form_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def _direction() -> int:
    return -1 if request.form.get("direction") == "up" else 1


@blueprint.get("/staff/")
@staff_required
def index():
    return render_template("staff/index.html")


# -- categories -------------------------------------------------------------------------------------------------


def _categories_page(form: CategoryForm | None = None, status: int = 200):
    return render_template("staff/categories.html", categories=queries.categories_in_order(),
                           form=form or CategoryForm(), merge_form=MergeForm()), status


@blueprint.get("/staff/categories/")
@staff_required
def categories():
    return _categories_page()


@blueprint.post("/staff/categories/")
@staff_required
def category_create():
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(form, 422)
    slug = form.slug.data or slugify(form.title.data)
    if not slug:
        form.slug.errors = ["Give an address made of letters and digits."]
        return _categories_page(form, 422)
    try:
        category = services.create_category(current_user, title=form.title.data, slug=slug,
                                             description=form.description.data or "")
    except StaffError as error:
        show_field_error(form, error)
        return _categories_page(form, 422)
    flash(f"Created the category {category.title}.", "success")
    return redirect(url_for("staff.categories"))


def _category_or_404(category_id: int):
    category = queries.category_by_id(category_id)
    if category is None:
        abort(404, "There is no such category.")
    return category


@blueprint.post("/staff/categories/<int:category_id>/")
@staff_required
def category_update(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.categories"))
    services.update_category(category, current_user, title=form.title.data, description=form.description.data or "")
    flash(f"Saved the category {category.title}.", "success")
    return redirect(url_for("staff.categories") + f"#category-{category.id}")


@blueprint.post("/staff/categories/<int:category_id>/move/")
@staff_required
def category_move(category_id: int):
    category = _category_or_404(category_id)
    services.move_category(category, current_user, _direction())
    return redirect(url_for("staff.categories") + f"#category-{category.id}")


@blueprint.post("/staff/categories/<int:category_id>/merge/")
@staff_required
def category_merge(category_id: int):
    source = _category_or_404(category_id)
    form = MergeForm()
    target = queries.category_by_id(form.target.data) if form.validate_on_submit() else None
    if target is None:
        flash("Choose the category to merge into.", "error")
        return redirect(url_for("staff.categories"))
    title, into = source.title, target.title
    try:
        moved = services.merge_categories(source, target, current_user)
    except StaffError as error:
        flash(error.message, "error")
        return redirect(url_for("staff.categories"))
    flash(f"Merged {title} into {into}: {moved} package{'s' if moved != 1 else ''} moved.", "success")
    return redirect(url_for("staff.categories"))


# -- the home page and the banner -------------------------------------------------------------------------------


def _home_page(status: int = 200, **forms):
    from webapp.staff.banner import current_banner

    default_end = (utcnow() + timedelta(days=7)).replace(second=0, microsecond=0, tzinfo=None)
    banner_form = forms.get("banner_form") or BannerForm(formdata=None, ends_at=default_end)
    return render_template("staff/home.html", choices=queries.home_choices(), banner=current_banner(),
                           banners=queries.recent_banners(), grid_form=forms.get("grid_form") or SlugForm(),
                           package_form=forms.get("package_form") or SlugForm(), banner_form=banner_form), status


@blueprint.get("/staff/home/")
@staff_required
def home():
    return _home_page()


@blueprint.post("/staff/home/grids/")
@staff_required
def feature_grid():
    form = SlugForm()
    if not form.validate_on_submit():
        return _home_page(422, grid_form=form)
    grid = queries.grid_by_slug(form.slug.data)
    if grid is None:
        form.slug.errors = [f"There is no grid at /grids/g/{form.slug.data}/."]
        return _home_page(422, grid_form=form)
    try:
        services.feature_grid(grid, current_user)
    except StaffError as error:
        form.slug.errors = [error.message]
        return _home_page(422, grid_form=form)
    flash(f"Featured {grid.title} on the home page.", "success")
    return redirect(url_for("staff.home"))


def _featured_or_404(featured_id: int):
    featured = queries.featured_grid_by_id(featured_id)
    if featured is None:
        abort(404, "That grid is not featured.")
    return featured


@blueprint.post("/staff/home/grids/<int:featured_id>/remove/")
@staff_required
def unfeature_grid(featured_id: int):
    services.unfeature_grid(_featured_or_404(featured_id), current_user)
    flash("Took the grid off the home page.", "success")
    return redirect(url_for("staff.home"))


@blueprint.post("/staff/home/grids/<int:featured_id>/move/")
@staff_required
def move_featured_grid(featured_id: int):
    services.move_featured_grid(_featured_or_404(featured_id), _direction())
    return redirect(url_for("staff.home"))


@blueprint.post("/staff/home/package/")
@staff_required
def feature_package():
    form = SlugForm()
    if not form.validate_on_submit():
        return _home_page(422, package_form=form)
    package = queries.package_by_slug(form.slug.data)
    if package is None:
        form.slug.errors = [f"There is no package at /packages/p/{form.slug.data}/."]
        return _home_page(422, package_form=form)
    try:
        services.feature_package(package, current_user, form.note.data or "")
    except StaffError as error:
        form.slug.errors = [error.message]
        return _home_page(422, package_form=form)
    flash(f"{package.title} is the featured package.", "success")
    return redirect(url_for("staff.home"))


@blueprint.post("/staff/home/package/remove/")
@staff_required
def unfeature_package():
    services.unfeature_package(current_user)
    flash("No package is featured now.", "success")
    return redirect(url_for("staff.home"))


@blueprint.post("/staff/banner/")
@staff_required
def banner_post():
    form = BannerForm()
    if not form.validate_on_submit():
        return _home_page(422, banner_form=form)
    try:
        services.post_banner(current_user, text=form.text.data, link=form.link.data or "", ends_at=form.ends_at_utc())
    except StaffError as error:
        show_field_error(form, error)
        return _home_page(422, banner_form=form)
    flash("The banner shows on every page now.", "success")
    return redirect(url_for("staff.home"))


@blueprint.post("/staff/banner/end/")
@staff_required
def banner_end():
    ended = services.end_banner(current_user)
    flash("The banner is gone." if ended else "No banner was showing.", "success" if ended else "info")
    return redirect(url_for("staff.home"))


# -- people -----------------------------------------------------------------------------------------------------


@blueprint.get("/staff/people/")
@staff_required
def people():
    q = request.args.get("q", "")[:150]
    show = request.args.get("show", "")
    show = show if show in ("staff", "blocked") else ""
    page = queries.people(q=q, show=show, page=request.args.get("page", 1, type=int))
    return render_template("staff/people.html", page=page, q=q, show=show)


def _person_or_404(username: str):
    person = queries.person_or_none(username)
    if person is None:
        abort(404, f"There is nobody called “{username}”.")
    return person


@blueprint.get("/staff/people/<username>/")
@staff_required
def person(username: str):
    person = _person_or_404(username)
    changes = queries.person_changes(person.id, request.args.get("page", 1, type=int))
    default_since = (utcnow() - timedelta(days=1)).date()
    return render_template("staff/person.html", person=person, changes=changes,
                           rollback_form=RollbackForm(formdata=None, since=default_since))


@blueprint.post("/staff/people/<username>/staff/")
@staff_required
def person_staff(username: str):
    person = _person_or_404(username)
    make = request.form.get("staff") == "1"
    try:
        services.set_staff(person, current_user, make)
    except StaffError as error:
        flash(error.message, "error")
    else:
        flash(f"{person.username} is {'now' if make else 'no longer'} staff.", "success")
    return redirect(url_for("staff.person", username=person.username))


@blueprint.post("/staff/people/<username>/block/")
@staff_required
def person_block(username: str):
    person = _person_or_404(username)
    block = request.form.get("block") == "1"
    try:
        services.set_blocked(person, current_user, block)
    except StaffError as error:
        flash(error.message, "error")
    else:
        flash(f"{person.username} is {'blocked from editing' if block else 'unblocked'}.", "success")
    return redirect(url_for("staff.person", username=person.username))


@blueprint.post("/staff/people/<username>/rollback/")
@staff_required
def person_rollback(username: str):
    person = _person_or_404(username)
    form = RollbackForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.person", username=person.username))
    since = datetime.combine(form.since.data, time.min, tzinfo=timezone.utc)
    try:
        report = services.rollback_person(person, since, current_user)
    except StaleEdit:
        flash("Someone changed one of these at the same moment, so nothing was rolled back. Try again.", "error")
        return redirect(url_for("staff.person", username=person.username))
    flash(f"Rolled back {len(report.undone)} change{'s' if len(report.undone) != 1 else ''} by {person.username} "
          f"since {form.since.data:%Y-%m-%d}.", "success")
    if report.skipped:
        shown = "; ".join(f"#{change_id}: {reason}" for change_id, reason in report.skipped[:ROLLBACK_REPORT_LIMIT])
        more = len(report.skipped) - ROLLBACK_REPORT_LIMIT
        flash(f"Left {len(report.skipped)} alone: {shown}" + (f"; and {more} more." if more > 0 else "."), "warning")
    return redirect(url_for("staff.person", username=person.username))


# -- recent changes (public) ------------------------------------------------------------------------------------


def _changes_filters() -> dict:
    kind = request.args.get("kind", "")
    return {"person": request.args.get("person", "")[:150].strip(),
            "kind": kind if kind in queries.KIND_LABELS else "",
            "grid": request.args.get("grid", "")[:100].strip(),
            "before": id_from_text(request.args.get("before"))}


@changes_blueprint.get("/changes/")
def recent():
    filters = _changes_filters()
    page = queries.recent_changes(**filters)
    return render_template("staff/changes.html", page=page, kinds=queries.KIND_LABELS, before=filters["before"])


@changes_blueprint.get("/changes/atom/")
def recent_atom():
    filters = _changes_filters()
    page = queries.recent_changes(**{**filters, "before": None})
    body = xml_safe(render_template("staff/changes_atom.xml", page=page, site_url=site_origin(),
                                    updated=page.rows[0].change.created if page.rows else utcnow()))
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response
