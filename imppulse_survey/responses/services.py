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

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..campaigns.facts import CampaignFacts, WaveWindow
from ..campaigns.models import Campaign, Invitation, Wave
from ..campaigns.services import hash_token
from ..core.database import begin_write, insert_rows, json_parameter, json_rows
from ..core.models import utcnow
from ..extensions import db
from ..indicators.models import IndicatorSummary
from ..indicators.summaries import ADD_TO_CELL, SUMMARY_COLUMNS, summary_additions
from ..questionnaires.definition import Definition, published_definition
from ..questionnaires.types import Stored
from .models import Answer, Response, TextAnswer


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
    campaign: Campaign | CampaignFacts,
    raw_answers: Mapping,
    *,
    language: str,
    submission_id: str,
    channel: str,
    token: str | None = None,
    wave: Wave | WaveWindow | None = None,
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
    dialect = db.session.get_bind().dialect.name
    one_statement = dialect == "postgresql" and campaign.access_mode == "open"
    if not one_statement:
        # the write lock (SQLite) is taken only now, after the reads and the checks, so that it is held briefly
        begin_write()
    values = dict(  # RESPONSE_COLUMNS
        campaign_id=campaign.id,
        wave_id=wave.id,
        questionnaire_version_id=campaign.questionnaire_version_id,
        language=language,
        district_id=districts.get(district_code) if isinstance(district_code, int) else None,
        channel=channel,
        submission_id=normalised_id,
        submitted_on=submitted_on or utcnow().date(),
    )
    rows = definition.stored(cleaned)
    # The unique submission_id decides races: of concurrent twins, one inserts, the others get no row back.
    if one_statement:
        response_id = _store_in_one_statement(values, rows, definition)
    else:
        response_id = _store_step_by_step(campaign, token, values, rows, definition, dialect)
    if response_id is None:
        earlier = _earlier_response(campaign, normalised_id)
        if earlier is None:  # the id belongs to a response of another campaign
            raise SubmissionInvalid({"submission_id": "is already used"})
        return SubmissionResult(earlier, created=False)
    return SubmissionResult(response_id, created=True)


def _store_step_by_step(campaign, token: str | None, values: dict, rows: list[Stored], definition: Definition,
                        dialect: str) -> int | None:
    """The response (None if its submission_id is a repeat), the token spent, answers, texts, summaries."""
    response_id = db.session.scalar(_insert_response(dialect), values)
    if response_id is None:
        return None
    if campaign.access_mode == "invitation":
        _spend_invitation(campaign, token)
    coded, texts = _answer_rows(rows)
    insert_rows(Answer.__table__, ANSWER_COLUMNS, [(response_id, *row) for row in coded])
    insert_rows(TextAnswer.__table__, TEXT_COLUMNS, [(response_id, *row) for row in texts])
    insert_rows(IndicatorSummary.__table__, SUMMARY_COLUMNS,
                summary_additions(definition, values["campaign_id"], values["wave_id"], values["district_id"], rows),
                on_conflict=ADD_TO_CELL)
    return response_id


def _store_in_one_statement(values: dict, rows: list[Stored], definition: Definition) -> int | None:
    """PostgreSQL, open campaigns: the response, its answers, free texts and summaries in one statement.

    Data-modifying CTEs make it one round trip instead of four, which under load was a fifth of the app's CPU
    per submission. The answers, texts and summaries are selected ``FROM response``: when the submission_id is
    a repeat, the response CTE returns no row and nothing else is written. (Invitation campaigns take the
    step-by-step path: their token is spent between the response and its answers.)
    """
    coded, texts = _answer_rows(rows)
    additions = summary_additions(definition, values["campaign_id"], values["wave_id"], values["district_id"], rows)
    parameters = (*(values[name] for name in RESPONSE_COLUMNS), json_parameter(coded), json_parameter(texts),
                  json_parameter(additions))
    return db.session.connection().exec_driver_sql(_one_statement_sql(), parameters).scalar()


@lru_cache(maxsize=1)
def _one_statement_sql() -> str:
    answers, texts, summaries = Answer.__table__, TextAnswer.__table__, IndicatorSummary.__table__
    markers = ", ".join(["%s"] * len(RESPONSE_COLUMNS))
    return (
        f"WITH response AS (INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES ({markers})"
        " ON CONFLICT (submission_id) DO NOTHING RETURNING id),"
        f" coded AS (INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) SELECT response.id, given.* FROM response,"
        f" ({json_rows(answers, ANSWER_COLUMNS[1:])}) AS given),"
        f" texts AS (INSERT INTO text_answers ({', '.join(TEXT_COLUMNS)}) SELECT response.id, given.* FROM response,"
        f" ({json_rows(texts, TEXT_COLUMNS[1:])}) AS given),"
        f" summaries AS (INSERT INTO indicator_summaries ({', '.join(SUMMARY_COLUMNS)}) SELECT given.* FROM response,"
        f" ({json_rows(summaries, SUMMARY_COLUMNS)}) AS given {ADD_TO_CELL})"
        " SELECT id FROM response"
    )


def _checked(campaign: Campaign | CampaignFacts, raw_answers: Mapping, language: str, token: str | None,
             wave: Wave | WaveWindow | None):
    """The wave, definition, district codes and cleaned answers of a submission that may be stored."""
    wave = wave or campaign.current_wave()
    if wave is None:
        raise CampaignNotOpen(campaign.slug)
    definition = published_definition(campaign.questionnaire_version)
    districts = campaign.district_ids
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


def _earlier_response(campaign: Campaign | CampaignFacts, submission_id: str) -> int | None:
    return db.session.scalar(
        select(Response.id).where(Response.submission_id == submission_id, Response.campaign_id == campaign.id)
    )


def _spend_invitation(campaign: Campaign | CampaignFacts, token: str) -> None:
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


def _answer_rows(rows: list[Stored]) -> tuple[list[tuple], list[tuple]]:
    """(item_key, value, missing) for coded answers and (item_key, text) for free texts."""
    coded, texts = [], []
    for row in rows:
        if row.text is not None:
            texts.append((row.item_key, row.text))
        else:
            coded.append((row.item_key, row.value, row.missing))
    return coded, texts
