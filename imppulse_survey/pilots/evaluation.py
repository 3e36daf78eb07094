"""A pilot's evaluation, from the releases of the waves that measure it (MEASURES.md, "Pilot evaluation").

Residents, for each target indicator: four group estimates (pilot and comparison districts, at baseline and at
follow-up), each post-stratified by district: the unweighted district estimates of the release combined with the
districts' population shares W_d within the group, so that a shift in which districts answered is not read as an
effect. Their variances are Σ W_d² s_d² / n_d; the difference in differences (pilot change − comparison change)
has a normal 95 % interval from the sum of the four. Districts are never a cluster: with so few, a clustered error
is not valid. Every interval covers sampling uncertainty only.

Only districts the release publishes are used: a group with a suppressed district has no figure, since the group
estimate and its other districts would give the hidden one away.

Officers give no district: their side is the city-wide change in their indicators and in the mirror gaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from ..campaigns.models import Campaign, Wave
from ..i18n import text_in
from ..indicators.statistics import CONFIDENCE
from ..releases.figures import (
    ESTIMATE,
    NO_DATA,
    SERIES_BREAK,
    campaign_indicators,
    mirror_pairs,
    rounded,
    series_break,
    total_figure,
    wave_change,
)
from ..releases.services import current_release, release_cells
from .models import Pilot, PilotTarget

#: with this many districts or more, the pilot group's change is ranked among every other district's
PLACEBO_FROM = 8
SUPPRESSED = "suppressed"
NOT_ENOUGH_VARIATION = "not_enough_variation"
NO_POPULATION = "no_population"
#: the label every pilot interval carries
UNCERTAINTY = "sampling uncertainty only"


@dataclass(frozen=True)
class DistrictFigure:
    n: int
    mean: float  # in the indicator's units (points)
    variance: float  # of the mean: s² / n


@dataclass(frozen=True)
class GroupFigure:
    status: str
    estimate: float | None = None
    variance: float | None = None
    n: int | None = None

    def as_dict(self) -> dict:
        low, high = interval(self.estimate, self.variance)
        return {"status": self.status, "estimate": rounded(self.estimate), "ci_low": rounded(low),
                "ci_high": rounded(high), "n": self.n}


def interval(estimate: float | None, variance: float | None) -> tuple[float | None, float | None]:
    if estimate is None or variance is None:
        return None, None
    half = float(stats.norm.ppf(0.5 + CONFIDENCE / 2)) * math.sqrt(variance)
    return estimate - half, estimate + half


def district_figures(wave: Wave, indicator: str, kind: str) -> dict[int, DistrictFigure | None]:
    """The unweighted figure of every district in the wave's current release (None: suppressed there)."""
    release = current_release(wave)
    if release is None:
        return {}
    scale = 100.0 if kind == "proportion" else 1.0
    found: dict[int, DistrictFigure] = {}
    suppressed: set[int] = set()
    for cell in release_cells(release, ("district",), [indicator]):
        code = cell.dimensions.get("district")
        if code is None:
            continue
        if cell.state == "suppressed":
            suppressed.add(code)
        elif cell.n >= 2:
            mean = cell.sum_y / cell.n
            spread = max(cell.sum_y2 - cell.n * mean ** 2, 0.0) / (cell.n - 1)
            found[code] = DistrictFigure(cell.n, mean * scale, spread * scale ** 2 / cell.n)
    return {**found, **dict.fromkeys(suppressed)}


def post_stratified(figures: dict[int, DistrictFigure | None], codes: list[int],
                    population: dict[int, int | None]) -> GroupFigure:
    """Σ W_d ȳ_d over the group's districts, with variance Σ W_d² s_d² / n_d."""
    if any(code in figures and figures[code] is None for code in codes):
        return GroupFigure(SUPPRESSED)
    if any(code not in figures for code in codes):
        return GroupFigure(NO_DATA)
    if any(not population.get(code) for code in codes):
        return GroupFigure(NO_POPULATION)
    total = sum(population[code] for code in codes)
    shares = {code: population[code] / total for code in codes}
    estimate = sum(shares[code] * figures[code].mean for code in codes)
    variance = sum(shares[code] ** 2 * figures[code].variance for code in codes)
    return GroupFigure(ESTIMATE, estimate, variance, sum(figures[code].n for code in codes))


def _difference(after: GroupFigure, before: GroupFigure) -> GroupFigure:
    status = next((part.status for part in (before, after) if part.status != ESTIMATE), ESTIMATE)
    if status != ESTIMATE:
        return GroupFigure(status)
    return GroupFigure(ESTIMATE, after.estimate - before.estimate, after.variance + before.variance)


def difference_in_differences(pilot_change: GroupFigure, comparison_change: GroupFigure) -> dict:
    combined = _difference(pilot_change, comparison_change)
    result = combined.as_dict()
    del result["n"]
    if combined.status == ESTIMATE and combined.variance == 0:
        return {**result, "status": NOT_ENOUGH_VARIATION, "ci_low": None, "ci_high": None, "p_value": None}
    if combined.status == ESTIMATE:
        result["p_value"] = float(2 * stats.norm.sf(abs(combined.estimate) / math.sqrt(combined.variance)))
    else:
        result["p_value"] = None
    return result


def target_reached(target: PilotTarget, follow_up: GroupFigure) -> str:
    """"yes" when the pilot districts' follow-up interval lies wholly on the target's side, "no" when wholly on the
    other side, otherwise "cannot_tell"."""
    low, high = interval(follow_up.estimate, follow_up.variance)
    if low is None:
        return "cannot_tell"
    if target.aims_higher:
        return "yes" if low >= target.target_value else "no" if high < target.target_value else "cannot_tell"
    return "yes" if high <= target.target_value else "no" if low > target.target_value else "cannot_tell"


def placebo(pilot: Pilot, change: GroupFigure, before: dict, after: dict, aims_higher: bool) -> dict | None:
    """Where the pilot group's change ranks among the change of each other district (1: none moved further in
    the target's direction), with eight districts or more."""
    districts = [district.code for district in pilot.city.districts]
    if len(districts) < PLACEBO_FROM or change.status != ESTIMATE:
        return None
    others = [after[code].mean - before[code].mean for code in districts
              if code not in pilot.pilot_districts and before.get(code) and after.get(code)]
    further = sum(1 for other in others if (other > change.estimate if aims_higher else other < change.estimate))
    return {"rank": further + 1, "of": len(others) + 1}


def group_figures(pilot: Pilot, before: dict, after: dict) -> dict[str, tuple[GroupFigure, GroupFigure, GroupFigure]]:
    """For the pilot and the comparison districts: baseline, follow-up and change, exact."""
    population = {district.code: district.population for district in pilot.city.districts}
    groups = {}
    for name, codes in (("pilot", pilot.pilot_districts), ("comparison", pilot.comparison_districts)):
        first, second = (post_stratified(figures, codes, population) for figures in (before, after))
        groups[name] = (first, second, _difference(second, first))
    return groups


def resident_target(pilot: Pilot, target: PilotTarget, kind: str, lang: str) -> dict:
    campaign = pilot.resident_campaign
    baseline, follow_up = pilot.resident_baseline, pilot.resident_follow_up
    row = {"indicator": target.indicator, "label": "", "kind": kind, "primary": target.indicator ==
           pilot.primary_indicator, "baseline_value": target.baseline_value, "target_value": target.target_value,
           "uncertainty": UNCERTAINTY, "status": ESTIMATE, "placebo": None, "target_reached": "cannot_tell"}
    broken = series_break(campaign, target.indicator, baseline, follow_up)
    if broken:
        return {**row, "status": SERIES_BREAK, "series_break_languages": broken}
    before, after = (district_figures(wave, target.indicator, kind) for wave in (baseline, follow_up))
    groups = group_figures(pilot, before, after)
    did = difference_in_differences(groups["pilot"][2], groups["comparison"][2])
    for name, (first, second, moved) in groups.items():
        row[name] = {"baseline": first.as_dict(), "follow_up": second.as_dict(), "change": moved.as_dict()}
    row["difference"] = did
    row["status"] = did["status"]
    row["target_reached"] = target_reached(target, groups["pilot"][1])
    row["placebo"] = placebo(pilot, groups["pilot"][2], before, after, target.aims_higher)
    return row


def evaluate(pilot: Pilot, lang: str) -> dict:
    """Everything the report shows, from releases only: residents' target indicators, residents' own view of the
    pilot, and officers' city-wide change and mirror gaps."""
    residents = pilot.resident_campaign
    indicators = {indicator.key: indicator for indicator in campaign_indicators(residents)}
    targets = sorted(pilot.targets, key=lambda target: target.indicator != pilot.primary_indicator)
    rows = []
    for target in targets:
        indicator = indicators.get(target.indicator)
        if indicator is None:
            continue
        row = resident_target(pilot, target, indicator.kind, lang)
        rows.append({**row, "label": text_in(indicator.label, lang)})
    return {"residents": rows, "residents_view": _residents_view(pilot, indicators, lang),
            "officers": _officers(pilot, lang), "mirror": _mirror(pilot, lang),
            "released": {"baseline": current_release(pilot.resident_baseline) is not None,
                         "follow_up": current_release(pilot.resident_follow_up) is not None}}


def _residents_view(pilot: Pilot, indicators: dict, lang: str) -> list[dict]:
    """What residents say of the pilot itself (awareness, usefulness), where the questionnaire asks it."""
    wave = pilot.resident_follow_up
    return [{"indicator": key, "label": text_in(indicator.label, lang), "kind": indicator.kind,
             **_figure(total_figure(pilot.resident_campaign, indicator, wave, weighted=True))}
            for key, indicator in indicators.items() if key.startswith("pilot_")]


def _figure(figure) -> dict:
    return {"status": figure.status, "n": figure.n, "estimate": figure.estimate, "ci_low": figure.ci_low,
            "ci_high": figure.ci_high}


def _officers(pilot: Pilot, lang: str) -> list[dict]:
    campaign: Campaign | None = pilot.officer_campaign
    if campaign is None or pilot.officer_baseline is None or pilot.officer_follow_up is None:
        return []
    return [{"indicator": indicator.key, "label": text_in(indicator.label, lang), "kind": indicator.kind,
             **wave_change(campaign, indicator, pilot.officer_baseline, pilot.officer_follow_up, weighted=False)}
            for indicator in campaign_indicators(campaign) if not indicator.mirror_of]


def _mirror(pilot: Pilot, lang: str) -> list[dict]:
    if pilot.officer_campaign is None or pilot.officer_baseline is None or pilot.officer_follow_up is None:
        return []
    from ..indicators.network import Comparer, check_gap_change, languages_answered

    pairs = mirror_pairs(pilot.resident_campaign, pilot.resident_follow_up, pilot.officer_campaign,
                         pilot.officer_follow_up, lang, since=(pilot.resident_baseline, pilot.officer_baseline))
    # a gap's change compares waves too: withheld across a series break or a change of recruitment mode
    comparer = Comparer(languages_answered([pilot.resident_baseline, pilot.resident_follow_up]))
    for pair in pairs:
        check_gap_change(pair, pilot, comparer)
    return pairs
