"""The answers between a page's POST and the page it redirects to (post/redirect/get).

Every questionnaire page is sent by POST and answered by a redirect to the next page's own address, so that the
browser's back and forward gestures and a reload show a page, never "Confirm form resubmission". The answers
cross that redirect in a cookie of the browser: encrypted and authenticated with a key derived from the app's
secret, unreadable by scripts (HttpOnly), sent only to this survey's pages in this language (its path), and
expiring within hours. Nothing is written to the database while a respondent pages, and the cookie is cleared
when the answers are sent. The form itself still carries every answer in hidden fields, so the cookie only has
to bridge one redirect; when the answers are too long for a cookie (long free texts), the page is shown in
answer to the POST instead, as before.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from dataclasses import dataclass

from flask import Response, current_app, request

from .sealing import SealError, compact_json, decrypt_bytes, encrypt_bytes

COOKIE = "answers"
PURPOSE = b"page-state"
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


def write(response: Response, lang: str, slug: str, state: PageState) -> bool:
    """Put the state in the response's cookies; False when it is too long for them (nothing is set)."""
    content = {"slug": slug, "lang": lang, "at": int(time.time()), "state": vars(state)}
    sealed = encrypt_bytes(current_app.config["SECRET_KEY"], PURPOSE, zlib.compress(compact_json(content)))
    text = base64.urlsafe_b64encode(sealed).decode("ascii")
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


def read(lang: str, slug: str) -> PageState | None:
    """The state the last POST left for this survey in this language, if any, recent and intact."""
    text = "".join(request.cookies.get(_name(index), "") for index in range(MAX_CHUNKS))
    if not text:
        return None
    try:
        sealed = base64.urlsafe_b64decode(text.encode("ascii"))
        body = zlib.decompress(decrypt_bytes(current_app.config["SECRET_KEY"], PURPOSE, sealed))
        content = json.loads(body.decode("utf-8"))
        if (content["slug"], content["lang"]) != (slug, lang) or time.time() - content["at"] > LIFETIME_SECONDS:
            return None
        return PageState(**content["state"])
    except (SealError, binascii.Error, UnicodeError, ValueError, KeyError, TypeError, zlib.error):
        return None


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

