"""Account pages: sign up, sign in (password or GitHub) and sign out (profiles are :mod:`webapp.profiles`)."""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from webapp.accounts import oauth, permissions, recovery, services
from webapp.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    SignupForm,
)
from webapp.forms import show_field_error
from webapp.throttle import throttle_account_mail, throttle_password_reset, throttle_sign_in, throttle_sign_up

logger = logging.getLogger(__name__)

blueprint = Blueprint("accounts", __name__)

GITHUB_NEXT_KEY = "accounts.github_next"
# Set by "Connect GitHub": the callback then links the GitHub account to this account id instead of signing in.
GITHUB_CONNECT_KEY = "accounts.github_connect"


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
    recovery.send_email_verification(user)
    flash(f"Welcome, {user.username}! Your account is ready. We mailed you a link to confirm your address.",
          "success")
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
    session.pop(GITHUB_CONNECT_KEY, None)
    return _to_github(client)


def _to_github(client):
    site_url = current_app.config["SITE_URL"].rstrip("/")
    callback = url_for("accounts.github_callback")
    redirect_uri = site_url + callback if site_url else url_for("accounts.github_callback", _external=True)
    return client.authorize_redirect(redirect_uri)


def _github_failed(message: str):
    flash(message, "error")
    if session.get(GITHUB_CONNECT_KEY) and current_user.is_authenticated:
        session.pop(GITHUB_CONNECT_KEY, None)
        return redirect(url_for("accounts.settings"))
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
    connecting = session.pop(GITHUB_CONNECT_KEY, None)
    if connecting is not None:
        return _connect_github(connecting, identity)
    try:
        user = services.github_user(identity)
    except services.AccountError as error:
        return _github_failed(error.message)
    next_path = permissions.safe_next(session.get(GITHUB_NEXT_KEY))
    if not user.is_active or not services.sign_in(user):
        return _github_failed("This account is disabled. Contact the site's staff if you think that is wrong.")
    flash(f"Signed in with GitHub as {user.username}.", "success")
    return _after_sign_in(next_path, user)


def _connect_github(user_id: int, identity: services.GitHubIdentity):
    """The end of "Connect GitHub": link the identity to the account that started it, still signed in."""
    if not current_user.is_authenticated or current_user.id != user_id:
        flash("You were signed out before GitHub answered. Sign in and connect GitHub again.", "error")
        return redirect(url_for("accounts.login"))
    try:
        services.connect_github(current_user, identity)
    except services.AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.settings"))
    flash(f"Your account is linked to the GitHub account {identity.login}: you can sign in with GitHub too.",
          "success")
    return redirect(url_for("accounts.settings"))


@blueprint.post("/accounts/github/connect/")
@permissions.login_required
def github_connect():
    client = oauth.github_client()
    if client is None:
        abort(404, "GitHub sign-in is not set up on this site.")
    if not ConfirmForm().validate():
        abort(400, "The form expired. Reload the page and try again.")
    session[GITHUB_CONNECT_KEY] = current_user.id
    session.pop(GITHUB_NEXT_KEY, None)
    return _to_github(client)


@blueprint.post("/accounts/github/disconnect/")
@permissions.login_required
def github_disconnect():
    if not ConfirmForm().validate():
        abort(400, "The form expired. Reload the page and try again.")
    try:
        services.disconnect_github(current_user)
    except services.AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.settings"))
    flash("GitHub is unlinked: sign in with your username and password.", "success")
    return redirect(url_for("accounts.settings"))


# -- account settings: email address and password ---------------------------------------------------------------


def _settings_page(status: int = 200, *, email_form=None, password_form=None):
    return render_template("accounts/settings.html", email_form=email_form or ChangeEmailForm(formdata=None),
                           password_form=password_form or ChangePasswordForm(formdata=None),
                           confirm_form=ConfirmForm(), person=current_user), status


@blueprint.get("/accounts/settings/")
@permissions.login_required
def settings():
    return _settings_page()


@blueprint.get("/accounts/profile/")
@permissions.login_required
def my_profile_edit():
    return redirect(url_for("profiles.edit_profile", username=current_user.username))


@blueprint.post("/accounts/settings/email/")
@permissions.login_required
def change_email():
    form = ChangeEmailForm()
    if not form.validate():
        return _settings_page(422, email_form=form)
    try:
        changed = recovery.change_email(current_user, form.current_password.data, form.email.data)
    except services.AccountError as error:
        show_field_error(form, error)
        return _settings_page(422, email_form=form)
    if changed and current_user.email_verified_at is None:
        flash(f"Your address is now {current_user.email}. We mailed a link there: open it to confirm the address.",
              "success")
    else:
        flash(f"Your address is {current_user.email}.", "success")
    return redirect(url_for("accounts.settings"))


@blueprint.post("/accounts/settings/password/")
@permissions.login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate():
        return _settings_page(422, password_form=form)
    user = current_user._get_current_object()
    try:
        recovery.change_password(user, form.current_password.data, form.password.data)
    except services.AccountError as error:
        show_field_error(form, error)
        return _settings_page(422, password_form=form)
    services.sign_in(user)  # every session ended with the old password; this one goes on
    flash("Your password is changed. Other devices signed in to your account are signed out.", "success")
    return redirect(url_for("accounts.settings"))


@blueprint.post("/accounts/settings/email/verify/")
@permissions.login_required
@throttle_account_mail
def send_verification():
    if not ConfirmForm().validate():
        abort(400, "The form expired. Reload the page and try again.")
    if recovery.send_email_verification(current_user):
        flash(f"We mailed a new link to {current_user.email}.", "success")
    else:
        flash("Your address needs no confirming.", "info")
    return redirect(url_for("accounts.settings"))


# -- recovery by mail -------------------------------------------------------------------------------------------

TOKEN_MESSAGES = {
    recovery.TokenProblem.EXPIRED: "This link has expired.",
    recovery.TokenProblem.USED: "This link was already used, or something changed since it was sent.",
    recovery.TokenProblem.INVALID: "This link is not valid. Check that you copied all of it.",
}


@blueprint.route("/accounts/password/reset/", methods=["GET", "POST"])
@throttle_password_reset
def password_reset_request():
    form = PasswordResetRequestForm()
    if request.method != "POST":
        if current_user.is_authenticated and current_user.email:
            form.email.data = current_user.email
        return _form_page("accounts/password_reset_request.html", form)
    if not form.validate():
        return _form_page("accounts/password_reset_request.html", form, 422)
    recovery.request_password_reset(form.email.data)
    # The same answer whether or not an account uses the address: this page tells nobody who has an account.
    return render_template("accounts/password_reset_sent.html", email=form.email.data,
                           max_age=recovery.duration_words(current_app.config["PASSWORD_RESET_MAX_AGE"]))


@blueprint.route("/accounts/password/reset/<token>/", methods=["GET", "POST"])
def password_reset(token: str):
    try:
        user = recovery.user_for_reset_token(token)
    except recovery.TokenError as error:
        return render_template("accounts/password_reset.html", form=None, problem=TOKEN_MESSAGES[error.problem],
                               token=token), 400
    form = PasswordResetForm()
    if request.method != "POST":
        return _form_page("accounts/password_reset.html", form, user=user, token=token)
    if not form.validate():
        return _form_page("accounts/password_reset.html", form, 422, user=user, token=token)
    try:
        recovery.reset_password(token, form.password.data)
    except services.AccountError as error:
        show_field_error(form, error)
        return _form_page("accounts/password_reset.html", form, 422, user=user, token=token)
    if current_user.is_authenticated:
        services.sign_out()
    flash(f"Your password is changed, {user.username}. Sign in with it.", "success")
    return redirect(url_for("accounts.login"))


@blueprint.route("/accounts/email/verify/<token>/", methods=["GET", "POST"])
def verify_email(token: str):
    try:
        user = recovery.user_for_verification_token(token)
    except recovery.TokenError as error:
        return render_template("accounts/verify_email.html", form=None, problem=TOKEN_MESSAGES[error.problem]), 400
    form = ConfirmForm()
    if request.method != "POST":  # opening the link changes nothing: the button below does
        return _form_page("accounts/verify_email.html", form, user=user, token=token)
    if not form.validate():
        return _form_page("accounts/verify_email.html", form, 422, user=user, token=token)
    recovery.verify_email(token)
    flash(f"Thank you: {user.email} is confirmed.", "success")
    return redirect(url_for("accounts.settings") if current_user.is_authenticated else url_for("site.home"))
