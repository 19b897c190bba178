"""Benchmark the fetch service: refresh thousands of packages against the fake hosts, twice.

    python bench/fetch.py [--packages 5000] [--latency 0.05] [--workers 64]
                          [--github-limit 5000] [--github-window 12] [--database-url URL]

The fake GitHub/GitLab/Bitbucket/Codeberg/PyPI server (tests/fakes/remote_hosts.py) runs in its own
process, adds ``--latency`` to every answer and keeps a GitHub quota of ``--github-limit`` requests per
``--github-window`` seconds: GitHub's 5,000 an hour, with the hour scaled down to 12 seconds. Packages use the real
names of ../shared/data/django-pypi.tsv when it is there (else the demo list, repeated): mostly GitHub
repositories, some on GitLab, Bitbucket and Codeberg, each with a PyPI project.

The first run fetches everything; the second run, with nothing changed, shows what a routine refresh
costs. Prints wall time, requests per package and quota left for each, and the same for the request
pattern of djangopackages.org's updater, counted from its recorded cassettes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.catalog.models import Category, Package  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.fetch.commands import format_summary  # noqa: E402
from webapp.fetch.services import fetch_many  # noqa: E402

SHARED_TSV = ROOT.parent / "shared" / "data" / "django-pypi.tsv"
DEMO_TSV = ROOT / "webapp" / "demo" / "data" / "packages.tsv"
CASSETTES = ROOT / "tests" / "fixtures" / "recorded" / "cassettes"
HOSTS = [("github", 0.90), ("gitlab", 0.04), ("bitbucket", 0.03), ("codeberg", 0.03)]
DOMAINS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org", "codeberg": "codeberg.org"}


def source_rows(count: int) -> list[dict]:
    source = SHARED_TSV if SHARED_TSV.exists() else DEMO_TSV
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    result, seen, round_ = [], set(), 0
    while len(result) < count:
        for row in rows:
            name = row["name"] if round_ == 0 else f"{row['name']}-{round_}"
            if name.lower() not in seen:
                seen.add(name.lower())
                result.append({**row, "name": name})
                if len(result) == count:
                    break
        round_ += 1
    return result


def catalogue(count: int, rng: random.Random) -> list[dict]:
    """Synthetic repositories and PyPI projects, one of each per package."""
    now = datetime.now(timezone.utc)
    specs = []
    for index, row in enumerate(source_rows(count)):
        host = rng.choices([name for name, _ in HOSTS], [weight for _, weight in HOSTS])[0]
        contributors = [f"dev{rng.randrange(20000)}" for _ in range(max(1, int(rng.paretovariate(1.2))))][:250]
        active = rng.random() < 0.4
        commits = sorted(((now - timedelta(days=rng.uniform(0, 365 if active else 2000)),
                           rng.choice(contributors)) for _ in range(rng.randrange(1, 120))), reverse=True)
        specs.append({
            "slug": row["name"].lower(),
            "repo": {"host": host, "owner": f"owner{index % 997}", "name": row["name"], "id": 100000 + index,
                     "description": row.get("summary", "")[:200], "stars": int(rng.paretovariate(0.8) * 3),
                     "forks": rng.randrange(0, 50), "archived": rng.random() < 0.05, "contributors": contributors,
                     "commits": [(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), login) for moment, login in commits]},
            "project": {"name": row["name"], "version": row.get("version") or "1.0", "month": row.get("month", ""),
                        "summary": row.get("summary", ""), "releases": rng.randrange(1, 6)},
        })
    return specs


def start_fake(catalogue_file: Path, args) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.remote_hosts", "--catalogue", str(catalogue_file),
         "--latency", str(args.latency), "--github-limit", str(args.github_limit),
         "--github-window", str(args.github_window)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, json.loads(process.stdout.readline())


def fill_database(specs: list[dict]) -> list[int]:
    now = datetime.now(timezone.utc)
    db.session.execute(insert(Category), [{"id": 1, "title": "App", "slug": "apps", "title_plural": "Apps",
                                           "description": "", "show_pypi": True, "created": now, "modified": now}])
    rows = []
    for index, spec in enumerate(specs, start=1):
        repo = spec["repo"]
        rows.append({"id": index, "title": spec["slug"], "slug": spec["slug"], "category_id": 1,
                     "repo_url": f"https://{DOMAINS[repo['host']]}/{repo['owner']}/{repo['name']}",
                     "pypi_url": f"https://pypi.org/project/{spec['project']['name']}/", "created": now,
                     "modified": now, "participants": [], "commits_over_52": []})
    db.session.execute(insert(Package), rows)
    db.session.commit()
    return [row["id"] for row in rows]


def djangopackages_pattern() -> dict[str, int]:
    """Requests djangopackages.org's updater made for django/deps (31 contributors), from its cassettes."""
    counts = {}
    for name in ("test_github_fetch_metadata", "test_github_fetch_commits"):
        interactions = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())["interactions"]
        counts[name] = len(interactions)
        counts[name + "_rate_limit"] = sum(1 for item in interactions if item["request"]["uri"].endswith("/rate_limit"))
    return counts


def run(label: str, ids: list[int], workers: int, fake_url: str, github_packages: int) -> dict:
    before = requests.get(f"{fake_url}/_admin/stats").json()
    started = time.monotonic()
    summary = fetch_many(ids, workers=workers)
    wall = time.monotonic() - started
    after = requests.get(f"{fake_url}/_admin/stats").json()
    spent = {host: after["requests"].get(host, 0) - before["requests"].get(host, 0) for host in after["requests"]}
    not_modified = {host: after["not_modified"].get(host, 0) - before["not_modified"].get(host, 0)
                    for host in after["not_modified"]}
    counted = after["github_counted"] - before["github_counted"]
    total = sum(spent.values())
    print(f"\n== {label}")
    print(format_summary(summary, workers))
    print(f"wall time: {wall:.1f} s ({len(ids) / wall:.0f} packages/s)")
    print(f"requests per package: {total / len(ids):.2f} ({total} in all; by host: "
          + ", ".join(f"{host} {n} ({not_modified.get(host, 0)} × 304)" for host, n in sorted(spent.items()))
          + ")")
    print(f"GitHub quota-counted requests: {counted} ({counted / max(1, github_packages):.2f} per GitHub package); "
          f"quota left: {after['github_remaining']} of {after['github_limit']} in the current window")
    return {"wall": wall, "total": total, "counted": counted, "spent": spent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--github-limit", type=int, default=5000)
    parser.add_argument("--github-window", type=float, default=12.0)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder (emptied!)")
    parser.add_argument("--seed", type=int, default=2674)
    args = parser.parse_args()

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    specs = catalogue(args.packages, random.Random(args.seed))
    (workdir / "catalogue.json").write_text(json.dumps(specs))
    fake, settings = start_fake(workdir / "catalogue.json", args)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
                          **{key: value for key, value in settings.items() if key != "base_url"},
                          "FETCH_BACKOFF": 0.2, "FETCH_TIMEOUT": 10.0, "FETCH_MAX_QUOTA_WAIT": 3600.0})
        with app.app_context():
            db.drop_all()
            db.create_all()
            ids = fill_database(specs)
            by_host = {name: sum(1 for spec in specs if spec["repo"]["host"] == name) for name, _ in HOSTS}
            print(f"{len(ids)} packages ({', '.join(f'{host} {n}' for host, n in by_host.items())}), each with a "
                  f"PyPI project; {args.latency * 1000:.0f} ms added to every answer; GitHub quota "
                  f"{args.github_limit} per {args.github_window:.0f} s (a scaled-down hour); {args.workers} workers; "
                  f"database {db.engine.dialect.name}.")
            first = run("first run (nothing fetched yet)", ids, args.workers, settings["base_url"], by_host["github"])
            second = run("second run (nothing changed)", ids, args.workers, settings["base_url"], by_host["github"])
    finally:
        fake.terminate()
        fake.wait(10)

    pattern = djangopackages_pattern()
    github_specs = [spec for spec in specs if spec["repo"]["host"] == "github"]
    # djangopackages' pattern: GET /rate_limit, the repository, each contributors page and a GET /rate_limit
    # after every contributor; then GET /rate_limit, the repository and at least one page of commits.
    theirs = sum(2 + -(-len(spec["repo"]["contributors"]) // 100) + len(spec["repo"]["contributors"]) + 3
                 for spec in github_specs) / max(1, len(github_specs))
    print("\n== compared with djangopackages.org's updater (requests per GitHub package)")
    print(f"recorded for django/deps (31 contributors): {pattern['test_github_fetch_metadata']} requests to fetch "
          f"metadata ({pattern['test_github_fetch_metadata_rate_limit']} of them GET /rate_limit) + "
          f"{pattern['test_github_fetch_commits']} to fetch commits "
          f"({pattern['test_github_fetch_commits_rate_limit']} GET /rate_limit), every run: nothing is conditional.")
    print(f"its pattern on this catalogue: at least {theirs:.1f} requests per GitHub package every run, 4 or more "
          f"of them quota-counted (the repository twice, contributors, commits).")
    print(f"here: {first['spent'].get('github', 0) / max(1, len(github_specs)):.2f} per GitHub package on the first "
          f"run ({first['counted'] / max(1, len(github_specs)):.2f} quota-counted), "
          f"{second['spent'].get('github', 0) / max(1, len(github_specs)):.2f} on the second "
          f"({second['counted']} quota-counted in all: every answer a free 304); django/deps itself: 4, then 2 × 304.")
    print(f"\ntotal wall time of the benchmark: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
