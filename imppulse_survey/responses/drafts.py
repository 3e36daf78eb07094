"""Save and resume: drafts keyed by a random resume key that only the respondent's link holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import delete, select

from ..campaigns.models import Campaign
from ..core.database import begin_write
from ..core.models import utcnow
from ..extensions import db
from .models import Draft

RESUME_KEY_BYTES = 32  # 256 bits


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def save_draft(campaign: Campaign, answers: dict, page_key: str, language: str, resume_key: str | None) -> str:
    """Store the answers so far; returns the resume key (the same one when the draft was saved before)."""
    begin_write()
    draft = find_draft(campaign, resume_key) if resume_key else None
    if draft is None:
        resume_key = secrets.token_urlsafe(RESUME_KEY_BYTES)
        draft = Draft(resume_key_hash=_hash(resume_key), campaign_id=campaign.id)
        db.session.add(draft)
    draft.answers = answers
    draft.page_key = page_key
    draft.language = language
    draft.expires_on = utcnow().date() + dt.timedelta(days=current_app.config["DRAFT_RETENTION_DAYS"])
    db.session.flush()
    return resume_key


def find_draft(campaign: Campaign, resume_key: str) -> Draft | None:
    if not resume_key or len(resume_key) > 100:
        return None
    return db.session.scalar(
        select(Draft).where(
            Draft.resume_key_hash == _hash(resume_key),
            Draft.campaign_id == campaign.id,
            Draft.expires_on >= utcnow().date(),
        )
    )


def discard_draft(campaign: Campaign, resume_key: str | None) -> None:
    if resume_key:
        db.session.execute(
            delete(Draft).where(Draft.resume_key_hash == _hash(resume_key), Draft.campaign_id == campaign.id)
        )


def purge_expired_drafts(today: dt.date | None = None) -> int:
    begin_write()
    result = db.session.execute(delete(Draft).where(Draft.expires_on < (today or utcnow().date())))
    return result.rowcount
