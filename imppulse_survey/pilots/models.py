"""A pilot project: its texts, actions and budget (free to edit), and its design (fixed when declared).

The design is what an evaluation could be bent by: the pilot and comparison districts, the target indicators
with their baseline and target values, the primary indicator, and the waves that measure it. It is fixed when the
pilot is declared; a later change needs a reason, is kept as a dated revision shown on every report, and where a
baseline is already released, reissues the releases it affects (``services.revise_design``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..campaigns.models import Campaign, City, Wave
from ..core.models import UTCDateTime
from ..extensions import db

ACTION_STATUSES = ("planned", "under_way", "done", "cancelled")


class Pilot(db.Model):
    __tablename__ = "pilots"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    #: texts in the city's languages: {language: text}
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    objectives: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the design, fixed when declared (a change is a ``PilotRevision``)
    resident_campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    resident_baseline_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    resident_follow_up_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    officer_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    officer_baseline_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"))
    officer_follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"))
    pilot_districts: Mapped[list[int]] = mapped_column(JSON)
    comparison_districts: Mapped[list[int]] = mapped_column(JSON)
    primary_indicator: Mapped[str] = mapped_column(String(40))
    declared_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the residents' baseline was already released when the design was declared: said on every report
    declared_after_baseline: Mapped[bool] = mapped_column(default=False)

    city: Mapped[City] = relationship()
    resident_campaign: Mapped[Campaign] = relationship(foreign_keys=[resident_campaign_id])
    officer_campaign: Mapped[Campaign | None] = relationship(foreign_keys=[officer_campaign_id])
    resident_baseline: Mapped[Wave] = relationship(foreign_keys=[resident_baseline_id])
    resident_follow_up: Mapped[Wave] = relationship(foreign_keys=[resident_follow_up_id])
    officer_baseline: Mapped[Wave | None] = relationship(foreign_keys=[officer_baseline_id])
    officer_follow_up: Mapped[Wave | None] = relationship(foreign_keys=[officer_follow_up_id])
    targets: Mapped[list[PilotTarget]] = relationship(cascade="all, delete-orphan", order_by="PilotTarget.id")
    actions: Mapped[list[PilotAction]] = relationship(
        cascade="all, delete-orphan", order_by="(PilotAction.starts_on, PilotAction.id)")
    budget_lines: Mapped[list[BudgetLine]] = relationship(cascade="all, delete-orphan", order_by="BudgetLine.id")
    revisions: Mapped[list[PilotRevision]] = relationship(cascade="all, delete-orphan",
                                                          order_by="PilotRevision.made_dt")

    def __repr__(self) -> str:
        return f"<Pilot {self.slug}>"


class PilotTarget(db.Model):
    """An indicator the pilot aims to move, from its baseline value to its target (both in the indicator's units)."""

    __tablename__ = "pilot_targets"
    __table_args__ = (UniqueConstraint("pilot_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(40))
    baseline_value: Mapped[float]
    target_value: Mapped[float]

    @property
    def aims_higher(self) -> bool:
        return self.target_value >= self.baseline_value


class PilotAction(db.Model):
    __tablename__ = "pilot_actions"
    __table_args__ = (CheckConstraint(f"status IN {ACTION_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    owner: Mapped[str] = mapped_column(String(200), default="")


class BudgetLine(db.Model):
    """One line of the budget, in euros."""

    __tablename__ = "pilot_budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    planned_eur: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    spent_eur: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))


class PilotRevision(db.Model):
    """A change to a declared design: when, why, what it was before and after, and which releases it reissued."""

    __tablename__ = "pilot_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    made_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    #: {"before": design, "after": design}
    change: Mapped[dict] = mapped_column(JSON)
    #: labels of the waves whose releases were reissued
    reissued: Mapped[list[str]] = mapped_column(JSON, default=list)
    after_baseline: Mapped[bool] = mapped_column(default=False)
