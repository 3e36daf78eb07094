"""The shipped questionnaires: valid in all seven languages, with the standard indicator set of MEASURES.md."""

from __future__ import annotations

import re

import pytest

from imppulse_survey.config import SUPPORTED_LANGUAGES
from imppulse_survey.questionnaires.definition import Definition
from imppulse_survey.questionnaires.loader import load_file
from imppulse_survey.questionnaires.services import standard_file

RESIDENT_INDICATORS = {
    "trust", "trust_share", "good_job", "confidence", "reliability", "procedural_fairness", "respect",
    "fair_treatment", "responsiveness", "listen_agree", "deal_agree", "effectiveness", "moral_alignment",
    "duty_to_obey", "cooperation", "contact_satisfaction", "safety", "informed", "relations", "pilot_awareness",
}
OFFICER_INDICATORS = {
    "perceived_trust", "perceived_relations", "perceived_fairness", "perceived_listening", "perceived_respect",
    "perceived_cooperation", "mistreatment", "public_respect", "self_legitimacy", "organisational_justice",
    "procedural_orientation", "job_satisfaction", "pilot_usefulness",
}
MIRRORS = {
    "perceived_relations": "relations", "perceived_trust": "trust_share", "perceived_fairness": "fair_treatment",
    "perceived_listening": "listen_agree", "perceived_respect": "respect", "perceived_cooperation": "cooperation",
}


@pytest.fixture(scope="module")
def resident():
    return load_file(standard_file("resident-perception"))


@pytest.fixture(scope="module")
def officer():
    return load_file(standard_file("officer-feedback"))


def all_texts(node):
    """Every text mapping ({language: string}) in a definition."""
    if isinstance(node, dict):
        if node and set(node) <= set(SUPPORTED_LANGUAGES) and all(isinstance(v, str) for v in node.values()):
            yield node
        else:
            for value in node.values():
                yield from all_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_texts(value)


@pytest.mark.parametrize("name", ["resident", "officer"])
def test_every_text_is_in_all_seven_languages(name, request):
    definition = request.getfixturevalue(name)
    assert definition["languages"] == list(SUPPORTED_LANGUAGES)
    texts = list(all_texts(definition))
    assert len(texts) > 50
    for text in texts:
        assert set(text) == set(SUPPORTED_LANGUAGES)
        assert all(value.strip() for value in text.values())


@pytest.mark.parametrize("name", ["resident", "officer"])
def test_texts_are_translated_not_copied(name, request):
    """A text identical in English and in another language is almost always an untranslated copy."""
    definition = request.getfixturevalue(name)
    copies = [
        (text["en"], language)
        for text in all_texts(definition)
        for language in SUPPORTED_LANGUAGES
        if language != "en" and text[language] == text["en"] and len(text["en"]) > 12
    ]
    assert copies == []


@pytest.mark.parametrize("name", ["resident", "officer"])
def test_placeholders_survive_translation(name, request):
    for text in all_texts(request.getfixturevalue(name)):
        placeholders = {language: sorted(re.findall(r"\{\w+\}", value)) for language, value in text.items()}
        assert len({tuple(found) for found in placeholders.values()}) == 1, text


def test_resident_indicators_are_the_standard_set(resident):
    assert RESIDENT_INDICATORS <= {indicator["key"] for indicator in resident["indicators"]}


def test_officer_indicators_are_the_standard_set(officer):
    assert OFFICER_INDICATORS == {indicator["key"] for indicator in officer["indicators"]}


def test_mirror_indicators_point_at_resident_indicators(resident, officer):
    resident_keys = {indicator["key"] for indicator in resident["indicators"]}
    mirrors = {indicator["key"]: indicator.get("mirror_of") for indicator in officer["indicators"] if indicator.get("mirror_of")}
    assert mirrors == MIRRORS
    assert set(mirrors.values()) <= resident_keys


def test_resident_demographics_allow_breakdowns(resident):
    keys = Definition(resident).item_by_answer_key
    for key in ("age_band", "gender", "police_contact"):
        assert keys[key]["type"] == "single_choice"
    assert Definition(resident).district_item is not None
    assert len(keys["age_band"]["options"]) == 6


def test_officer_demographics_are_coarse(officer):
    keys = set(Definition(officer).item_by_answer_key)
    assert {"service_length", "role_type"} <= keys
    assert not keys & {"age_band", "gender", "district", "rank", "unit"}
    assert Definition(officer).district_item is None


def test_contact_satisfaction_is_asked_only_after_contact(resident):
    definition = Definition(resident)
    contact_page = next(page for page in definition.pages if any(i["key"] == "contact_satisfied" for i in page["items"]))
    assert contact_page["show_if"] == {"item": "police_contact", "equals": 1}
    indicator = next(i for i in resident["indicators"] if i["key"] == "contact_satisfaction")
    assert indicator["base"] == {"item": "police_contact", "equals": 1}


@pytest.mark.parametrize("name", ["resident", "officer"])
def test_the_introduction_explains_anonymity_and_consent(name, request):
    introduction = request.getfixturevalue(name)["introduction"]["en"].lower()
    assert "anonymous" in introduction
    assert "10" in introduction
    assert "stop" in introduction or "skip" in introduction
