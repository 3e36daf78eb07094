"""Which waves a city shows to everyone: the current release of each published wave, in full."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..campaigns.models import Wave
from ..core.models import UTCDateTime
from ..extensions import db


class Publication(db.Model):
    __tablename__ = "publications"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    published_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    wave: Mapped[Wave] = relationship()
