"""Accounts that recover: password resets by mailed link, email verification, changing a password or an address.

Links carry tokens signed with the site's secret key (itsdangerous) and stamped with the time they were made, so
they expire (``PASSWORD_RESET_MAX_AGE``, ``EMAIL_VERIFY_MAX_AGE``). A reset token also holds a fingerprint of the
account's password hash: setting a password (with the link or any other way) changes the hash, so a link works
once, and an older link stops working too. A verification token names the address it was sent to, so it stops
working when the address changes. Nothing is stored for either.

Mail leaves after the request commits (:func:`webapp.mail.send_after_commit`). Like every service here, these
functions flush and never commit.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from enum import StrEnum

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from webapp.accounts import queries
from webapp.accounts.models import User
from webapp.accounts.services import AccountError, email_problem, set_password
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.mail import send_after_commit
from webapp.security import site_origin

RESET_SALT = "accounts.password-reset"
VERIFY_SALT = "accounts.verify-email"
TOKEN_MAX = 300  # longer than any token the site makes; a longer "token" is not read at all


class TokenProblem(StrEnum):
    """Why a mailed link does not work."""

    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


class TokenError(ValueError):
    """A mailed link that cannot be used; ``problem`` says why."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "no password").encode()).hexdigest()[:24]


def _load(token: str, salt: str, max_age_setting: str) -> dict:
    if not token or len(token) > TOKEN_MAX:
        raise TokenError(TokenProblem.INVALID)
    max_age = current_app.config[max_age_setting].total_seconds()
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError(TokenProblem.EXPIRED) from None
    except BadSignature:
        raise TokenError(TokenProblem.INVALID) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise TokenError(TokenProblem.INVALID)
    return payload


def duration_words(delta: timedelta) -> str:
    """``1 hour``, ``30 minutes``, ``7 days``: how long a link works, for the mail."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _link(endpoint: str, **values) -> str:
    return site_origin() + url_for(endpoint, **values)


def _mail(user: User, to: str, template: str, subject: str, **context) -> None:
    site_name = current_app.config["SITE_NAME"]
    body = render_template(f"accounts/mail/{template}", user=user, site_name=site_name, **context)
    send_after_commit(to, f"{subject} · {site_name}", body)


# -- password reset -------------------------------------------------------------------------------------------


def password_reset_token(user: User) -> str:
    """A signed link token that sets a new password for ``user`` once."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The account a reset token is for; raise :class:`TokenError` when it expired, was used or is not ours."""
    payload = _load(token, RESET_SALT, "PASSWORD_RESET_MAX_AGE")
    user = db.session.get(User, payload["u"])
    if user is None or not user.is_active:
        raise TokenError(TokenProblem.INVALID)
    if payload.get("p") != _password_fingerprint(user):
        raise TokenError(TokenProblem.USED)
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link to every active account using ``email``; an unknown address sends nothing and says
    nothing (the caller answers the same either way)."""
    email = (email or "").strip()
    if email_problem(email):
        return
    for user in queries.active_users_with_email(email):
        link = _link("accounts.password_reset", token=password_reset_token(user))
        max_age = duration_words(current_app.config["PASSWORD_RESET_MAX_AGE"])
        _mail(user, user.email, "password_reset.txt", "Reset your password", link=link, max_age=max_age)


def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset token (raise :class:`TokenError` or :class:`AccountError`); every session
    of the account ends. The link came by mail, so the address is verified too."""
    user = user_for_reset_token(token)
    set_password(user, password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


# -- email verification ---------------------------------------------------------------------------------------


def email_verification_token(user: User) -> str:
    """A signed link token that confirms ``user`` receives mail at their current address."""
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": user.email.lower()})


def user_for_verification_token(token: str) -> User:
    """The account a verification token is for, while its address is still the one the link was sent to."""
    payload = _load(token, VERIFY_SALT, "EMAIL_VERIFY_MAX_AGE")
    user = db.session.get(User, payload["u"])
    if user is None or not user.is_active:
        raise TokenError(TokenProblem.INVALID)
    if not user.email or payload.get("e") != user.email.lower():
        raise TokenError(TokenProblem.USED)
    return user


def send_email_verification(user: User) -> bool:
    """Mail a verification link to ``user``'s address; False when there is no address to verify."""
    if not user.email or user.email_verified_at is not None:
        return False
    link = _link("accounts.verify_email", token=email_verification_token(user))
    max_age = duration_words(current_app.config["EMAIL_VERIFY_MAX_AGE"])
    _mail(user, user.email, "verify_email.txt", "Confirm your email address", link=link, max_age=max_age)
    return True


def verify_email(token: str) -> User:
    """Mark the address a verification token was sent to as verified (raise :class:`TokenError`)."""
    user = user_for_verification_token(token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
    return user


# -- changes made while signed in -----------------------------------------------------------------------------


def _check_current_password(user: User, current_password: str) -> None:
    if user.password_hash and not check_password_hash(user.password_hash, current_password or ""):
        raise AccountError("current_password", "That is not your current password.")


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one (an account without one just sets it); every session
    of the account ends (the caller signs this browser in again) and the address on file is told."""
    _check_current_password(user, current_password)
    had_password = bool(user.password_hash)
    set_password(user, new_password)
    if user.email:
        _mail(user, user.email, "password_changed.txt",
              "Your password was changed" if had_password else "Your account has a password",
              had_password=had_password)


def change_email(user: User, current_password: str, new_email: str) -> bool:
    """Give ``user`` a new address (after checking their password, when they have one), unverified until they
    open the link mailed to it; the old address is told. False when the address did not change."""
    _check_current_password(user, current_password)
    new_email = (new_email or "").strip()
    problem = email_problem(new_email)
    if problem:
        raise AccountError("email", problem)
    if new_email == user.email:
        return False
    old_email = user.email
    user.email = new_email
    if old_email.lower() == new_email.lower():  # only the case changed: still the same mailbox
        db.session.flush()
        return True
    user.email_verified_at = None
    db.session.flush()
    if old_email:
        _mail(user, old_email, "email_changed.txt", "Your email address was changed")
    send_email_verification(user)
    return True
