"""k-anonymity for microdata: quasi-identifiers coarsened until every combination of them is shared by at least k.

A quasi-identifier is what a neighbour, a colleague or an officer who took a complaint could know about a
respondent: district, age band, gender, years in the area, contact with the police, the language and the channel
they answered in, and the survey weight (it names the weighting class, so district × age band × gender). Each has
a ladder of levels, from "as answered" to "withheld" (the variable is left out of the file); ordered bands merge in
neighbouring pairs on the way. The search is greedy, like Sweeney's Datafly, but coarsens the least useful first
(Datafly's "most distinct values first" withheld the district of 400 people before the channel that 15 of them
used, and the district is what city staff and pilot evaluations need most), and ends with a pass that makes each
quasi-identifier as fine as k allows. It never drops a respondent, and works on the counts of combinations (one
``GROUP BY`` in the database), never on the responses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

WITHHELD = None


@dataclass(frozen=True)
class QuasiIdentifier:
    name: str
    #: each level but the last maps an answered value to its coarsened value; past the last, withheld
    levels: tuple[Callable[[Hashable], Hashable], ...] = field(default=(lambda value: value,))

    @property
    def top(self) -> int:
        """The level at which it is withheld."""
        return len(self.levels)

    def at(self, level: int, value: Hashable) -> Hashable:
        return WITHHELD if level >= self.top else self.levels[level](value)


def as_answered(name: str) -> QuasiIdentifier:
    return QuasiIdentifier(name)


def banded(name: str, codes: Sequence[int]) -> QuasiIdentifier:
    """Ordered bands (age, years in the area): as answered, then neighbouring bands in pairs (each pair shown as
    its first code), then withheld. Missing-value codes and "not asked" stay as they are until withheld."""
    ordered = sorted(codes)
    pair_of = {code: ordered[position - position % 2] for position, code in enumerate(ordered)}
    return QuasiIdentifier(name, (lambda value: value, lambda value: pair_of.get(value, value)))


class TooFewRespondents(Exception):
    """Fewer respondents than k in all: no file can be made."""


def coarsening(identifiers: Sequence[QuasiIdentifier], counts: Mapping[tuple, int], k: int) -> dict[str, int]:
    """The level of each quasi-identifier at which every combination holds at least ``k`` respondents.

    ``counts`` holds each combination of answered values (in the order of ``identifiers``) and how many
    respondents gave it, ``identifiers`` the least useful first. Each step raises, by one level, the least
    useful quasi-identifier whose step leaves fewer respondents in classes smaller than k (so that a channel
    that 15 people used goes before the district of 400); if no single step helps, the one that leaves fewest.
    A last pass lowers again any quasi-identifier that can be finer, the most useful first.
    """
    if sum(counts.values()) < k:
        raise TooFewRespondents
    levels = {identifier.name: 0 for identifier in identifiers}
    while exposed := _exposed(identifiers, counts, levels, k):
        steps = [(_exposed(identifiers, counts, {**levels, identifier.name: levels[identifier.name] + 1}, k),
                  position, identifier) for position, identifier in enumerate(identifiers)
                 if levels[identifier.name] < identifier.top]
        helping = [step for step in steps if step[0] < exposed]
        _, _, chosen = helping[0] if helping else min(steps, key=lambda step: step[:2])
        levels[chosen.name] += 1
    for identifier in reversed(identifiers):  # the most useful first
        while levels[identifier.name] > 0 and not _exposed(
                identifiers, counts, {**levels, identifier.name: levels[identifier.name] - 1}, k):
            levels[identifier.name] -= 1
    return levels


def _exposed(identifiers, counts, levels, k: int) -> int:
    """How many respondents are in classes smaller than k."""
    return sum(size for size in combinations(identifiers, counts, levels).values() if size < k)


def combinations(identifiers: Sequence[QuasiIdentifier], counts: Mapping[tuple, int],
                 levels: Mapping[str, int]) -> Counter:
    """How many respondents share each combination once coarsened to ``levels``."""
    classes: Counter = Counter()
    for values, count in counts.items():
        classes[tuple(identifier.at(levels[identifier.name], value)
                      for identifier, value in zip(identifiers, values, strict=True))] += count
    return classes
