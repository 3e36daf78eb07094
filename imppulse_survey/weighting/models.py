"""Weight sets: each raking of a wave, kept, so that a release says which weights its figures used."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import UTCDateTime
from ..extensions import db


class WeightSet(db.Model):
    """One raking of one wave: the margins and trimming it used, and the weight of each weighting class.

    The responses carry the weights of their wave's current set; earlier sets stay as they were, for the
    releases that used them and for the rule that keeps a reissue from giving away a class through the
    difference between two sets of weights.
    """

    __tablename__ = "weight_sets"
    __table_args__ = (UniqueConstraint("wave_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    number: Mapped[int]
    made_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: {dimension: {category: population}}, as read from the margins file
    margins: Mapped[dict] = mapped_column(JSON)
    trim_low: Mapped[float]
    trim_high: Mapped[float]
    #: the threshold classes were collapsed to
    threshold: Mapped[int]
    #: [[district code, age band, gender, group, respondents, weight], …]; -1: not given
    classes: Mapped[list] = mapped_column(JSON)
    design_effect: Mapped[float]
    largest_margin_gap: Mapped[float]
    iterations: Mapped[int]
    is_current: Mapped[bool] = mapped_column(default=True)

    def groups(self) -> dict[tuple[int, int, int], int]:
        """(district code, age band, gender) → the weighting group the class was collapsed into."""
        return {(district, age, gender): group for district, age, gender, group, _, _ in self.classes}

    def __repr__(self) -> str:
        return f"<WeightSet {self.wave_id}#{self.number}>"
