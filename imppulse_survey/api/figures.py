"""Figures through the API, all from releases: indicator tables, changes between waves, the mirror, and releases.

Staff read them with a session or a bearer token, for their own city only (admins: every city). Making a release
changes what everyone can see, so it takes a manager's or an admin's bearer token (never a browser cookie, which
another site could make a browser send).
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, jsonify, request, url_for
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError

from ..accounts.views import carries_token
from ..campaigns.models import Campaign
from ..core.limits import configured, failures_per_address
from ..extensions import db
from ..i18n import supported_languages
from ..releases.cells import campaign_tables
from ..releases.declarations import poolings_of
from ..releases.figures import campaign_indicators, indicator_tables, mirror_pairs, remembered, wave_change
from ..releases.services import FIRST_RELEASE, ReleaseRefused, list_releases, release, released_periods
from ..releases.tables import parse_table, table_name
from .schemas import (
    ChangeQuerySchema,
    ChangeSchema,
    IndicatorQuerySchema,
    IndicatorsSchema,
    MakeReleaseSchema,
    MirrorQuerySchema,
    MirrorSchema,
    ReleaseSchema,
    ReleasesSchema,
)
from .views import bp, problem, staff_campaign_request, staff_user, visible_campaign

GUARDED = failures_per_address(configured("TOKEN_RATE_LIMIT"))  # a refused token (401), another city (404)


def methodology_url(lang: str = "en") -> str:
    return url_for("core.methodology", lang=lang if lang in supported_languages() else "en", _external=False)


@bp.get("/campaigns/<slug>/indicators")
@GUARDED
def indicators(slug: str):
    campaign, query, refusal = staff_campaign_request(slug, IndicatorQuerySchema())
    if refusal:
        return refusal
    tables = campaign_tables(campaign)
    table = parse_table(query["by"].replace(" ", "").replace(",", ":"))
    waves, problems = chosen_waves(campaign, query.get("wave"))
    if table not in tables:
        problems["by"] = ["not a releasable table; these are: " + "; ".join(table_name(t) or "(total)" for t in tables)
                          + " (any other breakdown is for microdata only)"]
    if problems:
        return problem(400, "invalid query parameters", problems)
    released = tuple((period.label, period.release.id, period.release.made_dt, period.pooling_id)
                     for period in released_periods(campaign))
    body = _indicators_body(campaign.id, campaign.slug, released, table, tuple(waves) if waves else None,
                            query["weighted"], query["lang"])
    return current_app.response_class(body, mimetype="application/json")


@remembered
@lru_cache(maxsize=256)
def _indicators_body(campaign_id: int, slug: str, released: tuple, table: tuple, labels: tuple | None, weighted: bool,
                     lang: str) -> str:
    # The body depends only on the releases it shows (``released``: their ids and times), which never change: a
    # new release or reissue is a new key. Computed once per worker for each query.
    shown, found = indicator_tables(db.session.get(Campaign, campaign_id), table, list(labels) if labels else None,
                                    weighted, lang)
    body = {"campaign": slug, "weighted": weighted, "by": list(table), "waves": shown,
            "methodology": methodology_url(lang), "indicators": found}
    return current_app.json.dumps(IndicatorsSchema().dump(body))


def chosen_waves(campaign, labels: str | None):
    """The labels of waves or pooled periods named in ``labels`` (comma-separated), or None for all; a problem for
    each unknown label."""
    if not labels:
        return None, {}
    known = {wave.label for wave in campaign.waves} | {pooling.label for pooling in poolings_of(campaign)}
    asked = [label.strip() for label in labels.split(",") if label.strip()]
    missing = [label for label in asked if label not in known]
    if missing:
        return None, {"wave": [f"unknown wave: {label}" for label in missing]}
    return asked, {}


@bp.get("/campaigns/<slug>/indicators/<key>/change")
@GUARDED
def indicator_change(slug: str, key: str):
    campaign, query, refusal = staff_campaign_request(slug, ChangeQuerySchema())
    if refusal:
        return refusal
    indicator = next((indicator for indicator in campaign_indicators(campaign) if indicator.key == key), None)
    if indicator is None:
        return problem(404, "no such indicator")
    known = {wave.label: wave for wave in campaign.waves}
    problems = {name.rstrip("_"): [f"unknown wave: {query[name]}"] for name in ("from_", "to") if query[name] not in known}
    if problems:
        return problem(400, "invalid query parameters", problems)
    result = wave_change(campaign, indicator, known[query["from_"]], known[query["to"]], query["weighted"])
    return jsonify(ChangeSchema().dump({"campaign": campaign.slug, "indicator": key, "kind": indicator.kind,
                                        "methodology": methodology_url(), **result}))


@bp.get("/mirror")
@GUARDED
def mirror():
    """Residents' and officers' views of the same constructs, for the two campaigns and waves the caller names."""
    user = staff_user()
    if user is None:
        return problem(401, "log in or send Authorization: Bearer <token>")
    try:
        query = MirrorQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        return problem(400, "invalid query parameters", error.messages)
    residents, officers = visible_campaign(user, query["residents"]), visible_campaign(user, query["officers"])
    if residents is None or officers is None:
        return problem(404, "no such campaign")
    problems = {}
    if (residents.audience, officers.audience) != ("resident", "officer"):
        problems["residents"] = ["residents must name a residents' campaign and officers an officers' campaign"]
    elif residents.city_id != officers.city_id:
        problems["officers"] = ["the two campaigns must be of the same city"]
    waves = {}
    for campaign, name in ((residents, "resident_wave"), (officers, "officer_wave"),
                           (residents, "since_resident_wave"), (officers, "since_officer_wave")):
        if name not in query:
            continue
        waves[name] = next((wave for wave in campaign.waves if wave.label == query[name]), None)
        if waves[name] is None:
            problems[name] = [f"unknown wave: {query[name]}"]
    if problems:
        return problem(400, "invalid query parameters", problems)
    since = (waves["since_resident_wave"], waves["since_officer_wave"]) if "since_resident_wave" in waves else None
    pairs = mirror_pairs(residents, waves["resident_wave"], officers, waves["officer_wave"], query["lang"],
                         since=since)
    return jsonify(MirrorSchema().dump({
        "residents": {"campaign": residents.slug, "wave": query["resident_wave"]},
        "officers": {"campaign": officers.slug, "wave": query["officer_wave"]},
        "methodology": methodology_url(query["lang"]), "pairs": pairs}))


@bp.get("/campaigns/<slug>/releases")
@GUARDED
def releases(slug: str):
    campaign, _, refusal = staff_campaign_request(slug, None)
    if refusal:
        return refusal
    return jsonify(ReleasesSchema().dump({"campaign": campaign.slug, "releases": list_releases(campaign)}))


@bp.post("/campaigns/<slug>/releases")
@GUARDED
def make_release(slug: str):
    user = staff_user()
    if user is None or not carries_token(request):
        return problem(401, "making a release needs a manager's or an admin's Authorization: Bearer <token>")
    campaign = visible_campaign(user, slug)
    if campaign is None:
        return problem(404, "no such campaign")
    if user.role not in ("admin", "manager"):
        return problem(403, "only a manager of the city or an admin makes releases")
    body = request.get_json(silent=True)
    try:
        data = MakeReleaseSchema().load(body if isinstance(body, dict) else {})
    except ValidationError as error:
        return problem(400, "invalid release", error.messages)
    wave = next((wave for wave in campaign.waves if wave.label == data["wave"]), None)
    if wave is None:
        return problem(404, "no such wave", {"wave": [f"unknown wave: {data['wave']}"]})
    try:
        made = release(campaign, wave, data.get("private_key"), data.get("reason", FIRST_RELEASE)).release
    except ReleaseRefused as refused:
        return problem(409, str(refused))
    except DBAPIError:
        return problem(503, "the service is temporarily unavailable; nothing was released")
    current_app.logger.info("release %s of wave %s of campaign %s made by user %s", made.number, wave.id,
                            campaign.id, user.id)
    return jsonify(ReleaseSchema().dump(made)), 201
