"""axe-core finds no violation on any page a respondent can see, on a phone-sized screen.

axe runs in the page, so these contexts have JavaScript on (the site itself needs none). Every rule that axe runs by
default runs (WCAG 2.x A and AA, and best practices); a violation is fixed in the templates or the CSS, never by
turning a rule off. Each page is also checked for sideways scrolling on the phone's 390px, which axe does not do.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from imppulse_survey.campaigns.services import close_wave
from imppulse_survey.extensions import db

from . import PHONE, Respondent

AXE = Axe()


def assert_accessible(page, what: str):
    results = AXE.run(page)
    assert results.violations_count == 0, f"{what} ({page.url}):\n{results.generate_report()}"
    # Reflow (WCAG 1.4.10), which axe does not check: nothing wider than the phone, no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{what} ({page.url}) is {width}px wide"


@pytest.fixture
def phone(open_phone):
    return open_phone(javascript=True)


@pytest.fixture
def respondent(phone, standard_campaign, translate):
    return Respondent(phone, standard_campaign, "fr", translate)


def test_introduction_every_questionnaire_page_errors_and_thanks(respondent):
    you = respondent
    page = you.page
    you.open_introduction()
    assert_accessible(page, "introduction")
    you.press("Start the survey")

    # Every page, with the last-contact branch: scales 0-10, Likert items, grids, single choices, the district list,
    # the comment box. Nothing answered: every question but those on the last page may be skipped.
    pages = ["police_in_general", "police_in_your_area", "how_police_treat_people", "effectiveness",
             "values_and_authority", "working_with_the_police", "your_neighbourhood", "contact_with_the_police"]
    for number, key in enumerate(pages, start=1):
        you.expect_page(number, len(pages) + 2, key)  # the last contact's page counts until ruled out
        assert_accessible(page, key)
        if key == "contact_with_the_police":
            you.answer({"police_contact": 1})
        you.press("Next")
    you.expect_page(len(pages) + 1, len(pages) + 2, "your_last_contact")
    you.answer({"contact_initiator": 1, "contact_satisfied": 5})
    assert_accessible(page, "your_last_contact, answered")
    you.press("Next")
    you.expect_page(len(pages) + 2, len(pages) + 2, "about_you")
    assert_accessible(page, "about_you")

    you.press("Send my answers")  # three required questions unanswered: three errors
    expect(page.locator(".error-summary a")).to_have_count(3)
    assert_accessible(page, "about_you with errors")
    you.answer({"age_band": 2, "gender": 1})
    you.press("Send my answers")  # one left
    expect(page.locator(".error-summary a")).to_have_count(1)
    assert_accessible(page, "about_you with one error, other answers given")

    you.answer({"district": 2, "comment": "Rien à ajouter."})
    you.press("Send my answers")
    expect(page.locator("h1")).to_have_text(you._("Thank you"))
    assert_accessible(page, "thank-you page")
    assert you.phone.foreign_requests() == [] and you.phone.server_errors == []


def test_saved_page_resumed_page_and_expired_link(respondent):
    you = respondent
    page = you.page
    you.open_introduction()
    you.press("Start the survey")
    you.answer({"trust_police": 5})
    you.press("Next")
    you.answer({"police_relied_upon": "dont_know"})
    you.press("Continue later")
    expect(page.locator("h1")).to_have_text(you._("Your answers are saved"))
    assert_accessible(page, "saved for later")

    page.get_by_role("link", name=you._("Continue now"), exact=True).click()
    you.expect_page(2, 10, "police_in_your_area")
    assert_accessible(page, "resumed page")

    response = page.goto(f"{you.address}resume/no-such-key")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text(you._("This link has expired"))
    assert_accessible(page, "expired resume link")


def test_closed_campaign_page(respondent):
    you = respondent
    close_wave(you.campaign)
    db.session.commit()
    response = you.page.goto(you.address)
    assert response.status == 410
    expect(you.page.locator("h1")).to_have_text(you._("This survey is closed"))
    assert_accessible(you.page, "closed campaign")


def test_unknown_survey_and_missing_page(phone, translate, app_context):
    page = phone.page
    response = page.goto("/nl/s/no-such-survey/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text(translate("nl", "Survey not found"))
    assert_accessible(page, "unknown survey")

    response = page.goto("/nl/no-such-page")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text(translate("nl", "Page not found"))
    assert_accessible(page, "page not found")


@pytest.mark.parametrize("with_campaign", [True, False], ids=["a-survey-open", "no-survey-open"])
def test_home_page(phone, translate, make, with_campaign, request):
    if with_campaign:
        request.getfixturevalue("standard_campaign")
    page = phone.page
    response = page.goto("/en/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(translate("en", "Surveys on the police and residents"))
    expect(page.locator(".city-list")).to_have_count(1 if with_campaign else 0)
    assert_accessible(page, "home page")


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_methodology_page(phone, translate, make, lang):
    make.standard_versions()
    page = phone.page
    response = page.goto(f"/{lang}/methodology")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(translate(lang, "How the figures are made"))
    page.screenshot(path=f"/tmp/methodology-{lang}.png", full_page=True, timeout=30_000)  # a long page, twice as dense
    assert_accessible(page, f"methodology in {lang}")
