"""Raking (iterative proportional fitting) on a small table of weighting classes, and the margins it fits to.

Pure arithmetic: the database counts the classes (``services.py``), this module decides their weights.

A weighting class is an age band × gender × district cell of one wave. Each respondent is raked on the
characteristics they gave: someone who preferred not to say their gender is moved by the age and district
margins only, since the census has no "prefer not to say". Before raking, a class holding fewer respondents
than the disclosure threshold is merged with a neighbour (the adjacent age band, then the district's other
gender class), and merged classes share one weight: a weight that only a few people carry would, together with
the unweighted figures, give their answers away.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DIMENSIONS = ("age_band", "gender", "district")
DEFAULT_TRIM = (0.2, 5.0)
#: a characteristic the respondent did not give
UNKNOWN = -1


class WeightingError(ValueError):
    """Margins that cannot be used; the message says which line or category."""


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


def collapse_classes(classes: Sequence[tuple[int, int, int]], counts: Sequence[int], threshold: int) -> list[int]:
    """A group number for each (district, age band, gender) class: classes with fewer than ``threshold``
    respondents merged with the adjacent age band, then with the district's other gender class, until every
    group holds ``threshold`` or the district has nothing left to merge with."""
    parent = list(range(len(classes)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def size(group: int) -> int:
        return sum(count for index, count in enumerate(counts) if root(index) == group)

    by_line: dict[tuple[int, int], list[int]] = {}
    for index, (district, age, gender) in enumerate(classes):
        by_line.setdefault((district, gender), []).append(index)
    for members in by_line.values():  # merge along the age bands of one district and gender
        members.sort(key=lambda index: (classes[index][1] == UNKNOWN, classes[index][1]))
        while True:
            groups = list(dict.fromkeys(root(index) for index in members))
            small = [group for group in groups if size(group) < threshold]
            if not small or len(groups) == 1:
                break
            position = groups.index(small[0])
            neighbours = [groups[p] for p in (position - 1, position + 1) if 0 <= p < len(groups)]
            parent[small[0]] = min(neighbours, key=size)
    districts: dict[int, list[int]] = {}
    for index, (district, _, _) in enumerate(classes):
        districts.setdefault(district, []).append(index)
    for members in districts.values():  # then across the district's gender classes, smallest first
        while True:
            groups = sorted(dict.fromkeys(root(index) for index in members), key=size)
            if len(groups) == 1 or size(groups[0]) >= threshold:
                break
            parent[groups[0]] = groups[1]
    roots = [root(index) for index in range(len(classes))]
    numbers = {group: number for number, group in enumerate(dict.fromkeys(roots))}
    return [numbers[group] for group in roots]


@dataclass(frozen=True)
class Raked:
    weights: np.ndarray
    iterations: int
    #: the largest gap, in percentage points, between a weighted share and its population share
    largest_margin_gap: float


def rake_cells(counts: np.ndarray, categories: np.ndarray, shares: list[dict[int, float]],
               groups: Sequence[int] | None = None, trim: tuple[float, float] = DEFAULT_TRIM,
               tolerance: float = 1e-10, max_iterations: int = 300) -> Raked:
    """Weights per class (``categories``: one row per class, one column per margin, ``UNKNOWN`` where not given)
    so that, among the respondents who gave each characteristic, weighted shares match ``shares``; classes of
    one group share a weight; weights are trimmed to ``trim`` × their mean and raked again, until both hold or
    the iterations run out. The weights average 1 over the respondents."""
    groups = np.arange(len(counts)) if groups is None else np.asarray(groups)
    weights = np.ones(len(counts))
    iterations = 0
    low, high = trim
    for _ in range(20):  # rake, trim, rake again
        for _sweep in range(max_iterations):
            iterations += 1
            before = weights.copy()
            for axis, target in enumerate(shares):
                known = categories[:, axis] != UNKNOWN
                mass = float(np.sum(counts[known] * weights[known]))
                for category, share in target.items():
                    cells = categories[:, axis] == category
                    current = float(np.sum(counts[cells] * weights[cells]))
                    if current > 0:
                        weights[cells] *= share * mass / current
            weights = _shared(counts, weights, groups)
            if np.max(np.abs(weights / before - 1)) < tolerance:
                break
        clipped = _clip_to_mean(counts, weights, low, high)
        if np.allclose(clipped, weights, rtol=0, atol=1e-12):
            break
        weights = clipped
    # when margins and bounds cannot both hold, the bounds win: margins are then met as closely as they allow
    weights = _clip_to_mean(counts, weights, low, high)
    weights = weights * counts.sum() / np.sum(counts * weights)
    return Raked(weights, iterations, _largest_gap(counts, weights, categories, shares))


def _shared(counts, weights, groups):
    """Each group's classes given the group's mean weight (its total weight unchanged)."""
    if len(np.unique(groups)) == len(groups):
        return weights
    totals = np.bincount(groups, weights=counts * weights)
    sizes = np.bincount(groups, weights=counts)
    return (totals / np.where(sizes > 0, sizes, 1))[groups]


def _clip_to_mean(counts, weights, low, high):
    """Clip weights to [low, high] × their mean; clipping moves the mean, so repeat until it settles."""
    for _ in range(200):
        mean = np.sum(counts * weights) / np.sum(counts)
        clipped = np.clip(weights, low * mean, high * mean)
        if np.allclose(clipped, weights, rtol=0, atol=1e-13):
            return clipped
        weights = clipped
    return weights


def _largest_gap(counts, weights, categories, shares) -> float:
    gaps = [0.0]
    for axis, target in enumerate(shares):
        known = categories[:, axis] != UNKNOWN
        mass = np.sum(counts[known] * weights[known])
        for category, share in target.items():
            cells = categories[:, axis] == category
            gaps.append(abs(np.sum(counts[cells] * weights[cells]) / mass - share) * 100)
    return float(max(gaps))
