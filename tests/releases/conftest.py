"""A residents' wave with known answers, loaded in bulk, closed and ready to release; and a staff user's token."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import close_wave
from imppulse_survey.extensions import db

from ..factories import bulk_load

#: respondents per district: districts 4 and 5 are small, 5 smaller than the rest put together can hide
DISTRICT_SIZES = {1: 60, 2: 45, 3: 38, 4: 6, 5: 3, 6: 25}


def people(campaign, wave, sizes, seed=11, first_id=1) -> pd.DataFrame:
    """One row per respondent: district code, age band, gender, police contact (None: not given), and answers."""
    rng = np.random.default_rng(seed)
    rows = []
    number = first_id
    for district, size in sizes.items():
        for _ in range(size):
            rows.append({"id": number, "district": district,
                         "age_band": rng.choice([1, 2, 3, 4, 5, 6, None], p=[.15, .2, .2, .15, .15, .1, .05]),
                         "gender": rng.choice([1, 2, 3, None], p=[.48, .46, .02, .04]),
                         "police_contact": rng.choice([1, 2, None], p=[.3, .65, .05]),
                         "trust_police": int(rng.integers(0, 11)), "relations_good": int(rng.integers(1, 6))})
            number += 1
    return pd.DataFrame(rows)


def load(campaign, wave, frame: pd.DataFrame) -> None:
    districts = {district.code: district.id for district in campaign.city.districts}
    responses = [{"id": int(row.id), "campaign_id": campaign.id, "wave_id": wave.id,
                  "district_id": districts[row.district], "questionnaire_version_id": campaign.questionnaire_version_id,
                  "language": "fr", "channel": "demo", "submission_id": f"00000000-0000-4000-8000-{int(row.id):012d}",
                  "submitted_on": dt.date(2026, 10, 1), "weight": 1.0} for row in frame.itertuples()]
    answers = []
    for row in frame.itertuples():
        answers.append({"response_id": int(row.id), "item_key": "district", "value": float(row.district), "missing": None})
        for key in ("age_band", "gender", "police_contact", "trust_police", "relations_good"):
            value = getattr(row, key)
            if not pd.isna(value):  # not given: no answer at all
                answers.append({"response_id": int(row.id), "item_key": key, "value": float(value), "missing": None})
    bulk_load(campaign, responses, answers)


@pytest.fixture
def residents(make):
    """A closed residents' wave of the standard questionnaire in a city of six districts; its answers as a frame."""
    version = make.standard_versions()["resident-perception"]
    city = make.city("nantes", districts=len(DISTRICT_SIZES))
    campaign = make.campaign("nantes-residents", city=city, version=version)
    wave = campaign.waves[0]
    frame = people(campaign, wave, DISTRICT_SIZES)
    load(campaign, wave, frame)
    close_wave(campaign)
    db.session.commit()
    return campaign, wave, frame


@pytest.fixture
def staff(make):
    """``staff(role, city)``: the Authorization header of a new user of that role."""
    made = []

    def staff(role: str, city=None) -> dict:
        user = create_user(f"{role}{len(made)}@example.org", "a long enough password", role, city)
        made.append(user)
        token = issue_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return staff
