"""What the methodology page shows of the standard questionnaires: each indicator, its items in their own words,
and for a mirror indicator, the residents' item it is compared with (the wording differences shown side by side)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..questionnaires.definition import Definition
from ..questionnaires.loader import load_file
from ..questionnaires.scoring import indicators_of
from ..questionnaires.services import STANDARD_KEYS, STANDARD_VERSIONS, standard_file


@dataclass(frozen=True)
class DescribedIndicator:
    key: str
    label: dict
    kind: str
    #: each item's text per language (a grid row: the row's text)
    items: tuple[dict, ...]
    #: a mirror indicator: the residents' indicator key and its items' texts
    mirror_of: str | None
    mirrored_items: tuple[dict, ...]


@dataclass(frozen=True)
class DescribedQuestionnaire:
    key: str
    title: dict
    audience: str
    indicators: tuple[DescribedIndicator, ...]


@cache
def standard_indicators() -> tuple[DescribedQuestionnaire, ...]:
    """The shipped questionnaires' indicators, read once from their files (no database needed)."""
    definitions = {key: Definition(load_file(standard_file(key))) for key in STANDARD_KEYS}
    residents = next(definition for definition in definitions.values() if definition.data["audience"] == "resident")
    resident_indicators = {indicator.key: indicator for indicator in indicators_of(residents)}
    described = []
    for key, definition in definitions.items():
        rows = []
        for indicator in indicators_of(definition):
            mirrored = resident_indicators.get(indicator.mirror_of or "")
            rows.append(DescribedIndicator(
                indicator.key, indicator.label, indicator.kind, _texts(definition, indicator),
                indicator.mirror_of if mirrored else None, _texts(residents, mirrored) if mirrored else ()))
        described.append(DescribedQuestionnaire(key, definition.data["title"], definition.data["audience"],
                                                tuple(rows)))
    return tuple(described)


@cache
def earlier_mirrors() -> tuple[tuple[dict, dict], ...]:
    """(officers' label, residents' label) of each mirror pair of earlier versions whose officers' side was not an
    estimate: shown, never compared as a gap (MEASURES.md, "Mirror pairs")."""
    pairs = []
    for number in STANDARD_VERSIONS[:-1]:
        residents = {indicator.key: indicator for indicator in
                     indicators_of(Definition(load_file(standard_file("resident-perception", number))))}
        for indicator in indicators_of(Definition(load_file(standard_file("officer-feedback", number)))):
            if indicator.mirror_of in residents and indicator.kind != "estimate":
                pairs.append((indicator.label, residents[indicator.mirror_of].label))
    return tuple(pairs)


def _texts(definition: Definition, indicator) -> tuple[dict, ...]:
    return tuple(definition.answer_text(item.key) for item in indicator.items)
