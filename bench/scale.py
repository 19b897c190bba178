"""Do the home page and the lists cost the same at 5,000 and 100,000 packages? Time each list page at both sizes
and show how the database reads it.

    python bench/scale.py [--sizes 5000,100000] [--runs 15] [--database-url URL]

For each size: an empty database (a SQLite file in a temporary folder unless --database-url is given; the
database is emptied!), bulk-inserted packages (bench/dataset.py), ANALYZE (as PostgreSQL's autovacuum does;
SQLite needs it to be told), then each page through the WSGI app in-process with the page cache off, so the
numbers are the database and template cost of an uncached request. The plan column summarises EXPLAIN of every
SELECT the page ran: the index read for each table, and "SORT" or "FULL SCAN" where the database sorts rows
or reads a whole table (the sitemap reads every package by design).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402

from bench.dataset import build  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.catalog.queries import PACKAGE_SORTS  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.grids.queries import GRID_SORTS  # noqa: E402

GRIDS = [(f"grid-{n}", 12, 4) for n in range(200)]
PAGES = (["/", "/packages/", "/packages/?page=50", "/categories/", "/grids/", "/feeds/packages/latest/rss/",
          "/api/v4/packages/", "/api/v4/grids/", "/api/v4/categories/", "/api/v3/packages/?limit=30",
          "/api/v3/grids/"]
         + [f"/packages/?sort={key}" for key in PACKAGE_SORTS if key != "score"]
         + [f"/categories/apps/?sort={key}" for key in PACKAGE_SORTS]
         + [f"/grids/?sort={key}" for key in GRID_SORTS if key != "popular"])


def _summary(connection, statements: list[tuple[str, object]]) -> str:
    """What the database does for the page's SELECTs, in a few words."""
    summaries: list[str] = []
    postgresql = connection.dialect.name == "postgresql"
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        parts: list[str] = []
        prefix = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
        lines = [row[0] if postgresql else row[-1] for row in rows]
        for line in lines:
            if postgresql:
                if match := re.search(r"(Index Only Scan|Index Scan|Bitmap Heap Scan|Seq Scan)(?: Backward)?"
                                      r"(?: using (\w+))? on (\w+)", line):
                    kind, index, table = match.groups()
                    if table in ("categories", "versions") and index and index.startswith("pk_"):
                        continue  # the joined category and release of each row, by primary key
                    parts.append(f"{table}:{index}" if index else f"FULL SCAN {table}" if kind == "Seq Scan"
                                 else f"{table}:bitmap")
                elif re.search(r"\b(Incremental )?Sort\b", line) and "Sort Key" not in line:
                    parts.append("SORT")
            else:
                if "TEMP B-TREE" in line:
                    parts.append("SORT")
                elif match := re.match(r"(SCAN|SEARCH) (\w+)(?: AS \w+)?(?: USING (?:COVERING )?(?:INDEX (\w+)|"
                                       r"(INTEGER PRIMARY KEY)))?", line):
                    kind, table, index, primary = match.groups()
                    if primary and kind == "SEARCH":
                        continue
                    if kind == "SCAN" and not index and not primary:
                        # In rowid order: with a LIMIT and no SORT it stops early; else it reads the whole table.
                        parts.append(f"{table}:rowid-order" if "TEMP B-TREE" not in "".join(lines)
                                     else f"FULL SCAN {table}")
                    else:
                        parts.append(f"{table}:{index or 'rowid'}")
        summaries.append(" ".join(dict.fromkeys(parts)))
    return " | ".join(summary for summary in summaries if summary) or "-"


def run_size(url: str, size: int, runs: int) -> dict[str, tuple[float, int, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "API_RATE_LIMIT": 10**9, "PAGE_CACHE": False})
    results: dict[str, tuple[float, int, str]] = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        build(size, GRIDS, random.Random(7), users=500, usages_per_user=20)
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        print(f"  built {size:,} packages, {len(GRIDS)} grids in {time.perf_counter() - started:.1f} s "
              f"({db.engine.dialect.name})", file=sys.stderr)
        statements: list[tuple[str, object]] = []
        listener = lambda conn, cursor, statement, parameters, context, many: statements.append(  # noqa: E731
            (statement, parameters))
        event.listen(db.engine, "before_cursor_execute", listener)
        client = app.test_client()
        for path in PAGES:
            client.get(path)  # warm up
            timings = []
            for _ in range(runs):
                statements.clear()
                start = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            captured = list(statements)
            event.remove(db.engine, "before_cursor_execute", listener)
            with db.engine.connect() as connection:
                plan = _summary(connection, captured)
            event.listen(db.engine, "before_cursor_execute", listener)
            results[path] = (statistics.median(timings), len(captured), plan)
        event.remove(db.engine, "before_cursor_execute", listener)
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,100000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    by_size = {}
    for size in sizes:
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/scale.sqlite3"
        by_size[size] = run_size(url, size, args.runs)
    small, large = sizes[0], sizes[-1]
    print(f"{'page':36} " + " ".join(f"{f'{size:,} ms':>11}" for size in sizes)
          + f" {'ratio':>6} {'queries':>7}  plan at {large:,}")
    for path in PAGES:
        times = [by_size[size][path][0] for size in sizes]
        ratio = by_size[large][path][0] / by_size[small][path][0]
        print(f"{path:36} " + " ".join(f"{t:11.1f}" for t in times)
              + f" {ratio:6.2f} {by_size[large][path][1]:7d}  {by_size[large][path][2]}")


if __name__ == "__main__":
    main()
