"""Free text, short or long: never coded, never scored, shown to staff only after review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ...core.inputs import is_storable
from .base import AnswerProblem, ItemType, MicrodataColumn, Stored


class _Text(ItemType):
    allowed_keys = frozenset({"max_length"})
    is_coded = False
    holds_one_number = False
    indicator_kinds = frozenset()
    offers_missing = False
    default_length: int
    longest: int

    def structure_problems(self, item):
        if item.get("max_length", 0) > self.longest:
            yield ("max_length",), f"at most {self.longest} for a {self.name} item"

    def clean(self, item, raw, context=None):
        if not isinstance(raw, str):
            raise AnswerProblem(_l("Enter text."))
        text = raw.replace("\r\n", "\n").strip().replace("\x00", "")
        if not is_storable(text):  # a lone surrogate, which no database stores (the API refuses it already)
            raise AnswerProblem(_l("Enter text."))
        limit = self.limit(item)
        if len(text) > limit:
            raise AnswerProblem(_l("Write at most %(limit)s characters.", limit=limit))
        return text

    def limit(self, item) -> int:
        return item.get("max_length", self.default_length)

    def stored(self, item, key, cleaned):
        return [Stored(key, text=cleaned)] if cleaned else []

    def microdata_columns(self, item):
        return [MicrodataColumn(item["key"], item["key"], is_text=True)]

    def longest_json(self, item):
        # a control character is escaped as \u00XX: six characters for one
        return 2 + 6 * self.limit(item)

    def api_view(self, item, say):
        return {"max_length": self.limit(item)}

    def simulated(self, item, key, rng, leaning, context):
        return None  # simulated people leave comments empty: a made-up text would read as a real one


class ShortText(_Text):
    name = "short_text"
    default_length = longest = 200


class LongText(_Text):
    name = "long_text"
    default_length = 2000
    longest = 4000
