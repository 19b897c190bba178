"""A large catalogue for the benchmarks, written with bulk inserts (bench/pages.py and bench/load.py share it).

Package names come from ../shared/data/django-pypi.tsv when it is there, else the demo list
(webapp/demo/data/packages.tsv), repeated with a suffix; when neither is there, generated names. Everything
else is random with a fixed seed, so two runs build the same data. The caller provides the app context and an
empty schema (``db.create_all()``).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from webapp.accounts.models import User
from webapp.catalog.models import Category, Package, Usage, Version
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage

ROOT = Path(__file__).resolve().parents[1]
SHARED_TSV = ROOT.parent / "shared" / "data" / "django-pypi.tsv"
DEMO_TSV = ROOT / "webapp" / "demo" / "data" / "packages.tsv"
CATEGORIES = ["App", "Framework", "Other", "Project"]
CELL_TEXTS = ["yes", "no", "++ fast", "- slow"]
BATCH = 20_000
WORDS = ["rest", "admin", "auth", "cache", "forms", "search", "storage", "tasks", "tables", "debug", "mail",
         "celery", "graphql", "upload", "payments", "i18n", "seo", "comments", "tags", "api"]


@dataclass
class Dataset:
    """What was built: slugs to pick page URLs from."""

    packages: list[str]
    grids: list[str]
    categories: list[str]
    cells: int


def package_names(count: int) -> list[tuple[str, str, str]]:
    """``count`` unique (slug, version, summary): real names first, then the same names with ``-<round>``."""
    source = SHARED_TSV if SHARED_TSV.exists() else DEMO_TSV
    rows: list[tuple[str, str, str]] = []
    if source.exists():
        with source.open(encoding="utf-8", newline="") as handle:
            rows = [(r["name"], r["version"], r["summary"])
                    for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    if not rows:
        rows = [(f"django-{word}-{n}", "1.0", f"A {word} package") for n in range(50) for word in WORDS]
    names: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    round_ = 0
    while len(names) < count:
        for name, version, summary in rows:
            slug = name.lower() if round_ == 0 else f"{name.lower()}-{round_}"
            if slug in seen:
                continue
            seen.add(slug)
            names.append((slug, version, summary))
            if len(names) == count:
                break
        round_ += 1
    return names


def _insert(model, rows: Iterable[dict]) -> None:
    """Bulk insert in batches (a plain executemany: no ORM objects, no per-row round trip to build them)."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(insert(model), batch)
            batch = []
    if batch:
        db.session.execute(insert(model), batch)


def build(package_count: int, grids: Sequence[tuple[str, int, int]], rng: random.Random | None = None, *,
          users: int = 500, usages_per_user: int = 20) -> Dataset:
    """Fill the database: ``package_count`` packages (5 releases each), ``users`` people who each use
    ``usages_per_user`` packages, and one grid per (slug, packages, features) of ``grids`` with every cell
    written. Commits."""
    rng = rng or random.Random(7)
    now = datetime.now(timezone.utc)
    _insert(Category, [{"id": i, "title": t, "slug": t.lower() + "s", "title_plural": t + "s", "description": "",
                        "show_pypi": True, "created": now, "modified": now} for i, t in enumerate(CATEGORIES, 1)])
    _insert(User, [{"id": i, "username": f"user{i}", "email": "", "display_name": "", "is_staff": False,
                    "is_active": True, "avatar_url": "", "created": now} for i in range(1, users + 1)])
    packages = []
    for index, (slug, version, summary) in enumerate(package_names(package_count), 1):
        packages.append({
            "id": index, "title": slug, "slug": slug, "category_id": 1 + index % len(CATEGORIES),
            "repo_url": f"https://github.com/example/{slug}", "pypi_url": f"https://pypi.org/project/{slug}",
            "documentation_url": "", "documentation_url_from_pypi": False, "repo_description": summary,
            "repo_watchers": rng.randrange(5000), "repo_forks": rng.randrange(500),
            "participants": [f"dev{n}" for n in range(rng.randrange(1, 60))],
            "commits_over_52": [rng.randrange(8) for _ in range(52)], "pypi_version": version,
            "last_commit_date": now - timedelta(days=rng.randrange(900)), "created": now - timedelta(days=index),
            "modified": now, "fetch_error": "", "fetch_error_count": 0, "score": rng.uniform(0, 90),
            "usage_count": 0, "stats_are_demo": False, "removed_reason": "", "revision": 1,
            "deprecation_note": "",
        })
    _insert(Package, packages)
    _insert(Version, ({"package_id": package["id"], "number": f"1.{n}", "license": "MIT",
                       "upload_time": now - timedelta(days=100 * (5 - n)),
                       "development_status": "5 - Production/Stable", "supports_python3": True,
                       "requires_python": ">=3.9", "hidden": False, "yanked": False, "created": now}
                      for package in packages for n in range(5)))
    used = min(package_count, 2000)
    _insert(Usage, [{"user_id": u, "package_id": p, "created": now} for u in range(1, users + 1)
                    for p in rng.sample(range(1, used + 1), min(usages_per_user, used))])
    grid_slugs: list[str] = []
    cells = 0
    gp_id = feature_id = 0
    for grid_index, (slug, size, feature_count) in enumerate(grids, 1):
        grid_slugs.append(slug)
        size = min(size, package_count)
        _insert(Grid, [{"id": grid_index, "title": slug, "slug": slug, "description": "", "is_locked": False,
                        "header": False, "created": now, "modified": now, "package_count": size, "revision": 1}])
        gps = []
        for package_id in rng.sample(range(1, package_count + 1), size):
            gp_id += 1
            gps.append({"id": gp_id, "grid_id": grid_index, "package_id": package_id, "created": now})
        _insert(GridPackage, gps)
        features = []
        for n in range(feature_count):
            feature_id += 1
            features.append({"id": feature_id, "grid_id": grid_index, "title": f"Feature {n}", "description": "",
                             "created": now, "modified": now, "revision": 1})
        _insert(Feature, features)
        _insert(Element, _cells(gps, features, rng, now))
        cells += len(gps) * len(features)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        from webapp.sequences import reset_sequences

        reset_sequences()
        db.session.commit()
    return Dataset(packages=[p["slug"] for p in packages], grids=grid_slugs,
                   categories=[t.lower() + "s" for t in CATEGORIES], cells=cells)


def _cells(gps: list[dict], features: list[dict], rng: random.Random, now: datetime) -> Iterator[dict]:
    for gp in gps:
        for feature in features:
            yield {"grid_package_id": gp["id"], "feature_id": feature["id"], "text": rng.choice(CELL_TEXTS),
                   "created": now, "modified": now, "revision": 1}
