"""The questionnaire format: every validation path names the file, the place and the problem."""

from __future__ import annotations

import pytest

from imppulse_survey.questionnaires.loader import (
    MAX_FILE_BYTES,
    QuestionnaireFileError,
    load_file,
    parse_definition,
    validate_definition,
)

from ..factories import as_yaml, minimal_questionnaire, text


def problems_of(definition: dict) -> list[str]:
    with pytest.raises(QuestionnaireFileError) as caught:
        validate_definition(definition, "test.yaml")
    return caught.value.problems


def item(definition, page, index):
    return definition["pages"][page]["items"][index]


def test_the_minimal_questionnaire_is_valid():
    definition = validate_definition(minimal_questionnaire(), "test.yaml")
    assert [page["key"] for page in definition["pages"]] == ["first", "second", "about"]
    # a scale's options are copied into the items that name it
    assert [option["code"] for option in item(definition, 0, 2)["options"]] == [1, 2, 3, 4, 5]
    # defaults are filled in
    assert item(definition, 0, 0)["missing"] == [] or item(definition, 0, 0)["required"] is True
    fairness = next(i for i in definition["indicators"] if i["key"] == "fairness")
    assert fairness["min_answered"] == 1
    trust = next(i for i in definition["indicators"] if i["key"] == "trust")
    assert trust["min_answered"] == 1


def mutate(function):
    definition = minimal_questionnaire()
    function(definition)
    return definition


CASES = [
    # (what is broken, how, the exact problem expected)
    ("missing language text",
     lambda d: item(d, 0, 2)["text"].pop("fr"),
     "test.yaml: pages[0].items[2].text: no text for language 'fr'"),
    ("empty option label",
     lambda d: item(d, 2, 0)["options"][1]["label"].update(fr="  "),
     "test.yaml: pages[2].items[0].options[1].label: no text for language 'fr'"),
    ("undeclared language",
     lambda d: d["title"].update(pt="Título"),
     "test.yaml: title: text for language 'pt', which the questionnaire does not declare"),
    ("text not a mapping",
     lambda d: d.update(title="Title"),
     "test.yaml: title: must be a mapping from language to text, e.g. {en: ..., fr: ...}"),
    ("text too long",
     lambda d: d["introduction"].update(en="x" * 4001),
     "test.yaml: introduction: the 'en' text is longer than 4000 characters"),
    ("unsupported language",
     lambda d: d.update(languages=["en", "de"]),
     "test.yaml: languages[1]: Must be one of: en, fr, it, es, ca, nl, pt, ar, tr."),
    ("language listed twice",
     lambda d: d.update(languages=["en", "fr", "en"]),
     "test.yaml: languages: a language is listed twice"),
    ("default language not declared",
     lambda d: d.update(default_language="pt"),
     "test.yaml: default_language: must be one of the declared languages"),
    ("wrong format version",
     lambda d: d.update(format=2),
     "test.yaml: format: Must be equal to 1."),
    ("bad questionnaire key",
     lambda d: d.update(key="Test Survey"),
     "test.yaml: key: is not a valid key"),
    ("bad audience",
     lambda d: d.update(audience="mayor"),
     "test.yaml: audience: Must be one of: resident, officer."),
    ("missing required top-level key",
     lambda d: d.pop("pages"),
     "test.yaml: pages: is required"),
    ("unknown top-level key",
     lambda d: d.update(colour="blue"),
     "test.yaml: colour: unknown key (see docs/questionnaire-format.md)"),
    ("duration out of range",
     lambda d: d.update(duration_minutes=0),
     "test.yaml: duration_minutes: Must be greater than or equal to 1 and less than or equal to 120."),
    ("no pages",
     lambda d: d.update(pages=[]),
     "test.yaml: pages: Length must be between 1 and 60."),
    ("page key twice",
     lambda d: d["pages"][1].update(key="first"),
     "test.yaml: pages[1].key: page key 'first' is used twice"),
    ("item key twice",
     lambda d: item(d, 2, 1).update(key="trust"),
     "test.yaml: pages[2].items[1].key: key 'trust' is used twice"),
    ("grid row key clashes with an item",
     lambda d: item(d, 0, 3)["rows"][1].update(key="confidence"),
     "test.yaml: pages[0].items[3].rows[1].key: key 'confidence' is used twice"),
    ("bad item key",
     lambda d: item(d, 0, 1).update(key="1trust"),
     "test.yaml: pages[0].items[1].key: is not a valid key"),
    ("unknown item type",
     lambda d: item(d, 0, 1).update(type="slider"),
     ("test.yaml: pages[0].items[1].type: Must be one of: district, estimate_10, grid, likert, long_text, multiple_choice, "
     "numeric, scale_0_10, short_text, single_choice.")),
    ("required not a boolean",
     lambda d: item(d, 0, 1).update(required="yes"),
     "test.yaml: pages[0].items[1].required: must be true or false"),
    ("options and scale together",
     lambda d: item(d, 0, 2).update(options=[{"code": 1, "label": text("x")}]),
     "test.yaml: pages[0].items[2]: needs either options or scale, not both"),
    ("neither options nor scale",
     lambda d: item(d, 0, 0).pop("options"),
     "test.yaml: pages[0].items[0]: needs either options or scale, not both"),
    ("unknown scale",
     lambda d: item(d, 0, 2).update(scale="agree7"),
     "test.yaml: pages[0].items[2].scale: unknown scale 'agree7'"),
    ("likert with four options",
     lambda d: (item(d, 0, 2).pop("scale"),
                item(d, 0, 2).update(options=[{"code": c, "label": text("x")} for c in range(1, 5)])),
     "test.yaml: pages[0].items[2].options: a likert item needs exactly 5 options"),
    ("likert on a short scale",
     lambda d: d["scales"].update(agree5={"options": [{"code": c, "label": text("x")} for c in range(1, 4)]}),
     "test.yaml: pages[0].items[2].scale: a likert item needs exactly 5 options"),
    ("duplicate option code",
     lambda d: item(d, 0, 0)["options"][1].update(code=1),
     "test.yaml: pages[0].items[0].options[1].code: code 1 is used twice"),
    ("duplicate code in a scale",
     lambda d: d["scales"]["agree5"]["options"][4].update(code=1),
     "test.yaml: scales.agree5.options[4].code: code 1 is used twice"),
    ("negative code",
     lambda d: item(d, 0, 0)["options"][1].update(code=-1),
     "test.yaml: pages[0].items[0].options[1].code: Must be greater than or equal to 0 and less than or equal to 9999."),
    ("boolean code",
     lambda d: item(d, 0, 0)["options"][1].update(code=True),
     "test.yaml: pages[0].items[0].options[1].code: must be a whole number"),
    ("exclusive option on a single choice",
     lambda d: item(d, 0, 0)["options"][1].update(exclusive=True),
     "test.yaml: pages[0].items[0].options: only multiple-choice options may be exclusive"),
    ("undefined missing code",
     lambda d: d["missing"].pop("dont_know"),
     "test.yaml: pages[0].items[1].missing[0]: 'dont_know' is not defined under missing"),
    ("unknown missing kind",
     lambda d: item(d, 0, 1).update(missing=["refused"]),
     "test.yaml: pages[0].items[1].missing[0]: Must be one of: dont_know, prefer_not_to_say, not_applicable."),
    ("missing code equals a substantive code",
     lambda d: d["missing"]["dont_know"].update(code=3),
     "test.yaml: pages[0].items[1].missing[0]: the code of 'dont_know' is also a substantive code"),
    ("missing codes on a text item",
     lambda d: item(d, 2, 4).update(missing=["dont_know"]),
     "test.yaml: pages[2].items[4].missing: a long_text item cannot offer missing-value codes"),
    ("key of another type",
     lambda d: item(d, 0, 1).update(min=0),
     "test.yaml: pages[0].items[1].min: not allowed on a scale_0_10 item"),
    ("scale 0-10 without anchors",
     lambda d: item(d, 0, 1).pop("anchors"),
     "test.yaml: pages[0].items[1].anchors: required for a scale_0_10 item"),
    ("anchor without text",
     lambda d: item(d, 0, 1)["anchors"].pop("high"),
     "test.yaml: pages[0].items[1].anchors.high: is required"),
    ("numeric bounds reversed",
     lambda d: item(d, 2, 1).update(min=10, max=5),
     "test.yaml: pages[2].items[1].max: must be greater than min"),
    ("numeric bound not a number",
     lambda d: item(d, 2, 1).update(max="many"),
     "test.yaml: pages[2].items[1].max: must be a number"),
    ("numeric without bounds",
     lambda d: item(d, 2, 1).pop("max"),
     "test.yaml: pages[2].items[1].max: required for a numeric item"),
    ("short text too long",
     lambda d: item(d, 2, 3).update(max_length=500),
     "test.yaml: pages[2].items[3].max_length: at most 200 for a short_text item"),
    ("grid without rows",
     lambda d: item(d, 0, 3).pop("rows"),
     "test.yaml: pages[0].items[3].rows: required for a grid item"),
    ("two district items",
     lambda d: d["pages"][2]["items"].append({"key": "district2", "type": "district", "text": text("Again")}),
     "test.yaml: pages[2].items[6].type: a questionnaire has at most one district item"),
    ("condition on a later page",
     lambda d: item(d, 0, 1).update(show_if={"item": "years", "answered": True}),
     "test.yaml: pages[0].items[1].show_if.item: 'years' is not an item on an earlier page"),
    ("condition on the same page",
     lambda d: item(d, 0, 1).update(show_if={"item": "contact", "equals": 1}),
     "test.yaml: pages[0].items[1].show_if.item: 'contact' is not an item on an earlier page"),
    ("condition on a text item",
     lambda d: d["pages"].append({"key": "last", "title": text("Last"), "show_if": {"item": "comment", "answered": True},
                                  "items": [{"key": "more", "type": "long_text", "text": text("More")}]}),
     "test.yaml: pages[3].show_if.item: 'comment' is a text item; conditions need a coded item"),
    ("condition with an impossible code",
     lambda d: d["pages"][1].update(show_if={"item": "contact", "in": [1, 7]}),
     "test.yaml: pages[1].show_if.in: 7 is not a code of 'contact'"),
    ("condition with two tests",
     lambda d: d["pages"][1].update(show_if={"item": "contact", "equals": 1, "answered": True}),
     "test.yaml: pages[1].show_if: a condition on an item needs exactly one of: equals, in, answered"),
    ("condition with an unknown combinator",
     lambda d: d["pages"][1].update(show_if={"either": []}),
     ("test.yaml: pages[1].show_if.either: unknown key in a condition (expected item with equals, in or answered; "
     "or not, all, any)")),
    ("empty all",
     lambda d: d["pages"][1].update(show_if={"all": []}),
     "test.yaml: pages[1].show_if.all: must be a non-empty list of conditions"),
    ("nested condition problem",
     lambda d: d["pages"][1].update(show_if={"any": [{"item": "contact", "equals": 1},
                                                     {"not": {"item": "contact", "equals": "yes"}}]}),
     "test.yaml: pages[1].show_if.any[1].not.equals: must be a whole number"),
    ("nested reference problem",
     lambda d: d["pages"][1].update(show_if={"all": [{"item": "contact", "equals": 1}, {"item": "ghost", "answered": True}]}),
     "test.yaml: pages[1].show_if.all[1].item: 'ghost' is not an item on an earlier page"),
    ("indicator on an unknown item",
     lambda d: d["indicators"][0].update(items=["trust_police"]),
     "test.yaml: indicators[0].items[0]: unknown item 'trust_police'"),
    ("indicator on a text item",
     lambda d: d["indicators"][0].update(items=["comment"]),
     "test.yaml: indicators[0].items[0]: 'comment' does not hold a single number"),
    ("proportion without codes",
     lambda d: d["indicators"][1].pop("codes"),
     "test.yaml: indicators[1].codes: required for a proportion"),
    ("proportion over two items",
     lambda d: d["indicators"][1].update(items=["confidence", "trust"]),
     "test.yaml: indicators[1].items: a proportion takes exactly one item"),
    ("proportion with an impossible code",
     lambda d: d["indicators"][1].update(codes=[4, 6]),
     "test.yaml: indicators[1].codes[1]: 6 is not a code of 'confidence'"),
    ("reverse item not among the items",
     lambda d: d["indicators"][2].update(reverse=["trust"]),
     "test.yaml: indicators[2].reverse[0]: 'trust' is not one of the indicator's items"),
    ("min answered above the item count",
     lambda d: d["indicators"][2].update(min_answered=3),
     "test.yaml: indicators[2].min_answered: cannot exceed the number of items"),
    ("codes on a mean",
     lambda d: d["indicators"][0].update(codes=[1]),
     "test.yaml: indicators[0].codes: only for a proportion"),
    ("unknown indicator kind",
     lambda d: d["indicators"][0].update(kind="median"),
     "test.yaml: indicators[0].kind: Must be one of: mean, proportion, estimate."),
    ("indicator key twice",
     lambda d: d["indicators"][1].update(key="trust"),
     "test.yaml: indicators[1].key: indicator key 'trust' is used twice"),
    ("indicator base on an unknown item",
     lambda d: d["indicators"][3].update(base={"item": "contacted", "equals": 1}),
     "test.yaml: indicators[3].base.item: 'contacted' is not an item on an earlier page"),
]


@pytest.mark.parametrize("broken, expected", [(case[1], case[2]) for case in CASES], ids=[case[0] for case in CASES])
def test_each_problem_is_reported_with_its_path(broken, expected):
    assert expected in problems_of(mutate(broken))


def test_every_problem_is_listed_at_once():
    def break_three_things(d):
        item(d, 0, 2)["text"].pop("fr")
        d["indicators"][0].update(items=["ghost"])
        item(d, 2, 1).update(min=10, max=5)

    problems = problems_of(mutate(break_three_things))
    assert problems == [
        "test.yaml: indicators[0].items[0]: unknown item 'ghost'",
        "test.yaml: pages[0].items[2].text: no text for language 'fr'",
        "test.yaml: pages[2].items[1].max: must be greater than min",
    ]


def test_a_file_that_is_not_yaml():
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_definition("pages: [\n  - key: a\n", "broken.yaml")
    assert caught.value.problems[0].startswith("broken.yaml: line ")
    assert "not valid YAML" in caught.value.problems[0]


def test_a_file_that_is_not_a_mapping():
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_definition("- just\n- a list\n", "list.yaml")
    assert caught.value.problems == ["list.yaml: the file must be a mapping with format, key, pages…"]


def test_anchors_and_aliases_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_definition(bomb, "bomb.yaml")
    assert "anchors and aliases are not allowed" in caught.value.problems[0]


def test_python_tags_are_refused():
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_definition("key: !!python/object/apply:os.system ['echo hacked']\n", "evil.yaml")
    assert caught.value.problems[0].startswith("evil.yaml: line 1")


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(QuestionnaireFileError) as caught:
        load_file(path)
    assert caught.value.problems == ["huge.yaml: the file is larger than 1024 KB"]


def test_too_many_items_are_refused():
    many = [{"key": f"q{n}", "type": "short_text", "text": text("Q")} for n in range(401)]
    problems = problems_of(mutate(lambda d: d["pages"][2].update(items=many)))
    assert "test.yaml: pages[2].items: Length must be between 1 and 400." in problems


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(as_yaml(minimal_questionnaire()).replace("Title", "Tïtle").encode("latin-1"))
    with pytest.raises(QuestionnaireFileError) as caught:
        load_file(path)
    assert caught.value.problems == ["latin1.yaml: the file is not UTF-8 text"]


def test_a_missing_file(tmp_path):
    with pytest.raises(QuestionnaireFileError) as caught:
        load_file(tmp_path / "absent.yaml")
    assert caught.value.problems == ["absent.yaml: cannot be read (No such file or directory)"]


def test_markup_in_texts_is_kept_as_written():
    payload = '<script>alert("x")</script>'
    definition = validate_definition(mutate(lambda d: d["title"].update(en=payload)), "test.yaml")
    assert definition["title"]["en"] == payload  # stored verbatim; escaping is the renderer's job
