"""The JSON API: the questionnaire for a client, submissions with every status, and the OpenAPI document."""

from __future__ import annotations

import threading
import uuid

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from imppulse_survey.campaigns.services import close_wave, create_invitations
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Response, SealedResponse

from ..factories import minimal_questionnaire, text, valid_answers


def count():
    return db.session.scalar(select(func.count()).select_from(Response))


@pytest.fixture
def campaign(make):
    return make.campaign(version=make.version(minimal_questionnaire()), pilot_label=text("the walks"))


def body(**overrides):
    data = {"submission_id": str(uuid.uuid4()), "language": "fr", "answers": valid_answers()}
    data.update(overrides)
    return data


def post(client, slug, data):
    return client.post(f"/api/v1/campaigns/{slug}/responses", json=data)


def test_the_questionnaire_in_one_language(client, campaign):
    response = client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire?lang=fr")
    assert response.status_code == 200
    data = response.get_json()
    assert data["title"] == "Title (fr)" and data["language"] == "fr" and data["languages"] == ["en", "fr"]
    assert [page["key"] for page in data["pages"]] == ["first", "second", "about"]
    assert data["pages"][1]["show_if"] == {"item": "contact", "equals": 1}
    trust = data["pages"][0]["items"][1]
    assert trust["missing"] == [{"key": "dont_know", "code": 98, "label": "Don't know (fr)"}]
    assert trust["anchors"] == {"low": "None (fr)", "high": "Complete (fr)"}
    grid = data["pages"][0]["items"][3]
    assert [row["key"] for row in grid["rows"]] == ["fair_respect", "fair_explain"]
    assert data["pages"][2]["items"][-1]["text"] == "Heard of the walks (fr)? (fr)"
    assert [d["code"] for d in data["districts"]] == [1, 2, 3]


@pytest.mark.parametrize("query, status", [("lang=de", 400), ("lang=it", 400), ("colour=red", 400), ("", 200)])
def test_questionnaire_parameters(client, campaign, query, status):
    response = client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire?{query}")
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["problems"]


def test_questionnaire_of_unknown_or_closed_campaigns(client, campaign):
    assert client.get("/api/v1/campaigns/ghost/questionnaire").status_code == 404
    close_wave(campaign)
    db.session.commit()
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire").status_code == 410


def test_201_then_200_with_the_same_id(client, campaign):
    data = body()
    first = post(client, campaign.slug, data)
    assert first.status_code == 201 and first.get_json()["created"] is True
    again = post(client, campaign.slug, data)
    assert again.status_code == 200
    assert again.get_json() == {"response_id": first.get_json()["response_id"], "created": False, "sealed": False}
    assert count() == 1
    assert db.session.scalar(select(Response.channel)) == "api"


@pytest.mark.parametrize("payload, problem_keys", [
    ({"language": "fr", "answers": {}}, {"submission_id"}),
    ({"submission_id": "nope", "language": "fr", "answers": {}}, {"submission_id"}),
    ({"submission_id": str(uuid.uuid4()), "language": "xx", "answers": {}}, {"language"}),
    ({"submission_id": str(uuid.uuid4()), "language": "fr", "answers": []}, {"answers"}),
    ({"submission_id": str(uuid.uuid4()), "language": "fr", "answers": {}, "ip": "1.2.3.4"}, {"ip"}),
])
def test_400_lists_each_problem(client, campaign, payload, problem_keys):
    response = post(client, campaign.slug, payload)
    assert response.status_code == 400
    assert set(response.get_json()["problems"]) == problem_keys


def test_400_for_a_body_that_is_not_json(client, campaign):
    response = client.post(f"/api/v1/campaigns/{campaign.slug}/responses", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400 and response.get_json()["message"] == "the body must be a JSON object"


def test_404_for_an_unknown_campaign(client):
    assert post(client, "ghost", body()).status_code == 404


def test_410_for_a_closed_campaign(client, campaign):
    close_wave(campaign)
    db.session.commit()
    assert post(client, campaign.slug, body()).status_code == 410


def test_422_lists_every_problem_by_item_in_the_respondents_language(client, campaign):
    response = post(client, campaign.slug, body(answers=valid_answers(trust=11, district=None, topics=[1, 3])))
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert set(problems) == {"trust", "district", "topics"}
    english = post(client, campaign.slug, body(language="en", answers=valid_answers(trust=11)))
    assert english.get_json()["problems"]["trust"] == ["Choose a number from 0 to 10."]
    assert problems["trust"] != english.get_json()["problems"]["trust"]  # in French
    assert count() == 0


def test_conditional_rules_apply_to_the_api(client, campaign):
    response = post(client, campaign.slug, body(answers=valid_answers(contact=1, satisfaction=None)))
    assert response.status_code == 422 and set(response.get_json()["problems"]) == {"satisfaction"}
    response = post(client, campaign.slug, body(answers=valid_answers(contact=2, satisfaction=5)))
    assert response.status_code == 201
    assert "satisfaction" not in {a.item_key for a in db.session.get(Response, response.get_json()["response_id"]).answers}


def test_409_for_a_submission_id_of_another_campaign(client, make, campaign):
    other = make.campaign("other", city=campaign.city, version=campaign.questionnaire_version)
    data = body()
    post(client, campaign.slug, data)
    response = post(client, other.slug, data)
    assert response.status_code == 409


def officer_campaign(make):
    return make.campaign("officers", version=make.version(minimal_questionnaire(audience="officer")),
                         access_mode="invitation")


def test_invitation_campaigns_take_a_token_once(client, make):
    campaign = officer_campaign(make)
    token, = create_invitations(campaign, 1)
    db.session.commit()
    assert post(client, campaign.slug, body()).status_code == 409  # no token
    assert post(client, campaign.slug, body(token="z" * 43)).status_code == 409
    accepted = post(client, campaign.slug, body(token=token))
    assert accepted.status_code == 202 and "response_id" not in accepted.get_json()  # sealed: no receipt
    assert post(client, campaign.slug, body(token=token)).status_code == 409


def test_20_parallel_submissions_with_one_token_store_one(app, make):
    campaign = officer_campaign(make)
    token, = create_invitations(campaign, 1)
    slug = campaign.slug
    db.session.commit()
    barrier, statuses = threading.Barrier(20), []

    def attempt():
        client = app.test_client()
        barrier.wait()
        statuses.append(post(client, slug, body(token=token)).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202] + [409] * 19
    assert db.session.scalar(select(func.count()).select_from(SealedResponse)) == 1


def test_5_parallel_repeats_of_one_submission_give_the_same_answer(app, campaign):
    slug, data = campaign.slug, body()
    db.session.commit()
    barrier, results = threading.Barrier(5), []

    def attempt():
        client = app.test_client()
        barrier.wait()
        response = post(client, slug, data)
        results.append((response.status_code, response.get_json()["response_id"]))

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200, 200, 200, 200, 201]
    assert len({response_id for _, response_id in results}) == 1
    assert count() == 1


def test_the_openapi_document_is_valid_and_built_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert set(spec["components"]["schemas"]) >= {"Submission", "Submitted", "Questionnaire", "Error"}
    submission = spec["components"]["schemas"]["Submission"]
    assert set(submission["required"]) == {"submission_id", "language", "answers"}
    post_responses = spec["paths"]["/api/v1/campaigns/{slug}/responses"]["post"]["responses"]
    assert set(post_responses) == {"200", "201", "202", "400", "404", "409", "410", "422", "429", "503"}


def test_the_docs_page_uses_local_assets_only(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/campaigns/{slug}/responses" in page and "Submission" in page
    assert "https://" not in page.replace("https://efus.eu", "") and "http://" not in page


def test_script_payloads_are_inert_in_the_api(client, make):
    payload = '<script>alert("x")</script>'
    definition = minimal_questionnaire()
    definition["title"] = {"en": payload, "fr": payload}
    campaign = make.campaign(version=make.version(definition))
    response = client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire?lang=fr")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
