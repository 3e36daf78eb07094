"""A number typed in, within the item's bounds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .. import xpath
from .base import LONGEST_NUMBER_JSON, AnswerProblem, ItemType, as_number

#: the bounds of a number an XLSForm leaves unbounded
UNBOUNDED = (0, 999_999)


class Numeric(ItemType):
    name = "numeric"
    allowed_keys = frozenset({"min", "max", "integer", "unit"})
    required_keys = frozenset({"min", "max"})
    xlsform_types = ("integer", "decimal")
    xlsform_default = True

    def structure_problems(self, item):
        low, high = item.get("min"), item.get("max")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low >= high:
            yield ("max",), "must be greater than min"

    def value_range(self, item):
        return (item["min"], item["max"])

    def longest_json(self, item):
        # a whole number as large as the range allows can be longer than any float's repr
        return max(LONGEST_NUMBER_JSON, *(len(str(int(bound))) + 1 for bound in (item["min"], item["max"])))

    def clean_substantive(self, item, raw, context):
        value = as_number(raw)
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

    def to_xlsform(self, item, out):
        # missing codes are not offered offline: a number question takes numbers only (docs/xlsform.md)
        kind = self.xlsform_types[0] if item.get("integer", True) else self.xlsform_types[1]
        low, high = _number(item["min"]), _number(item["max"])
        out.question(kind, item, constraint=f". >= {low} and . <= {high}",
                     constraint_message=_l("Enter a number from %(low)s to %(high)s.", low=low, high=high),
                     unit=item.get("unit"))

    def from_xlsform(self, question):
        whole = question.xlsform_type == self.xlsform_types[0]
        read = {"type": self.name} if whole else {"type": self.name, "integer": False}
        bounds = xpath.bounds(question.constraint, whole=whole)
        if bounds is None:
            bounds = UNBOUNDED
            question.unmapped.append(f"{question.name}: no bounds in its constraint ({question.constraint or 'none'}); "
                                     f"{UNBOUNDED[0]} to {UNBOUNDED[1]} assumed")
        read["min"], read["max"] = bounds
        if question.columns.get("unit"):
            read["unit"] = question.columns["unit"]
        return read

    def xlsform_equals(self, key, code):
        return f"${{{key}}} = {code}"

    def xlsform_answered(self, item, key):
        return f"${{{key}}} != ''"

    def api_view(self, item, say):
        view = {key: item[key] for key in ("min", "max", "integer") if key in item}
        if "unit" in item:
            view["unit"] = say(item["unit"])
        return view


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
