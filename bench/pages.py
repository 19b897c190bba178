"""Benchmark the pages: build a large catalogue, then time each page and count its SQL queries.

    python bench/pages.py [--packages 17000] [--runs 20] [--database-url URL]

Uses the real package names of ../shared/data/django-pypi.tsv when it is there (else the demo list,
repeated), a SQLite file in a temporary folder unless --database-url is given (the database is emptied!).
Requests go through the WSGI app in-process, so the numbers are the app's own cost, without a network.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.accounts.models import User  # noqa: E402
from webapp.catalog.models import Category, Package, Usage, Version  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.grids.models import Element, Feature, Grid, GridPackage  # noqa: E402

SHARED_TSV = ROOT.parent / "shared" / "data" / "django-pypi.tsv"
DEMO_TSV = ROOT / "webapp" / "demo" / "data" / "packages.tsv"


def package_names(count: int) -> list[tuple[str, str, str]]:
    source = SHARED_TSV if SHARED_TSV.exists() else DEMO_TSV
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [(r["name"], r["version"], r["summary"]) for r in csv.DictReader(handle, delimiter="\t",
                                                                                   quoting=csv.QUOTE_NONE)]
    names, seen, round_ = [], set(), 0
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


def build(package_count: int, rng: random.Random) -> dict[str, str]:
    """Fill the database; returns the slugs of interest per page."""
    now = datetime.now(timezone.utc)
    db.session.execute(insert(Category), [{"id": i, "title": t, "slug": t.lower() + "s", "title_plural": t + "s",
                                           "description": "", "show_pypi": True, "created": now, "modified": now}
                                          for i, t in enumerate(["App", "Framework", "Other", "Project"], 1)])
    db.session.execute(insert(User), [{"id": i, "username": f"user{i}", "email": "", "display_name": "",
                                       "is_staff": False, "is_active": True, "avatar_url": "", "created": now}
                                      for i in range(1, 501)])
    packages = []
    for index, (slug, version, summary) in enumerate(package_names(package_count), 1):
        packages.append({
            "id": index, "title": slug, "slug": slug, "category_id": 1 + index % 4,
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
    db.session.execute(insert(Package), packages)
    versions = []
    for package in packages:
        for n in range(5):
            versions.append({"package_id": package["id"], "number": f"1.{n}", "license": "MIT",
                             "upload_time": now - timedelta(days=100 * (5 - n)),
                             "development_status": "5 - Production/Stable",
                             "supports_python3": True, "requires_python": ">=3.9", "hidden": False, "yanked": False,
                             "created": now})
    db.session.execute(insert(Version), versions)
    usages = [{"user_id": u, "package_id": p, "created": now} for u in range(1, 501)
              for p in rng.sample(range(1, min(package_count, 2000) + 1), 20)]
    db.session.execute(insert(Usage), usages)
    gp_id = feature_id = 0
    grids = {"grid-10": 10, "grid-50": 50, "grid-150": 150}
    for grid_index, (slug, size) in enumerate(grids.items(), 1):
        db.session.execute(insert(Grid), [{"id": grid_index, "title": slug, "slug": slug, "description": "",
                                           "is_locked": False, "header": False, "created": now, "modified": now,
                                           "package_count": size, "revision": 1}])
        members = rng.sample(range(1, package_count + 1), size)
        gps = []
        for package_id in members:
            gp_id += 1
            gps.append({"id": gp_id, "grid_id": grid_index, "package_id": package_id, "created": now})
        db.session.execute(insert(GridPackage), gps)
        features = []
        for n in range(20):
            feature_id += 1
            features.append({"id": feature_id, "grid_id": grid_index, "title": f"Feature {n}", "description": "",
                             "created": now, "modified": now, "revision": 1})
        db.session.execute(insert(Feature), features)
        db.session.execute(insert(Element), [
            {"grid_package_id": gp["id"], "feature_id": f["id"], "text": rng.choice(["yes", "no", "++ fast", "- slow"]),
             "created": now, "modified": now, "revision": 1} for gp in gps for f in features])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        from webapp.demo.loader import reset_sequences

        reset_sequences()
        db.session.commit()
    return {"package": packages[len(packages) // 2]["slug"]}


def measure(client, path: str, runs: int, counter: list) -> tuple[float, float, int, int]:
    client.get(path)  # warm up
    timings = []
    for _ in range(runs):
        counter.clear()
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, len(counter), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=int, default=17000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "API_RATE_LIMIT": 10**9})
    rng = random.Random(7)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        slugs = build(args.packages, rng)
        print(f"Built {args.packages:,} packages, 3 grids (10, 50, 150 packages x 20 features) in "
              f"{time.perf_counter() - started:.1f} s on {db.engine.dialect.name}.")
        statements: list = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        pages = [
            "/", "/packages/", "/packages/?sort=stars&page=50", "/packages/?q=rest", "/categories/apps/",
            f"/packages/p/{slugs['package']}/", "/grids/", "/grids/g/grid-10/", "/grids/g/grid-50/",
            "/grids/g/grid-150/", "/search/?q=django-rest", "/search/suggest/?q=rest",
            "/feeds/packages/latest/rss/", "/sitemap.xml",
            "/api/v4/packages/", f"/api/v4/packages/{slugs['package']}/", "/api/v4/grids/1/",
        ]
        print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7}")
        for path in pages:
            median, p95, queries, status = measure(client, path, args.runs, statements)
            print(f"{path:44} {median:10.1f} {p95:8.1f} {queries:8d} {status:7d}")
        db.session.remove()
        if not args.database_url:
            db.engine.dispose()


if __name__ == "__main__":
    main()
