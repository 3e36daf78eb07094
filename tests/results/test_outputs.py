"""The public page, JSON and CSV: the noisy figures of public outputs, every table of the release, both audiences,
in a contract the schema checks; text from staff escaped, spreadsheets safe, no NaN, unknown cities refused."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np
import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from imppulse_survey.api.openapi import openapi_document
from imppulse_survey.api.schemas import PublicResultsSchema
from imppulse_survey.extensions import db
from imppulse_survey.releases.figures import campaign_indicators, figures_of
from imppulse_survey.releases.models import ReleaseCell
from imppulse_survey.releases.services import current_release, release_cells
from imppulse_survey.releases.tables import parse_table
from imppulse_survey.results.services import publish

from ..indicators.test_mirror import officer_questionnaire, officers_answer
from .conftest import addresses


def strict_json(text: str):
    """The body as JSON, refusing NaN and Infinity (which json.loads would otherwise accept)."""

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON")

    return json.loads(text, parse_constant=refuse)


def body_of(client, city: str = "nantes", lang: str = "en") -> dict:
    response = client.get(addresses(city, lang)["json"])
    assert response.status_code == 200 and response.mimetype == "application/json"
    return strict_json(response.get_data(as_text=True))


def csv_of(client, city: str = "nantes", lang: str = "en") -> tuple[bytes, list[dict]]:
    response = client.get(addresses(city, lang)["csv"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{city}-results.csv"'
    raw = response.get_data()
    return raw, list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def key_of(indicator: str, dimensions: dict) -> tuple:
    return indicator, tuple(sorted((name, value) for name, value in dimensions.items() if name != "wave"))


def test_the_public_figures_are_the_noisy_ones_of_every_table(client, published):
    campaign, wave, _ = published
    release = current_release(wave)
    kinds = {indicator.key: indicator.kind for indicator in campaign_indicators(campaign)}
    names = set(db.session.scalars(select(ReleaseCell.table_name).distinct().where(
        ReleaseCell.release_id == release.id, ReleaseCell.pooling_id.is_(None))))
    assert len(names) > 5
    tables = body_of(client)["waves"][0]["tables"]
    assert tables[0]["breakdown"] == "total"
    assert {"" if table["breakdown"] == "total" else table["breakdown"] for table in tables} == names
    noisy = compared = 0
    for table in tables:
        cells = release_cells(release, parse_table("" if table["breakdown"] == "total" else table["breakdown"]))
        public = {key_of(cell.indicator, cell.dimensions): figure
                  for cell, figure in zip(cells, figures_of(cells, kinds, weighted=True, public=True), strict=True)}
        exact = {key_of(cell.indicator, cell.dimensions): figure
                 for cell, figure in zip(cells, figures_of(cells, kinds, weighted=True), strict=True)}
        shown = {key_of(indicator["id"], cell["dimensions"]): cell
                 for indicator in table["indicators"] for cell in indicator["cells"]}
        assert shown.keys() == public.keys(), table["breakdown"]
        for key, cell in shown.items():
            figure = public[key]
            assert (cell["status"], cell["n"], cell["estimate"], cell["ci_low"], cell["ci_high"]) == (
                figure.status, figure.n, figure.estimate, figure.ci_low, figure.ci_high), key
            assert cell["n"] is None or cell["n"] % 5 == 0
            if cell["status"] == "estimate":
                compared += 1
                noisy += (cell["estimate"], cell["n"]) != (exact[key].estimate, exact[key].n)
    assert compared > 20 and noisy > 0


def test_the_page_and_the_csv_hold_every_table_too(client, published):
    tables = [table["breakdown"] for table in body_of(client)["waves"][0]["tables"]]
    page = client.get(addresses("nantes")["page"]).get_data(as_text=True)
    assert page.count("<details") == len(tables) - 1
    assert re.findall(r"<summary>([^<]+)</summary>", page)[:4] == ["District", "Age", "Gender", "Contact with the police"]
    assert "District × Gender" in page
    _, rows = csv_of(client)
    assert list(dict.fromkeys(row["breakdown"] for row in rows)) == tables
    cells = sum(len(indicator["cells"]) for table in body_of(client)["waves"][0]["tables"]
                for indicator in table["indicators"])
    assert len(rows) == cells
    assert all(int(row["n"]) % 5 == 0 for row in rows if row["n"])
    suppressed = [row for row in rows if row["status"] == "suppressed"]
    assert suppressed and all(row["n"] == row["estimate"] == "" for row in suppressed)
    assert "not shown: too few answers" in page


def test_the_page_says_how_to_read_the_figures_and_links_the_rest(client, published):
    page = client.get("/en/results/nantes").get_data(as_text=True)
    assert "small random adjustment" in page and "no individual answer can ever be worked out" in page
    assert "does not cover other errors" in page
    assert 'href="/en/methodology"' in page
    assert 'href="/api/v1/public/results/nantes?lang=en"' in page
    assert 'href="/api/v1/public/results/nantes.csv?lang=en"' in page
    assert re.search(r'<th scope="row">Trust in the police \(score 0–100\)</th>', page)
    assert '<caption id="total-1">' in page and 'scope="col"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page  # no outside requests
    french = client.get("/fr/results/nantes")
    assert french.status_code == 200 and 'lang="fr"' in french.get_data(as_text=True)


def test_residents_come_first_then_officers_unweighted(client, make, published):
    campaign, _, _ = published
    officers = make.campaign("nantes-officers", city=campaign.city, version=make.version(officer_questionnaire()),
                             access_mode="invitation")
    officers_answer(officers, np.random.default_rng(3))
    make.release(officers)
    publish(officers.waves[0])
    db.session.commit()
    waves = body_of(client)["waves"]
    assert [(item["campaign"], item["audience"], item["weighted"]) for item in waves] == [
        ("nantes-residents", "resident", True), ("nantes-officers", "officer", False)]
    release = current_release(officers.waves[0])
    kinds = {indicator.key: indicator.kind for indicator in campaign_indicators(officers)}
    cells = release_cells(release, ())
    expected = {cell.indicator: figure for cell, figure in
                zip(cells, figures_of(cells, kinds, weighted=False, public=True), strict=True)}
    total = waves[1]["tables"][0]
    assert total["breakdown"] == "total"
    for indicator in total["indicators"]:
        for cell in indicator["cells"]:
            assert (cell["status"], cell["n"], cell["estimate"]) == (
                expected[indicator["id"]].status, expected[indicator["id"]].n, expected[indicator["id"]].estimate)
    _, rows = csv_of(client)
    assert list(dict.fromkeys(row["campaign"] for row in rows)) == ["nantes-residents", "nantes-officers"]
    page = client.get("/en/results/nantes").get_data(as_text=True)
    assert page.index("Residents</dd>") < page.index("Police officers</dd>")


def test_the_json_matches_its_schema_and_never_holds_nan(client, published):
    body = body_of(client)
    PublicResultsSchema().load(body)  # the contract, field by field: unknown or missing fields raise
    assert body["city"] == {"slug": "nantes", "name": "Nantes", "name_local": None, "country": "FR"}
    assert body["methodology"] == "/en/methodology" and "small random adjustment" in body["note"]
    wrong = json.loads(json.dumps(body))
    wrong["waves"][0]["tables"][0]["indicators"][0]["cells"][0]["n"] = 7
    with pytest.raises(ValidationError, match="multiple of 5"):
        PublicResultsSchema().load(wrong)
    wrong = json.loads(json.dumps(body))
    wrong["waves"][0]["tables"][0]["indicators"][0]["cells"][0]["estimate"] = math.nan
    with pytest.raises(ValidationError):
        PublicResultsSchema().load(wrong)
    for status in ("estimate", "suppressed"):
        assert any(cell["status"] == status for table in body["waves"][0]["tables"]
                   for indicator in table["indicators"] for cell in indicator["cells"])


def test_staff_text_is_escaped_on_the_page(client, published):
    campaign, _, _ = published
    campaign.city.name_local = "<script>alert('city')</script>"
    campaign.city.districts[0].name = "<img src=x onerror=alert('district')>"
    db.session.commit()
    page = client.get("/en/results/nantes").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;city&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(&#39;district&#39;)&gt;" in page


def test_the_csv_is_safe_to_open_in_a_spreadsheet(client, published):
    campaign, _, _ = published
    campaign.city.districts[0].name = "=HYPERLINK(\"http://evil.example\",\"click\")"
    campaign.city.districts[1].name = "@SUM(1+1)"
    db.session.commit()
    raw, rows = csv_of(client)
    assert raw.startswith("\ufeff".encode())
    names = {row["district"] for row in rows if row["district"]}
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in names and "'@SUM(1+1)" in names
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values() if value)
    assert all(re.fullmatch(r"\d+\.\d", row["estimate"]) for row in rows if row["estimate"])  # numbers stay numbers


def test_the_csv_and_json_speak_the_language_asked_for(client, published):
    _, rows = csv_of(client, lang="fr")
    assert "Confiance dans la police (score 0–100)" in {row["label"] for row in rows}
    english = body_of(client, lang="en")["waves"][0]["tables"][0]["indicators"][0]["label"]
    assert english == "Trust in the police (score 0–100)"


@pytest.mark.parametrize("address", ["/en/results/nowhere", "/xx/results/nantes", "/en/results/" + "n" * 65])
def test_an_unknown_city_or_language_has_no_page(client, make, address):
    make.city("nantes")
    db.session.commit()
    assert client.get(address).status_code == 404


def test_the_api_refuses_unknown_cities_and_bad_languages(client, make):
    make.city("nantes")
    db.session.commit()
    for path in ("/api/v1/public/results/nowhere", "/api/v1/public/results/nowhere.csv"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json() == {"status": 404, "message": "no such city"}
    for path in ("/api/v1/public/results/nantes?lang=xx", "/api/v1/public/results/nantes.csv?lang=xx",
                 "/api/v1/public/results/nantes?colour=red"):
        response = client.get(path)
        assert response.status_code == 400 and response.get_json()["message"] == "invalid query parameters"


def test_nothing_is_published_for_a_city_without_campaigns(client, make):
    make.city("lisbon", districts=2)
    db.session.commit()
    assert body_of(client, "lisbon")["waves"] == []
    raw, rows = csv_of(client, "lisbon")
    assert rows == [] and raw.decode("utf-8-sig").startswith("campaign,wave,release,breakdown,indicator,label")
    assert "No results are published yet." in client.get("/en/results/lisbon").get_data(as_text=True)


def test_the_thanks_page_says_where_results_appear(client, residents):
    campaign, _, _ = residents
    page = client.get(f"/en/s/{campaign.slug}/thanks").get_data(as_text=True)
    assert "When and where results appear" in page and "They then appear on the city's results page" in page
    assert 'href="/en/results/nantes"' in page


def test_the_home_page_links_each_citys_results(client, make):
    city = make.city("amiens", districts=2)
    make.campaign("amiens-residents", city=city)
    assert 'href="/en/results/amiens"' in client.get("/en/").get_data(as_text=True)


def test_the_openapi_document_declares_both_public_outputs(app_context):
    paths = openapi_document()["paths"]
    for path, media in (("/api/v1/public/results/{city}", "application/json"),
                        ("/api/v1/public/results/{city}.csv", "text/csv")):
        operation = paths[path]["get"]
        assert operation["security"] == []
        assert media in operation["responses"]["200"]["content"]
        assert {"400", "404"} <= set(operation["responses"])
    assert "PublicResults" in openapi_document()["components"]["schemas"]
