"""History pages of packages and grids, and reverting a recorded change (staff)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.accounts.permissions import is_staff, staff_required
from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.history.models import Change
from webapp.history.queries import changes_for
from webapp.history.services import RevertError, StaleEdit, revert_change

blueprint = Blueprint("history", __name__)

# Changes to these objects are reverted from (and sent back to) the grid's history page.
GRID_OBJECTS = {"grid", "feature", "element", "grid_package"}


@blueprint.get("/packages/p/<slug>/history/")
def package_history(slug: str):
    package = db.session.scalar(select(Package).where(Package.slug == slug))
    if package is None:
        abort(404, f"There is no package “{slug}”.")
    return render_template("history/package_history.html", package=package,
                           changes=changes_for(package_id=package.id), can_revert=is_staff(current_user),
                           revert_endpoint="history.revert")


@blueprint.get("/grids/g/<slug>/history/")
def grid_history(slug: str):
    grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
    if grid is None:
        abort(404, f"There is no grid “{slug}”.")
    return render_template("history/grid_history.html", grid=grid, changes=changes_for(grid_id=grid.id),
                           can_revert=is_staff(current_user), revert_endpoint="history.revert")


def _history_page_of(change: Change) -> str:
    """Where to go after a revert: the history page it was asked from (a package's or a grid's), found by the
    objects' current slugs (a reverted slug change moves the page), else where the change is listed."""
    grid_page = package_page = None
    if change.grid_id is not None:
        slug = db.session.scalar(select(Grid.slug).where(Grid.id == change.grid_id))
        grid_page = url_for("history.grid_history", slug=slug) if slug else None
    if change.package_id is not None:
        slug = db.session.scalar(select(Package.slug).where(Package.id == change.package_id))
        package_page = url_for("history.package_history", slug=slug) if slug else None
    referrer = urlsplit(request.referrer or "")
    if not referrer.netloc or referrer.netloc == request.host:
        if referrer.path.startswith("/grids/") and grid_page:
            return grid_page
        if referrer.path.startswith("/packages/") and package_page:
            return package_page
    if change.object_type in GRID_OBJECTS:
        return grid_page or package_page or url_for("catalog.home")
    return package_page or grid_page or url_for("catalog.home")


@blueprint.post("/history/<int:change_id>/revert/")
@staff_required
def revert(change_id: int):
    change = db.session.get(Change, change_id)
    if change is None:
        abort(404, "There is no such change.")
    try:
        revert_change(change, current_user)
        db.session.commit()
    except RevertError as error:
        db.session.rollback()
        flash(str(error), "error")
    except StaleEdit:
        # Changed (or reverted by someone else) between loading it and saving: nothing was written.
        db.session.rollback()
        flash("This was changed by someone else a moment ago; look at the history again before reverting.", "error")
    except IntegrityError:
        # e.g. putting back a slug that another package has taken since
        db.session.rollback()
        flash("This change cannot be reverted: the old value is now used by something else.", "error")
    else:
        flash(f"Reverted change #{change_id}.", "success")
    return redirect(_history_page_of(change))
