"""Disclosure control: the one module every published figure passes through.

Rules (docs/disclosure-control.md):
1. Primary suppression: a cell with fewer respondents than the campaign's threshold is suppressed.
2. Complementary suppression, table by table: when a table (the cells of one breakdown within one wave) has
   suppressed cells, more cells (smallest first) are suppressed until the suppressed cells together hold at
   least the threshold and number at least two, so that neither the table's total minus the published cells
   nor one suppressed cell minus another reveals fewer than threshold respondents.
3. Across waves: figures over several waves are sums of per-wave cells; such a cell is suppressed when any of
   its per-wave cells is, so that "all waves" minus "one wave" (two overlapping filters) cannot reveal a
   suppressed per-wave cell.
4. Officer campaigns never break down by more than one dimension at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .aggregation import CellSums

MINIMUM_THRESHOLD = 5


class DisclosureError(ValueError):
    """A request that the rules refuse outright (not a cell to suppress)."""


@dataclass(frozen=True)
class ProtectedCell:
    sums: CellSums
    suppressed: bool


def check_request(audience: str, dimensions: list[str]) -> None:
    if audience == "officer" and len(dimensions) > 1:
        raise DisclosureError("officer results are broken down by one dimension at a time")


def protect_fine_cells(cells: Iterable[CellSums], threshold: int, wave_position: int) -> list[ProtectedCell]:
    """Primary and complementary suppression on cells that each belong to one wave.

    Every line of a table (the cells that share all dimensions but one, within one indicator and one wave) is
    a sum that another query publishes (a coarser breakdown, or the total), so each line must hide either
    nothing or at least two cells holding at least ``threshold`` respondents together. Lines are revisited
    until none changes, since hiding a cell in one line can expose another line.
    """
    threshold = max(threshold, MINIMUM_THRESHOLD)
    cells = list(cells)
    hidden = {index for index, cell in enumerate(cells) if cell.n < threshold}
    width = len(cells[0].dimensions) if cells else 0
    lines: list[list[int]] = []
    for varying in range(width):
        if varying == wave_position:
            continue
        groups: dict[tuple, list[int]] = defaultdict(list)
        for index, cell in enumerate(cells):
            fixed = cell.dimensions[:varying] + cell.dimensions[varying + 1:]
            groups[(cell.indicator, fixed)].append(index)
        lines.extend(groups.values())
    changed = bool(hidden)
    while changed:
        changed = False
        for line in lines:
            line_hidden = [index for index in line if index in hidden]
            if not line_hidden or len(line_hidden) == len(line):
                continue
            rest = sorted((index for index in line if index not in hidden), key=lambda index: cells[index].n)
            while rest and (len(line_hidden) < 2 or sum(cells[i].n for i in line_hidden) < threshold):
                chosen = rest.pop(0)
                hidden.add(chosen)
                line_hidden.append(chosen)
                changed = True
    return [ProtectedCell(cell, index in hidden) for index, cell in enumerate(cells)]


def combine_waves(protected: list[ProtectedCell], wave_position: int) -> list[ProtectedCell]:
    """Add up per-wave cells into cells over all the waves asked for; suppressed if any part is."""
    groups: dict[tuple, list[ProtectedCell]] = defaultdict(list)
    for cell in protected:
        dims = cell.sums.dimensions[:wave_position] + cell.sums.dimensions[wave_position + 1:]
        groups[(cell.sums.indicator, dims)].append(cell)
    combined = []
    for (indicator, dims), parts in groups.items():
        sums = CellSums(
            indicator=indicator, dimensions=dims,
            n=sum(p.sums.n for p in parts), sum_w=sum(p.sums.sum_w for p in parts),
            sum_wy=sum(p.sums.sum_wy for p in parts), sum_wy2=sum(p.sums.sum_wy2 for p in parts),
            sum_w2=sum(p.sums.sum_w2 for p in parts),
        )
        combined.append(ProtectedCell(sums, any(p.suppressed for p in parts)))
    return combined


def redact(cell: ProtectedCell) -> ProtectedCell:
    """A suppressed cell keeps its place in the table but no figure, not even its count."""
    if not cell.suppressed:
        return cell
    return replace(cell, sums=replace(cell.sums, n=0, sum_w=0.0, sum_wy=0.0, sum_wy2=0.0, sum_w2=0.0))
