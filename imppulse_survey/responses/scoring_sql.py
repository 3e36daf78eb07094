"""The scoring rule of ``questionnaires/scoring.py`` in SQL, over the answers of stored responses.

``scored_responses`` gives every response an indicator counts its score; ``cell_query`` groups those scores by
the requested breakdowns, all indicators joined with UNION ALL, and returns per cell n, Σw, Σw·y, Σw·y², Σw²,
and the unweighted Σy and Σy². The summaries are rebuilt from it (``summaries.rebuild_summaries``), and the
indicators read it for breakdowns the summaries do not hold (``indicators/aggregation.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, and_, case, cast, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import aliased

from ..questionnaires.scoring import Indicator
from .models import Answer, Response

#: breakdowns read from the response row; any other name is a single-choice item's key
RESPONSE_DIMENSIONS = {"district": Response.district_id, "wave": Response.wave_id}


def condition_clause(condition: dict, response_id):
    """A show_if/base condition as SQL on one response's answers, as ``conditions.evaluate`` reads it: a leaf
    holds when one of the item's substantive values matches (``answered``: when it has one at all)."""
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


def scored_responses(indicator: Indicator, campaign_id: int):
    """(response_id, score) for the respondents counted by the indicator: ``questionnaires/scoring.py``'s rule,
    one group of substantive values per response."""
    if indicator.kind == "proportion":  # rule 4
        score = func.max(case((Answer.value.in_(indicator.codes), 1.0), else_=0.0))
    else:  # rule 3
        score = func.avg(case(*((Answer.item_key == item.key, item.rescaled(Answer.value))
                                for item in indicator.items)))
    query = (
        select(Answer.response_id.label("response_id"), cast(score, Float).label("score"))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.campaign_id == campaign_id, Answer.item_key.in_([item.key for item in indicator.items]),
               Answer.value.is_not(None))
        .group_by(Answer.response_id)
    )
    if indicator.values_needed > 1:  # rule 2 (a group holds one value at least)
        query = query.having(func.count() >= indicator.values_needed)
    if indicator.base:  # rule 1
        query = query.where(condition_clause(indicator.base, Answer.response_id))
    return query.subquery()


def breakdown_columns(dimensions: Sequence[str]) -> tuple[list, list]:
    """The ``d_<name>`` column of each breakdown, and the outer joins on ``answers`` that the item ones need."""
    columns, joins = [], []
    for name in dimensions:
        if name in RESPONSE_DIMENSIONS:
            columns.append(RESPONSE_DIMENSIONS[name].label(f"d_{name}"))
        else:
            dimension = aliased(Answer)
            joins.append((dimension, and_(dimension.response_id == Response.id, dimension.item_key == name,
                                          dimension.value.is_not(None))))
            columns.append(dimension.value.label(f"d_{name}"))
    return columns, joins


def cell_query(campaign_id: int, indicators: Sequence[Indicator], dimensions: Sequence[str],
               waves: Sequence[int] | None = None, weighted: bool = True):
    """indicator, ``d_<name>`` per breakdown, n, Σw, Σw·y, Σw·y², Σw², Σy, Σy² per cell, from the answers."""
    parts = []
    for indicator in indicators:
        scores = scored_responses(indicator, campaign_id)
        weight = Response.weight if weighted else literal(1.0)
        columns, joins = breakdown_columns(dimensions)
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
