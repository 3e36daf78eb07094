"""Managing campaigns in the browser: create, plan and run waves, the threshold, the campaign's words,
invitations and posters; every change audited, every link on the public base URL."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from imppulse_survey.accounts.models import AuditEvent
from imppulse_survey.campaigns.models import Campaign, Invitation
from imppulse_survey.campaigns.services import hash_token
from imppulse_survey.extensions import db

from ..factories import minimal_questionnaire


def actions() -> list[str]:
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_manager_runs_a_campaign_from_creation_to_release(app, make, sign_in):
    city = make.city("toulouse", districts=3)
    version = make.version(minimal_questionnaire())
    manager = sign_in("manager", city)
    page = manager.get("/en/staff/campaigns/new").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="languages"[^>]*>', page)
    assert len(boxes) == len(version.definition["languages"])  # every language of the version offered…
    assert all("checked" in box for box in boxes)  # …and chosen at first: the file's own texts count as reviewed
    created = manager.post("/en/staff/campaigns/new", {
        "city": city.id, "version": version.id, "slug": "toulouse-residents", "languages": ["en", "fr"],
        "default_language": "fr", "threshold": "10"}, form_page="/en/staff/campaigns/new")
    assert created.status_code == 302, created.get_data(as_text=True)
    campaign = db.session.scalar(select(Campaign).filter_by(slug="toulouse-residents"))
    assert (campaign.languages, campaign.default_language, campaign.access_mode) == (["en", "fr"], "fr", "open")
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    added = manager.post(f"{page_path}waves", {"label": "baseline", "version": version.id, "target": "400",
                                               "recruitment_mode": "open_link"}, form_page=page_path)
    assert added.status_code == 302, added.get_data(as_text=True)
    db.session.expire_all()
    wave = campaign.waves[0]
    assert (wave.label, wave.target_responses, wave.status()) == ("baseline", 400, "scheduled")
    assert manager.post(f"{page_path}waves/baseline/open", form_page=page_path).status_code == 302
    db.session.expire_all()
    assert campaign.waves[0].status() == "open"
    assert manager.post(f"{page_path}waves/baseline/close", form_page=page_path).status_code == 302
    released = manager.post(f"{page_path}waves/baseline/release", {}, form_page=page_path)
    assert released.status_code == 302, released.get_data(as_text=True)
    again = manager.post(f"{page_path}waves/baseline/release", {}, form_page=page_path)
    assert again.status_code == 400 and "Say why" in again.get_data(as_text=True)
    assert actions() == ["campaign.create", "wave.create", "wave.open", "wave.close", "wave.release"]
    events = db.session.scalars(select(AuditEvent)).all()
    assert {event.actor for event in events} == {manager.email} and {event.city_id for event in events} == {city.id}


def test_form_errors_come_back_with_what_was_typed(make, sign_in):
    city = make.city("amiens", districts=2)
    version = make.version(minimal_questionnaire())
    manager = sign_in("manager", city)
    response = manager.post("/en/staff/campaigns/new", {
        "city": city.id, "version": version.id, "slug": "Not A Slug!", "languages": ["fr"], "default_language": "en",
        "threshold": "3"}, form_page="/en/staff/campaigns/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Not A Slug!"' in page and "lower-case letters" in page
    assert "The default language must be one of the languages offered." in page
    assert "Enter a whole number from 5 to 1000." in page
    assert 'role="alert"' in page and 'aria-invalid="true"' in page


def test_the_threshold_can_only_be_raised_once_fieldwork_has_started(make, sign_in):
    city = make.city("milan", districts=2)
    campaign = make.campaign("milan-residents", city=city)
    manager = sign_in("manager", city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    lowered = manager.post(f"{page_path}threshold", {"threshold": "6"}, form_page=page_path)
    assert lowered.status_code == 400 and "can only be raised" in lowered.get_data(as_text=True)
    assert manager.post(f"{page_path}threshold", {"threshold": "15"}, form_page=page_path).status_code == 302
    db.session.expire_all()
    assert campaign.disclosure_threshold == 15
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.details) == ("campaign.threshold", {"old": 10, "new": 15})


def test_invitations_are_shown_once_on_the_public_base_url(app, make, sign_in):
    city = make.city("brussels", districts=2)
    officers = make.version(minimal_questionnaire(key="officer-survey", audience="officer"))
    campaign = make.campaign("brussels-officers", city=city, version=officers, access_mode="invitation")
    manager = sign_in("manager", city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    app.config["PUBLIC_BASE_URL"] = "https://survey.example.eu"
    try:
        response = manager.post(f"{page_path}invitations", {"count": "3", "output": "csv"}, form_page=page_path)
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    assert response.headers["Cache-Control"] == "no-store"
    links = [row["link"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]
    assert len(links) == 3 and all(link.startswith("https://survey.example.eu/i/") for link in links)
    stored = set(db.session.scalars(select(Invitation.token_hash)))
    assert {hash_token(link.rsplit("/", 1)[1]) for link in links} == stored  # the links hold the only tokens
    cards = manager.post(f"{page_path}invitations", {"count": "2", "output": "cards"}, form_page=page_path)
    assert cards.status_code == 200 and cards.get_data(as_text=True).count("<svg") >= 2
    # in development, without a public base URL: the server's own address (tests/test_links.py: never the Host
    # header, whatever it says)
    assert "http://localhost/i/" in cards.get_data(as_text=True)
    assert actions() == ["invitations.create", "invitations.create"]


def test_posters_point_to_the_public_base_url(app, make, sign_in):
    city = make.city("lisbon", districts=2)
    campaign = make.campaign("lisbon-residents", city=city)
    viewer = sign_in("viewer", city)
    app.config["PUBLIC_BASE_URL"] = "https://inquerito.example.pt"
    try:
        poster = viewer.get(f"/en/staff/campaigns/{campaign.slug}/poster?language=fr")
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert poster.status_code == 200 and poster.mimetype == "image/svg+xml"
    text = poster.get_data(as_text=True)
    assert "https://inquerito.example.pt/fr/s/lisbon-residents/" in text


def test_cards_and_posters_follow_the_port_the_server_runs_on(make, sign_in):
    """Served on port 8123 without a public base URL: every printed link says 8123, never 5000."""
    officers = make.campaign("nantes-officers", access_mode="invitation")
    residents = make.campaign("nantes-residents", city=officers.city, version=officers.version_now)
    manager = sign_in("manager", officers.city)
    served = "http://localhost:8123"
    page_path = f"{served}/en/staff/campaigns/{officers.slug}/"
    printed = [manager.post(f"{page_path}invitations", {"count": "1", "output": output}, form_page=page_path)
               for output in ("csv", "cards")]
    printed.append(manager.get(f"{served}/en/staff/campaigns/{residents.slug}/poster?language=fr"))
    texts = [response.get_data(as_text=True) for response in printed]
    assert f"{served}/i/" in texts[0] and f"{served}/i/" in texts[1]
    assert f"{served}/fr/s/nantes-residents/" in texts[2]
    assert not any(":5000" in text for text in texts)


def test_campaign_words_are_saved_per_language(make, sign_in):
    city = make.city("aubervilliers", districts=2)
    campaign = make.campaign("aubervilliers-residents", city=city)
    manager = sign_in("manager", city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    saved = manager.post(f"{page_path}texts", {"forces_en": "the municipal police", "forces_fr": "la police municipale",
                                               "organiser_en": "the City", "organiser_fr": "la Ville"},
                         form_page=page_path)
    assert saved.status_code == 302
    db.session.expire_all()
    assert campaign.forces == {"en": "the municipal police", "fr": "la police municipale"}
    too_long = manager.post(f"{page_path}texts", {"forces_en": "x" * 400}, form_page=page_path)
    assert too_long.status_code == 400 and 'value="' + "x" * 400 + '"' in too_long.get_data(as_text=True)


def test_only_an_admin_lets_free_texts_into_microdata(make, sign_in):
    city = make.city("barcelona", districts=2)
    campaign = make.campaign("barcelona-residents", city=city)
    page_path = f"/en/staff/campaigns/{campaign.slug}/"
    assert sign_in("manager", city).post(f"{page_path}free-text", {"allowed": "y"}).status_code == 403
    admin = sign_in("admin")
    assert "Free texts in microdata" in admin.get(page_path).get_data(as_text=True)
    assert admin.post(f"{page_path}free-text", {"allowed": "y"}, form_page=page_path).status_code == 302
    db.session.expire_all()
    assert campaign.microdata_free_text is True
    assert re.search(r"campaign\.free_text", " ".join(actions()))
