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
