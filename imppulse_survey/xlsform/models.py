"""What an import of collected data keeps: which interviews were imported already, and nothing that leads to them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ImportedInstance(db.Model):
    """An interview (an ODK instance) imported into a wave, so that importing the file again skips it.

    Only a keyed hash of its instance id, per wave: no id, time or order of its own, and no link to the response it
    became (responses get fresh random submission ids and are stored in shuffled order), so that the instance ids
    kept on the collection server, beside the interviewer's name and the interview's times, lead to no response.
    """

    __tablename__ = "imported_instances"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    #: keyed hash (``core.keys.keyed_hash``, purpose ``xlsform-instance``) of the wave id and the instance id
    instance_hash: Mapped[str] = mapped_column(String(64), primary_key=True)

    def __repr__(self) -> str:
        return f"<ImportedInstance wave={self.wave_id}>"
