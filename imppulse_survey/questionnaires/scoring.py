"""Indicator scores: the indicators a questionnaire defines, and the one rule that scores a response on them.

A response is scored on an indicator when

1. its ``base`` condition, if any, holds (``conditions.evaluate``);
2. it gives at least ``Indicator.values_needed`` values among the indicator's items (substantive values only:
   a missing-value code such as ``dont_know`` is no value);

and its score is

3. for a mean, the average over those values of ``ScoredItem.rescaled``: each value put on 0–100 within its
   item's range, a reversed item counted down from the top;
4. for a proportion, 1 when any of those values is one of the indicator's ``codes``, else 0.

``response_scores`` applies the rule in Python, to one response at submission. ``responses/scoring_sql.py``
applies it in SQL, to every stored response at once, with the same ``rescaled`` expression and ``values_needed``;
tests/indicators/test_summaries.py holds the two forms equal. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .conditions import evaluate
from .definition import Definition, item_type


@dataclass(frozen=True)
class ScoredItem:
    key: str
    low: float
    high: float
    is_reversed: bool

    def rescaled(self, value):
        """``value`` on 0–100 within the item's range (rule 3): a number in Python, or an SQL expression."""
        return ((self.high - value) if self.is_reversed else (value - self.low)) * (100.0 / (self.high - self.low))


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

    @property
    def values_needed(self) -> int:
        """Values a response must give among the items to be scored (rule 2): ``min_answered``, at least one.

        A proportion's ``min_answered`` is always 1 (the questionnaire format allows it on means only)."""
        return max(self.min_answered, 1)


def indicators_of(definition: Definition) -> list[Indicator]:
    """The definition's indicators, with each item's scale range resolved."""
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


def response_scores(indicators: Iterable[Indicator], values: Mapping[str, list[float]]) -> dict[str, float]:
    """Each indicator's score for one response (item key → its substantive values), by the rule above."""
    scores = {}
    for indicator in indicators:
        if indicator.base and not evaluate(indicator.base, values):
            continue
        given = [(item, value) for item in indicator.items for value in values.get(item.key, ())]
        if len(given) < indicator.values_needed:
            continue
        if indicator.kind == "proportion":
            scores[indicator.key] = 1.0 if any(value in indicator.codes for _, value in given) else 0.0
        else:
            scores[indicator.key] = sum(item.rescaled(value) for item, value in given) / len(given)
    return scores
