"""Codeberg, or any Forgejo/Gitea (``/api/v1``).

- ``GET /repos/{owner}/{name}``: description, stars, forks, archived (and ``archived_at`` where the
  server has it), web address.
- ``GET /repos/{owner}/{name}/commits?limit=50&stat=false&verification=false&files=false``, page by
  page while it reaches into the last 52 weeks: the weekly counts, the last commit and the
  participants (Forgejo has no contributors endpoint: the authors of the commits read).
"""

from __future__ import annotations

from datetime import datetime

from webapp.fetch.handlers.base import (
    UNCHANGED,
    RepoData,
    RepoHandler,
    api_path,
    as_int,
    parse_time,
    unique,
    weekly_counts,
    window_start,
)
from webapp.fetch.http import ConditionalCache, FetchError
from webapp.repos import RepoRef

MAX_PAGES = 40
PAGE_SIZE = 50


def client_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"} if token else {}


def author_name(commit: dict) -> str:
    """The account name of a commit's author, else the name in the commit."""
    account = commit.get("author") or {}
    if account.get("login"):
        return account["login"]
    return ((commit.get("commit") or {}).get("author") or {}).get("name") or ""


def commit_date(commit: dict) -> datetime:
    details = commit.get("commit") or {}
    moment = parse_time((details.get("committer") or {}).get("date") or (details.get("author") or {}).get("date"))
    if moment is None:
        raise FetchError("a commit without a date")
    return moment


class CodebergHandler(RepoHandler):
    kind = "codeberg"
    label = "Codeberg"

    def fetch(self, ref: RepoRef, cache: ConditionalCache, now: datetime) -> RepoData:
        base = "/repos" + api_path(ref.owner, ref.name)
        reply = self.client.get(base, cache=cache, shape=dict, require=("full_name",))
        data = RepoData()
        if not reply.not_modified:
            body = reply.data
            data.description = body.get("description") or ""
            data.stars = as_int(body.get("stars_count", 0), "stars_count")
            data.forks = as_int(body.get("forks_count", 0), "forks_count")
            data.archived = bool(body.get("archived"))
            archived_at = parse_time(body.get("archived_at"))
            # Forgejo reports "never archived" as the Unix epoch.
            data.archived_at = archived_at if archived_at and archived_at.year > 1970 else UNCHANGED
            data.html_url = body.get("html_url")
        commits = self._recent_commits(base, window_start(now))
        dates = [commit_date(commit) for commit in commits]
        data.last_commit_date = dates[0] if dates else None
        data.commits_over_52 = weekly_counts(dates, now)
        data.participants = unique([author_name(commit) for commit in commits])
        return data

    def _recent_commits(self, base: str, since: datetime) -> list[dict]:
        commits: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            url = f"{base}/commits?limit={PAGE_SIZE}&page={page}&stat=false&verification=false&files=false"
            reply = self.client.get(url, expect=(200, 409), shape=list)
            if reply.status == 409:  # an empty repository
                break
            items = [item for item in reply.data if isinstance(item, dict)]
            commits.extend(items)
            has_more = reply.headers.get("X-HasMore", "").lower() == "true" or bool(reply.link("next"))
            if not items or not has_more or commit_date(items[-1]) < since:
                break
        return commits
