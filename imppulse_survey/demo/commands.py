"""``flask imppulse demo``: partner cities, the standard questionnaires, demo campaigns and simulated responses."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..core.commands import committing

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)


@cli.command("demo")
@click.option("--seed", default=2026, show_default=True, help="Seed of the simulated answers.")
@committing
def demo(seed):
    """Load the partner cities, the standard questionnaires, demo campaigns and simulated responses."""
    from flask import current_app

    from .loader import expected_responses, load_demo  # the simulation: loaded by this command only
    from .logins import ensure_demo_logins

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("the demo is for development: it makes accounts with known passwords and keeps "
                                   "private keys in the instance folder, which production must never have")
    with click.progressbar(length=expected_responses(), label="simulated responses", file=sys.stderr) as bar:
        summary = load_demo(seed=seed, progress=bar.update)
    click.echo(f"demo data ready: {summary.cities} cities, {summary.campaigns} campaigns, "
               f"{summary.new_responses} new responses ({summary.total_responses} in all)")
    written = ensure_demo_logins()
    if written:
        click.echo(f"demo logins written to {written} (one account per role)")
