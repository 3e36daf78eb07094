"""Making releases, and reading the figures they hold: the one path by which figures leave the platform.

A release is made once for a wave, when its fieldwork has closed (``make_release``): the fixed set of tables
(``tables.py``) is counted, suppression is decided over all of them together with every cell already published
for the wave held fixed (``suppression.py``), and the cells are stored with the sums their statistics come from.
A reissue (new weights, a correction) is a new release of the same wave, recorded with its reason; the earlier
one stays as it was published. Nothing else reads responses to publish a figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from ..campaigns.models import Campaign, Wave
from ..core.database import begin_write
from ..core.models import utcnow
from ..extensions import db
from ..responses.unsealing import UnsealingRefused, UnsealingReport, open_sealed_answers
from ..weighting.services import current_weight_set
from .cells import build_cells
from .models import Release, ReleaseCell
from .tables import Table, table_name

FIRST_RELEASE = "first release"


class ReleaseRefused(ValueError):
    """A release that cannot be made; the message says why, and nothing has changed."""


@dataclass(frozen=True)
class Outcome:
    release: Release
    #: for an officer wave released for the first time: how its sealed answers were opened
    unsealed: UnsealingReport | None = None


def needs_private_key(campaign: Campaign, wave: Wave) -> bool:
    return campaign.access_mode == "invitation" and wave.released_dt is None


def release(campaign: Campaign, wave: Wave, private_key: str | None = None, reason: str = FIRST_RELEASE,
            now: dt.datetime | None = None) -> Outcome:
    """The one release operation: an officer wave's sealed answers are opened first (with its private key), then
    the wave's figures are released (or reissued, with ``reason``)."""
    unsealed = None
    if needs_private_key(campaign, wave):
        if not private_key:
            raise ReleaseRefused(f"the officers' answers of wave {wave.label} are sealed: give the wave's private key")
        try:
            unsealed = open_sealed_answers(campaign, wave, private_key, now)
        except UnsealingRefused as refused:
            raise ReleaseRefused(str(refused)) from None
    return Outcome(make_release(campaign, wave, reason, now), unsealed)


def make_release(campaign: Campaign, wave: Wave, reason: str = FIRST_RELEASE, now: dt.datetime | None = None) -> Release:
    """Release a closed wave's figures (or reissue them, with ``reason``), and commit."""
    now = now or utcnow()
    if wave.campaign_id != campaign.id:
        raise ReleaseRefused(f"wave {wave.label} is not a wave of {campaign.slug}")
    if wave.status(now) != "closed":
        raise ReleaseRefused(f"wave {wave.label} of {campaign.slug} is still open: close it first (campaign close)")
    if campaign.access_mode == "invitation" and wave.released_dt is None:
        raise ReleaseRefused(f"the officers' answers of wave {wave.label} are still sealed: release them with the "
                             "wave's private key")
    earlier = db.session.scalars(select(Release).where(Release.wave_id == wave.id).order_by(Release.number)).all()
    if earlier and reason == FIRST_RELEASE:
        raise ReleaseRefused(f"wave {wave.label} of {campaign.slug} is released already: a reissue says why")
    try:
        begin_write()
        weights = current_weight_set(wave)
        release = Release(campaign_id=campaign.id, wave_id=wave.id, number=len(earlier) + 1, made_dt=now,
                          reason=reason[:200], threshold=campaign.disclosure_threshold, is_current=True,
                          weight_set_id=weights.id if weights else None)
        cells = build_cells(campaign, wave, weights, earlier)
        db.session.execute(update(Release).where(Release.wave_id == wave.id).values(is_current=False))
        db.session.add(release)
        db.session.flush()
        # thousands of cells in one executemany: through the unit of work they took a third of the release
        if cells:  # (an empty list would insert one row of defaults)
            db.session.execute(insert(ReleaseCell), [cell_row(cell, release.id) for cell in cells])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return release


def cell_row(cell: ReleaseCell, release_id: int) -> dict:
    return {**{column.key: getattr(cell, column.key) for column in ReleaseCell.__table__.columns
               if column.key != "id"}, "release_id": release_id}


def current_release(wave: Wave) -> Release | None:
    return db.session.scalar(select(Release).where(Release.wave_id == wave.id, Release.is_current.is_(True)))


def list_releases(campaign: Campaign) -> list[Release]:
    return list(db.session.scalars(select(Release).where(Release.campaign_id == campaign.id)
                                   .order_by(Release.wave_id, Release.number)))


@dataclass(frozen=True)
class Period:
    """What figures are published for: a released wave, or a pooled period released with its last wave."""

    label: str
    release: Release
    pooling_id: int | None = None
    #: its respondents chose to answer (an open link): intervals cover sampling error only
    sampling_error_only: bool = False


def released_periods(campaign: Campaign) -> list[Period]:
    """The campaign's released waves in order, then its released pooled periods."""
    from .declarations import last_wave, poolings_of

    current = {release.wave_id: release for release in db.session.scalars(
        select(Release).where(Release.campaign_id == campaign.id, Release.is_current.is_(True)))}
    periods = [Period(wave.label, current[wave.id], None, wave.is_self_selected)
               for wave in campaign.waves if wave.id in current]
    for pooling in poolings_of(campaign):
        release = current.get(last_wave(campaign, pooling).id)
        if release is not None and db.session.scalar(select(ReleaseCell.id).where(
                ReleaseCell.release_id == release.id, ReleaseCell.pooling_id == pooling.id).limit(1)):
            covered = [wave for wave in campaign.waves if wave.id in pooling.wave_ids]
            periods.append(Period(pooling.label, release, pooling.id,
                                  any(wave.is_self_selected for wave in covered)))
    return periods


def release_cells(release: Release, table: Table, indicators: list[str] | None = None,
                  pooling_id: int | None = None) -> list[ReleaseCell]:
    """The cells of one table of a release: the wave's own, or those of the pooled period ``pooling_id``."""
    pooled = ReleaseCell.pooling_id.is_(None) if pooling_id is None else ReleaseCell.pooling_id == pooling_id
    query = select(ReleaseCell).where(ReleaseCell.release_id == release.id,
                                      ReleaseCell.table_name == table_name(table), pooled)
    if indicators is not None:
        query = query.where(ReleaseCell.indicator.in_(indicators))
    return list(db.session.scalars(query.order_by(ReleaseCell.indicator, ReleaseCell.id)))


def cell_count(release: Release) -> int:
    return db.session.scalar(select(func.count()).select_from(ReleaseCell).where(ReleaseCell.release_id == release.id))
