"""The audit log: every change and download by staff, recorded in the transaction that makes it."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from ..core.models import utcnow
from ..extensions import db
from .models import AuditEvent

COMMAND_LINE = "command line"


def record(action: str, target: str, city_id: int | None, /, **details) -> AuditEvent:
    """Add an event for the signed-in user (or the command line); the caller's transaction commits it."""
    user = current_user if _signed_in() else None
    event = AuditEvent(at_dt=utcnow(), user_id=user.id if user else None, actor=user.email if user else COMMAND_LINE,
                       city_id=city_id, action=action, target=target[:200], details=details)
    db.session.add(event)
    return event


def recorded(action: str, target: str, city_id: int | None, message: str, back_to: str, /, **details):
    """A change made in the browser: audit it, commit, say so, and go back to ``back_to`` (after the redirect, a
    reload repeats nothing)."""
    from flask import flash, redirect

    record(action, target, city_id, **details)
    db.session.commit()
    flash(message, "success")
    return redirect(back_to)


def _signed_in() -> bool:
    from flask import has_request_context

    return has_request_context() and current_user.is_authenticated


def events(city_id: int | None = None, limit: int = 200) -> list[AuditEvent]:
    """The latest events, newest first (of one city, or of every city and the network)."""
    query = select(AuditEvent).order_by(AuditEvent.at_dt.desc(), AuditEvent.id.desc()).limit(limit)
    if city_id is not None:
        query = query.where(AuditEvent.city_id == city_id)
    return list(db.session.scalars(query))
