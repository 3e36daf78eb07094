"""Sufficient statistics per cell, computed by the database from the answers themselves.

One statement per request shape: for every indicator, a per-response score (a mean over answered items, or a
0/1 success) grouped by the requested breakdowns, all indicators joined with UNION ALL. The database returns,
per cell, n, Σw, Σw·y, Σw·y², Σw², and the unweighted Σy and Σy²; Python only turns these into estimates.

Breakdowns over the standard dimensions read the summaries instead (summaries.py), which this query builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Float, and_, case, cast, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import aliased

from ..extensions import db
from ..responses.models import Answer, Response
from .definitions import Indicator

#: breakdowns read from the response row; any other name is a single-choice item's key
RESPONSE_DIMENSIONS = {"district": Response.district_id, "wave": Response.wave_id}


@dataclass(frozen=True)
class CellSums:
    indicator: str
    dimensions: tuple
    n: int
    sum_w: float
    sum_wy: float
    sum_wy2: float
    sum_w2: float


def condition_clause(condition: dict, response_id):
    """A show_if/base condition as SQL on one response's answers."""
    if "not" in condition:
        return not_(condition_clause(condition["not"], response_id))
    if "all" in condition:
        return and_(*(condition_clause(part, response_id) for part in condition["all"]))
    if "any" in condition:
        return or_(*(condition_clause(part, response_id) for part in condition["any"]))
    other = aliased(Answer)
    test = [other.response_id == response_id, other.item_key == condition["item"], other.value.is_not(None)]
    if "equals" in condition:
        test.append(other.value == condition["equals"])
    elif "in" in condition:
        test.append(other.value.in_(condition["in"]))
    found = exists().where(*test)
    return found if condition.get("answered", True) else not_(found)


def _response_scores(indicator: Indicator, campaign_id: int):
    """(response_id, score) for the respondents counted by the indicator."""
    if indicator.kind == "proportion":
        score = func.max(case((Answer.value.in_(indicator.codes), 1.0), else_=0.0))
    else:
        scaled = case(
            *(
                (Answer.item_key == item.key,
                 ((item.high - Answer.value) if item.is_reversed else (Answer.value - item.low))
                 * (100.0 / (item.high - item.low)))
                for item in indicator.items
            ),
        )
        score = func.avg(scaled)
    query = (
        select(Answer.response_id.label("response_id"), cast(score, Float).label("score"))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.campaign_id == campaign_id, Answer.item_key.in_([item.key for item in indicator.items]),
               Answer.value.is_not(None))
        .group_by(Answer.response_id)
    )
    if indicator.kind == "mean":
        query = query.having(func.count() >= indicator.min_answered)
    if indicator.base:
        query = query.where(condition_clause(indicator.base, Answer.response_id))
    return query.subquery()


def cell_query(campaign_id: int, indicators: Sequence[Indicator], dimensions: Sequence[str],
               waves: Sequence[int] | None = None, weighted: bool = True):
    parts = []
    for indicator in indicators:
        scores = _response_scores(indicator, campaign_id)
        weight = Response.weight if weighted else literal(1.0)
        columns, joins = [], []
        for name in dimensions:
            if name in RESPONSE_DIMENSIONS:
                columns.append(RESPONSE_DIMENSIONS[name].label(f"d_{name}"))
            else:
                dimension = aliased(Answer)
                joins.append((dimension, and_(dimension.response_id == Response.id, dimension.item_key == name,
                                              dimension.value.is_not(None))))
                columns.append(dimension.value.label(f"d_{name}"))
        query = select(
            literal(indicator.key).label("indicator"),
            *columns,
            func.count().label("n"),
            func.sum(weight).label("sum_w"),
            func.sum(weight * scores.c.score).label("sum_wy"),
            func.sum(weight * scores.c.score * scores.c.score).label("sum_wy2"),
            func.sum(weight * weight).label("sum_w2"),
            func.sum(scores.c.score).label("sum_y"),
            func.sum(scores.c.score * scores.c.score).label("sum_y2"),
        ).select_from(scores).join(Response, Response.id == scores.c.response_id)
        for dimension, on in joins:
            query = query.outerjoin(dimension, on)
        if waves:
            query = query.where(Response.wave_id.in_(waves))
        if columns:
            query = query.group_by(*columns)
        parts.append(query)
    return union_all(*parts) if len(parts) > 1 else parts[0]


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


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
