"""Weighted against unweighted, and old weights against new: what two figures of one cell give away together.

Two figures of one cell (weighted and unweighted, or weighted with two weight sets) are two equations in the sums
of the weighting classes inside it; with two classes they solve. The bound tested here: wherever the platform
publishes two such figures of a cell, every part of it that the weights tell apart holds no respondent or at
least the threshold. The parts are recomputed here from the respondents' own answers (pandas), not from the
platform's counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imppulse_survey.extensions import db
from imppulse_survey.releases.models import ReleaseCell
from imppulse_survey.releases.services import current_release, make_release
from imppulse_survey.weighting.services import rake_wave

MARGINS = {"age_band": {1: 14, 2: 16, 3: 18, 4: 17, 5: 15, 6: 20}, "gender": {1: 48, 2: 50, 3: 2},
           "district": {1: 30, 2: 20, 3: 20, 4: 10, 5: 5, 6: 15}}
LATER = {**MARGINS, "age_band": {1: 20, 2: 16, 3: 18, 4: 17, 5: 15, 6: 14}}
UNKNOWN = -1


def class_of(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(frame.district, frame.age_band.fillna(UNKNOWN).astype(int), frame.gender.fillna(UNKNOWN).astype(int),
                    strict=True))


def members(frame: pd.DataFrame, cell: ReleaseCell) -> pd.DataFrame:
    """The respondents of a cell, by its categories (None: not given)."""
    chosen = frame
    for name, value in cell.dimensions.items():
        chosen = chosen[chosen[name].isna()] if value is None else chosen[chosen[name] == value]
    return chosen


def parts(frame: pd.DataFrame, *weight_sets) -> pd.Series:
    """Each respondent's part: the group of their class in every weight set."""
    groups = [weight_set.groups() for weight_set in weight_sets]
    return pd.Series([tuple(found[cls] for found in groups) for cls in class_of(frame)], index=frame.index)


@pytest.fixture
def weighted(residents):
    campaign, wave, frame = residents
    report = rake_wave(campaign, wave, MARGINS)
    db.session.commit()
    return campaign, wave, frame, report.weight_set


def published(release, indicator="trust"):
    return [cell for cell in release.cells if cell.indicator == indicator and cell.state == "published"
            and cell.table_name != ""]


def test_a_cell_is_published_both_ways_only_where_no_class_inside_it_is_small(weighted):
    campaign, wave, frame, weight_set = weighted
    release = make_release(campaign, wave)
    threshold = campaign.disclosure_threshold
    both = weighted_only = 0
    for cell in published(release):
        counts = parts(members(frame, cell), weight_set).value_counts()
        small = bool(((counts > 0) & (counts < threshold)).any())
        if cell.weighting == "both":
            both += 1
            assert not small, (cell, counts.to_dict())
        else:
            weighted_only += 1
            assert small, cell  # never withheld without need
    assert both and weighted_only  # both cases occur in this wave


def test_the_unweighted_figure_of_a_weighted_only_cell_is_not_shown(client, weighted, staff):
    campaign, wave, _, _ = weighted
    make_release(campaign, wave)
    auth = staff("analyst", campaign.city)
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/indicators?by=district,police_contact", headers=auth)
    weighted_body = client.get(f"/api/v1/campaigns/{campaign.slug}/indicators?by=district,police_contact"
                               "&weighted=true", headers=auth)
    withheld = {(cell.table_name, tuple(sorted(cell.dimensions.items())))
                for cell in current_release(wave).cells if cell.weighting == "weighted_only"
                and cell.indicator == "trust" and cell.state == "published"}
    shown = 0
    for unweighted_table, weighted_table in zip(body.get_json()["indicators"], weighted_body.get_json()["indicators"],
                                                strict=True):
        if unweighted_table["id"] != "trust":
            continue
        for plain, with_weights in zip(unweighted_table["cells"], weighted_table["cells"], strict=True):
            key = ("district:police_contact",
                   tuple(sorted((k, v) for k, v in plain["dimensions"].items() if k != "wave")))
            if key in withheld:
                shown += 1
                assert plain["status"] == "weighted_only" and plain["estimate"] is None and plain["n"] is not None
                assert with_weights["status"] == "estimate" and with_weights["n"] == plain["n"]
    assert shown


def test_two_classes_in_a_cell_published_both_ways_would_give_the_small_one_away():
    """Why the rule exists: two equations, two unknown sums."""
    answers_small, answers_large = np.array([2.0, 9.0, 10.0]), np.arange(37) % 11
    weights = (2.5, 0.8)
    unweighted_sum = answers_small.sum() + answers_large.sum()
    weighted_sum = weights[0] * answers_small.sum() + weights[1] * answers_large.sum()
    solved = np.linalg.solve(np.array([[1, 1], weights]), [unweighted_sum, weighted_sum])
    assert solved[0] == pytest.approx(answers_small.sum())  # the three respondents' total, exactly


def test_a_reissue_with_new_weights_keeps_the_earlier_figure_where_the_two_would_give_a_class_away(weighted):
    campaign, wave, frame, first_weights = weighted
    first = make_release(campaign, wave)
    second_weights = rake_wave(campaign, wave, LATER).weight_set
    db.session.commit()
    second = make_release(campaign, wave, reason="weights to the 2026 population estimates")
    assert (first.weight_set_id, second.weight_set_id) == (first_weights.id, second_weights.id)
    before = {cell.key: cell for cell in published(first)}
    threshold = campaign.disclosure_threshold
    kept = moved = 0
    for cell in published(second):
        earlier = before.get(cell.key)
        if earlier is None:
            continue
        if cell.weight_set_id == first_weights.id:
            kept += 1
            assert (cell.sum_w, cell.sum_wy) == (earlier.sum_w, earlier.sum_wy)
            continue
        moved += 1
        counts = parts(members(frame, cell), first_weights, second_weights).value_counts()
        assert not ((counts > 0) & (counts < threshold)).any(), (cell, counts.to_dict())
    assert moved and kept
