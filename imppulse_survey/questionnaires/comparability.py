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


def item_languages(earlier: QuestionnaireVersion, later: QuestionnaireVersion, key: str) -> set[str]:
    """The languages in which answer ``key`` compares between two versions of one questionnaire."""
    return _comparable(_links(earlier, later), key)


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
    links = _links(first, second)  # the chain is read once, not once per item
    comparable = set(languages)
    for item in _answer_keys(found[0]):
        comparable &= _comparable(links, item)
    return [language for language in languages if language not in comparable]


def _links(first: QuestionnaireVersion, second: QuestionnaireVersion) -> list[dict] | None:
    """The ``comparable_with`` records from the later version back to the earlier, and the two versions' common
    languages as the first; None where the chain does not reach back (a break, to be safe)."""
    earlier, later = sorted((first, second), key=lambda version: version.number)
    links = [{"items": {}, "languages": set(later.definition["languages"]) & set(earlier.definition["languages"])}]
    version = later
    while version.number > earlier.number:
        link = version.definition.get("comparable_with")
        if not link or link["version"] < earlier.number:
            return None
        links.append(link)
        version = _version(version.questionnaire_id, link["version"])
        if version is None:
            return None
    return links


def _comparable(links: list[dict] | None, key: str) -> set[str]:
    if links is None:
        return set()
    languages = set(links[0]["languages"])
    for link in links[1:]:
        languages &= set(link["items"].get(key, []))
    return languages


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
