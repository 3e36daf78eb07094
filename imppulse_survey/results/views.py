"""What a city publishes, for everyone, no login: a page, its JSON and its CSV, all with the public (noisy) figures
of the current release of each published wave."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from ..api.figures import methodology_url
from ..api.schemas import LanguageQuerySchema, PublicResultsSchema
from ..api.views import problem
from ..campaigns.models import City
from ..campaigns.texts import campaign_texts
from ..exports.aggregates import category_labels
from ..exports.writers import csv_chunks
from ..extensions import csrf, db
from ..i18n import force_locale, supported_languages
from ..questionnaires.published import published_definition
from .services import PublishedWave, csv_header, csv_rows, public_results

bp = Blueprint("results", __name__, url_prefix="/<lang>/results")
api_bp = Blueprint("results_api", __name__, url_prefix="/api/v1/public/results")
csrf.exempt(api_bp)  # GET only


def note() -> str:
    """What every public figure needs said beside it, in plain words."""
    return _("The figures include a small random adjustment, so that no individual answer can ever be worked out "
             "from them. Each range (%(level)s interval) shows the uncertainty that comes from asking some people "
             "rather than everyone, and from that adjustment; it does not cover other errors, such as who chose to "
             "answer.",
             level=format_percent(0.95))


def find_city(slug: str) -> City | None:
    if len(slug) > 64:
        return None
    return db.session.scalar(select(City).filter_by(slug=slug))


@bp.get("/<city_slug>")
def city_results(lang: str, city_slug: str):
    if lang not in supported_languages():
        abort(404)
    city = find_city(city_slug)
    if city is None:
        abort(404)
    waves = [shown_wave(item, lang) for item in public_results(city, lang)]
    return render_template("results/city.html", lang=lang, city=city, waves=waves, note=note(),
                           status_text=status_text, unit_text=unit_text, methodology=methodology_url(lang),
                           links=public_links(city, lang))


def shown_wave(item: PublishedWave, lang: str) -> dict:
    """A published wave as the page shows it: the total table, then each breakdown, categories named."""
    label_of = category_labels(item.campaign, item.wave, lang)
    total = next((table for table in item.tables if table["table"] == ()), {"indicators": []})
    breakdowns = [table for table in item.tables if table["table"] != ()]
    return {"item": item, "total": [(indicator, indicator["cells"][0]) for indicator in total["indicators"]
                                    if indicator["cells"]],
            "breakdowns": [{"title": breakdown_title(item, table["table"], lang), "indicators": [
                {"indicator": indicator,
                 "rows": [(" · ".join(label_of(name, cell["dimensions"].get(name)) for name in table["table"]), cell)
                          for cell in indicator["cells"]]}
                for indicator in table["indicators"] if indicator["cells"]]} for table in breakdowns]}


def breakdown_title(item: PublishedWave, table: tuple, lang: str) -> str:
    """"District", "District × Gender": the standard breakdowns by name, any other by its question."""
    names = {"district": _("District"), "age_band": _("Age"), "gender": _("Gender"),
             "police_contact": _("Contact with the police"), "district_group": _("Groups of districts")}
    definition = published_definition(item.wave.questionnaire_version)
    say = campaign_texts(item.campaign, lang)
    return " × ".join(names.get(name) or (say(definition.answer_text(name))
                                          if name in definition.item_by_answer_key else name) for name in table)


def status_text(status: str) -> str:
    """What a cell without a figure says instead, in plain words."""
    return {
        "suppressed": _("not shown: too few answers, in this group or in a smaller group it would reveal"),
        "nearly_all": _("nearly everyone (no figure, so that the few who answered otherwise stay anonymous)"),
        "nearly_none": _("nearly nobody (no figure, so that the few who answered otherwise stay anonymous)"),
        "not_enough_variation": _("no figure: the answers vary too little"),
        "weighted_only": _("no figure for this group"),
        "no_data": _("no answers"),
    }.get(status, status)


def unit_text(indicator: dict) -> str | None:
    """What the figure counts, unless the indicator's label says it already (standard scores say "0–100")."""
    if indicator["kind"] == "mean":
        return None if "100" in indicator["label"] else _("score from 0 to 100")
    return {"proportion": _("percentage of people"),
            "estimate": _("officers' estimate, as a percentage")}.get(indicator["kind"])


def public_request(city_slug: str):
    """The city and the language asked for, or the refusal to send: 400 or 404."""
    try:
        query = LanguageQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        return None, problem(400, "invalid query parameters", error.messages)
    city = find_city(city_slug)
    if city is None:
        return None, problem(404, "no such city")
    lang = query.get("lang") or (city.default_language if city.default_language in supported_languages() else "en")
    return (city, lang), None


@api_bp.get("/<city_slug>")
def results_json(city_slug: str):
    found, refusal = public_request(city_slug)
    if refusal:
        return refusal
    city, lang = found
    with force_locale(lang):
        body = {"city": city, "language": lang, "methodology": methodology_url(lang), "note": note(),
                "waves": public_results(city, lang)}
        return jsonify(PublicResultsSchema().dump(body))


@api_bp.get("/<city_slug>.csv")
def results_csv(city_slug: str):
    found, refusal = public_request(city_slug)
    if refusal:
        return refusal
    city, lang = found
    with force_locale(lang):
        shown = public_results(city, lang)
        body = b"".join(csv_chunks(csv_header(shown), csv_rows(shown, lang)))  # a few thousand cells at most
    response = Response(body, mimetype="text/csv; charset=utf-8")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", city.slug).strip("-") or "city"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-results.csv"'
    return response


def public_links(city: City, lang: str) -> dict[str, str]:
    return {"page": url_for("results.city_results", lang=lang, city_slug=city.slug),
            "json": url_for("results_api.results_json", city_slug=city.slug, lang=lang),
            "csv": url_for("results_api.results_csv", city_slug=city.slug, lang=lang)}
