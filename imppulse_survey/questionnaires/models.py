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
    language_packs: Mapped[list[LanguagePack]] = relationship(back_populates="version",
                                                              order_by="LanguagePack.language")

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire.key} v{self.number}>"


class LanguagePack(db.Model):
    """One language of a published version, and who reviewed its texts, when and against what.

    A version's own languages have a pack without texts (they are in the definition); a language added later
    brings its texts here, so that a city can offer it without a new version breaking every series. A campaign
    opens in production only in languages whose pack is marked reviewed.
    """

    __tablename__ = "language_packs"
    __table_args__ = (UniqueConstraint("questionnaire_version_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    language: Mapped[str] = mapped_column(String(8))
    #: an added language's texts, by the path of each text in the definition; null: in the definition itself
    texts: Mapped[dict | None] = mapped_column(JSON)
    #: the review mark: who, on what day, against what (e.g. "December 2026 review applied")
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_on: Mapped[dt.date | None]
    reviewed_against: Mapped[str | None] = mapped_column(String(500))
    added_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="language_packs")

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_on is not None

    def __repr__(self) -> str:
        return f"<LanguagePack {self.version!r} {self.language}>"
