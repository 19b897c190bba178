"""People: accounts, for signing in, attribution and permissions."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Index, Integer, String, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db_types import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.rendering import rendered_from


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    github_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    github_login: Mapped[str | None] = mapped_column(String(150))
    avatar_url: Mapped[str] = mapped_column(String(500), default="")
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether the profile page shows the person's favorite packages to everyone (private by default).
    favorites_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set by staff: a blocked person still reads and signs in, but every write is refused (webapp.accounts.permissions).
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of what the session and remember-me cookies hold (get_id): a new token signs every session out.
    # Empty (a row written by SQL) matches no cookie; get_id makes a token at the next sign-in.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: new_session_token(), server_default="")
    # Set when the person opened the link mailed to ``email``; a new address is unverified again.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The public profile (webapp/profiles): a markdown bio, its sanitised HTML made when written, and handles
    # (usernames, not URLs) on the repository hosts and links to elsewhere, checked by webapp/accounts/profile_links.py.
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    bio_html: Mapped[str] = mapped_column(Text, default="", server_default="", info=rendered_from("bio", "markdown"))
    github_handle: Mapped[str] = mapped_column(String(100), default="", server_default="")
    gitlab_handle: Mapped[str] = mapped_column(String(100), default="", server_default="")
    bitbucket_handle: Mapped[str] = mapped_column(String(100), default="", server_default="")
    codeberg_handle: Mapped[str] = mapped_column(String(100), default="", server_default="")
    mastodon_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    website_url: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def name(self) -> str:
        """What the site calls this person."""
        return self.display_name or self.username

    def get_id(self) -> str:
        """Flask-Login's "alternative id": ``<id>.<session token>``, so cookies die with the token."""
        if not self.session_token:
            self.session_token = new_session_token()
        return f"{self.id}.{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


def new_session_token() -> str:
    """A fresh random session token."""
    return secrets.token_urlsafe(32)


# Usernames are unique whatever their case ("Alice" and "alice" are one person), on SQLite and PostgreSQL.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
# Password resets find accounts by email, package pages find people by their handles on a repository host,
# whatever the case.
Index("ix_users_email_lower", func.lower(User.email))
Index("ix_users_github_login_lower", func.lower(User.github_login))
Index("ix_users_github_handle_lower", func.lower(User.github_handle))
Index("ix_users_gitlab_handle_lower", func.lower(User.gitlab_handle))
Index("ix_users_bitbucket_handle_lower", func.lower(User.bitbucket_handle))
Index("ix_users_codeberg_handle_lower", func.lower(User.codeberg_handle))
