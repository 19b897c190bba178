"""Repository URLs and PyPI names: one canonical form per repository, whatever people paste.

Neutral ground: the catalogue (adding and editing packages), search and the fetch service all read
addresses through this module, and it imports no domain.

Owner and name keep their case (hosts treat them case-insensitively, so compare with ``lower()``).
Their segments are plain names (letters, digits, ``.``, ``_``, ``-``; ``~`` and ``+`` on other hosts): ``.``,
``..``, percent-encoded characters and other punctuation are refused, since the fetch service builds API
paths from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_PYPI_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_PYPI_HOSTS = {"pypi.org", "www.pypi.org", "pypi.python.org"}
_PYPI_PATH = re.compile(r"^/(?:project|pypi|simple)/(?P<name>[^/]+)")

# Hosts whose API the fetch service speaks, by canonical host name.
KNOWN_HOSTS = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "bitbucket.org": "bitbucket",
    "codeberg.org": "codeberg",
}

# One owner, group or name segment; a repository host's API path is built from these.
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
_OTHER_HOST_SEGMENT = re.compile(r"^[A-Za-z0-9._~+-]+$")
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+\.[a-z]{2,}):(?P<path>[^/].*)$", re.IGNORECASE)
# Path segments after which a URL points inside a repository rather than at it.
_DEEP_MARKERS = {"tree", "blob", "-", "src", "issues", "pulls", "pull", "merge_requests", "wiki", "commits",
                 "commit", "releases", "tags", "branches", "actions", "raw", "activity", "network"}


@dataclass(frozen=True)
class RepoRef:
    """A parsed repository address."""

    host: str  # lowercase host name, without "www."
    owner: str  # the owner or, on GitLab, the full group path ("group/subgroup")
    name: str
    kind: str | None  # "github", "gitlab", "bitbucket", "codeberg" or None for an unknown host

    @property
    def url(self) -> str:
        return f"https://{self.host}/{self.owner}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_repo_url(raw: str | None) -> RepoRef | None:
    """Parse what a person pasted as a repository address; ``None`` when it is not one.

    Accepts https/http/git/ssh URLs, scp-like ``git@host:owner/name.git``, ``www.`` hosts, ``.git``
    suffixes, trailing slashes, ``/tree/...`` and similar deep links, and GitLab's nested groups.
    """
    if not raw:
        return None
    text = raw.strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    scp = _SCP_LIKE.match(text)
    if scp and "://" not in text:
        host, path = scp.group("host"), scp.group("path")
    else:
        if "://" not in text:
            text = "https://" + text
        try:
            parts = urlsplit(text)
        except ValueError:
            return None
        if parts.scheme.lower() not in {"http", "https", "git", "ssh", "git+ssh", "git+https"}:
            return None
        host, path = parts.hostname or "", parts.path
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    if "." not in host:
        return None
    segments = [segment for segment in path.split("/") if segment]
    if any(unquote(segment) in (".", "..") for segment in segments):
        return None
    for index, segment in enumerate(segments):
        if segment in _DEEP_MARKERS and index >= 2:
            segments = segments[:index]
            break
    if len(segments) < 2:
        return None
    kind = KNOWN_HOSTS.get(host)
    if kind != "gitlab":
        segments = segments[:2]
    name = segments[-1]
    if name.endswith(".git"):
        name = name[:-4]
    owner = "/".join(segments[:-1])
    if not name or not owner:
        return None
    allowed = _SEGMENT if kind else _OTHER_HOST_SEGMENT
    if not all(allowed.match(part) and part not in (".", "..") for part in [*segments[:-1], name]):
        return None
    return RepoRef(host=host, owner=owner, name=name, kind=kind)


def repo_url_problem(raw: str | None) -> str | None:
    """Why ``raw`` cannot be stored as a repository address, or ``None``.

    A URL on a host the fetch service speaks to must name a repository there; on any host, the path must
    not climb out of it (``..``, ``%2e%2e``) or hide characters (``%2F``, ``?`` or ``#`` in a name).
    """
    text = (raw or "").strip()
    if not text or parse_repo_url(text) is not None:
        return None
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "That is not a valid repository address."
    host = host[4:] if host.startswith("www.") else host
    if "%" in parts.path or any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        return "A repository address cannot contain “.” or “..” segments or percent-encoded characters."
    if host in KNOWN_HOSTS:
        return f"That is not a repository on {host}: give its address, like https://{host}/owner/name."
    return None


def normalise_repo_url(raw: str | None) -> str:
    """The canonical URL of a repository address, or the stripped input when it cannot be parsed."""
    ref = parse_repo_url(raw)
    return ref.url if ref else (raw or "").strip()


def pypi_name(pypi_url: str | None) -> str | None:
    """The project name in a PyPI address (``https://pypi.org/project/NAME/``) or a bare name."""
    text = (pypi_url or "").strip()
    if not text:
        return None
    if _PYPI_NAME.match(text):
        return text
    parts = urlsplit(text if "://" in text else "https://" + text)
    if (parts.hostname or "").lower() not in _PYPI_HOSTS:
        return None
    match = _PYPI_PATH.match(parts.path)
    name = match.group("name") if match else None
    return name if name and _PYPI_NAME.match(name) else None
