"""``flask fetch``: refresh packages in-process (threads) or queue them for RQ workers."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.config import parse_duration
from webapp.db_types import utcnow
from webapp.fetch import queries
from webapp.fetch.services import RunSummary, fetch_many
from webapp.fetch_status import FetchStatus
from webapp.signals import answers, periodic_refresh


def _duration_option(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("fetch")
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_packages", is_flag=True, help="Every listed package, however recently fetched.")
@click.option("--stale-after", callback=_duration_option, metavar="DURATION",
              help="Without SLUGs or --all: packages not fetched for this long (default FETCH_STALE_AFTER, 24h).")
@click.option("--workers", type=click.IntRange(1, 64), help="Threads fetching at once (default FETCH_WORKERS, 8).")
@click.option("--enqueue", is_flag=True, help="Queue one RQ job per package on REDIS_URL; `rq worker fetch` runs them.")
@click.option("--every", callback=_duration_option, metavar="DURATION",
              help="Periodic refresh: run again and again, waiting this long in between (e.g. 6h); each run also "
                   "refreshes the release cycles.")
@click.option("--times", type=click.IntRange(1), help="With --every: stop after this many runs.")
@with_appcontext
def fetch_command(slugs, all_packages, stale_after, workers, enqueue, every, times):
    """Refresh repository and PyPI data of packages (by default those not fetched for 24 hours)."""
    if slugs and all_packages:
        raise click.UsageError("Give package slugs or --all, not both.")
    if times and not every:
        raise click.UsageError("--times goes with --every.")
    if every is not None and every.total_seconds() <= 0:
        raise click.BadParameter("must be longer than 0s", param_hint="--every")
    if enqueue and not current_app.config["REDIS_URL"]:
        raise click.UsageError("--enqueue needs REDIS_URL (for example redis://127.0.0.1:6379/0).")
    config = current_app.config
    stale_after = stale_after or config["FETCH_STALE_AFTER"]
    workers = workers or config["FETCH_WORKERS"]
    runs = 0
    while True:
        package_ids = _select(slugs, all_packages, stale_after)
        if enqueue:
            from webapp.fetch.jobs import enqueue_many

            queued = enqueue_many(package_ids)
            click.echo(f"Queued {queued} fetch job{'s' if queued != 1 else ''} on the “fetch” queue; "
                       "`rq worker --url \"$REDIS_URL\" --with-scheduler fetch` runs them.")
        else:
            _run_in_process(package_ids, workers)
        if every is not None:
            # What other domains keep from elsewhere (the release cycles) is refreshed with every periodic run.
            for line in answers(periodic_refresh):
                click.echo(line)
        runs += 1
        if every is None or (times and runs >= times):
            return
        click.echo(f"Next run in {every}.")
        time.sleep(every.total_seconds())


def _select(slugs: tuple[str, ...], all_packages: bool, stale_after: timedelta) -> list[int]:
    if slugs:
        package_ids, unknown = queries.package_ids_by_slug(list(slugs))
        if unknown:
            raise click.BadParameter(f"no package with slug {', '.join(unknown)}", param_hint="SLUGS")
        return package_ids
    if all_packages:
        return queries.all_package_ids()
    return queries.stale_package_ids(utcnow() - stale_after)


def _run_in_process(package_ids: list[int], workers: int) -> None:
    if not package_ids:
        click.echo("Nothing to fetch: every package is fresh.")
        return
    with click.progressbar(length=len(package_ids), label="Fetching", file=sys.stderr,
                           show_pos=True) as bar:
        summary = fetch_many(package_ids, workers=workers, on_done=lambda outcome: bar.update(1))
    click.echo(format_summary(summary, workers))


def format_summary(summary: RunSummary, workers: int) -> str:
    """The closing lines of a run: outcomes, requests spent per host, quota left, failures."""
    total = len(summary.outcomes)
    nothing = summary.count(FetchStatus.NOTHING_TO_FETCH)
    lines = [
        f"Fetched {total} package{'s' if total != 1 else ''} in {summary.seconds:.1f} s with {workers} "
        f"worker{'s' if workers != 1 else ''}: {summary.count(FetchStatus.UPDATED)} updated, "
        f"{summary.count(FetchStatus.UNCHANGED)} unchanged, {summary.count(FetchStatus.FAILED)} failed, "
        f"{summary.count(FetchStatus.QUOTA)} skipped for quota"
        + (f", {nothing} with nothing to fetch." if nothing else "."),
    ]
    per_host = []
    for host, stats in summary.stats.hosts.items():
        if stats.requests:
            detail = f"{host} {stats.requests}"
            if stats.not_modified:
                detail += f" ({stats.not_modified} answered 304 Not Modified)"
            per_host.append(detail)
    lines.append(f"Requests spent: {summary.stats.requests}" + (f" — {', '.join(per_host)}." if per_host else "."))
    quota = []
    for host, remaining in summary.stats.quota_remaining.items():
        if remaining is not None:
            reset = summary.stats.quota_reset.get(host)
            when = time.strftime(" (resets %H:%M UTC)", time.gmtime(reset)) if reset else ""
            quota.append(f"{host} {remaining}{when}")
    if quota:
        lines.append("Quota left: " + ", ".join(quota) + ".")
    paused = [f"{host} {stats.paused:.1f} s" for host, stats in summary.stats.hosts.items() if stats.paused]
    if paused:
        lines.append("Paused for spent quota (instead of failing): " + ", ".join(paused) + ".")
    failures = summary.failures
    if failures:
        lines.append("Failed:")
        lines.extend(f"  {outcome.slug or outcome.package_id}: {'; '.join(outcome.errors)}"
                     for outcome in failures[:20])
        if len(failures) > 20:
            lines.append(f"  … and {len(failures) - 20} more (see each package's page).")
    return "\n".join(lines)


COMMANDS = [fetch_command]
