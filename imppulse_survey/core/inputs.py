"""Input no handler should ever see: JSON nested past the parser's stack, and characters no database stores.

PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate (``"\\ud800"`` in JSON) cannot be encoded as UTF-8
for a hash, SQLite or PostgreSQL. Both used to travel from a request to the database and end as 500s. They are
refused here, once for every route: JSON bodies by the app's JSON provider (``request.get_json(silent=True)``
then gives None, so the API answers 400), URL paths, query strings and form fields by a guard that answers 400
before any view runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider

#: characters a text column cannot hold: NUL (PostgreSQL) and lone surrogates (not encodable as UTF-8)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: what in a JSON text can become an unstorable character: the escapes, or the characters themselves in a str
_UNSTORABLE_SOURCE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose ``loads`` raises ValueError (never RecursionError) and returns only storable strings."""

    def loads(self, s: str | bytes, **kwargs):
        # strict decoding: UTF-8 bytes of a surrogate, which json.loads itself lets through, are refused
        text = s.decode(json.detect_encoding(s)) if isinstance(s, (bytes, bytearray)) else s
        try:
            value = json.loads(text, **kwargs)
        except RecursionError:  # "[" * 100_000: the C scanner recurses once per level
            raise ValueError("the JSON text is nested too deeply") from None
        # walking the value costs as much as parsing it, so only when the text could hold such a character
        if _UNSTORABLE_SOURCE.search(text) and not all(is_storable(string) for string in _strings(value)):
            raise ValueError("a JSON string holds NUL or a lone surrogate")
        return value


def _strings(value) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included; iterative, as the value may be nested deeply."""
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            pending.extend(current.keys())
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)


def refuse_unstorable_input() -> None:
    """400 for NUL or a lone surrogate in the path, a query parameter or a form field, before any view runs."""
    # one search through everything: the characters refused are single, so joining the texts hides none
    texts = [request.path]
    for fields in (request.args, request.form):
        for key, values in fields.lists():
            texts.append(key)
            texts.extend(values)
    if not is_storable("".join(texts)):
        abort(400)


def init_inputs(app: Flask) -> None:
    """Call before ``csrf.init_app``: the guard must run first, as the CSRF error page reads the path and form."""
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_unstorable_input)
