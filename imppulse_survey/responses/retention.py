"""Retention: what is deleted, and when (``flask imppulse purge``, run daily).

Each campaign keeps a wave's responses for ``retention_months`` after the wave closed, and their free texts for
``text_retention_months`` (free text is the likeliest to name someone, so it goes first). Drafts go when they
expire. Sealed officers' answers that were never released (fewer than the threshold), and the spent ballots of a
wave, go with the wave's responses. Indicator summaries of a purged wave go too: they are built from its answers;
so does the microdata built from them (with the free texts, where it holds them).
The purge logs what it removed, as counts only.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass

from flask import current_app
from sqlalchemy import delete, select

from ..campaigns.models import Campaign, Wave
from ..core.database import begin_write
from ..core.models import utcnow
from ..exports.labelled import forget_files
from ..exports.microdata import forget_microdata
from ..extensions import db
from .models import Answer, Draft, IndicatorSummary, Response, SealedResponse, SpentBallot, TextAnswer


@dataclass(frozen=True)
class PurgeReport:
    drafts: int = 0
    free_texts: int = 0
    responses: int = 0
    sealed_answers: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in asdict(self).items())


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def purge(now: dt.datetime | None = None, *, drafts_only: bool = False) -> PurgeReport:
    """Delete everything past its retention date (or only expired drafts), in one transaction (the caller
    commits), and log the counts."""
    now = now or utcnow()
    begin_write()
    drafts = _delete(Draft, Draft.expires_on < now.date())
    free_texts = responses = sealed = 0
    forgotten: list[int] = []
    for campaign in [] if drafts_only else db.session.scalars(select(Campaign).order_by(Campaign.id)).all():
        texts_expired = _closed_before(campaign, months_before(now, campaign.text_retention_months))
        free_texts += _delete(TextAnswer, TextAnswer.response_id.in_(_responses_of(texts_expired)))
        expired = _closed_before(campaign, months_before(now, campaign.retention_months))
        # microdata is a copy of the answers: it goes with them (and with the texts, where it holds them)
        forgotten += forget_microdata(texts_expired, with_free_text_only=True) + forget_microdata(expired)
        sealed += _delete(SealedResponse, SealedResponse.wave_id.in_(expired))
        _delete(SpentBallot, SpentBallot.wave_id.in_(expired))
        _delete(IndicatorSummary, IndicatorSummary.wave_id.in_(expired))
        free_texts += _delete(TextAnswer, TextAnswer.response_id.in_(_responses_of(expired)))
        _delete(Answer, Answer.response_id.in_(_responses_of(expired)))
        responses += _delete(Response, Response.wave_id.in_(expired))
    forget_files(forgotten)
    report = PurgeReport(drafts, free_texts, responses, sealed)
    current_app.logger.info("purge: removed %s", report)
    return report


def _closed_before(campaign: Campaign, cutoff: dt.datetime):
    return select(Wave.id).where(Wave.campaign_id == campaign.id, Wave.closes_dt.is_not(None), Wave.closes_dt < cutoff)


def _responses_of(waves):
    return select(Response.id).where(Response.wave_id.in_(waves))


def _delete(model, condition) -> int:
    return db.session.execute(delete(model).where(condition)).rowcount
