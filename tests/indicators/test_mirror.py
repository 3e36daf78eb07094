"""Mirror indicators: officers' figure minus residents', for two released waves the caller names, with an
interval from two independent samples (MOVER from the two Wilson intervals: Newcombe's hybrid score interval)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import create_invitations
from imppulse_survey.extensions import db
from imppulse_survey.responses.services import submit

from ..factories import minimal_questionnaire, submission_id, text
from .test_disclosure import fill

OFFICERS = 70


def officer_questionnaire() -> dict:
    definition = minimal_questionnaire(audience="officer", key="officer-survey")
    definition["indicators"].append({"key": "perceived_confidence", "label": text("Perceived"),
                                     "kind": "proportion", "items": ["confidence"], "codes": [4, 5],
                                     "mirror_of": "confidence"})
    return definition


@pytest.fixture
def city_pair(make):
    """A residents' and an officers' campaign of one city, each with a filled baseline wave, nothing released:
    residents loaded in bulk, officers answering with their invitations (sealed until their wave's release)."""
    city = make.city("nantes", districts=4)
    residents = make.campaign("nantes-residents", city=city, version=make.version(minimal_questionnaire()))
    officers = make.campaign("nantes-officers", city=city, version=make.version(officer_questionnaire()),
                             access_mode="invitation")
    resident_frame = fill(residents, [residents.waves[0].id], [{1: 60, 2: 50, 3: 40, 4: 30}], seed=1)
    rng = np.random.default_rng(2)
    confidence = [int(value) for value in rng.choice([2, 3, 4, 5], size=OFFICERS, p=[.1, .2, .4, .3])]
    for value, token in zip(confidence, create_invitations(officers, OFFICERS), strict=True):
        submit(officers.slug, {"contact": 2, "district": 1, "confidence": value}, language="fr",
               submission_id=submission_id(), channel="web", token=token)
    user = create_user("efus@efus.eu", "a long enough password", "admin", None)
    token = issue_token(user)
    db.session.commit()
    return residents, officers, resident_frame, pd.Series(confidence), {"Authorization": f"Bearer {token}"}


def mirror_url(residents="nantes-residents", resident_wave="baseline", officers="nantes-officers",
               officer_wave="baseline") -> str:
    return (f"/api/v1/mirror?residents={residents}&resident_wave={resident_wave}&officers={officers}"
            f"&officer_wave={officer_wave}")


def test_the_gap_matches_newcombes_interval_for_two_independent_samples(client, make, city_pair):
    residents, officers, resident_frame, officer_confidence, auth = city_pair
    # before the waves are released there is nothing to compare
    pair, = client.get(mirror_url(), headers=auth).get_json()["pairs"]
    assert pair["status"] == "no_data" and "gap" not in pair
    make.release(residents)
    pair, = client.get(mirror_url(), headers=auth).get_json()["pairs"]
    assert pair["status"] == "no_data" and pair["officers"]["status"] == "no_data"  # officers still sealed
    make.release(officers)  # opened with the wave's private key, then released
    response = client.get(mirror_url(), headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["residents"] == {"campaign": "nantes-residents", "wave": "baseline"}
    assert body["officers"] == {"campaign": "nantes-officers", "wave": "baseline"}
    pair, = body["pairs"]
    assert (pair["resident_indicator"], pair["officer_indicator"]) == ("confidence", "perceived_confidence")
    assert pair["status"] == "estimate" and pair["method"] == "MOVER" and "p_value" not in pair
    officer_agree = int(officer_confidence.isin([4, 5]).sum())
    resident_agree = int(resident_frame["confidence"].isin([4, 5]).sum())
    officer_n, resident_n = len(officer_confidence), len(resident_frame)
    assert (pair["officers"]["n"], pair["residents"]["n"]) == (officer_n, resident_n)
    assert pair["residents"]["estimate"] == pytest.approx(resident_agree / resident_n * 100, abs=0.05 + 1e-9)
    assert pair["gap"] == pytest.approx((officer_agree / officer_n - resident_agree / resident_n) * 100,
                                        abs=0.05 + 1e-9)  # one decimal
    low, high = confint_proportions_2indep(officer_agree, officer_n, resident_agree, resident_n, method="newcomb",
                                           compare="diff")
    assert (pair["gap_ci_low"], pair["gap_ci_high"]) == pytest.approx((low * 100, high * 100), abs=0.05 + 1e-9)
    assert pair["gap_ci_low"] < pair["gap"] < pair["gap_ci_high"]


def test_mirror_checks_the_campaigns_the_city_and_the_waves(client, city_pair, make):
    residents, officers, _frame, _confidence, auth = city_pair
    make.release(residents)
    make.release(officers)
    assert client.get(mirror_url(), headers=auth).status_code == 200
    for wrong, field in [({"resident_wave": "autumn"}, "resident_wave"), ({"officer_wave": "autumn"}, "officer_wave"),
                         ({"residents": "nantes-officers", "officers": "nantes-residents"}, "residents")]:
        response = client.get(mirror_url(**wrong), headers=auth)
        assert response.status_code == 400 and field in response.get_json()["problems"], wrong
    missing = client.get("/api/v1/mirror?residents=nantes-residents&resident_wave=baseline", headers=auth)
    assert missing.status_code == 400 and {"officers", "officer_wave"} <= set(missing.get_json()["problems"])
    assert client.get(mirror_url(residents="atlantis-residents"), headers=auth).status_code == 404
    assert client.get(mirror_url()).status_code == 401
    # the officers of another city are not a mirror of these residents
    lisbon = make.city("lisbon", language="pt")
    make.campaign("lisbon-officers", city=lisbon, version=officers.questionnaire_version, access_mode="invitation")
    other_city = client.get(mirror_url(officers="lisbon-officers"), headers=auth)
    assert other_city.status_code == 400 and "officers" in other_city.get_json()["problems"]
    # a viewer of another city does not learn that the campaigns exist
    viewer = create_user("ana@lisboa.pt", "a long enough password", "viewer", lisbon)
    token = issue_token(viewer)
    db.session.commit()
    assert client.get(mirror_url(), headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_how_a_gap_moved_since_an_earlier_pair_of_waves(client, make, city_pair):
    """The change in the gap: MOVER on the two gaps, each itself a MOVER difference (recomputed with statsmodels)."""
    from imppulse_survey.campaigns.services import open_wave

    residents, officers, resident_frame, officer_confidence, auth = city_pair
    make.release(residents)
    make.release(officers)
    later_residents = fill(residents, [make.key_wave(open_wave(residents, "follow-up")).id],
                           [{1: 50, 2: 50, 3: 50, 4: 50}], seed=3)
    make.key_wave(open_wave(officers, "follow-up"))
    db.session.commit()
    rng = np.random.default_rng(4)
    later_confidence = pd.Series([int(value) for value in rng.choice([2, 3, 4, 5], size=OFFICERS, p=[.3, .3, .2, .2])])
    for value, token in zip(later_confidence, create_invitations(officers, OFFICERS), strict=True):
        submit(officers.slug, {"contact": 2, "district": 1, "confidence": value}, language="fr",
               submission_id=submission_id(), channel="web", token=token)
    db.session.commit()
    make.release(residents)
    make.release(officers)
    since = "&since_resident_wave=baseline&since_officer_wave=baseline"
    pair, = client.get(mirror_url(resident_wave="follow-up", officer_wave="follow-up") + since,
                       headers=auth).get_json()["pairs"]
    gaps = []
    for frame, officer in ((later_residents, later_confidence), (resident_frame, officer_confidence)):
        agree, n = int(frame["confidence"].isin([4, 5]).sum()), len(frame)
        officer_agree = int(officer.isin([4, 5]).sum())
        low, high = confint_proportions_2indep(officer_agree, OFFICERS, agree, n, method="newcomb", compare="diff")
        gaps.append(((officer_agree / OFFICERS - agree / n) * 100, low * 100, high * 100))
    (later, later_low, later_high), (earlier, earlier_low, earlier_high) = gaps
    moved = pair["gap_change"]
    assert moved["since"] == {"resident_wave": "baseline", "officer_wave": "baseline"} and moved["status"] == "estimate"
    assert moved["difference"] == pytest.approx(later - earlier, abs=0.05 + 1e-9)
    assert moved["ci_low"] == pytest.approx(
        later - earlier - np.hypot(later - later_low, earlier_high - earlier), abs=0.1)
    assert moved["ci_high"] == pytest.approx(
        later - earlier + np.hypot(later_high - later, earlier - earlier_low), abs=0.1)
    half = client.get(mirror_url() + "&since_resident_wave=baseline", headers=auth)
    assert half.status_code == 400 and "since_resident_wave" in half.get_json()["problems"]
