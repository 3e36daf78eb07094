"""Pilots through the API: the registry and each pilot's evaluation, for staff of the pilot's city (admins: every
city), with a session or a bearer token. A pilot of another city is answered as if it did not exist."""

from __future__ import annotations

from flask import current_app, jsonify, request
from marshmallow import ValidationError

from ..api.figures import GUARDED, methodology_url
from ..api.views import bp, problem, staff_user
from ..i18n import force_locale
from .evaluation import evaluate
from .models import Pilot
from .schemas import EvaluationSchema, LanguageQuery, PilotListSchema, PilotSchema
from .services import find_pilot, pilot_text, pilots_of
from .summary import summary


def _request(slug: str | None = None):
    """(user, pilot, lang) or a refusal: 401, 404, 400."""
    user = staff_user()
    if user is None:
        return None, problem(401, "log in or send Authorization: Bearer <token>")
    try:
        lang = LanguageQuery().load(request.args.to_dict())["lang"]
    except ValidationError as error:
        return None, problem(400, "invalid query parameters", error.messages)
    if slug is None:
        return (user, None, lang), None
    pilot = find_pilot(slug)
    if pilot is None or not user.may_see_city(pilot.city_id):
        if pilot is not None:
            current_app.logger.warning("denied: user %s asked for pilot %s of another city", user.id, pilot.id)
        return None, problem(404, "no such pilot")
    return (user, pilot, lang), None


def _summary(pilot: Pilot, lang: str) -> dict:
    return {"slug": pilot.slug, "city": pilot.city.slug, "title": pilot_text(pilot.title, lang, pilot) or pilot.slug, "declared": pilot.declared_dt}


@bp.get("/pilots")
@GUARDED
def pilot_list():
    found, refusal = _request()
    if refusal:
        return refusal
    user, _, lang = found
    city_ids = None if user.role == "admin" else [user.city_id]
    return jsonify(PilotListSchema().dump({"pilots": [_summary(pilot, lang) for pilot in pilots_of(city_ids)]}))


@bp.get("/pilots/<slug>")
@GUARDED
def pilot(slug: str):
    found, refusal = _request(slug)
    if refusal:
        return refusal
    _, pilot, lang = found
    officers = None if pilot.officer_campaign is None else {
        "campaign": pilot.officer_campaign.slug, "baseline": pilot.officer_baseline.label,
        "follow_up": pilot.officer_follow_up.label}
    return jsonify(PilotSchema().dump({
        **_summary(pilot, lang), "titles": pilot.title, "description": pilot.description,
        "objectives": pilot.objectives, "declared_after_baseline": pilot.declared_after_baseline,
        "residents": {"campaign": pilot.resident_campaign.slug, "baseline": pilot.resident_baseline.label,
                      "follow_up": pilot.resident_follow_up.label},
        "officers": officers, "pilot_districts": pilot.pilot_districts,
        "comparison_districts": pilot.comparison_districts, "primary_indicator": pilot.primary_indicator,
        "targets": pilot.targets, "actions": pilot.actions, "budget": pilot.budget_lines,
        "revisions": pilot.revisions}))


@bp.get("/pilots/<slug>/evaluation")
@GUARDED
def pilot_evaluation(slug: str):
    found, refusal = _request(slug)
    if refusal:
        return refusal
    _, pilot, lang = found
    evaluation = evaluate(pilot, lang)
    with force_locale(lang):
        sentences = summary(evaluation)
    return jsonify(EvaluationSchema().dump({**evaluation, "pilot": pilot.slug, "summary": sentences,
                                            "methodology": methodology_url(lang)}))
