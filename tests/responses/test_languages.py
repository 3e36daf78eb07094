"""Every respondent page, in each of the nine languages, with no interface string left in English."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from imppulse_survey.campaigns.services import close_wave, create_campaign, open_wave
from imppulse_survey.config import SUPPORTED_LANGUAGES
from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.published import published_definition

from .helpers import Respondent

CATALOGS = Path(__file__).resolve().parents[2] / "translations"


def english_strings(language: str) -> list[str]:
    """Interface strings whose translation differs from the English, without placeholders."""
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    return [m.id for m in catalog if m.id and isinstance(m.id, str) and m.string != m.id
            and "%(" not in m.id and len(m.id) >= 4]


def visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def everywhere(make):
    """A resident campaign offered in all nine languages, on the standard questionnaire."""
    versions = make.standard_versions()
    city = make.city("lisbon", districts=4, language="pt")
    campaign = create_campaign(slug="lisbon-residents", city=city, version=versions["resident-perception"],
                               access_mode="open", languages=list(SUPPORTED_LANGUAGES), default_language="pt",
                               pilot_label={language: "pilot" for language in SUPPORTED_LANGUAGES},
                               forces={language: "PSP, Polícia Municipal" for language in SUPPORTED_LANGUAGES},
                               organiser={language: "Câmara Municipal de Lisboa" for language in SUPPORTED_LANGUAGES})
    open_wave(campaign, "baseline")
    db.session.commit()
    return campaign


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_page_type_is_in_the_chosen_language(client, everywhere, language):
    respondent = Respondent(client, everywhere.slug, language)
    pages = {"introduction": client.get(respondent.url).get_data(as_text=True)}
    respondent.start()
    pages["first page"] = respondent.page
    for _ in range(12):  # through to the last page, answering only what is required
        if "about_you" in respondent.page and 'name="_page" value="about_you"' in respondent.page:
            break
        respondent.answer()
    respondent.answer()  # the last page without its required answers
    pages["validation errors"] = respondent.page
    respondent.answer("save")
    pages["saved"] = respondent.page
    pages["thanks"] = client.get(f"{respondent.url}thanks").get_data(as_text=True)
    pages["invitation refused"] = client.get(f"/{language}/s/x/").get_data(as_text=True)
    close_wave(everywhere)
    db.session.commit()
    pages["closed"] = client.get(respondent.url).get_data(as_text=True)

    definition = published_definition(everywhere.questionnaire_version).data  # the language packs included
    assert definition["title"][language] in pages["introduction"]
    assert 'class="error-summary"' in pages["validation errors"]
    names = [district.name for district in everywhere.city.districts]  # data, not interface ("District 1")
    leftovers = [string for string in english_strings(language) if not any(string in name for name in names)] \
        if language != "en" else []
    for name, html in pages.items():
        assert f'<html lang="{language}"' in html, name
        text = visible_text(html)
        assert [s for s in leftovers if s in text] == [], name
