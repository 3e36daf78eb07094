"""Save and resume: drafts encrypted with a random resume key that only the respondent's link holds.

The table keeps a hash of the key (to find the draft), the campaign and the expiry date; the language, page,
answers and an officer's ballot are encrypted with a key derived from the resume key (``sealing``), so whoever
reads the database or its files learns nothing of what a respondent has answered so far. Only answers that pass
their item's checks are kept, so a draft never holds more than the questionnaire allows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select

from ..core.database import begin_write
from ..core.models import utcnow
from ..extensions import db
from .models import Draft
from .sealing import SealError, decrypt_draft, draft_lookup, encrypt_draft

RESUME_KEY_BYTES = 32  # 256 bits
MAX_RESUME_KEY_LENGTH = 100


@dataclass(frozen=True)
class DraftContent:
    language: str
    page_key: str
    answers: dict
    #: an officer's signed ballot, which travels in the resume link so that any browser can finish
    ballot: str | None


def save_draft(campaign_id: int, content: DraftContent, resume_key: str | None) -> str:
    """Store the answers so far and commit; returns the resume key (the same one when saved before)."""
    begin_write()
    draft = _find(campaign_id, resume_key) if resume_key else None
    if draft is None:
        resume_key = secrets.token_urlsafe(RESUME_KEY_BYTES)
        draft = Draft(resume_key_hash=draft_lookup(resume_key), campaign_id=campaign_id)
        db.session.add(draft)
    draft.sealed = encrypt_draft(resume_key, {"language": content.language, "page": content.page_key,
                                              "answers": content.answers, "ballot": content.ballot})
    draft.expires_on = utcnow().date() + dt.timedelta(days=current_app.config["DRAFT_RETENTION_DAYS"])
    db.session.commit()
    return resume_key


def find_draft(campaign_id: int, resume_key: str) -> DraftContent | None:
    draft = _find(campaign_id, resume_key)
    if draft is None:
        return None
    try:
        content = decrypt_draft(resume_key, draft.sealed)
    except SealError:
        return None
    return DraftContent(content["language"], content["page"], content["answers"], content.get("ballot"))


def _find(campaign_id: int, resume_key: str) -> Draft | None:
    if not resume_key or len(resume_key) > MAX_RESUME_KEY_LENGTH:
        return None
    return db.session.scalar(
        select(Draft).where(
            Draft.resume_key_hash == draft_lookup(resume_key),
            Draft.campaign_id == campaign_id,
            Draft.expires_on >= utcnow().date(),
        )
    )


def discard_draft(campaign_id: int, resume_key: str | None) -> None:
    if resume_key and len(resume_key) <= MAX_RESUME_KEY_LENGTH:
        db.session.execute(
            delete(Draft).where(Draft.resume_key_hash == draft_lookup(resume_key), Draft.campaign_id == campaign_id)
        )

