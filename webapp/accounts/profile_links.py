"""A person's links elsewhere: usernames on the repository hosts, a Mastodon account and a website.

People type a username (``octocat``, ``@octocat``) or paste their profile's address
(``https://github.com/octocat``); both are stored as the bare username, and pages build the address from it
(:func:`host_profile_url`). Mastodon accepts ``@name@instance.social`` or the profile's address and is stored as an
address. Every address goes through :func:`webapp.links.url_problem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from webapp.links import url_problem

HANDLE_MAX = 100


@dataclass(frozen=True)
class Host:
    """A repository host whose accounts a profile can name."""

    kind: str
    label: str
    domain: str
    pattern: re.Pattern


HOSTS = {
    "github": Host("github", "GitHub", "github.com", re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")),
    "gitlab": Host("gitlab", "GitLab", "gitlab.com", re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")),
    "bitbucket": Host("bitbucket", "Bitbucket", "bitbucket.org", re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,99}")),
    "codeberg": Host("codeberg", "Codeberg", "codeberg.org", re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}")),
}
# Hosts whose participant lists (webapp/fetch) hold account names, so a participant is a profile there.
PARTICIPANT_PROFILE_HOSTS = {"github", "codeberg"}

_MASTODON_ACCOUNT = re.compile(r"@?(?P<name>[A-Za-z0-9_]{1,30})@(?P<server>[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_MASTODON_PATH = re.compile(r"/@[A-Za-z0-9_]{1,30}/?")
# A scheme that is not followed by a port number ("example.org:8080" is a host, "javascript:x" is not).
_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d+(?:/|$))")


class LinkProblem(ValueError):
    """What is wrong with a link a person typed; the message is for them."""


def is_handle(kind: str, value: str) -> bool:
    """True when ``value`` can be a username on the host ``kind``."""
    return bool(value) and HOSTS[kind].pattern.fullmatch(value) is not None


def parse_host_handle(kind: str, value: str) -> str:
    """The username in what was typed for host ``kind`` ("" for nothing); raise :class:`LinkProblem`."""
    host = HOSTS[kind]
    value = (value or "").strip()
    if not value:
        return ""
    if "/" in value or value.lower().startswith(("http:", "https:")):
        address = value if "://" in value else f"https://{value}"
        problem = url_problem(address)
        if problem:
            raise LinkProblem(problem)
        parts = urlsplit(address)
        hostname = (parts.hostname or "").lower().removeprefix("www.")
        if hostname != host.domain:
            raise LinkProblem(f"That is not a {host.label} address: use https://{host.domain}/your-name or just the "
                              "name.")
        value = parts.path.strip("/")
        if parts.query or parts.fragment or "/" in value:
            raise LinkProblem(f"Use the address of your {host.label} profile, not of a page inside it.")
    value = value.removeprefix("@")
    if not is_handle(kind, value):
        raise LinkProblem(f"That is not a {host.label} username.")
    return value


def host_profile_url(kind: str, handle: str) -> str:
    """The profile page of ``handle`` on host ``kind``, or "" for a value that is not a username there."""
    if kind not in HOSTS or not is_handle(kind, handle or ""):
        return ""
    return f"https://{HOSTS[kind].domain}/{handle}"


def parse_mastodon(value: str) -> str:
    """The profile address for what was typed: ``@name@server`` or an https address ("" for nothing)."""
    value = (value or "").strip()
    if not value:
        return ""
    account = _MASTODON_ACCOUNT.fullmatch(value)
    if account:
        value = f"https://{account['server'].lower()}/@{account['name']}"
    elif "://" not in value:
        raise LinkProblem("Enter your account as @name@server.social, or its address.")
    problem = url_problem(value)
    if problem:
        raise LinkProblem(problem)
    parts = urlsplit(value)
    if parts.scheme != "https" or not _MASTODON_PATH.fullmatch(parts.path) or parts.query or parts.fragment:
        raise LinkProblem("Enter your account as @name@server.social, or its address (https://server.social/@name).")
    return value


def mastodon_label(url: str) -> str:
    """``@name@server`` for a stored Mastodon address."""
    parts = urlsplit(url or "")
    return f"{parts.path.strip('/')}@{parts.hostname}" if parts.hostname else ""


def parse_website(value: str) -> str:
    """A website address ("" for nothing); ``example.org`` becomes ``https://example.org``."""
    value = (value or "").strip()
    if not value:
        return ""
    if "://" not in value:
        if _OTHER_SCHEME.match(value):  # javascript:..., mailto:..., data:...
            raise LinkProblem("Only http:// and https:// addresses are allowed.")
        value = f"https://{value}"
    problem = url_problem(value)
    if problem:
        raise LinkProblem(problem)
    return value


@dataclass(frozen=True)
class ProfileLink:
    """A link on a profile page: the site's name, what to show and the address."""

    site: str
    label: str
    url: str


def links_of(user) -> list[ProfileLink]:
    """The links a profile shows: accounts on the repository hosts (the one GitHub sign-in proved first), then
    Mastodon and the website. Addresses are built from stored usernames, never taken as typed."""
    links = []
    github_logins = [user.github_login, user.github_handle]
    seen = set()
    for login in github_logins:
        if login and login.lower() not in seen and host_profile_url("github", login):
            seen.add(login.lower())
            links.append(ProfileLink("GitHub", login, host_profile_url("github", login)))
    for kind in ("gitlab", "codeberg", "bitbucket"):
        handle = getattr(user, f"{kind}_handle", "")
        if host_profile_url(kind, handle):
            links.append(ProfileLink(HOSTS[kind].label, handle, host_profile_url(kind, handle)))
    if user.mastodon_url and url_problem(user.mastodon_url) is None:
        links.append(ProfileLink("Mastodon", mastodon_label(user.mastodon_url), user.mastodon_url))
    if user.website_url and url_problem(user.website_url) is None:
        label = user.website_url.split("://", 1)[-1].rstrip("/")
        links.append(ProfileLink("Website", label, user.website_url))
    return links
