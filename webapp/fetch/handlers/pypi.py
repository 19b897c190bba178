"""PyPI's JSON API: ``GET /pypi/{name}/json``, one conditional request per package.

Every release is stored with its number, first upload time, ``requires_python``, Python 3 support
and yanked state. PyPI's JSON only describes the licence and classifiers of the latest release
(``info``), so licence, development status and classifiers (and the Django, Python and Wagtail versions
they declare) are set on that release; older releases keep what was stored when they were the latest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from webapp.fetch.handlers.base import parse_time
from webapp.fetch.http import ConditionalCache, FetchError, HostClient, NotFound
from webapp.links import url_problem

DOCUMENTATION_KEYS = {"documentation", "docs", "doc", "documentations", "readthedocs"}
MAX_NUMBER = 100
MAX_CLASSIFIERS = 300  # PyPI's longest lists have about a hundred


@dataclass
class Release:
    number: str
    upload_time: datetime | None
    requires_python: str
    supports_python3: bool | None
    yanked: bool
    license: str | None = None  # None: PyPI did not say (not the latest release)
    development_status: str | None = None
    classifiers: list[str] | None = None  # None: PyPI did not say (not the latest release)


@dataclass
class Advisory:
    """A known vulnerability PyPI lists for the release it describes (from the OSV database)."""

    advisory_id: str
    aliases: list[str]
    summary: str
    fixed_in: list[str]
    link: str


@dataclass
class PypiData:
    version: str
    releases: list[Release]
    documentation_url: str | None
    # The known vulnerabilities of ``version`` (withdrawn advisories left out).
    vulnerabilities: list[Advisory] = field(default_factory=list)


MAX_ADVISORIES = 200


def _strings(value, limit: int, length: int) -> list[str]:
    return [str(item)[:length] for item in (value if isinstance(value, list) else [])[:limit]
            if isinstance(item, (str, int, float)) and str(item).strip()]


def vulnerabilities(body: dict) -> list[Advisory]:
    """The advisories of PyPI's ``vulnerabilities`` list that are not withdrawn; a link that is not a usable
    http(s) address is dropped (the advisory is kept, without link)."""
    found = []
    items = body.get("vulnerabilities")
    for item in (items if isinstance(items, list) else [])[:MAX_ADVISORIES]:
        if not isinstance(item, dict) or item.get("withdrawn") or not item.get("id"):
            continue
        link = item.get("link") if isinstance(item.get("link"), str) else ""
        found.append(Advisory(
            advisory_id=str(item["id"])[:100], aliases=_strings(item.get("aliases"), 20, 100),
            summary=str(item.get("summary") or item.get("details") or "")[:1000],
            fixed_in=_strings(item.get("fixed_in"), 50, 100),
            link=link.strip()[:500] if link and url_problem(link.strip()) is None else ""))
    return found


def python3_from_requires(spec: str | None) -> bool | None:
    """Whether a ``requires_python`` admits some Python 3 (``None`` when absent or unreadable)."""
    if not spec or not spec.strip():
        return None
    try:
        specifier = SpecifierSet(spec.strip().rstrip(","))
    except InvalidSpecifier:
        return None
    return any(specifier.contains(f"3.{minor}", prereleases=True) for minor in range(0, 30))


def python3_from_classifiers(classifiers: list[str]) -> bool | None:
    versions = [c.split(" :: ")[2] for c in classifiers
                if c.startswith("Programming Language :: Python :: ") and len(c.split(" :: ")) > 2]
    if not versions:
        return None
    return any(version == "3" or version.startswith("3.") for version in versions)


def development_status(classifiers: list[str]) -> str:
    for classifier in classifiers:
        if classifier.startswith("Development Status :: "):
            return classifier.split(" :: ", 1)[1][:50]
    return ""


def license_of(info: dict, classifiers: list[str]) -> str:
    """A short licence name: the SPDX expression, the licence field when short, else the classifiers."""
    expression = (info.get("license_expression") or "").strip()
    if expression:
        return expression[:200]
    text = (info.get("license") or "").strip()
    if text and "\n" not in text and len(text) <= 100:
        return text
    named = [c.rsplit(" :: ", 1)[-1] for c in classifiers if c.startswith("License :: ") and c.count(" :: ") >= 2]
    if named:
        return ", ".join(named)[:200]
    return text.splitlines()[0][:200] if text else ""


def documentation_url(info: dict) -> str | None:
    """The project's documentation link: the first acceptable http(s) one PyPI lists, else ``None``.

    A ``javascript:`` or otherwise unusable address is passed over, so the stored link stays as it was.
    """
    project_urls = info.get("project_urls")
    candidates = [url for key, url in (project_urls.items() if isinstance(project_urls, dict) else ())
                  if re.sub(r"[^a-z]", "", str(key).lower()) in DOCUMENTATION_KEYS]
    candidates.append(info.get("docs_url"))
    for url in candidates:
        if isinstance(url, str) and url_problem(url.strip()) is None:
            return url.strip()
    return None


class PyPIHandler:
    kind = "pypi"
    label = "PyPI"

    def __init__(self, client: HostClient):
        self.client = client

    def fetch(self, name: str, cache: ConditionalCache) -> PypiData | None:
        """The project's releases; ``None`` when unchanged since the stored fetch (304)."""
        try:
            reply = self.client.get(f"/pypi/{quote(name, safe='')}/json", cache=cache, shape=dict,
                                    require=("info", "releases"))
        except NotFound:
            raise FetchError(f"no project named “{name}”") from None
        if reply.not_modified:
            return None
        return parse_project(reply.data)


def parse_project(body: dict) -> PypiData:
    info = body.get("info")
    releases_body = body.get("releases")
    if not isinstance(info, dict) or not isinstance(releases_body, dict) or not info.get("version"):
        raise FetchError("malformed project JSON")
    classifiers = [c for c in info.get("classifiers") or [] if isinstance(c, str)]
    latest = str(info["version"])
    releases = []
    for number, files in releases_body.items():
        if len(number) > MAX_NUMBER:
            continue
        files = [item for item in files or [] if isinstance(item, dict)]
        times = [parse_time(item.get("upload_time_iso_8601") or item.get("upload_time")) for item in files]
        times = [moment for moment in times if moment]
        requires = next((item["requires_python"] for item in files if item.get("requires_python")), "")
        release = Release(
            number=number,
            upload_time=min(times) if times else None,
            requires_python=requires[:100],
            supports_python3=python3_from_requires(requires),
            yanked=bool(files) and all(item.get("yanked") for item in files),
        )
        if number == latest:
            release.requires_python = (info.get("requires_python") or requires or "")[:100]
            from_requires = python3_from_requires(release.requires_python)
            release.supports_python3 = from_requires if from_requires is not None else python3_from_classifiers(
                classifiers)
            release.license = license_of(info, classifiers)
            release.development_status = development_status(classifiers)
            release.classifiers = [classifier[:200] for classifier in classifiers[:MAX_CLASSIFIERS]]
        releases.append(release)
    return PypiData(version=latest[:100], releases=releases, documentation_url=documentation_url(info),
                    vulnerabilities=vulnerabilities(body))
