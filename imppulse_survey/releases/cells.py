"""Building a release's cells: counted by the database, flagged, weighted, and suppressed over everything linked.

For one wave: every releasable table (``tables.py``) is counted (GROUP BY over the summaries); declared district
groups are the sums of their districts; pooled periods that end with this wave are the sums of the cells of the
waves they cover, from those waves' current releases. Suppression is then decided per indicator over all of it
at once: this wave's tables, the pooled cells, and the other waves of each pooling, whose published cells are
constants and whose hidden cells stay hidden; every cell an earlier release of this wave published stays
published.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields

from sqlalchemy import select

from ..campaigns.models import Campaign, Wave
from ..extensions import db
from ..indicators.summaries import cell_sums
from ..questionnaires.published import published_definition
from ..questionnaires.scoring import Indicator, indicators_of
from ..weighting.models import WeightSet
from ..weighting.services import weight_sets
from .declarations import groups_of, last_wave, poolings_of
from .models import Pooling, Release, ReleaseCell
from .suppression import Relation, suppress
from .tables import GROUP_TABLE, Table, categories, parse_table, relations, releasable_tables, table_name
from .variation import variations
from .weighting_rule import weightings

#: whose cell: None for the released wave's own, ("pooled", id) for a pooled period, ("wave", id) for another wave
Scope = tuple | None


@dataclass(frozen=True)
class Sums:
    n: int
    sum_w: float
    sum_wy: float
    sum_wy2: float
    sum_w2: float
    sum_y: float
    sum_y2: float

    def __add__(self, other: Sums) -> Sums:
        return Sums(*(getattr(self, field.name) + getattr(other, field.name) for field in fields(self)))

    @classmethod
    def of(cls, cell: ReleaseCell) -> Sums:
        return cls(*(getattr(cell, field.name) for field in fields(cls)))


def campaign_tables(campaign: Campaign, wave: Wave | None = None) -> list[Table]:
    """The releasable tables of a wave (by default, of the version respondents answer now)."""
    version = wave.questionnaire_version if wave is not None else campaign.version_now
    return releasable_tables(campaign.audience, published_definition(version), grouped=bool(groups_of(campaign)))


def build_cells(campaign: Campaign, wave: Wave, weights: WeightSet | None, earlier: list[Release]) -> list[ReleaseCell]:
    indicators = indicators_of(published_definition(wave.questionnaire_version))
    groups = groups_of(campaign)
    tables = campaign_tables(campaign, wave)
    sums = counted(campaign, wave, indicators, tables, groups, ever_weighted=bool(weight_sets(wave)))
    flags = variations(campaign, [wave.id], indicators, tables, sums)
    own = _own_cells(campaign, wave, indicators, tables, groups, sums, flags, weights, earlier)
    pooled, others = _pooled_cells(campaign, wave, indicators, tables, own)
    known = {cell.key for release in earlier for cell in release.cells if cell.state == "published"}
    everything = own + pooled
    for indicator in indicators:
        mine = {_key(cell): cell for cell in everything if cell.indicator == indicator.key}
        counts = {key: cell.n for key, cell in mine.items()}
        fixed, hidden_before = set(), set()
        for (wave_id, cell) in others.get(indicator.key, []):
            key = (("wave", wave_id), parse_table(cell.table_name), _values(cell))
            counts[key] = cell.n
            (fixed if cell.state == "published" else hidden_before).add(key)
        links = _relations(counts, tables, groups, wave.id, pooled)
        fixed |= {key for key, cell in mine.items() if cell.key in known}
        hidden = suppress(counts, links, campaign.disclosure_threshold, fixed, hidden_before)
        for key, cell in mine.items():
            cell.state = "suppressed" if key in hidden else "published"
    return everything


def _own_cells(campaign, wave, indicators, tables, groups, sums, flags, weights, earlier) -> list[ReleaseCell]:
    """The wave's own cells, with their sums, flags and weighting (state decided later)."""
    latest = {cell.key: cell for cell in earlier[-1].cells if cell.state == "published"} if earlier else {}
    used = {cell.weight_set_id for release in earlier for cell in release.cells if cell.state == "published"}
    rules = weightings(campaign, wave, [indicator.key for indicator in indicators], tables, weights,
                       [weight_set for weight_set in weight_sets(wave) if weight_set.id in used], groups)
    cells = []
    for (indicator, table, values), value in sums.items():
        rule = rules.get((indicator, table, values))
        cell = _cell(indicator, table, values, value, flags.get((indicator, table, values)),
                     "both" if rule is None or rule.both else "weighted_only", weights.id if weights else None)
        before = latest.get(cell.key)
        if rule is not None and not rule.new_weights_safe and before is not None:
            # the new weights would, beside the earlier figure, give a small part of a class away: keep the earlier
            cell.sum_w, cell.sum_wy, cell.sum_wy2, cell.sum_w2 = (before.sum_w, before.sum_wy, before.sum_wy2,
                                                                  before.sum_w2)
            cell.weighting, cell.weight_set_id = before.weighting, before.weight_set_id
        cells.append(cell)
    return cells


def _cell(indicator: str, table: Table, values: tuple, value: Sums, variation: str | None, weighting: str,
          weight_set_id: int | None, pooling_id: int | None = None) -> ReleaseCell:
    return ReleaseCell(indicator=indicator, table_name=table_name(table),
                       dimensions=dict(zip(table, values, strict=True)), n=value.n, sum_w=value.sum_w,
                       sum_wy=value.sum_wy, sum_wy2=value.sum_wy2, sum_w2=value.sum_w2, sum_y=value.sum_y,
                       sum_y2=value.sum_y2, state="published", variation=variation, weighting=weighting,
                       weight_set_id=weight_set_id, pooling_id=pooling_id)


def _pooled_cells(campaign, wave, indicators, tables, own) -> tuple[list[ReleaseCell], dict]:
    """The cells of the pooled periods that end with this wave (all their other waves released), and the other
    waves' current cells by indicator: [(wave id, cell)]."""
    pooled, others = [], defaultdict(list)
    for pooling in poolings_of(campaign):
        if wave.id not in pooling.wave_ids or last_wave(campaign, pooling).id != wave.id:
            continue
        current = {wave_id: _current_cells(wave_id) for wave_id in pooling.wave_ids if wave_id != wave.id}
        if any(cells is None for cells in current.values()):
            continue  # a wave it covers has no release yet: nothing to pool
        parts: dict[tuple, list[ReleaseCell]] = defaultdict(list)
        for cell in [*own, *(cell for cells in current.values() for cell in cells)]:
            parts[(cell.indicator, parse_table(cell.table_name), _values(cell))].append(cell)
        totals = {key: sum((Sums.of(cell) for cell in cells[1:]), Sums.of(cells[0])) for key, cells in parts.items()}
        flags = variations(campaign, pooling.wave_ids, indicators, tables, totals)
        for (indicator, table, values), value in totals.items():
            weighting = "both" if all(cell.weighting == "both" for cell in parts[(indicator, table, values)]) \
                else "weighted_only"
            pooled.append(_cell(indicator, table, values, value, flags.get((indicator, table, values)), weighting,
                                None, pooling.id))
        for wave_id, cells in current.items():
            for cell in cells:
                others[cell.indicator].append((wave_id, cell))
    return pooled, others


def _current_cells(wave_id: int) -> list[ReleaseCell] | None:
    release = db.session.scalar(select(Release).where(Release.wave_id == wave_id, Release.is_current.is_(True)))
    return None if release is None else [cell for cell in release.cells if cell.pooling_id is None]


def _values(cell: ReleaseCell) -> tuple:
    return tuple(cell.dimensions[name] for name in parse_table(cell.table_name))


def _key(cell: ReleaseCell) -> tuple:
    scope = None if cell.pooling_id is None else ("pooled", cell.pooling_id)
    return (scope, parse_table(cell.table_name), _values(cell))


def _relations(counts, tables, groups, wave_id: int, pooled: list[ReleaseCell]) -> list[Relation]:
    """The tables' relations within each scope, and each pooled cell = the sum of its waves' cells."""
    by_scope: dict[Scope, list] = defaultdict(list)
    for scope, table, values in counts:
        by_scope[scope].append((table, values))
    links = []
    for scope, cells in by_scope.items():
        links += [Relation((scope, *relation.parent), tuple((scope, *child) for child in relation.children))
                  for relation in relations(cells, tables, groups)]
    for pooling in (db.session.get(Pooling, pooling_id) for pooling_id in {cell.pooling_id for cell in pooled}):
        scope = ("pooled", pooling.id)
        members = [None if member == wave_id else ("wave", member) for member in pooling.wave_ids]
        for _, table, values in [key for key in counts if key[0] == scope]:
            links.append(Relation((scope, table, values), tuple((member, table, values) for member in members)))
    return links


def counted(campaign: Campaign, wave: Wave, indicators: list[Indicator], tables: list[Table],
            groups: dict[str, list[int]], ever_weighted: bool = True) -> dict[tuple, Sums]:
    """(indicator, table, categories) → the cell's count and sums, weighted and not; districts by their code; each
    district group the sum of its districts' cells. A wave never weighted has every weight 1 (``Response.weight``):
    its weighted sums are its unweighted ones, read once."""
    codes = campaign.district_codes
    found: dict[tuple, dict] = defaultdict(dict)
    for table in tables:
        if table == GROUP_TABLE:
            continue
        for weighted in (True, False) if ever_weighted else (False,):
            for cell in cell_sums(campaign.id, indicators, list(table), waves=[wave.id], weighted=weighted):
                found[(cell.indicator, table, categories(table, cell.dimensions, codes))][weighted] = cell
    result = {}
    for key, both in found.items():
        weighted, unweighted = both.get(True, both[False]), both[False]
        result[key] = Sums(weighted.n, weighted.sum_w, weighted.sum_wy, weighted.sum_wy2, weighted.sum_w2,
                           unweighted.sum_wy, unweighted.sum_wy2)
    if GROUP_TABLE in tables:
        for indicator in indicators:
            for label, members in groups.items():
                parts = [result[(indicator.key, ("district",), (code,))] for code in members
                         if (indicator.key, ("district",), (code,)) in result]
                if parts:
                    result[(indicator.key, GROUP_TABLE, (label,))] = sum(parts[1:], parts[0])
    return result
