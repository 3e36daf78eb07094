"""Weighting a campaign to population margins by raking (iterative proportional fitting), with trimming.

Before weighting every respondent counts 1, so respondents in the same cell of the full cross-classification
(age band × gender × district) end up with the same weight. The database counts the cells (GROUP BY); the
fitting runs on that small table; one UPDATE per cell writes the weights back, and the indicator summaries
are rebuilt. No response is loaded.
Respondents who did not give one of the raking characteristics keep the mean weight, 1.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import aliased

from ..campaigns.models import Campaign, District
from ..core.database import begin_write
from ..extensions import db
from ..questionnaires.definition import published_definition
from ..responses.models import Answer, Response
from .summaries import rebuild_summaries

DIMENSIONS = ("age_band", "gender", "district")
DEFAULT_TRIM = (0.2, 5.0)


class WeightingError(ValueError):
    """Margins that cannot be used; the message says which line or category."""


@dataclass(frozen=True)
class WeightingReport:
    weighted: int
    unweighted: int
    iterations: int
    design_effect: float
    smallest: float
    largest: float


def read_margins(text: str) -> dict[str, dict[int, float]]:
    """``dimension,category,population`` lines (category: the answer code, or the district code)."""
    try:
        return _read_margins(csv.DictReader(io.StringIO(text), strict=True))
    except csv.Error as error:  # a NUL byte, an unclosed quote…
        raise WeightingError(f"the margins file is not CSV: {error}") from None


def _read_margins(reader: csv.DictReader) -> dict[str, dict[int, float]]:
    margins: dict[str, dict[int, float]] = {}
    if reader.fieldnames is None or set(reader.fieldnames) != {"dimension", "category", "population"}:
        raise WeightingError("the margins file needs exactly the columns dimension,category,population")
    for number, row in enumerate(reader, start=2):
        dimension = (row["dimension"] or "").strip()
        if dimension not in DIMENSIONS:
            raise WeightingError(f"line {number}: dimension must be one of {', '.join(DIMENSIONS)}")
        category, population = _whole_number(row["category"]), _number(row["population"])
        if category is None or population is None:
            raise WeightingError(f"line {number}: category must be a whole number and population a number")
        if not 0 < population < math.inf:
            raise WeightingError(f"line {number}: population must be a positive number")
        if category in margins.setdefault(dimension, {}):
            raise WeightingError(f"line {number}: {dimension} {category} is given twice")
        margins[dimension][category] = population
    if not margins:
        raise WeightingError("the margins file has no lines")
    return margins


def _whole_number(text) -> int | None:
    """A category code as written: plain ASCII digits (int() accepts "²" and "1_0", and refuses 5,000 digits)."""
    text = (text or "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _number(text) -> float | None:
    try:
        return float((text or "").strip()) if re.fullmatch(r"[0-9.eE+-]{1,40}", (text or "").strip()) else None
    except ValueError:
        return None


def rake_cells(counts: np.ndarray, categories: np.ndarray, targets: list[dict[int, float]],
               trim: tuple[float, float] = DEFAULT_TRIM, tolerance: float = 1e-10, max_iterations: int = 2000):
    """Weights per cell so that weighted counts match each margin; then trimmed to ``trim`` (relative to the
    mean weight) and raked again, until both hold or the iterations run out. Returns (weights, iterations)."""
    weights = np.ones(len(counts))
    iterations = 0
    low, high = trim
    for _ in range(50):  # rake, trim, rake again
        for _sweep in range(max_iterations):
            iterations += 1
            largest_change = 0.0
            for axis, target in enumerate(targets):
                for category, wanted in target.items():
                    cells = categories[:, axis] == category
                    current = float(np.sum(counts[cells] * weights[cells]))
                    if current > 0:
                        factor = wanted / current
                        weights[cells] *= factor
                        largest_change = max(largest_change, abs(factor - 1))
            if largest_change < tolerance:
                break
        clipped = _clip_to_mean(counts, weights, low, high)
        if np.allclose(clipped, weights, rtol=0, atol=1e-12):
            break
        weights = clipped
    # when margins and bounds cannot both hold, the bounds win: margins are then met as closely as they allow
    return _clip_to_mean(counts, weights, low, high), iterations


def _clip_to_mean(counts, weights, low, high):
    """Clip weights to [low, high] × their mean; clipping moves the mean, so repeat until it settles."""
    for _ in range(200):
        mean = np.sum(counts * weights) / np.sum(counts)
        clipped = np.clip(weights, low * mean, high * mean)
        if np.allclose(clipped, weights, rtol=0, atol=1e-13):
            return clipped
        weights = clipped
    return weights


def rake_campaign(campaign: Campaign, margins: dict[str, dict[int, float]],
                  trim: tuple[float, float] = DEFAULT_TRIM) -> WeightingReport:
    begin_write()
    dimensions = [name for name in DIMENSIONS if name in margins]
    values, joins = [], []
    for name in dimensions:
        if name == "district":
            values.append(District.code)
            joins.append((District, District.id == Response.district_id))
        else:
            answer = aliased(Answer)
            joins.append((answer, and_(answer.response_id == Response.id, answer.item_key == name,
                                       answer.value.is_not(None))))
            values.append(answer.value)
    columns = [value.label(name) for value, name in zip(values, dimensions, strict=True)]
    query = select(*columns, func.count().label("n")).where(Response.campaign_id == campaign.id)
    query = query.select_from(Response)
    for target, on in joins:
        query = query.join(target, on)
    rows = db.session.execute(query.group_by(*columns)).all()
    if not rows:
        raise WeightingError(f"{campaign.slug} has no respondent with all of {', '.join(dimensions)}")
    counts = np.array([row.n for row in rows], dtype=float)
    categories = np.array([[int(value) for value in row[:-1]] for row in rows])
    present = [set(categories[:, axis]) for axis in range(len(dimensions))]
    for axis, name in enumerate(dimensions):
        absent = present[axis] - set(margins[name])
        if absent:
            raise WeightingError(f"respondents have {name} {min(absent)}, which the margins do not give")
    total = counts.sum()
    targets = []
    for axis, name in enumerate(dimensions):
        # only categories that respondents have; scaled so that the weights average 1
        population = {code: value for code, value in margins[name].items() if code in present[axis]}
        scale = total / sum(population.values())
        targets.append({code: value * scale for code, value in population.items()})
    weights, iterations = rake_cells(counts, categories, targets, trim)
    db.session.execute(update(Response).where(Response.campaign_id == campaign.id).values(weight=1.0))
    for cell, weight in zip(categories, weights, strict=True):
        matching = select(Response.id).where(Response.campaign_id == campaign.id)
        for (target, on), column, value in zip(joins, values, cell, strict=True):
            matching = matching.join(target, on).where(column == int(value))
        db.session.execute(update(Response).where(Response.id.in_(matching)).values(weight=float(weight)))
    rebuild_summaries(campaign.id, published_definition(campaign.questionnaire_version))
    unweighted = db.session.scalar(select(func.count()).select_from(Response).where(Response.campaign_id == campaign.id))
    design_effect = float(total * np.sum(counts * weights ** 2) / np.sum(counts * weights) ** 2)
    return WeightingReport(int(total), int(unweighted - total), iterations, design_effect,
                           float(weights.min()), float(weights.max()))
