"""Copy categories, packages and grids from any djangopackages-compatible API v4 into this site.

Ids and slugs are kept, so links into the old site's API map onto ours. Every object is an upsert that only
writes what differs, so a second run changes nothing. After each page the position is written to a state
file; a run that was interrupted continues from there. A page or an item that cannot be read is reported and
skipped, and only it: the next page is found from ``limit``/``offset`` when a page fails.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from sqlalchemy import BigInteger, SmallInteger, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import flag_modified
from urllib3.util.retry import Retry

from webapp.api.serializers import replace_query_param
from webapp.catalog.models import Category, Package
from webapp.catalog.releases import refresh_current_release_and_score
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.fetch.transport import DeadlineExceeded, TransportError, bounded_get, mount_bounded_adapter
from webapp.grids.models import Grid, GridPackage
from webapp.links import url_problem
from webapp.sequences import reset_sequences
from webapp.text import clean_text

logger = logging.getLogger(__name__)

STAGES = ("categories", "packages", "grids")
USER_AGENT = "PackageGrids-importer/1 (+djangopackages API v4 client)"
# Pages read beyond what a stage's ``count`` needs before the site's pagination is taken to be broken.
PAGE_SLACK = 5
# Without a ``count``, and without --max-pages: the most pages of one stage.
DEFAULT_MAX_PAGES = 10_000
_ID_IN_URL = {kind: re.compile(rf"/{kind}/(\d+)/?(?:\?.*)?$") for kind in STAGES}


class BadItem(ValueError):
    """An item of the remote API that cannot be imported as it is."""


class Interrupted(Exception):
    """The import was stopped before the end; its state file lets the next run continue."""


@dataclass
class ImportReport:
    """What an import did: counts per kind of object and every problem met."""

    counts: dict[str, Counter] = field(default_factory=lambda: {
        kind: Counter() for kind in ("categories", "packages", "grids", "grid packages")})
    problems: list[str] = field(default_factory=list)
    failed_pages: int = 0
    resumed_from: str | None = None

    def count(self, kind: str, what: str) -> None:
        self.counts[kind][what] += 1

    def problem(self, message: str) -> None:
        logger.warning("import-djangopackages: %s", message)
        self.problems.append(message)

    @property
    def changed(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())

    def summary_lines(self) -> list[str]:
        lines = []
        for kind, counter in self.counts.items():
            parts = [f"{counter[what]} {what}" for what in ("created", "updated", "unchanged", "skipped")
                     if what in ("created", "updated") or counter[what]]
            lines.append(f"{kind}: " + ", ".join(parts))
        if self.failed_pages:
            lines.append(f"pages that could not be read: {self.failed_pages}")
        return lines


# Reading remote values ------------------------------------------------------------------------------------


def _require(item: dict, key: str):
    if key not in item:
        raise BadItem(f"missing field {key!r}")
    return item[key]


def column_bounds(column) -> tuple[int, int]:
    """The smallest and largest value an integer column (or model attribute) holds: signed 16, 32 or 64 bits,
    as its type says."""
    column_type = column.type
    bits = 64 if isinstance(column_type, BigInteger) else 16 if isinstance(column_type, SmallInteger) else 32
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _in_range(key: str, value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if not low <= value <= high:
        raise BadItem(f"{key!r} is out of range: {value!r} is not between {low} and {high}")
    return value


def _int(item: dict, key: str, attribute, *, required: bool = False, default: int = 0) -> int:
    """A whole number that fits ``attribute``'s column (a model attribute such as ``Package.repo_watchers``)."""
    value = _require(item, key) if required else item.get(key, default)
    if value is None and not required:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadItem(f"{key!r} is not a whole number: {value!r}")
    return _in_range(key, value, column_bounds(attribute))


def _text(item: dict, key: str, *, required: bool = False, max_length: int | None = None) -> str:
    """Text as it will be stored (cleaned), so a rerun compares like with like and changes nothing."""
    value = _require(item, key) if required else item.get(key) or ""
    if not isinstance(value, str):
        raise BadItem(f"{key!r} is not text: {value!r}")
    value = clean_text(value)
    if required and not value.strip():
        raise BadItem(f"{key!r} is empty")
    if max_length is not None and len(value) > max_length:
        raise BadItem(f"{key!r} is longer than {max_length} characters")
    return value


def _optional_text(item: dict, key: str, max_length: int | None = None) -> str | None:
    value = item.get(key)
    if value in (None, ""):
        return None
    return _text(item, key, max_length=max_length)


def _bool(item: dict, key: str, default: bool = False) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise BadItem(f"{key!r} is not true or false: {value!r}")
    return value


def _datetime(item: dict, key: str) -> datetime | None:
    """An ISO 8601 value as an aware UTC datetime; a value without offset is taken as UTC."""
    value = item.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadItem(f"{key!r} is not a date: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as exc:
        raise BadItem(f"{key!r} is not an ISO 8601 date: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# Counts kept in JSON lists (commits per week) are read back as 32-bit integers, like the other counts.
COUNT_BOUNDS = (0, 2**31 - 1)


def _int_list(item: dict, key: str) -> list[int]:
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise BadItem(f"{key!r} is not a list of whole numbers")
    return [_in_range(key, v, COUNT_BOUNDS) for v in value]


def _text_list(item: dict, key: str) -> list[str]:
    value = item.get(key) or []
    if isinstance(value, str):  # API v3 style: comma-joined
        value = [part for part in value.split(",") if part]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadItem(f"{key!r} is not a list of text")
    return [clean_text(v) for v in value]


_ID_ATTRIBUTES = {"categories": Category.id, "packages": Package.id, "grids": Grid.id}
_SINGULAR = {"categories": "category", "packages": "package", "grids": "grid"}


def _port(parts) -> int | None:
    """The port of a split URL, its scheme's default when absent."""
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


def id_from_url(kind: str, url) -> int:
    """The numeric id at the end of an API URL such as ``.../api/v4/categories/1/?format=api``."""
    if isinstance(url, int) and not isinstance(url, bool):
        return _in_range(f"{_SINGULAR[kind]} id", url, column_bounds(_ID_ATTRIBUTES[kind]))
    if not isinstance(url, str):
        raise BadItem(f"not a {kind} URL: {url!r}")
    match = _ID_IN_URL[kind].search(url)
    if match is None:
        raise BadItem(f"not a {kind} URL: {url!r}")
    return _in_range(f"{_SINGULAR[kind]} id", int(match.group(1)), column_bounds(_ID_ATTRIBUTES[kind]))


def _same(current, new) -> bool:
    if isinstance(current, datetime) and isinstance(new, datetime):
        return current.astimezone(timezone.utc) == new.astimezone(timezone.utc)
    return current == new


def _apply(obj, values: dict) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if not _same(getattr(obj, name), value):
            setattr(obj, name, value)
            changed = True
    return changed


# The importer ----------------------------------------------------------------------------------------------


# Retries ---------------------------------------------------------------------------------------------------------

# Answers worth asking again for: the server is busy or broken, not the request.
RETRY_STATUSES = frozenset({429, *range(500, 600)})
RETRY_AFTER_MAX = 60  # seconds: a server asking for longer is not waited for longer


class ImportRetry(Retry):
    """urllib3's retry policy with the importer's waits: ``--retry-wait`` times the attempt number before each
    new attempt (1 s, 2 s, ... rather than doubling), and a server's ``Retry-After`` honoured up to a minute."""

    @classmethod
    def for_importer(cls, retries: int, retry_wait: float) -> "ImportRetry":
        """Retry connection failures, read timeouts, 429 and 5xx answers ``retries`` times; with ``retry_wait``
        0 nothing waits (not even for ``Retry-After``). The last answer is returned when retries run out."""
        return cls(total=retries, connect=retries, read=retries, status=retries, other=0, redirect=False,
                   status_forcelist=RETRY_STATUSES, allowed_methods={"GET"}, backoff_factor=retry_wait,
                   backoff_max=RETRY_AFTER_MAX, respect_retry_after_header=retry_wait > 0,
                   raise_on_status=False, raise_on_redirect=False)

    def get_backoff_time(self) -> float:
        return min(self.backoff_max, self.backoff_factor * len(self.history))

    def parse_retry_after(self, retry_after: str) -> float:
        return min(RETRY_AFTER_MAX, super().parse_retry_after(retry_after))

    def longest_waits(self) -> float:
        """The most all the waits between attempts can add up to."""
        if not self.respect_retry_after_header:
            return sum(min(self.backoff_max, self.backoff_factor * attempt) for attempt in range(1, self.total + 1))
        return float(RETRY_AFTER_MAX * self.total)


class Importer:
    """One import run from ``source`` (a site, or its ``/api/v4/`` root)."""

    def __init__(self, source: str, *, timeout: float = 10.0, retries: int = 2, retry_wait: float = 1.0,
                 page_size: int = 100, state_path: Path | None = None, restart: bool = False,
                 progress: Callable | None = None, on_page: Callable[[str, str], None] | None = None,
                 echo: Callable[[str], None] | None = None, session: requests.Session | None = None,
                 deadline: float = 30.0, max_bytes: int = 20 * 1024 * 1024, max_pages: int | None = None) -> None:
        self.source = source.strip()
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_pages = max_pages
        self.retries = max(0, retries)
        self.retry_wait = max(0.0, retry_wait)
        self.page_size = max(1, page_size)
        self.state_path = state_path
        self.restart = restart
        self.progress = progress
        self.on_page = on_page
        self.echo = echo or (lambda message: None)
        self.retry = ImportRetry.for_importer(self.retries, self.retry_wait)
        # Every attempt gets ``deadline`` seconds, plus the longest waits between them: no page takes longer.
        self.page_deadline = deadline * (self.retries + 1) + self.retry.longest_waits()
        self.http = session or requests.Session()
        mount_bounded_adapter(self.http, retries=self.retry)
        self.http.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        self.report = ImportReport()
        self.endpoints: dict[str, str] = {}
        self._fetched_packages: set[int] = set()
        self._counts: dict[str, int] = {}
        self._per_page: dict[str, int] = {}

    # HTTP ------------------------------------------------------------------------------------------------

    def same_site(self, url: str) -> bool:
        """Whether ``url`` is on the source site (its scheme, host and port; or https on the same host when
        the source was given as http): the importer reads nothing from anywhere else."""
        try:
            source, target = urlsplit(self.source), urlsplit(url)
            source_origin = (source.scheme.lower(), (source.hostname or "").lower(), _port(source))
            target_origin = (target.scheme.lower(), (target.hostname or "").lower(), _port(target))
        except ValueError:
            return False
        if target.username or target.password or not target_origin[1]:
            return False
        upgraded = (source_origin[0] == "http" and target_origin == ("https", source_origin[1], 443)
                    and source_origin[2] == 80)
        return target_origin == source_origin or upgraded

    def get_json(self, url: str) -> tuple[object | None, str | None]:
        """The decoded body of ``url``, or a problem description.

        Connection failures, read timeouts, 429 and 5xx answers are retried ``retries`` times by the session's
        :class:`ImportRetry`. Only URLs on the source site are fetched (redirects too); the page, attempts and
        waits included, takes at most ``page_deadline`` seconds, and its answer at most ``max_bytes``.
        """
        if not self.same_site(url):
            return None, f"{url} is not on the site imported from ({self.source}); it was not fetched"
        try:
            response, _ = bounded_get(self.http, url, timeout=self.timeout, deadline=self.page_deadline,
                                      max_bytes=self.max_bytes, allow=self.same_site)
        except DeadlineExceeded as exc:
            return None, f"could not fetch {url}: it {exc}"
        except TransportError as exc:  # too large, or redirected elsewhere
            return None, f"could not fetch {url}: {exc}"
        except requests.RequestException as exc:  # still failing after the retries
            return None, f"could not fetch {url}: {type(exc).__name__}"
        if response.status_code != 200:  # a 429 or 5xx is only returned once the retries are spent
            return None, f"{url} answered HTTP {response.status_code}"
        try:
            return response.json(), None
        except ValueError:
            return None, f"{url} did not answer JSON"

    def discover(self) -> None:
        """Find the list endpoints from the API root (the given URL, or ``/api/v4/`` below it)."""
        base = self.source if self.source.endswith("/") else self.source + "/"
        candidates = [base] if base.rstrip("/").endswith("/api/v4") else [urljoin(base, "api/v4/"), base]
        problems = []
        for candidate in candidates:
            data, problem = self.get_json(candidate)
            if isinstance(data, dict) and all(isinstance(data.get(kind), str) for kind in STAGES):
                elsewhere = [data[kind] for kind in STAGES if not self.same_site(data[kind])]
                if elsewhere:
                    raise Interrupted(f"{candidate} lists endpoints on another site ({', '.join(elsewhere)}); "
                                      "the importer reads only the site it is given")
                self.endpoints = {kind: data[kind] for kind in STAGES}
                return
            problems.append(problem or f"{candidate} is not a djangopackages API v4 root")
        raise Interrupted("; ".join(problems))

    # State -----------------------------------------------------------------------------------------------

    def _load_state(self) -> dict:
        if self.state_path is None or self.restart or not self.state_path.exists():
            return {}
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) and state.get("source") == self.source else {}

    def _save_state(self, stage: str, next_url: str | None, done: list[str]) -> None:
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"source": self.source, "stage": stage, "next": next_url, "done": done,
                                         "saved": utcnow().isoformat()}), encoding="utf-8")
        temporary.replace(self.state_path)

    def _clear_state(self) -> None:
        if self.state_path is not None and self.state_path.exists():
            self.state_path.unlink()

    # The run ---------------------------------------------------------------------------------------------

    def run(self) -> ImportReport:
        """Import everything; raises :class:`Interrupted` when the source cannot be read at all."""
        self.discover()
        state = self._load_state()
        done: list[str] = list(state.get("done", []))
        if state.get("next") or done:
            self.report.resumed_from = state.get("next") or f"after {', '.join(done)}"
            self.echo(f"Continuing an interrupted import from {self.report.resumed_from}.")
        handlers = {"categories": self.import_category, "packages": self.import_package, "grids": self.import_grid}
        for stage in STAGES:
            if stage in done:
                continue
            start = state.get("next") if state.get("stage") == stage and state.get("next") else None
            self._import_stage(stage, handlers[stage], start, done)
            done.append(stage)
            self._save_state(stage, None, done)
        reset_sequences()
        db.session.commit()
        self._clear_state()
        return self.report

    def _first_page(self, stage: str) -> str:
        return replace_query_param(self.endpoints[stage], "limit", self.page_size)

    def _import_stage(self, stage: str, handler: Callable[[dict], None], start: str | None,
                      done: list[str]) -> None:
        url: str | None = start or self._first_page(stage)
        seen: set[str] = set()
        bar = None
        failures = 0
        pages = 0
        try:
            while url:
                if url in seen:
                    self.report.problem(f"the {stage} pages lead back to {url}; stopped reading {stage} there")
                    break
                if pages >= self._page_cap(stage):
                    self.report.problem(f"stopped reading {stage} after {pages} pages: {self._cap_reason(stage)}")
                    break
                seen.add(url)
                pages += 1
                data, problem = self.get_json(url)
                if problem is None and not (isinstance(data, dict) and isinstance(data.get("results"), list)):
                    problem = f"{url} is not a page of {stage}"
                if problem is not None:
                    failures += 1
                    next_url = self._skip_page(url, stage, problem, failures)
                else:
                    failures = 0
                    if isinstance(data.get("count"), int):
                        self._counts[stage] = data["count"]
                    if bar is None and self.progress is not None and stage in self._counts:
                        bar = self.progress(length=self._counts[stage], label=f"Importing {stage}")
                        bar.__enter__()
                    if data["results"] and stage not in self._per_page:
                        self._per_page[stage] = len(data["results"])
                    for item in data["results"]:
                        self._import_item(stage, handler, item)
                        if bar is not None:
                            bar.update(1)
                    db.session.commit()
                    next_url = data.get("next") if isinstance(data.get("next"), str) else None
                    if next_url and not self.same_site(next_url):
                        self.report.problem(f"the {stage} page after {url} is on another site ({next_url}); not "
                                            f"followed, so the rest of the {stage} were not imported")
                        next_url = None
                self._save_state(stage, next_url, done)
                if self.on_page is not None:
                    self.on_page(stage, url)
                url = next_url
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)

    def _page_cap(self, stage: str) -> int:
        """The most pages of ``stage`` read: ``max_pages``, else what the site's ``count`` needs (at the page
        size it really answers with) plus :data:`PAGE_SLACK`, else :data:`DEFAULT_MAX_PAGES`."""
        if self.max_pages:
            return self.max_pages
        count = self._counts.get(stage)
        if count is None:
            return DEFAULT_MAX_PAGES
        per_page = self._per_page.get(stage) or self.page_size
        return min(DEFAULT_MAX_PAGES, math.ceil(max(count, 0) / per_page) + PAGE_SLACK)

    def _cap_reason(self, stage: str) -> str:
        if self.max_pages:
            return f"--max-pages is {self.max_pages}"
        if stage in self._counts:
            return f"the site links to more pages than its count ({self._counts[stage]}) needs"
        return f"the site gives no count and {DEFAULT_MAX_PAGES} pages is the most read"

    def _skip_page(self, url: str, stage: str, problem: str, failures: int) -> str | None:
        """Report a page that could not be read and find the one after it from ``limit``/``offset``.

        Without a known total, three failed pages in a row end the stage.
        """
        arguments = parse_qs(urlsplit(url).query)
        try:
            limit = int(arguments["limit"][0])
            offset = int(arguments.get("offset", ["0"])[0])
        except (KeyError, ValueError, IndexError):
            self.report.problem(f"{problem}; the rest of the {stage} could not be reached")
            self.report.failed_pages += 1
            return None
        total = self._counts.get(stage)
        last = min(offset + limit, total) if total is not None else offset + limit
        self.report.problem(f"{problem}; skipped {stage} {offset + 1}–{last}")
        self.report.failed_pages += 1
        if (total is not None and offset + limit >= total) or (total is None and failures >= 3):
            return None
        return replace_query_param(replace_query_param(url, "limit", limit), "offset", offset + limit)

    def _import_item(self, stage: str, handler: Callable[[dict], None], item) -> None:
        """One item in a savepoint: a bad item, or one the database refuses, is skipped alone."""
        label = f"{_SINGULAR[stage]} #{item.get('id')}" if isinstance(item, dict) else f"a {_SINGULAR[stage]}"
        try:
            if not isinstance(item, dict):
                raise BadItem("not an object")
            with db.session.begin_nested():
                handler(item)
        except BadItem as exc:
            self.report.problem(f"{label} skipped: {exc}")
            self.report.count(stage, "skipped")
        except SQLAlchemyError as exc:
            self.report.problem(f"{label} skipped: the database refused it ({type(exc).__name__})")
            self.report.count(stage, "skipped")
        except (ArithmeticError, TypeError, ValueError) as exc:
            # A value the checks above did not foresee (the driver cannot store it): this item only.
            self.report.problem(f"{label} skipped: it could not be stored ({type(exc).__name__}: {exc})")
            self.report.count(stage, "skipped")

    # Objects ---------------------------------------------------------------------------------------------

    def _slug_taken(self, model, slug: str, own_id: int) -> bool:
        other = db.session.scalar(select(model.id).where(model.slug == slug, model.id != own_id))
        return other is not None

    def import_category(self, item: dict) -> Category:
        """Create or update one category from its API v4 representation."""
        category_id = _int(item, "id", Category.id, required=True)
        values = {
            "title": _text(item, "title", required=True, max_length=100),
            "slug": _text(item, "slug", required=True, max_length=100),
            "description": _text(item, "description"),
            "title_plural": _text(item, "title_plural", max_length=100),
            "show_pypi": _bool(item, "show_pypi", True),
        }
        created, modified = _datetime(item, "created"), _datetime(item, "modified")
        if self._slug_taken(Category, values["slug"], category_id):
            raise BadItem(f"slug {values['slug']!r} belongs to another category here")
        category = db.session.get(Category, category_id)
        if category is None:
            category = Category(id=category_id, **values, created=created or utcnow(),
                                modified=modified or created or utcnow())
            db.session.add(category)
            db.session.flush()
            self.report.count("categories", "created")
            return category
        dates = {name: value for name, value in (("created", created), ("modified", modified)) if value}
        if _apply(category, {**values, **dates}):
            # The column updates itself on every write; keep the source's date instead.
            category.modified = modified or category.modified
            flag_modified(category, "modified")
            self.report.count("categories", "updated")
        else:
            self.report.count("categories", "unchanged")
        return category

    def _ensure_category(self, category_id: int, url: str) -> None:
        if db.session.get(Category, category_id) is not None:
            return
        data, problem = self.get_json(url)
        if problem is not None or not isinstance(data, dict):
            raise BadItem(f"its category {url} could not be fetched ({problem or 'not an object'})")
        self.import_category(data)

    def import_package(self, item: dict) -> Package:
        """Create or update one package from its API v4 representation."""
        package_id = _int(item, "id", Package.id, required=True)
        category_url = _require(item, "category")
        category_id = id_from_url("categories", category_url)
        values = {
            "title": _text(item, "title", required=True, max_length=100),
            "slug": _text(item, "slug", required=True, max_length=100),
            "category_id": category_id,
            "repo_url": _text(item, "repo_url", max_length=500),
            "pypi_url": _text(item, "pypi_url", max_length=500),
            "documentation_url": _optional_text(item, "documentation_url", 500) or "",
            "repo_description": _text(item, "repo_description"),
            "repo_watchers": _int(item, "repo_watchers", Package.repo_watchers),
            "repo_forks": _int(item, "repo_forks", Package.repo_forks),
            "participants": _text_list(item, "participants"),
            "commits_over_52": _int_list(item, "commits_over_52"),
            "pypi_version": _optional_text(item, "pypi_version", 100),
            "last_commit_date": _datetime(item, "last_updated"),
            "last_fetched": _datetime(item, "last_fetched"),
        }
        for key in ("repo_url", "pypi_url", "documentation_url"):
            problem = url_problem(values[key]) if values[key] else None
            if problem is not None:
                # Left out: a new package gets no link, an existing one keeps the link it has.
                self.report.problem(f"package #{package_id}: {key} {values.pop(key)!r} ignored: {problem}")
        created, modified = _datetime(item, "created"), _datetime(item, "modified")
        if self._slug_taken(Package, values["slug"], package_id):
            raise BadItem(f"slug {values['slug']!r} belongs to another package here")
        if isinstance(category_url, str):
            self._ensure_category(category_id, category_url)
        elif db.session.get(Category, category_id) is None:
            raise BadItem(f"category #{category_id} is unknown")
        package = db.session.get(Package, package_id)
        if package is None:
            package = Package(id=package_id, **values, created=created or utcnow(),
                              modified=modified or created or utcnow(), stats_are_demo=False)
            db.session.add(package)
            refresh_current_release_and_score(package, releases=[])  # a new package has no release yet
            db.session.flush()
            self.report.count("packages", "created")
            return package
        dates = {name: value for name, value in (("created", created), ("modified", modified)) if value}
        if _apply(package, {**values, **dates, "stats_are_demo": False}):
            refresh_current_release_and_score(package)
            self.report.count("packages", "updated")
        else:
            self.report.count("packages", "unchanged")
        return package

    def _ensure_package(self, package_id: int, url: str) -> bool:
        """Make sure a package a grid lists is here, fetching it when it is not; False when it cannot be."""
        if db.session.get(Package, package_id) is not None:
            return True
        if package_id in self._fetched_packages:
            return False
        self._fetched_packages.add(package_id)
        data, problem = self.get_json(url)
        if problem is not None or not isinstance(data, dict):
            self.report.problem(f"package {url} could not be fetched ({problem or 'not an object'})")
            self.report.count("packages", "skipped")
            return False
        try:
            with db.session.begin_nested():
                self.import_package(data)
        except (SQLAlchemyError, ArithmeticError, TypeError, ValueError) as exc:  # BadItem is a ValueError
            reason = exc if isinstance(exc, BadItem) else f"it could not be stored ({type(exc).__name__})"
            self.report.problem(f"package #{package_id} skipped: {reason}")
            self.report.count("packages", "skipped")
            return False
        return True

    def import_grid(self, item: dict) -> Grid:
        """Create or update one grid from its API v4 representation, adding the packages it lists."""
        grid_id = _int(item, "id", Grid.id, required=True)
        values = {
            "title": _text(item, "title", required=True, max_length=100),
            "slug": _text(item, "slug", required=True, max_length=100),
            "description": _text(item, "description"),
            "is_locked": _bool(item, "is_locked"),
            "header": _bool(item, "header"),
        }
        created, modified = _datetime(item, "created"), _datetime(item, "modified")
        package_urls = item.get("packages") or []
        if not isinstance(package_urls, list):
            raise BadItem("'packages' is not a list")
        wanted: dict[int, str] = {}
        for url in package_urls:
            wanted.setdefault(id_from_url("packages", url), url if isinstance(url, str) else "")
        if self._slug_taken(Grid, values["slug"], grid_id):
            raise BadItem(f"slug {values['slug']!r} belongs to another grid here")
        grid = db.session.get(Grid, grid_id)
        is_new = grid is None
        changed = False
        if is_new:
            grid = Grid(id=grid_id, **values, created=created or utcnow(), modified=modified or created or utcnow())
            db.session.add(grid)
            db.session.flush()
            self.report.count("grids", "created")
        else:
            dates = {name: value for name, value in (("created", created), ("modified", modified)) if value}
            changed = _apply(grid, {**values, **dates})
        members = set(db.session.scalars(select(GridPackage.package_id).where(GridPackage.grid_id == grid.id)))
        for package_id, url in wanted.items():
            if package_id in members:
                continue
            if url:
                present = self._ensure_package(package_id, url)
            else:
                present = db.session.get(Package, package_id) is not None
                if not present:
                    self.report.problem(f"grid #{grid_id}: package #{package_id} is unknown")
            if not present:
                continue
            db.session.add(GridPackage(grid_id=grid.id, package_id=package_id, created=created or utcnow()))
            members.add(package_id)
            changed = True
            self.report.count("grid packages", "created")
        if grid.package_count != len(members):
            grid.package_count = len(members)
            changed = True
        if not is_new:
            self.report.count("grids", "updated" if changed else "unchanged")
        db.session.flush()
        return grid
