"""The people who worked on a package's repository, as its page lists them.

The fetch service stores each package's participants as names on the repository's host (GitHub and Codeberg
account logins; GitLab and Bitbucket give people's names or nicknames). A participant links to their profile
on the host when the name is an account there, and to their profile here when someone here has linked that
account: signed in with GitHub as them, or typed the handle on their profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.accounts.profile_links import PARTICIPANT_PROFILE_HOSTS, host_profile_url
from webapp.accounts.queries import usernames_by_host_handle
from webapp.catalog.models import Package
from webapp.repos import parse_repo_url


@dataclass(frozen=True)
class Participant:
    """One participant: the name the host gave, where their profile is there, and their username here."""

    name: str
    host_url: str
    username: str | None


def package_participants(package: Package) -> list[Participant]:
    """The package's participants with their links, in one query (none when it has no participants)."""
    names = [name for name in (package.participants or []) if isinstance(name, str) and name]
    if not names:
        return []
    ref = parse_repo_url(package.repo_url)
    kind = ref.kind if ref is not None else None  # None for a host the fetch service does not speak to
    local = usernames_by_host_handle(kind, names) if kind else {}
    # Demo statistics name made-up people: they are not linked to whoever has that name on the host.
    links_to_host = kind in PARTICIPANT_PROFILE_HOSTS and not package.stats_are_demo
    return [Participant(name=name,
                        host_url=host_profile_url(kind, name) if links_to_host else "",
                        username=local.get(name.lower()))
            for name in names]
