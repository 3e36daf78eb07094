"""Cell-key noise for public outputs: the figures anyone can read, where planted responses are the attack.

Staff outputs are exact; a staff user who posts k − 1 responses to an open link can learn the answers of a
respondent alone in a cell (``docs/disclosure-control.md``). Public outputs add noise to each cell's count and
sums before any statistic is computed, as the ABS TableBuilder and the 2021 European census outputs do:

- The noise is consistent: it is drawn from a generator seeded by a keyed hash of the cell's exact content (wave,
  indicator, n and sums), so the same respondents give the same noise in every table, every reading and every
  reissue, and reading again averages nothing away. The key is derived from the server's secret.
- n moves by −2…+2 (uniform, variance 2), and is shown rounded to 5; the sum of 0/1 outcomes moves the same way
  and stays within 0 and the noisy n; the sum of 0–100 scores moves uniformly within ±100 (one whole answer's
  range), the sum of squares within ±100², both kept possible for the noisy n.
- Intervals are widened by the noise's variance (added to the sampling variance), and changes and gaps are
  computed from the noisy figures, with the effective n reduced to match.

The bound, checked by the attack suite: with k − 1 planted answers around one real respondent, their yes/no
answer is guessed right at most 60 % of the time (50 % by chance alone), and their 0–100 score is estimated with
a root mean squared error of at least 25 points (31.6 by chance alone, for a 0–10 answer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from ..core.keys import keyed_hash
from ..indicators.aggregation import CellSums
from ..indicators.statistics import CONFIDENCE, Estimate

COUNT_NOISE = 2  # counts move by −2…+2, uniformly
COUNT_VARIANCE = ((2 * COUNT_NOISE + 1) ** 2 - 1) / 12  # of a discrete uniform: 2
SCORE_NOISE = 100.0  # a sum of 0–100 scores moves uniformly within ±100
SCORE_VARIANCE = SCORE_NOISE ** 2 / 3
N_ROUNDING = 5
TOP_SCORE = 100.0


@dataclass(frozen=True)
class Noise:
    count: int
    total: float  # added to the sum of outcomes (0/1) or scores (0–100)
    squares: float  # added to the sum of squares (scores only)


def cell_noise(wave_id: int, indicator: str, kind: str, n: int, sum_y: float, sum_y2: float) -> Noise:
    """The cell's noise, the same whenever the same respondents make the cell."""
    key = keyed_hash("cell-key", f"{wave_id}|{indicator}|{n}|{sum_y:.9g}|{sum_y2:.9g}")
    generator = np.random.default_rng(int(key[:32], 16))
    count = int(generator.integers(-COUNT_NOISE, COUNT_NOISE + 1))
    if kind == "proportion":
        return Noise(count, float(generator.integers(-COUNT_NOISE, COUNT_NOISE + 1)), 0.0)
    return Noise(count, float(generator.uniform(-SCORE_NOISE, SCORE_NOISE)),
                 float(generator.uniform(-SCORE_NOISE ** 2, SCORE_NOISE ** 2)))


def noisy_sums(sums: CellSums, kind: str, noise: Noise) -> CellSums:
    """The sums with the noise added, in the cell's weight units (scaled by its mean weight), kept possible: a count
    within 0 and the noisy n, a sum of scores within 0 and 100 × n, squares no fewer than the sum implies."""
    mean_weight = sums.sum_w / sums.n
    n = max(sums.n + noise.count, 1)
    sum_w = n * mean_weight
    top = 1.0 if kind == "proportion" else TOP_SCORE
    total = min(max(sums.sum_wy + noise.total * mean_weight, 0.0), top * sum_w)
    if kind == "proportion":
        squares = total  # y² = y
    else:
        squares = min(max(sums.sum_wy2 + noise.squares * mean_weight, total ** 2 / sum_w), top * total)
    return CellSums(sums.indicator, sums.dimensions, n, sum_w, total, squares, sums.sum_w2 * (sum_w / sums.sum_w) ** 2)


def noise_variance(kind: str, estimate: float, sum_w: float, n: int) -> float:
    """The variance the noise adds to an estimate (in its published units: points), to first order."""
    mean_weight = sum_w / n
    if kind == "proportion":
        share = estimate / 100
        return (mean_weight / sum_w) ** 2 * COUNT_VARIANCE * (1 + share ** 2) * 100 ** 2
    return (mean_weight / sum_w) ** 2 * (SCORE_VARIANCE + estimate ** 2 * COUNT_VARIANCE)


def widened(kind: str, value: Estimate, sum_w: float, n: int, confidence: float = CONFIDENCE) -> Estimate:
    """The estimate with the noise's variance added to the sampling variance: a wider interval, and an effective
    n reduced in the same proportion, so that changes and gaps computed from it carry the noise too."""
    extra = noise_variance(kind, value.estimate, sum_w, n)
    sampling = value.standard_error ** 2
    total = sampling + extra
    z = stats.norm.ppf(0.5 + confidence / 2)
    low = value.estimate - math.sqrt((value.estimate - value.ci_low) ** 2 + z ** 2 * extra)
    high = value.estimate + math.sqrt((value.ci_high - value.estimate) ** 2 + z ** 2 * extra)
    n_effective = value.n_effective * sampling / total if total > 0 else value.n_effective
    top = 100.0
    return replace(value, n_effective=n_effective, standard_error=math.sqrt(total),
                   ci_low=max(low, 0.0), ci_high=min(high, top))


def shown_n(n: int) -> int:
    """n as public outputs show it: rounded to the nearest 5, never 0 for a cell that has respondents."""
    return max(N_ROUNDING, int(N_ROUNDING * round(n / N_ROUNDING)))
