"""Estimates and intervals from a cell's sufficient statistics, with scipy and statsmodels.

Weighted estimates use Kish's effective sample size n_eff = (Σw)² / Σw² in place of n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

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
            # imported here: statsmodels (with pandas) is 130 MB that a worker needs only once it shows a share
            from statsmodels.stats.proportion import proportion_confint

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
    """A difference (after − before, or officers − residents) with its 95 % interval; ``p_value`` where a test
    goes with it (none for a MOVER gap)."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float | None


def change(kind: str, before: Estimate, after: Estimate, confidence: float = CONFIDENCE) -> Change | None:
    """The change between two independent estimates (after − before), or None where there is not enough variation
    to say anything (a mean without spread on both sides, or a side with one effective respondent).

    Proportions: the Miettinen–Nurminen score interval and its score test (the difference of the two shares,
    weighted counts taken as p̂·n_eff). Means: Welch's t interval and test.
    """
    if kind == "proportion":
        return score_difference(after.estimate / 100 * after.n_effective, after.n_effective,
                                before.estimate / 100 * before.n_effective, before.n_effective, confidence, scale=100)
    if min(before.n_effective, after.n_effective) <= 1:
        return None
    error = math.hypot(before.standard_error, after.standard_error)
    if not error > 0:
        return None
    difference = after.estimate - before.estimate
    # Welch–Satterthwaite degrees of freedom, as scipy's ttest_ind_from_stats uses them, on variances scaled to the
    # larger one so that no power of a tiny standard error underflows to 0/0
    largest = max(before.standard_error, after.standard_error)
    parts = [((estimate.standard_error / largest) ** 2, estimate.n_effective) for estimate in (before, after)]
    df = sum(share for share, _ in parts) ** 2 / sum(share ** 2 / (n - 1) for share, n in parts)
    low, high = stats.t.interval(confidence, df=df, loc=difference, scale=error)
    p_value = 2 * stats.t.sf(abs(difference) / error, df)
    return Change(difference, float(low), float(high), float(p_value))


def score_difference(count1: float, n1: float, count2: float, n2: float, confidence: float = CONFIDENCE,
                     scale: float = 1.0) -> Change | None:
    """p1 − p2 with the Miettinen–Nurminen score interval and score test, in units of ``scale`` (100: points).

    The restricted maximum-likelihood shares under each tested difference are found by bounded maximisation of the
    likelihood, not by the closed-form cubic, whose arccos fails at the edges (0 % against 100 %); the interval is
    where the score statistic stays within the normal quantile, found by root-finding, and reaches ±1 where it
    never leaves it. Defined for any counts 0 ≤ count ≤ n with n > 0.
    """
    if not (n1 > 0 and n2 > 0):
        return None
    p1, p2 = min(max(count1 / n1, 0.0), 1.0), min(max(count2 / n2, 0.0), 1.0)
    observed = p1 - p2
    quantile = stats.norm.ppf(0.5 + confidence / 2)

    def score(delta: float) -> float:
        return _mn_score(p1, n1, p2, n2, delta)

    edge = 1 - 1e-9
    low = -edge if score(-edge) <= quantile else optimize.brentq(lambda d: score(d) - quantile, -edge, observed)
    high = edge if score(edge) >= -quantile else optimize.brentq(lambda d: score(d) + quantile, observed, edge)
    at_zero = score(0.0)
    p_value = 2 * stats.norm.sf(abs(at_zero)) if math.isfinite(at_zero) else 1.0
    return Change(observed * scale, max(low, -1.0) * scale, min(high, 1.0) * scale, float(min(p_value, 1.0)))


def _mn_score(p1: float, n1: float, p2: float, n2: float, delta: float) -> float:
    """Miettinen and Nurminen's statistic for H0: p1 − p2 = delta (with their N/(N − 1) variance factor)."""
    q1, q2 = _restricted_shares(p1, n1, p2, n2, delta)
    variance = (q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2) * (n1 + n2) / max(n1 + n2 - 1, 1e-9)
    gap = p1 - p2 - delta
    if variance <= 0:
        return 0.0 if abs(gap) < 1e-12 else math.copysign(math.inf, gap)
    return gap / math.sqrt(variance)


def _restricted_shares(p1: float, n1: float, p2: float, n2: float, delta: float) -> tuple[float, float]:
    """The shares (q1, q2), q1 − q2 = delta, that make the observed counts most likely."""
    low, high = max(0.0, -delta), min(1.0, 1.0 - delta)  # the range of q2 that keeps q1 = q2 + delta in [0, 1]

    def minus_log_likelihood(q2: float) -> float:
        q1 = q2 + delta
        return -(_xlogy(n1 * p1, q1) + _xlogy(n1 * (1 - p1), 1 - q1) + _xlogy(n2 * p2, q2) + _xlogy(n2 * (1 - p2), 1 - q2))

    if delta == 0:  # the pooled share, exactly
        pooled = (n1 * p1 + n2 * p2) / (n1 + n2)
        return pooled, pooled
    if high - low < 1e-12:
        q2 = low
    else:
        q2 = optimize.minimize_scalar(minus_log_likelihood, bounds=(low, high), method="bounded",
                                      options={"xatol": 1e-12}).x
    return min(max(q2 + delta, 0.0), 1.0), min(max(q2, 0.0), 1.0)


def _xlogy(x: float, y: float) -> float:
    """x·log(y), 0 when x is 0 (a share of 0 cannot be the log of nothing), −inf when only y is."""
    if x <= 0:
        return 0.0
    return x * math.log(y) if y > 0 else -math.inf


def mover_gap(first: Estimate, second: Estimate) -> Change:
    """first − second with the MOVER interval (Zou and Donner) built from each estimate's own interval: how the
    mirror's gap (officers' figure minus residents') gets an interval when the two are on different scales of
    uncertainty (a t interval and a Wilson interval). No test goes with it."""
    return mover((first.estimate, first.ci_low, first.ci_high), (second.estimate, second.ci_low, second.ci_high))


def gap_change(later: Change, earlier: Change) -> Change:
    """How a mirror gap moved between two pairs of waves (later − earlier), by MOVER from the two gaps' intervals."""
    return mover((later.difference, later.ci_low, later.ci_high), (earlier.difference, earlier.ci_low, earlier.ci_high))


def mover(first: tuple[float, float, float], second: tuple[float, float, float]) -> Change:
    """first − second, each given as (value, low, high), with the MOVER interval of Zou and Donner (2008)."""
    (value1, low1, high1), (value2, low2, high2) = first, second
    difference = value1 - value2
    low = difference - math.hypot(value1 - low1, high2 - value2)
    high = difference + math.hypot(high1 - value1, value2 - low2)
    return Change(difference, low, high, None)
