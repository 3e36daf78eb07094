"""Item types own themselves: nothing outside their package switches on a type's name, and the estimate type
works from the file to the form, the stored answer, the API and the indicator that scores it."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.definition import Definition
from imppulse_survey.questionnaires.loader import QuestionnaireFileError, validate_definition
from imppulse_survey.questionnaires.types import ITEM_TYPES, NO_CONTEXT, AnswerProblem
from imppulse_survey.responses.models import Answer

from ..factories import minimal_questionnaire, text
from ..responses.helpers import Respondent

ROOT = Path(__file__).resolve().parents[2]
#: a test of an item's type: item["type"] == …, item.get("type") in …, item.type in a template
SWITCH = re.compile(r"""\[\s*["']type["']\s*\]\s*(?:==|!=|\bin\b|\bnot in\b)|\.get\(\s*["']type["']\s*\)\s*(?:==|!=|\bin\b)"""
                    r"""|\bitem\.type\b""")


def sources():
    types_package = ROOT / "imppulse_survey" / "questionnaires" / "types"
    for path in [*ROOT.glob("imppulse_survey/**/*.py"), *ROOT.glob("bench/*.py"), *ROOT.glob("templates/**/*.html")]:
        if types_package not in path.parents:
            yield path


def test_no_module_outside_the_types_package_switches_on_a_type_name():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sources() for number, line in enumerate(path.read_text().splitlines(), 1)
             if SWITCH.search(line)]
    assert found == []


def test_every_type_has_its_macro():
    macros = set(re.findall(r"\{% macro (\w+)\(", (ROOT / "templates/_macros/items.html").read_text()))
    assert {kind.macro for kind in ITEM_TYPES.values()} <= macros


def with_estimate(**indicator) -> dict:
    definition = minimal_questionnaire()
    definition["pages"][0]["items"].append(
        {"key": "estimate_trust", "type": "estimate_10", "missing": ["dont_know"],
         "text": text("Out of every 10 residents, how many trust the police?")})
    definition["indicators"].append({"key": "perceived_trust", "label": text("Trust, officers' estimate"),
                                     "kind": "estimate", "items": ["estimate_trust"], **indicator})
    return definition


def problems(definition) -> list[str]:
    try:
        validate_definition(definition, "test.yaml")
    except QuestionnaireFileError as error:
        return error.problems
    return []


def test_an_estimate_indicator_loads_with_its_mirror():
    assert problems(with_estimate(mirror_of="trust_share")) == []


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["indicators"][-1].update(kind="mean"),
     "a estimate_10 item cannot feed a mean indicator"),
    (lambda d: d["indicators"][-1].update(items=["trust"]),
     "a scale_0_10 item cannot feed a estimate indicator"),
    (lambda d: d["indicators"][-1].update(codes=[1]), "codes: only for a proportion"),
    (lambda d: d["indicators"][-1].update(items=["estimate_trust", "trust"]), "an estimate takes exactly one item"),
    (lambda d: d["pages"][0]["items"][-1].update(options=[]), "options: not allowed on a estimate_10 item"),
])
def test_an_estimate_is_refused_where_it_means_nothing(change, expected):
    definition = with_estimate()
    change(definition)
    assert any(expected in problem for problem in problems(definition)), problems(definition)


def test_an_estimate_is_a_whole_number_from_0_to_10_or_a_missing_code():
    kind = ITEM_TYPES["estimate_10"]
    item = {"key": "e", "type": "estimate_10", "missing": ["dont_know"]}
    assert [kind.clean(item, raw) for raw in ("0", 10, " 7 ", "dont_know")] == [0, 10, 7, "dont_know"]
    for raw in ("11", -1, "3.5", "prefer_not_to_say", True, "٣"):
        with pytest.raises(AnswerProblem):
            kind.clean(item, raw)
    simulated = {kind.simulated(item, "e", random.Random(seed), None, NO_CONTEXT) for seed in range(200)}
    assert simulated <= set(range(11)) and len(simulated) > 5


def test_an_estimate_is_asked_as_how_many_out_of_10_and_stored_as_given(make, client):
    campaign = make.campaign(version=make.version(with_estimate()), pilot_label=text("the walks"))
    respondent = Respondent(client, campaign.slug, "en")
    respondent.start()
    page = respondent.page
    assert 'name="estimate_trust" value="3"' in page and ">3 out of 10<" in page
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="dont_know",
                      estimate_trust="11")
    assert "Choose a number from 0 to 10." in respondent.page
    assert 'name="trust" value="7" checked' in respondent.page  # nothing typed is lost
    respondent.answer(estimate_trust="3")
    response = respondent.answer(topics=["1"], years="12", district="2")
    assert response.status_code == 303
    stored = db.session.scalars(select(Answer.value).where(Answer.item_key == "estimate_trust")).all()
    assert stored == [3.0]


def test_the_api_shows_an_estimate_as_an_estimated_percentage(make, client):
    campaign = make.campaign(version=make.version(with_estimate()))
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire?lang=fr").get_json()
    item = next(item for page in body["pages"] for item in page["items"] if item["key"] == "estimate_trust")
    assert item["shown_as"] == "estimated_percentage"
    assert [(option["code"], option["estimated_percentage"]) for option in item["options"]] == [
        (point, point * 10) for point in range(11)]


def test_a_definition_cleans_every_type_with_one_signature():
    definition = Definition(validate_definition(with_estimate(), "test.yaml"))
    cleaned, found = definition.clean({"estimate_trust": "4", "contact": "1", "district": "2"}, has_pilot=True,
                                      district_codes={1: 11, 2: 12})
    assert not {"estimate_trust", "district"} & set(found)
    assert cleaned["estimate_trust"] == 4 and cleaned["district"] == 2
    _, found = definition.clean({"district": "7"}, has_pilot=True, district_codes={1: 11, 2: 12})
    assert "district" in found


def test_an_item_may_give_a_missing_code_its_own_label(make, client):
    definition = minimal_questionnaire()
    trust = definition["pages"][0]["items"][1]
    trust["missing_labels"] = {"dont_know": text("No one ever asks")}
    campaign = make.campaign(version=make.version(definition))
    respondent = Respondent(client, campaign.slug, "en")
    respondent.start()
    trust_block = respondent.page[respondent.page.index('id="trust"'):respondent.page.index('id="confidence"')]
    assert "No one ever asks (en)" in trust_block and "Don&#39;t know (en)" not in trust_block
    assert "Don&#39;t know (en)" in respondent.page  # other items keep the questionnaire's label
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/questionnaire?lang=fr").get_json()
    item = next(item for item in body["pages"][0]["items"] if item["key"] == "trust")
    assert item["missing"] == [{"key": "dont_know", "code": 98, "label": "No one ever asks (fr)"}]
    trust["missing_labels"] = {"prefer_not_to_say": text("Rather not")}
    assert any("missing_labels.prefer_not_to_say: 'prefer_not_to_say' is not among the item's missing codes" in problem
               for problem in problems(definition))
