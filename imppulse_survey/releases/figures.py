"""Figures as they leave the platform: statistics computed from the cells of releases, each with its status.

Every output (the API today; the workspace, downloads and reports later) asks here, so a figure is computed the
same way wherever it is shown and none exists without a release. A cell's status says what may be shown:

- ``estimate``: the estimate with its 95 % interval, and the unweighted base n;
- ``suppressed``: nothing, not even n (too few respondents, or hidden so that another cell cannot be worked out);
- ``not_enough_variation``, ``nearly_all``, ``nearly_none``: n and the words, no percentage or interval
  (``variation.py``);
- ``weighted_only``: asked unweighted, a cell published weighted only (``weighting_rule.py``): n, no estimate;
- ``no_data``: the wave has no release, or nobody in the cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from ..campaigns.models import Campaign, Wave
from ..extensions import db
from ..i18n import text_in
from ..indicators.aggregation import CellSums
from ..indicators.statistics import Estimate, change, estimates, gap_change, mover_gap
from ..questionnaires.comparability import indicator_break
from ..questionnaires.published import published_definition
from ..questionnaires.scoring import Indicator, indicators_of
from .models import Release, ReleaseCell
from .noise import Noise, cell_noise, noisy_sums, shown_n, widened
from .services import Period, current_release, release_cells, released_periods
from .tables import Table

CARE_BELOW = 30  # bases under 30 are flagged "interpret with care"
DECIMALS = 1  # every estimate, interval, change and gap is rounded to one decimal, everywhere
ESTIMATE = "estimate"
NO_DATA = "no_data"
#: a change between two waves whose versions ask the indicator differently (in one of the campaign's languages)
SERIES_BREAK = "series_break"
#: a mirror pair whose officers' side does not estimate the residents' figure (version 1)
NOT_COMPARABLE = "not_comparable"
TOTAL: Table = ()


@dataclass(frozen=True)
class Figure:
    status: str
    n: int | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    interpret_with_care: bool = False
    #: the exact statistics behind the rounded figure (never shown: changes and gaps are computed from them)
    exact: Estimate | None = None


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def campaign_indicators(campaign: Campaign, keys: list[str] | None = None) -> list[Indicator]:
    """The indicators of every version the campaign's waves use, latest first: an indicator a later version
    dropped still has its earlier waves' figures."""
    versions = sorted({wave.questionnaire_version for wave in campaign.waves} or {campaign.questionnaire_version},
                      key=lambda version: -version.number)
    found: dict[str, Indicator] = {}
    for version in versions:
        for indicator in indicators_of(published_definition(version)):
            found.setdefault(indicator.key, indicator)
    return [indicator for indicator in found.values() if keys is None or indicator.key in keys]


def wave_indicator(wave: Wave, key: str) -> Indicator | None:
    return next((found for found in indicators_of(published_definition(wave.questionnaire_version))
                 if found.key == key), None)


def series_break(campaign: Campaign, key: str, first: Wave, second: Wave) -> list[str]:
    """The campaign's languages in which indicator ``key`` does not compare between two waves ([] if it does)."""
    return indicator_break(key, first.questionnaire_version, second.questionnaire_version, campaign.languages)


def sums_of(cell: ReleaseCell, weighted: bool) -> CellSums:
    if weighted:
        return CellSums(cell.indicator, (), cell.n, cell.sum_w, cell.sum_wy, cell.sum_wy2, cell.sum_w2)
    return CellSums(cell.indicator, (), cell.n, float(cell.n), cell.sum_y, cell.sum_y2, float(cell.n))


def figures_of(cells: list[ReleaseCell], kinds: dict[str, str], weighted: bool,
               public: bool = False) -> list[Figure]:
    """The figure of each cell, estimates computed together per kind (scipy and statsmodels take arrays); for
    public outputs, from the noisy sums (``noise.py``), with n rounded and intervals widened."""
    result: list[Figure | None] = [None] * len(cells)
    for position, cell in enumerate(cells):
        if cell.state == "suppressed":
            result[position] = Figure("suppressed")
        elif cell.variation or (not weighted and cell.weighting == "weighted_only"):
            result[position] = Figure(cell.variation or "weighted_only", n=shown_n(cell.n) if public else cell.n,
                                      interpret_with_care=cell.n < CARE_BELOW)
    for kind in set(kinds.values()):
        todo = [position for position, cell in enumerate(cells) if result[position] is None
                and kinds[cell.indicator] == kind]
        sums = [sums_of(cells[position], weighted) for position in todo]
        if public:
            sums = [noisy_sums(cell_sums, kind, _noise(cells[position], kind))
                    for position, cell_sums in zip(todo, sums, strict=True)]
        computed = estimates(kind, sums)
        for position, value, cell_sums in zip(todo, computed, sums, strict=True):
            if public and value is not None and math.isfinite(value.standard_error):
                value = widened(kind, value, cell_sums.sum_w, cell_sums.n)
            n = cells[position].n
            result[position] = _figure(value, shown_n(cell_sums.n) if public else n, n < CARE_BELOW)
    return result


def _noise(cell: ReleaseCell, kind: str) -> Noise:
    return cell_noise(cell.release.wave_id, cell.indicator, kind, cell.n, cell.sum_y, cell.sum_y2)


def _figure(value: Estimate | None, n: int, with_care: bool) -> Figure:
    if value is None or not all(map(math.isfinite, (value.estimate, value.ci_low, value.ci_high))):
        return Figure("not_enough_variation", n=n, interpret_with_care=with_care)
    return Figure(ESTIMATE, n, rounded(value.estimate), rounded(value.ci_low), rounded(value.ci_high),
                  with_care, exact=value)


def indicator_tables(campaign: Campaign, table: Table, labels: list[str] | None, weighted: bool, lang: str,
                     keys: list[str] | None = None, public: bool = False) -> tuple[list[str], list[dict]]:
    """The released waves and pooled periods asked for by label (default: all), and one table per indicator: each
    cell's categories (the period's label as its "wave"), status and figures."""
    indicators = campaign_indicators(campaign, keys)
    kinds = {indicator.key: indicator.kind for indicator in indicators}
    chosen = [period for period in released_periods(campaign) if labels is None or period.label in labels]
    rows: dict[str, list[dict]] = {indicator.key: [] for indicator in indicators}
    for period in chosen:
        if public:
            found = _period_rows(period, table, tuple(kinds.items()), weighted, public)
        else:
            found = _cached_period_rows(period.release.id, period.release.made_dt, period.pooling_id, period.label,
                                        period.sampling_error_only, table, tuple(kinds.items()), weighted)
        for indicator, row in found:
            rows[indicator].append(row)
    tables = [{"id": indicator.key, "label": text_in(indicator.label, lang), "kind": indicator.kind,
               "mirror_of": indicator.mirror_of, "breaks": _breaks(campaign, indicator.key, chosen),
               "cells": sorted(rows[indicator.key], key=lambda row: tuple(map(_order, row["dimensions"].values())))}
              for indicator in indicators]
    return [period.label for period in chosen], tables


def _breaks(campaign: Campaign, key: str, periods: list[Period]) -> list[dict]:
    """Where the indicator's series breaks between one released wave and the next (versions that do not compare)."""
    waves = [period.release.wave for period in periods if period.pooling_id is None]
    return [{"from_": first.label, "to": second.label, "languages": broken}
            for first, second in pairwise(waves) if (broken := series_break(campaign, key, first, second))]


def _period_rows(period: Period, table: Table, kinds: tuple, weighted: bool, public: bool) -> list[tuple[str, dict]]:
    """(indicator, row) for every cell of one table of one released period."""
    cells = release_cells(period.release, table, [key for key, _ in kinds], period.pooling_id)
    return [(cell.indicator, {"dimensions": {"wave": period.label, **cell.dimensions}, "status": figure.status,
                              "n": figure.n, "estimate": figure.estimate, "ci_low": figure.ci_low,
                              "ci_high": figure.ci_high, "interpret_with_care": figure.interpret_with_care,
                              "sampling_error_only": period.sampling_error_only})
            for cell, figure in zip(cells, figures_of(cells, dict(kinds), weighted, public), strict=True)]


@lru_cache(maxsize=512)
def _cached_period_rows(release_id: int, made_dt, pooling_id: int | None, label: str, sampling_error_only: bool,
                        table: Table, kinds: tuple, weighted: bool) -> tuple:
    # A release never changes once made, and a reissue is a new release (new id, new time): a cached table can
    # never outlive the figures it shows. Rows are shared between requests, so nobody may change them.
    period = Period(label, db.session.get(Release, release_id), pooling_id, sampling_error_only)
    return tuple(_period_rows(period, table, kinds, weighted, public=False))


_CACHES = []


def remembered(cached):
    """Register a cache of figures (an ``lru_cache`` keyed by release ids and times), for ``forget_cached_figures``."""
    _CACHES.append(cached)
    return cached


def forget_cached_figures() -> None:
    """Empty every cache of figures: only needed where ids start again (a test database emptied between tests)."""
    for cached in (_cached_period_rows, *_CACHES):
        cached.cache_clear()


def _order(value) -> tuple:
    return (value is None, str(type(value)), value if value is not None else 0)


def total_figure(campaign: Campaign, indicator: Indicator, wave: Wave, weighted: bool, public: bool = False) -> Figure:
    """The indicator's figure over the whole wave, from its current release."""
    release = current_release(wave)
    cells = release_cells(release, TOTAL, [indicator.key]) if release else []
    if not cells:
        return Figure(NO_DATA)
    return figures_of(cells, {indicator.key: indicator.kind}, weighted, public)[0]


def wave_change(campaign: Campaign, indicator: Indicator, before: Wave, after: Wave, weighted: bool,
                public: bool = False) -> dict:
    """One indicator in two released waves, and the change (after − before), or the status that stops it."""
    first, second = (total_figure(campaign, indicator, wave, weighted, public) for wave in (before, after))
    result = {"from_": _side(before, first), "to": _side(after, second),
              "sampling_error_only": before.is_self_selected or after.is_self_selected,
              "method": "Miettinen–Nurminen score" if indicator.kind == "proportion" else "Welch"}
    broken = series_break(campaign, indicator.key, before, after)
    if broken:
        return {**result, "status": SERIES_BREAK, "series_break_languages": broken}
    status = _combined_status(first, second)
    found = change(indicator.kind, first.exact, second.exact) if status == ESTIMATE else None
    if status == ESTIMATE and found is None:
        status = "not_enough_variation"
    result["status"] = status
    if found is not None:
        result.update(difference=rounded(found.difference), ci_low=rounded(found.ci_low),
                      ci_high=rounded(found.ci_high), p_value=found.p_value)
    return result


def _side(wave: Wave, figure: Figure) -> dict:
    return {"wave": wave.label, "status": figure.status, "n": figure.n, "estimate": figure.estimate,
            "ci_low": figure.ci_low, "ci_high": figure.ci_high}


def _combined_status(*parts: Figure) -> str:
    """The status of a figure made from others: the first reason one of them cannot be used."""
    for status in (NO_DATA, "suppressed", "nearly_all", "nearly_none", "not_enough_variation", "weighted_only"):
        if any(part.status == status for part in parts):
            return status
    return ESTIMATE


def mirror_pairs(residents: Campaign, resident_wave: Wave, officers: Campaign, officer_wave: Wave,
                 lang: str, public: bool = False, since: tuple[Wave, Wave] | None = None) -> list[dict]:
    """Officers' estimate of a residents' figure beside that figure, for the two waves the caller chose; the gap is
    officers' mean estimate minus residents' percentage, with a MOVER interval; the residents' level is always
    given with it. With ``since`` (an earlier residents' wave and officers' wave), how the gap moved since then,
    by MOVER too. A pair whose officers' side is not an estimate of the residents' percentage (version 1 asked
    officers to agree that "most residents" trust) is shown side by side, marked not comparable, with no gap."""
    resident_indicators = {indicator.key: indicator for indicator in _wave_indicators(resident_wave)}
    pairs = []
    for officer_indicator in _wave_indicators(officer_wave):
        resident_indicator = resident_indicators.get(officer_indicator.mirror_of or "")
        if resident_indicator is None:
            continue
        sides = ((residents, resident_indicator), (officers, officer_indicator))
        resident, officer, status, gap = _gap(sides, (resident_wave, officer_wave), public)
        pair = {"resident_indicator": resident_indicator.key, "officer_indicator": officer_indicator.key,
                "label": text_in(officer_indicator.label, lang), "status": status,
                "residents": _side(resident_wave, resident), "officers": _side(officer_wave, officer),
                "sampling_error_only": resident_wave.is_self_selected or officer_wave.is_self_selected,
                "method": "MOVER"}
        if gap is not None:
            pair.update(gap=rounded(gap.difference), gap_ci_low=rounded(gap.ci_low), gap_ci_high=rounded(gap.ci_high))
        if since is not None:
            *_, earlier_status, earlier = _gap(_sides_in(since, residents, officers, sides), since, public)
            moved = gap_change(gap, earlier) if gap is not None and earlier is not None else None
            pair["gap_change"] = {"since": {"resident_wave": since[0].label, "officer_wave": since[1].label},
                                  "status": status if status != ESTIMATE else earlier_status}
            if moved is not None:
                pair["gap_change"].update(difference=rounded(moved.difference), ci_low=rounded(moved.ci_low),
                                          ci_high=rounded(moved.ci_high))
        pairs.append(pair)
    return pairs


def _wave_indicators(wave: Wave) -> list[Indicator]:
    return indicators_of(published_definition(wave.questionnaire_version))


def _sides_in(waves: tuple[Wave, Wave], residents: Campaign, officers: Campaign, sides) -> tuple:
    """The pair's indicators as the versions of two earlier waves define them (absent: None)."""
    (_, resident_indicator), (_, officer_indicator) = sides
    return ((residents, wave_indicator(waves[0], resident_indicator.key)),
            (officers, wave_indicator(waves[1], officer_indicator.key)))


def is_mirror(resident_indicator: Indicator | None, officer_indicator: Indicator | None) -> bool:
    """Officers estimate the residents' percentage: a mean estimate out of 10 against a share (MEASURES.md)."""
    return (resident_indicator is not None and officer_indicator is not None
            and (officer_indicator.kind, resident_indicator.kind) == ("estimate", "proportion"))


def _gap(sides, waves: tuple[Wave, Wave], public: bool):
    """Residents' and officers' figures in the two waves, the pair's status, and the gap (None if not computed)."""
    (residents, resident_indicator), (officers, officer_indicator) = sides
    resident, officer = (total_figure(campaign, indicator, wave, weighted=weighted, public=public)
                         if indicator is not None else Figure(NO_DATA)
                         for campaign, indicator, wave, weighted in ((residents, resident_indicator, waves[0], True),
                                                                      (officers, officer_indicator, waves[1], False)))
    if not is_mirror(resident_indicator, officer_indicator):
        return resident, officer, NOT_COMPARABLE, None
    status = _combined_status(resident, officer)
    return resident, officer, status, mover_gap(officer.exact, resident.exact) if status == ESTIMATE else None
