"""The respondent's pages: introduction, questionnaire pages, save and resume, thank-you, invitations.

The form carries every answer given so far (hidden fields for other pages), so paging needs no server-side
state and works without JavaScript; nothing is stored until the last page is submitted.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ..campaigns.models import Campaign
from ..campaigns.texts import campaign_texts
from ..core.limits import client_address_key, configured, failures_per_address, hashed
from ..core.links import public_url
from ..core.models import utcnow
from ..errors import database_error, render_error
from ..extensions import db, limiter
from ..i18n import supported_languages
from ..questionnaires.packs import unreviewed_languages
from ..questionnaires.published import published_definition
from . import ballots, drafts
from .forms import HONEYPOT_FIELD, answers_from_form, carried_answers
from .services import CampaignNotFound, CampaignNotOpen, InvitationRefused, SubmissionInvalid, submit

bp = Blueprint("respond", __name__)

#: the session key of an officer's signed ballot (responses.ballots)
BALLOT_KEY = "ballot"
UNAVAILABLE = {
    "unknown": (404, _l("Survey not found"), _l("There is no survey at this address. Check the link or the QR code you used.")),
    "scheduled": (404, _l("This survey is not open yet"), _l("This survey has not started yet. Please come back later.")),
    "closed": (410, _l("This survey is closed"), _l("This survey is closed. Thank you for your interest.")),
    "invitation": (
        403,
        _l("This invitation link cannot be used"),
        _l("This link may have been used already, have expired, or be incomplete. Ask the person who sent it for a new one."),
    ),
}


def respondent_key() -> str:
    """Whom a page post counts against: an officer's ballot, since a whole police station answers from one address;
    else the client's address, so that a flood on an open link is stopped however many sessions it makes."""
    ballot = ballots.read_signed(session.get(BALLOT_KEY))
    return hashed("ballot", ballot.ballot_id) if ballot else client_address_key()


class Questionnaire:
    """The campaign a respondent is answering, in the language they chose."""

    def __init__(self, campaign: Campaign, lang: str):
        self.campaign = campaign
        self.lang = lang
        version = campaign.version_now
        self.definition = published_definition(version)
        self.has_pilot = bool(campaign.pilot_label)
        #: a production wave opens only in reviewed languages; elsewhere an unreviewed one says so on every page
        self.is_reviewed = not unreviewed_languages(version, [lang])
        self.say = campaign_texts(campaign, lang)

    @property
    def title(self) -> str:
        return self.say(self.definition.data["title"])

    def pages(self, raw: dict) -> list[dict]:
        cleaned, _ = self.definition.clean(raw, self.has_pilot)
        return self.definition.visible_pages(cleaned, self.has_pilot)


def unavailable(reason: str, lang: str | None = None):
    status, title, text = UNAVAILABLE[reason]
    return make_response(render_template("responses/unavailable.html", title=title, text=text), status)


def open_questionnaire(slug: str, lang: str, *, needs_ballot: bool = True) -> Questionnaire:
    """The campaign by slug, or an answer explaining why it cannot be answered (raised as an HTTP response)."""
    if lang not in supported_languages():
        abort(404)
    campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
    if campaign is None:
        abort(unavailable("unknown"))
    if campaign.current_wave() is None:
        now = utcnow()
        upcoming = any(wave.status(now) == "scheduled" for wave in campaign.waves)
        abort(unavailable("scheduled" if upcoming else "closed"))
    if lang not in campaign.languages:
        abort(redirect(url_for(request.endpoint, **dict(request.view_args, lang=campaign.default_language))))
    if needs_ballot and campaign.access_mode == "invitation" and held_ballot(campaign) is None:
        abort(unavailable("invitation"))
    g.offered_languages = campaign.languages
    return Questionnaire(campaign, lang)


def held_ballot(campaign: Campaign) -> ballots.Ballot | None:
    """The officer's ballot for the campaign's open wave, from the session."""
    return usable_ballot(campaign, session.get(BALLOT_KEY))


def usable_ballot(campaign: Campaign, signed: str | None) -> ballots.Ballot | None:
    ballot = ballots.read_signed(signed)
    wave = campaign.current_wave()
    if ballot is None or wave is None or (ballot.campaign_id, ballot.wave_id) != (campaign.id, wave.id):
        return None
    return ballot


@bp.get("/s/<slug>/")
def choose_language(slug: str):
    campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
    if campaign is None:
        return unavailable("unknown")
    lang = request.accept_languages.best_match(campaign.languages) or campaign.default_language
    return redirect(url_for("respond.introduction", lang=lang, slug=slug))


@bp.get("/<lang>/s/<slug>/")
def introduction(lang: str, slug: str):
    questionnaire = open_questionnaire(slug, lang)
    return render_template("responses/introduction.html", q=questionnaire, submission_id=str(uuid.uuid4()))


def form_state(slug: str, lang: str) -> tuple[Questionnaire, dict]:
    questionnaire = open_questionnaire(slug, lang)
    form = request.form
    return questionnaire, {
        "q": questionnaire,
        "raw": answers_from_form(questionnaire.definition, form),
        "submission_id": form.get("submission_id") or str(uuid.uuid4()),
        "resume_key": form.get("_resume") or None,
    }


@bp.errorhandler(CSRFError)
def session_expired(error: CSRFError):
    """The session cookie was lost or is too old: show the page again with a fresh token, answers in place."""
    lang, slug = (request.view_args or {}).get("lang"), (request.view_args or {}).get("slug")
    if request.endpoint != "respond.answer" or not slug:
        return render_error(400)
    try:
        questionnaire, state = form_state(slug, lang)
    except HTTPException as unavailable_campaign:
        return unavailable_campaign.response or render_error(unavailable_campaign.code)
    except DBAPIError as database_failure:  # and the database is down too: give back what was typed
        return database_error(database_failure)
    pages = questionnaire.pages(state["raw"])
    keys = [page["key"] for page in pages]
    current = keys.index(request.form["_page"]) if request.form.get("_page") in keys else 0
    html, _ = render_page(pages, current, session_expired=True, **state)
    return html, 400


@bp.post("/<lang>/s/<slug>/")
@failures_per_address(configured("TOKEN_RATE_LIMIT"))  # a refused ballot, an unknown survey
@limiter.limit(configured("SUBMISSION_RATE_LIMIT"), key_func=respondent_key)
def answer(lang: str, slug: str):
    questionnaire, state = form_state(slug, lang)
    definition = questionnaire.definition
    form = request.form
    raw = state["raw"]
    action = form.get("_action", "next")

    if form.get(HONEYPOT_FIELD) and questionnaire.campaign.access_mode == "open":
        current_app.logger.info("honeypot filled: submission dropped")
        return redirect(url_for("respond.thanks", lang=lang, slug=slug))
    pages = questionnaire.pages(raw)
    keys = [page["key"] for page in pages]
    current = keys.index(form["_page"]) if form.get("_page") in keys else -1
    if action == "start" or current == -1:
        return render_page(pages, 0, **state)
    if action == "back":
        return render_page(pages, max(current - 1, 0), **state)
    if action == "stay":
        return render_page(pages, current, **state)
    if action == "save":
        return save_for_later(questionnaire, raw, pages[current]["key"], state)

    _, problems = definition.clean(raw, questionnaire.has_pilot, district_codes=district_codes(questionnaire))
    on_this_or_earlier = {key: message for key, message in problems.items()
                          if key in answer_keys(pages[: current + 1])}
    if on_this_or_earlier:
        first = next(index for index, page in enumerate(pages) if answer_keys([page]) & set(on_this_or_earlier))
        return render_page(pages, first, problems=on_this_or_earlier, **state)
    if current + 1 < len(pages):
        return render_page(pages, current + 1, **state)
    return finish(questionnaire, raw, pages, current, state)


def finish(questionnaire: Questionnaire, raw: dict, pages: list, current: int, state: dict):
    campaign = questionnaire.campaign
    try:
        submit(campaign.slug, raw, language=questionnaire.lang, submission_id=state["submission_id"], channel="web",
               ballot=held_ballot(campaign), resume_key=state["resume_key"])
    except SubmissionInvalid as invalid:
        return render_page(pages, current, problems=invalid.problems, **state)
    except CampaignNotFound:
        return unavailable("unknown")
    except CampaignNotOpen:
        return unavailable("closed")
    except InvitationRefused:
        return unavailable("invitation")
    except DBAPIError as error:
        return database_unavailable(error, pages, current, state)
    session.pop(BALLOT_KEY, None)
    return redirect(url_for("respond.thanks", lang=questionnaire.lang, slug=campaign.slug))


def save_for_later(questionnaire: Questionnaire, raw: dict, page_key: str, state: dict):
    campaign = questionnaire.campaign
    kept = drafts.checked_answers(questionnaire.definition, raw, questionnaire.has_pilot, district_codes(questionnaire))
    ballot = session.get(BALLOT_KEY) if campaign.access_mode == "invitation" else None
    content = drafts.DraftContent(questionnaire.lang, page_key, kept, ballot)
    try:
        resume_key = drafts.save_draft(campaign.id, content, state["resume_key"])
    except DBAPIError as error:
        db.session.rollback()
        pages = questionnaire.pages(raw)
        current = next(index for index, page in enumerate(pages) if page["key"] == page_key)
        return database_unavailable(error, pages, current, state)
    link = public_url("respond.resume", lang=questionnaire.lang, slug=campaign.slug, key=resume_key)
    return render_template("responses/saved.html", q=questionnaire, link=link,
                           days=current_app.config["DRAFT_RETENTION_DAYS"])


def database_unavailable(error: DBAPIError, pages: list, current: int, state: dict):
    """The database failed: nothing was stored; show the page again, answers in place, with a retry message."""
    db.session.rollback()
    current_app.logger.warning("submission not stored, database unavailable: %s", error.orig.__class__.__name__)
    html, _ = render_page(pages, current, unavailable_database=True, **state)
    return html, 503


@bp.get("/<lang>/s/<slug>/resume/<key>")
@failures_per_address(configured("TOKEN_RATE_LIMIT"))  # resume keys are guarded as invitations are
def resume(lang: str, slug: str, key: str):
    questionnaire = open_questionnaire(slug, lang, needs_ballot=False)
    campaign = questionnaire.campaign
    draft = drafts.find_draft(campaign.id, key)
    if draft is None:
        return render_template("responses/unavailable.html", title=_l("This link has expired"),
                               text=_l("Saved answers are kept for a limited time only. You can start the survey again."),
                               restart=url_for("respond.introduction", lang=lang, slug=slug)), 404
    if campaign.access_mode == "invitation":
        # an officer's ballot travels in the draft, so that the link works in any browser until the wave closes
        if usable_ballot(campaign, draft.ballot) is None:
            return unavailable("invitation")
        session[BALLOT_KEY] = draft.ballot
    pages = questionnaire.pages(draft.answers)
    keys = [page["key"] for page in pages]
    current = keys.index(draft.page_key) if draft.page_key in keys else 0
    return render_page(pages, current, q=questionnaire, raw=draft.answers, submission_id=str(uuid.uuid4()),
                       resume_key=key)


@bp.get("/<lang>/s/<slug>/thanks")
def thanks(lang: str, slug: str):
    campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
    if campaign is None or lang not in supported_languages():
        return unavailable("unknown")
    return render_template("responses/thanks.html", q=Questionnaire(campaign, lang))


@bp.get("/i/<token>")
@failures_per_address(configured("TOKEN_RATE_LIMIT"))  # guesses count; used cards never do
def invitation(token: str):
    """Exchange an invitation for a ballot and redirect, so that the token leaves the address bar.

    The invitation is deleted here, before any answer exists; the ballot lives in the session (and in a resume
    link), never in the database (docs/anonymity.md).
    """
    exchanged = ballots.exchange_invitation(token)
    if exchanged is None:
        return unavailable("invitation")
    campaign, ballot = exchanged
    session[BALLOT_KEY] = ballots.signed(ballot)
    lang = request.accept_languages.best_match(campaign.languages) or campaign.default_language
    return redirect(url_for("respond.introduction", lang=lang, slug=campaign.slug))


def district_codes(questionnaire: Questionnaire) -> dict:
    return {district.code: district.id for district in questionnaire.campaign.city.districts}


def answer_keys(pages: list) -> set[str]:
    from ..questionnaires.definition import item_type

    return {key for page in pages for item in page["items"] for key in item_type(item).answer_keys(item)}


def render_page(pages: list, index: int, *, q: Questionnaire, raw: dict, submission_id: str, resume_key=None,
                problems=None, unavailable_database=False, session_expired=False):
    page = pages[index]
    cleaned, _ = q.definition.clean(raw, q.has_pilot)  # once per page, not once per item
    items = [item for item in page["items"] if q.definition.is_shown(item, cleaned, q.has_pilot)]
    return render_template(
        "responses/page.html",
        q=q,
        page=page,
        items=items,
        number=index + 1,
        count=len(pages),
        is_last=index + 1 == len(pages),
        raw=raw,
        problems={key: str(message) for key, message in (problems or {}).items()},
        carried=carried_answers(q.definition, raw, page),
        submission_id=submission_id,
        resume_key=resume_key,
        districts=q.campaign.city.districts,
        honeypot=HONEYPOT_FIELD,
        unavailable_database=unavailable_database,
        session_expired=session_expired,
    ), 200
