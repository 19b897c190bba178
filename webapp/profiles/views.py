"""Profile pages: what a person added, uses and changed."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from webapp.accounts import permissions
from webapp.accounts.services import username_problem
from webapp.profiles import queries

blueprint = Blueprint("profiles", __name__)


@blueprint.get("/profiles/")
@permissions.login_required
def my_profile():
    return redirect(url_for("profiles.profile", username=current_user.username))


@blueprint.get("/profiles/<username>/")
def profile(username: str):
    data = queries.profile(username) if not username_problem(username) else None
    if data is None:
        abort(404, f"There is nobody called “{username}” here.")
    if data.user.username != username:
        return redirect(url_for("profiles.profile", username=data.user.username), 301)
    is_self = current_user.is_authenticated and current_user.id == data.user.id
    return render_template("profiles/profile.html", profile=data, person=data.user, is_self=is_self)
