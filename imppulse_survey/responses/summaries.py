"""Indicator summaries: per-cell sums of scores, kept up to date in the transaction that stores each response.

Grouping every answer of a million-response campaign takes seconds; the summaries hold, per indicator and per
cell of wave × district × age band × gender × police contact, the counts and sums an estimate needs. They
add up, so any breakdown over these standard dimensions is a ``GROUP BY`` over a few thousand summary rows
(read by ``indicators/summaries.py``).

A submission adds its scores with one upsert (``summary_additions``, scored in Python); a bulk load, a release
or a change of weights rebuilds the campaign's summaries from the answers in one ``INSERT … SELECT``, scored in
SQL (``scoring_sql.py``). Both follow ``questionnaires/scoring.py``; tests check that both ways give the same
sums as the answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import Integer, cast, delete, func, insert, literal, select, text

from ..extensions import db
from ..questionnaires.definition import Definition
from ..questionnaires.published import published_definition
from ..questionnaires.scoring import Indicator, indicators_of, response_scores
from ..questionnaires.types import Stored
from .models import NOT_GIVEN, IndicatorSummary
from .scoring_sql import cell_query

#: the items that summaries break down by, when a questionnaire has them (MEASURES.md's standard breakdowns)
SUMMARY_ITEMS = ("age_band", "gender", "police_contact")
SUMMARY_DIMENSIONS = ("wave", "district", *SUMMARY_ITEMS)
SUMS = ("n", "sum_w", "sum_wy", "sum_wy2", "sum_w2", "sum_y", "sum_y2")
#: each dimension's column in ``indicator_summaries``
DIMENSION_COLUMNS = {"wave": "wave_id", "district": "district_id", **{name: name for name in SUMMARY_ITEMS}}
_CELL_KEY = ["campaign_id", "indicator", *DIMENSION_COLUMNS.values()]  # the unique index's order
SUMMARY_COLUMNS = ("campaign_id", *DIMENSION_COLUMNS.values(), "indicator", *SUMS)
# the same clause in SQLite and PostgreSQL: a cell already there gets the response's counts and sums added
ADD_TO_CELL = (f"ON CONFLICT ({', '.join(_CELL_KEY)}) DO UPDATE SET "
                + ", ".join(f"{name} = indicator_summaries.{name} + excluded.{name}" for name in SUMS))


@lru_cache(maxsize=64)
def _indicators(definition: Definition) -> tuple[Indicator, ...]:
    # published definitions are cached objects (published_definition), so identity is a fine key
    return tuple(indicators_of(definition))


def summary_additions(definition: Definition, campaign_id: int, wave_id: int, district_id: int | None,
                      rows: Iterable[Stored], weight: float = 1.0) -> list[tuple]:
    """One response's rows to add to ``indicator_summaries`` (``SUMMARY_COLUMNS``), in the transaction that
    stores the response, with ``ADD_TO_CELL`` for the cells already there."""
    values: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.value is not None:
            values[row.item_key].append(row.value)
    scores = response_scores(_indicators(definition), values)
    cell = [campaign_id, wave_id, NOT_GIVEN if district_id is None else district_id]
    for name in SUMMARY_ITEMS:
        given = values.get(name)
        cell.append(int(given[0]) if given else NOT_GIVEN)
    # sorted, so that concurrent submissions to one cell lock its rows in the same order (no deadlock)
    return [
        (*cell, key, 1, weight, weight * score, weight * score * score, weight * weight, score, score * score)
        for key, score in sorted(scores.items())
    ]


def rebuild_campaign_summaries(campaign) -> None:
    """Recompute a campaign's summaries, each wave's with the indicators of the version its respondents answered."""
    by_version: dict = {}
    for wave in campaign.waves:
        by_version.setdefault(wave.questionnaire_version, []).append(wave.id)
    for version, wave_ids in by_version.items():
        rebuild_summaries(campaign.id, published_definition(version), waves=wave_ids)


def rebuild_summaries(campaign_id: int, definition: Definition, connection=None, waves: list[int] | None = None) -> None:
    """Recompute a campaign's summaries from its answers (of ``waves`` only, if given): after a bulk load, or
    when weights change.

    ``connection`` lets a migration run it; by default it runs in the session's transaction. On PostgreSQL
    the table is locked against concurrent submissions until commit, so none is counted twice or missed.
    """
    runner = db.session if connection is None else connection
    dialect = (db.session.get_bind() if connection is None else connection).dialect.name
    if dialect == "postgresql":
        runner.execute(text("LOCK TABLE indicator_summaries IN SHARE ROW EXCLUSIVE MODE"))
    table = IndicatorSummary.__table__
    runner.execute(delete(table).where(table.c.campaign_id == campaign_id,
                                       *([table.c.wave_id.in_(waves)] if waves else [])))
    indicators = indicators_of(definition)
    if not indicators:
        return
    cells = cell_query(campaign_id, indicators, SUMMARY_DIMENSIONS, waves=waves, weighted=True).subquery()
    given = [func.coalesce(cast(cells.c[f"d_{name}"], Integer), NOT_GIVEN) for name in SUMMARY_DIMENSIONS]
    source = select(
        literal(campaign_id, Integer), cells.c.indicator, *given, *(cells.c[name] for name in SUMS))
    runner.execute(insert(table).from_select(
        ["campaign_id", "indicator", *DIMENSION_COLUMNS.values(), *SUMS], source))
