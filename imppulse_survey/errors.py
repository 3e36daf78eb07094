"""Error pages in the visitor's language, and JSON errors for the API and health check."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from .core.database import is_unavailable
from .extensions import db

RETRY_AFTER_SECONDS = 30

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Check the address or the form and try again.")),
    401: (_l("Login needed"), _l("Log in, or send a valid API token, to see this.")),
    403: (_l("Not allowed"), _l("You are not allowed to see this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address. Check the link you followed.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    410: (_l("No longer available"), _l("This page is no longer available.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("You have sent too many requests. Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Please try again in a few minutes.")),
    503: (
        _l("Temporarily unavailable"),
        _l("The service is temporarily unavailable. Please try again in a few minutes."),
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_error(status: int, description=None):
    title, default_text = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    if wants_json():
        return jsonify({"status": status, "message": str(title)}), status
    return render_template("core/error.html", status=status, title=title, text=description or default_text), status


def database_error(error: DBAPIError):
    """A lost, locked, missing or damaged database is a temporary condition, not a bug: say so (503), leave nothing
    half-done, and give back whatever a respondent sent, even when the campaign itself cannot be read."""
    db.session.rollback()
    if not is_unavailable(error):
        current_app.logger.error("database error", exc_info=error)
        return render_error(500)
    current_app.logger.warning("database unavailable: %s", error.orig.__class__.__name__)
    if request.method == "POST" and request.endpoint == "respond.answer":
        body = render_template("responses/retry.html", fields=list(request.form.items(multi=True)),
                               action=request.path)
        response = current_app.make_response((body, ServiceUnavailable.code))
    else:
        response = current_app.make_response(render_error(ServiceUnavailable.code))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # our own body, but werkzeug's headers: Allow on a 405, WWW-Authenticate on a 401, Retry-After…
        response = app.make_response(render_error(error.code or 500))
        for name, value in error.get_headers(request.environ):
            if name.lower() != "content-type":
                response.headers.add(name, value)
        return response

    app.register_error_handler(DBAPIError, database_error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_error(500)
