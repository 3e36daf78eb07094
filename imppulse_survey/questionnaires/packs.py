"""Language packs: a language added to a published version, and the review mark of every language.

A pack's texts are keyed by where each text stands in the definition (``pages.3.items.0.text``); an item's
options copied from a named scale are translated once, under the scale. Adding a language changes no text of
the others, so it is not a new version and breaks no series.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping

from sqlalchemy import func, select

from ..config import SUPPORTED_LANGUAGES
from ..extensions import db
from .format import MAX_TEXT_LENGTH
from .models import LanguagePack, QuestionnaireVersion
from .translation_check import PLACEHOLDER


class PackError(ValueError):
    """A pack or a mark that cannot be recorded; ``problems`` lists every fault."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def text_paths(definition: Mapping) -> Iterator[tuple[str, dict]]:
    """Every text of a definition, ``(path, {language: text})``; options that come from a scale are left to it."""
    def walk(node, path):
        if isinstance(node, Mapping):
            if node and all(key in SUPPORTED_LANGUAGES for key in node) and all(isinstance(v, str) for v in node.values()):
                yield ".".join(path), node
                return
            for key, value in node.items():
                if key == "options" and "scale" in node:
                    continue
                yield from walk(value, (*path, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, (*path, str(index)))

    yield from walk(definition, ())


def with_packs(definition: Mapping, packs: Mapping[str, Mapping[str, str]]) -> dict:
    """The definition with each pack's language added to every text, and to ``languages``."""
    if not packs:
        return dict(definition)
    merged = copy.deepcopy(dict(definition))
    for path, node in text_paths(merged):
        for language, texts in packs.items():
            node[language] = texts[path]
    for page in merged["pages"]:
        for item in page["items"]:
            if "scale" in item:
                item["options"] = merged["scales"][item["scale"]]["options"]
    merged["languages"] = [*merged["languages"], *(language for language in packs if language not in merged["languages"])]
    return merged


def pack_problems(definition: Mapping, language: str, texts) -> list[str]:
    """Why a pack cannot be added: an unknown or existing language, a text missing, empty, too long or unknown,
    placeholders that differ from the default language's."""
    if language not in SUPPORTED_LANGUAGES:
        return [f"{language}: not a language the platform supports ({', '.join(SUPPORTED_LANGUAGES)})"]
    if language in definition["languages"]:
        return [f"{language}: the version has this language already"]
    if not isinstance(texts, Mapping):
        return ["texts: must be a mapping from a text's path to its translation"]
    source = definition["default_language"]
    problems = []
    expected = dict(text_paths(definition))
    for path, node in expected.items():
        text = texts.get(path)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{path}: no {language} text")
        elif len(text) > MAX_TEXT_LENGTH:
            problems.append(f"{path}: longer than {MAX_TEXT_LENGTH} characters")
        elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(node[source])):
            problems.append(f"{path}: placeholders {sorted(set(PLACEHOLDER.findall(text)))} differ from the "
                            f"{source} text's {sorted(set(PLACEHOLDER.findall(node[source])))}")
    problems += [f"{path}: not a text of this version" for path in sorted(set(texts) - set(expected))]
    return problems


def pack_template(version: QuestionnaireVersion) -> dict:
    """What a translator fills in: every path with the default language's text."""
    definition = version.definition
    return {"questionnaire": version.questionnaire.key, "version": version.number, "language": "",
            "texts": {path: node[definition["default_language"]] for path, node in text_paths(definition)}}


def add_language(version: QuestionnaireVersion, language: str, texts: Mapping[str, str]) -> LanguagePack:
    problems = pack_problems(version.definition, language, texts)
    if problems:
        raise PackError(problems)
    pack = LanguagePack(version=version, language=language, texts={path: texts[path].strip() for path, _ in
                                                                   text_paths(version.definition)})
    db.session.add(pack)
    db.session.flush()
    return pack


def ensure_packs(version: QuestionnaireVersion) -> None:
    """A pack row for each of the version's own languages, for their review marks."""
    have = {pack.language for pack in version.language_packs}
    for language in version.definition["languages"]:
        if language not in have:
            db.session.add(LanguagePack(version=version, language=language))
    db.session.flush()


def mark_reviewed(version: QuestionnaireVersion, language: str, by: str, against: str,
                  on: dt.date | None = None) -> LanguagePack:
    ensure_packs(version)
    pack = next((pack for pack in version.language_packs if pack.language == language), None)
    problems = [] if pack else [f"{language}: not a language of version {version.number} of {version.questionnaire.key}"]
    if not by.strip():
        problems.append("by: say who reviewed the texts")
    if not against.strip():
        problems.append("against: say what the texts were reviewed against")
    if problems:
        raise PackError(problems)
    pack.reviewed_by, pack.reviewed_against = by.strip()[:200], against.strip()[:500]
    pack.reviewed_on = on or dt.date.today()
    db.session.flush()
    return pack


def available_languages(version: QuestionnaireVersion) -> list[str]:
    return [*version.definition["languages"],
            *(pack.language for pack in version.language_packs if pack.texts is not None)]


def unreviewed_languages(version: QuestionnaireVersion, languages) -> list[str]:
    reviewed = {pack.language for pack in version.language_packs if pack.is_reviewed}
    return [language for language in languages if language not in reviewed]


def packs_stamp(version_id: int) -> int:
    """Changes when a language is added to the version: part of a parsed definition's cache key."""
    return db.session.scalar(select(func.coalesce(func.max(LanguagePack.id), 0)).where(
        LanguagePack.questionnaire_version_id == version_id, LanguagePack.texts.is_not(None)))


def added_texts(version_id: int) -> dict[str, dict[str, str]]:
    rows = db.session.execute(select(LanguagePack.language, LanguagePack.texts).where(
        LanguagePack.questionnaire_version_id == version_id, LanguagePack.texts.is_not(None))).all()
    return {language: texts for language, texts in sorted(rows)}
