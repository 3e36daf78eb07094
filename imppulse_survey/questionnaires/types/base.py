"""What every item type is: the one interface the loader, the forms, the API, the demo and the benchmarks use.

A type owns everything about itself (CTFd's challenge types are the model): the keys its definition takes and
their checks, the answer keys it fills and the codes it holds, how a raw answer is cleaned and stored, how the
form and the API show it, and what a simulated respondent answers. Nothing outside this package switches on a
type's name. A subclass with a ``name`` registers itself; a new type is a new module here and one macro in
``templates/_macros/items.html``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

MAX_CODE = 9999
#: the missing-value codes an item may offer (docs/questionnaire-format.md, "Missing-value codes")
MISSING_KINDS = ("dont_know", "prefer_not_to_say", "not_applicable")
#: more digits than any code or bound needs: int() refuses texts of over 4,300 digits, float() turns 400 into inf
MAX_DIGITS = 15
#: a whole number in ASCII digits: str.isdigit accepts "²", and int() accepts "١٢", "1_000" and " +1 "
_INTEGER_TEXT = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")
#: a number with a decimal point or comma, as many decimals as a float's repr writes (17) and a few more; no
#: exponent ("1e999"), "nan" or "inf", which float() accepts
_DECIMAL_TEXT = re.compile(rf"[+-]?(?:[0-9]{{1,{MAX_DIGITS}}}(?:[.,][0-9]{{0,20}})?|[.,][0-9]{{1,20}})")
LONGEST_NUMBER_JSON = 26  # repr of a float, or a quoted missing-code name
#: the longest a form value is read: longer ones are cut before cleaning refuses them
MAX_FORM_VALUE_LENGTH = 5000

ITEM_TYPES: dict[str, ItemType] = {}
#: XLSForm question type → the item type an unmarked question of that type reads as (``ItemType.xlsform_default``)
XLSFORM_TYPES: dict[str, ItemType] = {}

Say = Callable[[Mapping], str]


class AnswerProblem(ValueError):
    """A raw answer that cannot be stored; the message is shown to the respondent."""


@dataclass(frozen=True)
class Stored:
    """One row of ``answers`` (value or missing) or of ``text_answers`` (text)."""

    item_key: str
    value: float | None = None
    missing: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class MicrodataColumn:
    """One variable of a microdata file: the answer key it reads, and for a multiple choice the option whose
    choice it records (1 chosen, 0 not)."""

    name: str
    answer_key: str
    option_code: int | None = None
    is_text: bool = False


@dataclass(frozen=True)
class AnswerContext:
    """What cleaning an answer may need beyond the item: the campaign's district codes (code → district id),
    ``None`` where no campaign is chosen yet."""

    district_codes: Mapping[int, int] | None = None


NO_CONTEXT = AnswerContext()


@dataclass(frozen=True)
class XLSFormChoice:
    """A choice of an XLSForm question: its name, its label per language, and the code an ``imppulse_code``
    column gives it (the missing-value codes of our own exports)."""

    name: str
    label: Mapping[str, str]
    code: int | None = None


@dataclass
class XLSFormQuestion:
    """One question of an XLSForm as pyxform read it (``imppulse_survey/xlsform/reader.py``), for the item type it
    reads as. The type fills ``code_of`` (each choice name's code or missing kind, for the conditions that name
    it), ``missing`` (the missing codes its choices offer: kind → (label, code)) and ``unmapped`` (what it
    could not keep, for the import report)."""

    xlsform_type: str
    name: str
    label: Mapping[str, str]
    choices: list[XLSFormChoice] = field(default_factory=list)
    constraint: str = ""
    appearance: str = ""
    #: the ``imppulse_*`` columns of our own exports (``imppulse_unit``…), without the prefix
    columns: Mapping = field(default_factory=dict)
    #: a group read as one item (a grid): its questions
    rows: list[XLSFormQuestion] = field(default_factory=list)
    code_of: dict[str, int | str] = field(default_factory=dict)
    missing: dict[str, tuple[Mapping[str, str], int | None]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


class ItemType:
    name: str
    #: keys an item of this type may carry besides the common ones
    allowed_keys: frozenset[str] = frozenset()
    #: keys it must carry
    required_keys: frozenset[str] = frozenset()
    #: whether its answers are numbers that conditions may test
    is_coded = True
    #: whether each answer key holds one number an indicator may score
    holds_one_number = True
    #: the indicator kinds it may feed
    indicator_kinds: frozenset[str] = frozenset({"mean", "proportion"})
    #: whether its answer is a category a table may break figures down by
    is_category = False
    #: whether it is the campaign's district question (at most one per questionnaire)
    holds_district = False
    #: whether it offers missing-value codes
    offers_missing = True
    #: the macro of ``templates/_macros/items.html`` that shows it; its name unless it shares another's
    macro: str | None = None

    #: the XLSForm question types it is written as, the usual one first (docs/xlsform.md)
    xlsform_types: tuple[str, ...] = ()
    #: whether a question of its first XLSForm type that no ``imppulse_type`` column marks reads as this type
    xlsform_default = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            if "macro" not in cls.__dict__:
                cls.macro = cls.name
            ITEM_TYPES[cls.name] = cls()
            if cls.__dict__.get("xlsform_default"):
                for xlsform_type in cls.xlsform_types:
                    XLSFORM_TYPES[xlsform_type] = ITEM_TYPES[cls.name]

    # the definition

    def structure_problems(self, item: Mapping) -> Iterator[tuple[tuple, str]]:
        """Faults of the item's own keys, as ``(path, problem)``."""
        return iter(())

    def option_problems(self, options: list[Mapping]) -> Iterator[str]:
        """Faults of its options once a scale is resolved into them."""
        if any(option.get("exclusive") for option in options):
            yield "only multiple-choice options may be exclusive"

    def answer_keys(self, item: Mapping) -> list[str]:
        return [key for key, _ in self.answer_key_paths(item)]

    def answer_key_paths(self, item: Mapping) -> list[tuple[str, tuple]]:
        """Each answer key with where the file names it, relative to the item."""
        return [(item.get("key"), ("key",))]

    def codes(self, item: Mapping) -> list[int] | None:
        """The substantive codes, for choice-like types; ``None`` where any number in range is valid."""
        return None

    def value_range(self, item: Mapping) -> tuple[float, float]:
        codes = self.codes(item)
        return (min(codes), max(codes))

    # answers

    def clean(self, item: Mapping, raw, context: AnswerContext = NO_CONTEXT):
        """Turn a submitted answer into a code, a list of codes, a missing-code name or a text."""
        missing = self._missing_or_none(item, raw)
        return missing if missing is not None else self.clean_substantive(item, raw, context)

    def clean_substantive(self, item: Mapping, raw, context: AnswerContext):
        raise NotImplementedError

    def stored(self, item: Mapping, key: str, cleaned) -> list[Stored]:
        if isinstance(cleaned, str):
            return [Stored(key, missing=cleaned)]
        return [Stored(key, value=float(cleaned))]

    def longest_json(self, item: Mapping) -> int:
        """The most characters a cleaned answer can take as JSON: sealed answers are padded to the sum."""
        return LONGEST_NUMBER_JSON  # a number, or a missing-code name (at most 24 characters)

    def microdata_columns(self, item: Mapping) -> list[MicrodataColumn]:
        """The item's variables in a microdata file: one per answer key, holding its code or number."""
        return [MicrodataColumn(key, key) for key in self.answer_keys(item)] if self.is_coded else []

    def value_labels(self, item: Mapping, say: Say) -> dict[int, str]:
        """The label of each substantive code (the questionnaire labels its missing codes)."""
        return {option["code"]: say(option["label"]) for option in item.get("options", []) if "code" in option}

    def read_form(self, item: Mapping, key: str, form: MultiDict):
        """The raw answer under ``key`` in a submitted form, or None when it is left empty."""
        value = form.get(key, "")
        return value[:MAX_FORM_VALUE_LENGTH] if value != "" else None

    # how clients see it

    def api_view(self, item: Mapping, say: Say) -> dict:
        """The keys of the item's public shape that belong to this type, texts in the client's language."""
        return {}

    # XLSForm: written for ODK Collect and KoboCollect, read back from a form, and read from collected data

    def to_xlsform(self, item: Mapping, out) -> None:
        """Write the item's rows through ``out`` (``imppulse_survey/xlsform/writer.py``): ``out.question(xlsform
        type, item, choices=…, constraint=…)`` for a question, ``out.group(item)`` around several."""
        out.question(self.xlsform_types[0], item, choices=self.xlsform_choices(item, out))

    def xlsform_choices(self, item: Mapping, out) -> list[tuple[str, Mapping]]:
        """Its choices as ``(name, text)``: each option by its code, then each missing code it offers by its kind
        (so that a collected answer reads as ``clean`` takes it)."""
        return [(str(option["code"]), option["label"]) for option in item.get("options", [])] + out.missing_choices(item)

    def from_xlsform(self, question: XLSFormQuestion) -> dict:
        """The item's type and own keys read from an XLSForm question (the reader adds key, text, help, required
        and show_if); what cannot be kept is told in ``question.unmapped``."""
        return {"type": self.name}

    def xlsform_equals(self, key: str, code: int) -> str:
        """An XLSForm expression true when the answer under ``key`` is (or, chosen among several, includes) ``code``."""
        return f"selected(${{{key}}}, '{code}')"

    def xlsform_answered(self, item: Mapping, key: str) -> str:
        """An XLSForm expression true when a substantive answer (not a missing code) is given under ``key``."""
        return " and ".join([f"${{{key}}} != ''", *(f"not(selected(${{{key}}}, '{kind}'))"
                                                    for kind in item.get("missing", []))])

    def from_collected(self, item: Mapping, value: str):
        """The raw answer (as ``clean`` takes it) in a cell of collected data, ODK Central's or KoboToolbox's CSV;
        None when the cell is empty."""
        value = value.strip()
        return value or None

    def _xlsform_options(self, question: XLSFormQuestion) -> list[dict]:
        """Options from the question's choices, the missing codes among them set apart (``question.missing``).
        Choice names that are not all whole numbers (``yes``, ``no``) become codes 1, 2… in order."""
        substantive = [choice for choice in question.choices if choice.name not in MISSING_KINDS]
        numbered = all(_INTEGER_TEXT.fullmatch(choice.name) and 0 <= int(choice.name) <= MAX_CODE
                       for choice in substantive)
        options = []
        for index, choice in enumerate(substantive, 1):
            code = int(choice.name) if numbered else index
            question.code_of[choice.name] = code
            options.append({"code": code, "label": choice.label})
        if not numbered and substantive:
            question.unmapped.append(f"{question.name}: choice names are not codes, numbered in order: "
                                     + ", ".join(f"{choice.name} → {question.code_of[choice.name]}"
                                                 for choice in substantive))
        for choice in question.choices:
            if choice.name in MISSING_KINDS:
                question.code_of[choice.name] = choice.name
                question.missing[choice.name] = (choice.label, choice.code)
        return options

    # simulated respondents (the demo and the benchmarks)

    def simulated(self, item: Mapping, key: str, rng: random.Random, leaning: float | None, context: AnswerContext):
        """A plausible answer: ``leaning`` in [0, 1] places it on the scale (a respondent's attitude; low is
        the first code), ``None`` draws it with earlier options a little more common."""
        codes = self.codes(item)
        if codes is None:
            low, high = self.value_range(item)
            return round(low + (high - low) * (rng.random() if leaning is None else leaning))
        codes = sorted(codes)
        if leaning is not None:
            return codes[min(max(int(leaning * len(codes)), 0), len(codes) - 1)]
        weights = [1.0 + 0.6 * (len(codes) - index) / len(codes) for index in range(len(codes))]
        return rng.choices(codes, weights=weights)[0]

    # helpers shared by the coded types

    def _missing_or_none(self, item: Mapping, raw):
        if isinstance(raw, str) and raw in item.get("missing", []):
            return raw
        return None

    @staticmethod
    def _as_integer(raw) -> int | None:
        """A whole number of at most MAX_DIGITS digits, from a JSON number or a text; None for anything else."""
        if isinstance(raw, str):
            text = raw.strip()
            return int(text) if _INTEGER_TEXT.fullmatch(text) else None
        number = as_number(raw)
        if number is None or abs(number) >= 10**MAX_DIGITS or not float(number).is_integer():
            return None
        return int(number)


def as_number(raw) -> int | float | None:
    """A finite number from a JSON number (not a boolean: ``True == 1``) or a decimal text; None for anything else."""
    if isinstance(raw, str):
        text = raw.strip()
        return float(text.replace(",", ".")) if _DECIMAL_TEXT.fullmatch(text) else None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    return raw
