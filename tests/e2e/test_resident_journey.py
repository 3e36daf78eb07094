"""A resident answers the standard questionnaire on a phone with JavaScript off, through the real pages.

Interface strings are compared with what the catalogs say in the page's language (they are being translated),
questionnaire texts with the questionnaire's own translations.
"""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from imppulse_survey.campaigns.models import District
from imppulse_survey.extensions import db
from imppulse_survey.responses import page_state
from imppulse_survey.responses.drafts import find_draft
from imppulse_survey.responses.models import Draft, Response

from . import SCREENSHOTS, Respondent

#: what the resident taps, page by page (a code, or a missing-value key); items left out stay unanswered
ANSWERS = {
    "police_in_general": {"trust_police": 7},
    "police_in_your_area": {"relations_good": 4, "police_good_job": 4, "police_confidence": 4,
                            "police_relied_upon": "dont_know"},
    "how_police_treat_people": {"pj_respect": 3, "pj_fair_decisions": 2, "pj_explain": "not_applicable",
                                "police_fair_to_all": 2, "police_listen": 3},
    "effectiveness": {"eff_prevent_violence": 6, "eff_response_violent": "not_applicable"},
    "values_and_authority": {"ma_right_wrong": 4, "ma_shared_values": 4, "ma_support_actions": 5,
                             "ma_values_differ": 2, "duty_back_decisions": 8, "duty_do_as_told": 0},
    "working_with_the_police": {"coop_report_crime": 4, "coop_give_information": 3},
    "your_neighbourhood": {"safe_after_dark": 3, "informed_police_activity": 2},
    "your_last_contact": {"contact_initiator": 2, "contact_satisfied": 4},
    "about_you": {"age_band": 3, "gender": "prefer_not_to_say", "years_in_area": 4},
}
BEFORE_CONTACT = ["police_in_general", "police_in_your_area", "how_police_treat_people", "effectiveness",
                  "values_and_authority", "working_with_the_police", "your_neighbourhood"]
#: the contact question's page, and how many pages there are without and with the last contact's page
CONTACT_PAGE = len(BEFORE_CONTACT) + 1
PAGES, PAGES_WITH_CONTACT = CONTACT_PAGE + 1, CONTACT_PAGE + 2
COMMENTS = {
    "fr": "Plus de patrouilles à pied, s'il vous plaît : on ne les voit qu'en voiture.",
    "nl": "Meer agenten te voet, graag; nu zie je ze alleen in de auto.",
    "pt": "Mais patrulhas a pé, por favor: só os vemos de carro.",
}
YES, NO = 1, 2
DISTRICT = 2


def stored_responses(campaign) -> list[Response]:
    db.session.commit()  # end the test's own read transaction, so that it sees what the server stored since
    return list(db.session.scalars(select(Response).filter_by(campaign_id=campaign.id)))


def as_stored(answers: dict) -> dict:
    return {key: (None, value) if isinstance(value, str) else (float(value), None) for key, value in answers.items()}


@pytest.fixture
def respondent(open_phone, standard_campaign, translate):
    def respondent(lang: str, **options) -> Respondent:
        return Respondent(open_phone(javascript=False, **options), standard_campaign, lang, translate)

    return respondent


@pytest.mark.parametrize(("lang", "contact"), [
    pytest.param("fr", YES, id="fr-with-contact"),
    pytest.param("nl", NO, id="nl-without-contact"),
    pytest.param("pt", YES, id="pt-with-contact"),
])
def test_a_resident_answers_on_a_phone_without_javascript(respondent, lang, contact):
    you = respondent(lang)
    page = you.page
    you.open_introduction()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    you.press("Start the survey")

    # The last-contact page is counted until the contact question rules it out: the total never grows.
    for number, key in enumerate(BEFORE_CONTACT, start=1):
        you.expect_page(number, PAGES_WITH_CONTACT, key)
        # each page its own address ("Start" is a form that GETs the first one, hence its empty query)
        expect(page).to_have_url(re.compile(re.escape(f"{you.phone.base_url}{you.address}p/{key}") + r"\??$"))
        you.answer(ANSWERS[key])
        you.press("Next")
    you.expect_page(CONTACT_PAGE, PAGES_WITH_CONTACT, "contact_with_the_police")
    you.answer({"police_contact": contact})
    you.press("Next")
    if contact == YES:
        you.expect_page(CONTACT_PAGE + 1, PAGES_WITH_CONTACT, "your_last_contact")
        you.answer(ANSWERS["your_last_contact"])
        you.press("Next")
        last_page = (PAGES_WITH_CONTACT, PAGES_WITH_CONTACT)
    else:
        last_page = (PAGES, PAGES)
    you.expect_page(*last_page, "about_you")

    # The last page without the district, which is required: the error summary comes first, in the page's language.
    you.answer(ANSWERS["about_you"])
    you.answer({"comment": COMMENTS[lang]})
    you.press("Send my answers")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    you.expect_page(*last_page, "about_you")
    expect(page).to_have_title(f"{you._('Error:')} {you.page_title('about_you')} · {you.say(you.definition['title'])}"
                               " · IMPPULSE Survey")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()  # read first by a screen reader, without JavaScript
    heading, required = you._("Please check your answers"), you._("This question needs an answer.")
    assert heading != "Please check your answers" and required != "This question needs an answer.", \
        f"the {lang} catalog leaves the error summary in English"
    expect(summary.locator("h2")).to_have_text(heading)
    expect(summary.locator("a")).to_have_count(1)
    district_question = you.say(next(item for item in you.definition["pages"][-1]["items"]
                                     if item["key"] == "district")["text"])
    expect(summary.locator('a[href="#district"]')).to_have_text(f"{district_question} {required}")
    assert summary.bounding_box()["y"] < page.locator("h1").bounding_box()["y"] < 844  # at the top, on screen
    expect(page.locator("#district-error")).to_contain_text(required)
    expect(page.locator("#district")).to_have_attribute("aria-describedby", "district-help district-error")
    for key, value in ANSWERS["about_you"].items():
        expect(page.locator(f"#{key}-{value}")).to_be_checked()
    expect(page.locator("#comment")).to_have_value(COMMENTS[lang])
    carried = page_state.opened(page.locator('input[type="hidden"][name="_carried"]').input_value())["state"]["raw"]
    for key, value in ANSWERS["police_in_your_area"].items():  # earlier pages' answers travel along, sealed
        assert carried[key] == str(value)
    assert stored_responses(you.campaign) == []

    summary.locator("a").tap()
    expect(page).to_have_url(f"{you.phone.base_url}{you.address}p/about_you#district")
    expect(page.locator("#district")).to_be_in_viewport()
    you.answer({"district": DISTRICT})
    you.press("Send my answers")

    expect(page).to_have_url(f"{you.phone.base_url}{you.address}thanks")
    expect(page.locator("h1")).to_have_text(you._("Thank you"))

    (response,) = stored_responses(you.campaign)
    assert (response.language, response.channel) == (lang, "web")
    district = db.session.get(District, response.district_id)
    assert district.code == DISTRICT
    expected = {key: value for page_key, answers in ANSWERS.items() for key, value in answers.items()
                if page_key != "your_last_contact" or contact == YES}
    expected.update(police_contact=contact)
    stored = {answer.item_key: (answer.value, answer.missing) for answer in response.answers}
    assert stored.pop("district") == (float(DISTRICT), None)
    assert stored == as_stored(expected)
    assert [(text.item_key, text.text) for text in response.text_answers] == [("comment", COMMENTS[lang])]

    assert you.phone.foreign_requests() == []
    assert you.phone.server_errors == []


def test_changing_the_contact_answer_takes_the_other_path(respondent):
    you = respondent("pt")
    page = you.page
    you.open_introduction()
    you.press("Start the survey")
    for number, key in enumerate(BEFORE_CONTACT, start=1):  # every question there may be skipped
        you.expect_page(number, PAGES_WITH_CONTACT, key)
        you.press("Next")
    you.expect_page(CONTACT_PAGE, PAGES_WITH_CONTACT, "contact_with_the_police")
    you.answer({"police_contact": YES})
    you.press("Next")
    you.expect_page(CONTACT_PAGE + 1, PAGES_WITH_CONTACT, "your_last_contact")
    you.answer({"contact_satisfied": 1})

    you.press("Back")
    you.expect_page(CONTACT_PAGE, PAGES_WITH_CONTACT, "contact_with_the_police")
    expect(page.locator(f"#police_contact-{YES}")).to_be_checked()
    you.answer({"police_contact": NO})
    you.press("Next")
    you.expect_page(PAGES, PAGES, "about_you")
    you.answer({"age_band": 1, "gender": 1, "district": 3})
    you.press("Send my answers")
    expect(page.locator("h1")).to_have_text(you._("Thank you"))

    # The answer given on the page that no longer applies was still in the form, but is not stored.
    (response,) = stored_responses(you.campaign)
    stored = {answer.item_key: (answer.value, answer.missing) for answer in response.answers}
    assert stored == as_stored({"police_contact": NO, "age_band": 1, "gender": 1, "district": 3})

    assert you.phone.foreign_requests() == [] and you.phone.server_errors == []


def through_the_first_page(you: Respondent) -> None:
    """From the introduction to page 2, the first page answered."""
    you.open_introduction()
    you.press("Start the survey")
    you.expect_page(1, PAGES_WITH_CONTACT, "police_in_general")
    you.answer(ANSWERS["police_in_general"])
    you.press("Next")
    you.expect_page(2, PAGES_WITH_CONTACT, "police_in_your_area")


def test_saving_for_later_and_coming_back(respondent):
    you = respondent("nl")
    page = you.page
    through_the_first_page(you)
    you.answer({"relations_good": 4})
    you.press("Continue later")

    expect(page.locator("h1")).to_have_text(you._("Your answers are saved"))
    link = page.locator("#resume-link").input_value()
    assert link.startswith(f"{you.phone.base_url}{you.address}resume/")
    db.session.commit()
    key = link.rsplit("/", 1)[1]
    assert find_draft(you.campaign.id, key).page_key == "police_in_your_area"  # opened with the link's key
    assert b"police_in" not in db.session.scalar(select(Draft.sealed))  # and with nothing else
    assert stored_responses(you.campaign) == []

    page.get_by_role("link", name=you._("Continue now"), exact=True).tap()
    expect(page).to_have_url(link)
    you.expect_page(2, PAGES_WITH_CONTACT, "police_in_your_area")
    expect(page.locator("#relations_good-4")).to_be_checked()
    you.press("Back")
    you.expect_page(1, PAGES_WITH_CONTACT, "police_in_general")
    for key, value in ANSWERS["police_in_general"].items():
        expect(page.locator(f"#{key}-{value}")).to_be_checked()
    for number, key in enumerate([*BEFORE_CONTACT, "contact_with_the_police"], start=1):
        you.expect_page(number, PAGES_WITH_CONTACT, key)
        you.press("Next")
    you.expect_page(PAGES, PAGES, "about_you")
    you.answer({"age_band": 6, "gender": 3, "district": 1})
    you.press("Send my answers")
    expect(page.locator("h1")).to_have_text(you._("Thank you"))

    (response,) = stored_responses(you.campaign)
    assert response.language == "nl"
    assert {answer.item_key for answer in response.answers} == {*ANSWERS["police_in_general"], "relations_good",
                                                                 "age_band", "gender", "district"}
    assert db.session.scalar(select(Draft.id)) is None  # sending discards the saved answers
    assert you.phone.foreign_requests() == [] and you.phone.server_errors == []


def test_the_phone_language_chooses_the_survey_language_and_switching_keeps_the_answers(
        open_phone, standard_campaign, translate):
    phone = open_phone(javascript=False, locale="pt-PT")
    page = phone.page
    page.goto(f"/s/{standard_campaign.slug}/")
    you = Respondent(phone, standard_campaign, "pt", translate)
    expect(page).to_have_url(f"{phone.base_url}{you.address}")
    expect(page.locator("h1")).to_have_text(you.say(you.definition["title"]))
    you.press("Start the survey")
    you.expect_page(1, PAGES_WITH_CONTACT, "police_in_general")
    you.answer({"trust_police": 3})

    # The other languages are submit buttons, so that the answers on the page go along.
    page.get_by_role("button", name="Français", exact=True).tap()
    you = Respondent(phone, standard_campaign, "fr", translate)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    you.expect_page(1, PAGES_WITH_CONTACT, "police_in_general")
    expect(page.locator("#trust_police-3")).to_be_checked()
    assert page.url == f"{phone.base_url}{you.address}p/police_in_general"
    assert phone.foreign_requests() == [] and phone.server_errors == []


def test_back_forward_and_reload_show_pages_never_the_browsers_resend_error(open_phone, standard_campaign, translate):
    """Each page is a GET of its own address (post/redirect/get): the gestures work without JavaScript."""
    you = Respondent(open_phone(javascript=False), standard_campaign, "fr", translate)
    page = you.page
    through_the_first_page(you)
    you.answer({"relations_good": 2})
    you.press("Next")
    you.expect_page(3, PAGES_WITH_CONTACT, "how_police_treat_people")
    for gesture, number, key in [(page.go_back, 2, "police_in_your_area"), (page.go_back, 1, "police_in_general"),
                                 (page.go_forward, 2, "police_in_your_area"), (page.reload, 2, "police_in_your_area")]:
        response = gesture()
        assert response is not None and response.status == 200 and response.request.method == "GET"
        you.expect_page(number, PAGES_WITH_CONTACT, key)
    expect(page.locator("#relations_good-2")).to_be_checked()  # what was sent comes back with the page
    page.go_back()
    expect(page.locator("#trust_police-7")).to_be_checked()
    page.go_back()  # before the first page: the introduction
    expect(page.locator("h1")).to_have_text(you.say(you.definition["title"]))

    page.go_forward()
    for number, key in enumerate([*BEFORE_CONTACT, "contact_with_the_police"], start=1):
        you.expect_page(number, PAGES_WITH_CONTACT, key)
        you.press("Next")
    you.answer({"age_band": 2, "gender": 1, "district": 1})
    you.press("Send my answers")
    expect(page.locator("h1")).to_have_text(you._("Thank you"))
    response = page.go_back()  # from the thank-you page: the survey's start, never the answers again
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(you.say(you.definition["title"]))
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    page.reload()
    assert len(stored_responses(you.campaign)) == 1
    assert you.phone.foreign_requests() == [] and you.phone.server_errors == []


def test_the_0_to_10_scale_is_one_row_under_its_end_labels_on_a_phone(open_phone, standard_campaign, translate):
    you = Respondent(open_phone(javascript=False), standard_campaign, "fr", translate)
    page = you.page
    you.open_introduction()
    you.press("Start the survey")
    scale = page.locator("fieldset.scale").first
    points = [scale.locator(f"label[for$='-{point}']").bounding_box() for point in range(11)]
    assert len({round(box["y"]) for box in points}) == 1, "the eleven points wrap onto several rows"
    assert all(box["width"] >= 24 and box["height"] >= 24 for box in points)  # WCAG 2.5.8 target size
    assert all(earlier["x"] < later["x"] for earlier, later in itertools.pairwise(points))
    low, high = (scale.locator(".anchors span").nth(index).bounding_box() for index in (0, 1))
    assert low["x"] <= points[0]["x"] + 1 and high["x"] + high["width"] >= points[10]["x"] + points[10]["width"] - 1
    assert high["x"] > points[5]["x"]  # the "10" label stands over the high end, not over the middle
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scale-0-10-phone-fr.png"))
