"""Which cells may be published both weighted and unweighted, and which new weights a reissue may use.

A weighted and an unweighted figure of the same cell are two equations in the sums of the weighting classes
inside it. With two classes, they solve: a class of three respondents inside a cell of forty is read exactly.
So a cell is published both ways only where each weighting class inside it holds no respondent or at least the
threshold; elsewhere it is published weighted only, with its unweighted base n. A reissue with new weights adds
more equations of the same kind: its weighted figure is compared, class by class, with every earlier weight set
of the wave, over the common refinement of their classes; where the two would give away a small part, the cell
keeps the weighted figure of the earlier release.

The counts come from the indicator summaries (per wave × district × age band × gender × police contact).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from ..campaigns.models import Campaign, Wave
from ..extensions import db
from ..responses.models import NOT_GIVEN, IndicatorSummary
from ..weighting.models import WeightSet
from .tables import GROUP_TABLE, Table

_COLUMNS = ("district", "age_band", "gender", "police_contact")


@dataclass(frozen=True)
class Weighting:
    #: published both weighted and unweighted (else weighted only)
    both: bool
    #: its weighted figure with the new weights gives nothing away beside the earlier releases' figures
    new_weights_safe: bool


def weightings(campaign: Campaign, wave: Wave, indicators: Sequence[str], tables: Sequence[Table],
               current: WeightSet | None, earlier: Sequence[WeightSet],
               groups: Mapping[str, Sequence[int]] | None = None) -> dict[tuple, Weighting]:
    """(indicator, table, categories) → how the cell may be weighted; empty when the wave is not weighted.
    A district group's cell holds the classes of its districts."""
    if current is None:
        return {}
    threshold = campaign.disclosure_threshold
    partitions = [current.groups(), *(weight_set.groups() for weight_set in earlier if weight_set.id != current.id)]
    parts: dict[tuple, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    for indicator, district, age, gender, contact, n in _class_counts(campaign, wave, indicators):
        row = {"district": district, "age_band": age, "gender": gender, "police_contact": contact}
        cls = (district, age, gender)
        classes = tuple(partition.get(cls, cls) for partition in partitions)
        for label, members in (groups or {}).items():
            if district in members:
                parts[(indicator, GROUP_TABLE, (label,))][classes] += n
        for table in tables:
            if set(table) <= set(_COLUMNS):
                key = (indicator, table, tuple(None if row[name] == NOT_GIVEN else row[name] for name in table))
                parts[key][classes] += n
    result = {}
    for key, counts in parts.items():
        alone: dict[object, int] = defaultdict(int)  # the current weights' groups alone
        for classes, n in counts.items():
            alone[classes[0]] += n
        result[key] = Weighting(_no_small_part(alone.values(), threshold), _no_small_part(counts.values(), threshold))
    return result


def _no_small_part(counts, threshold: int) -> bool:
    return all(n == 0 or n >= threshold for n in counts)


def _class_counts(campaign: Campaign, wave: Wave, indicators: Sequence[str]):
    """(indicator, district code, age band, gender, police contact, n) of the wave, not given as NOT_GIVEN."""
    summary = IndicatorSummary.__table__.c
    columns = [summary.district_id, summary.age_band, summary.gender, summary.police_contact]
    query = (select(summary.indicator, *columns, func.sum(summary.n))
             .where(summary.campaign_id == campaign.id, summary.wave_id == wave.id,
                    summary.indicator.in_(list(indicators)))
             .group_by(summary.indicator, *columns))
    codes = campaign.district_codes
    for indicator, district, age, gender, contact, n in db.session.execute(query):
        yield indicator, codes.get(district, NOT_GIVEN), age, gender, contact, int(n)
