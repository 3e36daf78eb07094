"""The registry of item types.

Each type knows which keys its definition takes, which answer keys it fills, which codes it can hold, and how
to clean a raw answer into what is stored. Adding a type means adding one class here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..core.inputs import is_storable

MAX_CODE = 9999
#: more digits than any code or bound needs: int() refuses texts of over 4,300 digits, float() turns 400 into inf
MAX_DIGITS = 15
#: a whole number in ASCII digits: str.isdigit accepts "²", and int() accepts "١٢", "1_000" and " +1 "
_INTEGER_TEXT = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")
#: a number with a decimal point or comma, as many decimals as a float's repr writes (17) and a few more; no
#: exponent ("1e999"), "nan" or "inf", which float() accepts
_DECIMAL_TEXT = re.compile(rf"[+-]?(?:[0-9]{{1,{MAX_DIGITS}}}(?:[.,][0-9]{{0,20}})?|[.,][0-9]{{1,20}})")
LONGEST_NUMBER_JSON = 26  # repr of a float, or a quoted missing-code name


class AnswerProblem(ValueError):
    """A raw answer that cannot be stored; the message is shown to the respondent."""


@dataclass(frozen=True)
class Stored:
    """One row of ``answers`` (value or missing) or of ``text_answers`` (text)."""

    item_key: str
    value: float | None = None
    missing: str | None = None
    text: str | None = None


class ItemType:
    name: str
    #: keys an item of this type may carry besides the common ones
    allowed_keys: frozenset[str] = frozenset()
    #: keys it must carry
    required_keys: frozenset[str] = frozenset()
    #: whether its answers are numbers that conditions and indicators may use
    is_coded = True
    #: whether it offers missing-value codes
    offers_missing = True

    def structure_problems(self, item: Mapping) -> Iterator[tuple[tuple, str]]:
        return iter(())

    def answer_keys(self, item: Mapping) -> list[str]:
        return [item["key"]]

    def codes(self, item: Mapping) -> list[int] | None:
        """The substantive codes, for choice-like types; ``None`` where any number in range is valid."""
        return None

    def value_range(self, item: Mapping) -> tuple[float, float]:
        codes = self.codes(item)
        return (min(codes), max(codes))

    def clean(self, item: Mapping, raw):
        """Turn a submitted answer into a code, a list of codes, a missing-code name or a text."""
        raise NotImplementedError

    def stored(self, item: Mapping, key: str, cleaned) -> list[Stored]:
        if isinstance(cleaned, str):
            return [Stored(key, missing=cleaned)]
        return [Stored(key, value=float(cleaned))]

    def longest_json(self, item: Mapping) -> int:
        """The most characters a cleaned answer can take as JSON: sealed answers are padded to the sum."""
        return LONGEST_NUMBER_JSON  # a number, or a missing-code name (at most 24 characters)

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
        number = _as_number(raw)
        if number is None or abs(number) >= 10**MAX_DIGITS or not float(number).is_integer():
            return None
        return int(number)


class _OptionsMixin:
    allowed_keys = frozenset({"options", "scale"})

    def structure_problems(self, item):
        has_options, has_scale = "options" in item, "scale" in item
        if has_options == has_scale:
            yield (), "needs either options or scale, not both"

    def codes(self, item):
        return [option["code"] for option in item.get("options", []) if "code" in option]


class SingleChoice(_OptionsMixin, ItemType):
    name = "single_choice"

    def clean(self, item, raw):
        missing = self._missing_or_none(item, raw)
        if missing:
            return missing
        code = self._as_integer(raw)
        if code is None or code not in self.codes(item):
            raise AnswerProblem(_l("Choose one of the options."))
        return code


class Likert(SingleChoice):
    name = "likert"
    LENGTH = 5

    def structure_problems(self, item):
        yield from super().structure_problems(item)
        if "options" in item and len(item["options"]) != self.LENGTH:
            yield ("options",), f"a likert item needs exactly {self.LENGTH} options"


class MultipleChoice(_OptionsMixin, ItemType):
    name = "multiple_choice"

    def clean(self, item, raw):
        missing = self._missing_or_none(item, raw)
        if missing:
            return missing
        raw_codes = raw if isinstance(raw, list) else [raw]
        codes = [self._as_integer(code) for code in raw_codes]
        offered = set(self.codes(item))  # once, not once per code: a body can hold a list of 200,000 codes
        if not codes or any(code is None or code not in offered for code in codes):
            raise AnswerProblem(_l("Choose one or more of the options."))
        exclusive = {option["code"] for option in item["options"] if option.get("exclusive")}
        if len(codes) > 1 and exclusive & set(codes):
            raise AnswerProblem(_l("This option cannot be combined with the others."))
        return sorted(set(codes))

    def stored(self, item, key, cleaned):
        if isinstance(cleaned, str):
            return [Stored(key, missing=cleaned)]
        return [Stored(key, value=float(code)) for code in cleaned]

    def longest_json(self, item):
        return 2 + len(self.codes(item)) * (len(str(MAX_CODE)) + 1) + LONGEST_NUMBER_JSON


class Scale0To10(ItemType):
    name = "scale_0_10"
    allowed_keys = frozenset({"anchors"})
    required_keys = frozenset({"anchors"})

    def codes(self, item):
        return list(range(11))

    def clean(self, item, raw):
        missing = self._missing_or_none(item, raw)
        if missing:
            return missing
        value = self._as_integer(raw)
        if value is None or not 0 <= value <= 10:
            raise AnswerProblem(_l("Choose a number from 0 to 10."))
        return value


class Numeric(ItemType):
    name = "numeric"
    allowed_keys = frozenset({"min", "max", "integer", "unit"})
    required_keys = frozenset({"min", "max"})

    def structure_problems(self, item):
        low, high = item.get("min"), item.get("max")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low >= high:
            yield ("max",), "must be greater than min"

    def value_range(self, item):
        return (item["min"], item["max"])

    def longest_json(self, item):
        # a whole number as large as the range allows can be longer than any float's repr
        return max(LONGEST_NUMBER_JSON, *(len(str(int(bound))) + 1 for bound in (item["min"], item["max"])))

    def clean(self, item, raw):
        missing = self._missing_or_none(item, raw)
        if missing:
            return missing
        value = _as_number(raw)
        if value is None:
            raise AnswerProblem(_l("Enter a number."))
        # the range first: a JSON integer of 400 digits compares with the bounds, but float() of it overflows
        if not item["min"] <= value <= item["max"]:
            raise AnswerProblem(
                _l("Enter a number from %(low)s to %(high)s.", low=_number(item["min"]), high=_number(item["max"]))
            )
        if item.get("integer", True) and not float(value).is_integer():
            raise AnswerProblem(_l("Enter a whole number."))
        return int(value) if item.get("integer", True) else float(value)


class _Text(ItemType):
    allowed_keys = frozenset({"max_length"})
    is_coded = False
    offers_missing = False
    default_length: int
    longest: int

    def clean(self, item, raw):
        if not isinstance(raw, str):
            raise AnswerProblem(_l("Enter text."))
        text = raw.replace("\r\n", "\n").strip().replace("\x00", "")
        if not is_storable(text):  # a lone surrogate, which no database stores (the API refuses it already)
            raise AnswerProblem(_l("Enter text."))
        limit = item.get("max_length", self.default_length)
        if len(text) > limit:
            raise AnswerProblem(_l("Write at most %(limit)s characters.", limit=limit))
        return text

    def stored(self, item, key, cleaned):
        return [Stored(key, text=cleaned)] if cleaned else []

    def longest_json(self, item):
        # a control character is escaped as \u00XX: six characters for one
        return 2 + 6 * item.get("max_length", self.default_length)


class ShortText(_Text):
    name = "short_text"
    default_length = longest = 200


class LongText(_Text):
    name = "long_text"
    default_length = 2000
    longest = 4000


class Grid(_OptionsMixin, ItemType):
    """Several rows sharing one scale; each row is answered, stored and used in indicators under its own key."""

    name = "grid"
    allowed_keys = frozenset({"options", "scale", "rows"})
    required_keys = frozenset({"rows"})

    def answer_keys(self, item):
        return [row["key"] for row in item.get("rows", [])]

    clean = SingleChoice.clean


class DistrictChoice(ItemType):
    """The district of the campaign's city; its codes are only known once a campaign is chosen."""

    name = "district"

    def clean(self, item, raw, district_codes=None):
        missing = self._missing_or_none(item, raw)
        if missing:
            return missing
        code = self._as_integer(raw)
        if code is None or (district_codes is not None and code not in district_codes):
            raise AnswerProblem(_l("Choose your district from the list."))
        return code


def _as_number(raw) -> int | float | None:
    """A finite number from a JSON number (not a boolean: ``True == 1``) or a decimal text; None for anything else."""
    if isinstance(raw, str):
        text = raw.strip()
        return float(text.replace(",", ".")) if _DECIMAL_TEXT.fullmatch(text) else None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    return raw


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


ITEM_TYPES: dict[str, ItemType] = {
    item_type.name: item_type
    for item_type in (
        SingleChoice(),
        MultipleChoice(),
        Likert(),
        Scale0To10(),
        Numeric(),
        ShortText(),
        LongText(),
        Grid(),
        DistrictChoice(),
    )
}
