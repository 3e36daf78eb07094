"""The shipped questionnaires: valid in all seven languages of their files (Arabic and Turkish come as language
packs on version 2), with the standard indicator set of MEASURES.md; version 2
as the December 2026 review asks (mirrors as estimates, named forces, balanced stems, the threshold from the
campaign), recording what compares with version 1."""

from __future__ import annotations

import re

import pytest

from imppulse_survey.config import SUPPORTED_LANGUAGES
from imppulse_survey.questionnaires.definition import Definition
from imppulse_survey.questionnaires.loader import load_file
from imppulse_survey.questionnaires.packs import pack_problems, with_packs
from imppulse_survey.questionnaires.services import STANDARD_KEYS, STANDARD_VERSIONS, standard_file, standard_packs
from imppulse_survey.questionnaires.translation_check import check_definitions

RESIDENT_INDICATORS = {
    "trust", "trust_share", "good_job", "confidence", "reliability", "procedural_fairness", "respect",
    "fair_treatment", "responsiveness", "listen_agree", "deal_agree", "effectiveness", "moral_alignment",
    "duty_to_obey", "cooperation", "contact_satisfaction", "safety", "informed", "relations", "pilot_awareness",
}
#: who started the last contact splits contact satisfaction in two (review row 4)
RESIDENT_INDICATORS_2 = (RESIDENT_INDICATORS - {"contact_satisfaction"}) | {
    "contact_satisfaction_police_initiated", "contact_satisfaction_self_initiated"}
OFFICER_INDICATORS = {
    "perceived_trust", "perceived_relations", "perceived_fairness", "perceived_listening", "perceived_respect",
    "perceived_cooperation", "mistreatment", "public_respect", "self_legitimacy", "organisational_justice",
    "procedural_orientation", "job_satisfaction", "pilot_usefulness",
}
#: officers' views of their own unit are self-assessments, not mirrors (MEASURES.md); relations_self_view carries
#: version 1's agree/disagree relations item on
OFFICER_INDICATORS_2 = OFFICER_INDICATORS | {"unit_fairness", "unit_listening", "relations_self_view"}
#: the languages each questionnaire file has; the others are shipped as language packs on version 2
FILE_LANGUAGES = ("en", "fr", "it", "es", "ca", "nl", "pt")
PACK_LANGUAGES = ("ar", "tr")
MIRRORS = {
    "perceived_relations": "relations", "perceived_trust": "trust_share", "perceived_fairness": "fair_treatment",
    "perceived_listening": "listen_agree", "perceived_respect": "respect", "perceived_cooperation": "cooperation",
}


@pytest.fixture(scope="module", params=STANDARD_VERSIONS)
def resident(request):
    return load_file(standard_file("resident-perception", request.param))


@pytest.fixture(scope="module", params=STANDARD_VERSIONS)
def officer(request):
    return load_file(standard_file("officer-feedback", request.param))


@pytest.fixture(scope="module", params=[(key, number) for key in STANDARD_KEYS for number in STANDARD_VERSIONS],
                ids=lambda pair: f"{pair[0]}-v{pair[1]}")
def definition(request):
    return load_file(standard_file(*request.param))


@pytest.fixture(scope="module")
def resident_2():
    """Version 2 with its shipped language packs: what the version's checks say holds in Arabic and Turkish too."""
    return with_packs(load_file(standard_file("resident-perception", 2)), standard_packs("resident-perception", 2))


@pytest.fixture(scope="module")
def officer_2():
    return with_packs(load_file(standard_file("officer-feedback", 2)), standard_packs("officer-feedback", 2))


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


def test_every_text_is_in_all_seven_languages(definition):
    assert definition["languages"] == list(FILE_LANGUAGES)
    assert set(FILE_LANGUAGES) | set(PACK_LANGUAGES) == set(SUPPORTED_LANGUAGES)
    texts = list(all_texts(definition))
    assert len(texts) > 50
    for text in texts:
        assert set(text) == set(FILE_LANGUAGES)
        assert all(value.strip() for value in text.values())


def test_texts_are_translated_not_copied(definition):
    """A text identical in English and in another language is almost always an untranslated copy."""
    copies = [
        (text["en"], language)
        for text in all_texts(definition)
        for language in text
        if language != "en" and text[language] == text["en"] and len(text["en"]) > 12
    ]
    assert copies == []


def test_placeholders_survive_translation(definition):
    for text in all_texts(definition):
        placeholders = {language: sorted(re.findall(r"\{\w+\}", value)) for language, value in text.items()}
        assert len({tuple(found) for found in placeholders.values()}) == 1, text


def test_resident_indicators_are_the_standard_set(resident):
    expected = RESIDENT_INDICATORS if resident.get("version", 1) == 1 else RESIDENT_INDICATORS_2
    assert expected <= {indicator["key"] for indicator in resident["indicators"]}


def test_officer_indicators_are_the_standard_set(officer):
    expected = OFFICER_INDICATORS if officer.get("version", 1) == 1 else OFFICER_INDICATORS_2
    assert expected == {indicator["key"] for indicator in officer["indicators"]}


def test_mirror_indicators_point_at_resident_indicators(resident, officer):
    resident_keys = {indicator["key"] for indicator in resident["indicators"]}
    mirrors = {indicator["key"]: indicator.get("mirror_of") for indicator in officer["indicators"] if indicator.get("mirror_of")}
    assert mirrors == MIRRORS
    assert set(mirrors.values()) <= resident_keys


def test_version_2_mirrors_are_officers_estimates_of_one_resident_share(resident_2, officer_2):
    """Each pair: an estimate out of 10 on the officers' side, a share of one resident item on the other; the
    officers' item quotes the residents' about the same people (residents aged 16 or over where they work)."""
    residents = {indicator["key"]: indicator for indicator in resident_2["indicators"]}
    items = Definition(officer_2).item_by_answer_key
    for indicator in officer_2["indicators"]:
        if not indicator.get("mirror_of"):
            continue
        target = residents[indicator["mirror_of"]]
        assert (indicator["kind"], target["kind"], len(target["items"])) == ("estimate", "proportion", 1)
        item = items[indicator["items"][0]]
        assert item["type"] == "estimate_10" and "out of every 10" in item["text"]["en"].lower()
        assert "16" in item["text"]["en"] or "16" in next(page.get("intro", {}).get("en", "") for page in
                                                          officer_2["pages"] if item in page["items"])


def test_version_2_names_the_forces_the_organiser_and_the_threshold_from_the_campaign(resident_2, officer_2):
    for definition in (resident_2, officer_2):
        assert definition["languages"] == list(SUPPORTED_LANGUAGES)
        for language in SUPPORTED_LANGUAGES:
            introduction = definition["introduction"][language]
            assert "{organiser}" in introduction and "{threshold}" in introduction
            # never the threshold written into the text (the duration may be: minutes, دقائق, dakika)
            assert not re.search(r"\b10\b(?!\s*(min|دقائق|dakika))", introduction), language
    pages = {page["key"]: page for page in resident_2["pages"]}
    assert all("{forces}" in text for text in pages["police_in_your_area"]["intro"].values())
    # the ESS trust item comes before the local definition (row 7)
    order = [page["key"] for page in resident_2["pages"]]
    trust_page = next(page["key"] for page in resident_2["pages"] if any(i["key"] == "trust_police" for i in page["items"]))
    assert order.index(trust_page) < order.index("police_in_your_area")


def test_version_2_offers_a_way_out_of_every_sensitive_or_inapplicable_question(resident_2):
    items = Definition(resident_2).item_by_answer_key
    assert "prefer_not_to_say" in items["district"]["missing"]
    assert "dont_know" in items["pilot_aware"]["missing"] and "not_applicable" in items["pilot_useful"]["missing"]
    assert "not_applicable" in items["eff_response_violent"]["missing"] and "not_applicable" in items["pj_explain"]["missing"]
    reversed_items = [key for indicator in resident_2["indicators"] for key in indicator.get("reverse", [])]
    assert reversed_items  # some agreement items run the other way, against acquiescence


def test_version_2_records_what_compares_with_version_1(resident_2, officer_2):
    for key, definition in (("resident-perception", resident_2), ("officer-feedback", officer_2)):
        first = Definition(load_file(standard_file(key, 1))).item_by_answer_key
        link = definition["comparable_with"]
        assert definition["version"] == 2 and link["version"] == 1
        assert set(link["items"]) <= set(first) & set(Definition(definition).item_by_answer_key)
    # the Italian agreement scale changed (row 6): no Italian agree5 item continues its series
    agree_items = [key for key, item in Definition(resident_2).item_by_answer_key.items() if item.get("scale") == "agree5"]
    assert agree_items and all("it" not in resident_2["comparable_with"]["items"].get(key, []) for key in agree_items)


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
    indicators = {indicator["key"]: indicator for indicator in resident["indicators"]}
    if resident.get("version", 1) == 1:
        assert indicators["contact_satisfaction"]["base"] == {"item": "police_contact", "equals": 1}
        return
    # version 2: reported by who started the contact, not as a breakdown (the releasable tables stay fixed)
    assert {indicators[f"contact_satisfaction_{who}_initiated"]["base"]["equals"] for who in ("police", "self")} == {1, 2}
    assert all(indicators[f"contact_satisfaction_{who}_initiated"]["base"]["item"] == "contact_initiator"
               for who in ("police", "self"))


def test_the_introduction_explains_anonymity_and_consent(definition):
    introduction = definition["introduction"]["en"].lower()
    assert "anonymous" in introduction
    assert ("10" if definition.get("version", 1) == 1 else "{threshold}") in introduction
    assert "stop" in introduction or "skip" in introduction


@pytest.fixture(scope="module")
def packed(resident_2, officer_2):
    """Version 2 of both questionnaires with their shipped Arabic and Turkish packs, as respondents see them."""
    return {"resident-perception": resident_2, "officer-feedback": officer_2}


@pytest.mark.parametrize("key", STANDARD_KEYS)
def test_version_2_ships_complete_arabic_and_turkish_packs(key):
    definition = load_file(standard_file(key, 2))
    packs = standard_packs(key, 2)
    assert sorted(packs) == sorted(PACK_LANGUAGES)
    for language, texts in packs.items():
        assert pack_problems(definition, language, texts) == [], language
    assert standard_packs(key, 1) == {}


def test_the_packs_pass_the_translation_check_with_both_questionnaires(packed):
    """Placeholders kept, balanced stems ("agree or disagree") named on both sides, and each scale worded the same
    in the residents' and the officers' questionnaires (officers are quoted the residents' own words)."""
    assert check_definitions(packed) == []
    for definition in packed.values():
        assert definition["languages"] == [*FILE_LANGUAGES, *PACK_LANGUAGES]


def test_pack_texts_are_translated_not_copied(packed):
    copies = [(text["en"], language) for definition in packed.values() for text in all_texts(definition)
              for language in PACK_LANGUAGES if text[language] == text["en"] and len(text["en"]) > 12]
    assert copies == []


def test_the_packs_are_not_marked_reviewed():
    """A person who reads the language marks it in reviews.yaml; until then production campaigns cannot open in it."""
    import yaml

    from imppulse_survey.questionnaires.services import STANDARD_DIRECTORY

    marks = yaml.safe_load((STANDARD_DIRECTORY / "reviews.yaml").read_text(encoding="utf-8"))
    for key in STANDARD_KEYS:
        assert not set(PACK_LANGUAGES) & set(marks[key][2]["languages"])
