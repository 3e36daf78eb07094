"""``flask imppulse weights …``: weighting a wave to its population margins."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..campaigns import services as campaigns
from ..campaigns.services import CampaignError
from ..core.commands import committing
from .raking import WeightingError, read_margins
from .services import rake_wave

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
weights_cli = AppGroup("weights", help="Weighting campaigns to population margins.")
cli.add_command(weights_cli)
MAX_MARGINS_CHARACTERS = 1024 * 1024


@weights_cli.command("rake")
@click.argument("slug")
@click.option("--wave", "wave_label", default=None, help="The wave to weight (default: the latest).")
@click.option("--margins", "margins_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with dimension,category,population (dimensions: age_band, gender, district).")
@click.option("--trim", default="0.2,5", show_default=True, help="Lowest and highest weight, relative to the mean.")
@committing
def weights_rake(slug, wave_label, margins_path, trim):
    """Rake one wave's responses to its population margins, as a new weight set (releases made before keep theirs;
    reissue them to use it)."""
    try:
        low, high = (float(part) for part in trim.split(","))
    except ValueError:
        raise click.BadParameter("--trim takes two numbers, e.g. 0.2,5") from None
    if not 0 < low < 1 < high:
        raise click.BadParameter("--trim needs 0 < low < 1 < high")
    campaign = campaigns.find_campaign(slug)
    wave = campaigns.find_wave(campaign, wave_label)
    try:
        with open(margins_path, encoding="utf-8") as handle:
            text = handle.read(MAX_MARGINS_CHARACTERS + 1)  # /dev/zero, or a huge file, must not be read whole
    except (OSError, UnicodeDecodeError) as error:
        raise CampaignError(f"cannot read {margins_path}: {getattr(error, 'strerror', None) or 'not UTF-8 text'}")
    if len(text) > MAX_MARGINS_CHARACTERS:
        raise CampaignError(f"{margins_path} is larger than {MAX_MARGINS_CHARACTERS // 1024} KB: it is not a margins file")
    try:
        report = rake_wave(campaign, wave, read_margins(text), (low, high))
    except WeightingError as error:
        raise CampaignError(str(error)) from None
    made = report.weight_set
    click.echo(f"{slug} wave {wave.label}: weight set #{made.number}, {report.respondents} responses in "
               f"{report.groups} weighting classes, weights {report.smallest:.3f}–{report.largest:.3f}, "
               f"design effect {made.design_effect:.3f}, margins met within {made.largest_margin_gap:.2f} points")
