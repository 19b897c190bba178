"""The moderation queue: staff approve or dismiss flags on packages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.permissions import staff_required
from webapp.moderation import queries, services

blueprint = Blueprint("moderation", __name__)


@blueprint.get("/moderation/")
@staff_required
def queue():
    data = queries.queue(page=request.args.get("page", 1, type=int))
    return render_template("moderation/queue.html", queue=data, page=data.open)


def _decide(decision):
    try:
        return decision()
    except LookupError:
        abort(404, "There is no such flag.")
    except services.ModerationError as error:  # nothing was written: the flag stays as someone else left it
        flash(str(error), "warning")
        return None


@blueprint.post("/moderation/flags/<int:flag_id>/approve/")
@staff_required
def approve(flag_id: int):
    reason = request.form.get("reason", "")
    if len(reason) > services.REASON_MAX:
        flash(f"The reason shown on the package page can be at most {services.REASON_MAX} characters.", "error")
        return redirect(url_for("moderation.queue"))
    package = _decide(lambda: services.approve(flag_id, current_user, reason))
    if package is not None:
        flash(f"Removed {package.title} from lists and grids.", "success")
    return redirect(url_for("moderation.queue"))


@blueprint.post("/moderation/flags/<int:flag_id>/dismiss/")
@staff_required
def dismiss(flag_id: int):
    flag = _decide(lambda: services.dismiss(flag_id, current_user))
    if flag is not None:
        flash(f"Dismissed flag #{flag.id}; {flag.package.title} stays listed.", "success")
    return redirect(url_for("moderation.queue"))
