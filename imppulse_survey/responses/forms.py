"""Reading answers from the questionnaire form: one field per answer key, several values for multiple choice."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from ..questionnaires.definition import Definition, item_type

#: filled only by robots: hidden from people and assistive technology, and named so that no browser or password
#: manager autofills it (a field called "website" was filled by autofill)
HONEYPOT_FIELD = "leave_this_empty"
#: form fields that are not answers
CONTROL_FIELDS = frozenset({"csrf_token", "_page", "_action", "_resume", "submission_id", HONEYPOT_FIELD})


def answers_from_form(definition: Definition, form: MultiDict) -> dict:
    """The raw answers in the form, as the storage service takes them; unknown fields are ignored."""
    raw: dict = {}
    for key, item in definition.item_by_answer_key.items():
        value = item_type(item).read_form(item, key, form)
        if value is not None:
            raw[key] = value
    return raw


def carried_answers(definition: Definition, raw: Mapping, page: Mapping) -> list[tuple[str, str]]:
    """Hidden fields for the answers given on other pages, so the form carries them without a server session."""
    on_page = {key for item in page["items"] for key in item_type(item).answer_keys(item)}
    fields = []
    for key, value in raw.items():
        if key in on_page:
            continue
        for one in value if isinstance(value, list) else [value]:
            fields.append((key, str(one)))
    return fields


def selected(raw: Mapping, key: str) -> set[str]:
    """The values of an answer as strings, for checking radios and boxes when a page is shown again."""
    value = raw.get(key)
    if value is None:
        return set()
    return {str(one) for one in (value if isinstance(value, list) else [value])}
