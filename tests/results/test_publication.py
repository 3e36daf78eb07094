"""Publishing a wave from the campaign's page: managers of the city only, with the form's token, audited; the public
page, JSON and CSV show the wave while it is published, its current release included, and nothing once withdrawn."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from imppulse_survey.accounts.models import AuditEvent
from imppulse_survey.extensions import db
from imppulse_survey.releases.services import make_release
from imppulse_survey.results.models import Publication
from imppulse_survey.results.services import PublicationRefused, publication, publish, published_waves, withdraw

from .conftest import addresses

ROLES = ("admin", "manager", "viewer", "analyst")


def shown(client, city: str = "nantes") -> dict:
    """What each public output shows: the page's text, the JSON's waves, the CSV's rows."""
    found = addresses(city)
    page = client.get(found["page"])
    body = client.get(found["json"])
    sheet = client.get(found["csv"])
    assert (page.status_code, body.status_code, sheet.status_code) == (200, 200, 200)
    rows = list(csv.DictReader(io.StringIO(sheet.get_data(as_text=True).lstrip("\ufeff"))))
    return {"page": page.get_data(as_text=True), "waves": body.get_json()["waves"], "rows": rows}


def test_the_outputs_show_a_wave_only_while_it_is_published(client, released, sign_in):
    campaign, _, _ = released
    before = shown(client)
    assert "No results are published yet." in before["page"] and "<details" not in before["page"]
    assert before["waves"] == [] and before["rows"] == []

    manager = sign_in("manager", campaign.city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    assert manager.post(f"{page_path}waves/baseline/publish", form_page=page_path).status_code == 302
    during = shown(client)
    assert "No results are published yet." not in during["page"]
    assert "Your views on the police in your area · baseline" in during["page"]
    assert [(item["campaign"], item["wave"], item["release"]["number"]) for item in during["waves"]] == [
        (campaign.slug, "baseline", 1)]
    assert during["rows"] and {row["wave"] for row in during["rows"]} == {"baseline"}

    assert manager.post(f"{page_path}waves/baseline/withdraw", form_page=page_path).status_code == 302
    after = shown(client)
    assert "No results are published yet." in after["page"]
    assert after["waves"] == [] and after["rows"] == []


def test_a_reissue_is_published_without_publishing_again(client, published):
    campaign, wave, _ = published
    make_release(campaign, wave, reason="a correction")
    outputs = shown(client)
    assert [item["release"]["number"] for item in outputs["waves"]] == [2]
    assert "(release 2)" in outputs["page"]
    assert {row["release"] for row in outputs["rows"]} == {"2"}


def test_a_wave_without_a_release_cannot_be_published(residents, sign_in):
    campaign, wave, _ = residents
    with pytest.raises(PublicationRefused, match="no release") as refused:
        publish(wave)
    assert isinstance(refused.value, ValueError)
    manager = sign_in("manager", campaign.city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    response = manager.post(f"{page_path}waves/baseline/publish", form_page=page_path)
    assert response.status_code == 409 and "no release" in response.get_data(as_text=True)
    assert db.session.scalars(select(Publication)).all() == []


def test_publishing_twice_keeps_the_first_date_and_withdrawing_twice_is_harmless(released):
    _, wave, _ = released
    first = publish(wave).published_dt
    assert publish(wave).published_dt == first
    db.session.commit()
    assert published_waves(wave.campaign.city) == [wave]
    assert withdraw(wave) is True and withdraw(wave) is False
    db.session.commit()
    assert publication(wave) is None and published_waves(wave.campaign.city) == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("own", [True, False])
def test_only_managers_of_the_city_publish_and_withdraw(released, make, sign_in, role, own):
    campaign, wave, _ = released
    staff = sign_in(role, campaign.city if own else make.city("lisbon", districts=2))
    may = role == "admin" or (role == "manager" and own)
    refused = 404 if role != "admin" and not own else 403
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    for action, published in (("publish", True), ("withdraw", False)):
        status = staff.post(f"{page_path}waves/baseline/{action}").status_code
        assert status == (302 if may else refused), (action, status)
        db.session.expire_all()
        assert (publication(wave) is not None) == (published and may), action
    assert len(db.session.scalars(select(AuditEvent)).all()) == (2 if may else 0)


def test_a_press_without_the_forms_token_changes_nothing(released, sign_in):
    campaign, wave, _ = released
    manager = sign_in("manager", campaign.city)
    response = manager.client.post(f"/en/staff/campaigns/{campaign.slug}/waves/baseline/publish")
    assert response.status_code == 400
    assert publication(wave) is None and db.session.scalars(select(AuditEvent)).all() == []


def test_an_unknown_wave_is_not_found(released, sign_in):
    campaign, _, _ = released
    manager = sign_in("manager", campaign.city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    assert manager.post(f"{page_path}waves/nope/publish", form_page=page_path).status_code == 404


def test_publishing_and_withdrawing_are_audited(released, sign_in):
    campaign, _, _ = released
    manager = sign_in("manager", campaign.city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    published = manager.post(f"{page_path}waves/baseline/publish", form_page=page_path, follow_redirects=True)
    assert "are on the city&#39;s public results page" in published.get_data(as_text=True)
    manager.post(f"{page_path}waves/baseline/withdraw", form_page=page_path)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(event.action, event.target, event.city_id, event.actor) for event in events] == [
        ("results.publish", "nantes-residents/baseline", campaign.city_id, manager.email),
        ("results.withdraw", "nantes-residents/baseline", campaign.city_id, manager.email)]


def test_the_campaign_page_offers_the_right_button_to_managers_only(released, sign_in):
    campaign, _, _ = released
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    manager, viewer = sign_in("manager", campaign.city), sign_in("viewer", campaign.city)
    page = manager.get(page_path).get_data(as_text=True)
    assert "Publish the results of wave baseline" in page and "from the public page" not in page
    assert 'href="/en/results/nantes"' in page
    manager.post(f"{page_path}waves/baseline/publish", form_page=page_path)
    page = manager.get(page_path).get_data(as_text=True)
    assert "Withdraw wave baseline from the public page" in page and "Published on" in page
    assert "Publish the results of wave baseline" not in page
    shown_to_viewer = viewer.get(page_path).get_data(as_text=True)
    assert "Withdraw wave" not in shown_to_viewer and "Publish the results" not in shown_to_viewer


def test_a_wave_not_released_has_no_button(residents, sign_in):
    campaign, _, _ = residents
    page = sign_in("manager", campaign.city).get(f"/en/staff/campaigns/{campaign.slug}/").get_data(as_text=True)
    assert "Publish the results" not in page and "from the public page" not in page
