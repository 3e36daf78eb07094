"""``flask imppulse release``, ``releases`` and ``declare …``: the only way figures leave, and what they cover."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..campaigns import services as campaigns
from ..campaigns.services import CampaignError
from ..core.commands import committing, private_key_input, reading
from ..extensions import db
from .declarations import declare_district_group, declare_pooling
from .services import FIRST_RELEASE, ReleaseRefused, cell_count, list_releases, make_release, needs_private_key, release

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
declare_cli = AppGroup("declare", help="Declare, before the figures are seen, the extra cells releases publish.")
cli.add_command(declare_cli)


@cli.command("release")
@click.argument("slug")
@click.argument("wave_label")
@click.option("--reissue", "reason", default=None, help="Reissue a released wave; say why (new weights, a correction).")
def release_command(slug, wave_label, reason):
    """Release a closed wave's figures: the fixed set of tables, suppressed over all of them together. An officer
    wave's sealed answers are opened first, with the wave's private key on standard input (or typed when asked).
    Nothing is released if fewer answers than the threshold are sealed."""
    # not under committing: the release service commits its own steps, and takes the write lock only after the
    # private key has been read
    try:
        campaign = campaigns.find_campaign(slug)
        wave = campaigns.find_wave(campaign, wave_label)
        private_key = private_key_input(wave_label) if needs_private_key(campaign, wave) else None
        outcome = release(campaign, wave, private_key, reason or FIRST_RELEASE)
    except (CampaignError, ReleaseRefused) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if outcome.unsealed:
        report = outcome.unsealed
        withheld = ", ".join(f"{name} of {count}" for name, count in sorted(report.withheld.items()))
        click.echo(f"{slug} {wave_label}: {report.released} sealed answers opened"
                   + (f"; {report.unreadable} sealed rows could not be read and were dropped" if report.unreadable
                      else "")
                   + (f"; withheld as too rare: {withheld}" if withheld else ""))
    made = outcome.release
    click.echo(f"{slug} {wave_label}: release {made.number} made ({cell_count(made)} cells"
               + (f"; {made.reason}" if made.number > 1 else "") + ")")


@declare_cli.command("pooled")
@click.argument("slug")
@click.argument("label")
@click.option("--waves", required=True, help="The waves it covers, comma-separated (two or more).")
@click.option("--reissue", "reason", default=None,
              help="Some of the waves are released already: say why it is declared now (the last is reissued).")
@committing
def declare_pooled(slug, label, waves, reason):
    """Declare a pooled period: figures over several waves, released with the last of them."""
    campaign = campaigns.find_campaign(slug)
    chosen = [campaigns.find_wave(campaign, name.strip()) for name in waves.split(",") if name.strip()]
    _declared(campaign, *declare_pooling(campaign, label, chosen, reason), reason)


@declare_cli.command("group")
@click.argument("slug")
@click.argument("label")
@click.option("--districts", required=True, help="District codes, comma-separated.")
@click.option("--reissue", "reason", default=None,
              help="The campaign has releases already: say why the group is declared now (they are reissued).")
@committing
def declare_group(slug, label, districts, reason):
    """Declare a district group (a pilot's districts, its comparison districts), published as one cell."""
    campaign = campaigns.find_campaign(slug)
    try:
        codes = [int(code) for code in districts.split(",") if code.strip()]
    except ValueError:
        raise click.BadParameter("--districts takes district codes, e.g. 3,7,12") from None
    _declared(campaign, *declare_district_group(campaign, label, codes, reason), reason)


def _declared(campaign, declared, to_reissue, reason) -> None:
    for wave in to_reissue:
        made = make_release(campaign, wave, reason)
        click.echo(f"{campaign.slug} {wave.label}: release {made.number} made ({reason})")
    click.echo(f"{campaign.slug}: {declared.label} declared")


@cli.command("releases")
@click.argument("slug")
@reading
def releases_command(slug):
    """List a campaign's releases: wave, number, date, reason, threshold, and which is current."""
    for made in list_releases(campaigns.find_campaign(slug)):
        click.echo(f"{made.wave.label:<16} #{made.number:<3} {made.made_dt:%Y-%m-%d %H:%M}  threshold {made.threshold}"
                   f"  {'current' if made.is_current else 'replaced'}  {made.reason}")
