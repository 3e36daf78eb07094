"""``flask imppulse indicators …``: the indicator summaries that figures are read from."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..campaigns import services as campaigns
from ..campaigns.models import Campaign
from ..core.commands import committing
from ..extensions import db
from ..responses.summaries import rebuild_campaign_summaries

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
indicators_cli = AppGroup("indicators", help="Indicator summaries.")
cli.add_command(indicators_cli)


@indicators_cli.command("rebuild")
@click.argument("slugs", nargs=-1)
@committing
def indicators_rebuild(slugs):
    """Recompute indicator summaries from the answers (every campaign, or those named), e.g. after a bulk load."""
    chosen = [campaigns.find_campaign(slug) for slug in slugs] or db.session.scalars(
        select(Campaign).order_by(Campaign.id)).all()
    rebuilt = []
    with click.progressbar(chosen, label="rebuilding summaries", file=sys.stderr,
                           item_show_func=lambda campaign: campaign.slug if campaign else None) as bar:
        for campaign in bar:
            rebuild_campaign_summaries(campaign)
            rebuilt.append(campaign.slug)
    for slug in rebuilt:
        click.echo(f"{slug}: summaries rebuilt")
