"""Load benchmark: the site under gunicorn next to a Flask "hello" floor, page by page, then all at once.

    python bench/load.py [--packages 5000] [--grids 400] [--grid-size 20] [--features 25]
                         [--duration 60] [--connections 64] [--database-url URL] [--quick]

1. Builds the catalogue with bulk inserts (bench/dataset.py): by default 5,000 packages and 400 grids of
   20 packages x 25 features (200,000 cells), in a temporary SQLite file, or in --database-url (emptied!).
2. Counts each page's SQL queries in-process (one first request, one repeat).
3. Starts the site (``gunicorn 'webapp:create_app()'``) and the floor (bench/floor_app.py) with the same
   gunicorn setting: 3 sync workers each, on free 127.0.0.1 ports, anonymous requests only.
4. Cold: right after the start, each page kind is asked for distinct URLs (other packages, grids, search
   terms, API offsets) once each, so nothing has been computed for them before.
   Warm: one URL per page, asked again and again for --warm-duration seconds at --warm-connections.
   Each page's req/s is shown as a share of the floor's, measured by the same load generator in the same run:
   the machine may be shared and busy, so the absolute numbers move between runs; the shares move much less.
5. All pages at once at --connections for --duration seconds: requests, errors and p50/p99 per page.

The load generator is wrk (``/usr/bin/wrk``, Debian's ``wrk`` package) when present, else a bounded Python one
(threads and http.client; ``--generator python`` forces it). Cold runs always use the Python one: they are a
fixed list of URLs, each asked once. Every run is bounded in time and in requests, and targets 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.dataset import Dataset, build  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

WORKERS = 3
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
MAX_REQUESTS = 2_000_000  # per run: a bound on every loop, far above what a run reaches in its time
PAGES = ["home", "category", "package", "grid", "search", "api-v4-package", "api-v4-list"]
# The server's environment: nothing remote, no throttles, no Redis, a fixed secret (nothing written to instance/).
SERVER_ENV = {
    "SECRET_KEY": "bench-load-secret",
    "REDIS_URL": "",
    "FETCH_NEW_PACKAGES": "off",
    "API_RATE_LIMIT": "0",
    "RATELIMIT_ENABLED": "0",
    "GITHUB_CLIENT_ID": "",
    "GITHUB_CLIENT_SECRET": "",
    **{key: "http://127.0.0.1:9" for key in ("GITHUB_API_URL", "GITLAB_API_URL", "BITBUCKET_API_URL",
                                             "CODEBERG_API_URL", "PYPI_URL", "GITHUB_OAUTH_URL")},
}
QUICK = {"packages": 60, "grids": 6, "grid_size": 5, "features": 4, "duration": 2.0, "connections": 8,
         "warm_duration": 1.0, "cold_requests": 5}
DEFAULTS = {"packages": 5000, "grids": 400, "grid_size": 20, "features": 25, "duration": 60.0, "connections": 64,
            "warm_duration": 10.0, "cold_requests": 100}


# -- the pages --------------------------------------------------------------------------------------------------


@dataclass
class Page:
    """One kind of page: the URL the warm runs ask for, and distinct URLs of the same kind for the cold run."""

    name: str
    url: str
    cold_urls: list[str]


def search_terms(slugs: Sequence[str]) -> list[str]:
    """Words of package names, most common first (a search that finds something)."""
    words = collections.Counter(word for slug in slugs for word in slug.split("-")
                                if len(word) >= 4 and word.isalpha() and word != "django")
    return [word for word, _ in words.most_common()] or ["package"]


def pages_of(dataset: Dataset, cold_requests: int, per_page: int = 30) -> list[Page]:
    """Real URLs of the dataset for each page of PAGES."""
    packages = dataset.packages
    middle = len(packages) // 2
    others = [slug for slug in packages if slug != packages[middle]][:cold_requests]
    terms = search_terms(packages)
    category_pages = max(1, len(packages) // len(dataset.categories) // per_page)
    return [
        # One URL: its cold row is the first requests after the start, about one per worker.
        Page("home", "/", ["/"] * WORKERS),
        Page("category", f"/categories/{dataset.categories[0]}/",
             [f"/categories/{slug}/?page={n}" for n in range(2, category_pages + 2)
              for slug in dataset.categories][:cold_requests]),
        Page("package", f"/packages/p/{packages[middle]}/", [f"/packages/p/{slug}/" for slug in others]),
        Page("grid", f"/grids/g/{dataset.grids[0]}/", [f"/grids/g/{slug}/" for slug in dataset.grids[1:]]
             [:cold_requests]),
        Page("search", f"/search/?q={terms[0]}", [f"/search/?q={term}" for term in terms[1:cold_requests + 1]]),
        Page("api-v4-package", f"/api/v4/packages/{packages[middle]}/",
             [f"/api/v4/packages/{slug}/" for slug in others]),
        Page("api-v4-list", "/api/v4/packages/",
             [f"/api/v4/packages/?offset={20 * n}" for n in range(1, min(cold_requests, len(packages) // 20) + 1)]),
    ]


def count_queries(app, pages: list[Page]) -> dict[str, tuple[int, int]]:
    """SQL statements of a first request and of a repeat, per page, in-process (a fresh app: empty caches)."""
    statements: list[str] = []
    counts = {}
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client = app.test_client()
            for page in pages:
                found = []
                for _ in range(2):
                    statements.clear()
                    response = client.get(page.url)
                    if response.status_code != 200:
                        raise SystemExit(f"{page.url} answered {response.status_code}, not 200")
                    found.append(len(statements))
                counts[page.name] = (found[0], found[1])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
            db.session.remove()
            db.engine.dispose()
    return counts


# -- servers ----------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A gunicorn process on 127.0.0.1."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def gunicorn_command(app_spec: str, port: int, chdir: Path) -> list[str]:
    """The same setting for the site and the floor: sync workers, the app loaded before the fork."""
    return [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "sync",
            "--bind", f"{HOST}:{port}", "--chdir", str(chdir), "--preload", "--timeout", "60",
            "--config", "python:webapp.gunicorn_conf",
            "--graceful-timeout", "2", "--log-level", "warning", app_spec]


@contextmanager
def serve(name: str, app_spec: str, chdir: Path, env: dict[str, str], ready_path: str) -> Iterator[Server]:
    """Run gunicorn until the block ends; waits until ``ready_path`` answers."""
    port = free_port()
    log_file = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
    log_file.close()
    log_path = Path(log_file.name)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(gunicorn_command(app_spec, port, chdir), cwd=chdir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    server = Server(name, port, process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn ({name}) exited with {process.returncode}:\n{server.log()}")
            try:
                fetch(port, ready_path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"gunicorn ({name}) did not answer in {START_TIMEOUT:.0f} s:\n{server.log()}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log_path.unlink(missing_ok=True)


def fetch(port: int, path: str) -> tuple[int, bytes]:
    """One GET on 127.0.0.1: status and body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# -- load generators --------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One run of one page."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def settle(self) -> Result:
        """p50 and p99 from the latencies collected."""
        if self.latencies:
            ordered = sorted(self.latencies)
            self.p50_ms = statistics.median(ordered) * 1000
            self.p99_ms = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        return self


def python_load(port: int, targets: Sequence[Sequence[str]], connections: int, duration: float, *,
                once: bool = False, max_requests: int = MAX_REQUESTS) -> list[Result]:
    """Threads with http.client, one per connection (at least one per target); connection ``i`` asks for
    the URLs of ``targets[i % len(targets)]`` in turn, each target its own result. ``once``: each URL of a
    target is asked exactly once, over all its connections.
    Stops at ``duration`` seconds or ``max_requests`` requests, whichever comes first."""
    results = [Result() for _ in targets]
    lock = threading.Lock()
    queues = [collections.deque(urls) for urls in targets]
    issued = [0]
    deadline = time.monotonic() + duration

    def next_url(index: int, position: int) -> str | None:
        with lock:
            if issued[0] >= max_requests or time.monotonic() >= deadline:
                return None
            if once:
                if not queues[index]:
                    return None
                url = queues[index].popleft()
            else:
                urls = targets[index]
                url = urls[position % len(urls)]
            issued[0] += 1
            return url

    def worker(index: int, connections_before: int) -> None:
        result = results[index]
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        position = connections_before
        while (url := next_url(index, position)) is not None:
            position += 1
            start = time.perf_counter()
            try:
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            elapsed = time.perf_counter() - start
            with lock:
                result.requests += 1
                result.latencies.append(elapsed)
                if not ok:
                    result.errors += 1
        connection.close()

    threads = []
    for number in range(max(connections, len(targets))):
        index = number % len(targets)
        threads.append(threading.Thread(target=worker, args=(index, number // len(targets)), daemon=True))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for result in results:
        result.seconds = seconds
        result.settle()
    return results


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_load(port: int, path: str, connections: int, duration: float) -> Result:
    """One wrk run on one URL (its own time bound and a timeout around it)."""
    threads = max(1, min(2, connections))
    seconds = max(1, round(duration))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", f"{REQUEST_TIMEOUT:.0f}s",
               "--latency", f"http://{HOST}:{port}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Result:
    """Requests, errors (socket errors and non-2xx/3xx answers), duration, p50 and p99 from wrk's report."""
    result = Result()
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    if not done:
        raise SystemExit(f"wrk's report has no request count:\n{output}")
    result.requests = int(done.group(1))
    result.seconds = float(done.group(2)) * UNITS[done.group(3)] / 1000
    for percent, attribute in (("50", "p50_ms"), ("99", "p99_ms")):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if match:
            setattr(result, attribute, float(match.group(1)) * UNITS[match.group(2)])
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if sockets:
        result.errors += sum(int(n) for n in sockets.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        result.errors += int(non_2xx.group(1))
    return result


class Generator:
    """wrk or the Python generator, same interface."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def describe(self, connections: int, duration: float) -> str:
        if self.kind == "wrk":
            return f"wrk -t{max(1, min(2, connections))} -c{connections} -d{max(1, round(duration))}s"
        return f"Python generator, {connections} threads, {duration:g} s"

    def one(self, port: int, path: str, connections: int, duration: float) -> Result:
        if self.kind == "wrk":
            return wrk_load(port, path, connections, duration)
        return python_load(port, [[path]], connections, duration)[0]

    def many(self, port: int, paths: Sequence[str], connections: int, duration: float) -> list[Result]:
        """All ``paths`` at once, ``connections`` shared out between them."""
        if self.kind == "python":
            return python_load(port, [[path] for path in paths], connections, duration)
        shares = [connections // len(paths) + (1 if n < connections % len(paths) else 0) for n in range(len(paths))]
        seconds = max(1, round(duration))
        processes = [subprocess.Popen(
            ["wrk", "-t1", f"-c{max(1, share)}", f"-d{seconds}s", "--timeout", f"{REQUEST_TIMEOUT:.0f}s", "--latency",
             f"http://{HOST}:{port}{path}"], stdout=subprocess.PIPE, text=True)
            for path, share in zip(paths, shares, strict=True)]
        return [parse_wrk(process.communicate(timeout=seconds + 60)[0]) for process in processes]


# -- the run ----------------------------------------------------------------------------------------------------


def warm_up(port: int, path: str, times: int) -> int:
    """Ask for ``path`` ``times`` times (every worker gets it at least once); the body size."""
    size = 0
    for _ in range(times):
        status, body = fetch(port, path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}, not 200")
        size = len(body)
    return size


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=int, help=f"packages (default {DEFAULTS['packages']:,})")
    parser.add_argument("--grids", type=int, help=f"grids (default {DEFAULTS['grids']})")
    parser.add_argument("--grid-size", type=int, help=f"packages per grid (default {DEFAULTS['grid_size']})")
    parser.add_argument("--features", type=int, help=f"features per grid (default {DEFAULTS['features']})")
    parser.add_argument("--duration", type=float, help="seconds of the all-pages run (default 60)")
    parser.add_argument("--connections", type=int, help="connections of the all-pages run (default 64)")
    parser.add_argument("--warm-duration", type=float, help="seconds of each warm run (default 10)")
    parser.add_argument("--warm-connections", type=int, default=6, help="connections of each warm run (default 6)")
    parser.add_argument("--cold-requests", type=int, help="distinct URLs per page in the cold run (default 100)")
    parser.add_argument("--database-url", default="", help="a database to fill (EMPTIED); default a temporary "
                                                           "SQLite file")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk when /usr/bin/wrk or wrk on PATH exists (auto), or the Python one")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and short runs: a smoke test")
    args = parser.parse_args(argv)
    for name, default in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.generator == "auto":
        args.generator = "wrk" if shutil.which("wrk") else "python"
    elif args.generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --generator python")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.update(SERVER_ENV)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    import webapp

    print(f"Serving {Path(webapp.__file__).parent} with {WORKERS} gunicorn sync workers; "
          f"{os.cpu_count()} CPUs on this machine.")
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        grids = [(f"grid-{n}", args.grid_size, args.features) for n in range(1, args.grids + 1)]
        dataset = build(args.packages, grids)
        print(f"Built {args.packages:,} packages, {args.grids:,} grids of {args.grid_size} packages x "
              f"{args.features} features ({dataset.cells:,} cells) in {time.perf_counter() - started:.1f} s "
              f"on {db.engine.dialect.name}.")
        db.session.remove()
    pages = pages_of(dataset, args.cold_requests)
    queries = count_queries(app, pages)
    generator = Generator(args.generator)
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": url, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    with (serve("floor", "floor_app:app", ROOT / "bench", env, "/") as floor,
          serve("site", "webapp:create_app()", ROOT, env, "/accounts/login/") as site):
        # Cold: the servers have just started. Each page's warm URL is served first (templates compiled), then
        # other URLs of the kind, never asked before, once each; home has no other URL, so it goes first.
        python = Generator("python")
        cold_floor = python.one(floor.port, "/", args.warm_connections, min(args.warm_duration, 5))
        cold = {pages[0].name: python_load(site.port, [pages[0].cold_urls], WORKERS, 60, once=True)[0]}
        sizes = {page.name: warm_up(site.port, page.url, WORKERS * 3) for page in pages}
        for page in pages[1:]:
            cold[page.name] = python_load(site.port, [page.cold_urls], args.warm_connections, 60, once=True)[0]
        warm_up(floor.port, "/", WORKERS * 3)
        floor_before = generator.one(floor.port, "/", args.warm_connections, args.warm_duration)
        warm = {page.name: generator.one(site.port, page.url, args.warm_connections, args.warm_duration)
                for page in pages}
        floor_after = generator.one(floor.port, "/", args.warm_connections, args.warm_duration)
        mixed = generator.many(site.port, [page.url for page in pages], args.connections, args.duration)
    floor_rate = (floor_before.rate + floor_after.rate) / 2
    report(args, generator, pages, queries, sizes, cold, cold_floor, warm, floor_before, floor_after, floor_rate,
           mixed)
    if not args.database_url:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(args, generator, pages, queries, sizes, cold, cold_floor, warm, floor_before, floor_after, floor_rate,
           mixed) -> None:
    header = (f"{'page':15} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8} {'bytes':>9} {'queries':>8} "
              f"{'floor %':>8} {'errors':>7}  url")
    print()
    print("The machine may be shared and busy: absolute numbers move between runs. The floor (a Flask \"hello\" "
          "under the same gunicorn setting) is measured in the same run, and each page's share of it is the "
          "number to compare.")
    print()
    print(f"WARM, anonymous ({generator.describe(args.warm_connections, args.warm_duration)} per page, after "
          f"{WORKERS * 3} requests of each). Floor: {floor_before.rate:,.0f} req/s before the pages, "
          f"{floor_after.rate:,.0f} after, p50 {floor_before.p50_ms:.1f} ms, p99 {floor_before.p99_ms:.1f} ms "
          f"({floor_before.p99_ms / max(floor_before.p50_ms, 0.001):.1f}x). Queries: first request/repeat, "
          "in-process. p99/p50: each page's tail (goal: at most 3x).")
    print(header)
    for page in pages:
        result = warm[page.name]
        first, repeat = queries[page.name]
        print(f"{page.name:15} {result.rate:8.1f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
              f"{result.p99_ms / max(result.p50_ms, 0.001):7.1f}x {sizes[page.name]:9,d} "
              f"{f'{first}/{repeat}':>8} {100 * result.rate / floor_rate:7.1f}% {result.errors:7d}  {page.url}")
    print()
    print(f"COLD, anonymous (Python generator, {args.warm_connections} threads, just after the start: each of "
          f"up to {args.cold_requests} distinct URLs of the kind asked once). Floor with the same generator: "
          f"{cold_floor.rate:,.0f} req/s.")
    print(header.replace("  url", "  urls"))
    for page in pages:
        result = cold[page.name]
        print(f"{page.name:15} {result.rate:8.1f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
              f"{result.p99_ms / max(result.p50_ms, 0.001):7.1f}x {'':>9} "
              f"{queries[page.name][0]:8d} {100 * result.rate / cold_floor.rate:7.1f}% {result.errors:7d}  "
              f"{result.requests} ({page.cold_urls[0]} ...)")
    print()
    print(f"ALL PAGES AT ONCE, {args.connections} connections for {args.duration:g} s "
          f"({'one wrk -t1 per page, the connections shared out' if generator.kind == 'wrk' else 'Python generator'})."
          " Goal: zero errors, every p99 under 1 s.")
    print(f"{'page':15} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for page, result in zip(pages, mixed, strict=True):
        print(f"{page.name:15} {result.requests:9d} {result.rate:8.1f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
              f"{result.errors:7d}")
    total_errors = sum(result.errors for result in mixed)
    worst = max(pages, key=lambda page: mixed[pages.index(page)].p99_ms)
    print(f"errors: {total_errors}; worst p99: {worst.name} {mixed[pages.index(worst)].p99_ms:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
