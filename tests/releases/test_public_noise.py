"""Public outputs: cell-key noise on counts and sums, and the planting attack it is there to defeat.

A planter posts k − 1 responses with known answers into a cell that holds one real respondent, then reads the
public figure. The bound promised in docs/disclosure-control.md, computed here by enumerating the noise exactly
(not by sampling the platform's own draws): the best possible guess of the real respondent's yes/no answer is
right at most 60 % of the time (50 % by chance), and their score is estimated with a root mean squared error of
at least 25 points of 100 (31.6 by chance alone, for a 0–10 answer).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import numpy as np
import pytest

from imppulse_survey.extensions import db
from imppulse_survey.indicators.aggregation import CellSums
from imppulse_survey.indicators.statistics import estimates
from imppulse_survey.questionnaires.published import published_definition
from imppulse_survey.releases.figures import DECIMALS, campaign_indicators, figures_of, indicator_tables
from imppulse_survey.releases.noise import COUNT_NOISE, SCORE_NOISE, Noise, cell_noise, noisy_sums, shown_n
from imppulse_survey.releases.services import current_release, make_release
from imppulse_survey.releases.tables import releasable_tables

COUNTS = range(-COUNT_NOISE, COUNT_NOISE + 1)


def public_view(kind: str, n: int, total: float, squares: float, noise: Noise) -> tuple:
    """What a public page shows of a cell: n rounded, the estimate rounded (through the platform's arithmetic)."""
    noisy = noisy_sums(CellSums("x", (), n, float(n), total, squares, float(n)), kind, noise)
    value = estimates(kind, [noisy])[0]
    return shown_n(noisy.n), None if value is None else round(value.estimate, DECIMALS)


def test_a_planted_yes_no_cell_gives_the_real_answer_away_at_most_60_percent_of_the_time():
    k = 10
    for planted_yes in (0, 4, 9):  # the planter's own answers: all no, some yes, all yes
        seen: dict[tuple, Counter] = defaultdict(Counter)
        for answer, count, total in itertools.product((0, 1), COUNTS, COUNTS):
            successes = planted_yes + answer
            seen[public_view("proportion", k, successes, successes, Noise(count, total, 0.0))][answer] += 1
        best = sum(max(counter.values()) for counter in seen.values()) / (2 * len(COUNTS) ** 2)
        assert best <= 0.6 + 1e-9, (planted_yes, best)


def test_a_planted_score_cell_leaves_the_real_answer_uncertain_by_at_least_25_points_of_100():
    k, rng = 10, np.random.default_rng(5)
    planted = rng.integers(0, 11, k - 1) * 10.0
    answers = np.arange(0, 101, 10.0)
    totals = np.linspace(-SCORE_NOISE, SCORE_NOISE, 81)  # the uniform noise on a fine grid
    views: dict[tuple, Counter] = defaultdict(Counter)
    for answer, count, total in itertools.product(answers, COUNTS, totals):
        values = np.append(planted, answer)
        view = public_view("mean", k, values.sum(), (values ** 2).sum(), Noise(count, total, 0.0))
        views[view][answer] += 1
    # the best estimate from each view is the mean of the answers that could have produced it
    squared = total_weight = 0.0
    for counter in views.values():
        guess = sum(answer * weight for answer, weight in counter.items()) / sum(counter.values())
        for answer, weight in counter.items():
            squared += weight * (answer - guess) ** 2
            total_weight += weight
    assert np.sqrt(squared / total_weight) >= 25  # points of the 0–100 score (31.6 by chance alone)


def test_the_noise_is_drawn_as_documented_and_is_the_same_for_the_same_cell(app):
    with app.app_context():
        check_the_draws()


def check_the_draws():
    draws = [cell_noise(wave, "trust", "mean", 40, 2000.0, 120000.0) for wave in range(4000)]
    counts = Counter(noise.count for noise in draws)
    assert set(counts) == set(COUNTS) and min(counts.values()) > 700  # uniform: 800 each
    totals = np.array([noise.total for noise in draws])
    assert -SCORE_NOISE <= totals.min() and totals.max() <= SCORE_NOISE and abs(totals.mean()) < 5
    assert cell_noise(7, "trust", "mean", 40, 2000.0, 120000.0) == draws[7]
    assert cell_noise(7, "trust", "mean", 41, 2000.0, 120000.0) != draws[7]  # one more respondent: new noise


def test_public_figures_stay_within_the_documented_bound_of_the_exact_ones(residents):
    campaign, wave, _ = residents
    release = make_release(campaign, wave)
    kinds = {indicator.key: indicator.kind for indicator in campaign_indicators(campaign)}
    cells = [cell for cell in release.cells if cell.state == "published" and cell.n > 0]
    exact = figures_of(cells, kinds, weighted=False)
    public = figures_of(cells, kinds, weighted=False, public=True)
    compared = covered = 0
    for cell, staff, shown in zip(cells, exact, public, strict=True):
        assert shown.n % 5 == 0 and abs(shown.n - cell.n) <= COUNT_NOISE + 2.5
        if staff.status != "estimate" or shown.status != "estimate":
            continue
        compared += 1
        low_n, high_n = cell.n - COUNT_NOISE, cell.n + COUNT_NOISE
        if kinds[cell.indicator] == "proportion":
            low = max(cell.sum_y - COUNT_NOISE, 0) / high_n * 100
            high = min((cell.sum_y + COUNT_NOISE) / low_n, 1) * 100
        else:
            low, high = max(cell.sum_y - SCORE_NOISE, 0) / high_n, min((cell.sum_y + SCORE_NOISE) / low_n, 100)
        assert low - 0.05 <= shown.estimate <= high + 0.05, (cell, shown)
        assert shown.ci_low <= shown.estimate <= shown.ci_high
        covered += shown.ci_low <= staff.estimate <= shown.ci_high
    assert compared > 20
    assert covered / compared >= 0.95  # the widened interval holds the exact figure, as the noise's variance says


def test_public_figures_are_the_same_in_every_reading_and_every_reissue(residents):
    campaign, wave, _ = residents
    make_release(campaign, wave)
    tables = releasable_tables("resident", published_definition(campaign.questionnaire_version))
    first = [indicator_tables(campaign, table, None, True, "en", public=True) for table in tables]
    assert [indicator_tables(campaign, table, None, True, "en", public=True) for table in tables] == first
    make_release(campaign, wave, reason="a correction")
    db.session.expire_all()
    assert current_release(wave).number == 2
    assert [indicator_tables(campaign, table, None, True, "en", public=True)[1] for table in tables] == \
        [tables_of_wave for _, tables_of_wave in first]


@pytest.mark.parametrize("kind", ["proportion", "mean"])
def test_noisy_sums_are_always_possible(kind):
    for n, count, total in itertools.product((1, 2, 5, 50), COUNTS, (-SCORE_NOISE, 0.0, SCORE_NOISE)):
        top = 1.0 if kind == "proportion" else 100.0
        for share in (0.0, 0.5, 1.0):
            noisy = noisy_sums(CellSums("x", (), n, float(n), share * top * n, share * top * top * n, float(n)), kind,
                               Noise(count, total if kind == "mean" else float(np.sign(total) * 2), total * 100))
            assert noisy.n >= 1 and 0 <= noisy.sum_wy <= top * noisy.sum_w + 1e-9
            assert noisy.sum_wy2 >= noisy.sum_wy ** 2 / noisy.sum_w - 1e-6
            value = estimates(kind, [noisy])[0]
            assert value is not None and np.isfinite(value.estimate) and 0 <= value.estimate <= 100 + 1e-9
