"""The workspace's pilot pages: the list, declaring a pilot, its evaluation report (HTML for screen and print,
and PDF), and managing its texts, design, actions and budget. Viewers read; managers of the city change; every
change is audited. A pilot of another city is answered as if it did not exist."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import may_manage, staff_page, visible_cities
from ..accounts.audit import record, recorded
from ..campaigns.models import City, Wave
from ..core.charts import svg
from ..core.database import begin_write
from ..core.forms import ActionForm
from ..extensions import db
from ..i18n import text_in
from ..indicators.views import confidence_level, status_text
from ..releases.figures import campaign_indicators
from ..releases.services import current_release
from . import services
from .charts import evaluation_chart
from .evaluation import evaluate
from .forms import (
    NO_WAVE,
    TARGET_ROWS,
    BudgetAmountsForm,
    BudgetLineForm,
    DesignForm,
    PilotActionForm,
    action_status_names,
    design_choices,
    texts_form,
    texts_of,
)
from .models import BudgetLine, Pilot, PilotAction
from .summary import summary

bp = Blueprint("pilots", __name__, url_prefix="/<lang>/staff/pilots")


def visible_pilot(slug: str) -> Pilot:
    pilot = services.find_pilot(slug)
    if pilot is None:
        abort(404)
    if not current_user.may_see_city(pilot.city_id):
        current_app.logger.warning("pilot of another city asked for", extra={"user": current_user.id})
        abort(404)
    return pilot


def managed_pilot(slug: str) -> Pilot:
    pilot = visible_pilot(slug)
    if not may_manage(pilot.city_id):
        abort(403)
    return pilot


@bp.get("/")
@staff_page
def pilots(lang: str):
    cities = visible_cities()
    return render_template("pilots/list.html", pilots=services.pilots_of([city.id for city in cities]),
                           cities=[city for city in cities if may_manage(city.id)])


def _city_for_new() -> City:
    cities = {city.slug: city for city in visible_cities() if may_manage(city.id)}
    if not cities:
        abort(403)
    slug = request.args.get("city") or (next(iter(cities)) if len(cities) == 1 else None)
    if slug not in cities:
        abort(404)
    return cities[slug]


def _design_form(city: City, pilot: Pilot | None = None, formdata=True) -> DesignForm:
    waves = {audience: [wave for campaign in sorted(city.campaigns, key=lambda c: c.slug)
                        if campaign.audience == audience for wave in campaign.waves]
             for audience in ("resident", "officer")}
    indicators = {}
    for campaign in city.campaigns:
        if campaign.audience == "resident":
            for indicator in campaign_indicators(campaign):
                indicators.setdefault(indicator.key, (indicator, text_in(indicator.label, request.view_args["lang"])))
    data = _design_data(pilot) if pilot else _new_design_data(waves)
    form = DesignForm(formdata=None, data=data) if formdata is None else DesignForm(data=data)
    return design_choices(form, waves, city.districts, list(indicators.values()))


def _new_design_data(waves: dict[str, list[Wave]]) -> dict:
    """A new pilot is measured, at first guess, by the last two waves of a campaign: the latest as follow-up."""
    data = {}
    for audience, prefix in (("resident", "resident"), ("officer", "officer")):
        found = waves[audience]
        if len(found) >= 2:
            last = found[-1]
            before = [wave for wave in found if wave.campaign_id == last.campaign_id and wave.id != last.id]
            if before:
                data.update({f"{prefix}_baseline": before[-1].id, f"{prefix}_follow_up": last.id})
    return data


def _design_data(pilot: Pilot) -> dict:
    data = {"resident_baseline": pilot.resident_baseline_id, "resident_follow_up": pilot.resident_follow_up_id,
            "officer_baseline": pilot.officer_baseline_id or NO_WAVE,
            "officer_follow_up": pilot.officer_follow_up_id or NO_WAVE,
            "pilot_districts": pilot.pilot_districts, "comparison_districts": pilot.comparison_districts,
            "primary_indicator": pilot.primary_indicator}
    for row, target in enumerate(pilot.targets[:TARGET_ROWS]):
        data.update({f"target_{row}": target.indicator, f"baseline_value_{row}": target.baseline_value,
                     f"target_value_{row}": target.target_value})
    return data


def _design(form: DesignForm) -> services.Design:
    def wave(field) -> Wave | None:
        return db.session.get(Wave, field.data) if field.data and field.data != NO_WAVE else None

    residents, officers = wave(form.resident_baseline), wave(form.officer_baseline)
    return services.Design(
        resident_campaign=residents.campaign, resident_baseline=residents,
        resident_follow_up=wave(form.resident_follow_up), pilot_districts=form.pilot_districts.data,
        comparison_districts=form.comparison_districts.data, primary_indicator=form.primary_indicator.data,
        targets=[services.Target(*target) for target in form.targets()],
        officer_campaign=officers.campaign if officers else None, officer_baseline=officers,
        officer_follow_up=wave(form.officer_follow_up))


@bp.route("/new", methods=["GET", "POST"])
@staff_page
def new_pilot(lang: str):
    if request.method == "POST":
        begin_write()
    city = _city_for_new()
    languages = services.city_languages(city)
    texts = texts_form(languages, with_slug=True, prefix="texts")
    design = _design_form(city, formdata=None if request.method == "GET" else True)
    if request.method == "POST" and all([texts.validate(), design.validate()]):
        try:
            pilot, reissued = services.declare(city, texts.slug.data, texts_of(texts, languages), _design(design),
                                               reason=(design.reason.data or "").strip() or None)
        except services.PilotRefused as refused:
            db.session.rollback()
            design.form_errors.append(_("This change was not made: %(reason)s", reason=str(refused)))
        else:
            record("pilot.declare", pilot.slug, city.id, design=services.design_record(pilot), reissued=reissued)
            db.session.commit()
            flash(_("Pilot declared. Its design is now fixed: a later change needs a reason and is shown on every "
                    "report."), "success")
            return redirect(url_for("pilots.manage", lang=lang, slug=pilot.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("pilots/new.html", city=city, texts=texts, design=design,
                           baseline_released=_released_baselines(city)), status


def _released_baselines(city: City) -> set[int]:
    return {wave.id for campaign in city.campaigns for wave in campaign.waves if current_release(wave) is not None}


def report_context(pilot: Pilot, lang: str) -> dict:
    evaluation = evaluate(pilot, lang)
    labels = {"pilot": _("Pilot districts"), "comparison": _("Comparison districts"), "baseline": _("Baseline"),
              "follow_up": _("Follow-up"), "target": _("Target")}
    charts = {row["indicator"]: svg(spec, _("%(indicator)s: pilot and comparison districts at baseline and "
                                            "follow-up", indicator=row["label"]))
              for row in evaluation["residents"] if (spec := evaluation_chart(row, labels)) is not None}
    districts = {district.code: district.name for district in pilot.city.districts}
    planned, spent = services.budget_totals(pilot)
    return {"pilot": pilot, "evaluation": evaluation, "summary": summary(evaluation), "charts": charts,
            "districts": districts, "planned": planned, "spent": spent, "status_text": status_text,
            "action_status": action_status_names(), "confidence": confidence_level(),
            "title": services.pilot_text(pilot.title, lang, pilot), "description": services.pilot_text(pilot.description, lang, pilot),
            "objectives": services.pilot_text(pilot.objectives, lang, pilot), "may_manage": may_manage(pilot.city_id)}


@bp.get("/<slug>/")
@staff_page
def report(lang: str, slug: str):
    return render_template("pilots/report.html", **report_context(visible_pilot(slug), lang))


@bp.get("/<slug>/report.pdf")
@staff_page
def report_pdf(lang: str, slug: str):
    pilot = visible_pilot(slug)
    from .pdf import pilot_pdf  # fpdf2 and its fonts: loaded by the workers that print

    record("pilot.pdf", pilot.slug, pilot.city_id, language=lang)
    db.session.commit()
    return Response(pilot_pdf(pilot, lang), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pilot.slug}-{lang}.pdf"', "Cache-Control": "no-store"})


def render_manage(pilot: Pilot, status: int = 200, **forms):
    lang = request.view_args["lang"]
    languages = services.city_languages(pilot.city)
    data = {f"{name}_{language}": (getattr(pilot, name) or {}).get(language, "")
            for name in ("title", "description", "objectives") for language in languages}
    return render_template(
        "pilots/manage.html", pilot=pilot, title=services.pilot_text(pilot.title, lang, pilot),
        texts=forms.get("texts") or texts_form(languages, data, formdata=None, prefix="texts"),
        design=forms.get("design") or _design_form(pilot.city, pilot, formdata=None),
        action_form=forms.get("action_form") or PilotActionForm(formdata=None, prefix="action"),
        budget_form=forms.get("budget_form") or BudgetLineForm(formdata=None, prefix="budget"),
        button=ActionForm(), action_status=action_status_names(), failed=forms.get("failed"),
        districts={district.code: district.name for district in pilot.city.districts}), status


@bp.get("/<slug>/manage")
@staff_page
def manage(lang: str, slug: str):
    return render_manage(managed_pilot(slug))


def _changed(pilot: Pilot, action: str, message: str, /, **details):
    """Audit, commit, say so, and go back to the managing page (a reload then repeats nothing)."""
    return recorded(action, pilot.slug, pilot.city_id, message,
                    url_for("pilots.manage", lang=request.view_args["lang"], slug=pilot.slug), **details)


def _editing(slug: str) -> Pilot:
    begin_write()
    return managed_pilot(slug)


@bp.post("/<slug>/texts")
@staff_page
def edit_texts(lang: str, slug: str):
    pilot = _editing(slug)
    languages = services.city_languages(pilot.city)
    form = texts_form(languages, prefix="texts")
    if not form.validate():
        return render_manage(pilot, 400, texts=form)
    services.set_texts(pilot, texts_of(form, languages))
    return _changed(pilot, "pilot.texts", _("Texts saved."), languages=sorted(pilot.title))


@bp.post("/<slug>/design")
@staff_page
def revise(lang: str, slug: str):
    pilot = _editing(slug)
    form = _design_form(pilot.city, pilot)
    if not form.validate():
        return render_manage(pilot, 400, design=form)
    try:
        before = services.design_record(pilot)
        reissued = services.revise_design(pilot, _design(form), form.reason.data or "")
    except services.PilotRefused as refused:
        db.session.rollback()
        pilot = visible_pilot(slug)
        form.form_errors.append(_("This change was not made: %(reason)s", reason=str(refused)))
        return render_manage(pilot, 409, design=form)
    return _changed(pilot, "pilot.design", _("Design changed, on record with its reason."), before=before,
                    after=services.design_record(pilot), reissued=reissued)


@bp.post("/<slug>/actions")
@staff_page
def add_action(lang: str, slug: str):
    pilot = _editing(slug)
    form = PilotActionForm(prefix="action")
    if not form.validate():
        return render_manage(pilot, 400, action_form=form)
    action = services.add_action(pilot, form.name.data, form.starts_on.data, form.ends_on.data, form.status.data,
                                 form.owner.data or "")
    return _changed(pilot, "pilot.action.add", _("Action added."), name=action.name)


def _owned(pilot: Pilot, model, item_id: int):
    item = db.session.get(model, item_id)
    if item is None or item.pilot_id != pilot.id:
        abort(404)
    return item


@bp.post("/<slug>/actions/<int:action_id>")
@staff_page
def update_action(lang: str, slug: str, action_id: int):
    pilot = _editing(slug)
    action = _owned(pilot, PilotAction, action_id)
    if not ActionForm().validate():
        abort(400)
    status = request.form.get("status", "")
    if status not in action_status_names():
        abort(400)
    if request.form.get("delete"):
        pilot.actions.remove(action)
        return _changed(pilot, "pilot.action.delete", _("Action removed."), name=action.name)
    action.status = status
    return _changed(pilot, "pilot.action.status", _("Action updated."), name=action.name, status=status)


@bp.post("/<slug>/budget")
@staff_page
def add_budget_line(lang: str, slug: str):
    pilot = _editing(slug)
    form = BudgetLineForm(prefix="budget")
    if not form.validate():
        return render_manage(pilot, 400, budget_form=form)
    line = services.add_budget_line(pilot, form.label.data, form.planned.data, form.spent.data or 0)
    return _changed(pilot, "pilot.budget.add", _("Budget line added."), label=line.label,
                    planned=str(line.planned_eur), spent=str(line.spent_eur))


@bp.post("/<slug>/budget/<int:line_id>")
@staff_page
def update_budget_line(lang: str, slug: str, line_id: int):
    pilot = _editing(slug)
    line = _owned(pilot, BudgetLine, line_id)
    form = BudgetAmountsForm(prefix=f"line{line.id}")
    if request.form.get("delete"):
        if not ActionForm().validate():
            abort(400)
        pilot.budget_lines.remove(line)
        return _changed(pilot, "pilot.budget.delete", _("Budget line removed."), label=line.label)
    if not form.validate():
        return render_manage(pilot, 400, failed=_("Enter an amount in euros, 0 or more."))
    line.spent_eur = form.spent.data or 0
    line.planned_eur = form.planned.data
    return _changed(pilot, "pilot.budget.update", _("Budget line updated."), label=line.label,
                    planned=str(line.planned_eur), spent=str(line.spent_eur))

