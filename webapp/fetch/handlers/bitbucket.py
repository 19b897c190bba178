"""Bitbucket Cloud (``/2.0``).

- ``GET /repositories/{workspace}/{slug}/``: description, web address (Bitbucket has no archived state).
- ``GET .../watchers/`` and ``GET .../forks/``: their ``size`` is the star (watcher) and fork count.
- ``GET .../commits/``, following ``next`` while the page reaches into the last 52 weeks: the weekly
  counts, the last commit, and the participants. Bitbucket has no contributors endpoint, so the
  participants are the authors of the commits read (the last year, and at least the newest page).
"""

from __future__ import annotations

import re
from datetime import datetime

from webapp.fetch.handlers.base import (
    RepoData,
    RepoHandler,
    api_path,
    as_int,
    parse_time,
    unique,
    weekly_counts,
    window_start,
)
from webapp.fetch.http import ConditionalCache, FetchError, NotFound
from webapp.repos import RepoRef

MAX_PAGES = 40
_RAW_AUTHOR = re.compile(r"^\s*(?P<name>[^<]*?)\s*(<[^>]*>)?\s*$")


def client_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def author_name(commit: dict) -> str:
    """The Bitbucket nickname of a commit's author, else the name in its raw ``Name <email>``."""
    author = commit.get("author") or {}
    user = author.get("user") or {}
    if user.get("nickname"):
        return user["nickname"]
    match = _RAW_AUTHOR.match(author.get("raw") or "")
    return match.group("name") if match else ""


class BitbucketHandler(RepoHandler):
    kind = "bitbucket"
    label = "Bitbucket"

    def fetch(self, ref: RepoRef, cache: ConditionalCache, now: datetime) -> RepoData:
        base = "/repositories" + api_path(ref.owner, ref.name)
        reply = self.client.get(f"{base}/", cache=cache, shape=dict, require=("full_name",))
        data = RepoData()
        if not reply.not_modified:
            data.description = reply.data.get("description") or ""
            data.html_url = ((reply.data.get("links") or {}).get("html") or {}).get("href")
        data.stars = self._size(f"{base}/watchers/", cache)
        data.forks = self._size(f"{base}/forks/", cache)
        commits = self._recent_commits(f"{base}/commits/", window_start(now))
        dates = []
        for commit in commits:
            moment = parse_time(commit.get("date"))
            if moment is None:
                raise FetchError("a commit without a date")
            dates.append(moment)
        data.last_commit_date = dates[0] if dates else None
        data.commits_over_52 = weekly_counts(dates, now)
        data.participants = unique([author_name(commit) for commit in commits])
        return data

    def _size(self, url: str, cache: ConditionalCache):
        reply = self.client.get(url, cache=cache, shape=dict, require=("size",),
                                store=lambda body: str(body["size"]))
        return reply.data if reply.not_modified else as_int(reply.data["size"], "size")

    def _recent_commits(self, url: str | None, since: datetime) -> list[dict]:
        commits: list[dict] = []
        for _ in range(MAX_PAGES):
            try:
                reply = self.client.get(url, shape=dict, require=("values",))
            except NotFound:  # an empty repository
                break
            page = [commit for commit in reply.data["values"] if isinstance(commit, dict)]
            commits.extend(page)
            url = reply.data.get("next")
            oldest = parse_time(page[-1].get("date")) if page else None
            if not url or oldest is None or oldest < since:
                break
        return commits
