"""Reading the indicator summaries: per-cell sums from ``indicator_summaries`` when they hold the breakdowns.

The storage side writes them (``responses/summaries.py``: one upsert per submission, a rebuild from the answers
after a bulk load, a release or raking); here they are only read. Any breakdown over the standard dimensions
is a ``GROUP BY`` over a few thousand summary rows; a breakdown by any other item is computed from the answers
(aggregation.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, cast, func, select

from ..extensions import db
from ..questionnaires.scoring import Indicator
from ..responses.models import NOT_GIVEN, IndicatorSummary
from ..responses.summaries import DIMENSION_COLUMNS, SUMMARY_DIMENSIONS
from .aggregation import CellSums, answer_cell_sums


def cell_sums(campaign_id: int, indicators: Sequence[Indicator], dimensions: Sequence[str] = (),
              waves: Sequence[int] | None = None, weighted: bool = True) -> list[CellSums]:
    """Sufficient statistics per cell: from the summaries when they hold the breakdowns, else from answers."""
    if not set(dimensions) <= set(SUMMARY_DIMENSIONS):
        return answer_cell_sums(campaign_id, indicators, dimensions, waves, weighted)
    width = len(dimensions)
    return [
        CellSums(row[0], tuple(None if value == NOT_GIVEN else value for value in row[1:1 + width]),
                 int(row[1 + width]), *(float(value) for value in row[2 + width:]))
        for row in db.session.execute(summary_query(campaign_id, indicators, dimensions, waves, weighted))
    ]


def summary_query(campaign_id: int, indicators: Sequence[Indicator], dimensions: Sequence[str],
                  waves: Sequence[int] | None = None, weighted: bool = True):
    """indicator, the dimensions, n, Σw, Σwy, Σwy², Σw² per cell, summed over the summary rows it covers."""
    summary = IndicatorSummary.__table__.c
    columns = [summary[DIMENSION_COLUMNS[name]] for name in dimensions]
    if weighted:
        sums = [summary.sum_w, summary.sum_wy, summary.sum_wy2, summary.sum_w2]
    else:  # every weight 1: Σw = Σw² = n
        sums = [cast(summary.n, Float), summary.sum_y, summary.sum_y2, cast(summary.n, Float)]
    query = (
        select(summary.indicator, *columns, func.sum(summary.n), *(func.sum(column) for column in sums))
        .where(summary.campaign_id == campaign_id, summary.indicator.in_([i.key for i in indicators]))
        .group_by(summary.indicator, *columns)
    )
    return query.where(summary.wave_id.in_(waves)) if waves else query
