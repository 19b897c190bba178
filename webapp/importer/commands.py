"""``flask import-djangopackages --from URL``: bring a djangopackages site's data along."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.importer.djangopackages import Importer, Interrupted


@click.command("import-djangopackages")
@click.option("--from", "source", required=True, metavar="URL",
              help="The site or its API v4 root, e.g. https://djangopackages.org/api/v4/.")
@click.option("--page-size", default=100, show_default=True, type=click.IntRange(1, 1000),
              help="Objects asked for per page.")
@click.option("--timeout", type=float, default=None, help="Seconds to wait for each answer (default FETCH_TIMEOUT).")
@click.option("--retries", default=2, show_default=True, type=click.IntRange(0, 10),
              help="Extra attempts for a page that fails with a server error or a timeout.")
@click.option("--retry-wait", default=1.0, show_default=True, type=click.FloatRange(0, 60),
              help="Seconds between attempts (times the attempt number).")
@click.option("--state-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where the position is kept between runs (default instance/import-djangopackages.json).")
@click.option("--restart", is_flag=True, help="Ignore the position an interrupted run left and start over.")
@click.option("--max-pages", type=click.IntRange(1), default=None,
              help="The most pages read per kind of object (default: what the site's count needs, plus a few).")
@with_appcontext
def import_command(source: str, page_size: int, timeout: float | None, retries: int, retry_wait: float,
                   state_file: Path | None, restart: bool, max_pages: int | None) -> None:
    """Copy categories, packages and grids (with their packages) from a djangopackages-compatible API v4.

    Ids and slugs are kept. Running it again updates what changed and nothing else; a run that was
    interrupted continues where it stopped.
    """
    state_path = state_file or Path(current_app.instance_path) / "import-djangopackages.json"
    importer = Importer(
        source, timeout=timeout or current_app.config["FETCH_TIMEOUT"], retries=retries,
        retry_wait=retry_wait, page_size=page_size, state_path=state_path, restart=restart,
        progress=click.progressbar, echo=click.echo, max_pages=max_pages,
        deadline=current_app.config["FETCH_DEADLINE"],
        max_bytes=current_app.config["FETCH_MAX_BYTES"],
    )
    try:
        report = importer.run()
    except Interrupted as exc:
        raise click.ClickException(f"Nothing imported: {exc}") from exc
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted. Run the same command again to continue from where it stopped "
                   f"(position kept in {state_path}).", err=True)
        raise SystemExit(130) from None
    click.echo(f"Imported from {source}:")
    for line in report.summary_lines():
        click.echo(f"  {line}")
    if report.problems:
        click.echo(f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} "
                   "(the affected items were skipped):")
        for problem in report.problems:
            click.echo(f"  - {problem}")
    else:
        click.echo("No problems.")


COMMANDS = [import_command]
