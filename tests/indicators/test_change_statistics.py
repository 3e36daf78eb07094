"""Change and gap statistics that never break: checked against published values and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from imppulse_survey.indicators.statistics import Estimate, change, mover_gap, score_difference

# Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison of eleven
# methods", Statistics in Medicine 17, Table II, method 10 (Miettinen and Nurminen's score interval)
NEWCOMBE = [
    ((56, 70, 48, 80), (0.0528, 0.3382)),
    ((9, 10, 3, 10), (0.1700, 0.8406)),
    ((6, 7, 2, 7), (0.0342, 0.8534)),
    ((5, 56, 0, 29), (-0.0326, 0.1933)),
    ((0, 10, 0, 20), (-0.1658, 0.2844)),
    ((0, 10, 0, 10), (-0.2879, 0.2879)),
    ((10, 10, 0, 20), (0.7156, 1.0)),
    ((10, 10, 0, 10), (0.6636, 1.0)),
]


@pytest.mark.parametrize("counts, published", NEWCOMBE)
def test_the_score_interval_gives_newcombes_published_values(counts, published):
    result = score_difference(*counts)
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == published


QUANTILE = stats.norm.ppf(0.975)


def grid_inversion(count1, n1, count2, n2, quantile=QUANTILE):
    """An independent inversion of the score test: the restricted maximum likelihood on a fine grid of shares,
    the statistic at each difference on a grid, and the differences it does not reject."""
    p1, p2 = count1 / n1, count2 / n2
    accepted = []
    for delta in np.linspace(-0.999, 0.999, 1999):
        q2 = np.linspace(max(0.0, -delta), min(1.0, 1.0 - delta), 4001)[1:-1]
        q1 = q2 + delta
        with np.errstate(divide="ignore", invalid="ignore"):
            likelihood = (np.where(count1 > 0, count1 * np.log(q1), 0) + np.where(n1 - count1 > 0, (n1 - count1) * np.log(1 - q1), 0)
                          + np.where(count2 > 0, count2 * np.log(q2), 0) + np.where(n2 - count2 > 0, (n2 - count2) * np.log(1 - q2), 0))
        best = int(np.nanargmax(likelihood))
        variance = (q1[best] * (1 - q1[best]) / n1 + q2[best] * (1 - q2[best]) / n2) * (n1 + n2) / (n1 + n2 - 1)
        if abs(p1 - p2 - delta) / math.sqrt(variance) <= quantile:
            accepted.append(delta)
    return min(accepted), max(accepted)


@pytest.mark.parametrize("counts", [(3, 12, 9, 14), (7.4, 18.2, 2.1, 9.6), (0, 15, 15, 15), (1, 30, 29, 30)])
def test_the_score_interval_matches_a_grid_inversion(counts):
    result = score_difference(*counts)
    low, high = grid_inversion(*counts)
    assert result.ci_low == pytest.approx(low, abs=2e-3) or low == -0.999
    assert result.ci_high == pytest.approx(high, abs=2e-3) or high == 0.999


def test_the_score_test_at_no_difference_is_the_pooled_test():
    # at a difference of 0 the restricted shares are the pooled share: the score test is the usual z test,
    # with Miettinen and Nurminen's N / (N - 1)
    count1, n1, count2, n2 = 30, 100, 45, 90
    pooled = (count1 + count2) / (n1 + n2)
    z = (count1 / n1 - count2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2) * (n1 + n2) / (n1 + n2 - 1))
    assert score_difference(count1, n1, count2, n2).p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def estimate(value, low, high, n=40, error=None, deviation=1.0):
    return Estimate(n, float(n), value, error if error is not None else (high - low) / 3.92, low, high, deviation)


def test_welch_for_means_matches_scipy():
    rng = np.random.default_rng(4)
    before, after = rng.normal(60, 15, 40), rng.normal(66, 20, 55)
    parts = []
    for sample in (before, after):
        deviation = sample.std(ddof=1)
        error = deviation / math.sqrt(len(sample))
        parts.append(Estimate(len(sample), float(len(sample)), float(sample.mean()), error, 0.0, 0.0, deviation))
    result = change("mean", *parts)
    test = stats.ttest_ind(after, before, equal_var=False)
    interval = test.confidence_interval(0.95)
    assert result.p_value == pytest.approx(test.pvalue, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_means_without_spread_have_not_enough_variation():
    flat = Estimate(12, 12.0, 70.0, 0.0, 70.0, 70.0, 0.0)
    assert change("mean", flat, flat) is None
    assert change("mean", flat, Estimate(1, 1.0, 50.0, 0.0, 50.0, 50.0, 0.0)) is None


def test_the_mover_gap_combines_the_two_intervals():
    officers, residents = estimate(70.0, 61.0, 77.0), estimate(48.0, 44.0, 53.0)
    gap = mover_gap(officers, residents)
    assert gap.difference == 22.0 and gap.p_value is None
    assert gap.ci_low == pytest.approx(22.0 - math.sqrt(9.0 ** 2 + 5.0 ** 2))
    assert gap.ci_high == pytest.approx(22.0 + math.sqrt(7.0 ** 2 + 4.0 ** 2))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.floats(0, 1), st.floats(0.5, 5000), st.floats(0, 1), st.floats(0.5, 5000))
def test_no_proportions_ever_give_nan_or_infinity(share1, n1, share2, n2):
    result = score_difference(share1 * n1, n1, share2 * n2, n2)
    values = (result.difference, result.ci_low, result.ci_high, result.p_value)
    assert all(math.isfinite(value) for value in values)
    assert -1 <= result.ci_low <= result.difference + 1e-9 <= result.ci_high + 2e-9 <= 1 + 2e-9
    assert 0 <= result.p_value <= 1


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.floats(0, 100), st.floats(0, 40), st.floats(1, 5000), st.floats(0, 100), st.floats(0, 40),
       st.floats(1, 5000))
def test_no_means_ever_give_nan_or_infinity(mean1, deviation1, n1, mean2, deviation2, n2):
    parts = [Estimate(int(n), n, mean, deviation / math.sqrt(n), 0.0, 0.0, deviation)
             for mean, deviation, n in ((mean1, deviation1, n1), (mean2, deviation2, n2))]
    result = change("mean", *parts)
    if result is not None:
        assert all(math.isfinite(value) for value in (result.difference, result.ci_low, result.ci_high, result.p_value))


def test_a_gap_change_combines_the_two_gaps_intervals():
    """MOVER on two differences, by hand (Zou and Donner 2008, eq. 5): later gap 22 [12.7, 30.1], earlier 30 [25, 36]."""
    from imppulse_survey.indicators.statistics import Change, gap_change

    moved = gap_change(Change(22.0, 12.7, 30.1, None), Change(30.0, 25.0, 36.0, None))
    assert moved.difference == -8.0 and moved.p_value is None
    assert moved.ci_low == pytest.approx(-8.0 - math.sqrt((22.0 - 12.7) ** 2 + (36.0 - 30.0) ** 2))
    assert moved.ci_high == pytest.approx(-8.0 + math.sqrt((30.1 - 22.0) ** 2 + (30.0 - 25.0) ** 2))
