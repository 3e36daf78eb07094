"""Opening a closed officer wave's sealed answers: shuffled and stored as responses, in one transaction.

The first step of the wave's release (``releases.services.release``), which then builds its figures.

Until the release, officers' answers exist only sealed to the wave's public key (``services._store_sealed``);
the private key, which only the manager holds, opens them here. Every answer of the wave becomes a response at
once, in a random order, with a fresh id, a fresh submission id and the wave's closing date, so that neither the
order of the rows, their ids, their dates nor the moment the figures changed says who answered what. A wave with
fewer sealed answers than its campaign's threshold releases nothing: they stay sealed until the retention purge.
A combination of background answers (``background: true`` items) and language that fewer respondents than the
threshold share is withheld (``WITHHELD``) before anything is stored (docs/anonymity.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from ..campaigns.models import Campaign, Wave
from ..core.database import begin_write, insert_returning_id, insert_rows
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.definition import Definition
from ..questionnaires.published import published_definition
from .models import CHANNELS, Answer, Response, SealedResponse, TextAnswer
from .sealing import SealError, WrongKey, read_private_key, unseal
from .services import ANSWER_COLUMNS, TEXT_COLUMNS, stored_rows
from .summaries import rebuild_summaries

#: the missing-value code of an answer withheld at release because its combination was too rare
WITHHELD = "withheld"
#: the language of a response whose language was withheld (ISO 639-2 "undetermined")
UNDETERMINED_LANGUAGE = "und"
LANGUAGE = "language"


class UnsealingRefused(ValueError):
    """A release that cannot be made; the message says why, and nothing has changed."""


@dataclass(frozen=True)
class UnsealingReport:
    released: int
    #: sealed rows that did not hold a valid submission of this campaign (never expected; counted, not stored)
    unreadable: int
    #: for each background item (and the language), how many respondents' answers were withheld
    withheld: dict[str, int] = field(default_factory=dict)


@dataclass
class _Opened:
    language: str
    channel: str
    version_id: int
    cleaned: dict


def open_sealed_answers(campaign: Campaign, wave: Wave, private_key_text: str, now: dt.datetime | None = None) -> UnsealingReport:
    """Open, shuffle and store every sealed answer of a closed wave, update the summaries, and commit."""
    now = now or utcnow()
    if campaign.access_mode != "invitation" or wave.campaign_id != campaign.id:
        raise UnsealingRefused(f"{campaign.slug} is an open campaign: its answers are stored as they arrive")
    if wave.released_dt is not None:
        raise UnsealingRefused(f"wave {wave.label} of {campaign.slug} was released on {wave.released_dt:%Y-%m-%d}")
    if wave.status(now) != "closed":
        raise UnsealingRefused(f"wave {wave.label} of {campaign.slug} is not closed: close it first (campaign close)")
    try:
        private_key = read_private_key(private_key_text, wave.public_key)
    except WrongKey as error:
        raise UnsealingRefused(str(error)) from None
    try:
        begin_write()
        sealed = db.session.scalars(select(SealedResponse.sealed).where(SealedResponse.wave_id == wave.id)).all()
        if len(sealed) < campaign.disclosure_threshold:
            raise UnsealingRefused(
                f"wave {wave.label} of {campaign.slug} holds {len(sealed)} sealed answers, fewer than the threshold "
                f"of {campaign.disclosure_threshold}: nothing is released, and they stay sealed until purged")
        definition = published_definition(wave.questionnaire_version)
        opened = [answer for answer in (_open(campaign, wave, definition, private_key, blob) for blob in sealed) if answer]
        withheld = coarsen(opened, background_keys(definition), campaign.disclosure_threshold)
        secrets.SystemRandom().shuffle(opened)
        closing_date = wave.closes_dt.date()
        for answer in opened:
            _store(campaign, wave, definition, answer, closing_date)
        db.session.execute(delete(SealedResponse).where(SealedResponse.wave_id == wave.id))
        wave.released_dt = now
        rebuild_summaries(campaign.id, definition, waves=[wave.id])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return UnsealingReport(len(opened), len(sealed) - len(opened), withheld)


def background_keys(definition: Definition) -> list[str]:
    return [key for key, item in definition.item_by_answer_key.items() if item.get("background")]


def _open(campaign: Campaign, wave: Wave, definition: Definition, private_key, blob: bytes) -> _Opened | None:
    try:
        payload = unseal(private_key, blob)
    except SealError:  # the key is the wave's, so the row was not sealed by this app for this wave
        return None
    answers, language, channel = payload.get("answers"), payload.get(LANGUAGE), payload.get("channel")
    if payload.get("version") != wave.questionnaire_version_id or language not in campaign.languages \
            or channel not in CHANNELS or not isinstance(answers, dict):
        return None
    # checked again, as at submission: whoever can write to the database could have added a sealed row
    cleaned, problems = definition.clean(answers, bool(campaign.pilot_label), district_codes=campaign.district_ids)
    if problems:
        return None
    return _Opened(language, channel, wave.questionnaire_version_id, cleaned)


def coarsen(opened: Sequence[_Opened], keys: Sequence[str], threshold: int) -> dict[str, int]:
    """Withhold background answers (and the language) of respondents whose combination fewer than ``threshold``
    share, one characteristic at a time, until every combination is shared by enough or fully withheld.

    Local suppression: for the rare respondents only, the characteristic that splits them most is withheld first,
    so that common combinations keep every detail. Returns how many respondents lost each characteristic.
    """
    characteristics = [LANGUAGE, *keys]
    withheld: Counter[str] = Counter()

    def value(answer: _Opened, name: str):
        return answer.language if name == LANGUAGE else answer.cleaned.get(name)

    while True:
        combinations = Counter(tuple(value(answer, name) for name in characteristics) for answer in opened)
        rare = [answer for answer in opened
                if combinations[tuple(value(answer, name) for name in characteristics)] < threshold]
        candidates = [name for name in characteristics
                      if any(value(answer, name) not in (WITHHELD, UNDETERMINED_LANGUAGE) for answer in rare)]
        if not rare or not candidates:
            return dict(withheld)
        name = max(candidates, key=lambda candidate: (len({value(answer, candidate) for answer in rare}),
                                                      characteristics.index(candidate)))
        for answer in rare:
            if name == LANGUAGE:
                if answer.language != UNDETERMINED_LANGUAGE:
                    answer.language = UNDETERMINED_LANGUAGE
                    withheld[name] += 1
            elif answer.cleaned.get(name) != WITHHELD:
                answer.cleaned[name] = WITHHELD
                withheld[name] += 1


def _store(campaign: Campaign, wave: Wave, definition: Definition, answer: _Opened, closing_date: dt.date) -> None:
    district = definition.district_item
    code = answer.cleaned.get(district["key"]) if district else None
    response_id = insert_returning_id(Response.__table__, {
        "campaign_id": campaign.id, "wave_id": wave.id, "questionnaire_version_id": answer.version_id,
        "language": answer.language, "channel": answer.channel, "submission_id": str(uuid.uuid4()),
        "district_id": campaign.district_ids.get(code) if isinstance(code, int) else None,
        "submitted_on": closing_date,
    }, unique="submission_id")
    coded, texts = stored_rows(definition, {key: value for key, value in answer.cleaned.items() if value != WITHHELD})
    coded += [(key, None, WITHHELD) for key, value in answer.cleaned.items() if value == WITHHELD]
    insert_rows(Answer.__table__, ANSWER_COLUMNS, [(response_id, *row) for row in coded])
    insert_rows(TextAnswer.__table__, TEXT_COLUMNS, [(response_id, *row) for row in texts])


def sealed_count(wave: Wave) -> int:
    return db.session.scalar(select(func.count()).select_from(SealedResponse).where(SealedResponse.wave_id == wave.id))
