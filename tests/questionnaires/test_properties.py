"""Properties over any input: answer parsers give a cleaned value or a problem, the loader a definition or a
QuestionnaireFileError; never another exception. Seeds are fixed (derandomize) so that CI runs are reproducible."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imppulse_survey.core.inputs import is_storable
from imppulse_survey.questionnaires.definition import Definition, item_type
from imppulse_survey.questionnaires.loader import (
    QuestionnaireFileError,
    content_hash,
    parse_definition,
    validate_definition,
)
from imppulse_survey.questionnaires.types import ITEM_TYPES, AnswerContext, AnswerProblem

from ..factories import as_yaml, minimal_questionnaire, valid_answers

pytestmark = pytest.mark.single_pass  # no database in these: CI runs them once


def reproducible(max_examples: int):
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def words_of(value) -> set[str]:
    """Every key and text in a questionnaire: mutations that speak its language get further than random text."""
    if isinstance(value, dict):
        return set(value) | {word for child in value.values() for word in words_of(child)}
    if isinstance(value, list):
        return {word for child in value for word in words_of(child)}
    return {value} if isinstance(value, str) else set()


VOCABULARY = sorted(words_of(minimal_questionnaire()) | set(ITEM_TYPES) | {"min", "max", "integer", "max_length",
                                                                            "equals", "in", "any", "all", "not"})
#: any character, lone surrogates and NUL included (Hypothesis leaves out surrogates unless asked)
any_text = st.text(st.characters(exclude_categories=()), max_size=20)
number_texts = (
    st.from_regex(r"[ +\-]{0,2}[0-9٠-٩²_.,eEx ]{0,12}(nan|inf)?", fullmatch=True)
    | st.integers(1, 6000).map(lambda length: "9" * length)
    | st.integers().map(str)
    | st.floats().map(str)
)
scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(-(10**400), 10**400) | st.floats()
    | any_text | number_texts | st.sampled_from(VOCABULARY)
)
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def definition():
    return Definition(validate_definition(minimal_questionnaire(), "test.yaml"))


def item_variants(definition: Definition) -> list[dict]:
    """One item of each type, and numeric items with decimal, negative and very wide ranges."""
    items = list({item["type"]: item for item in definition.items()}.values())
    numeric = next(item for item in items if item["type"] == "numeric")
    items += [dict(numeric, integer=False), dict(numeric, min=-1e15, max=1e15), dict(numeric, min=0.5, max=1e300),
              {"key": "estimate", "type": "estimate_10", "text": {"en": "How many?"}, "missing": ["dont_know"]}]
    assert {item["type"] for item in items} == set(ITEM_TYPES)
    return items


def assert_storable(kind, item, cleaned) -> None:
    for row in kind.stored(item, item.get("key", "key"), cleaned):
        assert row.value is None or math.isfinite(row.value)
        assert row.text is None or is_storable(row.text)


@reproducible(300)
@given(raw=json_values, choice=st.data())
def test_every_item_type_cleans_any_value_or_names_a_problem(definition, raw, choice):
    item = choice.draw(st.sampled_from(item_variants(definition)))
    kind = item_type(item)
    try:
        cleaned = kind.clean(item, raw, AnswerContext({1: 11, 2: 12}))
    except AnswerProblem as problem:
        assert str(problem)  # a message the respondent can read
    else:
        assert_storable(kind, item, cleaned)


@reproducible(200)
@given(overrides=st.dictionaries(st.sampled_from(VOCABULARY) | any_text, json_values, max_size=6))
def test_a_whole_set_of_answers_is_cleaned_or_gets_problems(definition, overrides):
    raw = {**valid_answers(), **overrides}
    cleaned, problems = definition.clean(raw, has_pilot=True, district_codes={1: 11, 2: 12, 3: 13})
    assert set(cleaned).isdisjoint(problems)
    assert all(str(message) for message in problems.values())
    for row in definition.stored(cleaned):
        assert row.text is None or is_storable(row.text)


def parsed_or_refused(text: str | bytes):
    """The definition, or None when the file was refused with the loader's own error."""
    try:
        result = parse_definition(text, "fuzz.yaml")
    except QuestionnaireFileError as error:
        assert error.problems and all(problem.startswith("fuzz.yaml: ") for problem in error.problems)
        return None
    content_hash(result)  # what publishing computes first: every text is encodable
    return result


@reproducible(300)
@given(text=st.text(st.characters(exclude_categories=())) | st.binary())
def test_any_text_or_bytes_is_a_definition_or_a_file_error(text):
    parsed_or_refused(text)


@reproducible(200)
@given(text=st.lists(st.sampled_from(["[", "]", "{", "}", "- ", ": ", ", ", "\n", "  ", "a", "? ", "!!int ", "&a ",
                                      "*a", '"\\ud800"', "'x'", "1:2", "2020-13-45", "|\n ", "#"]), max_size=200)
       .map("".join))
def test_yaml_punctuation_is_a_definition_or_a_file_error(text):
    parsed_or_refused(text)


@reproducible(150)
@given(value=json_values, depth=st.integers(0, 100), wrapper=st.sampled_from(["list", "dict"]))
def test_yaml_dumps_of_nested_structures_are_a_definition_or_a_file_error(value, depth, wrapper):
    for _ in range(depth):
        value = [value] if wrapper == "list" else {"pages": value}
    parsed_or_refused(yaml.safe_dump(value, allow_unicode=True))


def indented(depth: int) -> str:
    return "".join(" " * level + "pages:\n" for level in range(depth))


@reproducible(40)
@given(text=st.builds(str.__mul__, st.sampled_from(["[", "{a: ", "- ", "? ", "- [", "{a: ["]), st.integers(65, 5000))
       | st.integers(65, 800).map(indented))
def test_yaml_nested_deeper_than_the_limit_is_refused(text):
    assert parsed_or_refused(text) is None


def containers(value):
    """Every mapping and list inside a value, the value itself first."""
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        if isinstance(child, (dict, list)):
            yield from containers(child)


@st.composite
def mutated_questionnaires(draw):
    """The minimal questionnaire with one to three places replaced, deleted or added."""
    definition = minimal_questionnaire()
    for _ in range(draw(st.integers(1, 3))):
        container = draw(st.sampled_from(list(containers(definition))))
        places = list(container) if isinstance(container, dict) else list(range(len(container)))
        action = draw(st.sampled_from(["replace", "delete", "add"])) if places else "add"
        if action == "add" and isinstance(container, list):
            container.append(draw(json_values))
        elif action == "add":
            container[draw(st.sampled_from(VOCABULARY) | any_text)] = draw(json_values)
        elif action == "delete":
            del container[draw(st.sampled_from(places))]
        else:
            container[draw(st.sampled_from(places))] = draw(json_values)
    return definition


@reproducible(250)
@given(mutated=mutated_questionnaires())
def test_a_mutated_questionnaire_is_a_definition_or_a_file_error(mutated):
    try:
        result = validate_definition(mutated, "fuzz.yaml")
    except QuestionnaireFileError as error:
        assert error.problems and all(problem.startswith("fuzz.yaml: ") for problem in error.problems)
        return
    content_hash(result)
    Definition(result).clean(valid_answers(), has_pilot=True, district_codes={1: 11, 2: 12, 3: 13})


@reproducible(60)
@given(mutated=mutated_questionnaires())
def test_a_mutated_questionnaire_file_is_a_definition_or_a_file_error(mutated):
    parsed_or_refused(as_yaml(mutated))
