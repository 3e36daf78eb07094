"""``flask imppulse demo``: partner cities, the standard questionnaires, demo campaigns and simulated responses."""

from __future__ import annotations

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
    from .loader import load_demo  # the simulation is loaded by this command only, not by every worker

    summary = load_demo(seed=seed, progress=click.echo)
    click.echo(f"demo data ready: {summary.cities} cities, {summary.campaigns} campaigns, "
               f"{summary.new_responses} new responses ({summary.total_responses} in all)")
