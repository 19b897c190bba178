"""The newest packages, a package's releases, "add to grid", API v1 (gone), the favicon, health and static pages."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.accounts.permissions import can_edit_grid, can_edit_package, is_staff
from webapp.grids.services import GridWriteError, add_package
from webapp.pages import queries
from webapp.pages.content import PAGES, static_page

blueprint = Blueprint("pages", __name__)
logger = logging.getLogger(__name__)

API_V1_GONE = ("API v1 is gone, as on djangopackages.org. Use API v4 at /api/v4/ (or v3 at /api/v3/); "
               "the documentation is at /api/docs/.")


@blueprint.get("/packages/latest/")
def latest():
    page = queries.latest_page(request.args.get("page", 1, type=int), current_app.config["PACKAGES_PER_PAGE"])
    return render_template("pages/latest.html", page=page)


@blueprint.get("/packages/p/<slug>/releases/")
def releases(slug: str):
    found = queries.package_releases(slug)
    if found is None:
        abort(404, f"There is no package “{slug}”.")
    return render_template("pages/releases.html", package=found.package, releases=found.releases)


def _add_to_grid_page(package, status: int = 200, error: str | None = None):
    grids = queries.grids_to_add_to(package.id, include_locked=is_staff(current_user))
    return render_template("pages/add_to_grid.html", package=package, grids=grids, error=error), status


@blueprint.route("/packages/p/<slug>/add-to-grid/", methods=["GET", "POST"])
@login_required
def add_to_grid(slug: str):
    package = queries.package_by_slug(slug)
    if package is None:
        abort(404, f"There is no package “{slug}”.")
    if not can_edit_package(current_user, package) or package.removed_at is not None:
        abort(403, "This package cannot be added to grids.")
    if request.method == "GET":
        return _add_to_grid_page(package)
    grid = queries.grid_by_slug(request.form.get("grid", "")[:100])
    if grid is None:
        return _add_to_grid_page(package, 422, "Choose a grid.")
    if not can_edit_grid(current_user, grid):
        abort(403, "This grid is locked: only staff add packages to it.")
    try:
        add_package(grid, package, current_user)
    except GridWriteError as error:
        return _add_to_grid_page(package, 422, error.message)
    flash(f"Added {package.title} to {grid.title}.", "success")
    return redirect(url_for("grids.grid_detail", slug=grid.slug))


def _gone():
    response = jsonify(detail=API_V1_GONE)
    response.status_code = 410
    return response


@blueprint.get("/api/v1/")
def api_v1_root():
    return _gone()


@blueprint.get("/api/v1/<path:rest>")
def api_v1_gone(rest: str):
    return _gone()


@blueprint.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


@blueprint.get("/health/")
def health():
    """For load balancers: 200 when the database (and Redis, with ``REDIS_URL``) answer, else 503; no cookie."""
    checks = {"database": "ok"}
    try:
        queries.database_answers()
    except Exception:
        logger.warning("health check: the database does not answer", exc_info=True)
        checks["database"] = "failing"
    if current_app.config["REDIS_URL"]:
        checks["redis"] = "ok"
        try:
            from redis import Redis

            Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2).ping()
        except Exception:
            logger.warning("health check: Redis does not answer", exc_info=True)
            checks["redis"] = "failing"
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify(status="ok" if healthy else "failing", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/<any(" + ", ".join(PAGES) + "):name>/")
def page(name: str):
    content = static_page(name)
    return render_template("pages/static_page.html", content=content, name=name)
