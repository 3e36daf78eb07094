"""Post/redirect/get: every page is a GET of its own address, the answers cross each redirect in an encrypted,
HttpOnly, path-scoped cookie, and nothing reaches the database before the last page is sent."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import func, select

from imppulse_survey.extensions import db
from imppulse_survey.responses import page_state
from imppulse_survey.responses.models import Draft, Response

from ..factories import minimal_questionnaire
from .helpers import START, Respondent, carried, without_carried

SECRET_WORDS = "Ne lisez pas ceci"


@pytest.fixture
def campaign(make):
    return make.campaign(version=make.version(minimal_questionnaire()), languages=("fr", "en"))


def rows() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Draft)))


def set_cookies(response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            cookies[f"{name} {morsel['path']}"] = morsel
    return cookies


def send(client, campaign, respondent, lang: str = "fr", **fields):
    """The page the respondent is on, sent with these fields, its redirect not followed."""
    return client.post(f"/{lang}/s/{campaign.slug}/", data=respondent.hidden(respondent.page) | fields)


def first_page(client, campaign) -> str:
    respondent = Respondent(client, campaign.slug)
    assert respondent.start().status_code == 200
    assert START.search(client.get(f"/fr/s/{campaign.slug}/").get_data(as_text=True)).group(1) == \
        f"/fr/s/{campaign.slug}/p/first"
    return f"/fr/s/{campaign.slug}/p/first"


def test_each_page_post_redirects_and_the_answers_cross_in_an_encrypted_cookie(client, campaign):
    first_page(client, campaign)
    respondent = Respondent(client, campaign.slug)
    respondent.page = client.get(f"/fr/s/{campaign.slug}/p/first").get_data(as_text=True)
    fields = respondent.hidden(respondent.page) | {"contact": "1", "trust": "7", "confidence": "4",
                                                    "fair_respect": "5", "fair_explain": "dont_know", "_action": "next"}
    sent = client.post(f"/fr/s/{campaign.slug}/", data=fields)
    assert sent.status_code == 303 and sent.headers["Location"] == f"/fr/s/{campaign.slug}/p/second"
    cookie = set_cookies(sent)[f"answers0 /fr/s/{campaign.slug}/"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) <= 12 * 3600
    assert "trust" not in cookie.value and "dont_know" not in cookie.value  # sealed, not merely encoded
    assert rows() == (0, 0)  # paging writes nothing

    shown = client.get(sent.headers["Location"])
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    page = shown.get_data(as_text=True)
    assert carried(page)["trust"] == "7"
    reloaded = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert without_carried(reloaded) == without_carried(page) and carried(reloaded) == carried(page)
    back = client.get(f"/fr/s/{campaign.slug}/p/first").get_data(as_text=True)  # the back gesture
    assert 'value="7" checked' in back and 'value="1" checked' in back


def test_a_refused_page_comes_back_with_its_problems_after_the_redirect(client, campaign):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    refused = send(client, campaign, respondent, trust="7")
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/p/first")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert 'id="error-summary"' in page and 'href="#contact"' in page and 'value="7" checked' in page
    reload = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert 'id="error-summary"' in reload  # still refused on reload, until the page is sent again


def test_sending_clears_the_cookie_in_every_language_and_the_pages_lead_back_to_the_start(client, campaign):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="dont_know")
    last = respondent.answer(district="1", comment=SECRET_WORDS)
    assert last.status_code == 303 and last.headers["Location"] == f"/fr/s/{campaign.slug}/thanks"
    cleared = set_cookies(last)
    for lang in ("fr", "en"):
        morsel = cleared[f"answers0 /{lang}/s/{campaign.slug}/"]
        assert morsel.value == "" and morsel["max-age"] == "0"
    assert rows() == (1, 0)
    again = client.get(f"/fr/s/{campaign.slug}/p/about")  # back from the thank-you page
    assert again.status_code == 302 and again.headers["Location"] == f"/fr/s/{campaign.slug}/"


def test_a_forged_old_or_foreign_cookie_opens_nothing(client, campaign, make, app):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    client.set_cookie("answers0", "not-a-sealed-box", path=f"/fr/s/{campaign.slug}/")
    assert_opens_nothing(client, campaign)
    other = make.campaign(slug="elsewhere", city=campaign.city, version=campaign.version_now, languages=("fr",))
    with app.test_request_context(f"/fr/s/{campaign.slug}/"):
        from flask import make_response

        response = make_response("")
        page_state.write(response, "fr", other.slug, page_state.PageState("first", {"trust": "9"}, "x"))
        sealed = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client.set_cookie("answers0", sealed, path=f"/fr/s/{campaign.slug}/")  # another survey's answers
    assert_opens_nothing(client, campaign)


def assert_opens_nothing(client, campaign):
    """The first page starts afresh, with nothing checked; the others lead back to the introduction."""
    first = client.get(f"/fr/s/{campaign.slug}/p/first")
    assert first.status_code == 200 and " checked" not in first.get_data(as_text=True)
    later = client.get(f"/fr/s/{campaign.slug}/p/about")
    assert later.status_code == 302 and later.headers["Location"] == f"/fr/s/{campaign.slug}/"


def test_a_forged_or_foreign_carried_field_carries_nothing(client, campaign, make, app):
    """The answers of other pages travel sealed in the form: a forged field, or one sealed for another survey,
    adds no answer; one sealed for this survey in another language does (a page sent to another language)."""
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="dont_know")
    assert respondent.carried()["trust"] == "7"
    other = make.campaign(slug="elsewhere", city=campaign.city, version=campaign.version_now, languages=("fr",))
    fields = respondent.hidden(respondent.page) | {"district": "1", "_action": "back"}
    for forged in ("not-a-sealed-box", page_state.sealed_state("fr", other.slug, page_state.PageState(
            "first", {"trust": "9"}, "x"))):
        back = respondent.post(fields | {"_carried": forged})
        assert back.status_code == 200 and 'value="9" checked' not in respondent.page
        assert 'value="7" checked' not in respondent.page  # what was carried is lost with the field
    assert respondent.post(fields, lang="en").status_code == 200
    assert 'value="7" checked' in respondent.page


def test_a_page_the_answers_do_not_lead_to_redirects_to_one_they_do(client, campaign):
    respondent = Respondent(client, campaign.slug)
    complete = respondent.start() and respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5",
                                                        fair_explain="dont_know")
    assert complete.status_code == 200
    skipped = client.get(f"/fr/s/{campaign.slug}/p/second")  # shown only to those who had a contact
    assert skipped.status_code == 302 and skipped.headers["Location"] == f"/fr/s/{campaign.slug}/p/about"


def test_answers_too_long_for_a_cookie_are_shown_without_a_redirect(client, campaign):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="dont_know")
    noise = secrets.token_urlsafe(4000)[:4900]  # incompressible
    stay = respondent.answer("back", comment=noise)
    assert stay.status_code == 200 and "answers0" not in stay.headers.get("Set-Cookie", "")
    assert respondent.carried()["comment"] == noise
    forward = respondent.answer("next")  # and the long answer goes on being carried
    assert forward.status_code == 200 and respondent.heading() == "About you (fr)"
    assert f"{noise}</textarea>" in respondent.page
    assert rows() == (0, 0)


def test_switching_language_moves_the_answers_and_forgets_them_under_the_old_language(client, campaign):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    switched = send(client, campaign, respondent, "en", trust="6", _action="stay")
    assert switched.status_code == 303 and switched.headers["Location"] == f"/en/s/{campaign.slug}/p/first"
    cookies = set_cookies(switched)
    assert cookies[f"answers0 /en/s/{campaign.slug}/"].value
    assert cookies[f"answers0 /fr/s/{campaign.slug}/"]["max-age"] == "0"
    assert 'value="6" checked' in client.get(switched.headers["Location"]).get_data(as_text=True)


def test_continue_later_redirects_to_the_link_and_a_reload_shows_it_again(client, campaign):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    saved = send(client, campaign, respondent, trust="6", _action="save")
    assert saved.status_code == 303 and saved.headers["Location"] == f"/fr/s/{campaign.slug}/saved"
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'id="resume-link"' in page and page == client.get(saved.headers["Location"]).get_data(as_text=True)
    assert rows() == (0, 1)
    assert client.get(f"/en/s/{campaign.slug}/saved").status_code == 302  # nothing saved in English


def test_the_page_total_counts_pages_still_possible_so_it_never_grows(client, campaign):
    """The second page is shown only after a contact: it is counted until the contact question rules it out."""
    first_answers = {"trust": "7", "confidence": "4", "fair_respect": "5", "fair_explain": "dont_know"}
    with_contact = Respondent(client, campaign.slug)
    with_contact.start()
    assert with_contact.progress() == "Page 1 sur 3"
    with_contact.answer(contact="1", **first_answers)
    assert with_contact.progress() == "Page 2 sur 3"
    with_contact.answer(satisfaction="4")
    assert with_contact.progress() == "Page 3 sur 3"
    with_contact.answer("back")
    with_contact.answer("back")
    with_contact.answer(contact="2")  # the contact is undone: the second page goes
    assert with_contact.progress() == "Page 2 sur 2"


def test_where_the_session_cookie_is_https_only_the_answers_cookie_is_too(client, campaign, app, monkeypatch):
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)  # as in production
    sent = send(client, campaign, respondent, trust="7", _action="stay")
    assert set_cookies(sent)[f"answers0 /fr/s/{campaign.slug}/"]["secure"]
