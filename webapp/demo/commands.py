"""``flask demo load``: fill an empty database with the demo catalogue."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from webapp.demo.loader import is_empty, load_demo
from webapp.transaction import commit


@click.group("demo", help="Demo data.")
def demo_cli() -> None:
    pass


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has packages.")
@with_appcontext
def load_command(if_empty: bool) -> None:
    """Load categories, packages, grids, users and usage for a demo site."""
    if not is_empty():
        if if_empty:
            click.echo("The database already has packages; demo data not loaded.")
            return
        raise click.ClickException("The database already has packages. Use an empty database for the demo.")
    created = load_demo()
    commit()
    click.echo("Demo data loaded: " + ", ".join(f"{count} {name}" for name, count in created.items()) + ".")
    click.echo("Repository statistics are illustrative until `flask fetch --all` runs.")
