"""Checking answers against a definition: every item type, missing codes and conditional display."""

from __future__ import annotations

import pytest

from imppulse_survey.questionnaires.conditions import evaluate
from imppulse_survey.questionnaires.definition import Definition
from imppulse_survey.questionnaires.loader import validate_definition

from ..factories import minimal_questionnaire, valid_answers

DISTRICTS = {1: 11, 2: 12, 3: 13}


@pytest.fixture(scope="module")
def definition():
    return Definition(validate_definition(minimal_questionnaire(), "test.yaml"))


def clean(definition, answers, has_pilot=False):
    cleaned, problems = definition.clean(answers, has_pilot=has_pilot, district_codes=DISTRICTS)
    return cleaned, {key: str(message) for key, message in problems.items()}


def test_valid_answers_are_cleaned(app_context, definition):
    cleaned, problems = clean(definition, valid_answers(trust="7", years="12"))
    assert problems == {}
    assert cleaned == {
        "contact": 1, "trust": 7, "confidence": 4, "fair_respect": 5, "fair_explain": "dont_know",
        "satisfaction": 2, "topics": [1, 2], "years": 12, "district": 2, "nickname": "Kim", "comment": "Fine.",
    }


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("contact", 3, "Choose one of the options."),
        ("contact", "dont_know", "Choose one of the options."),  # not offered by this item
        ("trust", 11, "Choose a number from 0 to 10."),
        ("trust", "seven", "Choose a number from 0 to 10."),
        ("trust", True, "Choose a number from 0 to 10."),
        ("confidence", 0, "Choose one of the options."),
        ("fair_respect", 6, "Choose one of the options."),
        ("topics", [1, 9], "Choose one or more of the options."),
        ("topics", [1, 3], "This option cannot be combined with the others."),
        ("years", 101, "Enter a number from 0 to 100."),
        ("years", 2.5, "Enter a whole number."),
        ("years", "a lot", "Enter a number."),
        ("years", "nan", "Enter a number."),
        ("district", 9, "Choose your district from the list."),
        ("nickname", "x" * 21, "Write at most 20 characters."),
        ("nickname", 5, "Enter text."),
        ("bogus", 1, "This is not a question of this questionnaire."),
    ],
)
def test_each_invalid_answer_gets_a_message(app_context, definition, key, value, message):
    _, problems = clean(definition, valid_answers(**{key: value}))
    assert problems == {key: message}


def test_required_items_must_be_answered_and_missing_codes_count(app_context, definition):
    _, problems = clean(definition, valid_answers(contact=None, district=None))
    assert problems == {"contact": "This question needs an answer.", "district": "This question needs an answer."}
    cleaned, problems = clean(definition, valid_answers(district="prefer_not_to_say"))
    assert problems == {} and cleaned["district"] == "prefer_not_to_say"


def test_hidden_pages_are_not_required_and_their_answers_are_dropped(app_context, definition):
    cleaned, problems = clean(definition, valid_answers(contact=2, satisfaction=None))
    assert problems == {}
    cleaned, problems = clean(definition, valid_answers(contact=2, satisfaction=5))
    assert problems == {} and "satisfaction" not in cleaned


def test_a_shown_page_enforces_its_required_items(app_context, definition):
    _, problems = clean(definition, valid_answers(contact=1, satisfaction=None))
    assert problems == {"satisfaction": "This question needs an answer."}


def test_an_invalid_answer_on_a_hidden_page_is_ignored(app_context, definition):
    cleaned, problems = clean(definition, valid_answers(contact=2, satisfaction=42))
    assert problems == {} and "satisfaction" not in cleaned


def test_pilot_items_only_with_a_pilot(app_context, definition):
    cleaned, _ = clean(definition, valid_answers(pilot_heard=1))
    assert "pilot_heard" not in cleaned
    cleaned, _ = clean(definition, valid_answers(pilot_heard=1), has_pilot=True)
    assert cleaned["pilot_heard"] == 1


def test_visible_pages_skip_pages_with_nothing_to_show(definition):
    assert [p["key"] for p in definition.visible_pages({"contact": 2}, has_pilot=False)] == ["first", "about"]
    assert [p["key"] for p in definition.visible_pages({"contact": 1}, has_pilot=False)] == ["first", "second", "about"]


def test_stored_rows_keep_missing_codes_and_texts_apart(app_context, definition):
    cleaned, _ = clean(definition, valid_answers())
    rows = definition.stored(cleaned)
    by_key = {}
    for row in rows:
        by_key.setdefault(row.item_key, []).append(row)
    assert [(r.value, r.missing) for r in by_key["fair_explain"]] == [(None, "dont_know")]
    assert [r.value for r in by_key["topics"]] == [1.0, 2.0]
    assert by_key["comment"][0].text == "Fine." and by_key["comment"][0].value is None
    assert by_key["years"][0].value == 12.0


@pytest.mark.parametrize(
    "condition, answers, expected",
    [
        ({"item": "a", "equals": 1}, {"a": 1}, True),
        ({"item": "a", "equals": 1}, {"a": 2}, False),
        ({"item": "a", "equals": 1}, {}, False),
        ({"item": "a", "equals": 1}, {"a": [1, 3]}, True),
        ({"item": "a", "in": [2, 3]}, {"a": 3}, True),
        ({"item": "a", "in": [2, 3]}, {"a": "dont_know"}, False),
        ({"item": "a", "answered": True}, {"a": 0}, True),
        ({"item": "a", "answered": True}, {"a": "dont_know"}, False),
        ({"item": "a", "answered": False}, {}, True),
        ({"not": {"item": "a", "equals": 1}}, {"a": 1}, False),
        ({"all": [{"item": "a", "equals": 1}, {"item": "b", "equals": 2}]}, {"a": 1, "b": 2}, True),
        ({"all": [{"item": "a", "equals": 1}, {"item": "b", "equals": 2}]}, {"a": 1, "b": 3}, False),
        ({"any": [{"item": "a", "equals": 1}, {"item": "b", "equals": 2}]}, {"a": 5, "b": 2}, True),
        ({"any": [{"item": "a", "equals": 1}, {"not": {"item": "b", "answered": True}}]}, {"a": 5}, True),
    ],
)
def test_conditions(condition, answers, expected):
    assert evaluate(condition, answers) is expected
