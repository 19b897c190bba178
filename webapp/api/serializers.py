"""Turn catalogue objects into the dictionaries the API returns, field for field as djangopackages.org does.

API v4 follows Django REST framework's conventions: absolute hyperlinks built from the request (keeping a
``?format=`` query argument, as DRF's ``reverse`` does), ISO 8601 datetimes in the site's time zone with
microseconds only when there are some, and ``Z`` for a zero offset. API v3 follows the old django-jsonview
output: relative URIs, comma-joined strings and datetimes cut to milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from flask import request, url_for
from werkzeug.routing import BuildError

from webapp.links import safe_url
from webapp.security import site_root
from webapp.templating import localtime

# The query argument that picks a renderer; DRF carries it over into every link it builds.
FORMAT_PARAM = "format"


def drf_datetime(value: datetime | None) -> str | None:
    """A datetime as DRF's DateTimeField renders it: ISO 8601 in the site's time zone, ``Z`` for UTC."""
    local = localtime(value)
    if local is None:
        return None
    text = local.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def jsonview_datetime(value: datetime | None) -> str | None:
    """A datetime as Django's JSON encoder writes it (API v3): milliseconds at most, ``Z`` for UTC."""
    local = localtime(value)
    if local is None:
        return None
    text = local.isoformat()
    if local.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def replace_query_param(url: str, key: str, value) -> str:
    """``url`` with one query argument set, the arguments sorted, as DRF's helper of the same name."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    arguments = parse_qs(query, keep_blank_values=True)
    arguments[key] = [str(value)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(arguments.items()), doseq=True), fragment))


def remove_query_param(url: str, key: str) -> str:
    """``url`` without one query argument."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    arguments = parse_qs(query, keep_blank_values=True)
    arguments.pop(key, None)
    return urlunsplit((scheme, netloc, path, urlencode(sorted(arguments.items()), doseq=True), fragment))


class Links:
    """Absolute API v4 URLs for the current request, carrying its ``?format=`` like DRF's hyperlinks."""

    def __init__(self) -> None:
        self.root = site_root() + "api/v4/"
        self.format = request.args.get(FORMAT_PARAM)

    def _finish(self, url: str) -> str:
        return replace_query_param(url, FORMAT_PARAM, self.format) if self.format else url

    def endpoint(self, name: str) -> str:
        """The URL of a list endpoint, e.g. ``packages``."""
        return self._finish(f"{self.root}{name}/")

    def package(self, package_id: int) -> str:
        return self._finish(f"{self.root}packages/{package_id}/")

    def category(self, category_id: int) -> str:
        return self._finish(f"{self.root}categories/{category_id}/")

    def grid(self, grid_id: int) -> str:
        return self._finish(f"{self.root}grids/{grid_id}/")


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


def package_v4(package, grid_ids: Iterable[int], links: Links) -> dict:
    """A package, with exactly the keys (in the order) of djangopackages.org's API v4."""
    return {
        "category": links.category(package.category_id),
        "grids": [links.grid(grid_id) for grid_id in grid_ids],
        "id": package.id,
        "title": package.title,
        "slug": package.slug,
        "last_updated": drf_datetime(package.last_commit_date),
        "last_fetched": drf_datetime(package.last_fetched),
        "repo_url": safe_url(package.repo_url),
        "pypi_version": _blank_to_none(package.version_number),
        "created": drf_datetime(package.created),
        "modified": drf_datetime(package.modified),
        "repo_forks": package.repo_forks or 0,
        "repo_description": package.repo_description or "",
        "pypi_url": safe_url(package.pypi_url),
        "documentation_url": _blank_to_none(safe_url(package.documentation_url)),
        "repo_watchers": package.repo_watchers or 0,
        "commits_over_52": [int(count or 0) for count in (package.commits_over_52 or [])],
        "participants": [str(login) for login in (package.participants or [])],
    }


def category_v4(category) -> dict:
    """A category as API v4 returns it."""
    return {
        "id": category.id,
        "title": category.title,
        "slug": category.slug,
        "description": category.description or "",
        "title_plural": category.title_plural or "",
        "show_pypi": bool(category.show_pypi),
        "created": drf_datetime(category.created),
        "modified": drf_datetime(category.modified),
    }


def grid_v4(grid, package_ids: Iterable[int], links: Links) -> dict:
    """A grid as API v4 returns it, its packages as links."""
    return {
        "id": grid.id,
        "title": grid.title,
        "slug": grid.slug,
        "description": grid.description or "",
        "is_locked": bool(grid.is_locked),
        "packages": [links.package(package_id) for package_id in package_ids],
        "header": bool(grid.header),
        "created": drf_datetime(grid.created),
        "modified": drf_datetime(grid.modified),
    }


def _without_prefix(text: str) -> str:
    for prefix in ("django-", "django_", "django "):
        if text.lower().startswith(prefix):
            return text[len(prefix):]
    return text


def _clean_title(text: str) -> str:
    return "".join(ch for ch in _without_prefix(text).lower() if ch.isalnum())


def search_package_v4(package, last_released: datetime | None) -> dict:
    """A package search hit, with the keys of djangopackages.org's search items."""
    return {
        "description": package.repo_description or "",
        "title": package.title,
        "created": drf_datetime(package.created),
        "modified": drf_datetime(package.modified),
        "weight": int(round(package.score or 0)),
        "item_type": "package",
        "title_no_prefix": _without_prefix(package.title),
        "slug": package.slug,
        "slug_no_prefix": _without_prefix(package.slug),
        "clean_title": _clean_title(package.title),
        "category": package.category.title if package.category else "",
        "absolute_url": url_for("catalog.package_detail", slug=package.slug),
        "repo_watchers": package.repo_watchers or 0,
        "repo_forks": package.repo_forks or 0,
        "pypi_downloads": 0,
        "usage": package.usage_count or 0,
        "participants": ",".join(str(login) for login in (package.participants or [])),
        "last_committed": drf_datetime(package.last_commit_date),
        "last_released": drf_datetime(last_released),
    }


def search_grid_v4(grid) -> dict:
    """A grid search hit, in the same shape as a package hit."""
    return {
        "description": grid.description or "",
        "title": grid.title,
        "created": drf_datetime(grid.created),
        "modified": drf_datetime(grid.modified),
        "weight": grid.package_count or 0,
        "item_type": "grid",
        "title_no_prefix": _without_prefix(grid.title),
        "slug": grid.slug,
        "slug_no_prefix": _without_prefix(grid.slug),
        "clean_title": _clean_title(grid.title),
        "category": "",
        "absolute_url": url_for("grids.grid_detail", slug=grid.slug),
        "repo_watchers": 0,
        "repo_forks": 0,
        "pypi_downloads": 0,
        "usage": 0,
        "participants": "",
        "last_committed": None,
        "last_released": None,
    }


# API v3 ---------------------------------------------------------------------------------------------------


def v3_uri(kind: str, slug: str) -> str:
    """The relative resource URI of an API v3 object, e.g. ``/api/v3/packages/django/``."""
    return f"{request.script_root}/api/v3/{kind}/{slug}/"


def _page_url(endpoint: str, fallback: str, **values) -> str:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return fallback


def user_profile_url(username: str) -> str:
    """The public profile page of a user, wherever the accounts blueprint puts it."""
    return _page_url("profiles.profile", f"/profiles/{username}/", username=username)


def category_v3(category) -> dict:
    """A category as API v3 returns it."""
    return {
        "absolute_url": url_for("catalog.category_detail", slug=category.slug),
        "created": jsonview_datetime(category.created),
        "modified": jsonview_datetime(category.modified),
        "slug": category.slug,
        "title": category.title,
        "description": category.description or "",
        "resource_uri": v3_uri("categories", category.slug),
        "show_pypi": bool(category.show_pypi),
        "title_plural": category.title_plural or "",
    }


def grid_v3(grid, package_slugs: Iterable[str]) -> dict:
    """A grid as API v3 returns it, its packages as relative URIs."""
    return {
        "absolute_url": url_for("grids.grid_detail", slug=grid.slug),
        "created": jsonview_datetime(grid.created),
        "modified": jsonview_datetime(grid.modified),
        "slug": grid.slug,
        "title": grid.title,
        "description": grid.description or "",
        "is_locked": bool(grid.is_locked),
        "resource_uri": v3_uri("grids", grid.slug),
        "header": bool(grid.header),
        "packages": [v3_uri("packages", slug) for slug in package_slugs],
    }


def _login(user) -> str | None:
    if user is None:
        return None
    return user.github_login or user.username


def package_v3(package, grid_slugs: Iterable[str]) -> dict:
    """A package as API v3 returns it: comma-joined commits and participants, relative URIs."""
    commits = [int(count or 0) for count in (package.commits_over_52 or [])]
    creator = package.created_by
    return {
        "absolute_url": url_for("catalog.package_detail", slug=package.slug),
        "created": jsonview_datetime(package.created),
        "modified": jsonview_datetime(package.modified),
        "slug": package.slug,
        "title": package.title,
        "category": v3_uri("categories", package.category.slug),
        "commit_list": json.dumps(commits),
        "commits_over_52": ",".join(str(count) for count in commits),
        "created_by": v3_uri("users", creator.username) if creator is not None else None,
        "documentation_url": safe_url(package.documentation_url),
        "grids": [v3_uri("grids", slug) for slug in grid_slugs],
        "last_fetched": jsonview_datetime(package.last_fetched),
        "last_modified_by": _login(package.last_modified_by),
        "participants": ",".join(str(login) for login in (package.participants or [])),
        "pypi_url": safe_url(package.pypi_url),
        "pypi_version": package.version_number or "",
        "repo_description": package.repo_description or "",
        "repo_forks": package.repo_forks or 0,
        "repo_url": safe_url(package.repo_url),
        "repo_watchers": package.repo_watchers or 0,
        "resource_uri": v3_uri("packages", package.slug),
        "usage_count": package.usage_count or 0,
    }


def user_v3(user, package_slugs: Iterable[str] | None = None) -> dict:
    """A user as API v3 returns it (never the e-mail address); ``packages`` only when asked for."""
    data = {
        "absolute_url": user_profile_url(user.username),
        "resource_uri": v3_uri("users", user.username),
        "created": jsonview_datetime(user.created),
        "modified": jsonview_datetime(user.last_login or user.created),
        "github_account": user.github_login or "",
        "username": user.username,
        "date_joined": jsonview_datetime(user.created),
        "last_login": jsonview_datetime(user.last_login),
        "bitbucket_url": "",
        "google_code_url": "",
    }
    if package_slugs is not None:
        data["packages"] = [v3_uri("packages", slug) for slug in package_slugs]
    return data

