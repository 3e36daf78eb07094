"""Downloads of a release, read back as an analyst's tools read them, checked against independent computations."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from scipy import stats
from sqlalchemy import select

from imppulse_survey.accounts.models import AuditEvent
from imppulse_survey.extensions import db
from imppulse_survey.releases.services import make_release

QUASI_IDENTIFIERS = ["district", "age_band", "gender", "years_in_area", "police_contact", "language", "channel",
                     "weight"]


@pytest.fixture
def released(residents):
    campaign, wave, frame = residents
    make_release(campaign, wave)
    return campaign, wave, frame


def url(campaign, wave, what, fmt, **query):
    tail = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/api/v1/campaigns/{campaign.slug}/waves/{wave.label}/{what}.{fmt}" + (f"?{tail}" if tail else "")


def csv_frame(response) -> pd.DataFrame:
    assert response.data.startswith("\ufeff".encode()), "Excel needs the byte-order mark to read UTF-8"
    return pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", keep_default_na=False, na_values=[""])


def test_aggregated_indicators_match_an_independent_computation(client, released, staff):
    campaign, wave, frame = released
    headers = staff("viewer", campaign.city)
    response = client.get(url(campaign, wave, "indicators", "csv", lang="fr"), headers=headers)
    assert response.status_code == 200, response.data
    assert "attachment" in response.headers["Content-Disposition"]
    table = csv_frame(response)
    total = table[(table.indicator == "trust") & (table.table == "total")].iloc[0]
    scores = frame.trust_police.astype(float) * 10
    low, high = stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(), scale=stats.sem(scores))
    assert total.n == len(scores)
    assert total.estimate == pytest.approx(scores.mean(), abs=0.051)
    assert (total.ci_low, total.ci_high) == (pytest.approx(low, abs=0.051), pytest.approx(high, abs=0.051))
    assert total.indicator_label.startswith("Confiance dans la police")
    by_district = table[(table.indicator == "trust") & (table.table == "district")]
    # districts by name, in their order; the district of 3 respondents is suppressed, with no n and no estimate
    assert list(by_district.district_code) == sorted(by_district.district_code)
    assert by_district.district.str.len().min() > 0
    small = by_district[by_district.district_code == 5].iloc[0]
    assert small.status == "suppressed" and pd.isna(small.n) and pd.isna(small.estimate)
    shown = by_district[by_district.status == "estimate"]
    for row in shown.itertuples():
        mine = frame[frame.district == row.district_code].trust_police * 10
        assert row.n == len(mine) and row.estimate == pytest.approx(mine.mean(), abs=0.051)


def test_indicators_as_xlsx_hold_the_same_rows(client, released, staff):
    campaign, wave, _ = released
    headers = staff("manager", campaign.city)
    as_csv = csv_frame(client.get(url(campaign, wave, "indicators", "csv"), headers=headers))
    response = client.get(url(campaign, wave, "indicators", "xlsx"), headers=headers)
    assert response.status_code == 200
    as_xlsx = pd.read_excel(io.BytesIO(response.data), keep_default_na=False, na_values=[""])
    assert len(as_xlsx) == len(as_csv) > 100
    pd.testing.assert_series_equal(as_xlsx.estimate, as_csv.estimate, check_dtype=False)
    assert (as_xlsx.status == "suppressed").sum() == (as_csv.status == "suppressed").sum() > 0


def microdata(client, campaign, wave, headers, fmt="csv"):
    response = client.get(url(campaign, wave, "microdata", fmt), headers=headers)
    assert response.status_code == 200, response.data
    return response


def test_microdata_is_k_anonymous_and_holds_the_answers(client, released, staff):
    campaign, wave, frame = released
    data = csv_frame(microdata(client, campaign, wave, staff("analyst", campaign.city)))
    assert len(data) == len(frame)
    assert not {"id", "response_id", "submission_id", "submitted_on"} & set(data.columns)
    present = [name for name in QUASI_IDENTIFIERS if name in data.columns]
    sizes = data.fillna(-999).groupby(present).size() if present else pd.Series([len(data)])
    assert sizes.min() >= campaign.disclosure_threshold
    # the pivot holds every answer: the same multiset as what was loaded
    assert sorted(data.trust_police) == sorted(frame.trust_police)
    assert sorted(data.relations_good) == sorted(frame.relations_good)
    # rows are not in the order the responses came in
    assert list(data.trust_police) != list(frame.trust_police)


def test_microdata_for_spss_and_stata_keep_labels_in_the_language_asked(client, released, staff):
    campaign, wave, frame = released
    headers = staff("analyst", campaign.city)
    for fmt, read in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        response = client.get(url(campaign, wave, "microdata", fmt, lang="fr"), headers=headers)
        assert response.status_code == 200, response.data
        path = f"/tmp/imppulse-test-microdata.{fmt}"
        with open(path, "wb") as handle:
            handle.write(response.data)
        data, meta = read(path)
        assert len(data) == len(frame)
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        question = question_text("trust_police", "fr")
        assert labels["trust_police"] == (question if fmt == "sav" else question[:80])  # Stata keeps 80
        relations = {int(code): label for code, label in meta.variable_value_labels["relations_good"].items()}
        assert relations[1] == "Pas du tout d'accord"  # accents and apostrophes intact
        assert sorted(data.trust_police.dropna().astype(int)) == sorted(frame.trust_police)


def question_text(key: str, lang: str) -> str:
    """The question as the questionnaire file words it (read here, not through the app)."""
    import yaml

    from imppulse_survey.questionnaires.services import standard_file

    data = yaml.safe_load(standard_file("resident-perception", 2).read_text(encoding="utf-8"))
    item = next(item for page in data["pages"] for item in page["items"] if item.get("key") == key)
    return item["text"][lang].strip()


def test_codebook_describes_every_variable(client, released, staff):
    campaign, wave, _ = released
    headers = staff("analyst", campaign.city)
    book = csv_frame(client.get(url(campaign, wave, "codebook", "csv", lang="fr"), headers=headers))
    data = csv_frame(microdata(client, campaign, wave, headers))
    described = set(book[book.question.notna()].variable)
    assert set(data.columns) <= described
    page = client.get(url(campaign, wave, "codebook", "html", lang="fr"), headers=headers)
    assert page.status_code == 200 and b'lang="fr"' in page.data and b"trust_police" in page.data


@pytest.mark.parametrize("role, what, status", [
    ("viewer", "microdata", 403), ("manager", "microdata", 403), ("analyst", "microdata", 200),
    ("admin", "microdata", 200), ("viewer", "indicators", 200), ("analyst", "codebook", 200),
    ("manager", "codebook", 403)])
def test_who_may_download_what(client, released, staff, make, role, what, status):
    campaign, wave, _ = released
    headers = staff(role, None if role == "admin" else campaign.city)
    assert client.get(url(campaign, wave, what, "csv"), headers=headers).status_code == status


@pytest.mark.parametrize("what", ["indicators", "microdata", "codebook"])
def test_another_city_and_strangers_get_nothing(client, released, staff, make, what):
    campaign, wave, _ = released
    other = make.city("lisbon", districts=2)
    assert client.get(url(campaign, wave, what, "csv"), headers=staff("analyst", other)).status_code == 404
    assert client.get(url(campaign, wave, what, "csv")).status_code == 401


def test_bad_requests_are_refused_plainly(client, released, staff):
    campaign, wave, _ = released
    headers = staff("analyst", campaign.city)
    assert client.get(url(campaign, wave, "microdata", "exe"), headers=headers).status_code == 400
    assert client.get(url(campaign, wave, "indicators", "sav"), headers=headers).status_code == 400
    assert client.get(url(campaign, wave, "microdata", "csv", lang="xx"), headers=headers).status_code == 400
    missing = client.get(f"/api/v1/campaigns/{campaign.slug}/waves/nope/indicators.csv", headers=headers)
    assert missing.status_code == 404


def test_a_wave_without_release_has_no_download(client, residents, staff):
    campaign, wave, _ = residents
    response = client.get(url(campaign, wave, "microdata", "csv"), headers=staff("analyst", campaign.city))
    assert response.status_code == 404


def test_every_download_is_in_the_audit_log(client, released, staff):
    campaign, wave, _ = released
    headers = staff("analyst", campaign.city)
    for what in ("indicators", "microdata", "codebook"):
        client.get(url(campaign, wave, what, "csv"), headers=headers)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["download.indicators", "download.microdata", "download.codebook"]
    assert {event.actor for event in events} == {"analyst0@example.org"}
    assert all(event.city_id == campaign.city_id and event.target == f"{campaign.slug} {wave.label}"
               for event in events)


def test_too_few_respondents_for_any_file(client, make, staff):
    from imppulse_survey.campaigns.services import close_wave

    from ..releases.conftest import load, people

    version = make.standard_versions()["resident-perception"]
    city = make.city("amiens", districts=2)
    campaign = make.campaign("amiens-residents", city=city, version=version)
    wave = campaign.waves[0]
    load(campaign, wave, people(campaign, wave, {1: 4, 2: 3}))
    close_wave(campaign)
    db.session.commit()
    make_release(campaign, wave)
    response = client.get(url(campaign, wave, "microdata", "csv"), headers=staff("analyst", city))
    assert response.status_code == 409


def test_quasi_identifier_search_is_k_anonymous_and_locally_minimal():
    """Every class holds at least k, counted here with pandas; and no quasi-identifier could be one level finer."""
    from imppulse_survey.exports.anonymity import as_answered, banded, coarsening

    rng = np.random.default_rng(3)
    identifiers = [as_answered("channel"), banded("age_band", [1, 2, 3, 4, 5, 6]), as_answered("district")]
    people = pd.DataFrame({"channel": rng.choice(["web", "api"], 400, p=[.95, .05]),
                           "age_band": rng.choice([1, 2, 3, 4, 5, 6], 400),
                           "district": rng.choice(list(range(1, 13)), 400)})
    counts = people.groupby(list(people.columns)).size().to_dict()

    def smallest_class(levels):
        coarse = people.copy()
        for identifier in identifiers:
            coarse[identifier.name] = [identifier.at(levels[identifier.name], value)
                                       for value in people[identifier.name]]
        return coarse.fillna("withheld").groupby(list(coarse.columns)).size().min()

    levels = coarsening(identifiers, counts, 10)
    assert smallest_class(levels) >= 10
    assert levels["district"] < 1 or levels["age_band"] < 2, "the search withheld everything but the channel"
    for name, level in levels.items():
        if level > 0:
            assert smallest_class({**levels, name: level - 1}) < 10, f"{name} could have stayed finer"


HOSTILE_TEXTS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd",
                 "Très bien, ça va — merci !", "Молодці", "plain"]


def with_comments(campaign, frame):
    from sqlalchemy import insert

    from imppulse_survey.responses.models import TextAnswer

    db.session.execute(insert(TextAnswer), [{"response_id": int(frame.id.iloc[index]), "item_key": "comment",
                                              "text": text} for index, text in enumerate(HOSTILE_TEXTS)])
    campaign.microdata_free_text = True
    db.session.commit()


def test_free_text_is_left_out_unless_an_admin_enabled_it(client, released, staff):
    campaign, wave, _ = released
    data = csv_frame(microdata(client, campaign, wave, staff("analyst", campaign.city)))
    assert "comment" not in data.columns


def test_no_cell_can_run_as_a_formula(client, residents, staff):
    from openpyxl import load_workbook

    campaign, wave, frame = residents
    with_comments(campaign, frame)
    make_release(campaign, wave)
    headers = staff("analyst", campaign.city)
    data = csv_frame(microdata(client, campaign, wave, headers))
    written = set(data.comment.dropna())
    assert {"'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tcmd",
            "Très bien, ça va — merci !", "Молодці", "plain"} <= written
    assert not [text for text in written if text[:1] in "=+-@\t\r"]
    book = load_workbook(io.BytesIO(microdata(client, campaign, wave, headers, "xlsx").data))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in {cell.value for cell in cells}


def test_officers_microdata_is_for_the_network_coordinator_only(client, make, staff):
    from ..indicators.test_mirror import officer_questionnaire, officers_answer

    city = make.city("milan", districts=2)
    campaign = make.campaign("milan-officers", city=city, version=make.version(officer_questionnaire()),
                             access_mode="invitation")
    wave = campaign.waves[0]
    answered = officers_answer(campaign, np.random.default_rng(5))
    make.release(campaign, wave)
    for role in ("analyst", "manager", "viewer"):
        assert client.get(url(campaign, wave, "microdata", "csv"), headers=staff(role, city)).status_code == 403
    assert client.get(url(campaign, wave, "codebook", "csv"), headers=staff("analyst", city)).status_code == 403
    data = csv_frame(microdata(client, campaign, wave, staff("admin")))
    assert len(data) == len(answered)
    present = [name for name in ("language", "channel", "contact") if name in data.columns]
    assert not present or data.fillna(-999).groupby(present).size().min() >= campaign.disclosure_threshold
    assert sorted(data.confidence) == sorted(answered.confidence)


def test_retention_purges_microdata_with_the_answers(client, app, residents, staff):
    import datetime as dt

    from imppulse_survey.exports.models import MicrodataRow, MicrodataSet
    from imppulse_survey.responses.retention import purge

    campaign, wave, frame = residents
    with_comments(campaign, frame)
    make_release(campaign, wave)
    headers = staff("analyst", campaign.city)
    microdata(client, campaign, wave, headers, "sav")
    made = db.session.scalars(select(MicrodataSet)).one()
    from imppulse_survey.exports.labelled import export_folder

    folder = export_folder(made)
    assert folder.exists()
    purge(wave.closes_dt + dt.timedelta(days=31 * campaign.text_retention_months + 1))
    db.session.commit()
    assert db.session.scalar(select(MicrodataSet.id)) is None, "the set held free texts past their date"
    assert db.session.scalar(select(MicrodataRow.set_id)) is None and not folder.exists()
