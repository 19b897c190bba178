"""Writes for profiles: a person changes what their own profile says."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.accounts import profile_links
from webapp.accounts.models import User
from webapp.accounts.services import DISPLAY_NAME_MAX, AccountError
from webapp.extensions import db

BIO_MAX = 2000


@dataclass(frozen=True)
class ProfileChanges:
    """What the profile form sends, as typed (links are parsed here)."""

    display_name: str = ""
    bio: str = ""
    github: str = ""
    gitlab: str = ""
    bitbucket: str = ""
    codeberg: str = ""
    mastodon: str = ""
    website: str = ""
    favorites_public: bool = False


def _parsed(field: str, parse, value: str) -> str:
    try:
        return parse(value)
    except profile_links.LinkProblem as problem:
        raise AccountError(field, str(problem)) from None


def update_profile(user: User, changes: ProfileChanges) -> None:
    """Store ``changes`` on ``user``'s profile (the bio's HTML is rendered on write); raise :class:`AccountError`
    for a field that cannot be stored."""
    display_name = " ".join((changes.display_name or "").split())
    if len(display_name) > DISPLAY_NAME_MAX:
        raise AccountError("display_name", f"At most {DISPLAY_NAME_MAX} characters.")
    bio = (changes.bio or "").strip()
    if len(bio) > BIO_MAX:
        raise AccountError("bio", f"At most {BIO_MAX} characters.")
    handles = {kind: _parsed(kind, lambda value, kind=kind: profile_links.parse_host_handle(kind, value),
                             getattr(changes, kind))
               for kind in profile_links.HOSTS}
    mastodon = _parsed("mastodon", profile_links.parse_mastodon, changes.mastodon)
    website = _parsed("website", profile_links.parse_website, changes.website)
    user.display_name = display_name
    user.bio = bio
    user.github_handle = handles["github"]
    user.gitlab_handle = handles["gitlab"]
    user.bitbucket_handle = handles["bitbucket"]
    user.codeberg_handle = handles["codeberg"]
    user.mastodon_url = mastodon
    user.website_url = website
    user.favorites_public = bool(changes.favorites_public)
    db.session.flush()
