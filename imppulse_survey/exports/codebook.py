"""What each variable of a release's microdata means, in one language: its question, its codes and their labels,
and what was coarsened or withheld to protect respondents."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext

from ..campaigns.models import Campaign
from ..campaigns.texts import campaign_texts
from ..questionnaires.definition import Definition, item_type
from ..questionnaires.published import published_definition
from .microdata import Pivot, Variable
from .models import MicrodataSet

HEADER = ("variable", "question", "type", "code", "label", "note")


@dataclass
class Described:
    name: str
    question: str
    kind: str  # "code", "number" or "text"
    labels: dict = field(default_factory=dict)
    note: str = ""
    #: its missing-value codes (don't know, prefer not to say…): user-missing in SPSS
    missing_codes: list[int] = field(default_factory=list)


def described_variables(made: MicrodataSet, lang: str) -> tuple[list[Described], list[str]]:
    """Each variable of the set described in ``lang``, and the quasi-identifiers withheld (not in the file)."""
    release = made.release
    campaign: Campaign = release.wave.campaign
    definition = published_definition(release.wave.questionnaire_version)
    say = campaign_texts(campaign, lang)
    variables = [Variable(**entry) for entry in made.variables]
    pivot = Pivot(definition, variables, release.wave_id, None)
    merged = {identifier.name: identifier for identifier in pivot.quasi_identifiers()}
    described = [_described(variable, definition, campaign, say) for variable in variables]
    for entry, variable in zip(described, variables, strict=True):
        if variable.is_quasi and made.levels.get(variable.name, 0) > 0:
            identifier = merged[variable.name]
            groups: dict = {}
            for code, label in entry.labels.items():
                groups.setdefault(identifier.at(1, code), []).append(label)
            entry.labels = {code: " / ".join(labels) for code, labels in groups.items()}
            entry.note = gettext("Neighbouring bands merged in pairs to protect respondents.")
    withheld = [name for name, level in made.levels.items() if name not in {v.name for v in variables}]
    return described, withheld


def _described(variable: Variable, definition: Definition, campaign: Campaign, say) -> Described:
    if variable.source == "district":
        item = definition.district_item
        return Described("district", say(item["text"]), "code",
                         {district.code: district.name for district in campaign.city.districts})
    if variable.source == "language":
        return Described(variable.name, gettext("Language the questionnaire was answered in"), "text")
    if variable.source == "channel":
        return Described(variable.name, gettext("How the answers arrived (web form, API, demo data)"), "text")
    if variable.source == "weight":
        return Described(variable.name, gettext("Survey weight of the release's figures"), "number")
    item = definition.item_by_answer_key[variable.answer_key]
    question = say(definition.answer_text(variable.answer_key))
    if variable.source == "text":
        return Described(variable.name, question, "text")
    kind = item_type(item)
    missing = {definition.data["missing"][name]["code"]: say(definition.missing_label(item, name))
               for name in item.get("missing", [])}
    if variable.option_code is not None:
        option = next(option for option in item["options"] if option.get("code") == variable.option_code)
        return Described(variable.name, f"{question} — {say(option['label'])}", "code",
                         {1: gettext("Chosen"), 0: gettext("Not chosen"), **missing}, missing_codes=[*missing])
    labels = {**kind.value_labels(item, say), **missing}
    return Described(variable.name, question, "code" if kind.codes(item) else "number", labels,
                     missing_codes=[*missing])


def codebook_rows(made: MicrodataSet, lang: str) -> list[list]:
    described, withheld = described_variables(made, lang)
    found = []
    for entry in described:
        found.append([entry.name, entry.question, entry.kind, None, None, entry.note])
        found += [[entry.name, None, None, code, label, None] for code, label in entry.labels.items()]
    note = gettext("Withheld to protect respondents: too few people share some combinations.")
    found += [[name, None, None, None, None, note] for name in withheld]
    return found
