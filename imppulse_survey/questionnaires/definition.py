"""A read-only view of a published definition: the questions in order and who sees which."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property

from flask_babel import lazy_gettext as _l

from .conditions import evaluate, referenced_leaves
from .types import ITEM_TYPES, AnswerContext, AnswerProblem, ItemType, Stored

REQUIRED_MESSAGE = _l("This question needs an answer.")
UNKNOWN_MESSAGE = _l("This is not a question of this questionnaire.")


class Definition:
    def __init__(self, data: Mapping):
        self.data = data

    @property
    def key(self) -> str:
        return self.data["key"]

    @property
    def languages(self) -> list[str]:
        return self.data["languages"]

    @property
    def pages(self) -> list[Mapping]:
        return self.data["pages"]

    @property
    def indicators(self) -> list[Mapping]:
        return self.data.get("indicators", [])

    def items(self) -> Iterator[Mapping]:
        for page in self.pages:
            yield from page["items"]

    @cached_property
    def item_by_answer_key(self) -> dict[str, Mapping]:
        return {key: item for item in self.items() for key in item_type(item).answer_keys(item)}

    @cached_property
    def district_item(self) -> Mapping | None:
        return next((item for item in self.items() if item_type(item).holds_district), None)

    def answer_text(self, key: str) -> dict:
        """The question an answer key answers: a grid row's own text, else its item's."""
        item = self.item_by_answer_key[key]
        row = next((row for row in item.get("rows", []) if row["key"] == key), None)
        return (row or item)["text"]

    def missing_label(self, item: Mapping, kind: str) -> dict:
        """The label of a missing code as the item offers it: its own, else the questionnaire's."""
        return (item.get("missing_labels") or {}).get(kind) or self.data["missing"][kind]["label"]

    def is_shown(self, element: Mapping, answers: Mapping, has_pilot: bool) -> bool:
        if element.get("pilot_only") and not has_pilot:
            return False
        condition = element.get("show_if")
        return condition is None or evaluate(condition, answers)

    def visible_pages(self, answers: Mapping, has_pilot: bool) -> list[Mapping]:
        """The pages a respondent with these answers goes through; a page with no visible item is skipped."""
        return [
            page
            for page in self.pages
            if self.is_shown(page, answers, has_pilot)
            and any(self.is_shown(item, answers, has_pilot) for item in page["items"])
        ]

    def page_total(self, answers: Mapping, has_pilot: bool, page_key: str) -> int:
        """How many pages the progress bar counts on page ``page_key``: those the answers lead through, and those
        that wait on a question still ahead or unanswered. The total so falls as answers rule pages out, and
        never grows near the end as conditional pages appear."""
        here = self.page_index[page_key]

        def may_show(element: Mapping) -> bool:
            if self.is_shown(element, answers, has_pilot):
                return True
            if element.get("pilot_only") and not has_pilot:
                return False
            return any(leaf["item"] not in answers and self.page_index_of_answer.get(leaf["item"], -1) >= here
                       for _, leaf in referenced_leaves(element["show_if"]))

        return sum(1 for page in self.pages if may_show(page) and any(may_show(item) for item in page["items"]))

    @cached_property
    def page_index(self) -> dict[str, int]:
        return {page["key"]: index for index, page in enumerate(self.pages)}

    @cached_property
    def answer_keys_by_page(self) -> dict[str, frozenset[str]]:
        return {page["key"]: frozenset(key for _, _, keys in items for key in keys) for page, items in self._items_by_page}

    @cached_property
    def page_index_of_answer(self) -> dict[str, int]:
        return {key: index for index, page in enumerate(self.pages) for item in page["items"]
                for key in item_type(item).answer_keys(item)}

    def clean(self, raw: Mapping, has_pilot: bool, district_codes=None) -> tuple[dict, dict]:
        """Check a whole set of raw answers, page by page, as the respondent saw them.

        Returns ``(cleaned, problems)``: cleaned answers of visible items (hidden ones are discarded) and a
        problem per answer key. Conditions see only what earlier visible pages answered.
        """
        cleaned: dict = {}
        problems: dict = {}
        context = AnswerContext(district_codes)
        for page, items in self._items_by_page:
            if not self.is_shown(page, cleaned, has_pilot):
                continue
            page_answers: dict = {}
            for item, kind, keys in items:
                if not self.is_shown(item, cleaned, has_pilot):
                    continue
                for key in keys:
                    value = raw.get(key)
                    if value is None or value == "" or value == []:
                        if item.get("required"):
                            problems[key] = REQUIRED_MESSAGE
                        continue
                    try:
                        page_answers[key] = kind.clean(item, value, context)
                    except AnswerProblem as problem:
                        problems[key] = problem.args[0]
            cleaned.update(page_answers)
        for key in sorted(key for key in raw if key not in self.item_by_answer_key):
            problems[key] = UNKNOWN_MESSAGE
        return cleaned, problems

    @cached_property
    def _items_by_page(self) -> list[tuple[Mapping, list[tuple[Mapping, ItemType, list[str]]]]]:
        """Each page with its items, their types and answer keys: what ``clean`` walks for every page sent."""
        return [(page, [(item, item_type(item), item_type(item).answer_keys(item)) for item in page["items"]])
                for page in self.pages]

    def stored(self, cleaned: Mapping) -> list[Stored]:
        rows: list[Stored] = []
        for key, value in cleaned.items():
            item = self.item_by_answer_key[key]
            rows.extend(item_type(item).stored(item, key, value))
        return rows


def item_type(item: Mapping) -> ItemType:
    return ITEM_TYPES[item["type"]]
