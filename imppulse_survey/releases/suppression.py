"""Complementary suppression over linked tables, and the linear-programming audit that checks it.

A release publishes a fixed set of tables for one wave (``tables.py``): a total, one-way tables and two-way tables
that add up to each other. A cell hidden in one table can come back from the others by arithmetic: the total minus
a table's published cells, a district minus its published cells by gender, and any combination of these. Deciding
suppression table by table misses such combinations; here it is decided over the whole set at once.

The attacker's problem is written as linear constraints: every relation "parent = sum of children" between cells,
each published count a constant, each hidden count an unknown ≥ 0. For every sensitive cell (fewer respondents
than the threshold, but not none) HiGHS finds the smallest and largest count the published
figures allow. A cell is protected when that range is at least the threshold wide: nobody can tell from the
published figures whether it holds 1 respondent or the threshold. (The linear relaxation is what tau-ARGUS and
sdcTable audit too; it gives ranges at least as wide as the integer ones, and the sums of the scores follow the
same relations as the counts, so protecting the counts protects them.)

Suppression itself is greedy: hide the sensitive cells; in every relation that hides one cell, hide further cells
of the relation, smallest first, until at least two hold the threshold together; then audit, and while a cell is
not protected, hide the smallest published cell that shares a relation with it. Cells already published by an
earlier release of the same wave are known to everyone and are never hidden again: they enter the audit as
constants.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

Key = Hashable


@dataclass(frozen=True)
class Relation:
    """``parent`` counts the respondents of all its ``children`` together (each respondent in exactly one child)."""

    parent: Key
    children: tuple[Key, ...]


@dataclass(frozen=True)
class Exposure:
    """A sensitive cell that the published figures pin down to a range narrower than the threshold."""

    cell: Key
    low: float
    high: float


def suppress(counts: Mapping[Key, int], relations: Iterable[Relation], threshold: int,
             known: Iterable[Key] = (), hidden_before: Iterable[Key] = ()) -> set[Key]:
    """The cells to hide so that no sensitive cell can be narrowed below ``threshold``; ``known`` cells (published
    before) stay published and ``hidden_before`` cells stay hidden. Cells absent from ``counts`` hold nobody and
    are published as such."""
    relations = [relation for relation in relations if relation.children]
    known = set(known)
    hidden = {cell for cell, n in counts.items() if 0 < n < threshold and cell not in known} | set(hidden_before)
    hidden |= _hide_within_relations(counts, relations, threshold, hidden, known)
    neighbours = _neighbours(relations)
    hideable = {cell for cell, n in counts.items() if n > 0 and cell not in known}
    exposures = audit(counts, relations, hidden, threshold)
    # hiding a cell only widens every range (a constant becomes an unknown), so a protected cell stays protected:
    # after the first full audit, only the cells found exposed are audited again
    while exposures:
        candidates = next(filter(None, (_nearest(exposure.cell, neighbours, hidden, hideable)
                                        for exposure in exposures)), None)
        if not candidates:  # nothing left to hide around any of them (all known): they stay as protected as they are
            break
        hidden.add(min(candidates, key=lambda cell: (counts[cell], str(cell))))
        exposures = audit(counts, relations, hidden, threshold, [exposure.cell for exposure in exposures])
    return hidden


def _nearest(cell: Key, neighbours, hidden: set[Key], hideable: set[Key]) -> list[Key]:
    """The published cells closest to ``cell`` through relations, walking through hidden cells only: hiding one of
    them widens its range (a cell whose neighbours are all known or hidden, e.g. a period inside a pooled one, is
    reached through its hidden neighbours)."""
    seen, ring = {cell}, [cell]
    while ring:
        following = {other for member in ring for other in neighbours[member] if other not in seen}
        found = [other for other in following if other in hideable and other not in hidden]
        if found:
            return found
        seen |= following
        ring = [other for other in following if other in hidden]
    return []


def audit(counts: Mapping[Key, int], relations: Iterable[Relation], hidden: set[Key], threshold: int,
          sensitive: Iterable[Key] | None = None) -> list[Exposure]:
    """Every sensitive hidden cell whose count the published cells narrow to a range under ``threshold``."""
    relations = list(relations)
    if sensitive is None:
        sensitive = [cell for cell in hidden if 0 < counts.get(cell, 0) < threshold]
    sensitive = sorted(sensitive, key=str)
    if not sensitive:
        return []
    unknown = sorted(hidden, key=str)
    column = {cell: index for index, cell in enumerate(unknown)}
    rows, right = [], []
    for relation in relations:
        terms = [relation.parent, *relation.children]
        if not any(cell in column for cell in terms):
            continue
        row = np.zeros(len(unknown))
        constant = 0.0
        for cell, sign in ((relation.parent, 1.0), *((child, -1.0) for child in relation.children)):
            if cell in column:
                row[column[cell]] += sign
            else:
                constant -= sign * counts.get(cell, 0)
        rows.append(row)
        right.append(constant)
    sensitive = [cell for cell in sensitive if cell in column]  # published cells are not the audit's business
    if not sensitive:
        return []
    programme = Programme(len(unknown), rows, right, upper=float(sum(counts.values())) or 1.0)
    # Any two solutions the published figures allow bound a cell's range from below: the true counts are one, and
    # every programme solved gives another. A cell already spread by the threshold among them is protected
    # without solving for its own bounds.
    points = [np.array([counts.get(cell, 0) for cell in unknown], dtype=float)]
    for sign in (1.0, -1.0):  # every sensitive cell pushed up together, then down
        points.append(programme.solve({column[cell]: sign for cell in sensitive}))
    exposures = []
    for cell in sensitive:
        index = column[cell]
        for sign in (-1.0, 1.0, None):  # solve for its largest count, then its smallest, until spread enough
            values = [point[index] for point in points if point is not None]
            if max(values) - min(values) >= threshold - 1e-6:
                break
            if sign is None:  # both bounds solved: this is its range
                exposures.append(Exposure(cell, float(min(values)), float(max(values))))
                break
            points.append(programme.solve({index: sign}))
            if points[-1] is None:  # infeasible only if the counts were inconsistent: treat as fully exposed
                exposures.append(Exposure(cell, 0.0, 0.0))
                break
    return exposures


class Programme:
    """The attacker's linear programme: the hidden counts as unknowns within [0, upper], the relations as equations.
    Built once per audit and solved for many objectives, each solve starting from the last one's basis (HiGHS)."""

    def __init__(self, width: int, rows: list, right: list, upper: float):
        self.highs = _highs()
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = width, len(rows)
        model.col_cost_ = np.zeros(width)
        model.col_lower_, model.col_upper_ = np.zeros(width), np.full(width, upper)
        model.row_lower_ = model.row_upper_ = np.array(right, dtype=float)
        matrix = sparse.csr_matrix(np.array(rows)) if rows else sparse.csr_matrix((0, width))
        model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        model.a_matrix_.start_, model.a_matrix_.index_ = matrix.indptr, matrix.indices
        model.a_matrix_.value_ = matrix.data.astype(float)
        self.highs.passModel(model)
        self.costs: dict[int, float] = {}

    def solve(self, costs: dict[int, float]) -> np.ndarray | None:
        """A solution minimising Σ cost × count (maximising where the cost is negative), or None if infeasible."""
        for index in self.costs.keys() - costs.keys():
            self.highs.changeColCost(index, 0.0)
        for index, cost in costs.items():
            self.highs.changeColCost(index, cost)
        self.costs = costs
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.array(self.highs.getSolution().col_value)


_banner_shown = False


def _highs() -> highspy.Highs:
    """A silent HiGHS. Its first construction in a process prints a banner on the C library's standard output,
    which would land in a command's output or a server's log: that one is sent to /dev/null."""
    global _banner_shown
    if _banner_shown:
        highs = highspy.Highs()
    else:
        saved, quiet = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(quiet, 1)
            highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(quiet)
        _banner_shown = True
    highs.setOptionValue("output_flag", False)
    return highs


def _hide_within_relations(counts, relations, threshold, hidden, known) -> set[Key]:
    """The classic line rule, a fast first pass: a relation that hides a cell hides at least two cells holding at
    least the threshold together (so neither the parent minus the rest nor one hidden cell minus another tells)."""
    added: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for relation in relations:
            shown_parent = relation.parent not in hidden | added
            children_hidden = [cell for cell in relation.children if cell in hidden | added]
            if not shown_parent or not children_hidden:
                continue
            rest = sorted((cell for cell in relation.children
                           if cell not in hidden | added and cell not in known and counts.get(cell, 0) > 0),
                          key=lambda cell: (counts[cell], str(cell)))
            while rest and (len(children_hidden) < 2
                            or sum(counts.get(cell, 0) for cell in children_hidden) < threshold):
                chosen = rest.pop(0)
                added.add(chosen)
                children_hidden.append(chosen)
                changed = True
    return added


def _neighbours(relations) -> dict[Key, list[Key]]:
    """For each cell, the cells it shares a relation with: hiding one of them widens its range."""
    neighbours: dict[Key, list[Key]] = defaultdict(list)
    for relation in relations:
        members = [relation.parent, *relation.children]
        for cell in members:
            neighbours[cell].extend(other for other in members if other != cell)
    return neighbours
