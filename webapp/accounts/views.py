"""Account pages: sign up, sign in (password or GitHub) and sign out (profiles are :mod:`webapp.profiles`)."""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from webapp.accounts import oauth, permissions, services
from webapp.accounts.forms import LoginForm, SignupForm
from webapp.forms import show_field_error
from webapp.throttle import throttle_sign_in, throttle_sign_up

logger = logging.getLogger(__name__)

blueprint = Blueprint("accounts", __name__)

GITHUB_NEXT_KEY = "accounts.github_next"


def _next_from_request(form=None) -> str | None:
    candidate = (form.next.data if form is not None and form.next.data else None) or request.args.get("next")
    return permissions.safe_next(candidate)


def _after_sign_in(next_path: str | None, user):
    return redirect(next_path or url_for("profiles.profile", username=user.username))


def _form_page(template: str, form, status: int = 200, **context):
    return render_template(template, form=form, **context), status


@blueprint.route("/accounts/signup/", methods=["GET", "POST"])
@throttle_sign_up
def signup():
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404, "This site does not take new local accounts. Sign in with GitHub instead.")
    form = SignupForm()
    next_path = _next_from_request(form)
    if current_user.is_authenticated:
        return redirect(next_path or url_for("site.home"))
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        form.next.data = next_path or ""
        return _form_page("accounts/signup.html", form)
    if not form.validate():
        return _form_page("accounts/signup.html", form, 422)
    try:
        user = services.create_local_user(form.username.data, form.password.data, form.email.data)
    except services.AccountError as error:
        show_field_error(form, error)
        return _form_page("accounts/signup.html", form, 422)
    services.sign_in(user)
    flash(f"Welcome, {user.username}! Your account is ready.", "success")
    return _after_sign_in(next_path, user)


@blueprint.route("/accounts/login/", methods=["GET", "POST"])
@throttle_sign_in
def login():
    form = LoginForm()
    next_path = _next_from_request(form)
    if current_user.is_authenticated:
        return redirect(next_path or url_for("profiles.profile", username=current_user.username))
    if request.method != "POST":  # GET and HEAD only show the page: state changes on POST
        form.next.data = next_path or ""
        return _form_page("accounts/login.html", form)
    if not form.validate():
        return _form_page("accounts/login.html", form, 422)
    user = services.authenticate(form.username.data, form.password.data)
    if user is None:
        form.form_errors.append("Incorrect username or password.")
        return _form_page("accounts/login.html", form, 422)
    if not user.is_active or not services.sign_in(user, remember=form.remember.data):
        form.form_errors.append("This account is disabled. Contact the site's staff if you think that is wrong.")
        return _form_page("accounts/login.html", form, 422)
    flash(f"Signed in as {user.username}.", "success")
    return _after_sign_in(next_path, user)


@blueprint.post("/accounts/logout/")
def logout():
    services.sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("site.home"))


@blueprint.get("/accounts/github/login/")
def github_login():
    client = oauth.github_client()
    if client is None:
        abort(404, "GitHub sign-in is not set up on this site.")
    next_path = permissions.safe_next(request.args.get("next"))
    if next_path:
        session[GITHUB_NEXT_KEY] = next_path
    else:
        session.pop(GITHUB_NEXT_KEY, None)
    site_url = current_app.config["SITE_URL"].rstrip("/")
    callback = url_for("accounts.github_callback")
    redirect_uri = site_url + callback if site_url else url_for("accounts.github_callback", _external=True)
    return client.authorize_redirect(redirect_uri)


def _github_failed(message: str):
    flash(message, "error")
    return redirect(url_for("accounts.login"))


@blueprint.get("/accounts/github/callback/")
def github_callback():
    client = oauth.github_client()
    if client is None:
        abort(404, "GitHub sign-in is not set up on this site.")
    if request.args.get("error"):
        if request.args.get("error") == "access_denied":
            return _github_failed("GitHub sign-in was cancelled. You can try again or use a password.")
        return _github_failed("GitHub refused the sign-in request. Please try again.")
    try:
        token = client.authorize_access_token()
    except OAuthError as error:
        if error.error == "mismatching_state":
            return _github_failed("That GitHub sign-in link expired or was started elsewhere. Please try again.")
        logger.warning("GitHub token exchange refused: %s", error)
        return _github_failed("GitHub did not accept the sign-in. Please try again.")
    except (requests.RequestException, ValueError) as error:
        logger.warning("GitHub token exchange failed: %s", error)
        return _github_failed("We could not reach GitHub to finish signing in. Please try again later.")
    try:
        profile, emails = oauth.fetch_github_profile(client, token)
        identity = services.identity_from_github(profile, emails)
    except (requests.RequestException, ValueError, services.AccountError) as error:
        # A profile without an id (AccountError) is as unreadable as a broken answer.
        logger.warning("GitHub profile fetch failed: %s", error)
        return _github_failed("We could not read your GitHub profile. Please try again later.")
    try:
        user = services.github_user(identity)
    except services.AccountError as error:
        return _github_failed(error.message)
    next_path = permissions.safe_next(session.get(GITHUB_NEXT_KEY))
    if not user.is_active or not services.sign_in(user):
        return _github_failed("This account is disabled. Contact the site's staff if you think that is wrong.")
    flash(f"Signed in with GitHub as {user.username}.", "success")
    return _after_sign_in(next_path, user)
