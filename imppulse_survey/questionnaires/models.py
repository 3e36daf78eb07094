"""Questionnaires and their immutable published versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"
    __table_args__ = (CheckConstraint("audience IN ('resident', 'officer')", name="audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the stable identifier from the file, e.g. ``resident-perception``
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: who answers it: ``resident`` or ``officer``
    audience: Mapped[str] = mapped_column(String(16))

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )

    @property
    def latest_version(self) -> QuestionnaireVersion | None:
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Questionnaire {self.key}>"


class QuestionnaireVersion(db.Model):
    """A published questionnaire. Never updated: a changed file publishes a new version."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "number"),
        UniqueConstraint("questionnaire_id", "content_hash"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: 1, 2, 3… in order of publication
    number: Mapped[int]
    #: SHA-256 of the validated definition in canonical JSON: the same content never publishes twice
    content_hash: Mapped[str] = mapped_column(String(64))
    #: the validated definition, as the loader produced it
    definition: Mapped[dict] = mapped_column(JSON, deferred=True)
    #: when it was published
    published_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire.key} v{self.number}>"
