"""Reading answers from the questionnaire form: one field per answer key, several values for multiple choice."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from ..questionnaires.definition import Definition, item_type

#: filled only by robots: hidden from people and assistive technology, and named so that no browser or password
#: manager autofills it (a field called "website" was filled by autofill)
HONEYPOT_FIELD = "leave_this_empty"


def answers_from_form(definition: Definition, form: MultiDict) -> dict:
    """The raw answers in the form, as the storage service takes them; unknown fields are ignored."""
    raw: dict = {}
    for key in form:  # the fields sent, rather than every key asked for: a missing one costs an exception
        item = definition.item_by_answer_key.get(key)
        value = item_type(item).read_form(item, key, form) if item is not None else None
        if value is not None:
            raw[key] = value
    return raw


def selected(raw: Mapping, key: str) -> set[str]:
    """The values of an answer as strings, for checking radios and boxes when a page is shown again."""
    value = raw.get(key)
    if value is None:
        return set()
    return {str(one) for one in (value if isinstance(value, list) else [value])}
