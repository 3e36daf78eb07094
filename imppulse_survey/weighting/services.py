"""Weighting one wave to its population margins, as a new weight set.

The database counts the wave's weighting classes (GROUP BY district, age band, gender); raking runs on that small
table (``raking.py``); one UPDATE gives every response of the wave its class's weight, and the summaries are
rebuilt. No response is loaded. Waves are weighted one at a time, each to the margins of its own time, so a
change between waves is not a change in who answered; and each raking is a new weight set, so a release made
with earlier weights stays exactly as it was published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import case, func, select, update

from ..campaigns.models import Campaign, District, Wave
from ..core.database import begin_write
from ..core.models import utcnow
from ..extensions import db
from ..responses.models import Answer, Response
from ..responses.summaries import rebuild_campaign_summaries
from .models import WeightSet
from .raking import DEFAULT_TRIM, DIMENSIONS, UNKNOWN, WeightingError, collapse_classes, rake_cells

#: the class a response belongs to: district code, age band, gender
CLASS_DIMENSIONS = ("district", "age_band", "gender")


@dataclass(frozen=True)
class WeightingReport:
    weight_set: WeightSet
    respondents: int
    groups: int

    @property
    def smallest(self) -> float:
        return min(row[5] for row in self.weight_set.classes)

    @property
    def largest(self) -> float:
        return max(row[5] for row in self.weight_set.classes)


def _given(name: str, response_id):
    """The respondent's answer to ``name``, or UNKNOWN, as SQL."""
    value = (select(Answer.value).where(Answer.response_id == response_id, Answer.item_key == name,
                                        Answer.value.is_not(None)).limit(1).scalar_subquery())
    return func.coalesce(value, UNKNOWN)


def _class_key():
    """Each response's class as SQL columns: district code, age band, gender."""
    district = select(District.code).where(District.id == Response.district_id).scalar_subquery()
    return [func.coalesce(district, UNKNOWN), _given("age_band", Response.id), _given("gender", Response.id)]


def _packed(district, age, gender):
    """A class as one number, so that one UPDATE … CASE gives every response its weight."""
    return district * 1_000_000 + (age + 1) * 1_000 + (gender + 1)


def rake_wave(campaign: Campaign, wave: Wave, margins: dict[str, dict[int, float]],
              trim: tuple[float, float] = DEFAULT_TRIM, now: dt.datetime | None = None) -> WeightingReport:
    """Rake the wave's respondents to ``margins`` and make it the wave's current weight set (not committed)."""
    if wave.campaign_id != campaign.id:
        raise WeightingError(f"wave {wave.label} is not a wave of {campaign.slug}")
    begin_write()
    key = _class_key()
    rows = db.session.execute(select(*key, func.count()).where(Response.wave_id == wave.id)
                              .group_by(*key)).all()
    if not rows:
        raise WeightingError(f"wave {wave.label} of {campaign.slug} has no respondent")
    classes = [tuple(int(value) for value in row[:3]) for row in rows]
    counts = np.array([row[3] for row in rows], dtype=float)
    axes = [name for name in DIMENSIONS if name in margins]
    categories = np.array([[cls[CLASS_DIMENSIONS.index(name)] for name in axes] for cls in classes])
    shares = []
    for axis, name in enumerate(axes):
        present = set(categories[:, axis]) - {UNKNOWN}
        absent = present - set(margins[name])
        if absent:
            raise WeightingError(f"respondents have {name} {min(absent)}, which the margins do not give")
        # only categories that respondents have, as shares of their population
        population = {code: value for code, value in margins[name].items() if code in present}
        shares.append({code: value / sum(population.values()) for code, value in population.items()})
    groups = collapse_classes(classes, [int(count) for count in counts], campaign.disclosure_threshold)
    raked = rake_cells(counts, categories, shares, groups, trim)
    weight_of = {_packed(*cls): float(weight) for cls, weight in zip(classes, raked.weights, strict=True)}
    db.session.execute(update(Response).where(Response.wave_id == wave.id)
                       .values(weight=case(weight_of, value=_packed(*key), else_=1.0)))
    rebuild_campaign_summaries(campaign)
    earlier = db.session.scalar(select(func.max(WeightSet.number)).where(WeightSet.wave_id == wave.id)) or 0
    db.session.execute(update(WeightSet).where(WeightSet.wave_id == wave.id).values(is_current=False))
    total = counts.sum()
    weight_set = WeightSet(
        campaign_id=campaign.id, wave_id=wave.id, number=earlier + 1, made_dt=now or utcnow(),
        margins={name: {str(code): value for code, value in values.items()} for name, values in margins.items()},
        trim_low=trim[0], trim_high=trim[1], threshold=campaign.disclosure_threshold,
        classes=[[*cls, group, int(count), float(weight)]
                 for cls, group, count, weight in zip(classes, groups, counts, raked.weights, strict=True)],
        design_effect=float(total * np.sum(counts * raked.weights ** 2) / np.sum(counts * raked.weights) ** 2),
        largest_margin_gap=raked.largest_margin_gap, iterations=raked.iterations, is_current=True)
    db.session.add(weight_set)
    db.session.flush()
    return WeightingReport(weight_set, int(total), len(set(groups)))


def current_weight_set(wave: Wave) -> WeightSet | None:
    return db.session.scalar(select(WeightSet).where(WeightSet.wave_id == wave.id, WeightSet.is_current.is_(True)))


def weight_sets(wave: Wave) -> list[WeightSet]:
    return list(db.session.scalars(select(WeightSet).where(WeightSet.wave_id == wave.id).order_by(WeightSet.number)))
