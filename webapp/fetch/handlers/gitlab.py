"""GitLab (``/api/v4``): projects in nested groups, addressed by their URL-encoded path.

- ``GET /projects/{group%2Fsubgroup%2Fname}``: description, stars, forks, archived, web address.
- ``GET /projects/{id}/repository/contributors?per_page=100``, every page: participants (GitLab
  gives names, not usernames).
- ``GET /projects/{id}/repository/commits?since=...&per_page=100``, every page: the weekly counts;
  the newest is the last commit. Only when the year had no commit,
  ``GET /projects/{id}/repository/commits?per_page=1`` gives the last commit.

GitLab updates a project's ``last_activity_at`` at most once an hour, so a 304 on the project does not
prove that nothing was pushed: every call is made (conditionally where it can be).
"""

from __future__ import annotations

import json
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

MAX_PAGES = 50


def client_headers(token: str) -> dict[str, str]:
    return {"PRIVATE-TOKEN": token} if token else {}


class GitLabHandler(RepoHandler):
    kind = "gitlab"
    label = "GitLab"

    def fetch(self, ref: RepoRef, cache: ConditionalCache, now: datetime) -> RepoData:
        reply = self.client.get("/projects" + api_path(ref.full_name), cache=cache, shape=dict,
                                require=("id",), store=lambda body: json.dumps({"id": body["id"]}))
        data = RepoData()
        project_id = as_int(reply.data["id"], "project id")  # it goes into the next API paths
        if not reply.not_modified:
            body = reply.data
            data.description = body.get("description") or ""
            data.stars = as_int(body.get("star_count", 0), "star_count")
            data.forks = as_int(body.get("forks_count", 0), "forks_count")
            data.archived = bool(body.get("archived"))
            data.html_url = body.get("web_url")
        data.participants = self._contributors(project_id, cache)
        commits = self._commits_since(project_id, window_start(now))
        if not commits:
            commits = self._list(f"/projects/{project_id}/repository/commits?per_page=1", max_pages=1)
        dates = [self._commit_date(commit) for commit in commits]
        data.last_commit_date = dates[0] if dates else None
        data.commits_over_52 = weekly_counts(dates, now)
        return data

    def _contributors(self, project_id: int, cache: ConditionalCache) -> list[str]:
        names: list[str] = []
        url: str | None = f"/projects/{project_id}/repository/contributors?per_page=100"
        for _ in range(MAX_PAGES):
            try:
                reply = self.client.get(url, cache=cache, shape=list,
                                        store=lambda page: json.dumps([item.get("name") for item in page]))
            except NotFound:  # an empty repository has no tree to count contributors in
                break
            names.extend(reply.data if reply.not_modified else [item.get("name") for item in reply.data])
            url = reply.link("next")
            if not url:
                break
        return unique(names)

    def _commits_since(self, project_id: int, since: datetime) -> list[dict]:
        stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._list(f"/projects/{project_id}/repository/commits?since={stamp}&per_page=100", MAX_PAGES)

    def _list(self, url: str | None, max_pages: int) -> list[dict]:
        items: list[dict] = []
        for _ in range(max_pages):
            try:
                reply = self.client.get(url, shape=list)
            except NotFound:  # an empty repository
                break
            items.extend(reply.data)
            url = reply.link("next")
            if not url:
                break
        return items

    @staticmethod
    def _commit_date(commit: dict) -> datetime:
        moment = parse_time(commit.get("committed_date") if isinstance(commit, dict) else None)
        if moment is None:
            raise FetchError("a commit without committed_date")
        return moment
