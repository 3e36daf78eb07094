"""``flask imppulse users …``: staff accounts and their API tokens."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..campaigns import services as campaigns
from ..core.commands import committing, password_input, reading
from ..extensions import db
from .models import ApiToken, User
from .services import AccountError, change_password, create_user, issue_token, normalise_email, revoke_token

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
users_cli = AppGroup("users", help="Staff accounts and their API tokens.")
cli.add_command(users_cli)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "viewer", "analyst"]))
@click.option("--city", "city_slug", default=None, help="The user's city (every role but admin).")
@click.option("--password-stdin", "password", is_flag=True, callback=password_input,
              help="Read the password from standard input (otherwise it is asked for).")
@committing
def users_create(email, role, city_slug, password):
    """Create a staff user (prompts for the password unless --password-stdin)."""
    city = campaigns.find_city(city_slug) if city_slug else None
    user = create_user(email, password, role, city)
    click.echo(f"created {user.email} ({role}{', ' + city.slug if city else ''})")


@users_cli.command("token")
@click.argument("email")
@click.option("--label", default="cli", show_default=True)
@committing
def users_token(email, label):
    """Make a personal API token; it is printed once, on the last line."""
    token = issue_token(find_user(email), label)
    click.echo("Keep this token secret; it is shown only now:")
    click.echo(token)


@users_cli.command("tokens")
@click.argument("email")
@reading
def users_tokens(email):
    """List a user's API tokens (their ids, labels and dates; the tokens themselves are never stored)."""
    tokens = db.session.scalars(select(ApiToken).filter_by(user_id=find_user(email).id).order_by(ApiToken.id)).all()
    for token in tokens:
        click.echo(f"{token.id}\t{token.label}\tcreated {token.created_on}\t{'revoked' if token.is_revoked else 'active'}")
    if not tokens:
        click.echo(f"{email} has no API token")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
@committing
def users_revoke(email, token_id):
    """Revoke one of a user's API tokens (ids from `users tokens`); requests with it are refused at once."""
    revoke_token(find_user(email), token_id)
    click.echo(f"token {token_id} of {email} revoked")


@users_cli.command("password")
@click.argument("email")
@click.option("--password-stdin", "password", is_flag=True, callback=password_input,
              help="Read the new password from standard input (otherwise it is asked for).")
@committing
def users_password(email, password):
    """Set a user's password (prompts for it unless --password-stdin); every session of the user ends."""
    change_password(find_user(email), password)
    click.echo(f"password of {email} changed; every session of this user has ended")


def find_user(email: str):
    user = db.session.scalar(select(User).filter_by(email=normalise_email(email)))
    if user is None:
        raise AccountError(f"no user {email}")
    return user
