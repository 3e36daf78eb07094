"""A resident walks an open residents' campaign, every page, in each of the nine languages, on a phone: axe finds no
violation, nothing wider than the screen, no English left in a page that is not English, Arabic right to left
(``dir="rtl"``, the 0-10 scale running from the right), and a screenshot of every page for people to look at
(SCREENSHOTS/languages).

The Arabic and Turkish packs of the standard questionnaire ship "not reviewed"; this test marks them reviewed in its
own database (a test-only mark), as a reviewer would, so that the pages are those a production campaign shows.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from babel.messages.extract import extract_from_dir
from playwright.sync_api import expect

from imppulse_survey.config import SUPPORTED_LANGUAGES
from imppulse_survey.extensions import db
from imppulse_survey.i18n import text_in
from imppulse_survey.questionnaires.packs import mark_reviewed, text_paths
from imppulse_survey.questionnaires.published import published_definition

from . import PHONE, SCREENSHOTS

AXE = Axe()
ROOT = Path(__file__).resolve().parents[2]
SHOTS = SCREENSHOTS / "languages"
#: the campaign's own words, as a city's staff write them in each language
FORCES = {
    "en": "the municipal police and the national police", "fr": "la police municipale et la police nationale",
    "it": "la polizia locale e la polizia di Stato", "es": "la policía municipal y la policía nacional",
    "ca": "la policia municipal i la policia nacional", "nl": "de gemeentepolitie en de federale politie",
    "pt": "a polícia municipal e a polícia nacional", "ar": "الشرطة البلدية والشرطة الوطنية",
    "tr": "belediye polisi ve ulusal polis",
}
ORGANISER = {
    "en": "the City of Testville", "fr": "la Ville de Testville", "it": "il Comune di Testville",
    "es": "el Ayuntamiento de Testville", "ca": "l'Ajuntament de Testville", "nl": "de stad Testville",
    "pt": "a Câmara Municipal de Testville", "ar": "بلدية تستفيل", "tr": "Testville Belediyesi",
}
PILOT = {
    "en": "Neighbourhood meetings", "fr": "Rencontres de quartier", "it": "Incontri di quartiere",
    "es": "Encuentros de barrio", "ca": "Trobades de barri", "nl": "Wijkontmoetingen", "pt": "Encontros de bairro",
    "ar": "لقاءات الأحياء", "tr": "Mahalle buluşmaları",
}
#: what the resident answers on the pages that lead on (to the last contact, to the pilot's opinion) or end it
ANSWERS = {
    "police_in_general": {"trust_police": 7},
    "contact_with_the_police": {"police_contact": 1},
    "pilot_initiatives": {"pilot_aware": 1},
    "about_you": {"age_band": 2, "gender": 1, "district": 2},
}
PAGES = ["introduction", "police_in_general", "police_in_your_area", "how_police_treat_people", "effectiveness",
         "values_and_authority", "working_with_the_police", "your_neighbourhood", "contact_with_the_police",
         "your_last_contact", "pilot_initiatives", "pilot_opinion", "about_you", "thanks"]
#: English shorter than this may be a name or a number ("IMPPULSE Survey", "English", "16–24")
LEAK_LENGTH = 16


@pytest.fixture
def campaign(make):
    versions = make.standard_versions()
    version = versions["resident-perception"]
    for language in ("ar", "tr"):  # the test's own review marks: the shipped packs stay unreviewed
        mark_reviewed(version, language, by="test fixture", against="the English source")
    city = make.city("testville", districts=3, language="fr")
    campaign = make.campaign(slug="testville-residents", city=city, version=version, languages=SUPPORTED_LANGUAGES,
                             pilot_label=PILOT)
    campaign.forces, campaign.organiser = FORCES, ORGANISER
    db.session.commit()
    return campaign


@cache
def english_interface() -> tuple[str, ...]:
    """Every interface string of the source, in English: none may show in a page that is not English (a string
    added and not yet translated shows in English)."""
    found = set()
    for _, _, message, _, _ in extract_from_dir(
            str(ROOT), [("imppulse_survey/**.py", "python"), ("templates/**.html", "jinja2")],
            {"templates/**.html": {"trimmed": "true"}}, keywords={"_": None, "gettext": None, "_l": None,
                                                                 "lazy_gettext": None, "ngettext": (1, 2)},
            directory_filter=lambda path: not Path(path).name.startswith(".") and Path(path).name != "__pycache__"):
        for text in (message if isinstance(message, tuple) else (message,)):
            if len(text) >= LEAK_LENGTH and "%" not in text:
                found.add(text)
    return tuple(sorted(found))


def english_questionnaire(definition, language: str) -> list[str]:
    return [text["en"] for _, text in text_paths(definition) if len(text["en"]) >= LEAK_LENGTH
            and "{" not in text["en"] and text.get(language) != text["en"]]


def check(page, language: str, definition, name: str):
    """The page in ``language``, accessible, as wide as the phone, with no English; its screenshot saved."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    if language in AXE_LANGUAGES:
        results = AxeResults(page.evaluate("axe.run(document, {resultTypes: ['violations']})"))
        assert results.violations_count == 0, f"{language} {name} ({page.url}):\n{results.generate_report()}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{language} {name} is {width}px wide"
    if language != "en":
        shown = page.locator("body").inner_text()
        leaked = [text for text in (*english_interface(), *english_questionnaire(definition, language))
                  if text in shown]
        assert leaked == [], f"{language} {name}: English left in the page"
    page.screenshot(path=str(SHOTS / f"{language}-{PAGES.index(name):02d}-{name}.png"), full_page=True, scale="css")


def scale_runs_from_the_start(page, language: str):
    """0 at the start of the row, 10 at its end, and each end's label over its end: right to left in Arabic."""
    zero, ten = (page.locator(f'label[for="trust_police-{point}"]').bounding_box() for point in (0, 10))
    low, high = (page.locator(".anchors > span").nth(index).bounding_box() for index in (0, 1))
    assert zero["y"] == ten["y"], "the eleven points are on one row"
    if language == "ar":
        assert zero["x"] > ten["x"] and low["x"] > high["x"]
    else:
        assert zero["x"] < ten["x"] and low["x"] < high["x"]


#: axe on every page in these: right to left, the newest catalogs, and the source; the other left-to-right languages
#: share their markup, which axe checks page by page in test_accessibility.py
AXE_LANGUAGES = ("en", "ar", "tr")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_resident_answers_every_page_on_a_phone(browser, live_server, campaign, translate, language):
    SHOTS.mkdir(parents=True, exist_ok=True)
    definition = published_definition(campaign.questionnaire_version)
    assert definition.data["languages"] == list(SUPPORTED_LANGUAGES)  # the packs' Arabic and Turkish included
    # a phone of its own for each resident (their session, their cookies) in the module's one browser, axe in every
    # page from its start rather than injected again on each
    context = browser.new_context(**PHONE, base_url=live_server, locale=language)
    if language in AXE_LANGUAGES:
        context.add_init_script(script=AXE.axe_script)
    try:
        walk(context.new_page(), language, definition, campaign, translate)
    finally:
        context.close()


def walk(page, language: str, definition, campaign, translate):
    def say(text):
        return text_in(text, language).replace("{pilot}", PILOT[language])

    def press(message):
        page.get_by_role("button", name=translate(language, message), exact=True).tap()

    titles = {say(page_definition["title"]): page_definition["key"] for page_definition in definition.data["pages"]}
    response = page.goto(f"/{language}/s/{campaign.slug}/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(say(definition.data["title"]))
    expect(page.locator("body")).to_contain_text(ORGANISER[language])
    check(page, language, definition, "introduction")
    press("Start the survey")
    seen = []
    while True:
        heading = page.locator("h1")
        expect(heading).not_to_have_text(say(definition.data["title"]))
        key = titles.get(heading.inner_text().strip())
        if key is None:
            break
        seen.append(key)
        check(page, language, definition, key)
        if key == "police_in_general":
            scale_runs_from_the_start(page, language)
        for name, value in ANSWERS.get(key, {}).items():
            if name == "district":
                page.locator(f"#{name}").select_option(str(value))
            else:
                page.locator(f'label[for="{name}-{value}"]').tap()
        press("Send my answers" if key == "about_you" else "Next")
    assert seen == PAGES[1:-1], f"{language}: {seen}"
    expect(page.locator("h1")).to_have_text(translate(language, "Thank you"))
    check(page, language, definition, "thanks")
    assert re.search(r"/thanks$", page.url), page.url
