"""The answers between a page's POST and the page it redirects to (post/redirect/get).

Every questionnaire page is sent by POST and answered by a redirect to the next page's own address, so that the
browser's back and forward gestures and a reload show a page, never "Confirm form resubmission". The answers
cross that redirect in a cookie of the browser: encrypted and authenticated with a key derived from the app's
secret, unreadable by scripts (HttpOnly), sent only to this survey's pages in this language (its path), and
expiring within hours. Nothing is written to the database while a respondent pages, and the cookie is cleared
when the answers are sent.

The form itself carries the answers of the other pages, sealed the same way in one hidden field (``_carried``),
so that a page sent hours later, from another tab or after the cookie expired still holds every answer, and
the cookie only has to bridge one redirect; when the answers are too long for a cookie (long free texts), the
page is shown in answer to the POST instead. One sealed field rather than a hidden field per answer: a page
reads and sends ten fields instead of a hundred.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from dataclasses import dataclass

from flask import Response, current_app, request
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from ..core.keys import derived_key
from .sealing import compact_json

COOKIE = "answers"
#: the form field that carries the answers of the other pages
CARRIED_FIELD = "_carried"
#: a cookie holds 4,096 bytes at most; gunicorn and nginx refuse a Cookie header of over 8,190
CHUNK_LENGTH = 3600
MAX_CHUNKS = 2
LIFETIME_SECONDS = 12 * 3600


@dataclass
class PageState:
    page_key: str
    raw: dict
    submission_id: str
    resume_key: str | None = None
    #: the page was sent and refused: show its problems (and those of earlier pages)
    checked: bool = False
    #: after "Continue later": the link to show
    saved: bool = False


def path(lang: str, slug: str) -> str:
    return f"/{lang}/s/{slug}/"


def sealed_state(lang: str, slug: str, state: PageState) -> str:
    """The state as the cookie holds it, and as the form's ``_carried`` field does."""
    return sealed({"slug": slug, "lang": lang, "at": int(time.time()), "state": vars(state)})


def write(response: Response, lang: str, slug: str, state: PageState) -> bool:
    """Put the state in the response's cookies; False when it is too long for them (nothing is set)."""
    text = sealed_state(lang, slug, state)
    chunks = [text[start:start + CHUNK_LENGTH] for start in range(0, len(text), CHUNK_LENGTH)]
    if len(chunks) > MAX_CHUNKS:
        return False
    for index in range(MAX_CHUNKS):
        if index < len(chunks):
            response.set_cookie(_name(index), chunks[index], max_age=LIFETIME_SECONDS, path=path(lang, slug),
                                secure=_secure(), httponly=True, samesite="Lax")
        elif _name(index) in request.cookies:
            _delete(response, index, lang, slug)
    return True


def read(lang: str, slug: str) -> tuple[PageState, str] | None:
    """The state the last POST left for this survey in this language, if any, recent and intact; with its sealed
    text, which the page's form then carries as it is."""
    text = "".join(request.cookies.get(_name(index), "") for index in range(MAX_CHUNKS))
    content = opened(text)
    if content.get("slug") != slug or content.get("lang") != lang:
        return None
    if not isinstance(content.get("at"), int) or time.time() - content["at"] > LIFETIME_SECONDS:
        return None
    state = _state(content)
    return (state, text) if state else None


def carried(slug: str) -> dict:
    """The answers the page sent carried in its ``_carried`` field: any language of the survey (a page may be
    sent to another language's address), no age limit (a page left open overnight still holds its answers);
    empty when the field is missing, forged or from another survey."""
    content = opened(request.form.get(CARRIED_FIELD, ""))
    state = _state(content) if content.get("slug") == slug else None
    return state.raw if state and isinstance(state.raw, dict) else {}


def _state(content: dict) -> PageState | None:
    try:
        return PageState(**content["state"])
    except (KeyError, TypeError):
        return None


def sealed(content: dict) -> str:
    """``content`` compressed, encrypted and authenticated under the app's page-state key, as URL-safe text."""
    return base64.urlsafe_b64encode(_box().encrypt(zlib.compress(compact_json(content)))).decode("ascii")


def opened(text: str) -> dict:
    """What ``sealed`` made of a dictionary; empty when the text is empty, damaged or forged."""
    if not text:
        return {}
    try:
        content = json.loads(zlib.decompress(_box().decrypt(base64.urlsafe_b64decode(text.encode("ascii")))))
    except (CryptoError, binascii.Error, UnicodeError, ValueError, zlib.error):
        return {}
    return content if isinstance(content, dict) else {}


def _box() -> SecretBox:
    return SecretBox(derived_key("page-state"))


def clear(response: Response, languages, slug: str) -> None:
    """Forget the answers in every language of the survey: they have been sent."""
    for lang in languages:
        for index in range(MAX_CHUNKS):
            _delete(response, index, lang, slug)


def _name(index: int) -> str:
    return f"{COOKIE}{index}"


def _delete(response: Response, index: int, lang: str, slug: str) -> None:
    response.delete_cookie(_name(index), path=path(lang, slug), secure=_secure(), httponly=True, samesite="Lax")


def _secure() -> bool:
    """Sent over HTTPS only wherever the session cookie is (production), or when this request came over it."""
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

