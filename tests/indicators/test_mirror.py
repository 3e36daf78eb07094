"""Mirror indicators: officers' figure minus residents', with an interval from two independent samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text as sql
from statsmodels.stats.proportion import test_proportions_2indep as two_proportions_test

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.core.models import utcnow
from imppulse_survey.extensions import db

from ..factories import bulk_load, minimal_questionnaire, text
from .test_disclosure import fill


@pytest.fixture
def city_pair(make):
    city = make.city("nantes", districts=4)
    residents = make.campaign("nantes-residents", city=city, version=make.version(minimal_questionnaire()))
    officer_definition = minimal_questionnaire(audience="officer", key="officer-survey")
    officer_definition["indicators"].append({"key": "perceived_confidence", "label": text("Perceived"),
                                             "kind": "proportion", "items": ["confidence"], "codes": [4, 5],
                                             "mirror_of": "confidence"})
    officers = make.campaign("nantes-officers", city=city, version=make.version(officer_definition),
                             access_mode="invitation")
    fill(residents, [residents.waves[0].id], [{1: 60, 2: 50, 3: 40, 4: 30}], seed=1)
    offset = db.session.execute(sql("SELECT max(id) FROM responses")).scalar()
    rng = np.random.default_rng(2)
    people = [{"id": offset + n + 1, "campaign_id": officers.id, "wave_id": officers.waves[0].id, "district_id": None,
               "questionnaire_version_id": officers.questionnaire_version_id, "language": "fr", "channel": "demo",
               "submission_id": f"10000000-0000-4000-8000-{n:012d}", "submitted_on": pd.Timestamp("2026-10-02").date(),
               "weight": 1.0} for n in range(70)]
    bulk_load(officers, people, [
        {"response_id": p["id"], "item_key": "confidence", "value": float(rng.choice([2, 3, 4, 5], p=[.1, .2, .4, .3])),
         "missing": None} for p in people])
    # officers' figures exist once their wave is released (as the release command leaves it)
    officers.waves[0].closes_dt = officers.waves[0].released_dt = utcnow()
    user = create_user("efus@efus.eu", "a long enough password", "admin", None)
    token = issue_token(user)
    db.session.commit()
    return residents, officers, {"Authorization": f"Bearer {token}"}


def test_the_gap_matches_a_two_sample_test(client, city_pair):
    residents, officers, auth = city_pair
    response = client.get("/api/v1/cities/nantes/mirror?wave=baseline", headers=auth)
    assert response.status_code == 200
    pair, = response.get_json()["pairs"]
    assert (pair["resident_indicator"], pair["officer_indicator"]) == ("confidence", "perceived_confidence")
    rows = db.session.execute(sql("SELECT r.campaign_id, a.value FROM answers a JOIN responses r ON r.id = a.response_id"
                                  " WHERE a.item_key = 'confidence'")).all()
    frame = pd.DataFrame(rows, columns=["campaign", "value"])
    agree = frame.assign(agree=frame.value.isin([4, 5])).groupby("campaign")["agree"].agg(["sum", "count"])
    officer_share = agree.loc[officers.id, "sum"] / agree.loc[officers.id, "count"]
    resident_share = agree.loc[residents.id, "sum"] / agree.loc[residents.id, "count"]
    assert pair["gap"] == pytest.approx((officer_share - resident_share) * 100, rel=1e-9)
    test = two_proportions_test(agree.loc[officers.id, "sum"], agree.loc[officers.id, "count"],
                                agree.loc[residents.id, "sum"], agree.loc[residents.id, "count"],
                                method="wald", compare="diff", correction=False)
    assert pair["p_value"] == pytest.approx(test.pvalue, rel=1e-6)
    assert pair["gap_ci_low"] < pair["gap"] < pair["gap_ci_high"]


def test_mirror_checks_the_city_and_the_wave(client, city_pair, make):
    _residents, _officers, auth = city_pair
    assert client.get("/api/v1/cities/nantes/mirror?wave=autumn", headers=auth).status_code == 400
    assert client.get("/api/v1/cities/atlantis/mirror", headers=auth).status_code == 404
    assert client.get("/api/v1/cities/nantes/mirror").status_code == 401
    lisbon = make.city("lisbon", language="pt")
    viewer = create_user("ana@lisboa.pt", "a long enough password", "viewer", lisbon)
    token = issue_token(viewer)
    db.session.commit()
    assert client.get("/api/v1/cities/nantes/mirror", headers={"Authorization": f"Bearer {token}"}).status_code == 404
