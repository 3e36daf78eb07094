"""``flask imppulse purge`` and ``drafts …``: what is past its retention date goes."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.commands import committing
from .retention import purge as purge_expired

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
drafts_cli = AppGroup("drafts", help="Saved, unfinished questionnaires.")
cli.add_command(drafts_cli)


@cli.command("purge")
@committing
def purge():
    """Delete what is past its retention date: expired drafts, free texts and responses (run it daily)."""
    click.echo(f"removed {purge_expired()}")


@drafts_cli.command("purge")
@committing
def drafts_purge():
    """Delete drafts past their expiry date (`flask imppulse purge` does this and the rest)."""
    click.echo(f"{purge_expired(drafts_only=True).drafts} expired drafts deleted")
