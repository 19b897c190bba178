"""Fake GitHub, GitLab, Bitbucket, Codeberg (Forgejo) and PyPI APIs on 127.0.0.1.

It replays the real exchanges recorded in ``tests/fixtures/recorded/`` (vcrpy cassettes of GitHub,
GitLab and Bitbucket; PyPI JSON bodies) and makes up, consistently with them, the few calls they
lack:

- GitHub ``/commits?per_page=1``: the newest recorded commit (or, where no commit was recorded, one at
  the repository's ``pushed_at``);
- GitHub ``/stats/participation``: weekly counts of the recorded non-merge commits over the 52 weeks
  that end at the recording's ``Date``;
- GitLab ``/repository/commits?since=``: the recorded commit pages filtered and paginated again.

Like the real services it answers ``If-None-Match`` with 304 (free of GitHub quota), keeps a GitHub
core quota (``X-RateLimit-*``, 403 when spent, reset every ``github_window`` seconds), and adds
``latency`` to every answer. Tests inject faults (:meth:`FakeRemoteHosts.inject`): any status (404,
500, 202, 429...), rate limits, slow answers (client timeouts), garbage bodies, hangs, and renamed
repositories (:meth:`FakeRemoteHosts.move`, a GitHub 301). Synthetic repositories and projects
(:class:`SyntheticRepo`, :func:`synthetic_project`) serve Codeberg tests and the benchmark.

Run standalone for the benchmark: ``python -m tests.fakes.remote_hosts --catalogue FILE --latency 0.05``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import yaml

from tests.fakes.server import FakeServer, dripping_body, huge_body, send_stream

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"
HOST_PREFIXES = {  # fake path prefix -> real API base URL in the recordings
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com/api/v4",
    "bitbucket": "https://api.bitbucket.org/2.0",
    "codeberg": "https://codeberg.org/api/v1",
    "pypi": "https://pypi.org",
}
KEPT_HEADERS = {"etag", "link", "content-type", "x-next-page", "x-page", "x-per-page", "x-total", "x-total-pages",
                "last-modified"}
WEEK = timedelta(weeks=1)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Canned:
    """One answer: status, headers and body; or a body produced while it is sent (``chunks``), for answers
    too big to hold or sent slowly on purpose."""

    status: int
    headers: dict[str, str]
    body: bytes
    chunks: Callable[[], Iterator[bytes]] | None = None


@dataclass
class Hit:
    """One request the fake answered."""

    host: str
    path: str  # path and query, without the host prefix
    status: int
    counted: bool  # spent GitHub core quota
    headers: dict[str, str]


@dataclass
class Fault:
    host: str
    pattern: re.Pattern
    kind: str
    times: int | None
    options: dict


@dataclass
class SyntheticRepo:
    """A made-up repository, served in the shape of its host's API."""

    host: str  # github, gitlab, bitbucket, codeberg
    owner: str
    name: str
    id: int
    description: str = ""
    stars: int = 0
    forks: int = 0
    archived: bool = False
    commits: list[tuple[datetime, str]] = field(default_factory=list)  # (date, author login), newest first
    contributors: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def html_url(self) -> str:
        hosts = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org",
                 "codeberg": "codeberg.org"}
        return f"https://{hosts[self.host]}/{self.full_name}"

    @property
    def pushed_at(self) -> datetime:
        return self.commits[0][0] if self.commits else datetime(2020, 1, 1, tzinfo=timezone.utc)


class FakeClock:
    """A clock whose ``sleep`` records the pause and moves time on, so pauses are observed, not waited."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def weekly(dates: list[datetime], end: datetime) -> list[int]:
    """Commits per week over the 52 weeks ending at ``end``, oldest first."""
    counts = [0] * 52
    start = end - 52 * WEEK
    for moment in dates:
        if start <= moment <= end:
            counts[min(int((moment - start) / WEEK), 51)] += 1
    return counts


def normalise_project(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def etag_of(body: bytes) -> str:
    return 'W/"' + hashlib.sha1(body).hexdigest() + '"'


def synthetic_project(name: str, version: str, month: str, summary: str = "", releases: int = 3) -> dict:
    """A PyPI JSON document for a made-up project whose latest release is ``version`` of ``month``."""
    try:
        year, mon = (int(part) for part in month.split("-"))
    except ValueError:
        year, mon = 2020, 1
    latest_time = datetime(year, mon, 15, 12, 0, tzinfo=timezone.utc)
    numbers = [f"0.{index}" for index in range(1, releases)] + [version]
    release_map = {}
    for index, number in enumerate(numbers):
        uploaded = latest_time - timedelta(days=60 * (len(numbers) - 1 - index))
        release_map[number] = [{
            "filename": f"{name}-{number}.tar.gz", "packagetype": "sdist", "requires_python": ">=3.8",
            "upload_time": uploaded.strftime("%Y-%m-%dT%H:%M:%S"),
            "upload_time_iso_8601": uploaded.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), "yanked": False,
        }]
    return {
        "info": {
            "name": name, "version": version, "summary": summary, "license": "MIT", "license_expression": None,
            "requires_python": ">=3.8", "docs_url": None,
            "project_urls": {"Documentation": f"https://{name}.readthedocs.io/",
                             "Source": f"https://github.com/example/{name}"},
            "classifiers": ["Development Status :: 5 - Production/Stable", "Framework :: Django",
                            "Programming Language :: Python :: 3"],
        },
        "last_serial": 1, "releases": release_map, "urls": release_map[version], "vulnerabilities": [],
    }


class FakeRemoteHosts(FakeServer):
    """The fake servers. ``start()`` it, point the app at :meth:`config`, ``stop()`` it."""

    def __init__(self, *, latency: float = 0.0, github_limit: int = 5000, github_window: float = 3600.0,
                 keep_log: bool = True) -> None:
        self.latency = latency
        self.keep_log = keep_log
        self.github_limit = github_limit
        self.github_window = github_window
        self.github_remaining = github_limit
        self.github_reset = time.time() + github_window
        self.hits: list[Hit] = []
        self.counts: dict[str, int] = {}
        self.not_modified: dict[str, int] = {}
        self.github_counted = 0
        self.faults: list[Fault] = []
        self.moved: dict[str, str] = {}  # GitHub "old/name" (lowercase) -> "new/name"
        self.synthetic: dict[tuple[str, str], SyntheticRepo] = {}
        self.synthetic_by_id: dict[tuple[str, int], SyntheticRepo] = {}
        self.projects: dict[str, Canned] = {}
        self.hang_started = threading.Event()
        self.release_hang = threading.Event()
        self.now = datetime.now(timezone.utc)  # "now" of synthetic statistics
        self._lock = threading.Lock()
        self._recorded: dict[tuple[str, str, str], Canned] = {}
        self._recorded_paths: dict[tuple[str, str], list[Canned]] = {}
        self._recorded_dates: dict[tuple[str, str], datetime] = {}
        self._load_recordings()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        self.release_hang.set()  # a request held open on purpose must not keep the server from stopping
        super().stop()

    def config(self) -> dict[str, str]:
        """Settings that point the fetch service at this fake."""
        base = self.base_url
        return {
            "GITHUB_API_URL": f"{base}/github", "GITLAB_API_URL": f"{base}/gitlab",
            "BITBUCKET_API_URL": f"{base}/bitbucket", "CODEBERG_API_URL": f"{base}/codeberg",
            "PYPI_URL": f"{base}/pypi",
        }

    # -- what tests change ----------------------------------------------------------------------------------------

    def inject(self, host: str, pattern: str, kind: str, *, times: int | None = 1, **options) -> None:
        """Answer the next ``times`` requests to ``host`` whose path matches ``pattern`` (a regex searched in
        path and query) with a fault: ``status`` (``code``, ``body``, ``headers``), ``rate_limit`` (GitHub
        403 with the quota spent, ``reset_in`` seconds), ``retry_after`` (429 with ``seconds``), ``slow``
        (answer after ``delay`` seconds), ``garbage`` (``body``), ``hang`` (until ``release_hang``), ``huge``
        (a 200 of ``size`` bytes, streamed; ``declare`` sends its Content-Length), ``drip`` (a 200 whose body
        comes one byte every ``interval`` seconds) or ``redirect`` (``code``, default 302, to ``location``)."""
        with self._lock:
            self.faults.append(Fault(host, re.compile(pattern), kind, times, options))

    def move(self, old_full_name: str, new_full_name: str) -> None:
        """A renamed GitHub repository: the old name answers 301 to ``/repositories/{id}``."""
        self.moved[old_full_name.lower()] = new_full_name

    def add_repo(self, repo: SyntheticRepo) -> SyntheticRepo:
        self.synthetic[(repo.host, repo.full_name.lower())] = repo
        self.synthetic_by_id[(repo.host, repo.id)] = repo
        return repo

    def add_project(self, document: dict | None, name: str, *, status: int = 200) -> None:
        body = json.dumps(document).encode() if document is not None else b'{"message": "Not Found"}'
        self.projects[normalise_project(name)] = Canned(status, {"Content-Type": "application/json"}, body)

    def requests_to(self, host: str, pattern: str = "") -> list[Hit]:
        regex = re.compile(pattern)
        return [hit for hit in self.hits if hit.host == host and regex.search(hit.path)]

    def reset_log(self) -> None:
        with self._lock:
            self.hits.clear()
            self.counts.clear()
            self.not_modified.clear()
            self.github_counted = 0

    def stats(self) -> dict:
        with self._lock:
            return {"requests": dict(self.counts), "not_modified": dict(self.not_modified),
                    "github_counted": self.github_counted, "github_remaining": self.github_remaining,
                    "github_limit": self.github_limit}

    # -- recordings ---------------------------------------------------------------------------------------------

    def _load_recordings(self) -> None:
        for cassette in sorted((RECORDED / "cassettes").glob("*.yaml")):
            for interaction in yaml.load(cassette.read_text(), Loader=_YAML_LOADER)["interactions"]:
                uri = interaction["request"]["uri"]
                host = next((name for name, base in HOST_PREFIXES.items() if uri.startswith(base)), None)
                if host is None or uri.endswith("/rate_limit"):
                    continue
                parts = urlsplit(uri[len(HOST_PREFIXES[host]):])
                response = interaction["response"]
                headers = {}
                for name, values in response["headers"].items():
                    if name.lower() in KEPT_HEADERS:
                        headers[name] = self._rewrite(values[0] if isinstance(values, list) else values)
                body = self._rewrite(response["body"].get("string") or "").encode()
                canned = Canned(response["status"]["code"], headers, body)
                query = _sorted_query(parts.query)
                self._recorded[(host, parts.path, query)] = canned
                same_path = self._recorded_paths.setdefault((host, parts.path), [])
                if not any(other.status == canned.status and other.body == canned.body for other in same_path):
                    same_path.append(canned)  # the same exchange recorded in two cassettes
                date = response["headers"].get("Date")
                if date:
                    self._recorded_dates[(host, parts.path)] = parsedate_to_datetime(date[0]).astimezone(timezone.utc)
        for path in sorted((RECORDED / "pypi").glob("pypi-*.json")):
            name = path.stem[len("pypi-"):]
            document = json.loads(path.read_text())
            # djangopackages recorded a missing project as an empty body: PyPI answers it with 404.
            status = 200 if document else 404
            self.projects[normalise_project(name)] = Canned(status, {"Content-Type": "application/json"},
                                                            path.read_bytes())

    def _rewrite(self, text: str) -> str:
        """Recorded API addresses (pagination links) point at this fake instead."""
        if self._server is None:
            return text
        for name, base in HOST_PREFIXES.items():
            text = text.replace(base, f"{self.base_url}/{name}")
        return text

    def recorded(self, host: str, path: str, query: str = "", *, any_query: bool = False) -> Canned | None:
        canned = self._recorded.get((host, path, _sorted_query(query)))
        if canned is None and any_query:
            candidates = self._recorded_paths.get((host, path), [])
            canned = candidates[0] if len(candidates) == 1 else None
        if canned is None:
            return None
        # Links recorded before the server had a port are rewritten on the way out.
        return Canned(canned.status, {k: self._rewrite(v) for k, v in canned.headers.items()},
                      self._rewrite(canned.body.decode()).encode())

    def recorded_json(self, host: str, path: str, query: str = "") -> object | None:
        canned = self.recorded(host, path, query, any_query=True)
        return json.loads(canned.body) if canned and canned.status == 200 else None

    # -- answering ----------------------------------------------------------------------------------------------

    def answer(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[Canned, bool]:
        """The answer to one request, and whether it spent GitHub quota."""
        if self.latency:
            time.sleep(self.latency)
        prefix, _, rest = raw_path.lstrip("/").partition("/")
        rest = "/" + rest
        if prefix == "_admin":
            return _json(200, self.stats()), False
        if prefix not in HOST_PREFIXES:
            return _json(404, {"message": "Not Found"}), False
        if method != "GET":
            return _json(405, {"message": "Method Not Allowed"}), False
        fault = self._take_fault(prefix, rest)
        is_github = prefix == "github"
        if is_github:
            limited = self._github_quota_check()
            if limited:
                return limited, False
        if fault is not None:
            answer = self._fault_answer(fault)
            if answer is not None:  # injected faults spend no quota
                return (self._github_headers(answer) if is_github else answer), False
        canned = getattr(self, f"_{prefix}")(rest)
        if canned.status == 200 and "ETag" not in canned.headers and "etag" not in canned.headers \
                and prefix != "codeberg":
            canned.headers["ETag"] = etag_of(canned.body)
        etag = canned.headers.get("ETag") or canned.headers.get("etag")
        if canned.status == 200 and etag and headers.get("if-none-match") == etag:
            canned = Canned(304, {"ETag": etag}, b"")
        counted = is_github and canned.status != 304
        if is_github:
            with self._lock:
                if counted:
                    self.github_remaining -= 1
                    self.github_counted += 1
            canned = self._github_headers(canned)
        return canned, counted

    def record_hit(self, host_path: str, canned: Canned, counted: bool) -> None:
        prefix, _, rest = host_path.lstrip("/").partition("/")
        with self._lock:
            self.counts[prefix] = self.counts.get(prefix, 0) + 1
            if canned.status == 304:
                self.not_modified[prefix] = self.not_modified.get(prefix, 0) + 1
            if self.keep_log:
                self.hits.append(Hit(prefix, "/" + rest, canned.status, counted, dict(canned.headers)))

    def _take_fault(self, host: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.host == host and fault.pattern.search(path) and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _fault_answer(self, fault: Fault) -> Canned | None:
        options = fault.options
        if fault.kind == "status":
            body = options.get("body", {"message": f"fault {options['code']}"})
            canned = _json(options["code"], body) if not isinstance(body, bytes) else Canned(options["code"], {}, body)
            canned.headers.update(options.get("headers", {}))
            return canned
        if fault.kind == "rate_limit":
            with self._lock:
                reset = int(time.time() + options.get("reset_in", 60))
            return Canned(403, {"Content-Type": "application/json", "X-RateLimit-Limit": str(self.github_limit),
                                "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
                          b'{"message": "API rate limit exceeded for 127.0.0.1.", '
                          b'"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}')
        if fault.kind == "retry_after":
            return Canned(429, {"Content-Type": "application/json", "Retry-After": str(options.get("seconds", 30))},
                          b'{"message": "Too Many Requests"}')
        if fault.kind == "garbage":
            return Canned(200, {"Content-Type": "text/html"}, options.get("body", b"<html><h1>Bad gateway</h1>"))
        if fault.kind == "slow":
            time.sleep(options.get("delay", 2.0))
            return None
        if fault.kind == "huge":
            size = options["size"]
            headers = {"Content-Type": "application/json"}
            if options.get("declare"):
                headers["Content-Length"] = str(size)
            return Canned(200, headers, b"", chunks=huge_body(size))
        if fault.kind == "drip":
            return Canned(200, {"Content-Type": "application/json"}, b"",
                          chunks=dripping_body(options.get("interval", 0.5), options.get("length", 1000)))
        if fault.kind == "redirect":
            return Canned(options.get("code", 302), {"Location": options["location"]}, b"")
        if fault.kind == "hang":
            self.hang_started.set()
            self.release_hang.wait(options.get("limit", 60))
            return None
        raise ValueError(f"unknown fault {fault.kind}")

    def _github_quota_check(self) -> Canned | None:
        with self._lock:
            now = time.time()
            if now >= self.github_reset:
                self.github_remaining = self.github_limit
                self.github_reset = now + self.github_window
            if self.github_remaining > 0:
                return None
        return self._github_headers(Canned(403, {"Content-Type": "application/json"},
                                           b'{"message": "API rate limit exceeded for 127.0.0.1."}'))

    def _github_headers(self, canned: Canned) -> Canned:
        if canned.status == 403 and "X-RateLimit-Remaining" in canned.headers:
            return canned
        with self._lock:
            canned.headers.update({
                "X-RateLimit-Limit": str(self.github_limit),
                "X-RateLimit-Remaining": str(max(self.github_remaining, 0)),
                "X-RateLimit-Reset": str(int(self.github_reset)),
                "X-RateLimit-Used": str(self.github_limit - max(self.github_remaining, 0)),
                "X-RateLimit-Resource": "core",
            })
        return canned

    # -- GitHub ---------------------------------------------------------------------------------------------------

    def _github(self, rest: str) -> Canned:
        parts = urlsplit(rest)
        path, query = parts.path, parts.query
        match = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if match:
            full_name = self._github_name_for_id(int(match.group(1)))
            if full_name is None:
                return _json(404, {"message": "Not Found"})
            path = f"/repos/{full_name}{match.group(2) or ''}"
        match = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
        if not match:
            return _json(404, {"message": "Not Found"})
        full_name, tail = f"{match.group(1)}/{match.group(2)}", match.group(3) or ""
        # GitHub's owner and repository names are case-insensitive.
        full_name = self._github_recorded_names().get(full_name.lower(), full_name)
        path = f"/repos/{full_name}{tail}"
        if full_name.lower() in self.moved:
            target = self.moved[full_name.lower()]
            repo_id = self._github_id_for_name(target)
            location = f"{self.base_url}/github/repositories/{repo_id}{tail}" + (f"?{query}" if query else "")
            return Canned(301, {"Location": location, "Content-Type": "application/json"},
                          json.dumps({"message": "Moved Permanently", "url": location}).encode())
        synthetic = self.synthetic.get(("github", full_name.lower()))
        if synthetic:
            return self._github_synthetic(synthetic, tail, query)
        canned = self.recorded("github", path, query)
        if canned:
            return canned
        params = dict(parse_qsl(query))
        if tail == "/commits" and params.get("per_page") == "1":
            return self._github_last_commit(full_name)
        if tail == "/stats/participation":
            return self._github_participation(full_name)
        return _json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

    def _github_recorded_names(self) -> dict[str, str]:
        return {path[len("/repos/"):].lower(): path[len("/repos/"):] for host, path in self._recorded_paths
                if host == "github" and path.count("/") == 3}

    def _github_name_for_id(self, repo_id: int) -> str | None:
        repo = self.synthetic_by_id.get(("github", repo_id))
        if repo:
            return repo.full_name
        for (host, path), candidates in self._recorded_paths.items():
            if host == "github" and re.match(r"^/repos/[^/]+/[^/]+$", path) and candidates[0].status == 200:
                body = json.loads(candidates[0].body)
                if body.get("id") == repo_id:
                    return body["full_name"]
        return None

    def _github_id_for_name(self, full_name: str) -> int:
        repo = self.synthetic.get(("github", full_name.lower()))
        if repo:
            return repo.id
        body = self.recorded_json("github", f"/repos/{full_name}")
        return body["id"]

    def _github_recorded_commits(self, full_name: str) -> list[dict]:
        return self.recorded_json("github", f"/repos/{full_name}/commits", "per_page=100") or []

    def _github_last_commit(self, full_name: str) -> Canned:
        repo = self.recorded_json("github", f"/repos/{full_name}")
        if repo is None:
            return _json(404, {"message": "Not Found"})
        commits = self._github_recorded_commits(full_name)
        if commits:
            newest = commits[0]
        else:  # none recorded: the one commit its pushed_at implies
            owner = repo["owner"]["login"]
            sha = hashlib.sha1(f"{full_name}@{repo['pushed_at']}".encode()).hexdigest()
            person = {"name": owner, "email": f"{owner}@users.noreply.github.com", "date": repo["pushed_at"]}
            newest = {"sha": sha, "commit": {"author": person, "committer": person, "message": "Last commit"},
                      "author": {"login": owner}, "committer": {"login": owner}, "parents": []}
        # One commit a page: the last page's number is how many commits there are (at least the recorded ones).
        total = max(2, len(commits))
        base = f'{self.base_url}/github/repositories/{repo["id"]}/commits?per_page=1'
        link = f'<{base}&page=2>; rel="next", <{base}&page={total}>; rel="last"'
        return _json(200, [newest], {"Link": link})

    def _github_participation(self, full_name: str) -> Canned:
        repo = self.recorded_json("github", f"/repos/{full_name}")
        if repo is None:
            return _json(404, {"message": "Not Found"})
        commits = self._github_recorded_commits(full_name)
        end = self._recorded_dates.get(("github", f"/repos/{full_name}/commits")) or \
            self._recorded_dates[("github", f"/repos/{full_name}")]
        # GitHub's statistics leave out merge commits.
        plain = [c for c in commits if len(c.get("parents") or []) <= 1]
        owner = repo["owner"]["login"].lower()
        everyone = weekly([parse_iso(c["commit"]["committer"]["date"]) for c in plain], end)
        by_owner = weekly([parse_iso(c["commit"]["committer"]["date"]) for c in plain
                           if ((c.get("author") or {}).get("login") or "").lower() == owner], end)
        return _json(200, {"all": everyone, "owner": by_owner})

    def _github_synthetic(self, repo: SyntheticRepo, tail: str, query: str) -> Canned:
        params = dict(parse_qsl(query))
        if tail == "":
            return _json(200, {
                "id": repo.id, "name": repo.name, "full_name": repo.full_name, "private": False,
                "owner": {"login": repo.owner, "type": "User"}, "html_url": repo.html_url,
                "description": repo.description, "fork": False,
                "url": f"{self.base_url}/github/repos/{repo.full_name}",
                "pushed_at": iso(repo.pushed_at), "stargazers_count": repo.stars, "watchers_count": repo.stars,
                "forks_count": repo.forks, "archived": repo.archived, "default_branch": "main",
            })
        if tail == "/contributors":
            per_page = int(params.get("per_page", 30))
            page = int(params.get("page", 1))
            chunk = repo.contributors[(page - 1) * per_page:page * per_page]
            extra = {}
            if page * per_page < len(repo.contributors):
                extra["Link"] = (f'<{self.base_url}/github/repositories/{repo.id}/contributors?'
                                 f'per_page={per_page}&page={page + 1}>; rel="next"')
            return _json(200, [{"login": login, "type": "User", "contributions": 1} for login in chunk], extra)
        if tail == "/commits" and params.get("per_page") == "1":
            if not repo.commits:
                return _json(409, {"message": "Git Repository is empty."})
            date, login = repo.commits[0]
            person = {"name": login, "email": f"{login}@example.org", "date": iso(date)}
            pages = {}
            if len(repo.commits) > 1:  # one commit a page: the last page's number is the number of commits
                base = f"{self.base_url}/github/repositories/{repo.id}/commits?per_page=1"
                pages["Link"] = f'<{base}&page=2>; rel="next", <{base}&page={len(repo.commits)}>; rel="last"'
            return _json(200, [{"sha": hashlib.sha1(f"{repo.full_name}{date}".encode()).hexdigest(),
                                "commit": {"author": person, "committer": person, "message": "Change"},
                                "author": {"login": login}, "parents": []}], pages)
        if tail == "/stats/participation":
            everyone = weekly([date for date, _ in repo.commits], self.now)
            mine = weekly([date for date, login in repo.commits if login == repo.owner], self.now)
            return _json(200, {"all": everyone, "owner": mine})
        return _json(404, {"message": "Not Found"})

    # -- GitLab ---------------------------------------------------------------------------------------------------

    def _gitlab(self, rest: str) -> Canned:
        parts = urlsplit(rest)
        path, params = parts.path, dict(parse_qsl(parts.query))
        match = re.match(r"^/projects/([^/]+)(/.*)?$", path)
        if not match:
            return _json(404, {"message": "404 Not Found"})
        ident, tail = match.group(1), match.group(2) or ""
        synthetic = self._gitlab_synthetic(ident)
        if synthetic:
            return self._gitlab_synthetic_answer(synthetic, tail, params)
        if tail == "/repository/commits":
            return self._gitlab_commits(ident, params)
        canned = self.recorded("gitlab", path, parts.query, any_query=True)
        return canned or _json(404, {"message": "404 Project Not Found"})

    def _gitlab_project(self, project_id: str) -> dict | None:
        for (host, path), candidates in self._recorded_paths.items():
            if host == "gitlab" and path.count("/") == 2 and candidates[0].status == 200:
                body = json.loads(candidates[0].body)
                if str(body.get("id")) == project_id:
                    return body
        return None

    def _gitlab_commits(self, project_id: str, params: dict) -> Canned:
        project = self._gitlab_project(project_id)
        if project is None:
            return _json(404, {"message": "404 Project Not Found"})
        commits: list[dict] = []
        page = 1
        while True:
            query = f"id={project_id}&order=default&page={page}&per_page=20&trailers=false"
            recorded = (self.recorded_json("gitlab", f"/projects/{project_id}/repository/commits", query)
                        if page > 1 else self.recorded_json("gitlab", f"/projects/{project_id}/repository/commits"))
            if not recorded:
                break
            commits.extend(recorded)
            page += 1
        if not commits:  # none recorded: the one commit its last activity implies
            commits = [{"id": hashlib.sha1(project["web_url"].encode()).hexdigest(), "title": "Last commit",
                        "author_name": project.get("owner", {}).get("name", "owner"),
                        "committed_date": project["last_activity_at"],
                        "authored_date": project["last_activity_at"], "created_at": project["last_activity_at"]}]
        return self._paginate_gitlab(f"/projects/{project_id}/repository/commits", commits, params)

    def _paginate_gitlab(self, path: str, commits: list[dict], params: dict) -> Canned:
        if params.get("since"):
            since = parse_iso(params["since"])
            commits = [c for c in commits if parse_iso(c["committed_date"]) >= since]
        per_page = int(params.get("per_page", 20))
        page = int(params.get("page", 1))
        chunk = commits[(page - 1) * per_page:page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page)}
        if page * per_page < len(commits):
            query = urlencode({**params, "page": page + 1})
            headers["Link"] = f'<{self.base_url}/gitlab{path}?{query}>; rel="next"'
            headers["X-Next-Page"] = str(page + 1)
        return _json(200, chunk, headers)

    def _gitlab_synthetic(self, ident: str) -> SyntheticRepo | None:
        if ident.isdigit():
            return self.synthetic_by_id.get(("gitlab", int(ident)))
        return self.synthetic.get(("gitlab", unquote(ident).lower()))

    def _gitlab_synthetic_answer(self, repo: SyntheticRepo, tail: str, params: dict) -> Canned:
        if tail == "":
            return _json(200, {"id": repo.id, "description": repo.description, "name": repo.name,
                               "path_with_namespace": repo.full_name, "web_url": repo.html_url,
                               "star_count": repo.stars, "forks_count": repo.forks, "archived": repo.archived,
                               "last_activity_at": iso(repo.pushed_at)})
        if tail == "/repository/contributors":
            return _json(200, [{"name": login, "email": f"{login}@example.org", "commits": 1}
                               for login in repo.contributors])
        if tail == "/repository/commits":
            commits = [{"id": hashlib.sha1(f"{repo.full_name}{date}".encode()).hexdigest(), "author_name": login,
                        "committed_date": iso(date)} for date, login in repo.commits]
            return self._paginate_gitlab(f"/projects/{repo.id}/repository/commits", commits, params)
        return _json(404, {"message": "404 Not Found"})

    # -- Bitbucket ------------------------------------------------------------------------------------------------

    def _bitbucket(self, rest: str) -> Canned:
        parts = urlsplit(rest)
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        params = dict(parse_qsl(parts.query))
        match = re.match(r"^/repositories/([^/]+)/([^/]+)/(.*)$", path)
        if not match:
            return _json(404, {"type": "error", "error": {"message": "Not found"}})
        synthetic = self.synthetic.get(("bitbucket", f"{match.group(1)}/{match.group(2)}".lower()))
        if synthetic:
            return self._bitbucket_synthetic(synthetic, match.group(3), params)
        if match.group(3) == "commits/" and params.get("page", "1") != "1":
            return _json(200, {"pagelen": 30, "values": []})
        canned = self.recorded("bitbucket", path, parts.query, any_query=True)
        return canned or _json(404, {"type": "error", "error": {"message": "Repository not found"}})

    def _bitbucket_synthetic(self, repo: SyntheticRepo, tail: str, params: dict) -> Canned:
        base = f"{self.base_url}/bitbucket/repositories/{repo.full_name}"
        if tail == "":
            return _json(200, {"type": "repository", "full_name": repo.full_name, "name": repo.name,
                               "description": repo.description, "links": {"html": {"href": repo.html_url}},
                               "updated_on": iso(repo.pushed_at)})
        if tail in ("watchers/", "forks/"):
            return _json(200, {"pagelen": 10, "size": repo.stars if tail == "watchers/" else repo.forks,
                               "page": 1, "values": []})
        if tail == "commits/":
            page = int(params.get("page", 1))
            chunk = repo.commits[(page - 1) * 30:page * 30]
            body = {"pagelen": 30, "values": [
                {"type": "commit", "hash": hashlib.sha1(f"{repo.full_name}{date}".encode()).hexdigest(),
                 "date": date.isoformat(), "author": {"raw": f"{login} <{login}@example.org>",
                                                      "user": {"nickname": login}}} for date, login in chunk]}
            if page * 30 < len(repo.commits):
                body["next"] = f"{base}/commits/?page={page + 1}"
            return _json(200, body)
        return _json(404, {"type": "error", "error": {"message": "Not found"}})

    # -- Codeberg (Forgejo) ---------------------------------------------------------------------------------------

    def _codeberg(self, rest: str) -> Canned:
        parts = urlsplit(rest)
        params = dict(parse_qsl(parts.query))
        match = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", parts.path)
        repo = self.synthetic.get(("codeberg", f"{match.group(1)}/{match.group(2)}".lower())) if match else None
        if repo is None:
            return _json(404, {"message": "The target couldn't be found.", "errors": []})
        tail = match.group(3) or ""
        if tail == "":
            return _json(200, {
                "id": repo.id, "owner": {"login": repo.owner}, "name": repo.name, "full_name": repo.full_name,
                "description": repo.description, "empty": not repo.commits, "html_url": repo.html_url,
                "stars_count": repo.stars, "forks_count": repo.forks, "watchers_count": 1,
                "archived": repo.archived, "archived_at": "2024-01-05T10:00:00Z" if repo.archived
                else "1970-01-01T00:00:00Z", "default_branch": "main", "updated_at": iso(repo.pushed_at),
            })
        if tail == "/commits":
            if not repo.commits:
                return _json(409, {"message": "Git Repository is empty.", "url": ""})
            limit, page = int(params.get("limit", 30)), int(params.get("page", 1))
            chunk = repo.commits[(page - 1) * limit:page * limit]
            more = page * limit < len(repo.commits)
            headers = {"X-Total-Count": str(len(repo.commits)), "X-HasMore": "true" if more else "false"}
            if more:
                query = urlencode({**params, "page": page + 1})
                headers["Link"] = f'<{self.base_url}/codeberg/repos/{repo.full_name}/commits?{query}>; rel="next"'
            items = []
            for date, login in chunk:
                person = {"name": login.title(), "email": f"{login}@example.org", "date": iso(date)}
                items.append({"sha": hashlib.sha1(f"{repo.full_name}{date}".encode()).hexdigest(),
                              "commit": {"author": person, "committer": person, "message": "Change"},
                              "author": {"login": login} if not login.startswith("anon") else None})
            return _json(200, items, headers)
        return _json(404, {"message": "The target couldn't be found.", "errors": []})

    # -- PyPI -----------------------------------------------------------------------------------------------------

    def _pypi(self, rest: str) -> Canned:
        match = re.match(r"^/pypi/([^/]+)/json/?$", urlsplit(rest).path)
        canned = self.projects.get(normalise_project(unquote(match.group(1)))) if match else None
        if canned is None:
            return _json(404, {"message": "Not Found"})
        return Canned(canned.status, dict(canned.headers), canned.body)


def _sorted_query(query: str) -> str:
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def _json(status: int, body, headers: dict | None = None) -> Canned:
    return Canned(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                  json.dumps(body).encode())


class _Handler(BaseHTTPRequestHandler):
    hosts: FakeRemoteHosts
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle and delayed ACKs add 40 ms to each answer.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._serve("POST")

    def _serve(self, method: str) -> None:
        canned, counted = self.hosts.answer(method, self.path, {k.lower(): v for k, v in self.headers.items()})
        if not self.path.startswith("/_admin"):
            self.hosts.record_hit(self.path, canned, counted)
        try:
            self.send_response(canned.status)
            for name, value in canned.headers.items():
                self.send_header(name, value)
            if canned.chunks is not None:
                send_stream(self, canned.chunks())
                return
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            self.wfile.write(canned.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


# -- the benchmark's catalogue ----------------------------------------------------------------------------------------

def load_catalogue(path: Path, hosts: FakeRemoteHosts) -> None:
    """Serve the synthetic repositories and projects listed in a benchmark catalogue file."""
    for spec in json.loads(path.read_text()):
        repo = spec["repo"]
        hosts.add_repo(SyntheticRepo(
            host=repo["host"], owner=repo["owner"], name=repo["name"], id=repo["id"],
            description=repo["description"], stars=repo["stars"], forks=repo["forks"],
            archived=repo["archived"], contributors=repo["contributors"],
            commits=[(parse_iso(date), login) for date, login in repo["commits"]],
        ))
        project = spec["project"]
        hosts.add_project(synthetic_project(project["name"], project["version"], project["month"],
                                            project.get("summary", ""), project.get("releases", 3)),
                          project["name"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--github-limit", type=int, default=5000)
    parser.add_argument("--github-window", type=float, default=3600.0, help="seconds of a quota window")
    parser.add_argument("--catalogue", type=Path, help="JSON list of synthetic repositories and projects")
    args = parser.parse_args(argv)
    hosts = FakeRemoteHosts(latency=args.latency, github_limit=args.github_limit,
                            github_window=args.github_window, keep_log=False).start(args.port)
    if args.catalogue:
        load_catalogue(args.catalogue, hosts)
    print(json.dumps({"base_url": hosts.base_url, **hosts.config()}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        hosts.stop()


# The handler is defined below the fake it serves.
FakeRemoteHosts.handler_class = _Handler
FakeRemoteHosts.handler_attribute = "hosts"
FakeRemoteHosts.thread_name = "fake-remote-hosts"


if __name__ == "__main__":
    main(sys.argv[1:])
