"""Eleven points from 0 to 10: a rating between two labelled ends, or an estimate of how many out of 10."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .base import AnswerProblem, ItemType

POINTS = list(range(11))


class _ElevenPoints(ItemType):
    def codes(self, item):
        return POINTS

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


class EstimateOutOf10(_ElevenPoints):
    """How many out of every 10 people would say something: its mean × 10 is an estimated percentage, which a
    mirror compares with the percentage those people gave (MEASURES.md, "Mirror pairs")."""

    name = "estimate_10"
    indicator_kinds = frozenset({"estimate"})

    def api_view(self, item, say):
        return {"shown_as": "estimated_percentage",
                "options": [{"code": point, "estimated_percentage": point * 10} for point in POINTS]}
