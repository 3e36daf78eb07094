"""No 500 from any input: hostile answers, JSON and URLs through the real handlers, on the API and the form."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from flask_login.utils import _create_identifier
from sqlalchemy import func, select
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from imppulse_survey.accounts.services import create_user, load_session_user
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Response, TextAnswer

from .factories import minimal_questionnaire, valid_answers
from .responses.helpers import Respondent

#: answers that once reached int() or float() unchecked: superscripts, doubled signs, other scripts' digits,
#: underscores, exponents, nan and inf, and texts longer than int() converts (4,300 digits)
HOSTILE_NUMBERS = ["²", "--1", "+-1", "1" * 5000, "-" + "1" * 5000, "١", "١٢", "1_0", "1e999", "nan", "inf", "-inf",
                   "0x1", "1 2", "7.5.1"]
SCALE_MESSAGE = "Choose a number from 0 to 10."
NUMBER_MESSAGES = {"Enter a number.", "Enter a number from 0 to 100."}


@pytest.fixture
def campaign(make):
    return make.campaign(version=make.version(minimal_questionnaire()))


def submit_json(client, slug: str, text: str | bytes):
    return client.post(f"/api/v1/campaigns/{slug}/responses", data=text, content_type="application/json")


def submission(**answers) -> dict:
    return {"submission_id": str(uuid.uuid4()), "language": "en", "answers": valid_answers(**answers)}


def raw_submission(answers_json: str, extra: str = "") -> str:
    """A submission as JSON text, its answers and any extra members written as raw JSON (escapes as written)."""
    envelope = json.dumps({"submission_id": str(uuid.uuid4()), "language": "en", "answers": "ANSWERS"})
    return envelope.replace('"ANSWERS"', answers_json).removesuffix("}") + extra + "}"


def answers_with(key: str, escaped_value: str) -> str:
    """The valid answers as JSON text, with one more answer written as raw JSON (escapes kept as written)."""
    answers = valid_answers()
    answers.pop(key, None)
    return json.dumps(answers)[:-1] + f', "{key}": "{escaped_value}"}}'


def stored_responses() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


# 1. numbers


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_hostile_numbers_on_the_api_are_answer_problems(client, campaign, value):
    scale = client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json=submission(trust=value))
    assert scale.status_code == 422 and scale.get_json()["problems"] == {"trust": [SCALE_MESSAGE]}
    years = client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json=submission(years=value))
    assert years.status_code == 422 and set(years.get_json()["problems"]["years"]) <= NUMBER_MESSAGES
    assert stored_responses() == 0


@pytest.mark.parametrize("value", [10**400, -(10**400), 1e308, 2**53 + 1])
def test_json_numbers_of_any_size_are_answer_problems(client, campaign, value):
    for key in ("trust", "years", "contact", "district", "topics"):
        response = client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json=submission(**{key: value}))
        assert response.status_code == 422 and list(response.get_json()["problems"]) == [key]


def test_ordinary_numbers_are_still_accepted(client, campaign):
    answers = {"trust": " 7 ", "years": "12,0", "contact": "1", "topics": ["1", 2.0]}
    response = client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json=submission(**answers))
    assert response.status_code == 201


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_hostile_numbers_on_the_form_are_shown_as_problems(client, campaign, value):
    respondent = Respondent(client, campaign.slug, "en")
    respondent.start()
    response = respondent.answer(contact="1", trust=value, confidence="4", fair_respect="5", fair_explain="5")
    assert response.status_code == 200
    assert respondent.heading() == "First (en)" and SCALE_MESSAGE in respondent.page


def test_hostile_numbers_on_the_last_page_of_the_form(client, campaign):
    respondent = Respondent(client, campaign.slug, "en")
    respondent.start()
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="5")
    response = respondent.answer(years="1" * 5000, district="²", topics=["--1", "1e999"], action="next")
    assert response.status_code == 200 and respondent.heading() == "About you (en)"
    assert "Enter a number." in respondent.page
    assert stored_responses() == 0


# 2. JSON: depth, lone surrogates, NUL


@pytest.mark.parametrize("text", [
    "[" * 100_000,
    '{"a":' * 100_000,
    raw_submission("[" * 50_000 + "]" * 50_000),
    raw_submission('{"years": ' + "1" * 5000 + "}"),
], ids=["arrays", "objects", "in-answers", "5000-digit-number"])
def test_json_nested_too_deeply_or_too_long_is_a_400(client, campaign, text):
    response = submit_json(client, campaign.slug, text)
    assert response.status_code == 400
    assert response.get_json() == {"status": 400, "message": "the body must be a JSON object"}


@pytest.mark.parametrize("text", [
    raw_submission(answers_with("nickname", "\\ud800")),
    raw_submission(answers_with("comment", "ok \\udfff ok")),
    raw_submission(answers_with("nickname", "\\uDBFF")),
    raw_submission(answers_with("nickname", "a\\u0000b")),
    raw_submission(answers_with("\\ud800", "1")),
    raw_submission(answers_with("trust", "\\ud800")),
    raw_submission(json.dumps(valid_answers()), extra=', "token": "\\ud800"'),
    raw_submission(json.dumps(valid_answers()), extra=', "\\ud800": 1'),
], ids=["text", "long-text", "upper-case-escape", "nul", "answer-key", "coded-answer", "token", "body-key"])
def test_json_strings_a_database_cannot_store_are_a_400(client, campaign, text):
    response = submit_json(client, campaign.slug, text)
    assert response.status_code == 400 and response.get_json()["message"] == "the body must be a JSON object"
    assert stored_responses() == 0


def test_raw_utf8_bytes_of_a_surrogate_are_a_400(client, campaign):
    text = raw_submission(answers_with("nickname", "SURROGATE")).encode().replace(b"SURROGATE", b"\xed\xa0\x80")
    assert submit_json(client, campaign.slug, text).status_code == 400


def test_surrogate_pairs_and_escaped_text_are_still_accepted(client, campaign):
    text = raw_submission(answers_with("nickname", "\\ud83d\\ude00 \\u00e9t\\u00E9"))
    response = submit_json(client, campaign.slug, text)
    assert response.status_code == 201
    assert db.session.scalar(select(TextAnswer.text).filter_by(item_key="nickname")) == "😀 été"


# 3. NUL in the path, the query string and form fields


@pytest.mark.parametrize("method, path", [
    ("GET", "/fr/s/a%00b/"),
    ("GET", "/s/a%00b/"),
    ("GET", "/fr/s/a%00b/thanks"),
    ("POST", "/fr/s/a%00b/"),  # no CSRF token: the guard answers before the CSRF error page reads the slug
    ("GET", "/api/v1/campaigns/a%00b/questionnaire"),
    ("POST", "/api/v1/campaigns/a%00b/responses"),
    ("GET", "/api/v1/campaigns/a%00/releases"),
    ("GET", "/api/v1/mirror?residents=a%00&resident_wave=%ff&officers=x&officer_wave=y"),
    ("GET", "/%00/"),
    ("GET", "/api/v1/campaigns/survey/questionnaire?lang=%00"),
    ("GET", "/fr/?q%00=1"),
    ("GET", "/en/staff/login?next=/%00"),
])
def test_nul_in_a_path_or_query_is_a_400(client, campaign, method, path):
    response = client.open(path, method=method, json={} if "/api/" in path and method == "POST" else None)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.get_json() == {"status": 400, "message": "Bad request"}


@pytest.mark.parametrize("field", [("nickname", "a\x00b"), ("trust", "\x00"), ("_page", "first\x00"), ("x\x00", "1")])
def test_nul_in_a_form_field_is_a_400(client, campaign, field):
    respondent = Respondent(client, campaign.slug, "en")
    respondent.start()
    response = respondent.answer(contact="1", **{field[0]: field[1]})
    assert response.status_code == 400
    assert stored_responses() == 0


def test_nul_in_the_login_form_is_a_400(client):
    page = client.get("/en/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', page).group(1)
    response = client.post("/en/staff/login", data={"csrf_token": token, "email": "a\x00@b.eu", "password": "x"})
    assert response.status_code == 400


def test_an_encoded_surrogate_in_the_path_is_no_500(client, campaign):
    # werkzeug decodes %ED%A0%80 with replacement characters: an ordinary unknown campaign
    assert client.get("/fr/s/a%ED%A0%80b/").status_code == 404
    assert client.get("/api/v1/campaigns/a%ED%A0%80b/questionnaire").status_code == 404


# 5. HTTP errors keep werkzeug's headers


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/api/v1/campaigns/survey/questionnaire", {"GET", "HEAD", "OPTIONS"}),
    ("DELETE", "/api/v1/campaigns/survey/responses", {"POST", "OPTIONS"}),
    ("TRACE", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ("PATCH", "/fr/s/survey/", {"GET", "HEAD", "OPTIONS", "POST"}),
])
def test_a_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {method.strip() for method in response.headers["Allow"].split(",")} == allowed
    assert response.headers["Content-Type"] == ("application/json" if "/api/" in path else "text/html; charset=utf-8")


def test_an_http_error_keeps_its_authentication_challenge(app, app_context):
    error = Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "api"}))
    with app.test_request_context("/api/v1/campaigns/survey/indicators"):
        response = app.handle_user_exception(error)
    assert response.status_code == 401 and response.get_json() == {"status": 401, "message": "Login needed"}
    assert response.headers["WWW-Authenticate"] == "Bearer realm=api"
    assert response.headers["Content-Type"] == "application/json"


# the session's user id: "<id>:<version>", parsed strictly


@pytest.mark.parametrize("session_id", ["²:1", "1:²", "--1:1", "-1:1", "١:1", "1_0:1", "1:1:1", " 1:1", "1:1\n",
                                        "1" * 5000 + ":1", "1:" + "1" * 5000, "9999999999:1", ":", "", None, 1])
def test_a_malformed_session_id_is_no_user(app_context, session_id):
    create_user("kim@city.eu", "a long enough password", "admin", None)
    assert load_session_user(session_id) is None


def test_a_malformed_session_cookie_is_a_login_page(app, client):
    user = create_user("kim@city.eu", "a long enough password", "admin", None)
    db.session.commit()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    for session_id in ("²:1", "1" * 5000 + ":1", "9999999999:1", f"{user.id}:{user.session_version}"):
        with client.session_transaction() as session:
            session.update({"_user_id": session_id, "_id": identifier, "_fresh": True})
        response = client.get("/en/staff/")
        assert response.status_code == (200 if session_id.startswith(f"{user.id}:") else 302)
