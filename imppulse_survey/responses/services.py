"""The storage service: every submission, from the web form, the API or the demo data, is stored here.

One call validates the answers against the published version and stores the response, its answers and free
texts, and (for invitation campaigns) spends the token, all in the caller's one transaction. The service
flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..campaigns.models import Campaign, District, Invitation, Wave
from ..campaigns.services import hash_token
from ..core.database import begin_write
from ..core.models import utcnow
from ..extensions import db
from ..indicators.summaries import record_response
from ..questionnaires.definition import published_definition
from ..questionnaires.types import Stored
from .models import Answer, Response, TextAnswer


class SubmissionError(Exception):
    """A submission that cannot be stored."""


class SubmissionInvalid(SubmissionError):
    def __init__(self, problems: Mapping[str, str]):
        super().__init__(f"{len(problems)} answer(s) need attention")
        self.problems = dict(problems)


class CampaignNotOpen(SubmissionError):
    """No wave of the campaign is taking responses."""


class InvitationRefused(SubmissionError):
    """The token is unknown, of another campaign, or spent. The same refusal in every case, on purpose."""


@dataclass(frozen=True)
class SubmissionResult:
    response_id: int
    created: bool


def normalise_submission_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def submit(
    campaign: Campaign,
    raw_answers: Mapping,
    *,
    language: str,
    submission_id: str,
    channel: str,
    token: str | None = None,
    wave: Wave | None = None,
    submitted_on: dt.date | None = None,
) -> SubmissionResult:
    """Validate and store one submission. A ``submission_id`` seen before returns the response it stored."""
    normalised_id = normalise_submission_id(submission_id)
    if normalised_id is None:
        raise SubmissionInvalid({"submission_id": "must be a UUID"})
    try:
        wave, definition, districts, cleaned = _checked(campaign, raw_answers, language, token, wave)
    except SubmissionError:
        # a repeat of a stored submission (a double click after the campaign closed, say) keeps its answer;
        # looked up only here, since the insert below detects repeats on the hot path by itself
        earlier = _earlier_response(campaign, normalised_id)
        if earlier is not None:
            return SubmissionResult(earlier, created=False)
        raise

    district_item = definition.district_item
    district_code = cleaned.get(district_item["key"]) if district_item else None
    # the write lock (SQLite) is taken only now, after the reads and the checks, so that it is held briefly
    begin_write()
    values = dict(
        campaign_id=campaign.id,
        wave_id=wave.id,
        questionnaire_version_id=campaign.questionnaire_version_id,
        language=language,
        district_id=districts.get(district_code) if isinstance(district_code, int) else None,
        channel=channel,
        submission_id=normalised_id,
        submitted_on=submitted_on or utcnow().date(),
    )
    # The unique submission_id decides races: of concurrent twins, one inserts, the others get no row back.
    response_id = db.session.scalar(_insert_response(db.session.get_bind().dialect.name), values)
    if response_id is None:
        earlier = _earlier_response(campaign, normalised_id)
        if earlier is None:  # the id belongs to a response of another campaign
            raise SubmissionInvalid({"submission_id": "is already used"})
        return SubmissionResult(earlier, created=False)

    if campaign.access_mode == "invitation":
        _spend_invitation(campaign, token)
    rows = definition.stored(cleaned)
    _store_answers(rows, response_id)
    record_response(definition, campaign.id, wave.id, values["district_id"], rows)
    return SubmissionResult(response_id, created=True)


def _checked(campaign: Campaign, raw_answers: Mapping, language: str, token: str | None, wave: Wave | None):
    """The wave, definition, district codes and cleaned answers of a submission that may be stored."""
    wave = wave or campaign.current_wave()
    if wave is None:
        raise CampaignNotOpen(campaign.slug)
    definition = published_definition(campaign.questionnaire_version)
    districts = dict(db.session.execute(
        select(District.code, District.id).where(District.city_id == campaign.city_id)).all())
    cleaned, problems = definition.clean(raw_answers, has_pilot=bool(campaign.pilot_label), district_codes=districts)
    if language not in campaign.languages:
        problems["language"] = f"must be one of {', '.join(campaign.languages)}"
    if campaign.access_mode == "invitation" and not token:
        raise InvitationRefused()
    if problems:
        raise SubmissionInvalid(problems)
    return wave, definition, districts, cleaned


@lru_cache(maxsize=2)
def _insert_response(dialect: str):
    """Built once and executed with each submission's values, so that it is compiled once."""
    table = Response.__table__
    insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert_for(table).on_conflict_do_nothing(index_elements=["submission_id"]).returning(table.c.id)


def _earlier_response(campaign: Campaign, submission_id: str) -> int | None:
    return db.session.scalar(
        select(Response.id).where(Response.submission_id == submission_id, Response.campaign_id == campaign.id)
    )


def _spend_invitation(campaign: Campaign, token: str) -> None:
    # A conditional update: of concurrent submissions with one token, exactly one sees a row change.
    spent = db.session.execute(
        update(Invitation)
        .where(
            Invitation.token_hash == hash_token(token),
            Invitation.campaign_id == campaign.id,
            Invitation.is_used.is_(False),
        )
        .values(is_used=True)
    )
    if spent.rowcount != 1:
        raise InvitationRefused()


def _store_answers(rows: list[Stored], response_id: int) -> None:
    coded, texts = [], []
    for row in rows:
        if row.text is not None:
            texts.append({"response_id": response_id, "item_key": row.item_key, "text": row.text})
        else:
            coded.append({"response_id": response_id, "item_key": row.item_key, "value": row.value, "missing": row.missing})
    if coded:
        db.session.execute(insert(Answer.__table__), coded)  # Core executemany: no ORM bookkeeping per row
    if texts:
        db.session.execute(insert(TextAnswer.__table__), texts)
