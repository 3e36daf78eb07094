"""The home page, language prefixes and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..campaigns.services import open_campaigns_by_city
from ..extensions import db
from ..i18n import language_from_request, supported_languages

bp = Blueprint("core", __name__)


@bp.get("/")
def root():
    return redirect(url_for("core.home", lang=language_from_request()))


@bp.get("/<lang>/")
def home(lang: str):
    if lang not in supported_languages():
        abort(404)
    return render_template("core/home.html", cities=open_campaigns_by_city())


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
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
    return response
