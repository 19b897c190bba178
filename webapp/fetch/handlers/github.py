"""GitHub: four REST calls for a repository that changed, and only free 304s for one that did not.

- ``GET /repos/{owner}/{name}``: description, stars, forks, archived, the canonical address (a
  renamed repository answers 301 and ``requests`` follows it).
- ``GET /repos/{owner}/{name}/contributors?per_page=100``, every page: participants.
- ``GET /repos/{owner}/{name}/commits?per_page=1``: the date of the last commit, and (the page number of its
  ``rel="last"`` link, one commit a page) how many commits there are.
- ``GET /repos/{owner}/{name}/stats/participation``: 52 weekly commit counts, oldest first
  (202 while GitHub computes them: the stored counts stay).

The repository document changes with every push (``pushed_at``) and every star, so when it answers
304 the contributors and the last commit cannot have changed either and are not asked for. The weekly
counts are always asked for (conditionally), since the 52-week window moves even without a push.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from webapp.fetch.handlers.base import UNCHANGED, WEEKS, RepoData, RepoHandler, api_path, as_int, parse_time
from webapp.fetch.http import ConditionalCache, FetchError
from webapp.repos import RepoRef

API_VERSION = "2022-11-28"


def client_headers(token: str) -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


class GitHubHandler(RepoHandler):
    kind = "github"
    label = "GitHub"

    def fetch(self, ref: RepoRef, cache: ConditionalCache, now: datetime) -> RepoData:
        reply = self.client.get("/repos" + api_path(ref.owner, ref.name), cache=cache, shape=dict,
                                require=("full_name", "stargazers_count", "forks_count"))
        data = RepoData()
        repo_path = "/repos" + api_path(ref.owner, ref.name)
        if not reply.not_modified:
            body = reply.data
            parts = str(body["full_name"]).split("/")
            if len(parts) != 2:
                raise FetchError(f"malformed full_name {body['full_name']!r}")
            repo_path = "/repos" + api_path(*parts)  # the canonical name, after a rename
            data.description = body.get("description") or ""
            data.stars = as_int(body["stargazers_count"], "stargazers_count")
            data.forks = as_int(body["forks_count"], "forks_count")
            data.archived = bool(body.get("archived"))
            data.html_url = body.get("html_url")
            data.participants = self._contributors(repo_path, cache)
            data.last_commit_date, data.commit_count = self._last_commit(repo_path, cache)
        data.commits_over_52 = self._participation(repo_path, cache)
        return data

    def _contributors(self, repo_path: str, cache: ConditionalCache) -> list[str]:
        logins: list[str] = []
        url: str | None = f"{repo_path}/contributors?per_page=100"
        pages = 0
        while url:
            reply = self.client.get(url, cache=cache, expect=(200, 204), shape=list,
                                    store=lambda page: json.dumps([item.get("login") for item in page]))
            if reply.status == 204:  # an empty repository
                break
            page = reply.data if reply.not_modified else [item.get("login") for item in reply.data]
            logins.extend(login for login in page if login)
            url = reply.link("next")
            pages += 1
            if pages >= 100:  # GitHub lists at most 500 contributors; never loop on a broken Link header
                break
        return logins

    def _last_commit(self, repo_path: str, cache: ConditionalCache):
        """(the date of the last commit, how many commits there are)."""
        reply = self.client.get(f"{repo_path}/commits?per_page=1", cache=cache, expect=(200, 409),
                                shape=list)
        if reply.not_modified:
            return UNCHANGED, UNCHANGED
        if reply.status == 409 or not reply.data:  # 409: the repository is empty
            return None, 0
        try:
            date = parse_time(reply.data[0]["commit"]["committer"]["date"])
        except (KeyError, TypeError):
            raise FetchError("malformed commit in /commits") from None
        return date, _last_page(reply.link("last"))

    def _participation(self, repo_path: str, cache: ConditionalCache):
        reply = self.client.get(f"{repo_path}/stats/participation", cache=cache, expect=(200, 202, 204),
                                shape=dict)
        if reply.status == 202 or reply.not_modified:
            return UNCHANGED
        if reply.status == 204:
            return [0] * WEEKS
        counts = reply.data.get("all")
        if not isinstance(counts, list) or len(counts) != WEEKS or not all(isinstance(n, int) for n in counts):
            raise FetchError("malformed weekly counts in /stats/participation")
        return list(counts)


def _last_page(url: str | None) -> int:
    """The ``page`` of a ``rel="last"`` link: with one commit a page, the number of commits (no link: one page)."""
    if not url:
        return 1
    pages = parse_qs(urlsplit(url).query).get("page", [""])
    try:
        return max(1, int(pages[-1]))
    except ValueError:
        return UNCHANGED
