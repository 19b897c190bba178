"""The set of host clients and handlers one run uses (a CLI run, a worker job, a webhook call)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Callable, Mapping

from webapp.db_types import utcnow
from webapp.fetch.handlers import bitbucket, codeberg, github, gitlab
from webapp.fetch.handlers.base import RepoHandler
from webapp.fetch.handlers.pypi import PyPIHandler
from webapp.fetch.http import HostClient, RunStats

# kind: (label, base URL setting, token setting, headers for the token, handler class)
REPO_HOSTS = {
    "github": ("GitHub", "GITHUB_API_URL", "GITHUB_TOKEN", github.client_headers, github.GitHubHandler),
    "gitlab": ("GitLab", "GITLAB_API_URL", "GITLAB_TOKEN", gitlab.client_headers, gitlab.GitLabHandler),
    "bitbucket": ("Bitbucket", "BITBUCKET_API_URL", "BITBUCKET_TOKEN", bitbucket.client_headers,
                  bitbucket.BitbucketHandler),
    "codeberg": ("Codeberg", "CODEBERG_API_URL", "CODEBERG_TOKEN", codeberg.client_headers,
                 codeberg.CodebergHandler),
}


class Fetcher:
    """HTTP clients (one session per host) and handlers, configured from the app's settings.

    ``sleep``, ``clock`` and ``now`` are injectable so tests can observe pauses without waiting.
    ``hard_until`` (a ``time.monotonic()`` value) is when every fetch made with it must be over, quota
    pauses included: set for fetches inside a web request.
    """

    def __init__(self, config: Mapping, *, workers: int = 1, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, now: Callable[[], datetime] | None = None,
                 max_quota_wait: float | None = None, hard_until: float | None = None):
        self.now = now or utcnow
        self.package_deadline = config["FETCH_PACKAGE_DEADLINE"]
        self.hard_until = hard_until
        site = config["SITE_URL"] or "https://github.com/package-grids"
        common = {
            "timeout": config["FETCH_TIMEOUT"],
            "retries": config["FETCH_RETRIES"],
            "backoff": config["FETCH_BACKOFF"],
            "max_wait": max_quota_wait if max_quota_wait is not None else config["FETCH_MAX_QUOTA_WAIT"],
            "pool_size": workers,
            "deadline": config["FETCH_DEADLINE"],
            "max_bytes": config["FETCH_MAX_BYTES"],
            "sleep": sleep,
            "clock": clock,
        }
        user_agent = {"User-Agent": f"PackageGrids-fetch/1.0 (+{site})"}
        self.clients: dict[str, HostClient] = {}
        self.repo_handlers: dict[str, RepoHandler] = {}
        for kind, (label, url_key, token_key, headers, handler_class) in REPO_HOSTS.items():
            client = HostClient(label, config[url_key], headers={
                **user_agent, **headers(config[token_key])}, **common)
            self.clients[kind] = client
            self.repo_handlers[kind] = handler_class(client)
        self.clients["pypi"] = HostClient("PyPI", config["PYPI_URL"], headers={
            **user_agent, "Accept": "application/json"}, **common)
        self.pypi = PyPIHandler(self.clients["pypi"])

    def stats(self) -> RunStats:
        """Requests spent so far, and the quota each host last reported."""
        result = RunStats()
        for client in self.clients.values():
            result.hosts[client.name] = client.stats
            result.quota_remaining[client.name] = client.quota.remaining
            result.quota_reset[client.name] = client.quota.reset_at
        return result

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
