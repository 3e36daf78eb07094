"""Choosing the interface language: the URL prefix (``/fr/...``), then Accept-Language, then the default."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, refresh

from .extensions import babel


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def language_from_request() -> str:
    if not has_request_context():  # a command or a test outside any request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = (request.view_args or {}).get("lang")
    if chosen is None:  # no route matched (a 404): the prefix still says what the visitor reads
        chosen = request.path.split("/")[1]
    if chosen in supported_languages():
        return chosen
    offered = getattr(g, "offered_languages", None) or supported_languages()
    best = request.accept_languages.best_match(offered)
    return best or getattr(g, "fallback_language", None) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in that language, as a language switcher shows it ("Nederlands", "català")."""
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


def text_direction(code: str) -> str:
    """``rtl`` or ``ltr``: every page sets ``dir`` from its language, and the style sheet uses logical properties."""
    return "rtl" if code in current_app.config["RIGHT_TO_LEFT_LANGUAGES"] else "ltr"


def text_in(text: dict | None, language: str, fallback: str = "en") -> str:
    """A questionnaire text in ``language``, or in the fallback when it has none."""
    if not text:
        return ""
    return text.get(language) or text.get(fallback) or next(iter(text.values()))


def forget_request_caches() -> None:
    """Flask-Babel, Flask-WTF and Flask-Login cache the locale, the CSRF token and the user on ``g``, which lives
    as long as the app context; when one context spans several requests (a test, a command), each request must
    start afresh."""
    refresh()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("_login_user", None)


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=language_from_request)
    app.before_request(forget_request_caches)
    app.jinja_env.globals.update(language_name=language_name, text_in=text_in, current_language=current_language,
                                 text_direction=text_direction)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
