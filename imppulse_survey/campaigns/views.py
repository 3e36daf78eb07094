"""The staff workspace for campaigns: the city home, a campaign's page and fieldwork, and managing campaigns and
waves in the browser (create, plan, open, close, release, invitations, posters). Every change is audited."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts.access import managed_campaign, may_manage, require_admin, staff_page, visible_campaign, visible_cities
from ..accounts.audit import record, recorded
from ..core.charts import daily_chart, svg
from ..core.database import begin_write
from ..core.forms import options
from ..core.links import public_base_url
from ..extensions import db
from ..i18n import language_name
from ..questionnaires.models import QuestionnaireVersion
from ..questionnaires.packs import available_languages, unreviewed_languages
from ..questionnaires.services import list_versions
from . import services
from .fieldwork import drafts_saved, fieldwork, needs_attention, wave_responses
from .forms import (
    ActionForm,
    CampaignForm,
    FreeTextForm,
    InvitationsForm,
    ReleaseForm,
    ThresholdForm,
    WaveForm,
    texts_form,
)
from .models import RECRUITMENT_MODES, Campaign, City, Wave

bp = Blueprint("campaigns", __name__, url_prefix="/<lang>/staff")


def recruitment_names() -> dict[str, str]:
    return {"open_link": _("Open link or QR code"), "invitations": _("Single-use invitations"),
            "random_sample": _("Random sample, invited by letter"),
            "street_intercept": _("Street interviews, collected offline (ODK Collect, KoboCollect)")}


def released_wave_ids(campaigns: list[Campaign]) -> set[int]:
    from ..releases.models import Release

    return set(db.session.scalars(db.select(Release.wave_id).where(
        Release.campaign_id.in_([campaign.id for campaign in campaigns]), Release.is_current.is_(True))))


@bp.get("/")
@staff_page
def home(lang: str):
    cities = visible_cities()
    campaigns = [campaign for city in cities for campaign in sorted(city.campaigns, key=lambda c: c.slug)]
    counts = wave_responses(campaigns)
    released = released_wave_ids(campaigns)
    attention = {campaign.id: needs_attention(campaign, counts, released) for campaign in campaigns}
    return render_template("campaigns/home.html", cities=cities, counts=counts, attention=attention,
                           released=released)


def _latest_wave(campaign: Campaign) -> Wave | None:
    return campaign.current_wave() or (campaign.waves[-1] if campaign.waves else None)


def render_campaign(campaign: Campaign, status: int = 200, **forms):
    """The campaign's page, with any form that failed shown again with its errors."""
    counts = wave_responses([campaign])
    released = released_wave_ids([campaign])
    version_choices = _version_choices(campaign)
    # a new wave follows the version of the wave before it (or the campaign's): picking an earlier one breaks series
    latest = campaign.waves[-1].questionnaire_version_id if campaign.waves else campaign.questionnaire_version_id
    wave_form = forms.get("wave_form") or WaveForm(formdata=None, version=latest)
    wave_form.version.choices = version_choices
    wave_form.recruitment_mode.choices = _mode_choices(campaign)
    texts = forms.get("texts_form") or texts_form(campaign.languages, _texts_data(campaign))
    return render_template(
        "campaigns/campaign.html", campaign=campaign, counts=counts, released=released,
        attention=needs_attention(campaign, counts, released), may_manage=may_manage(campaign.city_id),
        wave_form=wave_form, threshold_form=forms.get("threshold_form") or ThresholdForm(
            formdata=None, threshold=campaign.disclosure_threshold),
        texts_form=texts, invitations_form=forms.get("invitations_form") or InvitationsForm(formdata=None),
        release_form=forms.get("release_form") or ReleaseForm(formdata=None), action_form=ActionForm(),
        free_text_form=FreeTextForm(formdata=None, allowed=campaign.microdata_free_text),
        recruitment_names=recruitment_names(), language_name=language_name,
        invitations_used=services.invitations_used(campaign) if campaign.access_mode == "invitation" else None,
        drafts=drafts_saved(campaign), failed=forms.get("failed"), publications=_publications(campaign),
        import_form=forms.get("import_form") or _import_form(campaign),
    ), status


def _import_form(campaign: Campaign):
    """The form for data collected offline in street interviews (``xlsform``), for resident campaigns."""
    from ..xlsform.views import import_form

    return import_form(campaign) if campaign.access_mode == "open" else None


def _publications(campaign: Campaign) -> dict:
    from ..results.services import publications

    return publications(campaign)


def _version_choices(campaign: Campaign) -> list:
    key = campaign.questionnaire_version.questionnaire.key
    return options((version.id, _("%(key)s, version %(number)s", key=key, number=version.number))
                   for version in list_versions() if version.questionnaire.key == key)


def _mode_choices(campaign: Campaign) -> list:
    names = recruitment_names()
    modes = ["invitations"] if campaign.access_mode == "invitation" else [
        mode for mode in RECRUITMENT_MODES if mode != "invitations"]
    return options((mode, names[mode]) for mode in modes)


def _texts_data(campaign: Campaign) -> dict:
    return {f"{name}_{language}": (getattr(campaign, name) or {}).get(language, "")
            for name in ("forces", "organiser") for language in campaign.languages}


@bp.get("/campaigns/<slug>/")
@staff_page
def campaign_page(lang: str, slug: str):
    return render_campaign(visible_campaign(slug))


def _changed(campaign: Campaign, action: str, message: str, /, **details):
    """Audit, commit, say so, and go back to the campaign's page (a reload then repeats nothing)."""
    return recorded(action, campaign.slug, campaign.city_id, message, _page_of(campaign), **details)


def _page_of(campaign: Campaign) -> str:
    return url_for("campaigns.campaign_page", lang=request.view_args["lang"], slug=campaign.slug)


def _refused(campaign: Campaign, error: Exception, **forms):
    db.session.rollback()
    campaign = visible_campaign(campaign.slug)
    return render_campaign(campaign, 409, failed=_("This change was not made: %(reason)s", reason=str(error)),
                           **forms)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@staff_page
def new_campaign(lang: str):
    if request.method == "POST":
        begin_write()
    form = CampaignForm()
    cities = [city for city in visible_cities() if may_manage(city.id)]
    if not cities:
        abort(403)
    form.city.choices = options((city.id, city.name) for city in cities)
    versions = [version for version in list_versions()]
    form.version.choices = options((version.id, f"{version.questionnaire.key}, v{version.number}") for version in versions)
    chosen = db.session.get(QuestionnaireVersion, form.version.data) if form.version.data else versions[-1] \
        if versions else None
    offered = available_languages(chosen) if chosen else []
    form.languages.choices = options((code, language_name(code)) for code in offered)
    form.default_language.choices = options((code, language_name(code)) for code in offered)
    if request.method == "GET":
        reviewed = [code for code in offered if code not in unreviewed_languages(chosen, offered)] if chosen else []
        form.languages.data = reviewed or offered
        form.default_language.data = cities[0].default_language if cities[0].default_language in offered else "en"
    if form.validate_on_submit():
        city = db.session.get(City, form.city.data)
        if db.session.scalar(db.select(Campaign.id).filter_by(slug=form.slug.data)) is not None:
            form.slug.errors.append(_("A campaign with this name exists already."))
        else:
            try:
                campaign = services.create_campaign(
                    slug=form.slug.data, city=city, version=chosen,
                    access_mode="invitation" if chosen.questionnaire.audience == "officer" else "open",
                    languages=form.languages.data, default_language=form.default_language.data,
                    disclosure_threshold=form.threshold.data)
            except services.CampaignError as error:
                db.session.rollback()
                form.form_errors.append(_("This change was not made: %(reason)s", reason=str(error)))
            else:
                db.session.flush()
                return _changed(campaign, "campaign.create", _("Campaign created. Add its first wave below."),
                                version=chosen.number, languages=form.languages.data)
    status = 400 if request.method == "POST" else 200
    return render_template("campaigns/new.html", form=form), status


@bp.post("/campaigns/<slug>/waves")
@staff_page
def add_wave(lang: str, slug: str):
    begin_write()
    campaign = managed_campaign(slug)
    form = WaveForm()
    form.version.choices = _version_choices(campaign)
    form.recruitment_mode.choices = _mode_choices(campaign)
    if any(wave.label == form.label.data for wave in campaign.waves):
        form.label.errors = [_("This campaign has a wave with this name already.")]
    elif form.validate_on_submit():
        try:
            wave = services.add_wave(campaign, form.label.data, form.utc(form.opens.data), form.utc(form.closes.data),
                                     db.session.get(QuestionnaireVersion, form.version.data))
            services.plan_wave(wave, target=form.target.data, recruitment_mode=form.recruitment_mode.data)
            if campaign.access_mode == "invitation":
                key = services.issue_wave_key(wave)
                record("wave.create", f"{campaign.slug} {wave.label}", campaign.city_id,
                       version=wave.questionnaire_version.number)
                db.session.commit()
                return render_template("campaigns/wave_key.html", campaign=campaign, wave=wave, key=key)
        except services.CampaignError as error:
            return _refused(campaign, error, wave_form=form)
        return _changed(campaign, "wave.create", _("Wave %(label)s added.", label=wave.label), wave=wave.label,
                        version=wave.questionnaire_version.number, opens=str(wave.opens_dt), closes=str(wave.closes_dt),
                        target=wave.target_responses, recruitment_mode=wave.recruitment_mode)
    return render_campaign(campaign, 400, wave_form=form)


def _wave(campaign: Campaign, label: str) -> Wave:
    wave = next((wave for wave in campaign.waves if wave.label == label), None)
    if wave is None:
        abort(404)
    return wave


@bp.route("/campaigns/<slug>/waves/<label>/edit", methods=["GET", "POST"])
@staff_page
def edit_wave(lang: str, slug: str, label: str):
    if request.method == "POST":
        begin_write()
    campaign = managed_campaign(slug)
    wave = _wave(campaign, label)
    form = WaveForm(data={"label": wave.label, "version": wave.questionnaire_version_id,
                          "opens": _naive(wave.opens_dt), "closes": _naive(wave.closes_dt),
                          "target": wave.target_responses, "recruitment_mode": wave.recruitment_mode}
                    if request.method == "GET" else None)
    form.label.data = wave.label  # a wave keeps its name: releases and comparisons refer to it
    form.version.choices = _version_choices(campaign)
    form.recruitment_mode.choices = _mode_choices(campaign)
    if form.validate_on_submit():
        try:
            services.plan_wave(wave, opens_dt=form.utc(form.opens.data), closes_dt=form.utc(form.closes.data),
                               target=form.target.data, recruitment_mode=form.recruitment_mode.data,
                               version=db.session.get(QuestionnaireVersion, form.version.data))
        except services.CampaignError as error:
            db.session.rollback()
            form.form_errors.append(_("This change was not made: %(reason)s", reason=str(error)))
        else:
            return _changed(campaign, "wave.plan", _("Wave %(label)s changed.", label=wave.label), wave=wave.label,
                            opens=str(wave.opens_dt), closes=str(wave.closes_dt), target=wave.target_responses,
                            version=wave.questionnaire_version.number, recruitment_mode=wave.recruitment_mode)
    status = 400 if request.method == "POST" else 200
    return render_template("campaigns/wave.html", campaign=campaign, wave=wave, form=form,
                           started=wave.status() != "scheduled"), status


def _naive(moment):
    return moment.replace(tzinfo=None) if moment else None


def _pressed(slug: str, label: str) -> tuple[Campaign, Wave]:
    """The campaign and wave a manager pressed a button for: the write lock taken, the button's token checked."""
    begin_write()
    campaign = managed_campaign(slug)
    wave = _wave(campaign, label)
    if not ActionForm().validate_on_submit():
        abort(400)
    return campaign, wave


@bp.post("/campaigns/<slug>/waves/<label>/open")
@staff_page
def open_wave(lang: str, slug: str, label: str):
    campaign, wave = _pressed(slug, label)
    try:
        services.open_wave(campaign, wave.label)
    except services.CampaignError as error:
        return _refused(campaign, error)
    return _changed(campaign, "wave.open", _("Wave %(label)s is open: respondents can answer now.", label=label),
                    wave=label)


@bp.post("/campaigns/<slug>/waves/<label>/close")
@staff_page
def close_wave(lang: str, slug: str, label: str):
    campaign, wave = _pressed(slug, label)
    if not wave.is_open(services.utcnow()):
        return _refused(campaign, services.CampaignError(_("wave %(label)s is not open", label=label)))
    services.close_wave(campaign)
    return _changed(campaign, "wave.close", _("Wave %(label)s is closed. Release it to see its figures.",
                                              label=label), wave=label)


@bp.post("/campaigns/<slug>/waves/<label>/release")
@staff_page
def release_wave(lang: str, slug: str, label: str):
    from ..releases.services import FIRST_RELEASE, ReleaseRefused, current_release, release

    # the private key is read before the write lock is taken; opening sealed answers takes its own steps
    campaign = managed_campaign(slug)
    wave = _wave(campaign, label)
    form = ReleaseForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, 400, release_form=form)
    reissue = current_release(wave) is not None
    if reissue and not (form.reason.data or "").strip():
        form.reason.errors = [_("Say why the wave is released again.")]
        return render_campaign(campaign, 400, release_form=form)
    try:
        outcome = release(campaign, wave, form.private_key.data or None,
                          form.reason.data.strip() if reissue else FIRST_RELEASE)
    except ReleaseRefused as error:
        return _refused(campaign, error, release_form=form)
    begin_write()
    campaign = visible_campaign(slug)
    return _changed(campaign, "wave.release", _("Wave %(label)s is released: its figures are ready.", label=label),
                    wave=label, release=outcome.release.number, reason=outcome.release.reason)


@bp.post("/campaigns/<slug>/waves/<label>/publish")
@staff_page
def publish_results(lang: str, slug: str, label: str):
    from ..results.services import PublicationRefused, publish

    campaign, wave = _pressed(slug, label)
    try:
        publish(wave)
    except PublicationRefused as error:
        return _refused(campaign, error)
    return _results_changed(campaign, wave, "results.publish",
                            _("The results of wave %(label)s are on the city's public results page.", label=label))


@bp.post("/campaigns/<slug>/waves/<label>/withdraw")
@staff_page
def withdraw_results(lang: str, slug: str, label: str):
    from ..results.services import withdraw

    campaign, wave = _pressed(slug, label)
    withdraw(wave)
    return _results_changed(campaign, wave, "results.withdraw",
                            _("The results of wave %(label)s are no longer on the public results page.", label=label))


def _results_changed(campaign: Campaign, wave: Wave, action: str, message: str):
    return recorded(action, f"{campaign.slug}/{wave.label}", campaign.city_id, message, _page_of(campaign))


@bp.post("/campaigns/<slug>/threshold")
@staff_page
def threshold(lang: str, slug: str):
    begin_write()
    campaign = managed_campaign(slug)
    form = ThresholdForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, 400, threshold_form=form)
    before = campaign.disclosure_threshold
    started = any(wave.status() != "scheduled" for wave in campaign.waves)
    if started and form.threshold.data < before:
        form.threshold.errors = [_("Fieldwork has started: the threshold can only be raised (it is %(value)s).",
                                   value=before)]
        return render_campaign(campaign, 400, threshold_form=form)
    services.set_threshold(campaign, form.threshold.data)
    return _changed(campaign, "campaign.threshold", _("Threshold set to %(value)s.", value=form.threshold.data),
                    old=before, new=form.threshold.data)


@bp.post("/campaigns/<slug>/texts")
@staff_page
def campaign_texts(lang: str, slug: str):
    begin_write()
    campaign = managed_campaign(slug)
    form = texts_form(campaign.languages)
    if not form.validate_on_submit():
        return render_campaign(campaign, 400, texts_form=form)
    typed = {(name, language): (form[f"{name}_{language}"].data or "").strip()
             for name in ("forces", "organiser") for language in campaign.languages}
    given = {name: {language: typed[name, language] for language in campaign.languages if typed[name, language]}
             for name in ("forces", "organiser")}
    try:
        services.set_campaign_texts(campaign, given["forces"], given["organiser"])
    except services.CampaignError as error:
        return _refused(campaign, error, texts_form=form)
    return _changed(campaign, "campaign.texts", _("The campaign's words are saved."), **given)


@bp.post("/campaigns/<slug>/free-text")
@staff_page
def free_text(lang: str, slug: str):
    begin_write()
    campaign = visible_campaign(slug)
    require_admin()
    form = FreeTextForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, 400)
    campaign.microdata_free_text = bool(form.allowed.data) and campaign.audience == "resident"
    return _changed(campaign, "campaign.free_text", _("Saved."), allowed=campaign.microdata_free_text)


@bp.post("/campaigns/<slug>/invitations")
@staff_page
def invitations(lang: str, slug: str):
    from .cards import invitation_cards

    begin_write()
    campaign = managed_campaign(slug)
    form = InvitationsForm()
    if campaign.access_mode != "invitation":
        abort(404)
    if not form.validate_on_submit():
        return render_campaign(campaign, 400, invitations_form=form)
    tokens = services.create_invitations(campaign, form.count.data)
    record("invitations.create", campaign.slug, campaign.city_id, count=form.count.data, output=form.output.data)
    db.session.commit()
    base_url = public_base_url()
    links = [services.invitation_link(base_url, token) for token in tokens]
    if form.output.data == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["link"])
        writer.writerows([link] for link in links)
        response = Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{campaign.slug}-invitations.csv"'
    else:
        response = Response(invitation_cards(campaign, links), mimetype="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"  # the only copy of the tokens: never kept by a cache
    return response


@bp.get("/campaigns/<slug>/poster")
@staff_page
def poster(lang: str, slug: str):
    from .posters import poster_svg

    campaign = visible_campaign(slug)
    language = request.args.get("language", campaign.default_language)
    if language not in campaign.languages or campaign.access_mode != "open":
        abort(404)
    response = Response(poster_svg(campaign, language, public_base_url()), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign.slug}-poster-{language}.svg"'
    return response


@bp.get("/campaigns/<slug>/fieldwork")
@staff_page
def fieldwork_page(lang: str, slug: str):
    campaign = visible_campaign(slug)
    wave = _wave(campaign, request.args["wave"]) if request.args.get("wave") else _latest_wave(campaign)
    progress = fieldwork(campaign, wave) if wave else None
    chart = None
    if progress and progress.by_day:
        chart = svg(daily_chart([{"day": day.isoformat(), "count": count} for day, count in progress.by_day],
                                _("Responses")), _("Responses per day"))
    return render_template("campaigns/fieldwork.html", campaign=campaign, wave=wave, progress=progress, chart=chart,
                           drafts=drafts_saved(campaign),
                           invitations_used=services.invitations_used(campaign)
                           if campaign.access_mode == "invitation" else None)
