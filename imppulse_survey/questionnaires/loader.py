"""Reading questionnaire files: size limits, safe YAML, validation, one list of every problem."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from marshmallow import ValidationError

from .format import QuestionnaireSchema, declared_languages, flatten_errors

MAX_FILE_BYTES = 1024 * 1024


class QuestionnaireFileError(ValueError):
    """A file that cannot be published; ``problems`` lists every fault as ``file: path: problem``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases, which let a small file expand into a huge one."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not allowed", event.start_mark
            )
        node = super().compose_node(parent, index)
        if getattr(node, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "anchors and aliases are not allowed", node.start_mark)
        return node


def parse_definition(text: str | bytes, name: str) -> dict:
    """Validate a questionnaire's YAML text and return its definition, or raise QuestionnaireFileError."""
    if len(text) > MAX_FILE_BYTES:
        raise QuestionnaireFileError([f"{name}: the file is larger than {MAX_FILE_BYTES // 1024} KB"])
    try:
        raw = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireFileError([f"{name}: {where}not valid YAML ({problem})"]) from None
    if not isinstance(raw, dict):
        raise QuestionnaireFileError([f"{name}: the file must be a mapping with format, key, pages…"])
    return validate_definition(raw, name)


def validate_definition(raw: dict, name: str) -> dict:
    languages = raw.get("languages")
    usable = isinstance(languages, list) and all(isinstance(language, str) for language in languages) and languages
    token = declared_languages.set(tuple(languages) if usable else declared_languages.get())
    try:
        return QuestionnaireSchema().load(raw)
    except ValidationError as error:
        problems = [f"{name}: {path}: {message}" if path else f"{name}: {message}"
                    for path, message in flatten_errors(error.messages)]
        raise QuestionnaireFileError(problems) from None
    finally:
        declared_languages.reset(token)


def load_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise QuestionnaireFileError([f"{path.name}: the file is larger than {MAX_FILE_BYTES // 1024} KB"])
        text = path.read_bytes()
    except OSError as error:
        raise QuestionnaireFileError([f"{path.name}: cannot be read ({error.strerror})"]) from None
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise QuestionnaireFileError([f"{path.name}: the file is not UTF-8 text"]) from None
    return parse_definition(decoded, path.name)


def content_hash(definition: dict) -> str:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
