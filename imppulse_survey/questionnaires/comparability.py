"""Whether a figure from one version of a questionnaire can be compared with the same figure from another.

A later version's file records, per answer key, the languages in which the item still means what it meant in the
version it follows (``comparable_with``). An indicator compares across versions in a language when it is defined
alike in both and each of its items (and those of its base) compares in that language; a changed Italian scale
breaks the Italian series only. Comparisons across more than one step need every step.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from .conditions import referenced_leaves
from .models import QuestionnaireVersion
from .published import published_definition
from .scoring import Indicator, indicators_of

EVERY_LANGUAGE = "all"


def item_languages(earlier: QuestionnaireVersion, later: QuestionnaireVersion, key: str) -> set[str]:
    """The languages in which answer ``key`` compares between two versions of one questionnaire."""
    if earlier.number > later.number:
        earlier, later = later, earlier
    languages = set(later.definition["languages"])
    version = later
    while version.number > earlier.number:
        link = version.definition.get("comparable_with")
        if not link or link["version"] < earlier.number:
            return set()  # nothing recorded back to the earlier version: a break, to be safe
        languages &= set(link["items"].get(key, []))
        version = _version(version.questionnaire_id, link["version"])
        if version is None:
            return set()
    return languages & set(earlier.definition["languages"]) if version.number == earlier.number else set()


def indicator_break(key: str, first: QuestionnaireVersion, second: QuestionnaireVersion,
                    languages: Iterable[str]) -> list[str]:
    """The languages among ``languages`` in which indicator ``key`` does not compare between two versions; [] when
    it compares in all of them (always, within one version)."""
    languages = sorted(languages)
    if first.id == second.id:
        return []
    found = [_indicator(version, key) for version in (first, second)]
    if None in found or _definition_of(found[0]) != _definition_of(found[1]):
        return languages
    comparable = set(languages)
    for item in _answer_keys(found[0]):
        comparable &= item_languages(first, second, item)
    return [language for language in languages if language not in comparable]


def _indicator(version: QuestionnaireVersion, key: str) -> Indicator | None:
    return next((found for found in indicators_of(published_definition(version)) if found.key == key), None)


def _definition_of(indicator: Indicator) -> tuple:
    return (indicator.kind, tuple(item.key for item in indicator.items), tuple(item.is_reversed for item in indicator.items),
            tuple(indicator.codes), indicator.base, indicator.values_needed)


def _answer_keys(indicator: Indicator) -> list[str]:
    base = [leaf["item"] for _, leaf in referenced_leaves(indicator.base)] if indicator.base else []
    return [item.key for item in indicator.items] + base


def _version(questionnaire_id: int, number: int) -> QuestionnaireVersion | None:
    return db.session.scalar(select(QuestionnaireVersion).filter_by(questionnaire_id=questionnaire_id, number=number))
