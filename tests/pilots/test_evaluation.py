"""The pilot evaluation against an independent computation: statsmodels OLS on a saturated district × wave model
with HC2 errors and the same population-share contrast, on generated data whose true effect is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from imppulse_survey.extensions import db
from imppulse_survey.pilots.evaluation import district_figures, evaluate, group_figures
from imppulse_survey.pilots.models import PilotTarget

from .conftest import COMPARISON, DISTRICTS, PILOT, declare_on

EVEN = dict.fromkeys(range(1, DISTRICTS + 1), 60)


def independent(frame: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """(DiD, its standard error) by OLS with HC2 errors on one mean per district × wave, contrasted with the
    districts' population shares within each group (populations 1000 × code, as the factory makes them)."""
    frame = frame.assign(cell=frame["district"].astype(str) + "_" + frame["wave"])
    fit = smf.ols(f"{outcome} ~ C(cell) - 1", data=frame).fit(cov_type="HC2")
    contrast = pd.Series(0.0, index=fit.params.index)
    for codes, sign in ((PILOT, 1), (COMPARISON, -1)):
        total = sum(1000 * code for code in codes)
        for code in codes:
            share = 1000 * code / total
            contrast[f"C(cell)[{code}_follow-up]"] += sign * share
            contrast[f"C(cell)[{code}_baseline]"] -= sign * share
    estimate = float(contrast @ fit.params)
    error = float(np.sqrt(contrast @ fit.cov_params() @ contrast))
    return estimate, error


def outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(trust=frame["trust_police"] * 10.0, trust_share=(frame["trust_police"] >= 6) * 100.0)


def exact_did(pilot, key: str, kind: str) -> tuple[float, float]:
    before, after = (district_figures(wave, key, kind) for wave in (pilot.resident_baseline, pilot.resident_follow_up))
    groups = group_figures(pilot, before, after)
    pilot_change, comparison_change = groups["pilot"][2], groups["comparison"][2]
    return (pilot_change.estimate - comparison_change.estimate,
            float(np.sqrt(pilot_change.variance + comparison_change.variance)))


@pytest.mark.parametrize("effect", [0.0, 15.0])
def test_the_difference_in_differences_is_the_saturated_models_contrast(measured, app_context, effect):
    campaign, frame = measured(effect, EVEN, EVEN)
    pilot, _ = declare_on(campaign)
    frame = outcomes(frame)
    for key, kind in (("trust", "mean"), ("trust_share", "proportion")):
        ours, our_error = exact_did(pilot, key, kind)
        theirs, their_error = independent(frame, key)
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)
        assert our_error == pytest.approx(their_error, rel=1e-9)
    row = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
    theirs, their_error = independent(frame, "trust")
    z = stats.norm.ppf(0.975)
    assert row["difference"]["estimate"] == pytest.approx(theirs, abs=0.051)
    assert row["difference"]["ci_low"] == pytest.approx(theirs - z * their_error, abs=0.051)
    assert row["difference"]["ci_high"] == pytest.approx(theirs + z * their_error, abs=0.051)
    assert row["difference"]["p_value"] == pytest.approx(2 * stats.norm.sf(abs(theirs) / their_error), rel=1e-6)
    # the true effect lies in the interval; a real effect of 15 points is found, none is found where there is none
    assert row["difference"]["ci_low"] <= effect <= row["difference"]["ci_high"]
    assert (row["difference"]["p_value"] < 0.001) if effect else (row["difference"]["p_value"] > 0.05)
    assert row["uncertainty"] == "sampling uncertainty only" and row["primary"]


def test_group_estimates_are_post_stratified_by_district(measured, app_context):
    """Who answered shifts towards the districts that trust the police more at follow-up, with no effect: a raw
    group mean reads it as a rise; the post-stratified estimate does not."""
    after = {**EVEN, 7: 400, 10: 400}
    campaign, frame = measured(0.0, EVEN, after, seed=3)
    pilot, _ = declare_on(campaign)
    frame = outcomes(frame)
    row = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
    means = frame.groupby(["wave", "district"])["trust"].mean()
    for group, codes in (("pilot", PILOT), ("comparison", COMPARISON)):
        shares = pd.Series({code: 1000.0 * code for code in codes})
        shares /= shares.sum()
        for wave, name in (("baseline", "baseline"), ("follow-up", "follow_up")):
            expected = float((means[wave][codes] * shares).sum())
            assert row[group][name]["estimate"] == pytest.approx(expected, abs=0.051)
        raw = frame[frame["district"].isin(codes)].groupby("wave")["trust"].mean()
        raw_change = raw["follow-up"] - raw["baseline"]
        if group == "pilot":  # district 7 trusts most of the pilot districts and answered most at follow-up
            assert raw_change - row[group]["change"]["estimate"] > 1.0
    assert row["difference"]["ci_low"] <= 0 <= row["difference"]["ci_high"]


def test_target_reached_follows_the_follow_up_interval_and_the_targets_side(measured, app_context):
    campaign, _ = measured(15.0, EVEN, EVEN)
    pilot, _ = declare_on(campaign)
    row = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
    low, high = row["pilot"]["follow_up"]["ci_low"], row["pilot"]["follow_up"]["ci_high"]
    cases = [(40.0, low - 5, "yes"), (40.0, high + 5, "no"), (40.0, (low + high) / 2, "cannot_tell"),
             (90.0, high + 5, "yes"), (90.0, low - 5, "no"), (90.0, (low + high) / 2, "cannot_tell")]
    for baseline, target, expected in cases:
        target_row = db.session.scalar(db.select(PilotTarget).filter_by(pilot_id=pilot.id, indicator="trust"))
        target_row.baseline_value, target_row.target_value = baseline, target
        db.session.flush()
        found = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
        assert found["target_reached"] == expected, (baseline, target)
    db.session.rollback()


def test_with_eight_districts_or_more_the_pilot_change_is_ranked_among_the_others(measured, app_context):
    campaign, frame = measured(15.0, EVEN, EVEN)
    pilot, _ = declare_on(campaign)
    row = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
    frame = outcomes(frame)
    means = frame.groupby(["district", "wave"])["trust"].mean().unstack()
    changes = means["follow-up"] - means["baseline"]
    others = changes.drop(PILOT)
    assert row["placebo"] == {"rank": int((others > row["pilot"]["change"]["estimate"]).sum()) + 1,
                              "of": len(others) + 1}
    assert row["placebo"]["rank"] == 1  # a 15-point effect: no other district moved as far
