"""Demo data: the eight partner cities, three waves per campaign, a pilot each, varied answers, and idempotence."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from imppulse_survey.campaigns.models import Campaign, City, District, Invitation, Wave
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Answer, Response, SealedResponse

from .conftest import empty_all_tables

PARTNERS = {"nantes", "amiens", "toulouse", "aubervilliers", "milan", "barcelona", "brussels-ixelles", "lisbon"}


@pytest.fixture(scope="module")
def demo(app):
    """The full demo, loaded once for this module (it is what `make run` loads)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["imppulse", "demo"])
        assert result.exit_code == 0, result.output
        yield result
        empty_all_tables()


@pytest.fixture
def runner(app, demo):
    return app.test_cli_runner()


def test_the_demo_loads_every_partner_city_with_real_districts(demo):
    cities = {city.slug: city for city in db.session.scalars(select(City))}
    assert set(cities) == PARTNERS
    counts = dict(db.session.execute(select(City.slug, func.count(District.id)).join(District).group_by(City.slug)).all())
    assert counts["barcelona"] == 10 and counts["milan"] == 9 and counts["lisbon"] == 24 and counts["nantes"] == 11
    barcelona = {d.name for d in cities["barcelona"].districts}
    assert {"Ciutat Vella", "Eixample", "Gràcia", "Sant Martí"} <= barcelona


def test_each_city_has_a_resident_and_an_officer_campaign_with_three_waves(demo):
    slugs = set(db.session.scalars(select(Campaign.slug)))
    assert slugs == {f"{city}-{kind}" for city in PARTNERS for kind in ("residents", "officers")}
    per_wave = db.session.execute(
        select(Campaign.audience, Wave.label, func.count(Response.id))
        .join(Wave, Wave.campaign_id == Campaign.id)
        .join(Response, Response.wave_id == Wave.id)
        .group_by(Campaign.slug, Campaign.audience, Wave.label)
    ).all()
    # officers' third waves are open: their answers stay sealed until released
    assert len(per_wave) == 8 * 3 + 8 * 2
    for audience, label, responses in per_wave:
        assert label in (("baseline", "follow-up", "third") if audience == "resident" else ("baseline", "follow-up"))
        if label == "third":
            assert 40 <= responses < 300  # a few days of fieldwork
        else:
            assert responses >= (300 if audience == "resident" else 60)
    sealed = dict(db.session.execute(select(Wave.label, func.count(SealedResponse.id))
                                     .join(SealedResponse, SealedResponse.wave_id == Wave.id).group_by(Wave.label)).all())
    assert sealed == {"third": 8 * 10}
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0  # each was used, and deleted
    officer_waves = db.session.scalars(select(Wave).join(Campaign).where(Campaign.audience == "officer")).all()
    assert {(wave.label, wave.released_dt is not None) for wave in officer_waves} == {
        ("baseline", True), ("follow-up", True), ("third", False)}


def test_the_demo_publishes_the_two_closed_waves_and_declares_a_pilot_per_city(demo):
    from imppulse_survey.pilots.evaluation import evaluate
    from imppulse_survey.pilots.models import Pilot
    from imppulse_survey.results.models import Publication

    published = db.session.execute(select(Campaign.audience, Wave.label).join(Wave, Wave.campaign_id == Campaign.id)
                                   .join(Publication, Publication.wave_id == Wave.id)).all()
    assert sorted(published) == sorted((audience, label) for audience in ("officer", "resident")
                                       for label in ("baseline", "follow-up") for _ in PARTNERS)
    pilots = db.session.scalars(select(Pilot)).all()
    assert {pilot.city.slug for pilot in pilots} == PARTNERS
    for pilot in pilots:
        assert not pilot.declared_after_baseline and pilot.actions and pilot.budget_lines
        evaluation = evaluate(pilot, "en")
        primary = evaluation["residents"][0]
        assert primary["primary"] and primary["status"] == "estimate", (pilot.slug, primary)
        assert evaluation["officers"] and evaluation["mirror"] and evaluation["residents_view"]


def test_officers_are_offered_every_language_of_their_city_that_their_questionnaire_has(demo):
    campaigns = {campaign.slug: campaign for campaign in db.session.scalars(select(Campaign))}
    for city in PARTNERS:
        officers, residents = campaigns[f"{city}-officers"], campaigns[f"{city}-residents"]
        offered = officers.questionnaire_version.definition["languages"]
        assert officers.languages == [language for language in residents.languages if language in offered]
    assert "nl" in campaigns["brussels-ixelles-officers"].languages
    assert "es" in campaigns["barcelona-officers"].languages  # a Spanish browser no longer gets Catalan


def test_residents_of_four_cities_are_offered_arabic_and_turkish_not_yet_reviewed(demo, app):
    """Large Arabic- and Turkish-speaking communities (issue 13): their packs are not reviewed, which the demo allows
    and says on every page."""
    campaigns = {campaign.slug: campaign for campaign in db.session.scalars(select(Campaign))}
    with_both = {"aubervilliers", "brussels-ixelles", "milan", "barcelona"}
    for city in PARTNERS:
        residents, officers = campaigns[f"{city}-residents"], campaigns[f"{city}-officers"]
        assert ({"ar", "tr"} <= set(residents.languages)) == (city in with_both), city
        assert not {"ar", "tr"} & set(officers.languages)
    barcelona = campaigns["barcelona-residents"]
    assert barcelona.forces["ar"] and barcelona.organiser["tr"] and barcelona.pilot_label["ar"]
    client = app.test_client()
    page = client.get("/ar/s/milan-residents/").get_data(as_text=True)
    assert 'dir="rtl"' in page and "لم تُراجَع." in page and "بلدية ميلانو" in page
    assert "Milano Belediyesi" in client.get("/tr/s/milan-residents/").get_data(as_text=True)


def test_the_demo_keeps_the_open_officer_waves_private_keys_for_a_newcomer(demo, app, runner):
    keys = app.instance_path + "/demo-keys"
    import os

    assert sorted(os.listdir(keys)) == sorted(f"{city}-officers-third.key" for city in PARTNERS)
    assert all(oct(os.stat(f"{keys}/{name}").st_mode)[-3:] == "600" for name in os.listdir(keys))


def test_the_demo_is_idempotent(demo, runner):
    before = {model: db.session.scalar(select(func.count()).select_from(model)) for model in (City, Campaign, Response, Answer)}
    again = runner.invoke(args=["imppulse", "demo"])
    assert again.exit_code == 0
    assert "0 new responses" in again.output
    after = {model: db.session.scalar(select(func.count()).select_from(model)) for model in (City, Campaign, Response, Answer)}
    assert after == before


def test_simulated_answers_vary_plausibly(demo):
    """Checked with pandas on the stored answers: spread within cities, differences between them and over time."""
    rows = db.session.execute(
        select(City.slug, Wave.position, Answer.value)
        .join(Response, Answer.response_id == Response.id)
        .join(Wave, Response.wave_id == Wave.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(City, Campaign.city_id == City.id)
        .where(Answer.item_key == "trust_police", Answer.value.is_not(None))
    ).all()
    frame = pd.DataFrame(rows, columns=["city", "wave", "value"])
    assert frame["value"].between(0, 10).all()
    assert frame["value"].nunique() == 11  # every point of the scale is used
    means = frame.groupby("city")["value"].mean()
    assert means.max() - means.min() > 0.3
    assert frame.groupby("city")["value"].std().min() > 1.0
    by_wave = frame.groupby("wave")["value"].mean()
    assert by_wave[2] > by_wave[1]  # the pilots help a little
    dont_know = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.missing == "dont_know"))
    assert dont_know > 0


def test_demo_responses_respect_the_questionnaire_logic(demo):
    # contact satisfaction only from those who had contact
    contact = aliased(Answer)
    leaked = db.session.scalar(
        select(func.count()).select_from(Answer)
        .join(contact, (contact.response_id == Answer.response_id) & (contact.item_key == "police_contact"))
        .where(Answer.item_key == "contact_satisfied", contact.value == 2)
    )
    assert leaked == 0
    with_district = db.session.scalar(
        select(func.count()).select_from(Response).join(Campaign).where(Campaign.audience == "resident",
                                                                           Response.district_id.is_not(None))
    )
    assert with_district >= 8 * 2 * 300


def test_the_demo_gives_one_login_per_role_in_a_file_only_its_owner_reads(demo, app, runner):
    import os
    import re

    from imppulse_survey.accounts.services import authenticate
    from imppulse_survey.demo.logins import ACCOUNTS, logins_path

    path = logins_path()
    assert oct(os.stat(path).st_mode)[-3:] == "600"
    written = dict(re.findall(r"^\w+\s+(\S+@\S+)\s+(\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert set(written) == {email for _, email in ACCOUNTS}
    for role, email in ACCOUNTS:
        user = authenticate(email, written[email])
        assert user is not None and user.role == role
        assert (user.city.slug if user.city else None) == (None if role == "admin" else "nantes")
    # kept as they are while the file is there; made again, with new passwords, once it is gone
    assert runner.invoke(args=["imppulse", "demo"]).exit_code == 0
    assert path.read_text(encoding="utf-8").count("@") == len(ACCOUNTS)
    assert all(authenticate(email, password) for email, password in written.items())
    path.unlink()
    again = runner.invoke(args=["imppulse", "demo"])
    assert again.exit_code == 0 and "demo logins written" in again.output
    renewed = dict(re.findall(r"^\w+\s+(\S+@\S+)\s+(\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert all(authenticate(email, renewed[email]) for email in renewed)
    assert not any(authenticate(email, written[email]) for email in written)


def test_the_demo_is_refused_in_production(app, tmp_path):
    from imppulse_survey import create_app
    from imppulse_survey.config import ProductionConfig

    from .conftest import TEST_SECRET_KEY

    production = create_app(ProductionConfig({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PUBLIC_BASE_URL": "https://survey.example.eu",
        "SECRET_KEY": TEST_SECRET_KEY}, instance_path=tmp_path))
    with production.app_context():
        result = production.test_cli_runner().invoke(args=["imppulse", "demo"])
    assert result.exit_code == 1 and "development" in result.output
    assert not (tmp_path / "demo-logins.txt").exists()


def test_the_public_home_page_links_every_open_campaign(demo, app):
    from imppulse_survey.campaigns.services import open_campaigns_by_city

    page = app.test_client().get("/fr/").get_data(as_text=True)
    opened = [campaign for _, campaigns in open_campaigns_by_city() for campaign in campaigns]
    assert opened
    for campaign in opened:
        language = "fr" if "fr" in campaign.languages else campaign.default_language
        assert f'href="/{language}/s/{campaign.slug}/"' in page, campaign.slug
