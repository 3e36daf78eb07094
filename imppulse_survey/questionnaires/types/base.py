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
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

MAX_CODE = 9999
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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            if "macro" not in cls.__dict__:
                cls.macro = cls.name
            ITEM_TYPES[cls.name] = cls()

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
