"""Reading questionnaire files: size limits, safe YAML, validation, one list of every problem."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import ValidationError
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from ..core.inputs import is_storable
from .format import QuestionnaireSchema, declared_languages, flatten_errors

MAX_FILE_BYTES = 1024 * 1024
#: deeper than any questionnaire needs (conditions nest a few levels); the composer recurses once per level
MAX_DEPTH = 64
#: longer than any whole number a questionnaire needs; YAML's 1:2:3 integers take quadratic time in their length
MAX_INTEGER_LENGTH = 32


class QuestionnaireFileError(ValueError):
    """A file that cannot be published; ``problems`` lists every fault as ``file: path: problem``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases, which let a small file expand into a huge one, nested at most
    MAX_DEPTH levels, holding only text a database can store; every fault is a YAMLError that names the line."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, "anchors and aliases are not allowed", event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if getattr(node, "anchor", None):
            raise ComposerError(None, None, "anchors and aliases are not allowed", node.start_mark)
        return node

    def construct_object(self, node, deep=False):
        # PyYAML's own constructors fail with these on hostile scalars: 2020-13-45, !!bool maybe, !!timestamp x
        try:
            return super().construct_object(node, deep)
        except (AttributeError, LookupError, TypeError, ValueError):
            kind = node.tag.rsplit(":", 1)[-1]
            raise ConstructorError(None, None, f"this value cannot be read as {kind}", node.start_mark) from None

    def construct_scalar(self, node):
        value = super().construct_scalar(node)
        if isinstance(value, str) and not is_storable(value):
            raise ConstructorError(None, None, "NUL or a lone surrogate (\\0, \\ud800…) cannot be stored", node.start_mark)
        return value

    def construct_bounded_int(self, node):
        if len(node.value) > MAX_INTEGER_LENGTH:
            raise ConstructorError(None, None, f"a number longer than {MAX_INTEGER_LENGTH} characters", node.start_mark)
        return self.construct_yaml_int(node)


_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasLoader.construct_bounded_int)


def parse_definition(text: str | bytes, name: str) -> dict:
    """Validate a questionnaire's YAML text and return its definition, or raise QuestionnaireFileError."""
    # the shipped questionnaires are read again by every demo load and test: parsing and validating one takes
    # most of a second, so the same text gives a copy of the same definition
    return copy.deepcopy(_parsed(text, name))


@lru_cache(maxsize=16)
def _parsed(text: str | bytes, name: str) -> dict:
    if len(text) > MAX_FILE_BYTES:
        raise QuestionnaireFileError([f"{name}: the file is larger than {MAX_FILE_BYTES // 1024} KB"])
    try:
        raw = yaml.load(text, Loader=_NoAliasLoader)  # safe: a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireFileError([f"{name}: {where}not valid YAML ({problem})"]) from None
    except RecursionError:  # the last resort: MAX_DEPTH stops nesting long before the stack is used up
        raise QuestionnaireFileError([f"{name}: not valid YAML (nested too deeply)"]) from None
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
        # the size from what the file gives, not from stat(): /dev/zero, a pipe or /proc files say 0 and never end
        with path.open("rb") as file:
            text = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise QuestionnaireFileError([f"{path.name}: cannot be read ({error.strerror})"]) from None
    if len(text) > MAX_FILE_BYTES:
        raise QuestionnaireFileError([f"{path.name}: the file is larger than {MAX_FILE_BYTES // 1024} KB"])
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise QuestionnaireFileError([f"{path.name}: the file is not UTF-8 text"]) from None
    return parse_definition(decoded, path.name)


def content_hash(definition: dict) -> str:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
