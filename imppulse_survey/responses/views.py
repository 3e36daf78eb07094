"""The respondent's pages: introduction, questionnaire pages, save and resume, thank-you, invitations.

The form carries every answer given so far (those of other pages sealed in one hidden field, ``page_state``), so
paging needs no server-side state and works without JavaScript; nothing is stored until the last page is
submitted.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from functools import cached_property

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ..core.limits import client_address_key, configured, failures_per_address, hashed
from ..core.links import public_url
from ..core.models import utcnow
from ..errors import RETRY_AFTER_SECONDS, database_error, render_error
from ..extensions import db, limiter
from ..i18n import supported_languages
from ..questionnaires.definition import Definition, item_type
from . import ballots, drafts, page_state
from .forms import HONEYPOT_FIELD, answers_from_form
from .open_campaigns import OpenCampaign, open_campaign, remembered
from .services import CampaignNotFound, CampaignNotOpen, InvitationRefused, SubmissionInvalid, submit

bp = Blueprint("respond", __name__)

#: questions' HTML kept per campaign and language (Questionnaire.drawn): a few megabytes at most
MAX_DRAWN = 1000
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

    def __init__(self, campaign: OpenCampaign, lang: str):
        self.campaign = campaign
        self.lang = lang
        version = campaign.version_now
        self.definition = version.definition
        self.has_pilot = bool(campaign.pilot_label)
        #: a production wave opens only in reviewed languages; elsewhere an unreviewed one says so on every page
        self.is_reviewed = lang not in version.unreviewed
        self.say = campaign.say(lang)

    @property
    def title(self) -> str:
        return self.say(self.definition.data["title"])

    def drawn(self, item: dict, raw: dict, problems: dict, districts, draw):
        """A question's HTML, drawn once for each set of answers and problems it shows, for as long as the campaign
        is kept: a page has up to a hundred and fifty radios, and most respondents leave most of them as the last
        one did. Free texts are drawn every time, and kept nowhere."""
        kind = item_type(item)
        if not kind.is_coded:
            return draw(self, item, raw, problems, districts)
        keys = kind.answer_keys(item)
        shown = (tuple(repr(raw.get(key)) for key in keys), tuple(str(problems.get(key, "")) for key in keys))
        return remembered(self.campaign.drawn.setdefault(self.lang, {}), item, shown,
                          lambda: draw(self, item, raw, problems, districts), most=MAX_DRAWN)

    def checked(self, raw: dict) -> Checked:
        """The answers checked once for the whole request: what they are, their problems, the pages they lead
        through."""
        cleaned, problems = self.definition.clean(raw, self.has_pilot, district_codes=self.campaign.district_codes)
        return Checked(self.definition, raw, cleaned, problems, self.definition.visible_pages(cleaned, self.has_pilot))


@dataclass(frozen=True)
class Checked:
    definition: Definition
    raw: dict
    cleaned: dict
    problems: dict
    pages: list

    @cached_property
    def keys(self) -> list[str]:
        return [page["key"] for page in self.pages]

    def index(self, page_key: str | None) -> int:
        """Where a page is among those the answers lead through; -1 when they do not lead to it."""
        return self.keys.index(page_key) if page_key in self.keys else -1

    def problems_up_to(self, index: int) -> dict:
        """The problems of the answers on the page at ``index`` and on the pages before it."""
        shown = self.answer_keys(self.pages[: index + 1])
        return {key: message for key, message in self.problems.items() if key in shown}

    def answer_keys(self, pages: list) -> set[str]:
        return set().union(*(self.definition.answer_keys_by_page[page["key"]] for page in pages))


def unavailable(reason: str, lang: str | None = None):
    status, title, text = UNAVAILABLE[reason]
    return make_response(render_template("responses/unavailable.html", title=title, text=text), status)


def open_questionnaire(slug: str, lang: str, *, needs_ballot: bool = True) -> Questionnaire:
    """The campaign by slug, or an answer explaining why it cannot be answered (raised as an HTTP response)."""
    if lang not in supported_languages():
        abort(404)
    campaign = open_campaign(slug)
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


def held_ballot(campaign: OpenCampaign) -> ballots.Ballot | None:
    """The officer's ballot for the campaign's open wave, from the session."""
    return usable_ballot(campaign, session.get(BALLOT_KEY))


def usable_ballot(campaign: OpenCampaign, signed: str | None) -> ballots.Ballot | None:
    ballot = ballots.read_signed(signed)
    wave = campaign.current_wave()
    if ballot is None or wave is None or (ballot.campaign_id, ballot.wave_id) != (campaign.id, wave.id):
        return None
    return ballot


@bp.get("/s/<slug>/")
def choose_language(slug: str):
    campaign = open_campaign(slug)
    if campaign is None:
        return unavailable("unknown")
    lang = request.accept_languages.best_match(campaign.languages) or campaign.default_language
    return redirect(url_for("respond.introduction", lang=lang, slug=slug))


@bp.get("/<lang>/s/<slug>/")
def introduction(lang: str, slug: str):
    questionnaire = open_questionnaire(slug, lang)
    return render_template("responses/introduction.html", q=questionnaire,
                           first_page=questionnaire.checked({}).keys[0])


def form_state(slug: str, lang: str) -> tuple[Questionnaire, dict]:
    """The questionnaire and what the page sent: its answers checked once, the submission's id, the resume key."""
    questionnaire = open_questionnaire(slug, lang)
    form = request.form
    on_page = questionnaire.definition.answer_keys_by_page.get(form.get("_page"), frozenset())
    carried = {key: value for key, value in page_state.carried(slug).items() if key not in on_page}
    raw = carried | answers_from_form(questionnaire.definition, form)
    return questionnaire, {
        "q": questionnaire,
        "checked": questionnaire.checked(raw),
        "submission_id": form.get("submission_id") or str(uuid.uuid4()),
        "resume_key": form.get("_resume") or None,
    }


@bp.errorhandler(CSRFError)
def session_expired(error: CSRFError):
    """The session cookie was lost or is too old: show the page again with a fresh token, answers in place."""
    return shown_again("session", 400) or render_error(400)


@bp.errorhandler(429)
def too_many(error: HTTPException):
    """Too many pages sent from one connection (a police station, a school): the page again, answers in place."""
    response = shown_again("busy", 429)
    if response is None:
        return render_error(429)
    response = make_response(response)
    reached = limiter.current_limit
    if reached is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(reached.reset_at - time.time())))
    return response


def shown_again(notice: str, status: int):
    """The questionnaire page that was sent, shown again with what it carried and a notice of why it was not
    taken; None when the request was not a questionnaire page."""
    lang, slug = (request.view_args or {}).get("lang"), (request.view_args or {}).get("slug")
    if request.endpoint != "respond.answer" or not slug:
        return None
    try:
        _, state = form_state(slug, lang)
    except HTTPException as unavailable_campaign:
        return unavailable_campaign.response or render_error(unavailable_campaign.code)
    except DBAPIError as database_failure:  # and the database is down too: give back what was typed
        return database_error(database_failure)
    html, _ = render_page(max(state["checked"].index(request.form.get("_page")), 0), notice=notice, **state)
    return html, status


@bp.post("/<lang>/s/<slug>/")
@failures_per_address(configured("TOKEN_RATE_LIMIT"))  # a refused ballot, an unknown survey
@limiter.limit(configured("SUBMISSION_RATE_LIMIT"), key_func=respondent_key)
def answer(lang: str, slug: str):
    questionnaire, state = form_state(slug, lang)
    form = request.form
    checked = state["checked"]
    action = form.get("_action", "next")

    if form.get(HONEYPOT_FIELD) and questionnaire.campaign.access_mode == "open":
        current_app.logger.info("honeypot filled: submission dropped")
        return redirect(url_for("respond.thanks", lang=lang, slug=slug), 303)
    current = checked.index(form.get("_page"))
    if action == "start" or current == -1:
        return go_to(0, state)
    if action == "back":
        return go_to(max(current - 1, 0), state)
    if action == "stay":  # another language: the answers move to that language's pages
        response = go_to(current, state)
        page_state.clear(response, [code for code in questionnaire.campaign.languages if code != lang], slug)
        return response
    if action == "save":
        return save_for_later(current, state)

    problems = checked.problems_up_to(current)
    if problems:
        first = next(index for index, page in enumerate(checked.pages) if checked.answer_keys([page]) & set(problems))
        return go_to(first, state, problems=problems)
    if current + 1 < len(checked.pages):
        return go_to(current + 1, state)
    return finish(current, state)


def go_to(index: int, state: dict, problems=None):
    """Redirect to the page's own address, the answers crossing the redirect in a cookie (``page_state``); when
    they are too long for one, show the page in answer to the POST."""
    questionnaire = state["q"]
    slug = questionnaire.campaign.slug
    page_key = state["checked"].keys[index]
    held = page_state.PageState(page_key, state["checked"].raw, state["submission_id"], state["resume_key"],
                                checked=bool(problems))
    response = redirect(url_for("respond.page", lang=questionnaire.lang, slug=slug, page_key=page_key), 303)
    if page_state.write(response, questionnaire.lang, slug, held):
        return response
    return render_page(index, problems=problems, **state)


@bp.get("/<lang>/s/<slug>/p/<page_key>")
def page(lang: str, slug: str, page_key: str):
    questionnaire = open_questionnaire(slug, lang)
    held, carried = page_state.read(lang, slug) or (None, None)
    checked = questionnaire.checked(held.raw if held else {})
    index = checked.index(page_key)
    if held is None:  # "Start"; or the answers were sent, or the cookie expired or was refused
        if index != 0:  # only the first page starts without answers
            return redirect(url_for("respond.introduction", lang=lang, slug=slug))
        held = page_state.PageState(page_key, {}, str(uuid.uuid4()))
    if index == -1:  # a page the answers no longer lead to
        return redirect(url_for("respond.page", lang=lang, slug=slug,
                                page_key=held.page_key if held.page_key in checked.keys else checked.keys[0]))
    problems = checked.problems_up_to(index) if held.checked and page_key == held.page_key else None
    return render_page(index, q=questionnaire, checked=checked, submission_id=held.submission_id,
                       resume_key=held.resume_key, problems=problems, carried=carried)


def finish(current: int, state: dict):
    questionnaire = state["q"]
    campaign = questionnaire.campaign
    try:
        submit(campaign.slug, state["checked"].raw, language=questionnaire.lang, submission_id=state["submission_id"],
               channel="web", ballot=held_ballot(campaign), resume_key=state["resume_key"])
    except SubmissionInvalid as invalid:
        return go_to(current, state, problems=invalid.problems)
    except CampaignNotFound:
        return unavailable("unknown")
    except CampaignNotOpen:
        return unavailable("closed")
    except InvitationRefused:
        return unavailable("invitation")
    except DBAPIError as error:
        return database_unavailable(error, current, state)
    session.pop(BALLOT_KEY, None)
    response = redirect(url_for("respond.thanks", lang=questionnaire.lang, slug=campaign.slug), 303)
    page_state.clear(response, campaign.languages, campaign.slug)
    return response


def save_for_later(current: int, state: dict):
    questionnaire, checked = state["q"], state["checked"]
    campaign = questionnaire.campaign
    page_key = checked.keys[current]
    kept = {key: checked.raw[key] for key in checked.cleaned if key in checked.raw}  # only answers their items take
    ballot = session.get(BALLOT_KEY) if campaign.access_mode == "invitation" else None
    content = drafts.DraftContent(questionnaire.lang, page_key, kept, ballot)
    try:
        resume_key = drafts.save_draft(campaign.id, content, state["resume_key"])
    except DBAPIError as error:
        return database_unavailable(error, current, state)
    held = page_state.PageState(page_key, checked.raw, state["submission_id"], resume_key, saved=True)
    response = redirect(url_for("respond.saved", lang=questionnaire.lang, slug=campaign.slug), 303)
    if page_state.write(response, questionnaire.lang, campaign.slug, held):
        return response
    return saved_page(questionnaire, resume_key)


@bp.get("/<lang>/s/<slug>/saved")
def saved(lang: str, slug: str):
    questionnaire = open_questionnaire(slug, lang, needs_ballot=False)
    held, _ = page_state.read(lang, slug) or (None, None)
    if held is None or not held.saved or not held.resume_key:
        return redirect(url_for("respond.introduction", lang=lang, slug=slug))
    return saved_page(questionnaire, held.resume_key)


def saved_page(questionnaire: Questionnaire, resume_key: str):
    link = public_url("respond.resume", lang=questionnaire.lang, slug=questionnaire.campaign.slug, key=resume_key)
    return render_template("responses/saved.html", q=questionnaire, link=link,
                           days=current_app.config["DRAFT_RETENTION_DAYS"])


def database_unavailable(error: DBAPIError, current: int, state: dict):
    """The database failed: nothing was stored; show the page again, answers in place, with a retry message."""
    db.session.rollback()
    current_app.logger.warning("submission not stored, database unavailable: %s", error.orig.__class__.__name__)
    html, _ = render_page(current, notice="database", **state)
    return html, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


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
    checked = questionnaire.checked(draft.answers)
    return render_page(max(checked.index(draft.page_key), 0), q=questionnaire, checked=checked,
                       submission_id=str(uuid.uuid4()), resume_key=key)


@bp.get("/<lang>/s/<slug>/thanks")
def thanks(lang: str, slug: str):
    campaign = open_campaign(slug)
    if campaign is None or lang not in supported_languages():
        return unavailable("unknown")
    wave = campaign.current_wave()
    return render_template("responses/thanks.html", q=Questionnaire(campaign, lang),
                           closes_on=wave.closes_dt if wave is not None else None)


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


def render_page(index: int, *, q: Questionnaire, checked: Checked, submission_id: str, resume_key=None,
                problems=None, notice=None, carried: str | None = None):
    """The page at ``index``; ``carried``, the sealed answers its form carries, when the cookie brought them."""
    page = checked.pages[index]
    if carried is None:
        carried = page_state.sealed_state(q.lang, q.campaign.slug, page_state.PageState(
            page["key"], checked.raw, submission_id, resume_key))
    items = [item for item in page["items"] if q.definition.is_shown(item, checked.cleaned, q.has_pilot)]
    return render_template(
        "responses/page.html",
        q=q,
        page=page,
        items=items,
        number=index + 1,
        count=q.definition.page_total(checked.cleaned, q.has_pilot, page["key"]),
        is_last=index + 1 == len(checked.pages),
        raw=checked.raw,
        problems={key: str(message) for key, message in (problems or {}).items()},
        carried=carried,
        submission_id=submission_id,
        resume_key=resume_key,
        districts=q.campaign.districts,
        honeypot=HONEYPOT_FIELD,
        notice=notice,
    ), 200
