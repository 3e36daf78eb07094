"""Staff users, their city-scoped roles, and personal API tokens."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..campaigns.models import City
from ..core.models import UTCDateTime
from ..extensions import db

ROLES = ("admin", "manager", "viewer", "analyst")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        # the network coordinator sees every city; everyone else belongs to exactly one
        CheckConstraint("(role = 'admin') = (city_id IS NULL)", name="city_matches_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, stored lower-case
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: argon2id hash of the password
    password_hash: Mapped[str] = mapped_column(String(255))
    #: admin, manager, viewer or analyst
    role: Mapped[str] = mapped_column(String(16))
    #: the city whose data the user may see (none for admins: all of them)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"))
    #: a deactivated user can neither log in nor use tokens
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: changes on every password change, so that old sessions end
    session_version: Mapped[int] = mapped_column(default=1)

    city: Mapped[City | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login's name
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def may_see_city(self, city_id: int) -> bool:
        return self.role == "admin" or self.city_id == city_id

    @property
    def may_download_microdata(self) -> bool:
        return self.role in ("admin", "analyst")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A personal token for the API, shown once; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token, hex
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: what the user called it ("laptop", "R scripts")
    label: Mapped[str] = mapped_column(String(64))
    #: when it was made
    created_on: Mapped[dt.date] = mapped_column(Date)
    #: revoked tokens are refused
    is_revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.label}>"


class AuditEvent(db.Model):
    """One change or download by a staff user or an operator: who, what, when. Admins read them; nothing in
    them is about a respondent."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: the user (none: the command line, or a user since deleted)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: who it was, as they were known then: an email, or "command line"
    actor: Mapped[str] = mapped_column(String(254))
    #: the city it concerns (none: the whole network)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    #: what was done, e.g. "download.microdata", "campaign.threshold"
    action: Mapped[str] = mapped_column(String(40))
    #: what it was done to, e.g. "nantes-residents baseline"
    target: Mapped[str] = mapped_column(String(200))
    #: the particulars: a format, a language, an old and a new value
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.target} by {self.actor}>"
