"""Indicators computed in SQL, checked against an independent computation with pandas, scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.proportion import test_proportions_2indep as two_proportions_test
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from imppulse_survey.campaigns.services import open_wave
from imppulse_survey.extensions import db
from imppulse_survey.indicators.aggregation import CellSums
from imppulse_survey.indicators.statistics import change, estimate, estimates
from imppulse_survey.indicators.summaries import cell_sums
from imppulse_survey.questionnaires.definition import Definition
from imppulse_survey.questionnaires.scoring import indicators_of

from ..factories import bulk_load, minimal_questionnaire

RESPONSES = 600


@pytest.fixture
def survey(make):
    """600 generated responses over two waves and three districts, with random weights (seed fixed)."""
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    second = open_wave(campaign, "follow-up")
    db.session.commit()
    waves = [campaign.waves[0].id, second.id]
    districts = {d.code: d.id for d in campaign.city.districts}
    rng = np.random.default_rng(20261125)
    people, answers = [], []
    for number in range(RESPONSES):
        wave = waves[number % 2]
        district = int(rng.integers(1, 4))
        lift = 0.8 if wave == waves[1] else 0.0
        people.append({"id": number + 1, "campaign_id": campaign.id, "wave_id": wave, "district_id": districts[district],
                       "questionnaire_version_id": campaign.questionnaire_version_id, "language": "fr",
                       "channel": "demo", "submission_id": f"00000000-0000-4000-8000-{number:012d}",
                       "submitted_on": pd.Timestamp("2026-10-01").date(), "weight": float(rng.uniform(0.3, 3.0))})
        contact = int(rng.choice([1, 2], p=[0.35, 0.65]))
        answers.append((number + 1, "contact", contact, None))
        if rng.random() < 0.08:
            answers.append((number + 1, "trust", None, "dont_know"))
        elif rng.random() < 0.95:
            answers.append((number + 1, "trust", float(np.clip(round(rng.normal(5 + lift + district * 0.3, 2.2)), 0, 10)), None))
        answers.append((number + 1, "confidence", float(rng.choice([1, 2, 3, 4, 5], p=[.1, .15, .25, .3, .2])), None))
        if rng.random() < 0.9:
            answers.append((number + 1, "fair_respect", float(rng.integers(1, 6)), None))
        if rng.random() < 0.7:
            answers.append((number + 1, "fair_explain", float(rng.integers(1, 6)), None))
        if contact == 1:
            answers.append((number + 1, "satisfaction", float(rng.integers(1, 6)), None))
    bulk_load(campaign, people, [{"response_id": r, "item_key": k, "value": v, "missing": m}
                                 for r, k, v, m in answers])
    frame = pd.DataFrame(answers, columns=["response_id", "item", "value", "missing"])
    respondents = pd.DataFrame(people).rename(columns={"id": "response_id"})
    return campaign, waves, districts, frame, respondents


def per_response_scores(frame, respondents, key):
    """The indicator's score per respondent, computed independently of the SQL."""
    wide = frame[frame["missing"].isna()].pivot(index="response_id", columns="item", values="value")
    if key == "trust":
        score = wide["trust"].dropna() * 10
    elif key == "confidence":
        score = wide["confidence"].dropna().isin([4, 5]).astype(float)
    elif key == "fairness":
        parts = pd.concat([(wide["fair_respect"] - 1) / 4 * 100, (5 - wide["fair_explain"]) / 4 * 100], axis=1)
        score = parts.mean(axis=1, skipna=True)[parts.notna().sum(axis=1) >= 1]
    elif key == "satisfaction":
        base = wide.index[wide["contact"] == 1]
        score = wide.loc[base, "satisfaction"].dropna().isin([4, 5]).astype(float)
    return respondents.set_index("response_id").join(score.rename("score"), how="inner")


def indicator(campaign, key):
    return next(i for i in indicators_of(Definition(campaign.questionnaire_version.definition)) if i.key == key)


def check_mean(result, scores, weighted):
    weights = scores["weight"] if weighted else np.ones(len(scores))
    n_eff = weights.sum() ** 2 / (weights ** 2).sum()
    described = DescrStatsW(scores["score"], weights=weights * n_eff / weights.sum(), ddof=1)
    low, high = described.tconfint_mean(alpha=0.05)
    assert result.n == len(scores)
    assert result.estimate == pytest.approx(described.mean, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)
    if not weighted:
        t_low, t_high = stats.t.interval(0.95, len(scores) - 1, loc=scores["score"].mean(), scale=stats.sem(scores["score"]))
        assert (result.ci_low, result.ci_high) == pytest.approx((t_low, t_high), rel=1e-9)


def check_proportion(result, scores, weighted):
    weights = scores["weight"] if weighted else np.ones(len(scores))
    share = np.average(scores["score"], weights=weights)
    n_eff = weights.sum() ** 2 / (weights ** 2).sum()
    low, high = proportion_confint(share * n_eff, n_eff, alpha=0.05, method="wilson")
    assert result.n == len(scores)
    assert result.estimate == pytest.approx(share * 100, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((low * 100, high * 100), rel=1e-9)
    if not weighted:
        count = int(scores["score"].sum())
        ci = stats.binomtest(count, len(scores)).proportion_ci(method="wilson")
        assert (result.ci_low, result.ci_high) == pytest.approx((ci.low * 100, ci.high * 100), rel=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("key, kind", [("trust", "mean"), ("fairness", "mean"), ("confidence", "proportion"),
                                       ("satisfaction", "proportion")])
def test_estimates_by_district_match_an_independent_computation(survey, key, kind, weighted):
    campaign, _waves, _districts, frame, respondents = survey
    cells = cell_sums(campaign.id, [indicator(campaign, key)], ["district"], weighted=weighted)
    scores = per_response_scores(frame, respondents, key)
    assert len(cells) == 3
    for cell in cells:
        result = estimate(kind, cell)
        subset = scores[scores["district_id"] == cell.dimensions[0]]
        (check_mean if kind == "mean" else check_proportion)(result, subset, weighted)


def test_missing_codes_never_count(survey):
    campaign, *_ , frame, _respondents = survey
    total = cell_sums(campaign.id, [indicator(campaign, "trust")])[0]
    assert total.n == frame[(frame["item"] == "trust") & frame["missing"].isna()].shape[0]
    assert (frame["missing"] == "dont_know").sum() > 0


def test_several_indicators_and_two_breakdowns_in_one_query(survey):
    campaign, _waves, _districts, frame, respondents = survey
    chosen = [indicator(campaign, key) for key in ("trust", "confidence", "satisfaction")]
    cells = cell_sums(campaign.id, chosen, ["wave", "contact"])
    trust = {cell.dimensions: cell for cell in cells if cell.indicator == "trust"}
    scores = per_response_scores(frame, respondents, "trust")
    contact = frame[frame["item"] == "contact"].set_index("response_id")["value"]
    scores = scores.join(contact.rename("contact"))
    expected = scores.groupby(["wave_id", "contact"])["score"].agg(["count", "sum"])
    assert set(trust) == {(int(w), int(c)) for w, c in expected.index}
    for (w, c), row in expected.iterrows():
        assert trust[(int(w), int(c))].n == row["count"]
        assert trust[(int(w), int(c))].sum_wy == pytest.approx(
            (scores[(scores.wave_id == w) & (scores.contact == c)]["score"] * scores[(scores.wave_id == w) & (scores.contact == c)]["weight"]).sum())
    satisfaction = [cell for cell in cells if cell.indicator == "satisfaction"]
    assert {cell.dimensions[1] for cell in satisfaction} == {1}  # its base: people with contact only


def test_change_between_waves_for_a_mean(survey):
    campaign, waves, _districts, frame, respondents = survey
    trust = indicator(campaign, "trust")
    before, after = (estimate("mean", cell_sums(campaign.id, [trust], waves=[wave], weighted=False)[0]) for wave in waves)
    result = change("mean", before, after)
    scores = per_response_scores(frame, respondents, "trust")
    first, second = (scores[scores.wave_id == wave]["score"] for wave in waves)
    welch = stats.ttest_ind(second, first, equal_var=False)
    assert result.difference == pytest.approx(second.mean() - first.mean(), rel=1e-9)
    assert result.p_value == pytest.approx(welch.pvalue, rel=1e-6)
    low, high = CompareMeans.from_data(second, first).tconfint_diff(alpha=0.05, usevar="unequal")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-6)
    assert result.difference > 0 and result.p_value < 0.05  # the generated lift is detected


def farrington_manning_shares(p1, n1, p2, n2, delta):
    """The restricted maximum-likelihood shares (q1, q2), q1 − q2 = delta, in closed form (Farrington and
    Manning 1990, the root of a cubic; the platform maximises the likelihood numerically instead)."""
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2))
    c = delta ** 2 + delta * (2 * p1 + theta + 1) + p1 + theta * p2
    d = -p1 * delta * (1 + delta)
    v = b ** 3 / (27 * a ** 3) - b * c / (6 * a ** 2) + d / (2 * a)
    u = np.sign(v) * np.sqrt(b ** 2 / (9 * a ** 2) - c / (3 * a))
    w = (np.pi + np.arccos(np.clip(v / u ** 3, -1, 1))) / 3
    q1 = 2 * u * np.cos(w) - b / (3 * a)
    return q1, q1 - delta


def miettinen_nurminen(count1, n1, count2, n2, confidence=0.95):
    """p1 − p2 and Miettinen and Nurminen's score interval: where their statistic (with the N / (N − 1) variance
    factor) stays within the normal quantile, found with brentq."""
    p1, p2 = count1 / n1, count2 / n2
    quantile = stats.norm.ppf(0.5 + confidence / 2)

    def statistic(delta):
        q1, q2 = farrington_manning_shares(p1, n1, p2, n2, delta)
        variance = (q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2) * (n1 + n2) / (n1 + n2 - 1)
        return (p1 - p2 - delta) / np.sqrt(variance)

    edge = 1 - 1e-9
    low = brentq(lambda delta: statistic(delta) - quantile, -edge, p1 - p2)
    high = brentq(lambda delta: statistic(delta) + quantile, p1 - p2, edge)
    return p1 - p2, low, high


def test_the_independent_score_interval_gives_newcombes_published_values():
    # Newcombe (1998), Statistics in Medicine 17, Table II, method 10: 56/70 against 48/80, and 9/10 against 3/10
    assert np.round(miettinen_nurminen(56, 70, 48, 80)[1:], 4) == pytest.approx((0.0528, 0.3382), abs=1e-12)
    assert np.round(miettinen_nurminen(9, 10, 3, 10)[1:], 4) == pytest.approx((0.1700, 0.8406), abs=1e-12)


def test_change_between_waves_for_a_proportion(survey):
    campaign, waves, _districts, frame, respondents = survey
    confidence = indicator(campaign, "confidence")
    before, after = (estimate("proportion", cell_sums(campaign.id, [confidence], waves=[wave], weighted=False)[0])
                     for wave in waves)
    result = change("proportion", before, after)
    scores = per_response_scores(frame, respondents, "confidence")
    first, second = (scores[scores.wave_id == wave]["score"] for wave in waves)
    # the score test at no difference (with Miettinen and Nurminen's N / (N − 1), statsmodels' correction=True)
    test = two_proportions_test(second.sum(), len(second), first.sum(), len(first), method="score",
                                compare="diff", correction=True)
    difference, low, high = miettinen_nurminen(second.sum(), len(second), first.sum(), len(first))
    assert result.difference == pytest.approx(difference * 100, rel=1e-9)
    assert result.p_value == pytest.approx(test.pvalue, rel=1e-6)
    assert (result.ci_low, result.ci_high) == pytest.approx((low * 100, high * 100), abs=1e-6)
    assert result.ci_low < result.difference < result.ci_high


@pytest.mark.parametrize("kind", ["mean", "proportion"])
def test_a_whole_table_at_once_gives_each_cell_its_own_figures(kind):
    """The edge cases side by side: no one, one respondent, everyone alike, and ordinary cells."""
    rng = np.random.default_rng(7)
    samples = [np.array([]), np.array([60.0]), np.array([50.0, 50.0, 50.0]), rng.integers(0, 2, 40) * 100.0,
               rng.uniform(0, 100, 25), np.array([0.0, 100.0])]
    if kind == "proportion":
        samples = [sample / 100 if sample.size else sample for sample in samples]
        samples = [np.round(sample) for sample in samples]
    cells = []
    for index, sample in enumerate(samples):
        weights = rng.uniform(0.5, 2.0, sample.size)
        cells.append(CellSums("x", (index,), int(sample.size), float(weights.sum()), float((weights * sample).sum()),
                              float((weights * sample ** 2).sum()), float((weights ** 2).sum())))
    together = estimates(kind, cells)
    assert together[0] is None
    for cell, result, sample in zip(cells[1:], together[1:], samples[1:], strict=True):
        weights_sum = cell.sum_w
        n_eff = weights_sum ** 2 / cell.sum_w2
        centre = cell.sum_wy / weights_sum
        if kind == "proportion":
            low, high = proportion_confint(centre * n_eff, n_eff, alpha=0.05, method="wilson")
            assert (result.ci_low, result.ci_high) == pytest.approx((low * 100, high * 100), rel=1e-9, abs=1e-9)
            assert result.estimate == pytest.approx(centre * 100)
        elif n_eff <= 1:
            assert np.isnan(result.ci_low) and np.isnan(result.ci_high)
        elif np.ptp(sample) == 0:
            assert result.ci_low == result.ci_high == pytest.approx(centre)
        else:
            variance = (cell.sum_wy2 / weights_sum - centre ** 2) * n_eff / (n_eff - 1)
            low, high = stats.t.interval(0.95, df=n_eff - 1, loc=centre, scale=np.sqrt(variance / n_eff))
            assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)
        assert result == estimate(kind, cell) or np.isnan(result.ci_low)
