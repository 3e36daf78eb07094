"""Free text, short or long: never coded, never scored, shown to staff only after review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ...core.inputs import is_storable
from .. import xpath
from .base import AnswerProblem, ItemType, MicrodataColumn, Stored


class _Text(ItemType):
    allowed_keys = frozenset({"max_length"})
    is_coded = False
    holds_one_number = False
    indicator_kinds = frozenset()
    offers_missing = False
    default_length: int
    longest: int
    xlsform_types = ("text",)
    appearance = ""

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

    def to_xlsform(self, item, out):
        limit = self.limit(item)
        out.question(self.xlsform_types[0], item, constraint=f"string-length(.) <= {limit}",
                     constraint_message=_l("Write at most %(limit)s characters.", limit=limit),
                     appearance=self.appearance)

    def from_xlsform(self, question):
        limit = xpath.longest_text(question.constraint)
        if question.constraint and limit is None:
            question.unmapped.append(f"{question.name}: constraint not translated: {question.constraint}")
        # the text family decides between its members: a multiline or longer text is a long one
        kind = self if limit is None or limit <= self.longest else LONG
        if "multiline" in question.appearance.split():
            kind = LONG
        read = {"type": kind.name}
        if limit is not None and limit != kind.default_length:
            read["max_length"] = min(limit, kind.longest)
        return read


class ShortText(_Text):
    name = "short_text"
    default_length = longest = 200
    xlsform_default = True


class LongText(_Text):
    name = "long_text"
    default_length = 2000
    longest = 4000
    appearance = "multiline"


LONG = LongText()
