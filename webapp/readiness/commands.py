"""``flask readiness refresh``: the release cycles of Django, Python and Wagtail from endoflife.date; also run by
every periodic refresh (the ``periodic_refresh`` signal of `flask fetch --every` and the RQ cron job)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.catalog.models import SupportProduct
from webapp.readiness.services import RefreshOutcome, endoflife_client, refresh_release_cycles
from webapp.signals import periodic_refresh
from webapp.transaction import commit, rollback

logger = logging.getLogger(__name__)


def refresh_and_commit(products=tuple(SupportProduct)) -> list[RefreshOutcome]:
    """Refresh the products' cycles in one unit of work and commit it."""
    client = endoflife_client(current_app.config)
    try:
        outcomes = refresh_release_cycles(client, products)
        commit()
    except Exception:
        rollback()
        raise
    finally:
        client.close()
    return outcomes


@click.group("readiness", help="Release cycles and upgrade readiness.")
def readiness_cli() -> None:
    pass


@readiness_cli.command("refresh")
@click.argument("products", nargs=-1, type=click.Choice([product.value for product in SupportProduct]))
@with_appcontext
def refresh_command(products) -> None:
    """Store the release cycles of Django, Python and Wagtail (or the PRODUCTS given) from ENDOFLIFE_URL.

    A product whose answer fails keeps the cycles stored before; the command then exits with status 1.
    """
    outcomes = refresh_and_commit([SupportProduct(product) for product in products] or tuple(SupportProduct))
    for outcome in outcomes:
        click.echo(outcome.line)
    if any(outcome.error for outcome in outcomes):
        raise click.exceptions.Exit(1)


def _on_periodic_refresh(_sender, **_extra) -> str | None:
    try:
        outcomes = refresh_and_commit()
    except Exception:  # the periodic refresh of packages goes on whatever happens here
        logger.exception("refreshing the release cycles failed")
        return "Release cycles: not refreshed (internal error, see the log)."
    return "Release cycles: " + "; ".join(outcome.line for outcome in outcomes) + "."


def connect_signals() -> None:
    """Refresh the release cycles on every periodic refresh."""
    periodic_refresh.connect(_on_periodic_refresh)


COMMANDS = [readiness_cli]
