"""Writes for accounts: creating people, checking passwords, signing in and GitHub sign-in."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from functools import cache

from flask import session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts import queries
from webapp.accounts.models import User, new_session_token
from webapp.db_types import utcnow
from webapp.domain_errors import FieldError
from webapp.extensions import db
from webapp.links import url_problem

USERNAME_MIN, USERNAME_MAX = 3, 150
PASSWORD_MIN, PASSWORD_MAX = 8, 1024
DISPLAY_NAME_MAX = 200
EMAIL_MAX = 254
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
EMAIL_PATTERN = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+")
GITHUB_ID_MAX = 2**31 - 1  # the users.github_id column is a 32-bit integer


@cache
def _dummy_hash() -> str:
    # Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
    return generate_password_hash("not-a-real-password")


class AccountError(FieldError):
    """A rule about accounts was broken; ``field`` says which form field it belongs to."""


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be used as a username (format only), or ``None``."""
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        return f"A username has {USERNAME_MIN} to {USERNAME_MAX} characters."
    if not USERNAME_PATTERN.fullmatch(username):
        return "Use only letters, digits, hyphens (-), underscores (_) and dots (.)."
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or ``None``."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    return None


def email_problem(email: str) -> str | None:
    """Why ``email`` does not look like an email address, or ``None``."""
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.fullmatch(email):
        return "Enter an email address like name@example.org."
    return None


def create_local_user(username: str, password: str, email: str = "", *, is_staff: bool = False) -> User:
    """Create an account that signs in with a password; raise :class:`AccountError` on bad input."""
    username = username.strip()
    email = email.strip()
    for field, problem in (("username", username_problem(username)), ("password", password_problem(password)),
                           ("email", email_problem(email) if email else None)):
        if problem:
            raise AccountError(field, problem)
    if queries.username_taken(username):
        raise AccountError("username", "That username is taken. Choose another.")
    user = User(username=username, email=email, password_hash=generate_password_hash(password), is_staff=is_staff)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Someone took the name between the check and the insert.
        db.session.rollback()
        raise AccountError("username", "That username is taken. Choose another.") from error
    return user


def authenticate(username: str, password: str) -> User | None:
    """The account with this username (any case) and password, or ``None``. Inactive accounts are returned
    too: the caller tells their owner the account is disabled."""
    username = (username or "").strip()
    user = queries.user_by_username(username) if not username_problem(username) else None
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def sign_in(user: User, *, remember: bool = False) -> bool:
    """Start a fresh session for ``user``: nothing from the anonymous session survives (no fixation)."""
    session.clear()
    if not login_user(user, remember=remember, fresh=True):
        return False
    user.last_login = utcnow()
    db.session.flush()
    return True


def sign_out() -> None:
    """End the session and forget the remember-me cookie; every other session of the account ends too, and a
    copy of either cookie no longer signs anyone in (the session token changes)."""
    if current_user.is_authenticated:
        end_all_sessions(current_user)
    session.clear()
    # After the clear: logout_user marks the remember-me cookie for deletion in the new session.
    logout_user()


def end_all_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: every session and remember-me cookie holds the old token."""
    user.session_token = new_session_token()
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password (raise :class:`AccountError` if unacceptable) and end their sessions: a
    person changes a password because someone else may know it."""
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)
    user.password_hash = generate_password_hash(password)
    end_all_sessions(user)


def user_for_session(session_id: str) -> User | None:
    """The active account a session or remember-me cookie belongs to (Flask-Login's user loader).

    The cookie holds ``<id>.<session token>`` (:meth:`User.get_id`); a stale token, an old plain id or a
    disabled account gives ``None``, which signs the browser out.
    """
    user_id, _, token = (session_id or "").partition(".")
    if not user_id.isdigit() or not token or len(user_id) > 12:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not user.session_token:
        return None
    return user if hmac.compare_digest(user.session_token.encode(), token.encode()) else None


# -- GitHub ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubIdentity:
    """What GitHub told us about the person signing in."""

    github_id: int
    login: str
    name: str
    email: str
    avatar_url: str


def identity_from_github(profile: dict, emails: list | None = None) -> GitHubIdentity:
    """Make sense of GitHub's ``/user`` (and ``/user/emails``) answers, which may lack a name or an email.

    Raises :class:`AccountError` when the profile has no usable id.
    """
    raw_id = profile.get("id") if isinstance(profile, dict) else None
    if isinstance(raw_id, bool) or not isinstance(raw_id, int) or not 0 < raw_id <= GITHUB_ID_MAX:
        raise AccountError("github", "GitHub did not say who you are.")
    login = profile.get("login") if isinstance(profile.get("login"), str) else ""
    name = profile.get("name") if isinstance(profile.get("name"), str) else ""
    avatar = profile.get("avatar_url") if isinstance(profile.get("avatar_url"), str) else ""
    if not avatar.startswith("https://") or url_problem(avatar) is not None:
        avatar = ""
    return GitHubIdentity(
        github_id=raw_id,
        login=login.strip()[:USERNAME_MAX],
        name=" ".join(name.split())[:DISPLAY_NAME_MAX],
        email=_github_email(profile.get("email"), emails),
        avatar_url=avatar,
    )


def _github_email(public_email, emails: list | None) -> str:
    """The public email, else the primary verified one, else nothing."""
    if isinstance(public_email, str) and not email_problem(public_email.strip()):
        return public_email.strip()
    for entry in emails or []:
        if not isinstance(entry, dict) or not (entry.get("primary") and entry.get("verified")):
            continue
        address = entry.get("email")
        if isinstance(address, str) and not email_problem(address.strip()):
            return address.strip()
    return ""


def unique_username(wanted: str) -> str:
    """A free username close to ``wanted``: the name itself, else ``name-2``, ``name-3``... (one query)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", wanted or "").strip("-.")[: USERNAME_MAX - 10]
    if len(base) < USERNAME_MIN:
        base = f"{base}-github" if base else "github-user"
    taken = queries.usernames_like(base)
    if base.lower() not in taken:
        return base
    number = 2
    while f"{base}-{number}".lower() in taken:
        number += 1
    return f"{base}-{number}"


def github_user(identity: GitHubIdentity) -> User:
    """The account linked to this GitHub identity, created on first sign-in and refreshed afterwards."""
    for _attempt in range(3):
        user = db.session.scalar(select(User).where(User.github_id == identity.github_id))
        if user is not None:
            user.github_login = identity.login or user.github_login
            if identity.avatar_url:
                user.avatar_url = identity.avatar_url
            user.display_name = user.display_name or identity.name
            user.email = user.email or identity.email
            db.session.flush()
            return user
        user = User(username=unique_username(identity.login), github_id=identity.github_id,
                    github_login=identity.login or None, display_name=identity.name, email=identity.email,
                    avatar_url=identity.avatar_url, password_hash=None)
        db.session.add(user)
        try:
            db.session.flush()
            return user
        except IntegrityError:
            # A concurrent sign-in took the username or linked this GitHub id first: look again.
            db.session.rollback()
    raise AccountError("github", "We could not create your account. Please try again.")


def connect_github(user: User, identity: GitHubIdentity) -> None:
    """Link a GitHub identity to ``user``'s account, so GitHub signs them in too; raise :class:`AccountError`
    when that GitHub account already signs in to another account, or ``user`` has another one linked."""
    owner = db.session.scalar(select(User).where(User.github_id == identity.github_id))
    if owner is not None and owner.id != user.id:
        name = f" {identity.login}" if identity.login else ""
        raise AccountError("github", f"The GitHub account{name} already signs in to another account here, so it "
                                     "cannot be linked to yours.")
    if user.github_id is not None and user.github_id != identity.github_id:
        name = f" {user.github_login}" if user.github_login else ""
        raise AccountError("github", f"Your account is linked to the GitHub account{name}. Unlink it first.")
    user.github_id = identity.github_id
    user.github_login = identity.login or None
    if identity.avatar_url and not user.avatar_url:
        user.avatar_url = identity.avatar_url
    try:
        db.session.flush()
    except IntegrityError as error:
        # Someone linked the same GitHub account at the same moment.
        db.session.rollback()
        raise AccountError("github", "That GitHub account already signs in to another account here.") from error


def disconnect_github(user: User) -> None:
    """Unlink ``user``'s GitHub account; refused (:class:`AccountError`) when GitHub is their only way in."""
    if user.github_id is None:
        return
    if not user.password_hash:
        raise AccountError("github", "GitHub is the only way you sign in here. Set a password first, so you can "
                                     "still sign in without GitHub.")
    user.github_id = None
    user.github_login = None
    db.session.flush()
