"""The network coordinator's view: the standard residents' indicators compared across cities and waves, and the
mirror gaps of the cities' pilots.

Figures come from releases only (``releases.figures``), as staff see them: exact bases, residents weighted.
Waves are compared only where the comparison means something: the same recruitment mode and, between versions of
the questionnaire, items recorded comparable (``questionnaires.comparability``) in every language the two waves
were answered in. The waves of an indicator fall into comparable sets: a wave joins a set only when it compares
with every wave already in it, else it starts a set of its own. Cities are listed by name, never by value, and
nothing is ranked. A mirror gap is shown only where a pilot pairs a residents' wave with an officers' wave
explicitly, always with the residents' level beside it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ..campaigns.models import Campaign, City, Wave
from ..extensions import db
from ..i18n import text_in
from ..questionnaires.comparability import indicator_break
from ..releases.figures import (
    SERIES_BREAK,
    campaign_indicators,
    mirror_pairs,
    total_figure,
    wave_indicator,
)
from ..releases.services import current_release, released_periods
from ..responses.models import Response

#: a gap's change between two pairs of waves whose residents (or officers) were recruited differently
RECRUITMENT_CHANGED = "recruitment_changed"


def name_order(name: str) -> tuple[str, str]:
    """Alphabetical order of names, accents aside ("Évry" among the E's)."""
    plain = "".join(char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char))
    return plain.casefold(), name


def languages_answered(waves: Iterable[Wave]) -> dict[int, set[str]]:
    """The languages each wave's respondents answered in: one aggregate query for every wave, no response read.
    A wave with no response left (purged after its retention period) counts its campaign's languages, so that a
    comparison never passes for want of answers."""
    waves = list(waves)
    found: dict[int, set[str]] = {wave.id: set() for wave in waves}
    if waves:
        rows = db.session.execute(
            select(Response.wave_id, Response.language).distinct().where(
                Response.campaign_id.in_({wave.campaign_id for wave in waves}),
                Response.wave_id.in_(list(found))))
        for wave_id, language in rows:
            found[wave_id].add(language)
    for wave in waves:
        if not found[wave.id]:
            found[wave.id] = set(wave.campaign.languages)
    return found


@dataclass
class Comparer:
    """Whether indicator ``key`` compares between two residents' waves (each pair looked up once)."""

    languages: dict[int, set[str]]
    _known: dict = field(default_factory=dict)

    def broken(self, key: str, first: Wave, second: Wave) -> list[str]:
        """The languages answered in either wave in which the indicator does not compare ([]: it compares)."""
        pair = (key, *sorted((first.id, second.id)))
        if pair not in self._known:
            self._known[pair] = self._broken(key, first, second)
        return self._known[pair]

    def _broken(self, key: str, first: Wave, second: Wave) -> list[str]:
        languages = self.languages.get(first.id, set()) | self.languages.get(second.id, set())
        versions = first.questionnaire_version, second.questionnaire_version
        if versions[0].questionnaire_id != versions[1].questionnaire_id:
            # versions of different questionnaires record nothing about each other: never comparable
            return sorted(languages) or ["*"]
        return indicator_break(key, *versions, languages)

    def compares(self, key: str, first: Wave, second: Wave) -> bool:
        return first.recruitment_mode == second.recruitment_mode and not self.broken(key, first, second)


@dataclass(frozen=True)
class IndicatorChoice:
    key: str
    label: str
    kind: str


def cities_in_order() -> list[City]:
    return sorted(db.session.scalars(select(City)), key=lambda city: name_order(city.name))


def resident_campaigns(cities: list[City]) -> list[Campaign]:
    """The cities' residents' campaigns, by city name then slug."""
    return [campaign for city in cities for campaign in sorted(city.campaigns, key=lambda found: found.slug)
            if campaign.audience == "resident"]


def released_waves(campaign: Campaign) -> list[Wave]:
    return [period.release.wave for period in released_periods(campaign) if period.pooling_id is None]


def standard_indicators(campaigns: list[Campaign], lang: str) -> list[IndicatorChoice]:
    """Every indicator of the residents' campaigns (a pilot's own indicators aside), in questionnaire order."""
    found: dict[str, IndicatorChoice] = {}
    for campaign in campaigns:
        for indicator in campaign_indicators(campaign):
            if not indicator.key.startswith("pilot_") and indicator.key not in found:
                found[indicator.key] = IndicatorChoice(indicator.key, text_in(indicator.label, lang), indicator.kind)
    return list(found.values())


def network(lang: str, keys: list[str] | None = None) -> dict:
    """The network's comparison: ``indicators`` (every standard residents' indicator, to choose from),
    ``comparisons`` (for each indicator in ``keys``, default all: its comparable sets) and ``mirrors`` (per city,
    its pilots' mirror gaps)."""
    cities = cities_in_order()
    campaigns = resident_campaigns(cities)
    waves = {campaign.id: released_waves(campaign) for campaign in campaigns}
    comparer = Comparer(languages_answered(wave for found in waves.values() for wave in found))
    indicators = standard_indicators(campaigns, lang)
    comparisons = [comparison(indicator, campaigns, waves, comparer)
                   for indicator in indicators if keys is None or indicator.key in keys]
    return {"indicators": indicators, "comparisons": comparisons, "mirrors": mirrors(cities, comparer, lang)}


def comparison(indicator: IndicatorChoice, campaigns: list[Campaign], waves: dict[int, list[Wave]],
               comparer: Comparer) -> dict:
    """One indicator's released waves in comparable sets, each with one group of lines per city."""
    measured = [(campaign, wave) for campaign in campaigns for wave in waves[campaign.id]
                if wave_indicator(wave, indicator.key) is not None]
    # the order waves are placed in: earlier versions first, then by city name; never by value
    order = sorted(measured, key=lambda found: (found[1].questionnaire_version.questionnaire.key,
                                                found[1].questionnaire_version.number,
                                                name_order(found[0].city.name), found[0].slug, found[1].position))
    sets: list[list[tuple[Campaign, Wave]]] = []
    for campaign, wave in order:
        home = next((members for members in sets
                     if all(comparer.compares(indicator.key, wave, other) for _, other in members)), None)
        if home is None:
            sets.append([(campaign, wave)])
        else:
            home.append((campaign, wave))
    present = {campaign.city_id for campaign, _ in measured}
    return {"key": indicator.key, "label": indicator.label, "kind": indicator.kind,
            "sets": [comparable_set(indicator, members, comparer) for members in sets],
            "without": list(dict.fromkeys(campaign.city.name for campaign in campaigns
                                          if campaign.city_id not in present))}


def comparable_set(indicator: IndicatorChoice, members: list[tuple[Campaign, Wave]], comparer: Comparer) -> dict:
    members = sorted(members, key=lambda found: (name_order(found[0].city.name), found[0].slug, found[1].position))
    cities: list[dict] = []
    for campaign, wave in members:
        if not cities or cities[-1]["id"] != campaign.city_id:
            cities.append({"id": campaign.city_id, "name": campaign.city.name, "waves": []})
        cities[-1]["waves"].append(wave_line(indicator, campaign, wave, comparer))
    versions = sorted({(wave.questionnaire_version.questionnaire.key, wave.questionnaire_version.number)
                       for _, wave in members})
    mode = members[0][1].recruitment_mode
    return {"mode": mode, "sampling_error_only": mode == "open_link", "alone": len(members) == 1,
            "questionnaire": versions[0][0], "versions": [number for _, number in versions], "cities": cities}


def wave_line(indicator: IndicatorChoice, campaign: Campaign, wave: Wave, comparer: Comparer) -> dict:
    found = wave_indicator(wave, indicator.key)
    figure = total_figure(campaign, found, wave, weighted=True)
    return {"campaign": campaign.slug, "wave": wave.label, "opens": wave.opens_dt, "closes": wave.closes_dt,
            "version": wave.questionnaire_version.number, "languages": sorted(comparer.languages.get(wave.id, ())),
            "status": figure.status, "estimate": figure.estimate, "ci_low": figure.ci_low,
            "ci_high": figure.ci_high, "n": figure.n, "interpret_with_care": figure.interpret_with_care}


def mirrors(cities: list[City], comparer: Comparer, lang: str) -> list[dict]:
    """Per city (by name), its pilots' mirror pairs: officers' estimate, the residents' level beside the gap, and
    the gap's change since the baseline pair where both pairs are released and compare. A city without a pilot
    with an officers' side has no pairing, so no gap."""
    from ..pilots.services import pilots_of

    pilots = pilots_of([city.id for city in cities]) if cities else []
    result = []
    for city in cities:
        entries = [pilot_mirror(pilot, comparer, lang) for pilot in pilots if pilot.city_id == city.id]
        result.append({"city": city.name, "pilots": entries})
    return result


def pilot_mirror(pilot, comparer: Comparer, lang: str) -> dict:
    entry = {"slug": pilot.slug, "title": text_in(pilot.title, lang) or pilot.slug, "pairs": [], "at": None}
    if pilot.officer_campaign is None or pilot.officer_baseline is None or pilot.officer_follow_up is None:
        return {**entry, "status": "no_officers"}
    baseline = (pilot.resident_baseline, pilot.officer_baseline)
    follow_up = (pilot.resident_follow_up, pilot.officer_follow_up)
    released = {wave.id for wave in (*baseline, *follow_up) if current_release(wave) is not None}
    if {wave.id for wave in follow_up} <= released:
        since = baseline if {wave.id for wave in baseline} <= released else None
        pairs = mirror_pairs(pilot.resident_campaign, follow_up[0], pilot.officer_campaign, follow_up[1], lang,
                             since=since)
        if since is not None:
            for pair in pairs:
                check_gap_change(pair, pilot, comparer)
        at = "follow_up"
    elif {wave.id for wave in baseline} <= released:
        pairs = mirror_pairs(pilot.resident_campaign, baseline[0], pilot.officer_campaign, baseline[1], lang)
        at = "baseline"
    else:
        return {**entry, "status": "not_released"}
    return {**entry, "status": "pairs", "at": at, "pairs": pairs,
            "resident_waves": [wave.label for wave in (baseline[0], follow_up[0])],
            "officer_waves": [wave.label for wave in (baseline[1], follow_up[1])],
            "campaigns": [pilot.resident_campaign.slug, pilot.officer_campaign.slug]}


def check_gap_change(pair: dict, pilot, comparer: Comparer) -> None:
    """A gap's change is a comparison between waves too: the residents' waves compare in the languages they were
    answered in, the officers' in their campaign's (their answers may be unsealed at other times), each side
    with one recruitment mode; otherwise the change is withheld, with the reason."""
    change = pair.get("gap_change")
    if change is None:
        return
    residents = (pilot.resident_baseline, pilot.resident_follow_up)
    officers = (pilot.officer_baseline, pilot.officer_follow_up)
    if any(first.recruitment_mode != second.recruitment_mode for first, second in (residents, officers)):
        status, languages = RECRUITMENT_CHANGED, []
    else:
        languages = sorted(set(comparer.broken(pair["resident_indicator"], *residents)) | set(indicator_break(
            pair["officer_indicator"], officers[0].questionnaire_version, officers[1].questionnaire_version,
            pilot.officer_campaign.languages)))
        status = SERIES_BREAK if languages else None
    if status is not None:
        pair["gap_change"] = {"since": change["since"], "status": status, "series_break_languages": languages}
