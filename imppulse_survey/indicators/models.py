"""Per-cell sums of indicator scores, kept up to date as responses arrive (see summaries.py)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

#: the value a breakdown column holds when the respondent gave none (codes and ids are never negative)
NOT_GIVEN = -1


class IndicatorSummary(db.Model):
    """One indicator in one cell of the finest standard cross-classification of one campaign.

    A cell is wave × district × age band × gender × police contact. Counts and sums add up, so any coarser
    breakdown over these dimensions is a ``GROUP BY`` over a few thousand rows instead of every answer.
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
