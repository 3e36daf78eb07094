"""A city of ten districts whose residents answered a baseline and a follow-up wave, both released, with a known
effect of a pilot in some districts; and the pilot declared on it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.extensions import db
from imppulse_survey.pilots.services import Design, Target, declare
from imppulse_survey.releases.services import make_release

from ..factories import bulk_load
from ..workspace.conftest import sign_in  # noqa: F401  (fixture)

DISTRICTS = 10
PILOT = [2, 5, 7]
COMPARISON = [1, 3, 8, 10]


def answers(wave: str, effect: float, seed: int, sizes: dict[int, int]) -> pd.DataFrame:
    """One row per respondent: district and a 0–10 trust answer. District means differ; the pilot districts gain
    ``effect`` points (0–100) at follow-up, every district 3 points."""
    rng = np.random.default_rng(seed)
    rows = []
    for district, size in sizes.items():
        centre = 3.5 + 0.35 * district + (0.3 if wave == "follow-up" else 0)
        centre += effect / 10 if wave == "follow-up" and district in PILOT else 0
        values = np.clip(np.rint(rng.normal(centre, 2.2, size)), 0, 10)
        rows += [{"district": district, "wave": wave, "trust_police": int(value)} for value in values]
    return pd.DataFrame(rows)


def load(campaign, wave, frame: pd.DataFrame, first_id: int) -> None:
    districts = {district.code: district.id for district in campaign.city.districts}
    ids = range(first_id, first_id + len(frame))
    responses = [{"id": number, "campaign_id": campaign.id, "wave_id": wave.id,
                  "district_id": districts[row.district], "questionnaire_version_id": wave.questionnaire_version_id,
                  "language": "fr", "channel": "demo", "submission_id": f"00000000-0000-4000-8000-{number:012d}",
                  "submitted_on": dt.date(2026, 10, 1), "weight": 1.0} for number, row in zip(ids, frame.itertuples())]
    answers = []
    for number, row in zip(ids, frame.itertuples()):
        answers.append({"response_id": number, "item_key": "district", "value": float(row.district), "missing": None})
        answers.append({"response_id": number, "item_key": "trust_police", "value": float(row.trust_police),
                        "missing": None})
    bulk_load(campaign, responses, answers)


@pytest.fixture
def measured(make):
    """``measured(effect, sizes_before, sizes_after)``: the residents' campaign with both waves released; returns
    (campaign, frame of every answer)."""

    def measured(effect: float, before: dict[int, int], after: dict[int, int], seed: int = 7):
        version = make.standard_versions()["resident-perception"]
        city = make.city("lisbon", districts=DISTRICTS)
        campaign = make.campaign("lisbon-residents", city=city, version=version)
        baseline = campaign.waves[0]
        first = answers("baseline", effect, seed, before)
        load(campaign, baseline, first, 1)
        campaigns.close_wave(campaign)
        db.session.commit()
        make_release(campaign, baseline)
        follow_up = campaigns.open_wave(campaign, "follow-up")
        db.session.commit()
        second = answers("follow-up", effect, seed + 1, after)
        load(campaign, follow_up, second, len(first) + 1)
        campaigns.close_wave(campaign)
        db.session.commit()
        make_release(campaign, follow_up)
        return campaign, pd.concat([first, second], ignore_index=True)

    return measured


def design_of(campaign, **changes) -> Design:
    baseline, follow_up = campaign.waves[0], campaign.waves[1]
    values = {"resident_campaign": campaign, "resident_baseline": baseline, "resident_follow_up": follow_up,
              "pilot_districts": PILOT, "comparison_districts": COMPARISON, "primary_indicator": "trust",
              "targets": [Target("trust", 55.0, 65.0), Target("trust_share", 50.0, 60.0)], **changes}
    return Design(**values)


def declare_on(campaign, slug="safer-streets", reason="declared late in a test", **changes):
    texts = {"title": {"en": "Safer streets", "fr": "Rues plus sûres"}, "description": {"en": "Foot patrols."}}
    return declare(campaign.city, slug, texts, design_of(campaign, **changes), reason=reason)
