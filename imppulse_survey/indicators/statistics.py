"""Estimates and intervals from a cell's sufficient statistics, with scipy and statsmodels.

Weighted estimates use Kish's effective sample size n_eff = (Σw)² / Σw² in place of n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .aggregation import CellSums

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    n: int
    n_effective: float
    estimate: float
    standard_error: float
    ci_low: float
    ci_high: float
    #: the sample standard deviation of the scores (means) or of the 0/1 outcome (proportions)
    deviation: float


def effective_n(cell: CellSums) -> float:
    return cell.sum_w ** 2 / cell.sum_w2 if cell.sum_w2 else 0.0


def estimate(kind: str, cell: CellSums, confidence: float = CONFIDENCE) -> Estimate | None:
    if cell.n == 0 or cell.sum_w <= 0:
        return None
    n_eff = effective_n(cell)
    centre = cell.sum_wy / cell.sum_w
    if kind == "proportion":
        low, high = proportion_confint(centre * n_eff, n_eff, alpha=1 - confidence, method="wilson")
        deviation = math.sqrt(max(centre * (1 - centre), 0.0))
        return Estimate(cell.n, n_eff, centre * 100, deviation / math.sqrt(n_eff) * 100, low * 100, high * 100,
                        deviation)
    # a weighted variance, made unbiased the way a sample variance is (n_eff / (n_eff - 1))
    spread = max(cell.sum_wy2 / cell.sum_w - centre ** 2, 0.0)
    variance = spread * n_eff / (n_eff - 1) if n_eff > 1 else float("nan")
    deviation = math.sqrt(variance) if n_eff > 1 else float("nan")
    error = deviation / math.sqrt(n_eff) if n_eff > 1 else float("nan")
    if n_eff > 1 and error == 0:  # everyone gave the same answer
        low = high = centre
    elif n_eff > 1:
        low, high = stats.t.interval(confidence, df=n_eff - 1, loc=centre, scale=error)
    else:
        low = high = float("nan")
    return Estimate(cell.n, n_eff, centre, error, low, high, deviation)


@dataclass(frozen=True)
class Change:
    before: Estimate
    after: Estimate
    difference: float
    ci_low: float
    ci_high: float
    p_value: float


def change(kind: str, before: Estimate, after: Estimate, confidence: float = CONFIDENCE) -> Change:
    """The difference between two independent estimates (after − before), its interval and p-value."""
    difference = after.estimate - before.estimate
    if kind == "proportion":
        # a two-sample z-test on proportions with unpooled variance
        error = math.hypot(before.standard_error, after.standard_error)
        z = stats.norm.ppf(0.5 + confidence / 2)
        p_value = 2 * stats.norm.sf(abs(difference) / error) if error > 0 else float("nan")
        return Change(before, after, difference, difference - z * error, difference + z * error, p_value)
    test = stats.ttest_ind_from_stats(after.estimate, after.deviation, after.n_effective,
                                      before.estimate, before.deviation, before.n_effective, equal_var=False)
    error = math.hypot(before.standard_error, after.standard_error)
    # Welch-Satterthwaite degrees of freedom, as ttest_ind_from_stats uses them
    df = error ** 4 / (before.standard_error ** 4 / (before.n_effective - 1)
                       + after.standard_error ** 4 / (after.n_effective - 1))
    low, high = stats.t.interval(confidence, df=df, loc=difference, scale=error)
    return Change(before, after, difference, low, high, float(test.pvalue))
