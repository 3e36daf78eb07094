"""Eleven points from 0 to 10: a rating between two labelled ends, or an estimate of how many out of 10."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .base import MISSING_KINDS, AnswerProblem, ItemType

POINTS = list(range(11))
#: between a point and its anchor in an XLSForm choice's label: "0 – No trust at all"
ANCHOR_SEPARATOR = " – "


class _ElevenPoints(ItemType):
    xlsform_types = ("select_one",)

    def codes(self, item):
        return POINTS

    def xlsform_choices(self, item, out):
        return [(str(point), self.point_label(item, point, out)) for point in POINTS] + out.missing_choices(item)

    def point_label(self, item, point, out) -> dict:
        return {language: str(point) for language in out.languages}

    def from_xlsform(self, question):
        names = [choice.name for choice in question.choices if choice.name not in MISSING_KINDS]
        if names != [str(point) for point in POINTS]:
            question.unmapped.append(f"{question.name}: a {self.name} item's choices are 0 to 10; "
                                     f"the form's ({', '.join(names)}) are replaced")
        self._xlsform_options(question)
        question.code_of.update({str(point): point for point in POINTS})
        return {"type": self.name}

    def clean_substantive(self, item, raw, context):
        value = self._as_integer(raw)
        if value is None or not 0 <= value <= 10:
            raise AnswerProblem(_l("Choose a number from 0 to 10."))
        return value


class Scale0To10(_ElevenPoints):
    """A rating: its mean × 10 is a 0–100 score, not a percentage."""

    name = "scale_0_10"
    allowed_keys = frozenset({"anchors"})
    required_keys = frozenset({"anchors"})

    def api_view(self, item, say):
        return {"anchors": {end: say(text) for end, text in item["anchors"].items()}}

    def value_labels(self, item, say):
        return {0: say(item["anchors"]["low"]), 10: say(item["anchors"]["high"])}

    def point_label(self, item, point, out):
        end = {0: "low", 10: "high"}.get(point)
        if end is None:
            return super().point_label(item, point, out)
        return {language: f"{point}{ANCHOR_SEPARATOR}{text}" for language, text in item["anchors"][end].items()}

    def from_xlsform(self, question):
        read = super().from_xlsform(question)
        labels = {choice.name: choice.label for choice in question.choices}
        read["anchors"] = {end: {language: text.split(ANCHOR_SEPARATOR, 1)[-1].strip()
                                 for language, text in (labels.get(str(point)) or question.label).items()}
                           for end, point in (("low", 0), ("high", 10))}
        return read


class EstimateOutOf10(_ElevenPoints):
    """How many out of every 10 people would say something: its mean × 10 is an estimated percentage, which a
    mirror compares with the percentage those people gave (MEASURES.md, "Mirror pairs")."""

    name = "estimate_10"
    indicator_kinds = frozenset({"estimate"})

    def point_label(self, item, point, out):
        return out.in_every_language(lambda: str(_l("%(count)s out of 10", count=point)))

    def api_view(self, item, say):
        return {"shown_as": "estimated_percentage",
                "options": [{"code": point, "estimated_percentage": point * 10} for point in POINTS]}
