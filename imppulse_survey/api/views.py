"""The JSON API for field tablets and kiosks (a campaign's questionnaire, submissions), and what the staff
endpoints share (``figures.py`` holds those)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from ..campaigns.models import Campaign
from ..campaigns.texts import campaign_texts
from ..core.limits import configured, failures_per_address
from ..extensions import csrf, db, limiter
from ..i18n import force_locale
from ..questionnaires.definition import item_type
from ..questionnaires.published import published_definition
from ..responses.services import CampaignNotFound, CampaignNotOpen, InvitationRefused, SubmissionInvalid, submit
from .openapi import openapi_document
from .schemas import LanguageQuerySchema, QuestionnaireSchema, SubmissionSchema, SubmittedSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1")
SUBMISSION, SUBMITTED = SubmissionSchema(), SubmittedSchema()
csrf.exempt(bp)  # JSON only, no cookies needed: CSRF cannot reach it


def problem(status: int, message: str, problems: dict | None = None):
    body = {"status": status, "message": message}
    if problems:
        body["problems"] = problems
    return jsonify(body), status


def find_campaign(slug: str):
    if len(slug) > 64:
        return None
    # the campaign with what a request needs of it, in one query
    return db.session.scalars(
        select(Campaign).filter_by(slug=slug)
        .options(joinedload(Campaign.waves), joinedload(Campaign.questionnaire_version))
    ).unique().one_or_none()


@bp.get("/campaigns/<slug>/questionnaire")
def questionnaire(slug: str):
    try:
        query = LanguageQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        return problem(400, "invalid query parameters", error.messages)
    campaign = find_campaign(slug)
    if campaign is None:
        return problem(404, "no such campaign")
    if campaign.current_wave() is None:
        return problem(410, "the campaign is not taking responses")
    lang = query.get("lang") or campaign.default_language
    if lang not in campaign.languages:
        return problem(400, "invalid query parameters",
                       {"lang": [f"the campaign is offered in {', '.join(campaign.languages)}"]})
    return jsonify(QuestionnaireSchema().dump(localised(campaign, lang)))


@bp.post("/campaigns/<slug>/responses")
@failures_per_address(configured("TOKEN_RATE_LIMIT"), refusals={404, 409})  # unknown survey, refused card
@limiter.limit(configured("SUBMISSION_RATE_LIMIT"))
def responses(slug: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "the body must be a JSON object")
    try:
        data = SUBMISSION.load(body)
    except ValidationError as error:
        return problem(400, "invalid submission", error.messages)
    try:
        result = submit(slug, data["answers"], language=data["language"], submission_id=str(data["submission_id"]),
                        channel="api", token=data.get("token"))
    except CampaignNotFound:
        return problem(404, "no such campaign")
    except SubmissionInvalid as invalid:
        with force_locale(data["language"]):  # messages in the respondent's language
            problems = {key: [str(message)] for key, message in invalid.problems.items()}
        if "submission_id" in problems:
            return problem(409, "this submission_id belongs to another campaign", problems)
        return problem(422, "some answers need attention", problems)
    except CampaignNotOpen:
        return problem(410, "the campaign is not taking responses")
    except InvitationRefused:
        return problem(409, "this invitation cannot be used")
    except DBAPIError:
        return problem(503, "the service is temporarily unavailable; send the same submission again later")
    if result.sealed:
        # an officer's answers are sealed until their wave is released: no receipt that could point back to them
        return jsonify(SUBMITTED.dump(result)), 202
    return jsonify(SUBMITTED.dump(result)), 201 if result.created else 200


def staff_campaign_request(slug: str, schema=None):
    """The signed-in user's campaign and the parsed query, or the refusal to send: 401, 404 or 400."""
    user = staff_user()
    if user is None:
        return None, None, problem(401, "log in or send Authorization: Bearer <token>")
    campaign = visible_campaign(user, slug)
    if campaign is None:
        return None, None, problem(404, "no such campaign")
    if schema is None:
        return campaign, {}, None
    try:
        return campaign, schema.load(request.args.to_dict()), None
    except ValidationError as error:
        return None, None, problem(400, "invalid query parameters", error.messages)


def visible_campaign(user, slug: str):
    campaign = find_campaign(slug)
    if campaign is not None and not user.may_see_city(campaign.city_id):
        current_app.logger.warning("denied: user %s asked for campaign %s of another city", user.id, campaign.id)
        return None
    return campaign


def staff_user():
    from flask_login import current_user

    return current_user if current_user.is_authenticated else None


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", spec=openapi_document())


def localised(campaign: Campaign, lang: str) -> dict:
    """The published definition with every text in one language: what a client needs to render it."""
    version = campaign.version_now
    definition = published_definition(version)
    say = campaign_texts(campaign, lang)

    def item_view(item):
        view = {key: item[key] for key in ("key", "type", "required", "show_if") if key in item}
        view["text"] = say(item["text"])
        view["missing"] = [{"key": key, "code": definition.data["missing"][key]["code"],
                            "label": say(definition.missing_label(item, key))} for key in item.get("missing", [])]
        if "help" in item:
            view["help"] = say(item["help"])
        return {**view, **item_type(item).api_view(item, say)}

    shown = [page for page in definition.pages if campaign.pilot_label or not page.get("pilot_only")]
    pages = []
    for page in shown:
        items = [item_view(item) for item in page["items"] if campaign.pilot_label or not item.get("pilot_only")]
        if items:
            view = {"key": page["key"], "title": say(page["title"]), "items": items}
            for key in ("intro",):
                if key in page:
                    view[key] = say(page[key])
            if "show_if" in page:
                view["show_if"] = page["show_if"]
            pages.append(view)
    return {
        "campaign": campaign.slug,
        "questionnaire": definition.key,
        "version": version.number,
        "language": lang,
        "languages": campaign.languages,
        "access_mode": campaign.access_mode,
        "title": say(definition.data["title"]),
        "introduction": say(definition.data["introduction"]),
        "duration_minutes": definition.data["duration_minutes"],
        "pages": pages,
        "districts": [{"code": d.code, "name": d.name} for d in campaign.city.districts]
        if any(item_type(i).holds_district for p in definition.pages for i in p["items"]) else [],
    }
