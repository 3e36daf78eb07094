"""A release's microdata, built once: the rows analysts download, already coarsened and shuffled.

A release never changes, so neither does its microdata: each row is written once, in a random order (the order
of the responses would tell when each was given), with its quasi-identifiers coarsened until every combination
of them is shared by at least the release's threshold of respondents (``anonymity.py``). Downloads in every
format read these rows and nothing else; retention deletes them with the responses they came from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime
from ..extensions import db
from ..releases.models import Release


class MicrodataSet(db.Model):
    __tablename__ = "microdata_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), unique=True)
    built_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the variables in file order: [{"name", "source", "answer_key", "code", "kind"}, …] (``microdata.Variable``)
    variables: Mapped[list] = mapped_column(JSON)
    #: how each quasi-identifier was coarsened: {name: level}; a withheld one has no variable
    levels: Mapped[dict] = mapped_column(JSON)
    #: free texts are in it (an admin enabled them for the campaign when it was built)
    with_free_text: Mapped[bool] = mapped_column(default=False)
    row_count: Mapped[int]

    release: Mapped[Release] = relationship()

    def __repr__(self) -> str:
        return f"<MicrodataSet release={self.release_id} rows={self.row_count}>"


class MicrodataRow(db.Model):
    __tablename__ = "microdata_rows"
    # SQLite: rows kept in the order of their key, so that a download reads the file in order; with a rowid,
    # reading by position jumped around the table and took ten times as long
    __table_args__ = ({"sqlite_with_rowid": False},)

    set_id: Mapped[int] = mapped_column(ForeignKey("microdata_sets.id", ondelete="CASCADE"), primary_key=True)
    #: a random permutation of 0…n−1: nothing in the order follows the responses'
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: the row as a line of CSV, one value per variable in the set's order (empty: not asked, or not answered),
    #: text made safe for spreadsheets: a CSV download is these lines end to end, and other formats parse them
    #: back (a row kept as JSON and written with csv.writer on each download ran at a third of the speed)
    line: Mapped[str] = mapped_column(Text)
