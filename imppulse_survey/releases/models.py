"""Releases: the only way figures leave the platform. One per wave when its fieldwork closes, reissued on record."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..campaigns.models import Wave
from ..core.models import UTCDateTime
from ..extensions import db
from ..weighting.models import WeightSet

#: what a released cell shows
CELL_STATES = ("published", "suppressed")
#: why a published cell shows no estimate (officers: all or all but one alike; any mean without spread)
VARIATIONS = ("nearly_all", "nearly_none", "not_enough_variation")
#: how a published cell may be shown: both weighted and unweighted, or weighted only (a weighting class inside it
#: holds fewer respondents than the threshold, which the two figures together would give away)
WEIGHTINGS = ("both", "weighted_only")


class Pooling(db.Model):
    """A figure over several waves (an always-on campaign's periods): a cell of its own, computed from the exact
    sums of the waves it covers, declared before the first of them is released and released with the last."""

    __tablename__ = "poolings"
    __table_args__ = (UniqueConstraint("campaign_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(64))
    #: the ids of the waves it covers
    wave_ids: Mapped[list[int]] = mapped_column(JSON)
    declared_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Pooling {self.label}>"


class DistrictGroup(db.Model):
    """Districts published together as one cell (a pilot's districts, its comparison districts), declared before
    the releases that publish it."""

    __tablename__ = "district_groups"
    __table_args__ = (UniqueConstraint("campaign_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(64))
    district_codes: Mapped[list[int]] = mapped_column(JSON)
    declared_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<DistrictGroup {self.label}>"


class Release(db.Model):
    """The figures of one wave of one campaign, fixed when they were released."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("wave_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    #: 1 for the first release of the wave, then 2, 3… for each reissue
    number: Mapped[int]
    #: when it was made
    made_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: why it was made: "first release", or what a reissue corrects
    reason: Mapped[str] = mapped_column(String(200))
    #: the disclosure threshold it was made with
    threshold: Mapped[int]
    #: the reissue in force is the latest; earlier ones stay, as they were published
    is_current: Mapped[bool] = mapped_column(default=True)
    #: the weights its weighted figures use (none: the wave was not weighted, every weight 1)
    weight_set_id: Mapped[int | None] = mapped_column(ForeignKey("weight_sets.id"))

    wave: Mapped[Wave] = relationship()
    weight_set: Mapped[WeightSet | None] = relationship()
    cells: Mapped[list[ReleaseCell]] = relationship(back_populates="release", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Release {self.wave_id}#{self.number}>"


class ReleaseCell(db.Model):
    """One indicator in one cell of one table of a release, with the sums its statistics come from.

    Sums of suppressed cells are kept (the audit of later releases needs them) and never leave the platform.
    """

    __tablename__ = "release_cells"
    __table_args__ = (
        CheckConstraint(f"state IN {CELL_STATES}", name="state"),
        CheckConstraint(f"variation IS NULL OR variation IN {VARIATIONS}", name="variation"),
        CheckConstraint(f"weighting IN {WEIGHTINGS}", name="weighting"),
        Index("ix_release_cells_release_table", "release_id", "table_name", "indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(40))
    #: the table's breakdowns joined by ":" ("" for the total, "district", "district:gender")
    table_name: Mapped[str] = mapped_column(String(120))
    #: the cell's category in each breakdown, e.g. {"district": 3, "gender": 2}; null: not given
    dimensions: Mapped[dict] = mapped_column(JSON)
    #: respondents counted (unweighted)
    n: Mapped[int]
    #: weighted sums: Σw, Σw·y, Σw·y², Σw²
    sum_w: Mapped[float]
    sum_wy: Mapped[float]
    sum_wy2: Mapped[float]
    sum_w2: Mapped[float]
    #: unweighted sums: Σy, Σy²
    sum_y: Mapped[float]
    sum_y2: Mapped[float]
    #: published, or suppressed (primary or complementary)
    state: Mapped[str] = mapped_column(String(16))
    #: published without an estimate, and why
    variation: Mapped[str | None] = mapped_column(String(24))
    #: both weighted and unweighted, or weighted only
    weighting: Mapped[str] = mapped_column(String(16), default="both")
    #: the weights of its weighted sums: the release's, or, where new weights would give a class away together
    #: with an earlier release's, those of the earlier release (none: unweighted)
    weight_set_id: Mapped[int | None] = mapped_column(ForeignKey("weight_sets.id"))
    #: a cell over several waves: the pooling it belongs to (none: a cell of the release's own wave)
    pooling_id: Mapped[int | None] = mapped_column(ForeignKey("poolings.id", ondelete="CASCADE"))

    release: Mapped[Release] = relationship(back_populates="cells")

    @property
    def key(self) -> tuple:
        return (self.pooling_id, self.indicator, self.table_name, tuple(sorted(self.dimensions.items())))

    def __repr__(self) -> str:
        return f"<ReleaseCell {self.indicator} {self.table_name} {self.dimensions} n={self.n} {self.state}>"
