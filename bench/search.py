"""Benchmark search: build a large catalogue, index it, then time queries typed as people type them.

    python bench/search.py [--packages 17000] [--runs 20] [--database-url URL]

Package names and summaries come from ../shared/data/django-pypi.tsv when it is there (else the demo list,
repeated; bench/dataset.py). A SQLite file in a temporary folder unless --database-url is given (the database is
emptied!). Times are in-process: :func:`webapp.search.queries.search` (spelling, packages, grids), and the
/search/ page through the WSGI app, so they are the app's own cost without a network.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import build as dataset_build  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.search import index, queries  # noqa: E402

QUERIES = {
    "exact name": ["django-allauth", "django-silk", "djangorestframework", "django-imagekit"],
    "two words": ["django allauth", "image processing", "silk profiling", "registration account"],
    "typo": ["djnago allauth", "imagkit", "permisions", "guardain"],
    "as you type": ["dja", "django-al", "imagek", "rest fr"],
    "repository URL": ["https://github.com/example/django-allauth", "git@github.com:example/django-silk.git"],
    "common word": ["django", "admin", "rest api"],
    "nonsense": ["zzqxv", "qwpoeiruty blorp"],
    "symbols": ["%", "_", '"quoted" AND NOT'],
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=int, default=17000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "API_RATE_LIMIT": 10**9, "PAGE_CACHE": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        dataset_build(args.packages, [("grid-20", 20, 25)], random.Random(7), users=50, usages_per_user=5)
        built = time.perf_counter() - started
        started = time.perf_counter()
        with db.engine.begin() as connection:  # the bulk inserts bypass the ORM: index as the migration does
            index.rebuild(connection)
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("ANALYZE")
        indexed = time.perf_counter() - started
        print(f"{args.packages:,} packages on {db.engine.dialect.name}: built in {built:.1f} s, "
              f"indexed in {indexed:.1f} s")
        client = app.test_client()
        everything, pages = [], []
        print(f"{'kind':16} {'median ms':>10} {'p95 ms':>8} {'page median':>12}  results of the first query")
        for kind, typed in QUERIES.items():
            timings, page_timings = [], []
            for query in typed:
                queries.search(query)  # warm up
                db.session.remove()
                for _ in range(args.runs):
                    start = time.perf_counter()
                    queries.search(query)
                    timings.append((time.perf_counter() - start) * 1000)
                    db.session.remove()
                for _ in range(max(1, args.runs // 4)):
                    start = time.perf_counter()
                    client.get("/search/", query_string={"q": query})
                    page_timings.append((time.perf_counter() - start) * 1000)
            first = queries.search(typed[0])
            db.session.remove()
            everything += timings
            pages += page_timings
            print(f"{kind:16} {statistics.median(timings):10.1f} {percentile(timings, 0.95):8.1f} "
                  f"{statistics.median(page_timings):12.1f}  {first.package_total} "
                  f"({', '.join(hit.package.title for hit in first.packages[:3])})")
        print(f"{'all queries':16} {statistics.median(everything):10.1f} {percentile(everything, 0.95):8.1f} "
              f"{statistics.median(pages):12.1f}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
