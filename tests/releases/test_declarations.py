"""Pooled periods and district groups: declared before the figures are seen, released as cells of their own,
and suppressed together with everything they link to.

Each test recomputes the cells with pandas from the respondents' own answers, and the attack solves its own
linear programme over every table the API publishes for the campaign, with the relations written here: a pooled
cell is the sum of its waves' cells; a group is the sum of its districts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from imppulse_survey.campaigns.services import close_wave, open_wave
from imppulse_survey.extensions import db
from imppulse_survey.releases.declarations import DeclarationRefused, declare_district_group, declare_pooling
from imppulse_survey.releases.models import Release
from imppulse_survey.releases.services import make_release

from .conftest import load, people

FOLLOW_UP_SIZES = {1: 50, 2: 40, 3: 30, 4: 5, 5: 4, 6: 20}


@pytest.fixture
def two_waves(residents):
    campaign, baseline, first = residents
    follow_up = open_wave(campaign, "follow-up")
    db.session.commit()
    second = people(campaign, follow_up, FOLLOW_UP_SIZES, seed=12, first_id=1000)
    load(campaign, follow_up, second)
    close_wave(campaign)
    db.session.commit()
    return campaign, baseline, follow_up, first.assign(wave="baseline"), second.assign(wave="follow-up")


def read(client, campaign, auth, by, wave):
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/indicators?by={by}&wave={wave}", headers=auth)
    assert body.status_code == 200, body.get_json()
    return {cell_key(cell): cell for table in body.get_json()["indicators"] if table["id"] == "trust"
            for cell in table["cells"]}


def cell_key(cell):
    return tuple(sorted((name, value) for name, value in cell["dimensions"].items()))


def test_a_pooled_period_is_released_with_its_last_wave_from_the_exact_sums(client, two_waves, staff):
    campaign, baseline, follow_up, first, second = two_waves
    declare_pooling(campaign, "year-2026", [baseline, follow_up])
    db.session.commit()
    auth = staff("analyst", campaign.city)
    make_release(campaign, baseline)
    assert read(client, campaign, auth, "district", "year-2026") == {}  # not before its last wave
    make_release(campaign, follow_up)
    pooled = read(client, campaign, auth, "district", "year-2026")
    both = pd.concat([first, second])
    expected = both.groupby("district").agg(n=("trust_police", "size"), mean=("trust_police", "mean"))
    shown = 0
    for (district, row) in expected.iterrows():
        cell = pooled[(("district", district), ("wave", "year-2026"))]
        if cell["status"] == "estimate":
            shown += 1
            assert cell["n"] == row.n and cell["estimate"] == pytest.approx(row["mean"] * 10, abs=0.05)
    assert shown >= 3
    # district 5 has 3 + 4 respondents: under the threshold pooled too, so hidden
    assert pooled[(("district", 5), ("wave", "year-2026"))]["status"] == "suppressed"


def test_declaring_after_a_release_needs_a_reason_and_reissues(two_waves, runner):
    campaign, baseline, follow_up, _, _ = two_waves
    make_release(campaign, baseline)
    make_release(campaign, follow_up)
    with pytest.raises(DeclarationRefused, match="needs a reason"):
        declare_pooling(campaign, "year-2026", [baseline, follow_up])
    db.session.rollback()
    result = runner.invoke(args=["imppulse", "declare", "pooled", campaign.slug, "year-2026",
                                 "--waves", "baseline,follow-up", "--reissue", "the city asked for a yearly figure"])
    assert result.exit_code == 0, result.output
    assert "follow-up: release 2 made (the city asked for a yearly figure)" in result.output
    reissue = db.session.query(Release).filter_by(wave_id=follow_up.id, number=2).one()
    assert reissue.reason == "the city asked for a yearly figure"
    assert any(cell.pooling_id is not None for cell in reissue.cells)
    refused = runner.invoke(args=["imppulse", "declare", "group", campaign.slug, "pilot", "--districts", "1,4"])
    assert refused.exit_code == 1 and "needs a reason" in refused.output


@pytest.mark.parametrize("codes, message", [
    ([1, 2, 3, 4, 5, 6], "a group of every district is the total"),
    ([1, 99], "districts must be among 1, 2, 3, 4, 5, 6"),
])
def test_a_district_group_must_be_a_real_part_of_the_city(two_waves, codes, message):
    campaign = two_waves[0]
    with pytest.raises(DeclarationRefused, match=message):
        declare_district_group(campaign, "pilot", codes)


def test_a_district_group_is_the_sum_of_its_districts(client, two_waves, staff):
    campaign, baseline, _, first, _ = two_waves
    declare_district_group(campaign, "pilot", [1, 4])
    declare_district_group(campaign, "comparison", [2, 3])
    db.session.commit()
    make_release(campaign, baseline)
    auth = staff("viewer", campaign.city)
    groups = read(client, campaign, auth, "district_group", "baseline")
    for label, members in (("pilot", [1, 4]), ("comparison", [2, 3])):
        cell = groups[(("district_group", label), ("wave", "baseline"))]
        chosen = first[first.district.isin(members)]
        assert cell["n"] == len(chosen)
        assert cell["estimate"] == pytest.approx(chosen.trust_police.mean() * 10, abs=0.05)


def narrowest(cells: dict, relations: list[tuple]) -> dict:
    """For every hidden cell (None), the least and most respondents the published cells and relations allow."""
    hidden = sorted((key for key, n in cells.items() if n is None), key=repr)
    column = {key: index for index, key in enumerate(hidden)}
    rows, right = [], []
    for parent, children in relations:
        row, constant = np.zeros(len(hidden)), 0.0
        for key, sign in ((parent, 1.0), *((child, -1.0) for child in children)):
            if key not in cells:
                continue  # nobody in it
            if key in column:
                row[column[key]] += sign
            else:
                constant -= sign * cells[key]
        if row.any():
            rows.append(row)
            right.append(constant)
    ranges = {}
    for key in hidden:
        objective = np.zeros(len(hidden))
        objective[column[key]] = 1
        bounds = [(0, 10_000)] * len(hidden)
        options = {"A_eq": np.array(rows), "b_eq": right, "bounds": bounds}
        ranges[key] = (linprog(objective, **options).fun, -linprog(-objective, **options).fun)
    return ranges


def true_counts(first: pd.DataFrame, second: pd.DataFrame) -> dict:
    """Respondents per cell, from the answers themselves: every period, its total, districts and the pilot group."""
    counts = {}
    for period, frame in (("baseline", first), ("follow-up", second), ("year-2026", pd.concat([first, second]))):
        counts[(("wave", period),)] = len(frame)
        for district, n in frame.groupby("district").size().items():
            counts[(("district", district), ("wave", period))] = n
        counts[(("district_group", "pilot"), ("wave", period))] = int(frame.district.isin([1, 4]).sum())
    return counts


def test_pooled_and_grouped_cells_give_no_hidden_cell_away(client, two_waves, staff):
    campaign, baseline, follow_up, first, second = two_waves
    declare_pooling(campaign, "year-2026", [baseline, follow_up])
    declare_district_group(campaign, "pilot", [4, 1])
    db.session.commit()
    make_release(campaign, baseline)
    make_release(campaign, follow_up)
    auth = staff("analyst", campaign.city)
    cells = {}
    for period in ("baseline", "follow-up", "year-2026"):
        for by in ("", "district", "district_group"):
            for key, cell in read(client, campaign, auth, by, period).items():
                cells[key] = None if cell["status"] == "suppressed" else cell["n"]
    periods = ("baseline", "follow-up", "year-2026")
    relations = []
    for period in periods:
        total = (("wave", period),)
        districts = [key for key in cells if dict(key).get("wave") == period and "district" in dict(key)]
        relations.append((total, districts))
        relations.append(((("district_group", "pilot"), ("wave", period)),
                          [(("district", code), ("wave", period)) for code in (1, 4)]))
    for key in [key for key in cells if dict(key)["wave"] == "year-2026"]:
        parts = [tuple(sorted({**dict(key), "wave": wave}.items())) for wave in ("baseline", "follow-up")]
        relations.append((key, parts))
    ranges = narrowest(cells, relations)
    truth = true_counts(first, second)
    small = {key for key, n in truth.items() if 0 < n < campaign.disclosure_threshold}
    assert small and small <= set(ranges)  # every small cell is hidden: districts 4 and 5 in the waves, 5 pooled
    for key in small:
        low, high = ranges[key]
        assert high - low >= campaign.disclosure_threshold - 1e-6, (key, low, high)
