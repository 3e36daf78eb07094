"""The attack suite: what a staff user can work out by combining every figure the platform shows them.

The promise, as a bound: for every cell the platform hides, the smallest and largest number of respondents that
all published figures together allow (every table of every release of the wave, added and subtracted in any way)
are at least the campaign's threshold apart. The attacks below read the figures as a user does, through the API,
and solve their own linear programmes (scipy.optimize.linprog), written here independently of the platform's
suppression code.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from scipy.optimize import linprog

from imppulse_survey.campaigns.services import set_threshold
from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.published import published_definition
from imppulse_survey.releases.services import make_release
from imppulse_survey.releases.tables import releasable_tables, table_name

from .conftest import DISTRICT_SIZES


def everything_published(client, campaign, auth) -> dict[str, dict[tuple, int | None]]:
    """indicator → {cell's categories (frozen): n, or None where hidden}, from every releasable table."""
    seen: dict[str, dict[tuple, int | None]] = defaultdict(dict)
    for table in releasable_tables(campaign.audience, published_definition(campaign.questionnaire_version)):
        body = client.get(f"/api/v1/campaigns/{campaign.slug}/indicators?by={','.join(table)}&wave=baseline",
                          headers=auth).get_json()
        for indicator in body["indicators"]:
            for cell in indicator["cells"]:
                dims = tuple(sorted((name, value) for name, value in cell["dimensions"].items() if name != "wave"))
                seen[indicator["id"]][dims] = cell["n"] if cell["status"] != "suppressed" else None
    return seen


def narrowest_ranges(cells: dict[tuple, int | None]) -> dict[tuple, tuple[float, float]]:
    """For every hidden cell, the least and the most respondents it can hold given all the others."""
    hidden = sorted((key for key, n in cells.items() if n is None), key=repr)
    column = {key: index for index, key in enumerate(hidden)}
    rows, right = [], []
    for parent in cells:
        for dropped in {name for name, _ in _children_names(cells, parent)}:
            children = [key for key in cells if len(key) == len(parent) + 1 and dropped in dict(key)
                        and tuple(item for item in key if item[0] != dropped) == parent]
            row, constant = np.zeros(len(hidden)), 0.0
            for key, sign in ((parent, 1.0), *((child, -1.0) for child in children)):
                if key in column:
                    row[column[key]] += sign
                else:
                    constant -= sign * cells[key]
            if row.any():
                rows.append(row)
                right.append(constant)
    total = next(n for key, n in cells.items() if key == ()) or 10_000
    ranges = {}
    for key in hidden:
        objective = np.zeros(len(hidden))
        objective[column[key]] = 1
        bounds = [(0, total)] * len(hidden)
        low = linprog(objective, A_eq=np.array(rows) if rows else None, b_eq=right or None, bounds=bounds).fun
        high = -linprog(-objective, A_eq=np.array(rows) if rows else None, b_eq=right or None, bounds=bounds).fun
        ranges[key] = (low, high)
    return ranges


def _children_names(cells, parent):
    """(breakdown, category) pairs by which some cell refines ``parent``."""
    found = set()
    for key in cells:
        if len(key) == len(parent) + 1 and set(parent) <= set(key):
            found |= set(key) - set(parent)
    return found


def test_the_attack_finds_a_hidden_cell_when_only_small_cells_are_hidden():
    """The attack works: hiding only the small cells (table by table) gives them away."""
    cells = {(): 20, (("district", 1),): 12, (("district", 2),): None, (("gender", 1),): 10, (("gender", 2),): 10,
             (("district", 1), ("gender", 1)): 6, (("district", 1), ("gender", 2)): 6,
             (("district", 2), ("gender", 1)): None, (("district", 2), ("gender", 2)): None}
    ranges = narrowest_ranges(cells)
    assert ranges[(("district", 2),)] == pytest.approx((8, 8))  # 20 − 12: exact


def test_no_hidden_cell_of_a_release_can_be_narrowed_below_the_threshold(client, residents, staff):
    campaign, wave, _ = residents
    make_release(campaign, wave)
    published = everything_published(client, campaign, staff("analyst", campaign.city))
    threshold = campaign.disclosure_threshold
    hidden_somewhere = 0
    for indicator, cells in published.items():
        for key, (low, high) in narrowest_ranges(cells).items():
            hidden_somewhere += 1
            assert high - low >= threshold - 1e-6, (indicator, key, low, high)
    assert hidden_somewhere > 0  # districts 4 and 5 (6 and 3 respondents) are hidden, and more around them
    assert DISTRICT_SIZES[5] < threshold


def test_a_reissue_with_a_higher_threshold_leaks_nothing_together_with_the_first(client, residents, staff):
    """Every pair of releases: what the first published stays known when the second is read."""
    campaign, wave, _ = residents
    auth = staff("analyst", campaign.city)
    make_release(campaign, wave)
    first = everything_published(client, campaign, auth)
    set_threshold(campaign, 15)
    db.session.commit()
    make_release(campaign, wave, reason="a stricter threshold")
    second = everything_published(client, campaign, auth)
    for indicator, cells in second.items():
        known = {key: (n if n is not None else first[indicator].get(key)) for key, n in cells.items()}
        for key, (low, high) in narrowest_ranges(known).items():
            # hidden in both releases: protected by the threshold of the first at least
            assert high - low >= 10 - 1e-6, (indicator, key, low, high)


def test_a_submission_between_two_readings_moves_no_figure(client, residents, staff):
    """The supervisor reads, someone answers, the supervisor reads again: only releases are published, so the
    figures can only change when a wave is released."""
    from imppulse_survey.campaigns.services import open_wave
    from imppulse_survey.responses.services import submit

    from ..factories import submission_id

    campaign, wave, _ = residents
    make_release(campaign, wave)
    follow_up = open_wave(campaign, "follow-up")
    db.session.commit()
    auth = staff("viewer", campaign.city)
    urls = [f"/api/v1/campaigns/{campaign.slug}/indicators?by={table_name(table).replace(':', ',')}"
            for table in releasable_tables("resident", published_definition(campaign.questionnaire_version))]
    before = [client.get(url, headers=auth).get_json() for url in urls]
    submit(campaign.slug, {"district": 4, "age_band": 1, "gender": 2, "trust_police": 10}, language="fr",
           submission_id=submission_id(), channel="web", wave_id=follow_up.id)
    assert [client.get(url, headers=auth).get_json() for url in urls] == before


def test_the_platforms_audit_finds_the_ranges_scipy_finds():
    """The audit's HiGHS programme against scipy's linprog on the same table: a 3 × 4 table with its margins, the
    small cells and two complements hidden."""
    from imppulse_survey.releases.suppression import Relation, audit

    rng = np.random.default_rng(3)
    counts = {("cell", row, column): int(rng.integers(1, 25)) for row in range(3) for column in range(4)}
    counts |= {("row", row): sum(counts[("cell", row, column)] for column in range(4)) for row in range(3)}
    counts |= {("column", column): sum(counts[("cell", row, column)] for row in range(3)) for column in range(4)}
    counts[("total",)] = sum(counts[("row", row)] for row in range(3))
    relations = [Relation(("row", row), tuple(("cell", row, column) for column in range(4))) for row in range(3)]
    relations += [Relation(("column", column), tuple(("cell", row, column) for row in range(3))) for column in range(4)]
    relations += [Relation(("total",), tuple(("row", row) for row in range(3)))]
    hidden = {key for key, n in counts.items() if key[0] == "cell" and n < 10} | {("cell", 0, 0), ("cell", 1, 1)}
    found = {exposure.cell: (exposure.low, exposure.high) for exposure in audit(counts, relations, hidden, 10_000)}
    cells = {key: (None if key in hidden else n) for key, n in counts.items()}
    expected = {}
    order = sorted(hidden, key=repr)
    for key in order:  # the same attack, written with scipy
        objective = np.array([1.0 if other == key else 0.0 for other in order])
        rows, right = [], []
        for relation in relations:
            row = np.zeros(len(order))
            constant = 0.0
            for member, sign in ((relation.parent, 1.0), *((child, -1.0) for child in relation.children)):
                if cells[member] is None:
                    row[order.index(member)] += sign
                else:
                    constant -= sign * cells[member]
            rows.append(row)
            right.append(constant)
        bounds = [(0, counts[("total",)])] * len(order)
        low = linprog(objective, A_eq=np.array(rows), b_eq=right, bounds=bounds).fun
        high = -linprog(-objective, A_eq=np.array(rows), b_eq=right, bounds=bounds).fun
        expected[key] = (low, high)
    # with a threshold larger than any range, every sensitive hidden cell is reported with its exact range
    sensitive = {key for key in hidden if counts[key] < 10_000}
    assert set(found) == sensitive
    for key in sensitive:
        assert found[key] == pytest.approx(expected[key], abs=1e-6), key
