"""Releases: made once per closed wave, reissued on record, the fixed set of tables, and nothing before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from imppulse_survey.campaigns.services import close_wave, create_invitations, open_wave
from imppulse_survey.extensions import db
from imppulse_survey.releases.models import Release, ReleaseCell
from imppulse_survey.releases.services import ReleaseRefused, make_release
from imppulse_survey.releases.tables import releasable_tables, table_name
from imppulse_survey.responses.services import submit

from ..factories import submission_id


def cells_of(release, indicator="trust"):
    return {(cell.table_name, tuple(sorted(cell.dimensions.items(), key=str))): cell
            for cell in db.session.scalars(select(ReleaseCell).filter_by(release_id=release.id, indicator=indicator))}


def test_a_release_holds_the_fixed_tables_with_counts_and_sums_as_pandas_has_them(residents):
    campaign, wave, frame = residents
    release = make_release(campaign, wave)
    cells = cells_of(release)
    assert {name for name, _ in cells} == {"", "district", "age_band", "gender", "police_contact", "district:age_band",
                                           "district:gender", "district:police_contact"}
    frame = frame.assign(score=frame.trust_police * 10.0)
    for name in ["district", "district:gender"]:
        dims = name.split(":")
        expected = frame.groupby(dims, dropna=False)["score"].agg(["count", "sum", lambda s: (s ** 2).sum()])
        for values, row in expected.iterrows():
            values = values if isinstance(values, tuple) else (values,)
            key = (name, tuple(sorted(((d, None if pd.isna(v) else int(v)) for d, v in zip(dims, values)), key=str)))
            assert (cells[key].n, cells[key].sum_y, cells[key].sum_y2) == pytest.approx(tuple(row))
    total = cells[("", ())]
    assert (total.n, total.sum_y) == (len(frame), pytest.approx(frame.score.sum()))


def test_small_cells_are_suppressed_and_published_cells_are_not_small(residents):
    campaign, wave, _ = residents
    release = make_release(campaign, wave)
    for cell in db.session.scalars(select(ReleaseCell).filter_by(release_id=release.id)):
        assert cell.state == "suppressed" or cell.n >= release.threshold


def test_a_wave_is_released_once_and_reissued_on_record(residents):
    campaign, wave, _ = residents
    first = make_release(campaign, wave)
    with pytest.raises(ReleaseRefused, match="released already"):
        make_release(campaign, wave)
    second = make_release(campaign, wave, reason="corrected district boundaries")
    db.session.expire_all()
    assert (first.number, second.number) == (1, 2)
    assert (first.is_current, second.is_current) == (False, True) and second.reason == "corrected district boundaries"
    # every cell published before is published again: what is known stays known
    published = {key for key, cell in cells_of(first).items() if cell.state == "published"}
    assert published <= {key for key, cell in cells_of(second).items() if cell.state == "published"}


def test_an_open_wave_is_not_released(make):
    campaign = make.campaign()
    with pytest.raises(ReleaseRefused, match="still open"):
        make_release(campaign, campaign.waves[0])


def test_figures_exist_only_for_released_waves(client, residents, staff):
    campaign, wave, _ = residents
    follow_up = open_wave(campaign, "follow-up")
    db.session.commit()
    auth = staff("viewer", campaign.city)
    url = f"/api/v1/campaigns/{campaign.slug}/indicators"
    before = client.get(url, headers=auth).get_json()
    assert before["waves"] == [] and all(table["cells"] == [] for table in before["indicators"])
    make_release(campaign, wave)
    after = client.get(url, headers=auth).get_json()
    assert after["waves"] == ["baseline"] and after["methodology"] == "/en/methodology"
    trust = next(table for table in after["indicators"] if table["id"] == "trust")
    total, = trust["cells"]
    assert total["dimensions"] == {"wave": "baseline"} and total["status"] == "estimate"
    assert total["sampling_error_only"] is True  # an open link
    # a response to the open follow-up wave changes nothing published
    submit(campaign.slug, {"district": 5, "age_band": 2, "gender": 1, "trust_police": 0}, language="fr",
           submission_id=submission_id(), channel="web", wave_id=follow_up.id)
    assert client.get(url, headers=auth).get_json() == after


def test_breakdowns_outside_the_releasable_set_are_refused(client, residents, staff):
    campaign, wave, _ = residents
    make_release(campaign, wave)
    auth = staff("analyst", campaign.city)
    refused = client.get(f"/api/v1/campaigns/{campaign.slug}/indicators?by=gender,age_band", headers=auth)
    assert refused.status_code == 400 and "microdata" in refused.get_json()["problems"]["by"][0]
    ok = client.get(f"/api/v1/campaigns/{campaign.slug}/indicators?by=district,gender", headers=auth)
    assert ok.status_code == 200


def test_the_releasable_set_depends_on_the_questionnaire_and_the_audience(make):
    versions = make.standard_versions()
    from imppulse_survey.questionnaires.published import published_definition

    residents = releasable_tables("resident", published_definition(versions["resident-perception"]))
    officers = releasable_tables("officer", published_definition(versions["officer-feedback"]))
    assert [table_name(table) for table in officers] == ["", "service_length", "role_type"]  # never crossed
    assert len(residents) == 8 and max(map(len, residents)) == 2


def test_release_and_list_them_through_the_api(client, residents, staff):
    campaign, _, _ = residents
    url = f"/api/v1/campaigns/{campaign.slug}/releases"
    viewer, manager = staff("viewer", campaign.city), staff("manager", campaign.city)
    assert client.post(url, json={"wave": "baseline"}, headers=viewer).status_code == 403
    assert client.post(url, json={"wave": "nope"}, headers=manager).status_code == 404
    made = client.post(url, json={"wave": "baseline"}, headers=manager)
    assert made.status_code == 201 and made.get_json()["number"] == 1
    assert client.post(url, json={"wave": "baseline"}, headers=manager).status_code == 409
    listed = client.get(url, headers=viewer).get_json()
    assert [(r["wave"], r["number"], r["current"]) for r in listed["releases"]] == [("baseline", 1, True)]
    assert db.session.scalar(select(func.count()).select_from(Release)) == 1


def test_nearly_all_and_nearly_none_for_officers(make):
    """Officers' cells where all, or all but one, agree show words, not figures: checked against the answers."""
    version = make.standard_versions()["officer-feedback"]
    campaign = make.campaign("nantes-officers", city=make.city("nantes"), version=version, access_mode="invitation")
    rng = np.random.default_rng(3)
    for number, token in enumerate(create_invitations(campaign, 14)):
        answers = {"service_length": 1 + number % 3, "role_type": 1, "relations_good": 4 if number else 2,
                   "satisfied_with_job": int(rng.integers(1, 6))}
        submit(campaign.slug, answers, language="fr", submission_id=submission_id(), channel="web", token=token)
    close_wave(campaign)
    db.session.commit()
    outcome = make.release(campaign, campaign.waves[0])
    cells = {cell.indicator: cell for cell in db.session.scalars(
        select(ReleaseCell).filter_by(release_id=outcome.release.id, table_name=""))}
    assert cells["relations_self_view"].variation == "nearly_all"  # 13 of 14 agree
    assert cells["relations_self_view"].state == "published"
    satisfied = sum(1 for number in range(14) if number)  # the random job satisfaction: counted independently
    del satisfied
