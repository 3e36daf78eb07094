"""What the workspace pages say, checked against independent computations on the same data."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from scipy import stats

from imppulse_survey.campaigns.models import District
from imppulse_survey.extensions import db

from ..releases.conftest import DISTRICT_SIZES


def cells(page: str, row_header: str) -> list[str]:
    """The text of the cells in the table row headed ``row_header``."""
    row = re.search(rf'<th scope="row">(?:<a [^>]*>)?{re.escape(row_header)}(?:</a>)?</th>(.*?)</tr>', page, re.DOTALL)
    assert row, f"no row {row_header!r}"
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)]


def test_fieldwork_counts_districts_against_population(released, sign_in):
    campaign, wave, frame = released
    wave.target_responses = 300
    db.session.commit()
    page = sign_in("viewer", campaign.city).get(f"/en/staff/campaigns/{campaign.slug}/fieldwork").get_data(as_text=True)
    assert f"{len(frame)} responses" in page and "of a target of 300" in page
    population = pd.Series({district.code: district.population for district in campaign.city.districts})
    counts = frame.groupby("district").size().reindex(population.index, fill_value=0)
    response_share, population_share = counts / counts.sum(), population / population.sum()
    for code, count in counts.items():
        name = db.session.query(District.name).filter_by(city_id=campaign.city_id, code=code).scalar()
        row = cells(page, name)
        assert int(row[0]) == count
        assert row[3] == str(round(300 * population_share[code]))
        assert ("Under-represented" in row[4]) == bool(response_share[code] < 0.75 * population_share[code])
    assert re.search(r'<time datetime="2026-10-01">', page)


def test_the_indicator_pages_show_the_released_figures(released, sign_in):
    campaign, _, frame = released
    viewer = sign_in("viewer", campaign.city)
    overview = viewer.get(f"/en/staff/campaigns/{campaign.slug}/indicators").get_data(as_text=True)
    scores = frame.trust_police * 10
    low, high = stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(), scale=stats.sem(scores))
    row = cells(overview, "Trust in the police (score 0–100)")
    assert row[0].startswith(f"{scores.mean():.1f}") and f"({low:.1f}–{high:.1f})" in row[0]
    assert row[1] == str(len(scores))
    assert overview.count("<svg") >= 1 and 'role="img"' in overview
    detail = viewer.get(f"/en/staff/campaigns/{campaign.slug}/indicators/trust").get_data(as_text=True)
    names = [district.name for district in campaign.city.districts]
    positions = [detail.index(f'<th scope="row">{name}</th>') for name in names]
    assert positions == sorted(positions)  # districts by name, in their order
    for district, size in DISTRICT_SIZES.items():
        shown = cells(detail, names[district - 1])
        if size < campaign.disclosure_threshold:
            assert "suppressed" in shown[0] and shown[1] == "—"
        elif shown[0][0].isdigit():
            assert shown[0].startswith(f"{frame[frame.district == district].trust_police.mean() * 10:.1f}")
    assert "/en/methodology" in detail


@pytest.mark.parametrize("lang, words", [("fr", "Indicateurs"), ("nl", "Indicatoren"), ("pt", "Indicadores")])
def test_pages_speak_the_users_language(released, sign_in, lang, words):
    campaign, _, _ = released
    page = sign_in("viewer", campaign.city).get(f"/{lang}/staff/campaigns/{campaign.slug}/indicators")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f'lang="{lang}"' in text and words in text


def test_form_errors_are_in_the_users_language(make, sign_in):
    city = make.city("nantes", districts=2)
    campaign = make.campaign("nantes-residents", city=city)
    manager = sign_in("manager", city)
    page_path = f"/fr/staff/campaigns/{campaign.slug}/"
    response = manager.post(f"{page_path}waves", {"label": "Suivi 1", "version": campaign.questionnaire_version_id,
                                                  "recruitment_mode": "open_link"}, form_page=page_path)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Utilisez des lettres minuscules" in text or "minuscules" in text
    assert 'value="Suivi 1"' in text


def test_the_weighted_switch_and_unknown_waves(released, sign_in):
    campaign, _, _ = released
    viewer = sign_in("viewer", campaign.city)
    unweighted = viewer.get(f"/en/staff/campaigns/{campaign.slug}/indicators?weighted=0").get_data(as_text=True)
    assert 'id="weighted-0" name="weighted" value="0" checked' in unweighted and "unweighted" in unweighted
    assert viewer.get(f"/en/staff/campaigns/{campaign.slug}/indicators?wave=nope").status_code == 404
    assert viewer.get(f"/en/staff/campaigns/{campaign.slug}/indicators/nope").status_code == 404


def test_a_campaign_without_release_says_so(make, sign_in):
    city = make.city("nantes", districts=2)
    campaign = make.campaign("nantes-residents", city=city)
    viewer = sign_in("viewer", city)
    page = viewer.get(f"/en/staff/campaigns/{campaign.slug}/indicators").get_data(as_text=True)
    assert "No wave is released yet" in page
    assert "Two released waves are needed" in viewer.get(f"/en/staff/campaigns/{campaign.slug}/compare").get_data(
        as_text=True)
