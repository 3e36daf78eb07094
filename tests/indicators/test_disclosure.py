"""Disclosure control through the API: small cells hidden, and no subtraction of allowed figures reveals them."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import open_wave
from imppulse_survey.extensions import db

from ..factories import bulk_load, minimal_questionnaire

THRESHOLD = 10


def fill(campaign, wave_ids, district_sizes, seed=3):
    """Responses per (wave, district) as given; gender and contact drawn at random."""
    rng = np.random.default_rng(seed)
    districts = {d.code: d.id for d in campaign.city.districts}
    people, answers, number = [], [], 0
    for wave_id, sizes in zip(wave_ids, district_sizes, strict=True):
        for code, size in sizes.items():
            for _ in range(size):
                number += 1
                people.append({"id": number, "campaign_id": campaign.id, "wave_id": wave_id,
                               "district_id": districts[code], "questionnaire_version_id": campaign.questionnaire_version_id,
                               "language": "fr", "channel": "demo", "submission_id": f"00000000-0000-4000-8000-{number:012d}",
                               "submitted_on": __import__("datetime").date(2026, 10, 1), "weight": 1.0})
                answers += [
                    {"response_id": number, "item_key": "contact", "value": float(rng.choice([1, 2])), "missing": None},
                    {"response_id": number, "item_key": "trust", "value": float(rng.integers(0, 11)), "missing": None},
                    {"response_id": number, "item_key": "confidence", "value": float(rng.integers(1, 6)), "missing": None},
                ]
    bulk_load(campaign, people, answers)


@pytest.fixture
def campaign(make):
    city = make.city("nantes", districts=4)
    campaign = make.campaign("nantes-residents", city=city, version=make.version(minimal_questionnaire()))
    follow_up = open_wave(campaign, "follow-up")
    db.session.commit()
    # district 4 is tiny in the baseline; district 3 is tiny at follow-up only
    fill(campaign, [campaign.waves[0].id, follow_up.id],
         [{1: 40, 2: 25, 3: 18, 4: 4}, {1: 35, 2: 30, 3: 3, 4: 15}])
    return campaign


@pytest.fixture
def auth(campaign):
    user = create_user("analyst@nantes.fr", "a long enough password", "analyst", campaign.city)
    token = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def table(client, auth, query, key="trust"):
    response = client.get(f"/api/v1/campaigns/nantes-residents/indicators?{query}", headers=auth)
    assert response.status_code == 200, response.get_json()
    return next(t for t in response.get_json()["indicators"] if t["id"] == key)["cells"]


def counts(cells, dimension="district"):
    return {cell["dimensions"].get(dimension): cell["n"] for cell in cells}


def test_small_cells_are_suppressed_and_so_is_a_complement(client, auth):
    baseline = table(client, auth, "by=district&wave=baseline")
    suppressed = [cell for cell in baseline if cell["suppressed"]]
    assert {cell["dimensions"]["district"] for cell in suppressed} == {4, 3}  # 4 is small; 3 the smallest other
    assert all(cell["n"] is None and cell["estimate"] is None for cell in suppressed)
    published = [cell for cell in baseline if not cell["suppressed"]]
    assert all(cell["n"] >= THRESHOLD for cell in published)


def test_the_total_minus_the_published_cells_hides_at_least_the_threshold(client, auth):
    for wave in ("baseline", "follow-up"):
        total = table(client, auth, f"wave={wave}")[0]["n"]
        published = sum(n for n in counts(table(client, auth, f"by=district&wave={wave}")).values() if n)
        assert total - published == 0 or total - published >= THRESHOLD


def test_overlapping_wave_filters_cannot_be_subtracted(client, auth):
    """all waves − one wave = the other wave: every such difference of published cells is 0 or ≥ threshold."""
    waves_of = {"by=district": {"baseline", "follow-up"}, "by=district&wave=baseline": {"baseline"},
                "by=district&wave=follow-up": {"follow-up"}, "by=district&wave=baseline,follow-up": {"baseline", "follow-up"}}
    published = {query: counts(table(client, auth, query)) for query in waves_of}
    for wide, narrow in itertools.permutations(waves_of, 2):
        if not waves_of[narrow] < waves_of[wide]:
            continue
        for district, n in published[narrow].items():
            wide_n = published[wide].get(district)
            if n is not None and wide_n is not None and wide_n >= n:
                assert wide_n - n == 0 or wide_n - n >= THRESHOLD, (wide, narrow, district)
    # the tiny follow-up cell of district 3 is hidden in the all-waves figure as well
    assert published["by=district"][3] is None


def test_a_two_way_table_cannot_be_undone_by_its_margins(client, auth):
    two_way = table(client, auth, "by=district,contact&wave=baseline")
    margins = counts(table(client, auth, "by=district&wave=baseline"))
    for district, margin in margins.items():
        if margin is None:
            continue
        row = [cell["n"] for cell in two_way if cell["dimensions"]["district"] == district]
        hidden = margin - sum(n for n in row if n)
        assert hidden == 0 or hidden >= THRESHOLD
    columns = {}
    for cell in two_way:
        columns.setdefault(cell["dimensions"]["contact"], []).append(cell)
    contact_margins = counts(table(client, auth, "by=contact&wave=baseline"), "contact")
    for contact, cells in columns.items():
        if contact_margins.get(contact) is not None:
            hidden = contact_margins[contact] - sum(cell["n"] for cell in cells if cell["n"])
            assert hidden == 0 or hidden >= THRESHOLD


def test_weighting_does_not_change_what_is_suppressed(client, auth):
    plain = {c["dimensions"]["district"]: c["suppressed"] for c in table(client, auth, "by=district")}
    weighted = {c["dimensions"]["district"]: c["suppressed"] for c in table(client, auth, "by=district&weighted=true")}
    assert plain == weighted


def test_officer_results_break_down_one_dimension_at_a_time(client, make, auth, campaign):
    officers = make.campaign("nantes-officers", city=campaign.city, access_mode="invitation",
                             version=make.version(minimal_questionnaire(audience="officer", key="officer-survey")))
    db.session.commit()
    response = client.get(f"/api/v1/campaigns/{officers.slug}/indicators?by=district,contact", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["problems"] == {"by": ["officer results are broken down by one dimension at a time"]}
    assert client.get(f"/api/v1/campaigns/{officers.slug}/indicators?by=district", headers=auth).status_code == 200


@pytest.mark.parametrize("query, field", [("by=shoe_size", "by"), ("wave=autumn", "wave"), ("weighted=perhaps", "weighted"),
                                          ("lang=de", "lang"), ("by=district,district", "by"), ("colour=1", "colour"),
                                          ("by=district'%20OR%201=1--", "by")])
def test_bad_parameters_are_400_listing_each(client, auth, query, field):
    response = client.get(f"/api/v1/campaigns/nantes-residents/indicators?{query}", headers=auth)
    assert response.status_code == 400
    assert field in response.get_json()["problems"]


def test_access_by_role_and_city(client, make, campaign, caplog):
    lisbon = make.city("lisbon", language="pt")
    tokens = {}
    for role, city in [("admin", None), ("manager", campaign.city), ("viewer", campaign.city),
                       ("analyst", campaign.city), ("manager", lisbon), ("viewer", lisbon), ("analyst", lisbon)]:
        user = create_user(f"{role}@{city.slug if city else 'efus'}.eu", "a long enough password", role, city)
        tokens[(role, city.slug if city else "all")] = issue_token(user)
    db.session.commit()
    caplog.set_level(logging.WARNING)
    url = "/api/v1/campaigns/nantes-residents/indicators"
    for (role, city), token in tokens.items():
        status = client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code
        assert status == (200 if city in ("all", "nantes") else 404), (role, city)
    assert sum("denied" in record.getMessage() for record in caplog.records) == 3
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer imp_forged"}).status_code == 401


def test_the_change_between_waves_through_the_api(client, auth, campaign):
    import pandas as pd
    from scipy import stats

    response = client.get("/api/v1/campaigns/nantes-residents/indicators/trust/change?from=baseline&to=follow-up",
                          headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    rows = db.session.execute(
        __import__("sqlalchemy").text("SELECT r.wave_id, a.value * 10 FROM answers a JOIN responses r ON r.id = a.response_id"
                                      " WHERE a.item_key = 'trust'")).all()
    frame = pd.DataFrame(rows, columns=["wave", "score"])
    first, second = (frame[frame.wave == wave.id]["score"] for wave in campaign.waves)
    assert body["difference"] == pytest.approx(second.mean() - first.mean(), rel=1e-9)
    assert body["p_value"] == pytest.approx(stats.ttest_ind(second, first, equal_var=False).pvalue, rel=1e-6)
    assert body["from"]["n"] == len(first) and body["to"]["n"] == len(second)
    assert client.get("/api/v1/campaigns/nantes-residents/indicators/trust/change?from=baseline&to=autumn",
                      headers=auth).status_code == 400
    assert client.get("/api/v1/campaigns/nantes-residents/indicators/nothing/change?from=baseline&to=follow-up",
                      headers=auth).status_code == 404
