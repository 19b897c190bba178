"""Reverting a recorded change (staff).

The history pages themselves are served by the domains whose objects they list (``catalog.package_history``,
``grids.grid_history``), reading through :mod:`webapp.history.queries`: the history sits below them and only
names their pages by endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from webapp.accounts.permissions import staff_required
from webapp.history.models import Change
from webapp.history.queries import change_or_404, current_slugs
from webapp.history.services import RevertError, StaleEdit, revert_change

blueprint = Blueprint("history", __name__)

# Changes to these objects are reverted from (and sent back to) the grid's history page.
GRID_OBJECTS = {"grid", "feature", "element", "grid_package"}


def _history_page_of(change: Change) -> str:
    """Where to go after a revert: the history page it was asked from (a package's or a grid's), found by the
    objects' current slugs (a reverted slug change moves the page), else where the change is listed."""
    grid_slug, package_slug = current_slugs(change)
    grid_page = url_for("grids.grid_history", slug=grid_slug) if grid_slug else None
    package_page = url_for("catalog.package_history", slug=package_slug) if package_slug else None
    referrer = urlsplit(request.referrer or "")
    if not referrer.netloc or referrer.netloc == request.host:
        if referrer.path.startswith("/grids/") and grid_page:
            return grid_page
        if referrer.path.startswith("/packages/") and package_page:
            return package_page
    if change.object_type in GRID_OBJECTS:
        return grid_page or package_page or url_for("site.home")
    return package_page or grid_page or url_for("site.home")


@blueprint.post("/history/<int:change_id>/revert/")
@staff_required
def revert(change_id: int):
    change = change_or_404(change_id)
    try:
        revert_change(change, current_user)
    except RevertError as error:  # nothing was written
        flash(str(error), "error")
    except StaleEdit:
        # Changed (or reverted by someone else) between loading it and saving: nothing was written.
        flash("This was changed by someone else a moment ago; look at the history again before reverting.", "error")
    else:
        flash(f"Reverted change #{change_id}.", "success")
    return redirect(_history_page_of(change))
