"""``flask create-user NAME --password PW [--email E] [--staff]`` and ``flask set-password NAME``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from webapp.accounts import queries, services
from webapp.transaction import commit


@click.command("create-user")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help=f"At least {services.PASSWORD_MIN} characters (asked for when left out).")
@click.option("--email", default="", help="Email address (optional).")
@click.option("--staff", is_flag=True, help="Make the account staff: may delete, moderate and lock grids.")
@with_appcontext
def create_user_command(username: str, password: str, email: str, staff: bool) -> None:
    """Create a local account that signs in with a password."""
    if queries.username_taken(username.strip()):
        raise click.ClickException(f"A user called {username.strip()} already exists.")
    try:
        user = services.create_local_user(username, password, email, is_staff=staff)
    except services.AccountError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from error
    commit()
    click.echo(f"Created {'staff ' if user.is_staff else ''}user {user.username} (id {user.id}).")


@click.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help=f"At least {services.PASSWORD_MIN} characters (asked for when left out).")
@with_appcontext
def set_password_command(username: str, password: str) -> None:
    """Give an account a new password; it is signed out everywhere."""
    user = queries.user_by_username(username.strip())
    if user is None:
        raise click.ClickException(f"There is nobody called {username.strip()}.")
    try:
        services.set_password(user, password)
    except services.AccountError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from error
    commit()
    click.echo(f"New password set for {user.username}; every session of the account has ended.")


COMMANDS = [create_user_command, set_password_command]
