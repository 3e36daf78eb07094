"""Mirror indicators: officers' mean estimate of a residents' percentage minus that percentage, for two released
waves the caller names, with a MOVER interval from the officers' t interval and the residents' Wilson interval,
recomputed here with scipy and statsmodels from the same answers. A version-1 pair (officers asked to agree that
"most residents" do something) is shown side by side as not comparable, never as a gap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import create_invitations
from imppulse_survey.extensions import db
from imppulse_survey.responses.services import submit

from ..factories import minimal_questionnaire, submission_id, text
from .test_disclosure import fill

OFFICERS = 70


def officer_questionnaire() -> dict:
    definition = minimal_questionnaire(audience="officer", key="officer-survey")
    definition["pages"][0]["items"].append(
        {"key": "estimate_confidence", "type": "estimate_10", "missing": ["dont_know"],
         "text": text("Out of every 10 residents where you work, how many would agree they have confidence?")})
    definition["indicators"] += [
        {"key": "perceived_confidence", "label": text("Confidence, officers' estimate"), "kind": "estimate",
         "items": ["estimate_confidence"], "mirror_of": "confidence"},
        # the version-1 design: officers agree or not that residents are confident; a share, not an estimate
        {"key": "agreed_confidence", "label": text("Most residents are confident"), "kind": "proportion",
         "items": ["confidence"], "codes": [4, 5], "mirror_of": "confidence"},
    ]
    return definition


def officers_answer(officers, rng) -> pd.DataFrame:
    """Each officer's agreement (1–5) and estimate out of 10 (a few say they don't know)."""
    frame = pd.DataFrame({"confidence": rng.choice([2, 3, 4, 5], size=OFFICERS, p=[.1, .2, .4, .3]),
                          "estimate": rng.choice([3, 4, 5, 6, 7, 8, -1], size=OFFICERS,
                                                 p=[.1, .2, .2, .2, .15, .1, .05])})
    for row, token in zip(frame.itertuples(), create_invitations(officers, OFFICERS), strict=True):
        answers = {"contact": 2, "district": 1, "confidence": int(row.confidence),
                   "estimate_confidence": int(row.estimate) if row.estimate >= 0 else "dont_know"}
        submit(officers.slug, answers, language="fr", submission_id=submission_id(), channel="web", token=token)
    db.session.commit()
    return frame


@pytest.fixture
def city_pair(make):
    """A residents' and an officers' campaign of one city, each with a filled baseline wave, nothing released:
    residents loaded in bulk, officers answering with their invitations (sealed until their wave's release)."""
    city = make.city("nantes", districts=4)
    residents = make.campaign("nantes-residents", city=city, version=make.version(minimal_questionnaire()))
    officers = make.campaign("nantes-officers", city=city, version=make.version(officer_questionnaire()),
                             access_mode="invitation")
    resident_frame = fill(residents, [residents.waves[0].id], [{1: 60, 2: 50, 3: 40, 4: 30}], seed=1)
    officer_frame = officers_answer(officers, np.random.default_rng(2))
    user = create_user("efus@efus.eu", "a long enough password", "admin", None)
    token = issue_token(user)
    db.session.commit()
    return residents, officers, resident_frame, officer_frame, {"Authorization": f"Bearer {token}"}


def mirror_url(residents="nantes-residents", resident_wave="baseline", officers="nantes-officers",
               officer_wave="baseline") -> str:
    return (f"/api/v1/mirror?residents={residents}&resident_wave={resident_wave}&officers={officers}"
            f"&officer_wave={officer_wave}")


def independent_gap(resident_frame: pd.DataFrame, officer_frame: pd.DataFrame) -> tuple[float, float, float, float]:
    """Residents' % agreeing, and the gap (officers' mean estimate × 10 minus it) with its MOVER interval (Zou and
    Donner 2008) from scipy's t interval and statsmodels' Wilson interval."""
    agree, n = int(resident_frame["confidence"].isin([4, 5]).sum()), len(resident_frame)
    resident = agree / n * 100
    r_low, r_high = (bound * 100 for bound in proportion_confint(agree, n, method="wilson"))
    estimates = officer_frame.loc[officer_frame["estimate"] >= 0, "estimate"] * 10
    officer = estimates.mean()
    o_low, o_high = stats.t.interval(0.95, len(estimates) - 1, loc=officer, scale=stats.sem(estimates))
    gap = officer - resident
    return (resident, gap, gap - math.hypot(officer - o_low, r_high - resident),
            gap + math.hypot(o_high - officer, resident - r_low))


def pairs_by_officer_indicator(client, url, auth) -> dict:
    return {pair["officer_indicator"]: pair for pair in client.get(url, headers=auth).get_json()["pairs"]}


def test_the_gap_is_officers_mean_estimate_minus_residents_percentage_with_a_mover_interval(client, make, city_pair):
    residents, officers, resident_frame, officer_frame, auth = city_pair
    # before the waves are released there is nothing to compare
    pair = pairs_by_officer_indicator(client, mirror_url(), auth)["perceived_confidence"]
    assert pair["status"] == "no_data" and "gap" not in pair
    make.release(residents)
    pair = pairs_by_officer_indicator(client, mirror_url(), auth)["perceived_confidence"]
    assert pair["status"] == "no_data" and pair["officers"]["status"] == "no_data"  # officers still sealed
    assert pair["residents"]["status"] == "estimate"  # the residents' level is there all the same
    make.release(officers)  # opened with the wave's private key, then released
    response = client.get(mirror_url(), headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["residents"] == {"campaign": "nantes-residents", "wave": "baseline"}
    assert body["officers"] == {"campaign": "nantes-officers", "wave": "baseline"}
    pair = {pair["officer_indicator"]: pair for pair in body["pairs"]}["perceived_confidence"]
    assert pair["resident_indicator"] == "confidence"
    assert pair["status"] == "estimate" and pair["method"] == "MOVER" and "p_value" not in pair
    resident, gap, low, high = independent_gap(resident_frame, officer_frame)
    answered = int((officer_frame["estimate"] >= 0).sum())
    assert (pair["officers"]["n"], pair["residents"]["n"]) == (answered, len(resident_frame))
    assert pair["residents"]["estimate"] == pytest.approx(resident, abs=0.05 + 1e-9)
    assert pair["gap"] == pytest.approx(gap, abs=0.05 + 1e-9)  # one decimal
    assert (pair["gap_ci_low"], pair["gap_ci_high"]) == pytest.approx((low, high), abs=0.05 + 1e-9)
    assert pair["gap_ci_low"] < pair["gap"] < pair["gap_ci_high"]


def test_a_version_1_pair_is_shown_side_by_side_and_never_as_a_gap(client, make, city_pair):
    residents, officers, resident_frame, officer_frame, auth = city_pair
    make.release(residents)
    make.release(officers)
    pair = pairs_by_officer_indicator(client, mirror_url(), auth)["agreed_confidence"]
    assert pair["status"] == "not_comparable"
    assert not {"gap", "gap_ci_low", "gap_ci_high"} & set(pair)
    # both sides are still what they are: the residents' share, and the share of officers who agree
    assert pair["residents"]["estimate"] == pytest.approx(
        resident_frame["confidence"].isin([4, 5]).mean() * 100, abs=0.05 + 1e-9)
    assert pair["officers"]["estimate"] == pytest.approx(
        officer_frame["confidence"].isin([4, 5]).mean() * 100, abs=0.05 + 1e-9)


def test_mirror_checks_the_campaigns_the_city_and_the_waves(client, city_pair, make):
    residents, officers, _residents_frame, _officers_frame, auth = city_pair
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
    """The change in the gap: MOVER on the two gaps, each itself a MOVER difference (recomputed independently)."""
    from imppulse_survey.campaigns.services import open_wave

    residents, officers, resident_frame, officer_frame, auth = city_pair
    make.release(residents)
    make.release(officers)
    later_residents = fill(residents, [make.key_wave(open_wave(residents, "follow-up")).id],
                           [{1: 50, 2: 50, 3: 50, 4: 50}], seed=3)
    make.key_wave(open_wave(officers, "follow-up"))
    db.session.commit()
    later_officers = officers_answer(officers, np.random.default_rng(4))
    make.release(residents)
    make.release(officers)
    since = "&since_resident_wave=baseline&since_officer_wave=baseline"
    pair = pairs_by_officer_indicator(client, mirror_url(resident_wave="follow-up", officer_wave="follow-up") + since,
                                      auth)["perceived_confidence"]
    _, later, later_low, later_high = independent_gap(later_residents, later_officers)
    _, earlier, earlier_low, earlier_high = independent_gap(resident_frame, officer_frame)
    moved = pair["gap_change"]
    assert moved["since"] == {"resident_wave": "baseline", "officer_wave": "baseline"} and moved["status"] == "estimate"
    assert moved["difference"] == pytest.approx(later - earlier, abs=0.05 + 1e-9)
    assert moved["ci_low"] == pytest.approx(
        later - earlier - np.hypot(later - later_low, earlier_high - earlier), abs=0.1)
    assert moved["ci_high"] == pytest.approx(
        later - earlier + np.hypot(later_high - later, earlier - earlier_low), abs=0.1)
    half = client.get(mirror_url() + "&since_resident_wave=baseline", headers=auth)
    assert half.status_code == 400 and "since_resident_wave" in half.get_json()["problems"]


def test_weighted_residents_enter_the_gap_with_kishs_effective_n(client, make):
    """Residents raked to population margins: their share and Wilson interval use the weights and Kish's effective
    sample size (Σw)²/Σw², recomputed here from the stored weights."""
    from sqlalchemy import text as sql

    from imppulse_survey.weighting.raking import read_margins
    from imppulse_survey.weighting.services import rake_wave

    from ..weighting.test_raking import MARGINS, load_people, texts

    city = make.city("nantes", districts=3)
    definition = minimal_questionnaire()
    definition["pages"][2]["items"] += [
        {"key": "age_band", "type": "single_choice", "text": texts("Age"),
         "options": [{"code": c, "label": texts(f"band {c}")} for c in (1, 2, 3)]},
        {"key": "gender", "type": "single_choice", "text": texts("Gender"),
         "options": [{"code": c, "label": texts(f"gender {c}")} for c in (1, 2)]}]
    definition["indicators"].append({"key": "trust_share", "label": text("Trust 6+"), "kind": "proportion",
                                     "items": ["trust"], "codes": [6, 7, 8, 9, 10]})
    residents = make.campaign("nantes-residents", city=city, version=make.version(definition))
    load_people(residents, residents.waves[0], 400)
    rake_wave(residents, residents.waves[0], read_margins(MARGINS))
    officer_definition = officer_questionnaire()
    officer_definition["indicators"][-2]["mirror_of"] = "trust_share"
    officers = make.campaign("nantes-officers", city=city, version=make.version(officer_definition),
                             access_mode="invitation")
    officer_frame = officers_answer(officers, np.random.default_rng(5))
    make.release(residents)
    make.release(officers)
    token = issue_token(create_user("efus@efus.eu", "a long enough password", "admin", None))
    db.session.commit()
    pair = pairs_by_officer_indicator(client, mirror_url(), {"Authorization": f"Bearer {token}"})["perceived_confidence"]
    rows = db.session.execute(sql("SELECT r.weight, a.value FROM answers a JOIN responses r ON r.id = a.response_id "
                                  "WHERE a.item_key = 'trust' AND r.campaign_id = :c"), {"c": residents.id}).all()
    weights = pd.Series([row[0] for row in rows])
    trusting = pd.Series([row[1] >= 6 for row in rows], dtype=float)
    assert weights.nunique() > 1  # the residents are weighted, or the test would prove nothing
    share = float((weights * trusting).sum() / weights.sum())
    n_eff = float(weights.sum() ** 2 / (weights ** 2).sum())
    low, high = (bound * 100 for bound in proportion_confint(share * n_eff, n_eff, method="wilson"))
    estimates = officer_frame.loc[officer_frame["estimate"] >= 0, "estimate"] * 10
    officer = estimates.mean()
    o_low, o_high = stats.t.interval(0.95, len(estimates) - 1, loc=officer, scale=stats.sem(estimates))
    gap = officer - share * 100
    assert pair["status"] == "estimate"
    assert pair["residents"]["estimate"] == pytest.approx(share * 100, abs=0.05 + 1e-9)
    assert (pair["residents"]["ci_low"], pair["residents"]["ci_high"]) == pytest.approx((low, high), abs=0.05 + 1e-9)
    assert pair["gap"] == pytest.approx(gap, abs=0.05 + 1e-9)
    assert pair["gap_ci_low"] == pytest.approx(gap - math.hypot(officer - o_low, high - share * 100), abs=0.05 + 1e-9)
    assert pair["gap_ci_high"] == pytest.approx(gap + math.hypot(o_high - officer, share * 100 - low), abs=0.05 + 1e-9)
