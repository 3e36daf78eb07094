"""Sufficient statistics per cell, computed by the database from the answers themselves.

One statement per request shape (``responses.scoring_sql.cell_query``): for every indicator, a per-response
score (a mean over answered items, or a 0/1 success, by ``questionnaires/scoring.py``'s rule) grouped by the
requested breakdowns, all indicators joined with UNION ALL. The database returns, per cell, n, Σw, Σw·y, Σw·y²,
Σw², and the unweighted Σy and Σy²; Python only turns these into estimates.

Breakdowns over the standard dimensions read the summaries instead (summaries.py), which the same query builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..questionnaires.scoring import Indicator
from ..responses.models import Response
from ..responses.scoring_sql import breakdown_columns, cell_query, scored_responses


@dataclass(frozen=True)
class CellSums:
    indicator: str
    dimensions: tuple
    n: int
    sum_w: float
    sum_wy: float
    sum_wy2: float
    sum_w2: float


def answer_cell_sums(campaign_id: int, indicators: Sequence[Indicator], dimensions: Sequence[str] = (),
              waves: Sequence[int] | None = None, weighted: bool = True) -> list[CellSums]:
    rows = db.session.execute(cell_query(campaign_id, indicators, dimensions, waves, weighted)).all()
    return [
        CellSums(
            indicator=row.indicator,
            dimensions=tuple(_plain(value) for value in row[1:1 + len(dimensions)]),
            n=row.n, sum_w=float(row.sum_w), sum_wy=float(row.sum_wy), sum_wy2=float(row.sum_wy2),
            sum_w2=float(row.sum_w2),
        )
        for row in rows
    ]


def modal_counts(campaign_id: int, indicators: Sequence[Indicator], tables: Sequence[Sequence[str]],
                 wave_ids: Sequence[int]) -> dict[tuple, int]:
    """(indicator, table, categories) → how many respondents of the cell share its most common score: what tells
    whether all, or all but one, answered alike. Categories as ``answer_cell_sums`` gives them (districts by id)."""
    found: dict[tuple, int] = {}
    for indicator in indicators:
        scores = scored_responses(indicator, campaign_id)
        for table in tables:
            columns, joins = breakdown_columns(table)
            query = (select(*columns, scores.c.score, func.count()).select_from(scores)
                     .join(Response, Response.id == scores.c.response_id).where(Response.wave_id.in_(wave_ids)))
            for dimension, on in joins:
                query = query.outerjoin(dimension, on)
            for row in db.session.execute(query.group_by(*columns, scores.c.score)):
                key = (indicator.key, tuple(table), tuple(_plain(value) for value in row[:len(table)]))
                found[key] = max(found.get(key, 0), row[-1])
    return found


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
