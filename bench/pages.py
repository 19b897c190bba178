"""Benchmark the pages: build a large catalogue, then time each page and count its SQL queries.

    python bench/pages.py [--packages 17000] [--runs 20] [--database-url URL] [--uncached] [--signed-in]
                          [--only SUBSTRING]

--uncached turns the page cache off, so each request renders (the cost of a first view or of a signed-in
reader); --signed-in requests as a signed-in member (who may edit grids: edit links in every cell).

Uses the real package names of ../shared/data/django-pypi.tsv when it is there (else the demo list,
repeated), a SQLite file in a temporary folder unless --database-url is given (the database is emptied!).
Requests go through the WSGI app in-process, so the numbers are the app's own cost, without a network.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from bench.dataset import build as dataset_build  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.accounts.models import User  # noqa: E402
from webapp.extensions import db  # noqa: E402

# (slug, packages, features): grid-20 is the 20 x 25 grid; grid-150 has as many features, for the ratio.
GRIDS = [("grid-10", 10, 20), ("grid-20", 20, 25), ("grid-50", 50, 20), ("grid-150", 150, 25)]


def build(package_count: int, rng: random.Random) -> dict[str, str]:
    """Fill the database (bench/dataset.py); returns the slugs of interest per page."""
    dataset = dataset_build(package_count, GRIDS, rng)
    return {"package": dataset.packages[len(dataset.packages) // 2]}


def measure(client, path: str, runs: int, counter: list) -> tuple[float, float, int, int, int, int]:
    client.get(path)  # warm up
    timings = []
    for _ in range(runs):
        counter.clear()
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    body = response.get_data()
    return statistics.median(timings), p95, len(counter), response.status_code, len(body), len(gzip.compress(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=int, default=17000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--uncached", action="store_true", help="turn the page cache off: every request renders")
    parser.add_argument("--signed-in", action="store_true", help="request as a signed-in member")
    parser.add_argument("--only", default="", help="only the pages whose path contains this")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "API_RATE_LIMIT": 10**9, "PAGE_CACHE": not args.uncached})
    rng = random.Random(7)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        slugs = build(args.packages, rng)
        print(f"Built {args.packages:,} packages, 4 grids (10 x 20, 20 x 25, 50 x 20, 150 x 25 packages x features) in "
              f"{time.perf_counter() - started:.1f} s on {db.engine.dialect.name}.")
        statements: list = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        if args.signed_in:
            member = db.session.scalar(select(User).order_by(User.id).limit(1))
            with client.session_transaction() as session:  # as Flask-Login keeps a signed-in person
                session.update({"_user_id": member.get_id(), "_fresh": True})
            db.session.commit()  # get_id may have given the member a session token
        pages = [
            "/", "/packages/", "/packages/?sort=stars&page=50", "/packages/?q=rest", "/categories/apps/",
            f"/packages/p/{slugs['package']}/", "/grids/", "/grids/g/grid-10/", "/grids/g/grid-20/",
            "/grids/g/grid-50/", "/grids/g/grid-150/", "/search/?q=django-rest", "/search/suggest/?q=rest",
            "/feeds/packages/latest/rss/", "/sitemap.xml",
            "/api/v4/packages/", f"/api/v4/packages/{slugs['package']}/", "/api/v4/grids/1/",
        ]
        pages = [path for path in pages if args.only in path]
        print(f"Page cache {'off' if args.uncached else 'on'}, {'signed in' if args.signed_in else 'anonymous'}.")
        print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7} {'KB':>7} {'gzip KB':>8}")
        for path in pages:
            median, p95, queries, status, size, gzipped = measure(client, path, args.runs, statements)
            print(f"{path:44} {median:10.1f} {p95:8.1f} {queries:8d} {status:7d} {size / 1024:7.1f} "
                  f"{gzipped / 1024:8.1f}")
        db.session.remove()
        if not args.database_url:
            db.engine.dispose()


if __name__ == "__main__":
    main()
