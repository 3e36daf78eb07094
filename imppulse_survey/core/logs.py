"""Log lines that hold no token, no key and no client address.

A request line carries secrets in two places: the invitation token in ``/i/<token>`` and the resume key in
``/<lang>/s/<slug>/resume/<key>``. Whoever reads the logs must learn neither, nor who asked: an administrator
with the logs and the list of tokens could otherwise tell which officer opened which invitation, and when. Each
line keeps the path with the secret replaced by ``…``, and its time to the minute.

The development server (werkzeug) and the app's own logger are filtered here (``init_logs``); gunicorn's access
and error logs by the logger class in ``gunicorn.conf.py``, with the same ``redact_secrets``.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

#: a token or key in a path: "/i/…" and "/resume/…" keep the route, not the secret
_SECRET_IN_PATH = re.compile(r"(/i/|/resume/)[^/?#\s\"'\x1b]+")
#: werkzeug's prefix: the client's address, then the time to the second, e.g. '127.0.0.1 - - [13/Jan/2026 10:00:07] '
_WERKZEUG_PREFIX = re.compile(r"^\S+ - - \[(\d\d/\w{3}/\d{4} \d\d:\d\d):\d\d\] ")


def redact_secrets(text: str) -> str:
    return _SECRET_IN_PATH.sub(r"\1…", text)


def werkzeug_line(text: str) -> str:
    """A werkzeug request line without the client's address, its time to the minute, its secrets redacted."""
    return redact_secrets(_WERKZEUG_PREFIX.sub(r"[\1] ", text, count=1))


class Rewrite(logging.Filter):
    """Rewrites each record's message with ``rewrite``, before any handler formats it."""

    def __init__(self, rewrite):
        super().__init__()
        self.rewrite = rewrite

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        rewritten = self.rewrite(message)
        if rewritten != message:
            record.msg, record.args = rewritten, ()
        return True


WERKZEUG_FILTER = Rewrite(werkzeug_line)
SECRETS_FILTER = Rewrite(redact_secrets)


def init_logs(app: Flask) -> None:
    """Filter the development server's request log and the app's log (an error names the path it happened on)."""
    logging.getLogger("werkzeug").addFilter(WERKZEUG_FILTER)  # addFilter adds one filter once
    app.logger.addFilter(SECRETS_FILTER)
