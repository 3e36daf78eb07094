"""Publishing questionnaire versions."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select

from ..extensions import db
from .definition import Definition
from .loader import content_hash, load_file
from .models import Questionnaire, QuestionnaireVersion
from .packs import add_language, available_languages, ensure_packs, mark_reviewed

STANDARD_DIRECTORY = Path(__file__).resolve().parent.parent / "standard"
STANDARD_KEYS = ("resident-perception", "officer-feedback")
#: the shipped versions of each standard questionnaire, oldest first; each is published in this order
STANDARD_VERSIONS = (1, 2)


def standard_file(key: str, version: int = STANDARD_VERSIONS[-1]) -> Path:
    return STANDARD_DIRECTORY / key / f"v{version}.yaml"


def standard_packs(key: str, version: int) -> dict[str, dict[str, str]]:
    """The language packs shipped for a standard version (``<key>/v<N>.<language>.yaml``, as ``questionnaire
    pack-template`` writes them): each language's texts by path. A pack adds its language to the published
    version, so no series breaks; it stays unreviewed until reviews.yaml marks it."""
    packs = {}
    for path in sorted((STANDARD_DIRECTORY / key).glob(f"v{version}.*.yaml")):
        pack = yaml.safe_load(path.read_text(encoding="utf-8"))
        if pack.get("questionnaire") != key or pack.get("version") != version or path.stem.split(".")[-1] != pack.get("language"):
            raise ValueError(f"{path.name}: a pack for {key} version {version} in {path.stem.split('.')[-1]} "
                             "says otherwise in its questionnaire, version or language")
        packs[pack["language"]] = pack["texts"]
    return packs


def publish(definition: dict) -> tuple[QuestionnaireVersion, bool]:
    """Publish a validated definition. Returns ``(version, created)``; identical content publishes nothing."""
    fingerprint = content_hash(definition)
    questionnaire = db.session.scalar(select(Questionnaire).filter_by(key=definition["key"]))
    if questionnaire is None:
        questionnaire = Questionnaire(key=definition["key"], audience=definition["audience"])
        db.session.add(questionnaire)
        db.session.flush()
    elif questionnaire.audience != definition["audience"]:
        raise ValueError(
            f"{definition['key']} is published for {questionnaire.audience}s; its audience cannot change"
        )
    existing = db.session.scalar(
        select(QuestionnaireVersion).filter_by(questionnaire_id=questionnaire.id, content_hash=fingerprint)
    )
    if existing is not None:
        return existing, False
    _check_comparability(questionnaire, definition)
    number = db.session.scalar(
        select(func.coalesce(func.max(QuestionnaireVersion.number), 0)).filter_by(questionnaire_id=questionnaire.id)
    )
    version = QuestionnaireVersion(
        questionnaire=questionnaire, number=number + 1, content_hash=fingerprint, definition=definition
    )
    db.session.add(version)
    db.session.flush()
    ensure_packs(version)
    return version, True


def _check_comparability(questionnaire: Questionnaire, definition: dict) -> None:
    """What a file says compares with an earlier version must be there to compare with."""
    link = definition.get("comparable_with")
    if not link:
        return
    earlier = next((version for version in questionnaire.versions if version.number == link["version"]), None)
    if earlier is None:
        raise ValueError(f"{definition['key']}: comparable_with names version {link['version']}, which is not published")
    earlier_keys = set(Definition(earlier.definition).item_by_answer_key)
    unknown = sorted(set(link["items"]) - earlier_keys)
    if unknown:
        raise ValueError(f"{definition['key']}: comparable_with names {', '.join(unknown)}, which version "
                         f"{link['version']} does not ask")


def publish_file(path: str | Path) -> tuple[QuestionnaireVersion, bool]:
    return publish(load_file(path))


def publish_standard() -> dict[str, QuestionnaireVersion]:
    """Publish the shipped questionnaires (a no-op for those already published unchanged); their latest versions."""
    return {key: versions[STANDARD_VERSIONS[-1]] for key, versions in publish_standard_versions().items()}


def publish_standard_versions() -> dict[str, dict[int, QuestionnaireVersion]]:
    """Every shipped version of each standard questionnaire, in order, with the language packs and the review
    marks shipped with them."""
    marks = yaml.safe_load((STANDARD_DIRECTORY / "reviews.yaml").read_text(encoding="utf-8"))
    published = {}
    for key in STANDARD_KEYS:
        published[key] = {number: publish_file(standard_file(key, number))[0] for number in STANDARD_VERSIONS}
        for number, version in published[key].items():
            have = set(available_languages(version))
            for language, texts in standard_packs(key, number).items():
                if language not in have:
                    add_language(version, language, texts)
        for number, version_marks in (marks.get(key) or {}).items():
            version = published[key][number]
            ensure_packs(version)
            # one mark, or a list of them: each reviewer's languages with their name, day and source
            for mark in version_marks if isinstance(version_marks, list) else [version_marks]:
                for pack in version.language_packs:
                    if pack.language in mark["languages"] and not pack.is_reviewed:
                        mark_reviewed(version, pack.language, mark["by"], mark["against"], mark["date"])
    return published


def find_version(key: str, number: int | None = None) -> QuestionnaireVersion | None:
    query = select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == key)
    if number is None:
        query = query.order_by(QuestionnaireVersion.number.desc()).limit(1)
    else:
        query = query.where(QuestionnaireVersion.number == number)
    return db.session.scalar(query)


def list_versions() -> list[QuestionnaireVersion]:
    return list(
        db.session.scalars(
            select(QuestionnaireVersion).join(Questionnaire).order_by(Questionnaire.key, QuestionnaireVersion.number)
        )
    )
