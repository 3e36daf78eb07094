"""Completed responses, their coded answers and free texts, drafts for save-and-resume, and the indicator
summaries built from the answers.

A response holds nothing that identifies a person: no IP address, user agent, token or time of day, only the
date. Free text sits in its own table so that it can be excluded, redacted or purged on its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

#: how a response came: the web form, the API, the demo data, or street interviews collected offline (xlsform)
CHANNELS = ("web", "api", "demo", "odk")


class Response(db.Model):
    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        CheckConstraint("weight > 0", name="weight_positive"),
        Index("ix_responses_campaign_wave_district", "campaign_id", "wave_id", "district_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    #: the exact version answered
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    #: the language the respondent answered in
    language: Mapped[str] = mapped_column(String(8))
    #: the district the respondent chose, when the questionnaire asks
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    #: how the response arrived: web form, JSON API, demo data
    channel: Mapped[str] = mapped_column(String(8))
    #: random id chosen by the form or the client: a repeated submission lands once
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: the date only: a time of day could single a respondent out
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    #: survey weight from raking to population margins; 1 until the campaign is weighted
    weight: Mapped[float] = mapped_column(default=1.0, server_default="1")

    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    text_answers: Mapped[list[TextAnswer]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Response {self.id} campaign={self.campaign_id}>"


class Answer(db.Model):
    """One coded answer: a substantive value or a missing-value code, never both."""

    __tablename__ = "answers"
    __table_args__ = (
        CheckConstraint("(value IS NULL) <> (missing IS NULL)", name="value_or_missing"),
        # one response's answer to one item: the lookup behind every score, breakdown and condition in
        # aggregation.py. An (item_key, value) index made the plans no faster and cost each submission a page
        # write per answer, since its 30-odd answers land in 30-odd places of such an index.
        Index("ix_answers_response_item", "response_id", "item_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    #: the item (or grid row) key from the questionnaire
    item_key: Mapped[str] = mapped_column(String(40))
    #: the code or number answered
    value: Mapped[float | None]
    #: the missing-value code chosen instead (``dont_know``, ``prefer_not_to_say``…)
    missing: Mapped[str | None] = mapped_column(String(24))

    response: Mapped[Response] = relationship(back_populates="answers")

    def __repr__(self) -> str:
        return f"<Answer {self.item_key}={self.value if self.missing is None else self.missing}>"


class TextAnswer(db.Model):
    __tablename__ = "text_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    #: what the respondent wrote
    text: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<TextAnswer {self.item_key}>"


class Draft(db.Model):
    """Answers saved with "Continue later", encrypted with a key that only the resume link holds; deleted on
    submission or after ``expires_on`` (``responses.drafts``)."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random resume key, hex: the key itself is only in the respondent's link
    resume_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    #: the language, page and answers so far (and an officer's ballot), encrypted with the resume key
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    #: purged after this date
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)

    def __repr__(self) -> str:
        return f"<Draft {self.id} expires {self.expires_on}>"


class SealedResponse(db.Model):
    """An officer's submission, encrypted to its wave's public key and padded to one length for the wave.

    Opened, shuffled and stored as a response with a fresh id only when the wave is released
    (``responses.unsealing``); until then nothing in it is readable on the server.
    """

    __tablename__ = "sealed_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    #: a libsodium sealed box of the padded submission
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<SealedResponse {self.id} wave={self.wave_id}>"


class SpentBallot(db.Model):
    """A ballot that has been used, so that it is used once; kept apart from the sealed and released answers."""

    __tablename__ = "spent_ballots"

    #: keyed hash of the ballot id (``core.keys.keyed_hash``): the ballot itself is never stored
    ballot_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    #: keyed hash of the submission_id that spent it: a repeat of that submission is answered as a success
    submission_hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<SpentBallot wave={self.wave_id}>"


#: the value a breakdown column holds when the respondent gave none (codes and ids are never negative)
NOT_GIVEN = -1


class IndicatorSummary(db.Model):
    """One indicator in one cell of the finest standard cross-classification of one campaign.

    A cell is wave × district × age band × gender × police contact. Counts and sums add up, so any coarser
    breakdown over these dimensions is a ``GROUP BY`` over a few thousand rows instead of every answer. Written
    at submission and rebuilt from the answers by ``responses.summaries``; read by ``indicators.summaries``.
    """

    __tablename__ = "indicator_summaries"
    __table_args__ = (
        # the indicator second, in the order the tables are read: one index range per indicator, grouped
        # as it comes (with the indicator last, SQLite sorted: 15.7 against 5.9 ms at 1 M responses). A
        # submission only reads this index, since an upsert into an existing cell changes no key column.
        Index("ux_indicator_summaries_cell", "campaign_id", "indicator", "wave_id", "district_id", "age_band",
              "gender", "police_contact", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(40))
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    # NOT_GIVEN rather than NULL: a unique index treats NULLs as distinct, and the upsert needs one row per cell
    district_id: Mapped[int]
    age_band: Mapped[int]
    gender: Mapped[int]
    police_contact: Mapped[int]
    n: Mapped[int]
    sum_w: Mapped[float]
    sum_wy: Mapped[float]
    sum_wy2: Mapped[float]
    sum_w2: Mapped[float]
    sum_y: Mapped[float]
    sum_y2: Mapped[float]

    def __repr__(self) -> str:
        return f"<IndicatorSummary {self.indicator} campaign={self.campaign_id} n={self.n}>"
