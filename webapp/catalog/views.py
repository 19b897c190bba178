"""Catalogue pages: home, package lists, categories, package pages, feeds, sitemap and robots.txt; adding,
editing, fetching and deleting packages, "I use this" and flags."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from webapp.accounts.permissions import can_edit_package, is_staff, login_required, safe_next
from webapp.catalog import queries, services
from webapp.catalog.forms import EditPackageForm, FlagForm
from webapp.catalog.models import Package
from webapp.catalog.scoring import FORMULA as SCORE_FORMULA
from webapp.catalog.scoring import package_score_breakdown
from webapp.db_types import id_from_text
from webapp.fetch_status import FetchStatus
from webapp.forms import show_field_error
from webapp.history.queries import changes_for
from webapp.history.services import StaleEdit
from webapp.htmx import is_htmx
from webapp.security import site_origin
from webapp.text import xml_safe
from webapp.throttle import throttle_fetch_now

blueprint = Blueprint("catalog", __name__)


def _list_arguments() -> dict:
    sort = request.args.get("sort", queries.DEFAULT_PACKAGE_SORT)
    if sort not in queries.PACKAGE_SORTS:
        sort = queries.DEFAULT_PACKAGE_SORT
    return {"query": request.args.get("q", "")[:200], "sort": sort, "page": request.args.get("page", 1, type=int)}


def _render_listing(template: str, **context):
    """The full page, or only its result block when HTMX swaps the list."""
    if is_htmx("package-results"):
        return render_block(template, "results", **context)
    return render_template(template, **context)


@blueprint.get("/packages/")
def package_list():
    arguments = _list_arguments()
    listing = queries.package_page(**arguments, per_page=current_app.config["PACKAGES_PER_PAGE"])
    return _render_listing("catalog/package_list.html", page=listing, category=None, query=arguments["query"],
                           sort=arguments["sort"], sorts=queries.PACKAGE_SORTS)


@blueprint.get("/categories/")
def category_index():
    return render_template("catalog/category_index.html", categories=queries.categories_with_counts())


@blueprint.get("/categories/<slug>/")
def category_detail(slug: str):
    category = queries.category_or_404(slug)
    arguments = _list_arguments()
    listing = queries.package_page(category=category, **arguments, per_page=current_app.config["PACKAGES_PER_PAGE"])
    return _render_listing("catalog/package_list.html", page=listing, category=category, query=arguments["query"],
                           sort=arguments["sort"], sorts=queries.PACKAGE_SORTS)


@blueprint.get("/packages/p/<slug>/")
def package_detail(slug: str):
    viewer_id = current_user.id if current_user.is_authenticated else None
    detail = queries.package_detail(slug, viewer_id=viewer_id)
    if detail is None:
        abort(404, f"There is no package “{slug}”.")
    latest = detail.package.current_release
    score = package_score_breakdown(detail.package)
    can_delete = current_user.is_authenticated and services.may_delete(current_user, detail.package)
    return render_template("catalog/package_detail.html", detail=detail, package=detail.package, latest=latest,
                           score=score, score_formula=SCORE_FORMULA, can_delete=can_delete,
                           # Anonymous people get a sign-in link: a form would put a CSRF token in their session.
                           flag_form=FlagForm() if current_user.is_authenticated else None)


@blueprint.get("/packages/p/<slug>/history/")
def package_history(slug: str):
    package = queries.package_or_404(slug)
    return render_template("history/package_history.html", package=package,
                           changes=changes_for(package_id=package.id), can_revert=is_staff(current_user),
                           revert_endpoint="history.revert")


def _feed_response(template: str, mimetype: str):
    packages = queries.latest_packages()
    # Stored text is cleaned on write, but one bad row written another way must not break the feed for all.
    body = xml_safe(render_template(template, packages=packages, site_url=site_origin()))
    response = make_response(body)
    response.mimetype = mimetype  # Cache-Control and validators as every page (webapp/http_cache.py)
    return response


@blueprint.get("/feeds/packages/latest/rss/")
def feed_latest_rss():
    return _feed_response("catalog/feed_rss.xml", "application/rss+xml")


@blueprint.get("/feeds/packages/latest/atom/")
def feed_latest_atom():
    return _feed_response("catalog/feed_atom.xml", "application/atom+xml")


# -- editing ---------------------------------------------------------------------------------------------------


def _back_to(package: Package) -> str:
    return safe_next(request.form.get("next")) or url_for("catalog.package_detail", slug=package.slug)


def _edit_page(form: EditPackageForm, package: Package, status: int = 200, **context):
    return render_template("catalog/package_edit.html", form=form, package=package, **context), status


@blueprint.route("/packages/<slug>/edit/", methods=["GET", "POST"])
@login_required
def package_edit(slug: str):
    package = queries.package_by_slug(slug)
    if package is None and request.method == "POST":
        # Renamed while this person edited: keep their work (the revision check reports the conflict).
        package = queries.package_by_id(id_from_text(request.form.get("package_id")))
    if package is None:
        abort(404, f"There is no package “{slug}”.")
    if not can_edit_package(current_user, package):
        abort(403, "Only staff can edit a package the moderators removed.")
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        form = EditPackageForm(formdata=None, data={
            "title": package.title, "slug": package.slug, "category": package.category_id,
            "repo_url": package.repo_url, "pypi_url": package.pypi_url,
            "documentation_url": package.documentation_url, "revision": package.revision, "package_id": package.id})
        form.category.choices = services.category_choices()
        return _edit_page(form, package)

    form = EditPackageForm()
    form.category.choices = services.category_choices()
    form.current_slug = package.slug
    if not form.validate():
        return _edit_page(form, package, 422)
    package_id = package.id
    try:
        changes = services.update_package(package, current_user, form.values(), form.revision.data)
    except StaleEdit:
        current = queries.package_by_id(package_id, fresh=True)
        if current is None:
            abort(404, "This package was deleted while you edited it.")
        mine = form.values()
        theirs = {key: getattr(current, key) for key in services.EDITABLE_FIELDS}
        form.revision.data = current.revision
        labels = dict(services.category_choices())
        return _edit_page(form, current, 409, conflict=True, mine=mine, theirs=theirs, category_labels=labels)
    except services.CatalogError as error:
        show_field_error(form, error)
        return _edit_page(form, package, 422, existing=error.existing)
    flash(f"Saved {package.title}." if changes else "Nothing changed.", "success" if changes else "info")
    return redirect(url_for("catalog.package_detail", slug=package.slug))


FETCH_MESSAGES = {
    FetchStatus.QUEUED: ("Fetch queued: fresh data will appear in a minute.", "success"),
    FetchStatus.UPDATED: ("Fetched: the data is up to date.", "success"),
    FetchStatus.UNCHANGED: ("Fetched: nothing had changed.", "success"),
    FetchStatus.NOTHING_TO_FETCH: ("There is nothing to fetch: add a repository or PyPI address first.", "warning"),
    FetchStatus.QUOTA: ("The host's API quota is used up; the package will be fetched when it comes back.", "warning"),
}


@blueprint.post("/packages/<slug>/fetch/")
@throttle_fetch_now
@login_required
def package_fetch(slug: str):
    package = queries.package_or_404(slug)
    if not can_edit_package(current_user, package):
        abort(403, "Only staff can refresh a package the moderators removed.")
    status = services.fetch_now(package)
    if status == FetchStatus.FAILED:
        package = queries.package_or_404(slug)  # as the fetch left it
        flash(f"The fetch failed: {package.fetch_error or 'see the log'}. The data shown is from the last "
              "successful fetch.", "error")
    else:
        flash(*FETCH_MESSAGES.get(status, (f"Fetch: {status}.", "info")))
    return redirect(_back_to(package))


@blueprint.route("/packages/<slug>/delete/", methods=["GET", "POST"])
@login_required
def package_delete(slug: str):
    package = queries.package_or_404(slug)
    if not services.may_delete(current_user, package):
        abort(403, "Only staff, or the person who added it within a day while nobody else uses it or put it in "
                   "a grid, can delete this package.")
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        return render_template("catalog/package_delete.html", package=package)
    title = package.title
    try:
        services.delete_package(package, current_user)
    except services.CatalogError as error:  # deleted by someone else at the same moment
        abort(409, error.message)
    flash(f"Deleted {title}.", "success")
    return redirect(url_for("catalog.package_list"))


# -- "I use this" and flags ------------------------------------------------------------------------------------


@blueprint.post("/packages/p/<slug>/usage/")
@login_required
def toggle_usage(slug: str):
    package = queries.package_or_404(slug)
    wanted = {"1": True, "0": False}.get(request.form.get("use", ""))
    used = services.set_usage(current_user, package, wanted)
    if is_htmx():
        return render_template("_partials/usage_button.html", package=package, used=used, usage_next=_back_to(package),
                               usage_stat=bool(request.form.get("stat")), usage_cell=bool(request.form.get("cell")),
                               usage_oob=bool(request.form.get("stat") or request.form.get("cell")))
    flash(f"You use {package.title}." if used else f"You no longer use {package.title}.", "success")
    return redirect(_back_to(package))


def _flag_response(package: Package, form: FlagForm, status: int, message: str | None = None,
                   category: str = "info"):
    if is_htmx():
        # HTMX swaps 2xx answers only: the form with its errors or message is the answer.
        return render_template("_partials/flag_form.html", package=package, flag_form=form, flag_message=message,
                               flag_message_category=category, flag_open=True)
    if message and status < 400:
        flash(message, category)
        return redirect(url_for("catalog.package_detail", slug=package.slug))
    return render_template("catalog/package_flag.html", package=package, flag_form=form, flag_message=message,
                           flag_message_category=category), status


@blueprint.route("/packages/p/<slug>/flag/", methods=["GET", "POST"])
@login_required
def flag(slug: str):
    package = queries.package_or_404(slug)
    form = FlagForm()
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        return render_template("catalog/package_flag.html", package=package, flag_form=form)
    if not form.validate():
        return _flag_response(package, form, 422)
    try:
        services.flag_package(current_user, package, form.reason.data)
    except services.CatalogError as error:
        return _flag_response(package, form, 409, error.message, "warning")
    return _flag_response(package, FlagForm(formdata=None), 200,
                          "Thank you. Staff will review your report.", "success")
