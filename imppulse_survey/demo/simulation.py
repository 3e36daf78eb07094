"""Simulated respondents with plausible, varied answers.

Each respondent has a latent attitude towards the police, shifted by city, district and wave (pilot districts
improve at follow-up), so that indicators differ between places and over time the way real data do. Items that
feed an indicator follow the attitude; others (demographics, filters) are drawn from fixed shares.
"""

from __future__ import annotations

import random
import zlib

from ..campaigns.models import Campaign, Wave
from ..questionnaires.definition import Definition, item_type
from ..questionnaires.published import published_definition
from ..questionnaires.types import NO_CONTEXT

DONT_KNOW_SHARE = 0.05
SKIP_SHARE = 0.02
PREFER_NOT_SHARE = 0.03
#: key fragments of items where agreement or frequency is bad news, so that the attitude runs the other way
NEGATIVE_KEY_FRAGMENTS = ("abuse", "insult", "mistreat", "unsafe")


def is_pilot_district(code: int) -> bool:
    """The districts whose residents' attitude improves after the baseline (the demo pilots' districts)."""
    return code % 3 == 1


#: how much the attitude moves after the baseline: in the pilot districts, elsewhere, and among officers city-wide
PILOT_SHIFT, TREND_SHIFT, OFFICER_SHIFT = 0.35, 0.05, 0.3


class Respondent:
    def __init__(self, campaign: Campaign, wave: Wave, seed: int, definition: Definition | None = None):
        self.random = random.Random(seed)
        self.campaign = campaign
        # a wave's simulated respondents share one parsed definition: looking it up for each cost a query
        self.definition = definition or published_definition(wave.questionnaire_version)
        self.language = self._language()
        districts = campaign.city.districts
        self.district = self.random.choices(districts, weights=[d.population or 1 for d in districts])[0] if districts else None
        self.attitude = self._attitude(wave)
        self.indicator_items = {key for indicator in self.definition.indicators for key in indicator["items"]}
        self.reverse_items = {key for indicator in self.definition.indicators for key in indicator.get("reverse", [])}

    def _language(self) -> str:
        languages = self.campaign.languages
        weights = [0.8] + [0.2 / max(len(languages) - 1, 1)] * (len(languages) - 1)
        return self.random.choices(languages, weights=weights)[0]

    def _attitude(self, wave: Wave) -> float:
        city_shift = (zlib.crc32(self.campaign.city.slug.encode()) % 100) / 100 - 0.5
        district_code = self.district.code if self.district else 0
        district_shift = ((district_code * 37) % 11) / 11 - 0.5
        after = wave.position > 1
        if self.campaign.audience == "officer":
            wave_shift = OFFICER_SHIFT if after else 0.0
        else:
            wave_shift = PILOT_SHIFT if after and is_pilot_district(district_code) else TREND_SHIFT * after
        officer_shift = 0.6 if self.campaign.audience == "officer" else 0.0
        return 0.4 * city_shift + 0.5 * district_shift + wave_shift + officer_shift + self.random.gauss(0, 1)

    def answers(self) -> dict:
        answers: dict = {}
        for item in self.definition.items():
            kind = item_type(item)
            for key in kind.answer_keys(item):
                value = self._answer(item, key)
                if value is not None:
                    answers[key] = value
        return answers

    def _answer(self, item, key):
        kind = item_type(item)
        offered = item.get("missing", [])
        if kind.holds_district:
            return self.district.code if self.district else None
        if not item.get("required") and self.random.random() < SKIP_SHARE:
            return None
        leaning = None
        if key in self.indicator_items:
            if "dont_know" in offered and self.random.random() < DONT_KNOW_SHARE:
                return "dont_know"
            direction = -1 if key in self.reverse_items or any(part in key for part in NEGATIVE_KEY_FRAGMENTS) else 1
            leaning = 0.5 + 0.22 * (direction * self.attitude + self.random.gauss(0, 0.8))
        elif "prefer_not_to_say" in offered and self.random.random() < PREFER_NOT_SHARE:
            return "prefer_not_to_say"
        return kind.simulated(item, key, self.random, leaning, NO_CONTEXT)
