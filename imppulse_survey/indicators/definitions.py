"""Indicators as the questionnaire file defines them, with each item's scale range resolved."""

from __future__ import annotations

from dataclasses import dataclass

from ..questionnaires.definition import Definition, item_type


@dataclass(frozen=True)
class ScoredItem:
    key: str
    low: float
    high: float
    is_reversed: bool


@dataclass(frozen=True)
class Indicator:
    key: str
    kind: str  # "mean" (0-100 score) or "proportion"
    label: dict
    items: tuple[ScoredItem, ...]
    codes: tuple[int, ...] = ()
    min_answered: int = 1
    base: dict | None = None
    mirror_of: str | None = None


def indicators_of(definition: Definition) -> list[Indicator]:
    indicators = []
    for data in definition.indicators:
        items = []
        for key in data["items"]:
            item = definition.item_by_answer_key[key]
            low, high = item_type(item).value_range(item)
            items.append(ScoredItem(key, float(low), float(high), key in data.get("reverse", [])))
        indicators.append(Indicator(
            key=data["key"], kind=data["kind"], label=data["label"], items=tuple(items),
            codes=tuple(data.get("codes", ())), min_answered=data.get("min_answered", 1),
            base=data.get("base"), mirror_of=data.get("mirror_of"),
        ))
    return indicators
