"""Questionnaires to XLSForm and back: the same items, languages and conditions; what cannot be mapped, reported."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from imppulse_survey.questionnaires.loader import load_file, validate_definition
from imppulse_survey.questionnaires.services import standard_file
from imppulse_survey.xlsform.reader import XLSFormError, read_xlsform
from imppulse_survey.xlsform.services import questionnaire_xlsform

from ..factories import minimal_questionnaire

#: a form as partners write them (the style of pyxform's own test forms): names that are not codes, a plain
#: ``label`` beside translated ones, expressions of every kind, and question types the format does not have
PARTNER_FORM = """
| survey |
| | type | name | label::English (en) | label::French (fr) | label::Klingon (tlh) | hint::English (en) | required | relevant | constraint | appearance |
| | note | welcome | Welcome: this survey is anonymous. | Bienvenue : ce questionnaire est anonyme. | | | | | | |
| | start | start | | | | | | | | |
| | deviceid | deviceid | | | | | | | | |
| | begin group | contact_page | Contact | Contact | | | | | | field-list |
| | select_one yes_no | had_contact | Any contact with the police? | Un contact avec la police ? | yIDelmoH | Past year | yes | | | |
| | integer | times | How many times? | Combien de fois ? | | | | ${had_contact} = 'yes' | . >= 1 and . <= 50 | |
| | note | between | Thanks | Merci | | | | | | |
| | select_multiple topics | topics | Topics | Sujets | | | | selected(${had_contact}, 'yes') | not(selected(., 'none') and count-selected(.) > 1) | |
| | end group | | | | | | | | | |
| | begin group | more | More | Plus | | | | ${had_contact} != '' | | field-list |
| | text | why | Why? | Pourquoi ? | | | | | string-length(.) <= 500 | multiline |
| | geopoint | where | Where? | Où ? | | | | | | |
| | integer | age | Age | Âge | | | yes | | | |
| | select_one yes_no | adult | Adult? | Majeur ? | | | | ${age} >= 18 | | |
| | date | visit_day | Day | Jour | | | | | | |
| | end group | | | | | | | | | |
| choices |
| | list_name | name | label::English (en) | label::French (fr) |
| | yes_no | yes | Yes | Oui |
| | yes_no | no | No | Non |
| | yes_no | dont_know | Don't know | Ne sait pas |
| | topics | noise | Noise | Bruit |
| | topics | theft | Theft | Vol |
| | topics | none | None of these | Aucun |
| settings |
| | form_title | form_id | default_language |
| | Partner survey | partner_survey | English (en) |
"""


#: what pyxform (so ODK) makes of typography: straight quotes, ordinary spaces
PYXFORM_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\xa0": " "})


def plain(value):
    if isinstance(value, str):
        return value.translate(PYXFORM_TYPOGRAPHY)
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def comparable(definition: dict) -> dict:
    """What must survive the round trip: languages, texts, pages, items and their conditions (indicators and
    scale names are the questionnaire format's own; XLSForm has neither), in the typography ODK shows."""
    definition = plain(definition)
    pages = [{**page, "items": [{key: value for key, value in item.items() if key != "scale"} for item in page["items"]]}
             for page in definition["pages"]]
    return {key: definition[key] for key in ("key", "audience", "languages", "default_language", "title",
                                             "introduction", "duration_minutes", "missing")} | {"pages": pages}


def round_trip(definition: dict):
    workbook = questionnaire_xlsform(definition)
    convert(workbook, file_type=".xlsx")  # valid for pyxform, as ODK Central and KoboToolbox read it
    read = read_xlsform(workbook, "round-trip.xlsx", audience=definition["audience"])
    assert read.problems == []
    return read


def test_a_questionnaire_of_every_type_comes_back_the_same():
    definition = validate_definition(minimal_questionnaire(), "test.yaml")
    read = round_trip(definition)
    assert comparable(read.definition) == comparable(definition)
    # the only thing not kept: a district item's list, which is the campaign's city's
    assert read.unmapped == [("district: a district item's choices are the campaign's city's districts; the form's "
                              "list is not kept")]


def test_the_standard_residents_questionnaire_comes_back_the_same():
    """Seven languages, placeholders, grids, likert items, missing codes with an item's own labels, and pages
    shown on a condition or only with a pilot."""
    definition = load_file(standard_file("resident-perception"))
    read = round_trip(definition)
    assert comparable(read.definition) == comparable(definition)


def test_a_partners_form_is_read_with_a_report_of_what_could_not_be_kept():
    read = read_xlsform(PARTNER_FORM.encode(), "partner.md")
    assert read.problems == []
    definition = read.definition
    assert definition["key"] == "partner-survey" and definition["languages"] == ["en", "fr"]
    assert definition["introduction"]["fr"] == "Bienvenue : ce questionnaire est anonyme."
    pages = {page["key"]: page for page in definition["pages"]}
    # a condition on a question of the same group splits the page before it
    assert list(pages) == ["contact_page", "contact_page--2", "more"]
    had_contact, = pages["contact_page"]["items"]
    assert had_contact["required"] and had_contact["missing"] == ["dont_know"]
    assert [option["code"] for option in had_contact["options"]] == [1, 2]
    times, topics = pages["contact_page--2"]["items"]
    assert times["show_if"] == {"item": "had_contact", "equals": 1} and (times["min"], times["max"]) == (1, 50)
    assert topics["show_if"] == {"item": "had_contact", "equals": 1}
    assert [option.get("exclusive", False) for option in topics["options"]] == [False, False, True]
    assert pages["more"]["show_if"] == {"item": "had_contact", "answered": True}
    why, age, adult = pages["more"]["items"]
    assert "show_if" not in adult  # ${age} >= 18 cannot be said as a condition: reported below
    assert why["type"] == "long_text" and why["max_length"] == 500
    assert (age["min"], age["max"]) == (0, 999_999)
    report = "\n".join(read.unmapped)
    for expected in ("language 'Klingon (tlh)'", "where: geopoint questions are not supported",
                     "between: a note between questions", "start: start metadata", "visit_day: date questions are not supported",
                     "age: no bounds", "choice names are not codes, numbered in order: yes → 1, no → 2",
                     "adult: relevant not translated", "duration: not given"):
        assert expected in report
    # and what was read is a questionnaire that goes out as an XLSForm again
    convert(questionnaire_xlsform(definition), file_type=".xlsx")


def test_columns_and_choices_name_languages_as_odk_does():
    sheets = load_workbook(io.BytesIO(questionnaire_xlsform(validate_definition(minimal_questionnaire(), "t.yaml"))))
    header = [cell.value for cell in next(sheets["survey"].iter_rows(max_row=1))]
    assert {"label::English (en)", "label::French (fr)", "required", "relevant",
            "constraint"} <= set(header)
    rows = [dict(zip(header, (cell.value for cell in row), strict=False)) for row in sheets["survey"].iter_rows(min_row=2)]
    types = {row["name"]: row["type"] for row in rows if row["type"] != "end group"}
    assert types["contact"] == "select_one contact" and types["topics"] == "select_multiple topics"
    assert types["years"] == "integer" and types["nickname"] == "text" and types["fair"] == "begin group"
    second = next(row for row in rows if row["name"] == "second")
    assert second["relevant"] == "selected(${contact}, '1')"


def test_a_file_that_is_no_xlsform_is_refused():
    with pytest.raises(XLSFormError):
        read_xlsform(b"PK\x03\x04 not really a workbook", "broken.xlsx")


def test_the_command_writes_the_questionnaire_and_prints_what_was_not_mapped(runner, tmp_path):
    form = tmp_path / "partner.md"
    form.write_text(PARTNER_FORM, encoding="utf-8")
    result = runner.invoke(args=["imppulse", "xlsform", "read", str(form), "--out", str(tmp_path / "q.yaml")])
    assert result.exit_code == 0, result.output
    assert "not mapped: where: geopoint questions are not supported" in result.output
    assert load_file(tmp_path / "q.yaml")["key"] == "partner-survey"
