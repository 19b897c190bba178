"""Profile pages: what a person added, uses and changed."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts import permissions, profile_links
from webapp.accounts.services import AccountError, username_problem
from webapp.forms import show_field_error
from webapp.profiles import queries, services
from webapp.profiles.forms import ProfileForm

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
    # A person's favorites are private unless they chose otherwise; they always see their own.
    favorites = queries.favorites_of(data.user) if data.user.favorites_public or is_self else None
    return render_template("profiles/profile.html", profile=data, person=data.user, is_self=is_self,
                           favorites=favorites,
                           links=profile_links.links_of(data.user))


def _profile_form_data(user) -> dict:
    return {"display_name": user.display_name, "bio": user.bio, "github": user.github_handle,
            "gitlab": user.gitlab_handle, "bitbucket": user.bitbucket_handle, "codeberg": user.codeberg_handle,
            "mastodon": user.mastodon_url, "website": user.website_url, "favorites_public": user.favorites_public}


@blueprint.route("/profiles/<username>/edit/", methods=["GET", "POST"])
@permissions.login_required
def edit_profile(username: str):
    user = current_user._get_current_object()
    if username.lower() != user.username.lower():
        abort(403, "You can only edit your own profile.")
    if username != user.username:
        return redirect(url_for("profiles.edit_profile", username=user.username), 301)
    if request.method != "POST":  # GET and HEAD only show the form
        form = ProfileForm(formdata=None, data=_profile_form_data(user))
        return render_template("profiles/profile_edit.html", form=form, person=user)
    form = ProfileForm()
    if not form.validate():
        return render_template("profiles/profile_edit.html", form=form, person=user), 422
    try:
        services.update_profile(user, services.ProfileChanges(**{
            name: form[name].data for name in _profile_form_data(user)}))
    except AccountError as error:
        show_field_error(form, error)
        return render_template("profiles/profile_edit.html", form=form, person=user), 422
    flash("Your profile is saved.", "success")
    return redirect(url_for("profiles.profile", username=user.username))
