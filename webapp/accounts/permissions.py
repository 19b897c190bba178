"""Who may do what. Views check these on the server; templates use the same functions to hide buttons.

Rules: anonymous people read; signed-in people add and edit; a locked grid is edited by staff only; staff
delete packages, grids and features, moderate and lock; a person may delete a package they added within
24 hours if nobody else has used it or put it in a grid.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required  # noqa: F401  (re-exported for views elsewhere)

from webapp.db_types import utcnow
from webapp.htmx import htmx_current_url, htmx_redirect, is_htmx

OWN_PACKAGE_DELETE_WINDOW = timedelta(hours=24)


def is_signed_in(user) -> bool:
    """True for an active, signed-in account."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def is_staff(user) -> bool:
    """True for signed-in staff (a blocked account is not, whatever its flag says)."""
    return is_signed_in(user) and bool(getattr(user, "is_staff", False)) and not is_blocked(user)


def is_blocked(user) -> bool:
    """True for a signed-in person staff blocked: they read, but may not change anything."""
    return is_signed_in(user) and getattr(user, "blocked_at", None) is not None


def may_write(user) -> bool:
    """True for a signed-in person who is not blocked: every edit permission starts here."""
    return is_signed_in(user) and not is_blocked(user)


def can_add(user) -> bool:
    """May add packages, grids and features."""
    return may_write(user)


def can_edit_package(user, package) -> bool:
    """May edit a package's fields; a package removed by moderation is edited by staff only."""
    if getattr(package, "removed_at", None) is not None:
        return is_staff(user)
    return may_write(user)


def can_edit_grid(user, grid) -> bool:
    """May edit a grid, its features and cells, and add packages to it; locked grids are for staff."""
    if getattr(grid, "is_locked", False):
        return is_staff(user)
    return may_write(user)


def can_delete_package(user, package, used_or_gridded: bool, now: datetime | None = None) -> bool:
    """Staff may; so may the person who added it, within 24 hours, when ``used_or_gridded`` is False.

    ``used_or_gridded`` is True when anyone other than the creator uses the package or put it in a grid:
    see :func:`webapp.catalog.queries.package_claimed_by_others`.
    """
    if is_staff(user):
        return True
    if not may_write(user) or used_or_gridded or package.created_by_id != user.id or package.created is None:
        return False
    return (now or utcnow()) - package.created <= OWN_PACKAGE_DELETE_WINDOW


def can_delete_grid(user, grid=None) -> bool:
    """Only staff delete grids."""
    return is_staff(user)


def can_delete_feature(user, feature=None) -> bool:
    """Only staff delete features (grid rows)."""
    return is_staff(user)


def can_moderate(user) -> bool:
    """Only staff handle flags, revert edits and lock grids."""
    return is_staff(user)


def can_lock_grid(user, grid=None) -> bool:
    """Only staff lock and unlock grids."""
    return is_staff(user)


# -- Refusals --------------------------------------------------------------------------------------------------


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else ``None`` (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if target != target.strip() or any(ord(char) < 0x20 or char == "\\" for char in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _same_site_path(url: str | None) -> str | None:
    """The path and query of ``url`` when it points at this host."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path)


def next_for_current_request() -> str | None:
    """Where to come back after signing in: this page for a GET, else the page the request came from."""
    if request.method == "GET" and not is_htmx():
        return safe_next(request.full_path.rstrip("?"))
    return _same_site_path(htmx_current_url()) or _same_site_path(request.referrer)


def login_url(next_path: str | None = None) -> str:
    """The sign-in page, coming back to ``next_path`` when it is a local path."""
    next_path = safe_next(next_path)
    return url_for("accounts.login", next=next_path) if next_path else url_for("accounts.login")


def unauthorized():
    """Flask-Login's answer for anonymous people on ``@login_required`` views.

    A normal request is redirected to sign in; an HTMX request gets 401 with ``HX-Redirect`` so HTMX loads the
    sign-in page; an API request gets a JSON 401.
    """
    from webapp.errors import render_error, wants_json

    target = login_url(next_for_current_request())
    if is_htmx():
        return htmx_redirect(target, 401)
    if wants_json():
        return render_error(401, "Sign in to do that.")
    flash("Please sign in to continue.", "info")
    return redirect(target)


def staff_required(view):
    """Decorator: anonymous people are sent to sign in, signed-in non-staff get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_signed_in(current_user):
            return current_app.login_manager.unauthorized()
        if not is_staff(current_user):
            abort(403, "Only staff can do that.")
        return view(*args, **kwargs)

    return wrapped


BLOCKED_MESSAGE = ("Your account is blocked from editing. You can still read everything; ask the staff if this is "
                   "a mistake.")
# What a blocked person may still post: signing out.
BLOCKED_MAY_POST = frozenset({"accounts.logout"})


def refuse_blocked_writes():
    """``before_request`` hook: a blocked person's POST (PUT, PATCH, DELETE) to any route is a 403, whatever the
    view checks, so no edit route can forget. Runs after the CSRF check."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in BLOCKED_MAY_POST:
        return None
    if is_blocked(current_user):
        abort(403, BLOCKED_MESSAGE)
    return None


TEMPLATE_GLOBALS = {
    "is_blocked": is_blocked,
    "is_staff": is_staff,
    "can_add": can_add,
    "can_edit_package": can_edit_package,
    "can_edit_grid": can_edit_grid,
    "can_delete_grid": can_delete_grid,
    "can_delete_feature": can_delete_feature,
    "can_lock_grid": can_lock_grid,
}
