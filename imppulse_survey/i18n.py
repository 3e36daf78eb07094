"""Choosing the interface language: the URL prefix (``/fr/...``), then Accept-Language, then the default."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import flask_babel
from babel import Locale
from babel.support import Translations
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations, refresh
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from .extensions import babel

#: where a request keeps its translations for templates: Flask-Babel finds them through nine context lookups on
#: every call (14 µs), and each page translates a dozen strings
KEPT_TRANSLATIONS = "_imppulse_translations"


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


def kept_translations() -> Translations:
    """The current locale's translations, looked up once per request (and per ``force_locale``)."""
    kept = g.get(KEPT_TRANSLATIONS)
    if kept is None:
        kept = g.setdefault(KEPT_TRANSLATIONS, get_translations())
    return kept


@pass_eval_context
def template_gettext(eval_context: EvalContext, text: str, **variables) -> str:
    translated = kept_translations().ugettext(text)
    return (Markup(translated) if eval_context.autoescape else translated) % variables


@contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """Flask-Babel's ``force_locale``, forgetting the translations kept for the request's own locale meanwhile."""
    if not has_app_context():  # a command: nothing is kept, and Flask-Babel has no locale to force
        with flask_babel.force_locale(locale):
            yield
        return
    g.pop(KEPT_TRANSLATIONS, None)
    try:
        with flask_babel.force_locale(locale):
            yield
    finally:
        g.pop(KEPT_TRANSLATIONS, None)


def forget_request_caches() -> None:
    """Flask-Babel, Flask-WTF and Flask-Login cache the locale, the CSRF token and the user on ``g``, which lives
    as long as the app context; when one context spans several requests (a test, a command), each request must
    start afresh."""
    refresh()
    g.pop(KEPT_TRANSLATIONS, None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("_login_user", None)


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=language_from_request)
    app.before_request(forget_request_caches)
    app.jinja_env.globals.update(language_name=language_name, text_in=text_in, current_language=current_language,
                                 text_direction=text_direction)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: kept_translations().ugettext(text),
        ngettext=lambda singular, plural, n: kept_translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: kept_translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: kept_translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    # the most used, in one call where Jinja's i18n extension makes three (``_`` resolves ``gettext``, which calls
    # the function above): what its newstyle gettext does, escaping and formatting included
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
