"""A questionnaire written as an XLSForm (survey, choices and settings sheets) for ODK Collect and KoboCollect.

Each page is a group shown as one screen (``field-list``), each item writes its own rows (``ItemType.to_xlsform``)
and each condition becomes a ``relevant`` through the types of the items it tests. Texts carry a column per
language, ``label::French (fr)``, as ODK expects them. ``imppulse_*`` columns, which ODK ignores, keep what the
questionnaire format knows beyond XLSForm (an item's type where XLSForm's is ambiguous, a unit, a missing code's
number), so that an exported form reads back as the same questionnaire (``reader.py``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager

import xlsxwriter
from babel import Locale

from ..i18n import force_locale
from ..questionnaires.definition import item_type

#: the first group: the title, the introduction and the interview's language
INTRODUCTION, INTRODUCTION_NOTE = "introduction", "introduction_text"
#: the question of the introduction that records which language the interview was held in
LANGUAGE_QUESTION = "interview_language"
#: the ``imppulse_type`` of our own groups and notes that are no item
INTRODUCTION_MARK, PAGE_INTRO_MARK, LANGUAGE_MARK = "introduction", "page_intro", "interview_language"
PAGE_APPEARANCE = "field-list"
#: the choice list, used by no question, that keeps the questionnaire's own missing-code labels
MISSING_LIST = "imppulse_missing"
#: whole-form columns first, then translated ones in order of appearance
SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message",
                  "appearance", "imppulse_type", "imppulse_unit", "imppulse_pilot_only")
CHOICES_COLUMNS = ("list_name", "name", "label", "imppulse_code")
YES = "yes"

Say = Callable[[Mapping | None], str | None]


def language_header(code: str) -> str:
    """How a language is named in an XLSForm column: ``French (fr)``."""
    return f"{Locale.parse(code).get_display_name('en')} ({code})"


def xml_name(key: str) -> str:
    """An XLSForm name for a page key, which may start with a digit where an XML name may not."""
    return key if key[:1].isalpha() else f"_{key}"


def page_name(page: Mapping) -> str:
    return xml_name(page["key"])


class XLSFormWriter:
    """Collects the rows of the three sheets; item types write theirs through ``question`` and ``group``."""

    def __init__(self, definition, languages: Sequence[str], say_in: Callable[[str], Say], *,
                 districts: Sequence[tuple[int, str]] = (), has_pilot: bool = True):
        self.definition = definition
        self.languages = list(languages)
        self._say = {language: say_in(language) for language in self.languages}
        self.districts = list(districts)
        self.has_pilot = has_pilot
        self.survey: list[dict] = []
        self.choices: list[dict] = []
        self._lists: set[str] = set()
        self._in_group = 0

    # what item types call

    def question(self, xlsform_type: str, item: Mapping, *, name: str | None = None, text: Mapping | None = None,
                 choices: list[tuple[str, Mapping]] | None = None, list_name: str | None = None,
                 constraint: str = "", constraint_message=None, appearance: str = "", unit: Mapping | None = None):
        """One question: the item itself, or (``name`` and ``text`` given) one row of a group it writes."""
        row = {"type": xlsform_type, "name": name or item["key"], **self._texts("label", text or item["text"])}
        if choices is not None:
            list_name = list_name or row["name"]
            row["type"] = f"{xlsform_type} {list_name}"
            self._choice_list(list_name, choices)
        if name is None:
            row.update(self._item_columns(item))
        if item.get("required"):
            row["required"] = YES
        if constraint:
            row["constraint"] = constraint
            if constraint_message is not None:
                row.update(self._texts("constraint_message", self.in_every_language(lambda: str(constraint_message))))
        if appearance:
            row["appearance"] = appearance
        if unit:
            row.update(self._texts("imppulse_unit", unit))
        self.survey.append(row)

    @contextmanager
    def group(self, item: Mapping):
        """The rows written inside form one group, which carries the item's text, help and condition."""
        self.survey.append({"type": "begin group", "name": item["key"], **self._texts("label", item["text"]),
                            "appearance": PAGE_APPEARANCE, **self._item_columns(item)})
        yield
        self.survey.append({"type": "end group", "name": item["key"]})

    def missing_choices(self, item: Mapping) -> list[tuple[str, Mapping]]:
        """The missing codes an item offers, by kind, with the item's label for each."""
        return [(kind, self.definition.missing_label(item, kind)) for kind in item.get("missing", [])]

    def in_every_language(self, make: Callable[[], str]) -> dict[str, str]:
        """An interface text (from the catalogs) in each of the form's languages."""
        texts = {}
        for language in self.languages:
            with force_locale(language):
                texts[language] = make()
        return texts

    # the form

    def write(self, interview_languages: Sequence[tuple[str, str]] = ()) -> None:
        """Every page of the definition, after the introduction (and the interview's language, where given)."""
        data = self.definition.data
        self.survey.append({"type": "begin group", "name": INTRODUCTION, **self._texts("label", data["title"]),
                            "appearance": PAGE_APPEARANCE, "imppulse_type": INTRODUCTION_MARK})
        self.survey.append({"type": "note", "name": INTRODUCTION_NOTE, **self._texts("label", data["introduction"])})
        if interview_languages:
            choices = [(code, {language: name for language in self.languages}) for code, name in interview_languages]
            self._choice_list(LANGUAGE_QUESTION, choices)
            self.survey.append({"type": f"select_one {LANGUAGE_QUESTION}", "name": LANGUAGE_QUESTION,
                                **self._texts("label", self.in_every_language(_language_question)),
                                "required": YES, "imppulse_type": LANGUAGE_MARK})
        self.survey.append({"type": "end group", "name": INTRODUCTION})
        for page in self.definition.pages:
            if page.get("pilot_only") and not self.has_pilot:
                continue
            self._page(page)
        self._choice_list(MISSING_LIST, [(kind, missing["label"]) for kind, missing in data["missing"].items()])

    def _page(self, page: Mapping) -> None:
        name = page_name(page)
        self.survey.append({"type": "begin group", "name": name, **self._texts("label", page["title"]),
                            "appearance": PAGE_APPEARANCE, **self._flags(page)})
        if page.get("intro"):
            self.survey.append({"type": "note", "name": f"{name}_intro", **self._texts("label", page["intro"]),
                                "imppulse_type": PAGE_INTRO_MARK})
        for item in page["items"]:
            if not item.get("pilot_only") or self.has_pilot:
                item_type(item).to_xlsform(item, self)
        self.survey.append({"type": "end group", "name": name})

    def settings(self, *, title: Mapping, form_id: str, version: str, default_language: str) -> dict:
        data = self.definition.data
        return {"form_title": self._say[default_language](title), "form_id": form_id, "version": version,
                "default_language": language_header(default_language), "imppulse_questionnaire": data["key"],
                "imppulse_duration": str(data["duration_minutes"])}

    # the pieces

    def _item_columns(self, item: Mapping) -> dict:
        row = {**self._texts("hint", item.get("help")), "imppulse_type": item["type"], **self._flags(item)}
        return row

    def _flags(self, element: Mapping) -> dict:
        row = {}
        if element.get("show_if"):
            row["relevant"] = self.relevant(element["show_if"])
        if element.get("pilot_only"):
            row["imppulse_pilot_only"] = YES
        return row

    def relevant(self, condition: Mapping) -> str:
        """A condition as an XLSForm ``relevant``; each test written by the type of the item it tests."""
        if "not" in condition:
            return f"not({self.relevant(condition['not'])})"
        if "all" in condition or "any" in condition:
            joiner = " and " if "all" in condition else " or "
            return joiner.join(f"({self.relevant(part)})" for part in condition.get("all") or condition["any"])
        key = condition["item"]
        item = self.definition.item_by_answer_key[key]
        kind = item_type(item)
        if "answered" in condition:
            test = kind.xlsform_answered(item, key)
            return test if condition["answered"] else f"not({test})"
        codes = [condition["equals"]] if "equals" in condition else condition["in"]
        tests = [kind.xlsform_equals(key, code) for code in codes]
        return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"

    def _texts(self, column: str, text: Mapping | None) -> dict:
        if not text:
            return {}
        return {f"{column}::{language_header(language)}": self._say[language](text) for language in self.languages}

    def _choice_list(self, list_name: str, choices: list[tuple[str, Mapping]]) -> None:
        if list_name in self._lists:
            return
        self._lists.add(list_name)
        codes = {kind: str(self.definition.data["missing"][kind]["code"]) for kind in self.definition.data["missing"]}
        for name, label in choices:
            row = {"list_name": list_name, "name": name, **self._texts("label", label)}
            if name in codes:
                row["imppulse_code"] = codes[name]
            self.choices.append(row)


def _language_question() -> str:
    from flask_babel import gettext as _

    return _("Language of the interview")


def workbook(survey: list[dict], choices: list[dict], settings: dict) -> bytes:
    """The three sheets as an .xlsx file. Every cell is written as text: a label that starts with "=" stays a
    label (no formula), and a code stays "01" if it is one."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    for sheet, rows, order in (("survey", survey, SURVEY_COLUMNS), ("choices", choices, CHOICES_COLUMNS),
                               ("settings", [settings], ())):
        columns = _columns(rows, order)
        worksheet = book.add_worksheet(sheet)
        worksheet.write_row(0, 0, columns)
        for number, row in enumerate(rows, 1):
            for column, name in enumerate(columns):
                if row.get(name):
                    worksheet.write_string(number, column, str(row[name]))
    book.close()
    return buffer.getvalue()


def _columns(rows: list[dict], order: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))

    def rank(name: str) -> tuple[int, int]:
        base = name.split("::", 1)[0]
        return (order.index(base) if base in order else len(order), list(seen).index(name))

    return sorted(seen, key=rank)
