"""Catalogue pages: home, package lists, categories, package pages, feeds, sitemap and robots.txt; adding,
editing, fetching and deleting packages, "I use this" and flags."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from webapp.accounts.permissions import can_edit_package, is_staff, login_required, safe_next, staff_required
from webapp.catalog import queries, services
from webapp.catalog.forms import DeprecationForm, EditPackageForm, ExampleForm, FlagForm
from webapp.catalog.models import Package
from webapp.catalog.participants import package_participants
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
    """The list's filter, order (``sort``, and ``dir``: asc or desc) and page; anything unknown reads as the default."""
    sort = request.args.get("sort", queries.DEFAULT_PACKAGE_SORT)
    if sort not in queries.PACKAGE_SORTS:
        sort = queries.DEFAULT_PACKAGE_SORT
    direction = request.args.get("dir", "")
    reverse = direction in ("asc", "desc") and direction != queries.natural_direction(sort)
    return {"query": request.args.get("q", "")[:200], "sort": sort, "reverse": reverse,
            "page": request.args.get("page", 1, type=int)}


def _list_context(arguments: dict) -> dict:
    natural = queries.natural_direction(arguments["sort"])
    return {"query": arguments["query"], "sort": arguments["sort"], "sorts": queries.PACKAGE_SORTS,
            "direction": ({"asc": "desc", "desc": "asc"}[natural] if arguments["reverse"] else natural),
            "natural_directions": {key: queries.natural_direction(key) for key in queries.PACKAGE_SORTS}}


def _viewer_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _favorited_on(listing) -> set[int]:
    """The packages of a list page the signed-in viewer starred (one query; none for anonymous readers)."""
    return queries.favorited_among(_viewer_id(), [package.id for package in listing.items])


def _render_listing(template: str, **context):
    """The full page, or only its result block when HTMX swaps the list."""
    context.setdefault("favorited", _favorited_on(context["page"]))
    if is_htmx("package-results"):
        return render_block(template, "results", **context)
    return render_template(template, **context)


@blueprint.get("/packages/")
def package_list():
    """Every listed package; ``?category=<slug>`` keeps one category's (chips link there; an unknown slug shows all)."""
    arguments = _list_arguments()
    categories = queries.categories_with_counts()
    wanted = request.args.get("category", "")
    chosen = next((category for category, _count in categories if category.slug == wanted), None)
    listing = queries.package_page(category=chosen, **arguments, per_page=current_app.config["PACKAGES_PER_PAGE"])
    return _render_listing("catalog/package_list.html", page=listing, category=None, chips=categories,
                           chosen_category=chosen, **_list_context(arguments))


@blueprint.get("/categories/")
def category_index():
    return render_template("catalog/category_index.html", categories=queries.categories_with_counts())


@blueprint.get("/categories/<slug>/")
def category_detail(slug: str):
    category = queries.category_or_404(slug)
    arguments = _list_arguments()
    listing = queries.package_page(category=category, **arguments, per_page=current_app.config["PACKAGES_PER_PAGE"])
    return _render_listing("catalog/package_list.html", page=listing, category=category, chips=None,
                           chosen_category=None, **_list_context(arguments))


@blueprint.get("/packages/p/<slug>/")
def package_detail(slug: str):
    viewer_id = current_user.id if current_user.is_authenticated else None
    detail = queries.package_detail(slug, viewer_id=viewer_id, show_hidden_examples=is_staff(current_user))
    if detail is None:
        abort(404, f"There is no package “{slug}”.")
    latest = detail.package.current_release
    cycles = queries.release_cycle_table()
    supported_django = tuple(cycle.cycle for cycle in cycles.supported("django")) or None
    score = package_score_breakdown(detail.package, detail.releases, supported_django, look_up_cycles=False)
    can_delete = current_user.is_authenticated and services.may_delete(current_user, detail.package)
    return render_template("catalog/package_detail.html", detail=detail, package=detail.package, latest=latest,
                           score=score, score_formula=SCORE_FORMULA, can_delete=can_delete,
                           participants=package_participants(detail.package),
                           cycles=cycles,
                           can_mark_deprecated=services.may_mark_deprecated(current_user, detail.package),
                           # Asked only when the package has known vulnerabilities (their count is stored).
                           vulnerabilities=(queries.vulnerabilities_of([detail.package.id]).get(detail.package.id)
                                            if detail.package.vulnerability_count else None),
                           # Anonymous people get a sign-in link: a form would put a CSRF token in their session.
                           flag_form=FlagForm() if current_user.is_authenticated else None,
                           example_form=ExampleForm(formdata=None) if current_user.is_authenticated else None)


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
        stat = bool(request.form.get("stat"))
        extra = {"usage_users": queries.package_users(package.id)} if stat else {}
        return render_template("_partials/usage_button.html", package=package, used=used, usage_next=_back_to(package),
                               usage_stat=stat, usage_cell=bool(request.form.get("cell")),
                               usage_oob=bool(stat or request.form.get("cell")), **extra)
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


# -- deprecation -----------------------------------------------------------------------------------------------


def _deprecation_page(form: DeprecationForm, package: Package, status: int = 200, **context):
    return render_template("catalog/package_deprecation.html", form=form, package=package, **context), status


def _deprecation_form_for(package: Package) -> DeprecationForm:
    return DeprecationForm(formdata=None, data={
        "status": str(package.deprecation_status or "deprecated"), "reason": package.deprecation_note or "",
        "replaced_by": package.deprecated_by.slug if package.deprecated_by else "", "revision": package.revision})


@blueprint.route("/packages/<slug>/deprecation/", methods=["GET", "POST"])
@login_required
def package_deprecation(slug: str):
    package = queries.package_or_404(slug)
    if not services.may_mark_deprecated(current_user, package):
        abort(403, "Only staff, or the person who added the package, can mark it deprecated or unmaintained.")
    if request.method != "POST":  # GET and HEAD only show the page (and the picker's choices): state changes on POST
        if is_htmx("replacement-options"):
            candidates = queries.replacement_candidates(request.args.get("replaced_by", "")[:200], package.id)
            return render_block("catalog/package_deprecation.html", "replacement_options", candidates=candidates)
        return _deprecation_page(_deprecation_form_for(package), package)

    form = DeprecationForm()
    clearing = request.form.get("action") == "clear"
    if not clearing and not form.validate():
        return _deprecation_page(form, package, 422)
    package_id = package.id
    try:
        if clearing:
            changes = services.clear_deprecation(package, current_user, form.revision.data)
        else:
            replacement = services.find_replacement(package, form.replaced_by.data)
            changes = services.mark_deprecated(package, current_user, status=form.status.data,
                                               reason=form.reason.data, replacement=replacement,
                                               submitted_revision=form.revision.data)
    except StaleEdit:
        current = queries.package_by_id(package_id, fresh=True)
        if current is None:
            abort(404, "This package was deleted while you edited it.")
        form.revision.data = current.revision
        return _deprecation_page(form, current, 409, conflict=True)
    except services.CatalogError as error:
        show_field_error(form, error)
        return _deprecation_page(form, package, 422)
    if not changes:
        flash("Nothing changed.", "info")
    elif clearing:
        flash(f"{package.title} is no longer marked deprecated.", "success")
    else:
        flash(f"Marked {package.title} {form.status.data}.", "success")
    return redirect(url_for("catalog.package_detail", slug=package.slug))


# -- favorites -------------------------------------------------------------------------------------------------


@blueprint.get("/packages/liked/")
def liked_packages():
    """The most starred packages."""
    listing = queries.liked_page(page=request.args.get("page", 1, type=int),
                                 per_page=current_app.config["PACKAGES_PER_PAGE"])
    return render_template("catalog/liked.html", page=listing, favorited=_favorited_on(listing))


@blueprint.post("/packages/p/<slug>/favorite/")
@login_required
def toggle_favorite(slug: str):
    package = queries.package_or_404(slug)
    wanted = {"1": True, "0": False}.get(request.form.get("favorite", ""))
    favorited = services.set_favorite(current_user, package, wanted)
    if is_htmx():
        return render_template("_partials/favorite_button.html", package=package, favorited=favorited,
                               favorite_next=_back_to(package), favorite_compact=bool(request.form.get("compact")))
    flash(f"{package.title} is one of your favorites." if favorited
          else f"{package.title} is no longer one of your favorites.", "success")
    return redirect(_back_to(package))


@blueprint.post("/favorites/visibility/")
@login_required
def favorites_visibility():
    public = request.form.get("public") == "1"
    services.set_favorites_public(current_user, public)
    flash("Everyone can now see your favorites on your profile." if public
          else "Your favorites are now private: only you see them on your profile.", "success")
    return redirect(safe_next(request.form.get("next")) or f"/profiles/{current_user.username}/")


# -- sites using a package -------------------------------------------------------------------------------------


def _examples_response(package: Package, form: ExampleForm, status: int, message: str | None = None):
    if is_htmx():
        # HTMX swaps 2xx answers only: the section with the form's errors, or the new list, is the answer.
        return render_template("_partials/package_examples.html", package=package, example_form=form,
                               examples=queries.package_examples(package.id, include_hidden=is_staff(current_user)),
                               example_message=message)
    if message and status < 400:
        flash(message, "success")
        return redirect(url_for("catalog.package_detail", slug=package.slug) + "#sites-h")
    return render_template("catalog/example_add.html", package=package, example_form=form), status


@blueprint.route("/packages/p/<slug>/sites/add/", methods=["GET", "POST"])
@login_required
def add_example(slug: str):
    package = queries.package_or_404(slug)
    if package.removed_at is not None:
        abort(403, "This package has been removed by the moderators.")
    form = ExampleForm()
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        return render_template("catalog/example_add.html", package=package, example_form=form)
    if not form.validate():
        return _examples_response(package, form, 422)
    services.add_example(current_user, package, form.title.data, form.url.data)
    return _examples_response(package, ExampleForm(formdata=None), 200, f"Thank you: {form.title.data} is listed.")


@blueprint.post("/packages/sites/<int:example_id>/hide/")
@staff_required
def hide_example(example_id: int):
    example = queries.example_by_id(example_id)
    if example is None:
        abort(404, "There is no such site.")
    hidden = request.form.get("hidden", "1") != "0"
    services.set_example_hidden(current_user, example, hidden)
    package = example.package
    if is_htmx():
        return _examples_response(package, ExampleForm(formdata=None), 200)
    flash(f"Hid {example.title}." if hidden else f"{example.title} is shown again.", "success")
    return redirect(url_for("catalog.package_detail", slug=package.slug) + "#sites-h")
