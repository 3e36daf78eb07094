"""An XLSForm read as a questionnaire definition, with a report of everything that could not be kept.

pyxform reads the workbook (its own checks first: a form it refuses is refused here too); its structure is then
mapped: ``label::French (fr)`` columns → languages, top-level groups → pages, questions → items (each item type
reads its own, ``ItemType.from_xlsform``), ``relevant`` → conditions (``questionnaires/xpath.py``), ``required``,
and the constraints our types write. A condition on a question of the same group splits the page there, since a
condition may only test earlier pages. What cannot be kept (another question type, an expression the format
cannot say, a note in the middle of a page…) is left out and reported, one line each. The result goes through the
questionnaire loader like any YAML file.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from babel import Locale
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from ..config import SUPPORTED_LANGUAGES
from ..questionnaires import xpath
from ..questionnaires.format import KEY_PATTERN, PAGE_KEY_PATTERN, SLUG_PATTERN
from ..questionnaires.loader import QuestionnaireFileError, validate_definition
from ..questionnaires.types import ITEM_TYPES, MISSING_KINDS, XLSFORM_TYPES, XLSFormChoice, XLSFormQuestion
from .writer import INTRODUCTION_MARK, MISSING_LIST, PAGE_INTRO_MARK, YES

#: pyxform's names for the select types, in the sheet's words
SELECT_TYPES = {"select one": "select_one", "select all that apply": "select_multiple"}
#: what a form records about the device and the interview, never about the respondent's answers: not items
METADATA_TYPES = frozenset({"start", "end", "today", "deviceid", "username", "phonenumber", "simserial",
                            "subscriberid", "email", "audit", "start-geopoint", "background-audio"})
DEFAULT_MISSING_CODES = {"dont_know": 98, "prefer_not_to_say": 99, "not_applicable": 97}
TRUE_VALUES = frozenset({"yes", "true", "true()", "1"})
#: pyxform's name for texts of a form that names no language
PYXFORM_DEFAULT = "default"
MAX_DURATION = 120
ITEMS_PER_MINUTE = 3


class XLSFormError(ValueError):
    """A file pyxform cannot read as an XLSForm."""


@dataclass
class ReadForm:
    """What an XLSForm says in the questionnaire format: ``definition`` (validated; None when the loader refused
    what was read, ``problems`` saying why), ``raw`` (what was read) and ``unmapped`` (what was left out)."""

    raw: dict
    unmapped: list[str]
    definition: dict | None = None
    problems: list[str] = field(default_factory=list)


def read_xlsform(data: bytes, name: str = "form.xlsx", *, key: str | None = None,
                 audience: str = "resident") -> ReadForm:
    """Read an XLSForm (``.xlsx``, ``.xls``, ``.csv`` or pyxform's markdown) as a questionnaire definition."""
    warnings: list[str] = []
    try:
        workbook = get_xlsform(xlsform=data)
        form = workbook_to_json(workbook_dict=workbook, warnings=warnings)
    except PyXFormError as error:
        raise XLSFormError(f"{name}: not an XLSForm pyxform can read ({error})") from None
    except Exception as error:  # noqa: BLE001 - pyxform's readers fail on a damaged file in their own ways
        raise XLSFormError(f"{name}: cannot be read as a workbook ({type(error).__name__})") from None
    reader = _Reader(form, (workbook.settings or [{}])[0], warnings)
    raw = reader.definition(key=key, audience=audience, name=name)
    read = ReadForm(raw=raw, unmapped=reader.unmapped)
    try:
        read.definition = validate_definition(raw, name)
    except QuestionnaireFileError as error:
        read.problems = error.problems
    return read


@dataclass
class _Known:
    """A question read as an item, for the conditions that name it."""

    key: str
    code_of: Mapping[str, int | str]
    is_coded: bool
    page: int


class _Reader:
    def __init__(self, form: Mapping, settings: Mapping, warnings: list[str]):
        self.form = form
        self.settings = settings
        self.unmapped = [f"pyxform: {warning}" for warning in warnings]
        self.languages = self._languages()
        self.pages: list[dict] = []
        self.known: dict[str, _Known] = {}
        self.keys: set[str] = set()
        self.missing_seen: list[tuple[dict, str, dict, int | None]] = []  # (item, kind, label, code)
        self.borrowed: Counter = Counter()  # language → texts filled in from the default language
        self.title: dict | None = None
        self._originals: dict[str, str] = {}  # key → the name the form gives the question
        self.introduction: dict | None = None

    # languages and texts

    def _languages(self) -> dict[str, str]:
        """pyxform's language names → our codes, in the order found; unknown languages are reported."""
        names: dict[str, None] = {}
        self._collect_languages(self.form, names)
        default = self.form.get("default_language") or PYXFORM_DEFAULT
        mapped: dict[str, str] = {}
        for name in [default, *names]:
            code = _language_code(name) if name != PYXFORM_DEFAULT else None
            if name == PYXFORM_DEFAULT:
                code = _language_code(self.settings.get("default_language") or "") or "en"
            if code is None:
                if name in names:
                    self.unmapped.append(f"language {name!r}: not one of {', '.join(SUPPORTED_LANGUAGES)}; its texts "
                                         "are left out")
                continue
            if name in names and code not in mapped.values():
                mapped[name] = code
        return mapped

    def _collect_languages(self, element, names: dict) -> None:
        for column in ("label", "hint"):
            value = element.get(column)
            if isinstance(value, Mapping):
                names.update(dict.fromkeys(value))
            elif isinstance(value, str) and value:
                names[PYXFORM_DEFAULT] = None
        choices = element.get("choices")
        for child in [*element.get("children", []), *(choices if isinstance(choices, list) else [])]:
            self._collect_languages(child, names)

    @property
    def default_language(self) -> str:
        wanted = _language_code(self.settings.get("default_language") or "")
        codes = list(self.languages.values())
        return wanted if wanted in codes else (codes[0] if codes else "en")

    def text(self, value, fallback: str | None = None) -> dict | None:
        """A text in every language; a language a cell leaves empty borrows the default language's."""
        if isinstance(value, str):
            value = {PYXFORM_DEFAULT: value}
        given = {self.languages[name]: text.strip() for name, text in (value or {}).items()
                 if name in self.languages and isinstance(text, str) and text.strip()}
        if not given:
            return {code: fallback for code in self.languages.values()} if fallback else None
        base = given.get(self.default_language) or next(iter(given.values()))
        for code in self.languages.values():
            if code not in given:
                self.borrowed[code] += 1
                given[code] = base
        return {code: given[code] for code in self.languages.values()}

    # the form

    def definition(self, *, key: str | None, audience: str, name: str) -> dict:
        loose: list[dict] = []  # questions outside any group, gathered into a page of their own
        for element in self.form.get("children", []):
            kind = element.get("type")
            if kind == "group" and element.get("name") == "meta":
                continue
            if kind == "group" and element.get("imppulse_type") == INTRODUCTION_MARK:
                self._introduction_group(element)
            elif kind == "group":
                self._flush_loose(loose)
                self._page(element)
            elif kind == "note" and not self.pages and not loose:
                self.introduction = self._joined(self.introduction, self.text(element.get("label")))
            else:
                loose.append(element)
        self._flush_loose(loose)
        title = self.title or self.text(self.form.get("title"), fallback=self.form.get("title") or "Questionnaire")
        if self.introduction is None:
            self.unmapped.append("no introduction (a note before the first group): the title stands in; write one "
                                 "that says what the survey is for, that it is anonymous and voluntary")
        for code, count in sorted(self.borrowed.items()):
            self.unmapped.append(f"{count} text(s) have no {code} version: the {self.default_language} one stands in")
        return {
            "format": 1,
            "key": key or self._form_key(name),
            "audience": audience,
            "languages": list(self.languages.values()) or ["en"],
            "default_language": self.default_language,
            "title": title,
            "introduction": self.introduction or title,
            "duration_minutes": self._duration(),
            "missing": self._missing(),
            "pages": self.pages,
        }

    def _form_key(self, name: str) -> str:
        given = self.settings.get("imppulse_questionnaire") or self.form.get("id_string") or name.rsplit(".", 1)[0]
        slug = re.sub(r"[^a-z0-9-]+", "-", str(given).lower()).strip("-")[:64] or "xlsform"
        return slug if re.match(SLUG_PATTERN, slug) else f"q-{slug}"[:64]

    def _duration(self) -> int:
        given = str(self.settings.get("imppulse_duration") or "")
        if given.isdigit() and 1 <= int(given) <= MAX_DURATION:
            return int(given)
        estimate = max(1, min(MAX_DURATION, math.ceil(len(self.known) / ITEMS_PER_MINUTE)))
        self.unmapped.append(f"duration: not given; {estimate} minutes estimated from the number of questions")
        return estimate

    def _introduction_group(self, group: Mapping) -> None:
        self.title = self.text(group.get("label"))
        notes = [child for child in group.get("children", []) if _element_kind(child) == "note"]
        for child in notes:
            self.introduction = self._joined(self.introduction, self.text(child.get("label")))

    @staticmethod
    def _joined(first: dict | None, second: dict | None) -> dict | None:
        if not first or not second:
            return first or second
        return {code: f"{first[code]}\n\n{second[code]}" for code in first}

    def _flush_loose(self, loose: list[dict]) -> None:
        if not loose:
            return
        number = len(self.pages) + 1
        self.unmapped.append(f"questions outside any group ({', '.join(e.get('name', '?') for e in loose[:5])}…) "
                             f"make page {number} of their own")
        self._page({"name": f"page_{number}", "label": self.form.get("title") or f"Page {number}",
                    "children": list(loose)})
        loose.clear()

    def _page(self, group: Mapping) -> None:
        key = _page_key(group.get("name", ""), {page["key"] for page in self.pages})
        page = {"key": key, "title": self.text(group.get("label"), fallback=group.get("name") or key), "items": []}
        if group.get("imppulse_pilot_only") == YES:
            page["pilot_only"] = True
        show_if = self.condition(group.get("bind", {}).get("relevant"), f"group {group.get('name')}")
        if show_if:
            page["show_if"] = show_if
        self.pages.append(page)
        self._children(group, None)
        if not self.pages[-1]["items"]:
            self.pages.pop()
            self.unmapped.append(f"group {group.get('name')}: no question that could be kept; left out")

    def _children(self, group: Mapping, inherited: dict | None) -> None:
        for element in group.get("children", []):
            kind = element.get("type")
            name = element.get("name", "?")
            if kind == "note":
                if element.get("imppulse_type") == PAGE_INTRO_MARK or (not self.pages[-1]["items"]
                                                                       and "intro" not in self.pages[-1]):
                    self.pages[-1]["intro"] = self._joined(self.pages[-1].get("intro"), self.text(element.get("label")))
                else:
                    self.unmapped.append(f"{name}: a note between questions; left out")
            elif kind == "group" and self._grid_type(element) is not None:
                self._add(self._grid(element, self._grid_type(element)), element, inherited)
            elif kind == "group":
                condition = self.condition(element.get("bind", {}).get("relevant"), f"group {name}")
                both = [part for part in (inherited, condition) if part]
                self.unmapped.append(f"group {name}: a group within a page; its questions join the page")
                self._children(element, both[0] if len(both) == 1 else ({"all": both} if both else None))
            elif kind == "repeat":
                self.unmapped.append(f"{name}: a repeat; not supported, left out")
            elif kind in METADATA_TYPES:
                self.unmapped.append(f"{name}: {kind} metadata; not stored, left out")
            else:
                self._add(self._question(element), element, inherited)

    def _grid_type(self, group: Mapping):
        marked = ITEM_TYPES.get(group.get("imppulse_type") or "")
        if marked is not None and "table-list" in marked.xlsform_types:
            return marked
        if any(str(child.get("name", "")).startswith("reserved_name_for_field_list_labels")
               for child in group.get("children", [])):
            return XLSFORM_TYPES["table-list"]  # pyxform's reading of a table-list group
        return None

    def _grid(self, group: Mapping, kind) -> tuple | None:
        rows, label = [], group.get("label")
        for child in group.get("children", []):
            name = str(child.get("name", ""))
            if name.startswith("generated_table_list_label"):
                label = label or child.get("label")
            elif not name.startswith("reserved_name_for_field_list_labels"):
                question = self._as_question(child)
                if question is not None:
                    rows.append(question)
        question = XLSFormQuestion("table-list", self._key(group.get("name", "")), self.text(label, fallback=group.get(
            "name")), rows=rows)
        self._originals[question.name] = group.get("name", "")
        return kind, question, group, group.get("name")

    def _question(self, element: Mapping) -> tuple | None:
        question = self._as_question(element)
        if question is None:
            return None
        marked = ITEM_TYPES.get(element.get("imppulse_type") or "")
        kind = marked if marked is not None and question.xlsform_type in marked.xlsform_types else \
            XLSFORM_TYPES.get(question.xlsform_type)
        if kind is None:
            self.unmapped.append(f"{element.get('name')}: {element.get('type')} questions are not supported; left out")
            return None
        return kind, question, element, element.get("name")

    def _as_question(self, element: Mapping) -> XLSFormQuestion | None:
        xlsform_type = SELECT_TYPES.get(element.get("type"), element.get("type"))
        if xlsform_type not in XLSFORM_TYPES and not any(xlsform_type in kind.xlsform_types
                                                         for kind in ITEM_TYPES.values()):
            self.unmapped.append(f"{element.get('name')}: {element.get('type')} questions are not supported; left out")
            return None
        for column in ("choice_filter", "default", "calculation", "trigger", "readonly"):
            if element.get(column) or element.get("bind", {}).get(column):
                self.unmapped.append(f"{element.get('name')}: its {column} is not supported; left out")
        choices = [XLSFormChoice(str(choice.get("name")), self.text(choice.get("label"), fallback=str(choice.get(
            "name"))), int(choice["imppulse_code"]) if str(choice.get("imppulse_code", "")).isdigit() else None)
            for choice in element.get("choices") or []]
        columns = {column.removeprefix("imppulse_"): self.text(value) if isinstance(value, Mapping) else value
                   for column, value in element.items() if column.startswith("imppulse_")}
        key = self._key(element.get("name", ""))
        self._originals[key] = element.get("name", "")
        return XLSFormQuestion(xlsform_type, key,
                               self.text(element.get("label"), fallback=element.get("name")), choices=choices,
                               constraint=element.get("bind", {}).get("constraint", ""),
                               appearance=element.get("control", {}).get("appearance", ""), columns=columns)

    def _add(self, found: tuple | None, element: Mapping, inherited: dict | None) -> None:
        if found is None:
            return
        kind, question, _, name = found
        read = kind.from_xlsform(question)
        self.unmapped.extend(question.unmapped)
        item_kind = ITEM_TYPES[read["type"]]
        item = {"key": question.name, "type": read.pop("type"), "text": question.label}
        hint = self.text(element.get("hint"))
        if hint:
            item["help"] = hint
        required = str(element.get("bind", {}).get("required", "")).strip().lower() in TRUE_VALUES or any(
            str(row_element.get("bind", {}).get("required", "")).lower() in TRUE_VALUES
            for row_element in element.get("children", []) if isinstance(row_element, Mapping))
        if required:
            item["required"] = True
        if question.missing and item_kind.offers_missing:
            item["missing"] = list(question.missing)
            for kind_name, (label, code) in question.missing.items():
                self.missing_seen.append((item, kind_name, label, code))
        item.update(read)
        condition = self.condition(element.get("bind", {}).get("relevant"), name)
        both = [part for part in (inherited, condition) if part]
        if both:
            item["show_if"] = both[0] if len(both) == 1 else {"all": both}
        if element.get("imppulse_pilot_only") == YES:
            item["pilot_only"] = True
        if name != question.name:
            self.unmapped.append(f"{name}: renamed {question.name} (keys are lower-case letters, digits and _)")
        if "show_if" in item and self._tests_this_page(item["show_if"]):
            self._split_page(question.name)
        self.pages[-1]["items"].append(item)
        for source in question.rows or [question]:
            self.known[self._originals.get(source.name, source.name)] = _Known(
                source.name, question.code_of, item_kind.is_coded, len(self.pages) - 1)

    def _tests_this_page(self, condition: Mapping) -> bool:
        here = len(self.pages) - 1
        keys = {leaf["item"] for _, leaf in xpath_leaves(condition)}
        return any(known.page == here for known in self.known.values() if known.key in keys)

    def _split_page(self, before: str) -> None:
        page = self.pages[-1]
        number = sum(1 for other in self.pages if other["key"].startswith(page["key"].split("--")[0]))
        new = {"key": f"{page['key'].split('--')[0]}--{number + 1}"[:64], "title": page["title"], "items": []}
        for name in ("show_if", "pilot_only"):
            if name in page:
                new[name] = page[name]
        self.unmapped.append(f"page {page['key']}: split before {before}, whose condition tests a question of the "
                             "same page (a condition tests earlier pages)")
        self.pages.append(new)

    def _key(self, name: str) -> str:
        key = re.sub(r"[^a-z0-9_]", "_", str(name).lower())
        if not key[:1].isalpha():
            key = f"q_{key}"
        key = key[:40]
        base, number = key, 1
        while key in self.keys:
            number += 1
            key = f"{base[:36]}_{number}"
        if not re.match(KEY_PATTERN, key):
            key = f"q_{len(self.keys) + 1}"
        self.keys.add(key)
        return key

    def condition(self, relevant: str | None, where: str) -> dict | None:
        if not relevant:
            return None
        try:
            return xpath.condition(relevant, self._lookup)
        except xpath.Untranslatable as error:
            self.unmapped.append(f"{where}: relevant not translated ({error}), so it is shown to everyone: {relevant}")
            return None

    def _lookup(self, name: str) -> tuple[str, Mapping, bool]:
        known = self.known.get(name)
        if known is None:
            raise xpath.Untranslatable(f"${{{name}}} is not a question read before it")
        if not known.is_coded:
            raise xpath.Untranslatable(f"${{{name}}} is a text question; conditions test coded answers")
        return known.key, known.code_of, not known.code_of

    def _missing(self) -> dict:
        missing = {}
        used_codes = {option["code"] for page in self.pages for item in page["items"] for option in item.get(
            "options", [])}
        # our own exports keep the questionnaire's labels in a list of their own; else the commonest label is its
        own_labels = {str(choice.get("name")): self.text(choice.get("label"))
                      for choice in (self.form.get("choices") or {}).get(MISSING_LIST, [])}
        for kind in MISSING_KINDS:
            seen = [(item, label, code) for item, seen_kind, label, code in self.missing_seen if seen_kind == kind]
            if not seen:
                continue
            labels = Counter(tuple(sorted(label.items())) for _, label, _ in seen)
            label = own_labels.get(kind) or dict(labels.most_common(1)[0][0])
            code = next((code for _, _, code in seen if code is not None), DEFAULT_MISSING_CODES[kind])
            if code in used_codes:
                code = max(set(range(9000, 10000)) - used_codes)
                self.unmapped.append(f"missing code {kind}: {DEFAULT_MISSING_CODES[kind]} is an option's code; "
                                     f"{code} used")
            used_codes.add(code)
            missing[kind] = {"code": code, "label": label}
            for item, item_label, _ in seen:
                if item_label != label:
                    item.setdefault("missing_labels", {})[kind] = item_label
        return missing


def xpath_leaves(condition: Mapping):
    from ..questionnaires.conditions import referenced_leaves

    return referenced_leaves(condition)


def _element_kind(element: Mapping) -> str:
    """What a pyxform element is: group, note, select one, integer… (XLSForm's kinds, not our item types)."""
    return element.get("type", "")


def _language_code(name: str) -> str | None:
    """``French (fr)`` → ``fr``; ``French`` or ``Français`` → ``fr``; None for a language we do not support."""
    found = re.search(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\s*\)\s*$", name)
    if found:
        code = found.group(1).lower()
        return code if code in SUPPORTED_LANGUAGES else None
    wanted = name.strip().lower()
    for code in SUPPORTED_LANGUAGES:
        locale = Locale.parse(code)
        if wanted in (code, locale.get_display_name("en").lower(), locale.get_display_name(code).lower()):
            return code
    return None


def _page_key(name: str, taken: set[str]) -> str:
    key = str(name).lower().lstrip("_") or "page"
    key = re.sub(r"[^a-z0-9_-]", "_", key)[:64]
    if not re.match(PAGE_KEY_PATTERN, key):
        key = f"p{key}"[:64]
    base, number = key, 1
    while key in taken:
        number += 1
        key = f"{base[:60]}-{number}"
    return key
