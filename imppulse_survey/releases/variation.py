"""Cells published without an estimate, because it would tell too much about the few who differ.

- Officers (small units, colleagues who know each other): a proportion where all, or all but one, respondents gave
  the same answer shows "nearly all" or "nearly none"; a mean where all, or all but one, gave the same score shows
  "not enough variation". Otherwise whoever knows how the others answered learns the last one's answer.
- Everyone: a mean without spread shows "not enough variation" rather than a zero-width interval.
No percentage, interval, change or gap is computed from such a cell, in any output.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..campaigns.models import Campaign
from ..indicators.aggregation import modal_counts
from ..questionnaires.scoring import Indicator
from .tables import categories

#: a spread this small relative to the mean's scale is rounding, not variation
ROUNDING = 1e-9


def variations(campaign: Campaign, wave_ids: list[int], indicators: list[Indicator], tables, sums: Mapping) -> dict:
    """(indicator, table, categories) → why the cell shows no estimate, for the cells that show none (over the
    respondents of ``wave_ids``: one wave, or the waves a pooled cell covers)."""
    kinds = {indicator.key: indicator.kind for indicator in indicators}
    officers = campaign.audience == "officer"
    modal = {}
    if officers:
        means = [indicator for indicator in indicators if indicator.kind != "proportion"]
        modal = {(indicator, table, categories(table, values, campaign.district_codes)): count
                 for (indicator, table, values), count in modal_counts(campaign.id, means, tables, wave_ids).items()}
    flags = {}
    for key, cell in sums.items():
        indicator = key[0]
        if kinds[indicator] == "proportion":
            if officers and cell.n >= 1 and cell.sum_y <= 1:
                flags[key] = "nearly_none"
            elif officers and cell.n >= 1 and cell.sum_y >= cell.n - 1:
                flags[key] = "nearly_all"
        elif _no_spread(cell) or (officers and modal.get(key, 0) >= cell.n - 1):
            flags[key] = "not_enough_variation"
    return flags


def _no_spread(cell) -> bool:
    # n·Σy² − (Σy)² is n² times the variance: zero (up to rounding) when every score is the same
    scale = max(cell.sum_y ** 2, 1.0)
    return cell.n * cell.sum_y2 - cell.sum_y ** 2 <= ROUNDING * scale
