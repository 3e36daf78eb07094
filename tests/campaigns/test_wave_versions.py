"""Versions belong to waves: a follow-up wave moves to version 2 inside its campaign, the baseline keeps version 1,
and figures compare across versions only where each item means the same in every language the campaign offers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import CampaignError, add_wave, open_wave, set_wave_version
from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.comparability import indicator_break, item_languages
from imppulse_survey.responses.models import Response
from imppulse_survey.responses.services import submit

from ..factories import LANGUAGES, minimal_questionnaire, submission_id, text, valid_answers
from ..indicators.test_disclosure import SIZES, fill, residents_questionnaire


def second_version(first: dict, comparable: dict) -> dict:
    """The same questionnaire with the confidence item reworded, recording what compares with version 1."""
    definition = dict(first, title=text("Title, version 2"), version=2,
                      comparable_with={"version": 1, "items": comparable})
    definition["pages"][0]["items"][2] = dict(definition["pages"][0]["items"][2], text=text("Confidence, asked anew"))
    return definition


EVERYTHING_BUT_FRENCH_CONFIDENCE = {"trust": "all", "contact": "all", "confidence": ["en"], "police_contact": "all"}


@pytest.fixture
def versions(make):
    first = residents_questionnaire()
    one = make.version(first)
    two = make.version(second_version(first, EVERYTHING_BUT_FRENCH_CONFIDENCE))
    db.session.commit()
    return one, two


def test_a_follow_up_wave_answers_version_2_and_the_baseline_keeps_version_1(make, client, versions):
    one, two = versions
    campaign = make.campaign("nantes-residents", version=one)
    baseline = campaign.waves[0]
    assert client.get(f"/en/s/{campaign.slug}/").get_data(as_text=True).count("Title, version 2") == 0
    follow_up = open_wave(campaign, "follow-up", version=two)
    db.session.commit()
    assert (baseline.questionnaire_version, follow_up.questionnaire_version) == (one, two)
    assert "Title, version 2" in client.get(f"/en/s/{campaign.slug}/").get_data(as_text=True)
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire").get_json()["version"] == 2
    submit(campaign.slug, valid_answers(), language="en", submission_id=submission_id(), channel="web")
    db.session.commit()
    assert db.session.scalar(select(Response.questionnaire_version_id)) == two.id
    # a wave added later follows the wave before it
    assert add_wave(campaign, "follow-up-2").questionnaire_version == two


def test_a_wave_keeps_the_version_it_started_with_and_its_questionnaire(make, versions):
    one, two = versions
    campaign = make.campaign("nantes-residents", version=one)
    with pytest.raises(CampaignError, match="has started"):
        set_wave_version(campaign.waves[0], two)
    officers = make.version(minimal_questionnaire(key="officer-survey", audience="officer"))
    with pytest.raises(CampaignError, match="cannot move to officer-survey"):
        add_wave(campaign, "follow-up", version=officers)
    scheduled = add_wave(campaign, "follow-up")
    set_wave_version(scheduled, two)
    assert scheduled.questionnaire_version == two


def test_items_compare_per_language_along_the_chain_of_versions(make, versions):
    one, two = versions
    assert item_languages(one, two, "trust") == set(LANGUAGES)
    assert item_languages(one, two, "confidence") == {"en"}
    assert item_languages(two, one, "confidence") == {"en"}  # either order
    assert item_languages(one, two, "fair_respect") == set()  # not recorded: a break, to be safe
    assert indicator_break("confidence", one, two, ["en", "fr"]) == ["fr"]
    assert indicator_break("confidence", one, two, ["en"]) == []
    assert indicator_break("trust", one, two, ["en", "fr"]) == []
    # the satisfaction indicator's base (contact) compares, but its own item was not recorded
    assert indicator_break("satisfaction", one, one, ["fr"]) == []
    assert indicator_break("satisfaction", one, two, ["en", "fr"]) == ["en", "fr"]
    # a third version following the second: comparing the first with it needs both steps
    third = second_version(residents_questionnaire(), {"trust": ["fr"], "confidence": "all"})
    third.update(version=3, comparable_with={"version": 2, "items": {"trust": ["fr"], "confidence": "all"}},
                 title=text("Title, version 3"))
    three = make.version(third)
    assert item_languages(one, three, "trust") == {"fr"} and item_languages(one, three, "confidence") == {"en"}
    # an indicator defined differently is a break in every language, whatever its items
    changed = residents_questionnaire()
    changed["indicators"][1]["codes"] = [5]
    changed.update(version=4, comparable_with={"version": 3, "items": {"confidence": "all"}})
    four = make.version(changed)
    assert indicator_break("confidence", three, four, ["en"]) == ["en"]


@pytest.fixture
def auth():
    token = issue_token(create_user("efus@efus.eu", "a long enough password", "admin", None))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_change_across_a_series_break_is_not_computed_and_the_break_is_shown(client, make, versions, auth):
    one, two = versions
    campaign = make.campaign("nantes-residents", city=make.city("nantes", districts=4), version=one)
    follow_up = open_wave(campaign, "follow-up", version=two)
    db.session.commit()
    fill(campaign, [campaign.waves[0].id, follow_up.id], SIZES)
    make.release(campaign, campaign.waves[0])
    make.release(campaign, follow_up)
    url = "/api/v1/campaigns/nantes-residents/indicators/{}/change?from=baseline&to=follow-up"
    confidence = client.get(url.format("confidence"), headers=auth).get_json()
    assert confidence["status"] == "series_break" and confidence["series_break_languages"] == ["fr"]
    assert "difference" not in confidence
    assert confidence["from"]["status"] == confidence["to"]["status"] == "estimate"  # each wave's own figure stands
    assert client.get(url.format("trust"), headers=auth).get_json()["status"] == "estimate"
    tables = {table["id"]: table for table in
              client.get("/api/v1/campaigns/nantes-residents/indicators", headers=auth).get_json()["indicators"]}
    assert tables["confidence"]["breaks"] == [{"from": "baseline", "to": "follow-up", "languages": ["fr"]}]
    assert tables["trust"]["breaks"] == []


def test_a_version_cannot_claim_to_compare_with_what_was_never_asked(make):
    first = residents_questionnaire()
    make.version(first)
    unknown_item = second_version(first, {"trust": "all"})
    unknown_item["pages"][0]["items"].append({"key": "new_item", "type": "likert", "scale": "agree5",
                                              "text": text("New")})
    unknown_item["comparable_with"]["items"]["new_item"] = "all"
    with pytest.raises(ValueError, match="new_item, which version 1 does not ask"):
        make.version(unknown_item)
    unpublished = second_version(first, {"trust": "all"})
    unpublished.update(version=5, comparable_with={"version": 4, "items": {"trust": "all"}})
    with pytest.raises(ValueError, match="version 4, which is not published"):
        make.version(unpublished)


def test_a_pooled_period_cannot_mix_versions(make, versions):
    from imppulse_survey.releases.declarations import DeclarationRefused, declare_pooling

    one, two = versions
    campaign = make.campaign("nantes-residents", version=one)
    follow_up = open_wave(campaign, "follow-up", version=two)
    with pytest.raises(DeclarationRefused, match="different versions of the questionnaire"):
        declare_pooling(campaign, "year-1", [campaign.waves[0], follow_up])
    same = add_wave(campaign, "follow-up-2")  # follows version 2
    assert declare_pooling(campaign, "year-2", [follow_up, same])[0].label == "year-2"
