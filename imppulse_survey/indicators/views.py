"""The workspace's figures: a release's indicators as charts with their tables, one indicator by wave and by
district, the change between two waves, and the mirror of residents' and officers' views. Every figure comes from
``releases.figures``: nothing here reads a response."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import format_percent
from flask_babel import gettext as _

from ..accounts.access import require_admin, staff_page, visible_campaign, visible_cities
from ..campaigns.models import Campaign, Wave
from ..core.charts import interval_chart, paired_chart, svg
from ..exports.aggregates import category_labels
from ..i18n import language_name, text_in
from ..releases.figures import ESTIMATE, campaign_indicators, indicator_tables, mirror_pairs, wave_change
from ..releases.services import released_periods
from ..releases.tables import RESIDENT_BREAKDOWNS
from . import network as network_figures

bp = Blueprint("indicators", __name__, url_prefix="/<lang>/staff")


def confidence_level() -> str:
    """"95%", written the language's way ("95 %" in French)."""
    return format_percent(0.95)


def status_text(status: str) -> str:
    """What a figure that is not an estimate says instead, in words."""
    return {
        "suppressed": _("suppressed (too few respondents)"),
        "no_data": _("no data"),
        "nearly_all": _("nearly all"),
        "nearly_none": _("nearly none"),
        "not_enough_variation": _("not enough variation"),
        "weighted_only": _("weighted figure only"),
        "series_break": _("not comparable (the question changed)"),
        "not_comparable": _("not comparable"),
    }.get(status, status)


def _weighted() -> bool:
    return request.args.get("weighted", "1") != "0"


def _released_waves(campaign: Campaign) -> list[Wave]:
    return [period.release.wave for period in released_periods(campaign) if period.pooling_id is None]


def _chosen_wave(campaign: Campaign, waves: list[Wave]) -> Wave | None:
    label = request.args.get("wave")
    if label:
        chosen = next((wave for wave in waves if wave.label == label), None)
        if chosen is None:
            abort(404)
        return chosen
    return waves[-1] if waves else None


def _row(category: str, cell: dict) -> dict:
    """A chart row: the estimate and interval, or the reason there is none."""
    if cell["status"] == ESTIMATE:
        return {"category": category, "estimate": cell["estimate"], "low": cell["ci_low"], "high": cell["ci_high"],
                "note": ""}
    return {"category": category, "estimate": None, "low": None, "high": None, "note": status_text(cell["status"])}


def _chart(rows: list[dict], label: str, kind: str):
    title = _("Estimated percentage, %(level)s interval", level=confidence_level()) if kind == "estimate" else (
        _("Percentage, %(level)s interval", level=confidence_level()) if kind == "proportion" else _("Score 0–100, %(level)s interval", level=confidence_level()))
    return svg(interval_chart(rows, title), label) if rows else None


@bp.get("/campaigns/<slug>/indicators")
@staff_page
def overview(lang: str, slug: str):
    campaign = visible_campaign(slug)
    waves = _released_waves(campaign)
    wave = _chosen_wave(campaign, waves)
    weighted = _weighted()
    tables = indicator_tables(campaign, (), [wave.label], weighted, lang)[1] if wave else []
    rows = [(table, next(iter(table["cells"]), {"status": "no_data"})) for table in tables]
    chart = _chart([_row(table["label"], cell) for table, cell in rows],
                   _("Every indicator of wave %(wave)s", wave=wave.label), "mean") if wave else None
    return render_template("indicators/overview.html", campaign=campaign, waves=waves, wave=wave, rows=rows,
                           chart=chart, weighted=weighted, status_text=status_text)


@bp.get("/campaigns/<slug>/indicators/<key>")
@staff_page
def indicator(lang: str, slug: str, key: str):
    campaign = visible_campaign(slug)
    found = next((item for item in campaign_indicators(campaign) if item.key == key), None)
    if found is None:
        abort(404)
    waves = _released_waves(campaign)
    wave = _chosen_wave(campaign, waves)
    weighted = _weighted()
    by_wave = _table(campaign, (), None, weighted, lang, key)
    wave_rows = [_row(cell["dimensions"]["wave"], cell) for cell in by_wave["cells"]] if by_wave else []
    breakdowns = []
    if wave is not None:
        label_of = category_labels(campaign, wave, lang)
        names = ["district", *[name for name in RESIDENT_BREAKDOWNS if name != "district"]] \
            if campaign.audience == "resident" else _officer_breakdowns(campaign, wave)
        for name in names:
            table = _table(campaign, (name,), [wave.label], weighted, lang, key)
            if table is None or not table["cells"]:
                continue
            cells = [(label_of(name, cell["dimensions"].get(name)), cell) for cell in table["cells"]]
            breakdowns.append({"name": name, "title": _breakdown_title(name, campaign, wave, lang), "cells": cells,
                               "chart": _chart([_row(label, cell) for label, cell in cells],
                                               _("%(indicator)s by district", indicator=text_in(found.label, lang)), found.kind)
                               if name == "district" else None})
    return render_template(
        "indicators/indicator.html", campaign=campaign, indicator=found, label=by_wave["label"] if by_wave else key,
        by_wave=by_wave, wave_chart=_chart(wave_rows, _("By wave"), found.kind), waves=waves, wave=wave,
        breakdowns=breakdowns, weighted=weighted, status_text=status_text)


def _table(campaign, table, labels, weighted, lang, key) -> dict | None:
    found = indicator_tables(campaign, table, labels, weighted, lang, keys=[key])[1]
    return found[0] if found else None


def _officer_breakdowns(campaign: Campaign, wave: Wave) -> list[str]:
    from ..releases.cells import campaign_tables

    return [table[0] for table in campaign_tables(campaign, wave) if len(table) == 1]


def _breakdown_title(name: str, campaign: Campaign, wave: Wave, lang: str) -> str:
    from ..campaigns.texts import campaign_texts
    from ..questionnaires.published import published_definition

    if name == "district":
        return _("By district")
    definition = published_definition(wave.questionnaire_version)
    item = definition.item_by_answer_key.get(name)
    return campaign_texts(campaign, lang)(definition.answer_text(name)) if item else name


@bp.get("/campaigns/<slug>/compare")
@staff_page
def compare(lang: str, slug: str):
    campaign = visible_campaign(slug)
    waves = _released_waves(campaign)
    known = {wave.label: wave for wave in waves}
    first = known.get(request.args.get("from", "")) or (waves[-2] if len(waves) > 1 else None)
    second = known.get(request.args.get("to", "")) or (waves[-1] if len(waves) > 1 else None)
    weighted = _weighted()
    changes = []
    if first is not None and second is not None and first is not second:
        for item in campaign_indicators(campaign):
            changes.append((item, wave_change(campaign, item, first, second, weighted)))
    rows = [{"category": text_in(item.label, lang), "estimate": change.get("difference"),
             "low": change.get("ci_low"), "high": change.get("ci_high"),
             "note": "" if change["status"] == ESTIMATE else status_text(change["status"])}
            for item, change in changes]
    reach = max([abs(value) for row in rows for value in (row["low"], row["high"]) if value is not None] or [10])
    chart = svg(interval_chart(rows, _("Change in points, %(level)s interval", level=confidence_level()), (-reach, reach)),
                _("Change from %(first)s to %(second)s", first=first.label, second=second.label)) if rows else None
    return render_template("indicators/compare.html", campaign=campaign, waves=waves, first=first, second=second,
                           changes=changes, chart=chart, weighted=weighted, status_text=status_text)


@bp.get("/mirror")
@staff_page
def mirror(lang: str):
    cities = visible_cities()
    campaigns = [campaign for city in cities for campaign in city.campaigns]
    residents = _pick(campaigns, "residents", "resident")
    officers = _pick(campaigns, "officers", "officer", city_id=residents.city_id if residents else None)
    resident_waves = _released_waves(residents) if residents else []
    officer_waves = _released_waves(officers) if officers else []
    resident_wave = _named(resident_waves, "resident_wave")
    officer_wave = _named(officer_waves, "officer_wave")
    pairs = mirror_pairs(residents, resident_wave, officers, officer_wave, lang) \
        if resident_wave and officer_wave else []
    rows = []
    for pair in pairs:
        for side, series in (("residents", _("Residents")), ("officers", _("Officers' estimate"))):
            if pair[side]["status"] == ESTIMATE:
                rows.append({"category": pair["label"], "series": series, "estimate": pair[side]["estimate"]})
    chart = svg(paired_chart(rows, _("Percentage"), (_("Residents"), _("Officers' estimate"))),
                _("Residents' and officers' views")) if rows else None
    return render_template("indicators/mirror.html", campaigns=campaigns, residents=residents, officers=officers,
                           resident_waves=resident_waves, officer_waves=officer_waves, resident_wave=resident_wave,
                           officer_wave=officer_wave, pairs=pairs, chart=chart, status_text=status_text)


def _pick(campaigns: list[Campaign], name: str, audience: str, city_id: int | None = None) -> Campaign | None:
    asked = request.args.get(name)
    candidates = [campaign for campaign in campaigns if campaign.audience == audience
                  and (city_id is None or campaign.city_id == city_id)]
    if asked:
        chosen = next((campaign for campaign in candidates if campaign.slug == asked), None)
        if chosen is None:
            abort(404)
        return chosen
    return next(iter(sorted(candidates, key=lambda campaign: campaign.slug)), None)


def _named(waves: list[Wave], name: str) -> Wave | None:
    asked = request.args.get(name)
    if asked:
        chosen = next((wave for wave in waves if wave.label == asked), None)
        if chosen is None:
            abort(404)
        return chosen
    return waves[-1] if waves else None


@bp.get("/network", endpoint="network")
@staff_page
def network_page(lang: str):
    """The network coordinator's comparison of cities: one indicator's comparable sets of waves, and the pilots'
    mirror gaps (admins only)."""
    from ..campaigns.views import recruitment_names

    require_admin()
    choices = network_figures.standard_indicators(
        network_figures.resident_campaigns(network_figures.cities_in_order()), lang)
    asked = request.args.get("indicator")
    chosen = next((choice for choice in choices if choice.key == asked), None) if asked else next(iter(choices), None)
    if asked and chosen is None:
        abort(404)
    found = network_figures.network(lang, [chosen.key] if chosen else [])
    comparison = next(iter(found["comparisons"]), None)
    charts = [_set_chart(group, comparison, number) for number, group in enumerate(comparison["sets"], 1)] \
        if comparison else []

    def network_status(status: str) -> str:
        if status == network_figures.RECRUITMENT_CHANGED:
            return _("not comparable (respondents recruited differently)")
        return status_text(status)

    return render_template("indicators/network.html", indicators=choices, chosen=chosen, comparison=comparison,
                           charts=charts, mirrors=found["mirrors"], recruitment_names=recruitment_names(),
                           language_name=language_name, status_text=network_status)


def _set_chart(group: dict, comparison: dict, number: int):
    lines = [(city["name"], line) for city in group["cities"] for line in city["waves"]]
    names = [f"{city} · {line['wave']}" for city, line in lines]
    if len(set(names)) < len(names):  # one city, two campaigns, the same wave label
        names = [f"{city} · {line['campaign']} · {line['wave']}" for city, line in lines]
    return _chart([_row(name, line) for name, (_city, line) in zip(names, lines, strict=True)],
                  _("%(indicator)s, comparable set %(number)d", indicator=comparison["label"], number=number),
                  comparison["kind"])
