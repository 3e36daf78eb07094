"""Estimates and intervals from a cell's sufficient statistics, with scipy and statsmodels.

Weighted estimates use Kish's effective sample size n_eff = (Σw)² / Σw² in place of n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .aggregation import CellSums

CONFIDENCE = 0.95
ROUNDING = 1e-10  # relative size of a variance that is only floating-point rounding


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


def estimate(kind: str, cell: CellSums, confidence: float = CONFIDENCE) -> Estimate | None:
    return estimates(kind, [cell], confidence)[0]


def estimates(kind: str, cells: Sequence[CellSums], confidence: float = CONFIDENCE) -> list[Estimate | None]:
    """Estimates for many cells of one kind at once: scipy and statsmodels take arrays, and a table has hundreds."""
    usable = [index for index, cell in enumerate(cells) if cell.n > 0 and cell.sum_w > 0]
    results: list[Estimate | None] = [None] * len(cells)
    if not usable:
        return results
    n = np.array([cells[i].n for i in usable])
    sum_w, sum_wy, sum_wy2, sum_w2 = (np.array([getattr(cells[i], name) for i in usable], dtype=float)
                                      for name in ("sum_w", "sum_wy", "sum_wy2", "sum_w2"))
    n_eff = np.divide(sum_w ** 2, sum_w2, out=np.zeros_like(sum_w), where=sum_w2 > 0)
    centre = sum_wy / sum_w
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "proportion":
            low, high = proportion_confint(centre * n_eff, n_eff, alpha=1 - confidence, method="wilson")
            deviation = np.sqrt(np.maximum(centre * (1 - centre), 0.0))
            columns = (centre * 100, deviation / np.sqrt(n_eff) * 100, low * 100, high * 100, deviation)
        else:
            # a weighted variance, made unbiased the way a sample variance is (n_eff / (n_eff - 1))
            spread = sum_wy2 / sum_w - centre ** 2
            # Σwy²/Σw − ȳ² cancels badly when every score is alike: what is left is rounding, not spread
            spread = np.where(spread <= ROUNDING * np.maximum(centre ** 2, 1.0), 0.0, spread)
            several = n_eff > 1
            deviation = np.where(several, np.sqrt(spread * n_eff / (n_eff - 1)), np.nan)
            error = np.where(several, deviation / np.sqrt(n_eff), np.nan)
            low, high = stats.t.interval(confidence, df=np.where(several, n_eff - 1, 1.0), loc=centre,
                                         scale=np.where(error > 0, error, 1.0))
            # everyone gave the same answer: a zero-width interval; a single effective respondent: none
            low, high = (np.where(error == 0, centre, np.where(several, bound, np.nan)) for bound in (low, high))
            columns = (centre, error, low, high, deviation)
    for position, index in enumerate(usable):
        value, error_, low_, high_, deviation_ = (float(column[position]) for column in columns)
        results[index] = Estimate(int(n[position]), float(n_eff[position]), value, error_, low_, high_, deviation_)
    return results


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
