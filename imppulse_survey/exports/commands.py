"""``flask imppulse microdata build`` and ``flask imppulse audit``: a release's microdata built ahead of the first
download (with a progress bar, for large waves), and the audit log read from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..campaigns import services as campaigns
from ..core.commands import committing, reading
from ..releases.services import current_release

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
microdata_cli = AppGroup("microdata", help="Analysts' microdata of releases.")
cli.add_command(microdata_cli)


@microdata_cli.command("build")
@click.argument("slug")
@click.argument("wave_label")
@committing
def microdata_build(slug, wave_label):
    """Build the microdata of a wave's current release now, rather than at its first download."""
    from .microdata import MicrodataRefused, microdata_set, responses_to_build

    campaign = campaigns.find_campaign(slug)
    release = current_release(campaigns.find_wave(campaign, wave_label))
    if release is None:
        raise click.ClickException(f"wave {wave_label} of {slug} has no release yet")
    with click.progressbar(length=responses_to_build(release), label="building microdata", file=sys.stderr) as bar:
        try:
            made = microdata_set(release, progress=bar.update)
        except MicrodataRefused as refused:
            raise click.ClickException(str(refused)) from None
    levels = ", ".join(f"{name} {'withheld' if name not in {v['name'] for v in made.variables} else level}"
                       for name, level in made.levels.items() if level)
    click.echo(f"{slug} {wave_label}: microdata of release {release.number}, {made.row_count} rows, "
               f"{len(made.variables)} variables" + (f"; coarsened: {levels}" if levels else ""))


@cli.command("audit")
@click.option("--city", "city_slug", default=None, help="Only this city's events.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@reading
def audit(city_slug, limit):
    """The latest changes and downloads: when, who, what, on what."""
    from ..accounts.audit import events

    city = campaigns.find_city(city_slug) if city_slug else None
    for event in events(city.id if city else None, limit):
        details = "; ".join(f"{name}: {value}" for name, value in event.details.items())
        click.echo(f"{event.at_dt:%Y-%m-%d %H:%M}  {event.actor:<30} {event.action:<22} {event.target}  {details}")
