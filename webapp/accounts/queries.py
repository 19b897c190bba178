"""Reads for accounts: looking people up (their profile pages are :mod:`webapp.profiles`)."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from webapp.accounts.models import User
from webapp.extensions import db
from webapp.sql_like import starts_with


def user_by_username(username: str) -> User | None:
    """The account called ``username``, whatever the case."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def username_taken(username: str) -> bool:
    """True when an account already uses ``username`` in any case."""
    return bool(db.session.scalar(select(exists().where(func.lower(User.username) == username.lower()))))


def usernames_like(base: str) -> set[str]:
    """Lower-cased usernames equal to ``base`` or of the form ``base-<anything>``, in one query."""
    lowered = base.lower()
    rows = db.session.scalars(select(func.lower(User.username)).where(or_(
        func.lower(User.username) == lowered,
        starts_with(func.lower(User.username), lowered + "-"),
    )))
    return set(rows)


def active_users_with_email(email: str) -> list[User]:
    """The active accounts using ``email``, whatever its case (one query, on an index of lower(email))."""
    return list(db.session.scalars(
        select(User).where(func.lower(User.email) == email.lower(), User.is_active.is_(True)).order_by(User.id)))


def usernames_by_host_handle(kind: str, handles: list[str]) -> dict[str, str]:
    """Which local account has linked each of ``handles`` on repository host ``kind``, as lower-cased handle ->
    username, in one query: the GitHub login from GitHub sign-in, or the handle typed on the profile."""
    columns = {"github": [User.github_login, User.github_handle], "gitlab": [User.gitlab_handle],
               "bitbucket": [User.bitbucket_handle], "codeberg": [User.codeberg_handle]}.get(kind)
    wanted = sorted({handle.lower() for handle in handles if isinstance(handle, str) and handle})
    if not columns or not wanted:
        return {}
    rows = db.session.execute(
        select(User.username, *columns).where(User.is_active.is_(True), or_(
            *(func.lower(column).in_(wanted) for column in columns))).order_by(User.id)
    ).all()
    found: dict[str, str] = {}
    for position in range(len(columns)):  # a login proven by GitHub sign-in wins over a handle someone typed
        for row in rows:
            handle = row[position + 1]
            if handle:
                found.setdefault(handle.lower(), row.username)
    return {handle: username for handle, username in found.items() if handle in set(wanted)}
