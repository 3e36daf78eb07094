"""Indicator tables for one campaign: aggregation → statistics → disclosure control, in that order."""

from __future__ import annotations

from dataclasses import dataclass

from ..campaigns.models import Campaign, Wave
from ..i18n import text_in
from ..questionnaires.definition import published_definition
from .definitions import Indicator, indicators_of
from .disclosure import ProtectedCell, check_request, combine_waves, protect_fine_cells
from .statistics import change, estimate, estimates
from .summaries import cell_sums

CARE_BELOW = 30  # bases under 30 are flagged "interpret with care"


@dataclass(frozen=True)
class PublishedCell:
    dimensions: dict
    n: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    interpret_with_care: bool
    uniform: bool


def campaign_indicators(campaign: Campaign, keys: list[str] | None = None) -> list[Indicator]:
    return [i for i in indicators_of(published_definition(campaign.questionnaire_version))
            if keys is None or i.key in keys]


def published_waves(campaign: Campaign, waves: list[Wave] | None = None) -> list[Wave]:
    """The waves (of those asked for, default all) whose figures may be shown: in an invitation campaign only
    released ones, since officers' answers are sealed until their wave is released (docs/anonymity.md)."""
    chosen = list(waves or campaign.waves)
    if campaign.access_mode == "invitation":
        chosen = [wave for wave in chosen if wave.released_dt is not None]
    return chosen


def protected_cells(campaign: Campaign, indicators: list[Indicator], by: list[str], waves: list[Wave] | None,
                    weighted: bool) -> list[ProtectedCell]:
    """Cells of the requested shape, after every disclosure rule."""
    check_request(campaign.audience, by)
    waves = published_waves(campaign, waves)
    if not waves:
        return []
    fine_dimensions = by if "wave" in by else ["wave", *by]
    wave_position = fine_dimensions.index("wave")
    fine = cell_sums(campaign.id, indicators, fine_dimensions, waves=[w.id for w in waves], weighted=weighted)
    protected = protect_fine_cells(fine, campaign.disclosure_threshold, wave_position)
    return protected if "wave" in by else combine_waves(protected, wave_position)


def indicator_tables(campaign: Campaign, by: list[str], waves: list[Wave] | None, weighted: bool,
                     lang: str, keys: list[str] | None = None) -> list[dict]:
    indicators = campaign_indicators(campaign, keys)
    protected = protected_cells(campaign, indicators, by, waves, weighted)
    labels = {wave.id: wave.label for wave in campaign.waves}
    districts = {district.id: district.code for district in campaign.city.districts}
    kinds = {indicator.key: indicator.kind for indicator in indicators}
    figures = {}
    for kind in set(kinds.values()):  # one vectorised computation per kind, not one per cell
        shown = [cell for cell in protected if not cell.suppressed and kinds[cell.sums.indicator] == kind]
        figures.update(zip(map(id, shown), estimates(kind, [cell.sums for cell in shown]), strict=True))
    by_indicator: dict[str, list] = {indicator.key: [] for indicator in indicators}
    for cell in protected:
        by_indicator[cell.sums.indicator].append(cell)
    tables = []
    for indicator in indicators:
        cells = published(indicator, by_indicator[indicator.key], figures, by, labels, districts)
        tables.append({"id": indicator.key, "label": text_in(indicator.label, lang), "kind": indicator.kind,
                       "mirror_of": indicator.mirror_of,
                       "cells": sorted(cells, key=lambda c: tuple(str(v) for v in c.dimensions.values()))})
    return tables


def indicator_change(campaign: Campaign, indicator: Indicator, before: Wave, after: Wave, weighted: bool) -> dict:
    """One indicator in two waves, the difference (after − before), its interval and p-value."""
    cells = {cell.sums.dimensions[0]: cell
             for cell in protected_cells(campaign, [indicator], ["wave"], [before, after], weighted)}
    if any(wave.id not in cells or cells[wave.id].suppressed for wave in (before, after)):
        return {"suppressed": True}
    first, second = (estimate(indicator.kind, cells[wave.id].sums) for wave in (before, after))
    result = change(indicator.kind, first, second)
    return {
        "suppressed": False,
        "from_": {"wave": before.label, "n": first.n, "estimate": first.estimate, "ci_low": first.ci_low,
                 "ci_high": first.ci_high},
        "to": {"wave": after.label, "n": second.n, "estimate": second.estimate, "ci_low": second.ci_low,
               "ci_high": second.ci_high},
        "difference": result.difference, "ci_low": result.ci_low, "ci_high": result.ci_high,
        "p_value": result.p_value,
    }


def published(indicator: Indicator, cells: list, figures: dict, by, wave_labels, district_codes) -> list[PublishedCell]:
    """The cells of one indicator's table as published: suppressed ones keep their place but lose every figure.

    ``figures`` maps ``id(cell)`` to the estimate of each cell that is not suppressed."""
    table = []
    for cell in cells:
        values = {}
        for name, value in zip(by, cell.sums.dimensions, strict=True):
            if name == "wave":
                value = wave_labels.get(value, value)
            elif name == "district":
                value = district_codes.get(value)
            values[name] = value
        result = figures.get(id(cell))
        if result is None:
            table.append(PublishedCell(values, None, None, None, None, True, False, False))
            continue
        uniform = indicator.kind == "proportion" and result.estimate in (0.0, 100.0)
        table.append(PublishedCell(values, result.n, round(result.estimate, 6), round(result.ci_low, 6),
                                   round(result.ci_high, 6), False, result.n < CARE_BELOW, uniform))
    return table


def mirror_pairs(residents: Campaign, officers: Campaign, wave_label: str | None, lang: str) -> list[dict]:
    """Officers' view beside residents' on the same construct; the gap is officers' figure minus residents'."""
    resident_indicators = {i.key: i for i in campaign_indicators(residents)}
    pairs = []
    for officer_indicator in campaign_indicators(officers):
        resident_indicator = resident_indicators.get(officer_indicator.mirror_of or "")
        if resident_indicator is None:
            continue
        sides = {}
        for side, campaign, indicator in (("residents", residents, resident_indicator),
                                          ("officers", officers, officer_indicator)):
            waves = [w for w in campaign.waves if w.label == wave_label] if wave_label else None
            cell = protected_cells(campaign, [indicator], [], waves, weighted=False)
            sides[side] = None if not cell or cell[0].suppressed else estimate(indicator.kind, cell[0].sums)
        pair = {"resident_indicator": resident_indicator.key, "officer_indicator": officer_indicator.key,
                "label": text_in(officer_indicator.label, lang), "suppressed": None in sides.values()}
        if not pair["suppressed"]:
            gap = change(officer_indicator.kind, sides["residents"], sides["officers"])
            pair.update(
                residents={"n": sides["residents"].n, "estimate": sides["residents"].estimate,
                           "ci_low": sides["residents"].ci_low, "ci_high": sides["residents"].ci_high},
                officers={"n": sides["officers"].n, "estimate": sides["officers"].estimate,
                          "ci_low": sides["officers"].ci_low, "ci_high": sides["officers"].ci_high},
                gap=gap.difference, gap_ci_low=gap.ci_low, gap_ci_high=gap.ci_high, p_value=gap.p_value,
            )
        pairs.append(pair)
    return pairs
