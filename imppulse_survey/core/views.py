"""The home page, language prefixes and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from ..campaigns.services import open_campaigns_by_city
from ..i18n import language_from_request, supported_languages
from .database import database_health

bp = Blueprint("core", __name__)


@bp.get("/")
def root():
    return redirect(url_for("core.home", lang=language_from_request()))


@bp.get("/<lang>/")
def home(lang: str):
    if lang not in supported_languages():
        abort(404)
    return render_template("core/home.html", cities=open_campaigns_by_city())


@bp.get("/<lang>/methodology")
def methodology(lang: str):
    """How every figure is made: linked from every output and from the OpenAPI document."""
    if lang not in supported_languages():
        abort(404)
    from ..releases.methodology import earlier_mirrors, standard_indicators

    return render_template("core/methodology.html", questionnaires=standard_indicators(),
                           earlier_mirrors=earlier_mirrors())


@bp.get("/healthz")
def healthz():
    """200 when a submission could be stored now; 503 saying why not (for a load balancer, and for people)."""
    state = database_health()
    if state != "ok":
        return jsonify({"status": "unavailable", "database": state}), 503
    return jsonify({"status": "ok", "database": "ok"})


@bp.after_app_request
def security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        # Answers, a resume link, a key or microdata must not stay in a browser's or a proxy's cache (a shared
        # computer, a kiosk); overriding whatever a view or send_file set, as "no-cache" still stores the page.
        response.headers["Cache-Control"] = "no-store"
    return response
