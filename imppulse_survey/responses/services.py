"""The storage service: every submission, from the web form, the API or the demo data, is stored here.

One call reads the campaign, validates the answers against its published version and stores them in a
transaction of its own, which it commits (views never manage it). Residents' answers become a response with its
answers, free texts and indicator summaries. Officers' answers (invitation campaigns) are sealed to the wave's
public key and stored apart, under a ballot spent in the same transaction; they become responses only when the
wave is released (``unsealing.py``, docs/anonymity.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, insert, select

from ..campaigns.facts import CampaignFacts, WaveWindow, campaign_facts
from ..campaigns.models import Invitation
from ..core.database import ChildRows, begin_write, insert_rows, insert_with_children, reads_outside_transactions
from ..core.keys import keyed_hash
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.definition import Definition
from ..questionnaires.published import published_definition
from ..questionnaires.types import Stored
from . import ballots, drafts
from .models import Answer, IndicatorSummary, Response, SealedResponse, SpentBallot, TextAnswer
from .sealing import seal, sealed_size
from .summaries import ADD_TO_CELL, SUMMARY_COLUMNS, summary_additions

RESPONSE_COLUMNS = ("campaign_id", "wave_id", "questionnaire_version_id", "language", "district_id", "channel",
                    "submission_id", "submitted_on")
ANSWER_COLUMNS = ("response_id", "item_key", "value", "missing")
TEXT_COLUMNS = ("response_id", "item_key", "text")


class SubmissionError(Exception):
    """A submission that cannot be stored."""


class SubmissionInvalid(SubmissionError):
    def __init__(self, problems: Mapping[str, str]):
        super().__init__(f"{len(problems)} answer(s) need attention")
        self.problems = dict(problems)


class CampaignNotFound(SubmissionError):
    """No campaign has this slug."""


class CampaignNotOpen(SubmissionError):
    """No wave of the campaign is taking responses."""


class InvitationRefused(SubmissionError):
    """The token or ballot is unknown, of another campaign or wave, or spent. The same refusal in every case."""


@dataclass(frozen=True)
class SubmissionResult:
    #: the stored response; None for sealed answers, which get no receipt that could point back to them
    response_id: int | None
    created: bool
    sealed: bool = False


def normalise_submission_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def submit(
    slug: str,
    raw_answers: Mapping,
    *,
    language: str,
    submission_id: str,
    channel: str,
    ballot: ballots.Ballot | None = None,
    token: str | None = None,
    resume_key: str | None = None,
    wave_id: int | None = None,
    submitted_on: dt.date | None = None,
) -> SubmissionResult:
    """Validate and store one submission, and commit. A ``submission_id`` seen before returns what it stored.

    Invitation campaigns need the ``ballot`` the browser holds or the invitation ``token`` (the API). ``wave_id``
    and ``submitted_on`` are for loading past waves (the demo data); the draft of ``resume_key`` is deleted with
    the submission.
    """
    normalised_id = normalise_submission_id(submission_id)
    if normalised_id is None:
        raise SubmissionInvalid({"submission_id": "must be a UUID"})
    submission = _Submission(raw_answers, language, normalised_id, channel, resume_key, submitted_on)
    try:
        # PostgreSQL: the reads need no transaction of their own (begin_write starts the one that writes)
        reads_outside_transactions()
        campaign = campaign_facts(slug)
        if campaign is None:
            raise CampaignNotFound(slug)
        wave = campaign.wave(wave_id) if wave_id is not None else campaign.current_wave()
        if campaign.access_mode == "invitation":
            result = _store_sealed(campaign, wave, submission, ballot or _token_ballot(token, campaign, wave))
        else:
            result = _store_open(campaign, wave, submission)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


@dataclass(frozen=True)
class _Submission:
    raw_answers: Mapping
    language: str
    submission_id: str
    channel: str
    resume_key: str | None
    submitted_on: dt.date | None

    @property
    def submission_hash(self) -> str:
        return keyed_hash("submission", self.submission_id)


def _store_open(campaign: CampaignFacts, wave: WaveWindow | None, submission: _Submission) -> SubmissionResult:
    try:
        definition, cleaned, district_id = _checked(campaign, wave, submission)
    except SubmissionError:
        # a repeat of a stored submission (a double click after the campaign closed, say) keeps its answer;
        # looked up only here, since the insert below detects repeats on the hot path by itself
        earlier = _earlier_response(campaign, submission.submission_id)
        if earlier is not None:
            return SubmissionResult(earlier, created=False)
        raise
    values = {  # RESPONSE_COLUMNS
        "campaign_id": campaign.id,
        "wave_id": wave.id,
        "questionnaire_version_id": wave.version.id,
        "language": submission.language,
        "district_id": district_id,
        "channel": submission.channel,
        "submission_id": submission.submission_id,
        "submitted_on": submission.submitted_on or utcnow().date(),
    }
    rows = definition.stored(cleaned)
    coded, texts = _answer_rows(rows)
    additions = summary_additions(definition, campaign.id, wave.id, district_id, rows)
    # Stored only now, after the reads and the checks, so that SQLite's write lock is held briefly. The unique
    # submission_id decides races: of concurrent twins, one inserts, the others get no row back.
    response_id = insert_with_children(Response.__table__, values, "submission_id", (
        ChildRows(Answer.__table__, ANSWER_COLUMNS[1:], coded, parent_column="response_id"),
        ChildRows(TextAnswer.__table__, TEXT_COLUMNS[1:], texts, parent_column="response_id"),
        ChildRows(IndicatorSummary.__table__, SUMMARY_COLUMNS, additions, on_conflict=ADD_TO_CELL),
    ))
    if response_id is None:
        earlier = _earlier_response(campaign, submission.submission_id)
        if earlier is None:  # the id belongs to a response of another campaign
            raise SubmissionInvalid({"submission_id": "is already used"})
        return SubmissionResult(earlier, created=False)
    drafts.discard_draft(campaign.id, submission.resume_key)
    return SubmissionResult(response_id, created=True)


def _store_sealed(campaign: CampaignFacts, wave: WaveWindow | None, submission: _Submission,
                  ballot: ballots.Ballot | None) -> SubmissionResult:
    """Seal an officer's answers to the wave's public key and spend the ballot, in one transaction."""
    try:
        if ballot is None or ballot.campaign_id != campaign.id or (wave is not None and ballot.wave_id != wave.id):
            raise InvitationRefused()
        if wave is None or wave.public_key is None:
            if wave is not None:
                current_app.logger.warning("campaign %s: the open wave has no key pair; see campaign open", campaign.id)
            raise CampaignNotOpen(campaign.slug)
        definition, cleaned, district_id = _checked(campaign, wave, submission)
    except SubmissionError:
        if ballot is not None and _spent_by(ballot, submission.submission_hash):
            return SubmissionResult(None, created=False, sealed=True)
        raise
    begin_write()
    if not _spend(ballot, submission.submission_hash):
        return SubmissionResult(None, created=False, sealed=True)
    payload = {"version": wave.version.id, "language": submission.language,
               "channel": submission.channel, "district": district_id, "answers": cleaned}
    sealed = seal(wave.public_key, payload, sealed_size(definition))
    db.session.execute(insert(SealedResponse.__table__).values(wave_id=wave.id, sealed=sealed))
    drafts.discard_draft(campaign.id, submission.resume_key)
    return SubmissionResult(None, created=True, sealed=True)


def _token_ballot(token: str | None, campaign: CampaignFacts, wave: WaveWindow | None) -> ballots.Ballot | None:
    # made even when no wave is open, so that a repeat of a submission stored before the close is recognised
    return ballots.from_token(token, campaign, wave.id if wave else None) if token else None


def _spend(ballot: ballots.Ballot, submission_hash: str) -> bool:
    """Spend the ballot (and the invitation it comes from): True; False if this very submission spent it before.

    Of concurrent requests with one ballot or token, the database lets one through: the others wait on its row
    lock or primary key, then find it spent.
    """
    if ballot.invitation_hash is not None:
        deleted = db.session.execute(delete(Invitation).where(Invitation.token_hash == ballot.invitation_hash,
                                                              Invitation.campaign_id == ballot.campaign_id))
        if deleted.rowcount != 1:
            return _refuse_unless_repeat(ballot, submission_hash)
    inserted = insert_rows(SpentBallot.__table__, ("ballot_hash", "wave_id", "submission_hash"),
                           [(ballot.spent_hash, ballot.wave_id, submission_hash)], on_conflict="ON CONFLICT DO NOTHING")
    return inserted == 1 or _refuse_unless_repeat(ballot, submission_hash)


def _refuse_unless_repeat(ballot: ballots.Ballot, submission_hash: str) -> bool:
    if _spent_by(ballot, submission_hash):
        return False
    raise InvitationRefused()


def _spent_by(ballot: ballots.Ballot, submission_hash: str) -> bool:
    spender = db.session.scalar(select(SpentBallot.submission_hash).where(SpentBallot.ballot_hash == ballot.spent_hash))
    return spender == submission_hash


def _checked(campaign: CampaignFacts, wave: WaveWindow | None, submission: _Submission):
    """The definition, cleaned answers and district id of a submission that may be stored."""
    if wave is None:
        raise CampaignNotOpen(campaign.slug)
    definition = published_definition(wave.version)
    districts = campaign.district_ids
    cleaned, problems = definition.clean(submission.raw_answers, has_pilot=bool(campaign.pilot_label),
                                         district_codes=districts)
    if submission.language not in campaign.languages:
        problems["language"] = f"must be one of {', '.join(campaign.languages)}"
    if problems:
        raise SubmissionInvalid(problems)
    district_item = definition.district_item
    district_code = cleaned.get(district_item["key"]) if district_item else None
    return definition, cleaned, districts.get(district_code) if isinstance(district_code, int) else None


def _earlier_response(campaign: CampaignFacts, submission_id: str) -> int | None:
    return db.session.scalar(
        select(Response.id).where(Response.submission_id == submission_id, Response.campaign_id == campaign.id)
    )


def _answer_rows(rows: list[Stored]) -> tuple[list[tuple], list[tuple]]:
    """(item_key, value, missing) for coded answers and (item_key, text) for free texts."""
    coded, texts = [], []
    for row in rows:
        if row.text is not None:
            texts.append((row.item_key, row.text))
        else:
            coded.append((row.item_key, row.value, row.missing))
    return coded, texts


def stored_rows(definition: Definition, cleaned: Mapping) -> tuple[list[tuple], list[tuple]]:
    """Coded and text rows of cleaned answers, as the release stores an officer's opened answers."""
    return _answer_rows(definition.stored(cleaned))
