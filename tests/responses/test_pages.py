"""The respondent's pages through the Flask test client: paging, conditions, validation, drafts, storage."""

from __future__ import annotations

import datetime as dt
import re

import babel.dates
import pytest
from sqlalchemy import func, select

from imppulse_survey.campaigns.services import add_wave, close_wave
from imppulse_survey.config import SUPPORTED_LANGUAGES
from imppulse_survey.extensions import db
from imppulse_survey.responses.drafts import find_draft
from imppulse_survey.responses.models import Answer, Draft, Response, TextAnswer

from ..factories import days_ago, minimal_questionnaire, text
from .helpers import Respondent

ALL = list(SUPPORTED_LANGUAGES)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def campaign(make):
    return make.campaign(version=make.version(minimal_questionnaire()), pilot_label=text("the walks"))


@pytest.fixture
def respondent(client, campaign):
    return Respondent(client, campaign.slug, "fr")


def complete_first_page(respondent, contact="2"):
    respondent.start()
    return respondent.answer(contact=contact, trust="7", confidence="4", fair_respect="5", fair_explain="dont_know")


def test_the_language_is_picked_among_the_campaign_languages(client, campaign):
    response = client.get(f"/s/{campaign.slug}/", headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert response.headers["Location"] == f"/fr/s/{campaign.slug}/"
    response = client.get(f"/s/{campaign.slug}/", headers={"Accept-Language": "nl"})
    assert response.headers["Location"] == f"/en/s/{campaign.slug}/"  # not offered: the campaign default
    response = client.get(f"/nl/s/{campaign.slug}/")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/en/s/{campaign.slug}/")


def test_the_introduction_explains_and_starts(client, campaign):
    page = client.get(f"/fr/s/{campaign.slug}/").get_data(as_text=True)
    assert "<h1>Title (fr)</h1>" in page and "Introduction (fr)" in page
    assert 'hreflang="en"' in page and ">English<" in page
    # "Start" GETs the first page: nothing to protect from forgery, no session needed yet
    assert f'<form method="get" action="/fr/s/{campaign.slug}/p/first">' in page and "csrf_token" not in page
    first = client.get(f"/fr/s/{campaign.slug}/p/first").get_data(as_text=True)
    assert 'name="submission_id"' in first and 'name="csrf_token"' in first and " checked" not in first


@pytest.mark.parametrize("state, status", [("unknown", 404), ("closed", 410), ("scheduled", 404)])
def test_unavailable_campaigns_get_a_clear_page(client, make, state, status):
    slug = "nowhere"
    if state != "unknown":
        campaign = make.campaign(open_now=state == "closed")
        if state == "closed":
            close_wave(campaign)
        else:
            add_wave(campaign, "later", opens_dt=days_ago(-5))
        db.session.commit()
        slug = campaign.slug
    response = client.get(f"/fr/s/{slug}/")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page and "Traceback" not in page
    assert "<h1>" in page


def test_paging_with_progress_and_back(respondent):
    respondent.start()
    assert respondent.heading() == "First (fr)"
    assert 'max="3" value="1"' in respondent.page  # the conditional page counts until an answer rules it out
    complete_first_page(respondent, contact="1")
    assert respondent.heading() == "Second (fr)"
    assert 'max="3" value="2"' in respondent.page
    respondent.answer("back")
    assert respondent.heading() == "First (fr)"
    assert 'value="4" checked' in respondent.page  # confidence kept


def test_a_page_whose_condition_fails_is_skipped(respondent):
    complete_first_page(respondent, contact="2")
    assert respondent.heading() == "About you (fr)"
    assert 'max="2" value="2"' in respondent.page


def test_validation_errors_beside_the_item_and_in_a_summary(respondent):
    respondent.start()
    response = respondent.answer(trust="11", confidence="4")
    assert response.status_code == 200
    page = respondent.page
    assert respondent.heading() == "First (fr)"
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    assert 'href="#contact"' in summary and 'href="#trust"' in summary
    # each link names its question: the same message twice would not say which is which
    assert '<span class="question-name">Contact? (fr)</span>' in summary
    assert '<span class="question-name">Trust (fr)</span>' in summary
    assert 'id="contact-error"' in page and 'aria-describedby="contact-error"' in page
    assert 'id="confidence-4" name="confidence" value="4" checked' in page  # the answer given is shown again
    assert page.count('class="error-message"') == 2


def test_every_item_type_renders_accessibly(respondent):
    complete_first_page(respondent, contact="1")
    respondent.answer(satisfaction="4")
    page = respondent.page
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page))
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids - labelled == set()
    assert '<fieldset class="question' in page and "<legend>Topics (fr)" in page
    assert 'type="checkbox" id="topics-3"' in page
    assert '<select id="district" name="district"' in page and ">District 3</option>" in page
    assert 'value="prefer_not_to_say">Prefer not to say (fr)</option>' in page
    assert 'inputmode="numeric"' in page and '<textarea id="comment"' in page and 'maxlength="20"' in page
    assert "Heard of the walks (fr)?" in page  # the pilot's name in its placeholder


def test_a_grid_renders_its_rows_as_grouped_fieldsets_with_missing_codes(respondent):
    respondent.start()
    page = respondent.page
    assert '<fieldset class="question grid" id="fair">' in page
    assert "<legend>Respect (fr)" in page and "<legend>Explain (fr)" in page
    assert 'id="fair_explain-dont_know" name="fair_explain" value="dont_know"' in page
    assert 'id="trust-10"' in page and "0 = None (fr)" in page


def test_a_complete_submission_stores_once_and_thanks(respondent, campaign):
    complete_first_page(respondent, contact="2")
    response = respondent.answer(topics=["1", "2"], years="12", district="2", comment="Merci.")
    assert response.status_code == 303 and response.headers["Location"] == f"/fr/s/{campaign.slug}/thanks"
    stored = db.session.scalar(select(Response))
    assert stored.language == "fr" and stored.channel == "web"
    answers = {(a.item_key, a.value, a.missing) for a in stored.answers}
    assert ("fair_explain", None, "dont_know") in answers and ("topics", 2.0, None) in answers
    assert db.session.scalar(select(TextAnswer.text)) == "Merci."
    thanks = respondent.client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="fr"' in thanks and "<h1>" in thanks
    assert f'href="/fr/results/{campaign.city.slug}"' in thanks  # where the results appear
    wave = campaign.current_wave()
    wave.closes_dt = wave.opens_dt + dt.timedelta(days=400)
    db.session.commit()
    thanks = respondent.client.get(response.headers["Location"]).get_data(as_text=True)
    closes = babel.dates.format_date(wave.closes_dt, "long", locale="fr")
    assert f"{closes}." in thanks  # and when: the closing day, in the respondent's language


def test_a_double_click_on_send_stores_one_response(respondent, campaign):
    complete_first_page(respondent, contact="2")
    final = respondent.hidden(respondent.page) | {"district": "1", "_action": "next"}
    first = respondent.post(final)
    second = respondent.post(final)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Response) == 1


def test_answers_to_hidden_pages_are_discarded(respondent):
    complete_first_page(respondent, contact="1")
    respondent.answer(satisfaction="5")
    respondent.answer("back")
    respondent.answer("back")
    respondent.answer(contact="2")  # now the satisfaction page no longer applies
    respondent.answer(district="3")
    items = set(db.session.scalars(select(Answer.item_key)))
    assert "satisfaction" not in items and "contact" in items


def test_the_honeypot_thanks_and_stores_nothing(respondent):
    complete_first_page(respondent)
    response = respondent.answer(district="1", leave_this_empty="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"].endswith("/thanks")
    assert count(Response) == 0


def test_a_post_without_csrf_token_is_refused_but_keeps_the_answers(respondent):
    complete_first_page(respondent, contact="2")
    fields = respondent.hidden(respondent.page)
    fields.pop("csrf_token")
    response = respondent.post(fields | {"district": "2", "_action": "next"})
    assert response.status_code == 400
    assert respondent.heading() == "About you (fr)" and 'role="alert"' in respondent.page
    assert 'value="2" selected' in respondent.page and respondent.carried()["trust"] == "7"
    assert count(Response) == 0
    assert respondent.answer().status_code == 303  # the fresh token in the page goes through
    assert count(Response) == 1


def test_a_post_without_csrf_token_to_an_unknown_survey_is_a_plain_404(client):
    response = client.post("/fr/s/unknown/", data={})
    assert response.status_code == 404
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_switching_language_keeps_the_answers(respondent):
    respondent.start()
    respondent.post(respondent.hidden(respondent.page) | {"trust": "3", "_action": "stay"}, lang="en")
    assert respondent.heading() == "First (en)"
    assert 'id="trust-3" name="trust" value="3" checked' in respondent.page


def test_save_and_resume(respondent, campaign, client, app):
    complete_first_page(respondent, contact="1")
    response = respondent.answer("save", satisfaction="4")
    assert response.status_code == 200
    link = re.search(r'id="resume-link" readonly value="([^"]+)"', respondent.page).group(1)
    key = link.rstrip("/").rsplit("/", 1)[1]
    assert len(key) >= 43  # 32 random bytes
    draft = db.session.scalar(select(Draft))
    assert key not in draft.resume_key_hash and b"second" not in draft.sealed  # encrypted with the link's key
    assert draft.expires_on == dt.date.today() + dt.timedelta(days=app.config["DRAFT_RETENTION_DAYS"])
    resumed = client.get(link.replace("http://localhost", ""))
    page = resumed.get_data(as_text=True)
    assert resumed.status_code == 200 and "<h1>Second (fr)</h1>" in page
    assert 'value="4" checked' in page and f'name="_resume" value="{key}"' in page
    respondent.page = page
    respondent.answer()  # to the last page
    respondent.answer(district="2")
    assert count(Response) == 1 and count(Draft) == 0


def test_an_expired_or_unknown_resume_link(respondent, client, campaign):
    complete_first_page(respondent)
    respondent.answer("save")
    link = re.search(r'id="resume-link" readonly value="([^"]+)"', respondent.page).group(1).replace("http://localhost", "")
    draft = db.session.scalar(select(Draft))
    draft.expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    assert client.get(link).status_code == 404
    assert client.get(f"/fr/s/{campaign.slug}/resume/nonsense").status_code == 404


def test_expired_drafts_are_purged(respondent, runner):
    complete_first_page(respondent)
    respondent.answer("save")
    assert runner.invoke(args=["imppulse", "drafts", "purge"]).output.strip() == "0 expired drafts deleted"
    db.session.scalar(select(Draft)).expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    assert runner.invoke(args=["imppulse", "drafts", "purge"]).output.strip() == "1 expired drafts deleted"
    assert count(Draft) == 0


def test_script_in_a_question_is_inert(client, make):
    payload = '<script>alert("x")</script>'
    definition = minimal_questionnaire()
    definition["pages"][0]["items"][1]["text"] = {"en": payload, "fr": payload}
    definition["title"] = {"en": payload, "fr": payload}
    campaign = make.campaign(version=make.version(definition))
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    assert payload not in respondent.page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in respondent.page


@pytest.mark.parametrize("path", ["/fr/s/x'%20OR%201=1--/", "/fr/s/%22%3B%20DROP%20TABLE%20responses%3B--/",
                                  "/fr'--/s/slug/", "/i/x'%20OR%20'1'='1"])
def test_sql_metacharacters_in_parameters_are_a_plain_404(client, campaign, path):
    assert client.get(path).status_code in (403, 404)
    assert count(Response) == 0


def test_pages_stay_light(respondent, client):
    sizes = [len(client.get(respondent.url).data)]
    respondent.start()
    sizes.append(len(respondent.page.encode()))
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    css_size = len(css.data)
    css.close()
    assert max(sizes) + css_size < 50_000


def test_a_draft_keeps_only_answers_that_pass_their_checks(respondent, campaign, client):
    complete_first_page(respondent, contact="1")
    respondent.answer()  # the satisfaction page, skipped
    response = respondent.answer("save", years="x" * 4000, nickname="y" * 500, comment="Gardez ce commentaire.")
    link = re.search(r'id="resume-link" readonly value="([^"]+)"', respondent.page).group(1)
    assert response.status_code == 200
    draft = find_draft(campaign.id, link.rsplit("/", 1)[1])
    assert draft.answers["comment"] == "Gardez ce commentaire." and draft.answers["trust"] == "7"
    assert "years" not in draft.answers and "nickname" not in draft.answers  # not a number; over 20 characters
    assert len(db.session.scalar(select(Draft.sealed))) < 2000
