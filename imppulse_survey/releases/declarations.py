"""Declaring, before the figures are seen, which extra cells releases will publish: pooled periods and district
groups.

A pooled period (several waves of an always-on campaign) is declared before the first of its waves is released,
and released with the last. A district group (a pilot's districts, its comparison districts) is declared before
the campaign's first release. Declared later, each needs a reason, and the releases it affects are reissued with
that reason, on record: nobody chooses a comparison after seeing the results without it showing.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from ..campaigns.models import Campaign, Wave
from ..core.models import utcnow
from ..extensions import db
from .models import DistrictGroup, Pooling, Release

LABEL = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class DeclarationRefused(ValueError):
    """A declaration that cannot be made; the message says why."""


def poolings_of(campaign: Campaign) -> list[Pooling]:
    return list(db.session.scalars(select(Pooling).where(Pooling.campaign_id == campaign.id).order_by(Pooling.id)))


def groups_of(campaign: Campaign) -> dict[str, list[int]]:
    """label → district codes, for the campaign's declared district groups."""
    return {group.label: list(group.district_codes) for group in db.session.scalars(
        select(DistrictGroup).where(DistrictGroup.campaign_id == campaign.id).order_by(DistrictGroup.label))}


def last_wave(campaign: Campaign, pooling: Pooling) -> Wave:
    return max((wave for wave in campaign.waves if wave.id in pooling.wave_ids), key=lambda wave: wave.position)


def _released(wave_ids) -> list[int]:
    return list(db.session.scalars(select(Release.wave_id).where(Release.wave_id.in_(list(wave_ids))).distinct()))


def _check_label(campaign: Campaign, label: str, model) -> None:
    if not LABEL.fullmatch(label):
        raise DeclarationRefused("a label is 1 to 64 lower-case letters, digits, hyphens or underscores")
    if db.session.scalar(select(model.id).where(model.campaign_id == campaign.id, model.label == label)):
        raise DeclarationRefused(f"{campaign.slug} has a declaration '{label}' already")


def declare_pooling(campaign: Campaign, label: str, waves: list[Wave], reason: str | None = None,
                    now: dt.datetime | None = None) -> tuple[Pooling, list[Wave]]:
    """Declare a pooled period; returns it and the waves whose releases must be reissued (with ``reason``)."""
    _check_label(campaign, label, Pooling)
    if len({wave.id for wave in waves}) < 2 or any(wave.campaign_id != campaign.id for wave in waves):
        raise DeclarationRefused(f"a pooled period covers two waves of {campaign.slug} or more")
    if any(wave.label == label for wave in campaign.waves):
        raise DeclarationRefused(f"'{label}' is a wave of {campaign.slug}: a pooled period needs a label of its own")
    if len({wave.questionnaire_version_id for wave in waves}) > 1:
        raise DeclarationRefused("these waves answer different versions of the questionnaire: a pooled period would "
                                 "add up answers to questions asked differently")
    pooling = Pooling(campaign_id=campaign.id, label=label, wave_ids=sorted({wave.id for wave in waves}),
                      declared_dt=now or utcnow())
    released = _released(pooling.wave_ids)
    if released and not reason:
        raise DeclarationRefused("some of these waves are released already: declaring the pooled period now needs a "
                                 "reason, and reissues the release of its last wave")
    db.session.add(pooling)
    db.session.flush()
    last = last_wave(campaign, pooling)
    return pooling, [last] if last.id in released else []


def declare_district_group(campaign: Campaign, label: str, district_codes: list[int], reason: str | None = None,
                           now: dt.datetime | None = None) -> tuple[DistrictGroup, list[Wave]]:
    """Declare a district group; returns it and the waves whose releases must be reissued (with ``reason``)."""
    _check_label(campaign, label, DistrictGroup)
    if campaign.audience != "resident":
        raise DeclarationRefused("officers give no district: district groups are for residents' campaigns")
    known = set(campaign.district_codes.values())
    codes = sorted(set(district_codes))
    if not codes or not set(codes) <= known:
        raise DeclarationRefused(f"districts must be among {', '.join(map(str, sorted(known)))}")
    if len(codes) == len(known):
        raise DeclarationRefused("a group of every district is the total")
    released = _released(wave.id for wave in campaign.waves)
    if released and not reason:
        raise DeclarationRefused(f"{campaign.slug} has releases already: declaring a district group now needs a "
                                 "reason, and reissues them")
    group = DistrictGroup(campaign_id=campaign.id, label=label, district_codes=codes, declared_dt=now or utcnow())
    db.session.add(group)
    db.session.flush()
    return group, [wave for wave in campaign.waves if wave.id in released]
