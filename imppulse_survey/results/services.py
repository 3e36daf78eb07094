"""Publishing a wave's results to everyone, and the public figures of what a city published.

A city publishes a wave, not a release: the public page, its JSON and its CSV always show the wave's current
release, so a reissue is published as soon as it is made, and withdrawing the wave hides every release of it.
What is published is the release's whole set of tables (never a chosen subset, which could be picked to flatter),
with the cell-key noise of public outputs (``releases/noise.py``): these figures can be read by anyone, including
someone who planted answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from sqlalchemy import case, exists, select

from ..campaigns.models import Campaign, City, Wave
from ..campaigns.texts import campaign_texts
from ..core.models import utcnow
from ..exports.aggregates import category_labels
from ..extensions import db
from ..questionnaires.published import published_definition
from ..releases.cells import campaign_tables
from ..releases.figures import indicator_tables, remembered
from ..releases.models import Release, ReleaseCell
from ..releases.services import current_release
from ..releases.tables import Table, parse_table, table_name
from .models import Publication

TOTAL = "total"


class PublicationRefused(ValueError):
    """A wave that cannot be published; the message says why, and nothing has changed."""


@dataclass(frozen=True)
class PublishedWave:
    """One published wave as the public outputs show it: its current release and every table of it."""

    campaign: Campaign
    wave: Wave
    release: Release
    published_dt: dt.datetime
    #: the questionnaire's title, in the language asked for
    title: str
    #: residents' figures are weighted, officers' are not (a census of a force, no frame to weight to)
    weighted: bool
    #: ``public_tables``: [{"table", "breakdown", "indicators"}], the total first
    tables: tuple[dict, ...]


def publication(wave: Wave) -> Publication | None:
    return db.session.get(Publication, wave.id)


def publications(campaign: Campaign) -> dict[int, Publication]:
    """wave id → its publication, for the campaign's published waves."""
    return {found.wave_id: found for found in db.session.scalars(
        select(Publication).join(Wave, Publication.wave_id == Wave.id).where(Wave.campaign_id == campaign.id))}


def publish(wave: Wave, now: dt.datetime | None = None) -> Publication:
    """Show the wave's results on the city's public page (a wave published already stays as it was)."""
    if current_release(wave) is None:
        raise PublicationRefused(f"wave {wave.label} of {wave.campaign.slug} has no release: release it first")
    found = publication(wave)
    if found is None:
        found = Publication(wave_id=wave.id, published_dt=now or utcnow())
        db.session.add(found)
        db.session.flush()
        current_app.logger.info("results of wave %s published", wave.id)
    return found


def withdraw(wave: Wave) -> bool:
    """Take the wave's results off the public page; False if they were not on it."""
    found = publication(wave)
    if found is None:
        return False
    db.session.delete(found)
    db.session.flush()
    current_app.logger.info("results of wave %s withdrawn", wave.id)
    return True


def published_waves(city: City) -> list[Wave]:
    """The published waves of the city's campaigns (only those with a release): residents' campaigns first, then by
    campaign and wave order."""
    released = exists().where(Release.wave_id == Wave.id, Release.is_current.is_(True))
    return list(db.session.scalars(
        select(Wave).join(Publication, Publication.wave_id == Wave.id).join(Campaign, Wave.campaign_id == Campaign.id)
        .where(Campaign.city_id == city.id, released)
        .order_by(case((Campaign.audience == "resident", 0), else_=1), Campaign.slug, Wave.position)))


def is_weighted(campaign: Campaign) -> bool:
    return campaign.audience == "resident"


def public_tables(wave: Wave, lang: str) -> list[dict]:
    """Every table the wave's current release publishes, the total first, each as one table per indicator with its
    public (noisy) figures: [{"table": (), "breakdown": "total", "indicators": [...]}, ...]. Empty without a
    release. The tables are shared between requests: nobody may change them."""
    release = current_release(wave)
    if release is None:
        return []
    versions = tuple(sorted({other.questionnaire_version_id for other in wave.campaign.waves}))
    return list(_release_tables(release.id, release.made_dt, wave.id, versions, lang))


@remembered
@lru_cache(maxsize=128)
def _release_tables(release_id: int, made_dt: dt.datetime, wave_id: int, versions: tuple, lang: str) -> tuple:
    # A release never changes once made and a reissue is a new one (new id, new time); which indicators a campaign
    # has follows the versions its waves use (``versions``). The public page is open to everyone: its figures are
    # computed once per worker, not on every visit.
    wave = db.session.get(Wave, wave_id)
    campaign = wave.campaign
    found = []
    for table in released_tables(db.session.get(Release, release_id)):
        _, tables = indicator_tables(campaign, table, [wave.label], is_weighted(campaign), lang, public=True)
        found.append({"table": table, "breakdown": table_name(table) or TOTAL, "indicators": tables})
    return tuple(found)


def released_tables(release: Release) -> list[Table]:
    """The tables a release holds cells of (its wave's own, not pooled periods'), in the order of the releasable
    set: the total, one-way tables, crossings, district groups."""
    names = set(db.session.scalars(select(ReleaseCell.table_name).distinct().where(
        ReleaseCell.release_id == release.id, ReleaseCell.pooling_id.is_(None))))
    order = [table_name(table) for table in campaign_tables(release.wave.campaign, release.wave)]
    return [parse_table(name) for name in sorted(names, key=lambda name: (
        order.index(name) if name in order else len(order), name))]


def public_results(city: City, lang: str) -> list[PublishedWave]:
    """What the city publishes, wave by wave, in ``lang``."""
    found = []
    for wave in published_waves(city):
        campaign = wave.campaign
        title = campaign_texts(campaign, lang)(published_definition(wave.questionnaire_version).data["title"]) or ""
        found.append(PublishedWave(campaign, wave, current_release(wave), publication(wave).published_dt, title,
                                   is_weighted(campaign), tuple(public_tables(wave, lang))))
    return found


#: the figure columns of the public CSV, after the cell's campaign, wave, table and categories
FIGURE_COLUMNS = ("status", "n", "estimate", "ci_low", "ci_high", "interpret_with_care")


def dimension_names(shown: list[PublishedWave]) -> list[str]:
    """Every breakdown the published tables use, district first, then as they first appear."""
    names = list(dict.fromkeys(name for item in shown for table in item.tables for name in table["table"]))
    return sorted(names, key=lambda name: (name != "district", names.index(name)))


def csv_header(shown: list[PublishedWave]) -> list[str]:
    return ["campaign", "wave", "release", "breakdown",
            *(column for name in dimension_names(shown) for column in (f"{name}_code", name)),
            "indicator", "label", *FIGURE_COLUMNS]


def csv_rows(shown: list[PublishedWave], lang: str) -> list[list]:
    """One row per cell of every published table, categories by code and by label in ``lang`` (the caller writes
    them through ``exports.writers``, which makes every text cell safe to open in a spreadsheet)."""
    names = dimension_names(shown)
    found = []
    for item in shown:
        label_of = category_labels(item.campaign, item.wave, lang)
        for table in item.tables:
            for indicator in table["indicators"]:
                for cell in indicator["cells"]:
                    categories = []
                    for name in names:
                        code = cell["dimensions"].get(name)
                        categories += [code, label_of(name, code)] if name in table["table"] else [None, None]
                    found.append([item.campaign.slug, item.wave.label, item.release.number, table["breakdown"],
                                  *categories, indicator["id"], indicator["label"], cell["status"], cell["n"],
                                  cell["estimate"], cell["ci_low"], cell["ci_high"],
                                  "yes" if cell["interpret_with_care"] else "no"])
    return found
