"""The questionnaire file format (docs/questionnaire-format.md): marshmallow schemas and cross-checks.

Structural checks live in the schemas; checks that need the whole file (unique keys, references to scales,
items and earlier pages, codes) run in :class:`QuestionnaireSchema` even when some fields failed, so that a
translator sees every problem in one pass.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..config import SUPPORTED_LANGUAGES
from .conditions import condition_problems, referenced_leaves
from .types import ITEM_TYPES, MAX_CODE, MISSING_KINDS

FORMAT_VERSION = 1
MAX_TEXT_LENGTH = 4000
MAX_PAGES = 60
MAX_ITEMS = 400
MAX_OPTIONS = 100
#: mean: a 0–100 score; proportion: a share of codes; estimate: the mean of estimates out of 10, × 10, an
#: estimated percentage (officers' estimate of a residents' figure)
KINDS = ("mean", "proportion", "estimate")
MAX_VERSION = 999
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
PAGE_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

#: the languages the file declares, for the text fields to check against
declared_languages: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "declared_languages", default=SUPPORTED_LANGUAGES
)


class Text(fields.Field):
    """A text in every declared language: ``{en: "…", fr: "…"}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, Mapping):
            raise ValidationError("must be a mapping from language to text, e.g. {en: ..., fr: ...}")
        problems = []
        languages = declared_languages.get()
        for language in languages:
            text = value.get(language)
            if text is None or (isinstance(text, str) and not text.strip()):
                problems.append(f"no text for language '{language}'")
            elif not isinstance(text, str):
                problems.append(f"the '{language}' text must be a string")
            elif len(text) > MAX_TEXT_LENGTH:
                problems.append(f"the '{language}' text is longer than {MAX_TEXT_LENGTH} characters")
        for language in value:
            if language not in languages:
                problems.append(f"text for language '{language}', which the questionnaire does not declare")
        if problems:
            raise ValidationError(problems)
        return {language: value[language].strip() for language in languages}


class Number(fields.Float):
    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        result = super()._validated(value)
        if result is not None and not math.isfinite(result):
            raise ValidationError("must be a finite number")
        return result


class Flag(fields.Boolean):
    """``true`` or ``false`` as YAML writes them; not "yes", 1 or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Code(fields.Integer):
    """A whole number code; YAML's ``true`` is not ``1``."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, validate=validate.Range(0, MAX_CODE), **kwargs)


def key_field(pattern: str = KEY_PATTERN, **kwargs):
    return fields.String(required=True, validate=validate.Regexp(pattern, error="is not a valid key"), **kwargs)


def limited_list(inner, maximum: int, **kwargs):
    return fields.List(inner, validate=validate.Length(min=1, max=maximum), **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class OptionSchema(StrictSchema):
    code = Code(required=True)
    label = Text(required=True)
    exclusive = Flag(load_default=False)


class ScaleSchema(StrictSchema):
    options = limited_list(fields.Nested(OptionSchema), MAX_OPTIONS, required=True)


class MissingCodeSchema(StrictSchema):
    code = Code(required=True)
    label = Text(required=True)


class AnchorsSchema(StrictSchema):
    low = Text(required=True)
    high = Text(required=True)


class GridRowSchema(StrictSchema):
    key = key_field()
    text = Text(required=True)


class Condition(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        problems = list(condition_problems(value))
        if problems:
            raise ValidationError(_nest(problems))
        return value


class ItemSchema(StrictSchema):
    key = key_field()
    type = fields.String(required=True, validate=validate.OneOf(sorted(ITEM_TYPES)))
    text = Text(required=True)
    help = Text()
    required = Flag(load_default=False)
    missing = fields.List(fields.String(validate=validate.OneOf(MISSING_KINDS)), load_default=list)
    #: the item's own label for a missing code it offers ("No one ever asks the police to explain"), instead of
    #: the file's ("Does not apply")
    missing_labels = fields.Dict(keys=fields.String(validate=validate.OneOf(MISSING_KINDS)), values=Text())
    show_if = Condition()
    pilot_only = Flag(load_default=False)
    #: the respondent's background (role, length of service): when officers' sealed answers are released, a
    #: combination of background answers rarer than the threshold is withheld (responses.unsealing)
    background = Flag()
    # type-specific keys; ItemType.allowed_keys says which type takes which
    options = limited_list(fields.Nested(OptionSchema), MAX_OPTIONS)
    scale = fields.String()
    anchors = fields.Nested(AnchorsSchema)
    min = Number()
    max = Number()
    integer = Flag()
    unit = Text()
    max_length = fields.Integer(strict=True, validate=validate.Range(1, MAX_TEXT_LENGTH))
    rows = limited_list(fields.Nested(GridRowSchema), MAX_OPTIONS)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def check_type_specific_keys(self, data, original_data, **kwargs):
        item_type = ITEM_TYPES.get(data.get("type"))
        if item_type is None:
            return
        common = {"key", "type", "text", "help", "required", "missing", "missing_labels", "show_if", "pilot_only",
                  "background"}
        problems = []
        for key in sorted(set(original_data) - common - item_type.allowed_keys):
            if key in self.fields:
                problems.append(((key,), f"not allowed on a {item_type.name} item"))
        for key in sorted(item_type.required_keys - set(original_data)):
            problems.append(((key,), f"required for a {item_type.name} item"))
        if data.get("missing") and not item_type.offers_missing:
            problems.append((("missing",), f"a {item_type.name} item cannot offer missing-value codes"))
        for kind in sorted(set(data.get("missing_labels") or {}) - set(data.get("missing") or [])):
            problems.append((("missing_labels", kind), f"'{kind}' is not among the item's missing codes"))
        problems.extend(item_type.structure_problems(data))
        if problems:
            raise ValidationError(_nest(problems))


class PageSchema(StrictSchema):
    key = key_field(PAGE_KEY_PATTERN)
    title = Text(required=True)
    intro = Text()
    show_if = Condition()
    pilot_only = Flag(load_default=False)
    items = limited_list(fields.Nested(ItemSchema), MAX_ITEMS, required=True)


class IndicatorSchema(StrictSchema):
    key = key_field()
    label = Text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    items = limited_list(fields.String(), 50, required=True)
    codes = fields.List(Code(), validate=validate.Length(min=1))
    reverse = fields.List(fields.String(), load_default=list)
    min_answered = fields.Integer(strict=True, validate=validate.Range(min=1))
    base = Condition()
    mirror_of = fields.String(validate=validate.Regexp(KEY_PATTERN, error="is not a valid key"))

    @validates_schema(skip_on_field_errors=False)
    def check_kind(self, data, **kwargs):
        problems = []
        items = data.get("items") or []
        if data.get("kind") == "proportion":
            if "codes" not in data:
                problems.append((("codes",), "required for a proportion"))
            if len(items) > 1:
                problems.append((("items",), "a proportion takes exactly one item"))
            for key in ("reverse", "min_answered"):
                if data.get(key):
                    problems.append(((key,), "only for a mean"))
        elif data.get("kind") == "estimate":
            if len(items) > 1:
                problems.append((("items",), "an estimate takes exactly one item"))
            for key in ("codes", "reverse", "min_answered"):
                if data.get(key):
                    problems.append(((key,), "only for a mean" if key != "codes" else "only for a proportion"))
        elif data.get("kind") == "mean":
            if "codes" in data:
                problems.append((("codes",), "only for a proportion"))
            for index, key in enumerate(data.get("reverse", [])):
                if key not in items:
                    problems.append((("reverse", index), f"'{key}' is not one of the indicator's items"))
            if data.get("min_answered", 0) > len(items):
                problems.append((("min_answered",), "cannot exceed the number of items"))
        if problems:
            raise ValidationError(_nest(problems))

    @post_load
    def fill_defaults(self, data, **kwargs):
        if data["kind"] == "mean" and "min_answered" not in data:
            data["min_answered"] = math.ceil(len(data["items"]) * 2 / 3)
        return data


class Comparability(fields.Field):
    """``all``, or the list of declared languages in which an item means what it meant in the earlier version."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all":
            return list(declared_languages.get())
        if not isinstance(value, list) or not value or not all(isinstance(language, str) for language in value):
            raise ValidationError("must be all, or a non-empty list of languages")
        unknown = [language for language in value if language not in declared_languages.get()]
        if unknown:
            raise ValidationError(f"{', '.join(unknown)}: not a declared language")
        return sorted(set(value))


class ComparableWithSchema(StrictSchema):
    version = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_VERSION))
    items = fields.Dict(keys=fields.String(validate=validate.Regexp(KEY_PATTERN, error="is not a valid key")),
                        values=Comparability(), load_default=dict)


class QuestionnaireSchema(StrictSchema):
    format = fields.Integer(strict=True, required=True, validate=validate.Equal(FORMAT_VERSION))
    key = key_field(SLUG_PATTERN)
    #: the number this file publishes as, where it says; published versions are numbered in order anyway
    version = fields.Integer(strict=True, validate=validate.Range(1, MAX_VERSION))
    #: per answer key, the languages in which it can be compared with an earlier version (absent: a break)
    comparable_with = fields.Nested(ComparableWithSchema)
    audience = fields.String(required=True, validate=validate.OneOf(["resident", "officer"]))
    languages = fields.List(
        fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES)),
        required=True,
        validate=validate.Length(min=1),
    )
    default_language = fields.String(required=True)
    title = Text(required=True)
    introduction = Text(required=True)
    duration_minutes = fields.Integer(strict=True, required=True, validate=validate.Range(1, 120))
    missing = fields.Dict(
        keys=fields.String(validate=validate.OneOf(MISSING_KINDS)),
        values=fields.Nested(MissingCodeSchema),
        load_default=dict,
    )
    scales = fields.Dict(
        keys=fields.String(validate=validate.Regexp(KEY_PATTERN, error="is not a valid scale name")),
        values=fields.Nested(ScaleSchema),
        load_default=dict,
    )
    pages = limited_list(fields.Nested(PageSchema), MAX_PAGES, required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), load_default=list)

    @validates_schema(skip_on_field_errors=False)
    def check_references(self, data, **kwargs):
        problems = list(_reference_problems(data))
        if problems:
            raise ValidationError(_nest(problems))

    @post_load
    def resolve_scales(self, data, **kwargs):
        """Copy each scale's options into the items that use it, so that readers need not resolve names."""
        for page in data["pages"]:
            for item in page["items"]:
                if "scale" in item:
                    item["options"] = data["scales"][item["scale"]]["options"]
        return data


def _reference_problems(data: Mapping) -> Iterator[tuple[tuple, str]]:
    languages = data.get("languages") or []
    if languages and len(set(languages)) != len(languages):
        yield ("languages",), "a language is listed twice"
    if "default_language" in data and languages and data["default_language"] not in languages:
        yield ("default_language",), "must be one of the declared languages"
    scales = data.get("scales") or {}
    missing = data.get("missing") or {}
    for name, scale in scales.items():
        codes = [option.get("code") for option in scale.get("options") or []]
        yield from _duplicate_code_problems(codes, ("scales", name, "options"))
    seen_keys: dict[str, tuple] = {}
    seen_pages: set[str] = set()
    items_by_key: dict[str, tuple[Mapping, int]] = {}  # answer key -> (item, page index)
    district_items = 0
    for page_index, page in enumerate(data.get("pages") or []):
        page_path = ("pages", page_index)
        if page.get("key") in seen_pages:
            yield page_path + ("key",), f"page key '{page['key']}' is used twice"
        seen_pages.add(page.get("key"))
        yield from _condition_reference_problems(page.get("show_if"), page_path + ("show_if",), items_by_key, page_index)
        page_items: dict[str, tuple[Mapping, int]] = {}
        for item_index, item in enumerate(page.get("items") or []):
            path = page_path + ("items", item_index)
            item_type = ITEM_TYPES.get(item.get("type"))
            yield from _condition_reference_problems(item.get("show_if"), path + ("show_if",), items_by_key, page_index)
            if item_type is not None and item_type.holds_district:
                district_items += 1
                if district_items == 2:
                    yield path + ("type",), "a questionnaire has at most one district item"
            scale_name = item.get("scale")
            if scale_name is not None and scale_name not in scales:
                yield path + ("scale",), f"unknown scale '{scale_name}'"
            options = item.get("options") or (scales.get(scale_name) or {}).get("options") or []
            codes = [option.get("code") for option in options]
            if "options" in item:
                yield from _duplicate_code_problems(codes, path + ("options",))
            if item_type is not None and ("options" in item or scale_name in scales):
                for problem in item_type.option_problems(options):
                    yield path + ("options" if "options" in item else "scale",), problem
            substantive = (item_type.codes(dict(item, options=options)) if item_type else None) or codes
            for missing_index, kind in enumerate(item.get("missing") or []):
                if kind not in missing:
                    yield path + ("missing", missing_index), f"'{kind}' is not defined under missing"
                elif missing[kind].get("code") in substantive:
                    yield path + ("missing", missing_index), f"the code of '{kind}' is also a substantive code"
            key_paths = item_type.answer_key_paths(item) if item_type is not None else []
            for key, key_at in key_paths:
                if key is None:
                    continue
                key_path = path + key_at
                if key in seen_keys:
                    yield key_path, f"key '{key}' is used twice"
                seen_keys[key] = key_path
                if item_type is not None:
                    page_items[key] = (dict(item, options=options), page_index)
        items_by_key.update(page_items)
    yield from _indicator_problems(data.get("indicators") or [], items_by_key)
    comparable = data.get("comparable_with") or {}
    if comparable and data.get("version") is not None and comparable.get("version", 0) >= data["version"]:
        yield ("comparable_with", "version"), "must be an earlier version than this file's"
    for key in sorted(set(comparable.get("items") or {}) - set(seen_keys)):
        yield ("comparable_with", "items", key), f"'{key}' is not an answer key of this questionnaire"


def _duplicate_code_problems(codes, path):
    seen = set()
    for index, code in enumerate(codes):
        if code in seen:
            yield path + (index, "code"), f"code {code} is used twice"
        seen.add(code)


def _condition_reference_problems(condition, path, earlier_items, page_index):
    if condition is None or list(condition_problems(condition)):
        return
    for leaf_path, leaf in referenced_leaves(condition):
        key = leaf["item"]
        found = earlier_items.get(key)
        if found is None:
            yield path + leaf_path + ("item",), f"'{key}' is not an item on an earlier page"
            continue
        item, _ = found
        item_type = ITEM_TYPES[item["type"]]
        if not item_type.is_coded:
            yield path + leaf_path + ("item",), f"'{key}' is a text item; conditions need a coded item"
            continue
        yield from _code_problems(leaf, item, path + leaf_path)


def _code_problems(leaf, item, path):
    valid = ITEM_TYPES[item["type"]].codes(item)
    if valid is None:
        return
    for test in ("equals", "in"):
        if test in leaf:
            for code in [leaf[test]] if test == "equals" else leaf[test]:
                if code not in valid:
                    yield path + (test,), f"{code} is not a code of '{item['key']}'"


def _indicator_problems(indicators, items_by_key):
    seen = set()
    for index, indicator in enumerate(indicators):
        path = ("indicators", index)
        if indicator.get("key") in seen:
            yield path + ("key",), f"indicator key '{indicator['key']}' is used twice"
        seen.add(indicator.get("key"))
        for item_index, key in enumerate(indicator.get("items") or []):
            found = items_by_key.get(key)
            if found is None:
                yield path + ("items", item_index), f"unknown item '{key}'"
            elif not ITEM_TYPES[found[0]["type"]].holds_one_number:
                yield path + ("items", item_index), f"'{key}' does not hold a single number"
            elif indicator.get("kind") in KINDS and indicator["kind"] not in ITEM_TYPES[found[0]["type"]].indicator_kinds:
                yield path + ("items", item_index), f"a {found[0]['type']} item cannot feed a {indicator['kind']} indicator"
            elif indicator.get("kind") == "proportion":
                valid = ITEM_TYPES[found[0]["type"]].codes(found[0])
                for code_index, code in enumerate(indicator.get("codes") or []):
                    if valid is not None and code not in valid:
                        yield path + ("codes", code_index), f"{code} is not a code of '{key}'"
        base = indicator.get("base")
        if base is not None and not list(condition_problems(base)):
            everything = {key: (item, 0) for key, (item, _) in items_by_key.items()}
            yield from _condition_reference_problems(base, path + ("base",), everything, 1)


def _nest(problems) -> dict | list:
    """Turn ``[(path, message)]`` into marshmallow's nested error dictionary."""
    tree: dict = defaultdict(list)
    root: list[str] = []
    for path, message in problems:
        if not path:
            root.append(message)
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node
            if isinstance(node, list):  # a message already stands where a subtree is needed
                break
        if isinstance(node, dict):
            node.setdefault(path[-1], [])
            if isinstance(node[path[-1]], list):
                node[path[-1]].append(message)
    result = {key: value for key, value in tree.items()}
    if root:
        if not result:
            return root
        result["_schema"] = root
    return result


#: marshmallow's wording, in the words of the format document
PLAIN_MESSAGES = {
    "Missing data for required field.": "is required",
    "Unknown field.": "unknown key (see docs/questionnaire-format.md)",
    "Not a valid integer.": "must be a whole number",
    "Not a valid boolean.": "must be true or false",
    "Not a valid string.": "must be text",
    "Not a valid list.": "must be a list",
    "Not a valid mapping type.": "must be a mapping",
    "Invalid input type.": "must be a mapping",
    "Not a valid number.": "must be a number",
}
# marshmallow reports a mapping's entries under "key" and "value": scales.agree5.value.options → scales.agree5.options
_DICT_ENTRY = re.compile(r"^((?:scales|missing|comparable_with\.items)\.[^.\[]+)\.(?:value|key)(?=$|[.\[])")


def flatten_errors(messages, path: str = "") -> list[tuple[str, str]]:
    """Marshmallow's nested errors as ``(path, message)`` pairs, with paths like ``pages[2].items[4].key``."""
    if isinstance(messages, str):
        return [(_DICT_ENTRY.sub(r"\1", path), PLAIN_MESSAGES.get(messages, messages))]
    if isinstance(messages, list):
        return [pair for message in messages for pair in flatten_errors(message, path)]
    flat = []
    for key in sorted(messages, key=lambda k: (not isinstance(k, int), str(k) if not isinstance(k, int) else f"{k:08d}")):
        if key == "_schema":
            child = path
        elif isinstance(key, int):
            child = f"{path}[{key}]"
        else:
            child = f"{path}.{key}" if path else str(key)
        flat.extend(flatten_errors(messages[key], child))
    return flat
