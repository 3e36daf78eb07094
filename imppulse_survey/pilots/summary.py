"""The plain-language summary of an evaluation, one sentence per target indicator, in the reader's language.

Generated from the figures, never written by hand: "Trust in the police: up 6 points in the pilot districts, 2
points more than in the comparison districts; the difference could be due to chance." (Indicator labels are
often statements, "The police listen to residents' concerns", hence the colon.) Changes are said in whole
points (percentage points for shares, points for 0–100 scores); "chance" follows the 5 % level of the difference
in differences, whose interval covers sampling uncertainty only.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from ..releases.figures import ESTIMATE, SERIES_BREAK

SIGNIFICANCE = 0.05


def _points(value: float) -> int:
    return abs(round(value))


def _pilot_clause(label: str, change: float) -> str:
    points = _points(change)
    if points == 0:
        return _("%(indicator)s: no change in the pilot districts", indicator=label)
    if change > 0:
        return ngettext("%(indicator)s: up %(num)d point in the pilot districts",
                        "%(indicator)s: up %(num)d points in the pilot districts", points, indicator=label)
    return ngettext("%(indicator)s: down %(num)d point in the pilot districts",
                    "%(indicator)s: down %(num)d points in the pilot districts", points, indicator=label)


def _relative_clause(difference: float) -> str:
    points = _points(difference)
    if points == 0:
        return _("about as much as in the comparison districts")
    if difference > 0:
        return ngettext("%(num)d point more than in the comparison districts",
                        "%(num)d points more than in the comparison districts", points)
    return ngettext("%(num)d point less than in the comparison districts",
                    "%(num)d points less than in the comparison districts", points)


def sentence(row: dict) -> str:
    """The summary of one residents' target indicator (a row of ``evaluation.evaluate``)."""
    label = row["label"]
    if row["status"] == SERIES_BREAK:
        return _("%(indicator)s was asked differently at baseline and follow-up: the two cannot be compared.",
                 indicator=label)
    if row["status"] != ESTIMATE:
        return _("%(indicator)s: there are not enough published figures to compare the pilot and comparison "
                 "districts.", indicator=label)
    difference = row["difference"]
    chance = (_("the difference could be due to chance.") if difference["p_value"] >= SIGNIFICANCE
              else _("the difference is unlikely to be due to chance alone."))
    return _("%(pilot)s, %(relative)s; %(chance)s", pilot=_pilot_clause(label, row["pilot"]["change"]["estimate"]),
             relative=_relative_clause(difference["estimate"]), chance=chance)


def summary(evaluation: dict) -> list[str]:
    return [sentence(row) for row in evaluation["residents"]]
