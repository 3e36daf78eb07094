"""Declaring a pilot, changing its design on record, and keeping its texts, actions and budget.

The design (districts, targets, primary indicator, measuring waves) is fixed when declared. Its districts are
declared as district groups of the residents' campaign, so that every release publishes them as cells; declared
after the baseline was released, they reissue its releases with the reason, as a later change does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from ..campaigns.models import Campaign, City, Wave
from ..core.models import utcnow
from ..extensions import db
from ..releases.declarations import DeclarationRefused, declare_district_group, groups_of
from ..releases.figures import campaign_indicators
from ..releases.services import current_release, make_release
from .models import ACTION_STATUSES, BudgetLine, Pilot, PilotAction, PilotRevision, PilotTarget

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")


class PilotRefused(ValueError):
    """A declaration or change that cannot be made; the message says why."""


@dataclass
class Target:
    indicator: str
    baseline_value: float
    target_value: float


@dataclass
class Design:
    """What an evaluation could be bent by, fixed when declared."""

    resident_campaign: Campaign
    resident_baseline: Wave
    resident_follow_up: Wave
    pilot_districts: list[int]
    comparison_districts: list[int]
    primary_indicator: str
    targets: list[Target] = field(default_factory=list)
    officer_campaign: Campaign | None = None
    officer_baseline: Wave | None = None
    officer_follow_up: Wave | None = None


def find_pilot(slug: str) -> Pilot | None:
    return db.session.scalar(select(Pilot).filter_by(slug=slug)) if len(slug) <= 64 else None


def pilots_of(city_ids: list[int] | None) -> list[Pilot]:
    """Pilots of these cities (None: every city), by city then slug."""
    query = select(Pilot).join(City).order_by(City.name, Pilot.slug)
    if city_ids is not None:
        query = query.where(Pilot.city_id.in_(city_ids))
    return list(db.session.scalars(query))


def check_design(city: City, design: Design) -> None:
    residents, officers = design.resident_campaign, design.officer_campaign
    if residents.city_id != city.id or residents.audience != "resident":
        raise PilotRefused("the residents' campaign must be a residents' campaign of the pilot's city")
    if {design.resident_baseline.campaign_id, design.resident_follow_up.campaign_id} != {residents.id}:
        raise PilotRefused("the residents' baseline and follow-up must be waves of the residents' campaign")
    if design.resident_baseline.position >= design.resident_follow_up.position:
        raise PilotRefused("the follow-up must come after the baseline")
    if officers is not None:
        waves = (design.officer_baseline, design.officer_follow_up)
        if officers.city_id != city.id or officers.audience != "officer" or None in waves:
            raise PilotRefused("the officers' campaign must be an officers' campaign of the pilot's city, with a "
                               "baseline and a follow-up wave")
        if {wave.campaign_id for wave in waves} != {officers.id} or waves[0].position >= waves[1].position:
            raise PilotRefused("the officers' follow-up must be a later wave of the officers' campaign")
    known = {district.code for district in city.districts}
    pilot, comparison = set(design.pilot_districts), set(design.comparison_districts)
    if not pilot or not comparison:
        raise PilotRefused("choose at least one pilot district and one comparison district")
    if pilot & comparison:
        raise PilotRefused("a district cannot be both a pilot and a comparison district")
    if not (pilot | comparison) <= known:
        raise PilotRefused("the districts must be districts of the city")
    offered = {indicator.key: indicator for indicator in campaign_indicators(residents)}
    keys = [target.indicator for target in design.targets]
    if not keys or len(set(keys)) != len(keys) or not set(keys) <= set(offered):
        raise PilotRefused("name each target indicator once, among the residents' campaign's indicators")
    if design.primary_indicator not in keys:
        raise PilotRefused("the primary indicator must be one of the target indicators")
    for target in design.targets:
        if not all(0 <= value <= 100 for value in (target.baseline_value, target.target_value)):
            raise PilotRefused("baseline and target values are on the indicator's 0–100 scale")
        if target.baseline_value == target.target_value:
            raise PilotRefused("a target differs from its baseline value: say which way the pilot should move it")


def declare(city: City, slug: str, texts: dict, design: Design, reason: str | None = None,
            now: dt.datetime | None = None) -> tuple[Pilot, list[str]]:
    """Declare a pilot and its design; returns it and the labels of the residents' waves whose releases were
    reissued (a declaration after the baseline release needs ``reason``). Commits."""
    if not SLUG.fullmatch(slug):
        raise PilotRefused("a short name is 1 to 48 lower-case letters, digits or hyphens")
    if find_pilot(slug) is not None:
        raise PilotRefused(f"there is a pilot '{slug}' already")
    check_design(city, design)
    now = now or utcnow()
    after_baseline = current_release(design.resident_baseline) is not None
    if after_baseline and not reason:
        raise PilotRefused("the residents' baseline is released already: declaring the pilot now needs a reason, "
                           "shown on every report, and its releases are reissued")
    pilot = Pilot(slug=slug, city_id=city.id, title=texts.get("title", {}), description=texts.get("description", {}),
                  objectives=texts.get("objectives", {}), declared_dt=now, declared_after_baseline=after_baseline)
    db.session.add(pilot)
    _apply(pilot, design)
    reissued = _declare_groups(pilot, reason, now)
    if after_baseline:
        pilot.revisions.append(PilotRevision(made_dt=now, reason=reason, change={"after": design_record(pilot)},
                                             reissued=reissued, after_baseline=True))
    db.session.commit()
    return pilot, _reissue(pilot, reissued, reason)


def revise_design(pilot: Pilot, design: Design, reason: str, now: dt.datetime | None = None) -> list[str]:
    """Change a declared design, on record: a dated revision with its reason; the releases it affects reissued."""
    if not reason or not reason.strip():
        raise PilotRefused("a change to a declared design needs a reason: it is shown on every report")
    check_design(pilot.city, design)
    now = now or utcnow()
    before = design_record(pilot)
    _apply(pilot, design)
    after = design_record(pilot)
    if after == before:
        raise PilotRefused("nothing in the design changed")
    after_baseline = current_release(pilot.resident_baseline) is not None
    reissued = _declare_groups(pilot, reason, now)
    pilot.revisions.append(PilotRevision(made_dt=now, reason=reason.strip(), change={"before": before, "after": after},
                                         reissued=reissued, after_baseline=after_baseline))
    db.session.commit()
    return _reissue(pilot, reissued, reason)


def _apply(pilot: Pilot, design: Design) -> None:
    pilot.resident_campaign_id = design.resident_campaign.id
    pilot.resident_baseline_id = design.resident_baseline.id
    pilot.resident_follow_up_id = design.resident_follow_up.id
    pilot.officer_campaign_id = design.officer_campaign.id if design.officer_campaign else None
    pilot.officer_baseline_id = design.officer_baseline.id if design.officer_campaign else None
    pilot.officer_follow_up_id = design.officer_follow_up.id if design.officer_campaign else None
    pilot.pilot_districts = sorted(set(design.pilot_districts))
    pilot.comparison_districts = sorted(set(design.comparison_districts))
    pilot.primary_indicator = design.primary_indicator
    wanted = {target.indicator: target for target in design.targets}
    # kept targets are changed in place: a removed and re-added row would break the unique key within one flush
    kept = {target.indicator: target for target in pilot.targets if target.indicator in wanted}
    for key, target in wanted.items():
        row = kept.get(key) or PilotTarget(indicator=key)
        row.baseline_value, row.target_value = float(target.baseline_value), float(target.target_value)
        kept[key] = row
    pilot.targets = [kept[key] for key in wanted]
    db.session.flush()
    db.session.expire(pilot, ["resident_campaign", "officer_campaign", "resident_baseline", "resident_follow_up",
                              "officer_baseline", "officer_follow_up"])


def design_record(pilot: Pilot) -> dict:
    """The design as a revision keeps it (plain values, readable in the report)."""
    return {"pilot_districts": list(pilot.pilot_districts), "comparison_districts": list(pilot.comparison_districts),
            "primary_indicator": pilot.primary_indicator,
            "targets": {target.indicator: [target.baseline_value, target.target_value]
                        for target in sorted(pilot.targets, key=lambda target: target.indicator)},
            "waves": [pilot.resident_baseline_id, pilot.resident_follow_up_id, pilot.officer_baseline_id,
                      pilot.officer_follow_up_id]}


def _declare_groups(pilot: Pilot, reason: str | None, now: dt.datetime) -> list[str]:
    """Declare the pilot's and comparison districts as district groups of the residents' campaign (new labels
    when they changed); returns the labels of the waves to reissue."""
    campaign = pilot.resident_campaign
    declared = groups_of(campaign)
    to_reissue: dict[int, Wave] = {}
    for role, codes in (("pilot", pilot.pilot_districts), ("comparison", pilot.comparison_districts)):
        if list(codes) in declared.values():
            continue
        label = _free_label(f"{pilot.slug}-{role}", declared)
        try:
            _, waves = declare_district_group(campaign, label, list(codes), reason or _declared(pilot), now)
        except DeclarationRefused as refused:
            raise PilotRefused(str(refused)) from None
        declared[label] = list(codes)
        to_reissue.update({wave.id: wave for wave in waves})
    return [wave.label for wave in sorted(to_reissue.values(), key=lambda wave: wave.position)]


def _declared(pilot: Pilot) -> str:
    return f"districts of pilot {pilot.slug} declared"


def _free_label(base: str, taken: dict) -> str:
    label, number = base[:64], 1
    while label in taken:
        number += 1
        label = f"{base[:60]}-{number}"
    return label


def _reissue(pilot: Pilot, labels: list[str], reason: str | None) -> list[str]:
    campaign = pilot.resident_campaign
    for wave in campaign.waves:
        if wave.label in labels:
            make_release(campaign, wave, f"{_declared(pilot)}: {reason}" if reason else _declared(pilot))
    return labels


def set_texts(pilot: Pilot, texts: dict) -> None:
    pilot.title = {language: text for language, text in texts["title"].items() if text}
    pilot.description = {language: text for language, text in texts.get("description", {}).items() if text}
    pilot.objectives = {language: text for language, text in texts.get("objectives", {}).items() if text}


def add_action(pilot: Pilot, name: str, starts_on: dt.date, ends_on: dt.date | None, status: str,
               owner: str) -> PilotAction:
    _check_action(starts_on, ends_on, status)
    action = PilotAction(name=name.strip(), starts_on=starts_on, ends_on=ends_on, status=status, owner=owner.strip())
    pilot.actions.append(action)
    return action


def _check_action(starts_on: dt.date, ends_on: dt.date | None, status: str) -> None:
    if status not in ACTION_STATUSES:
        raise PilotRefused(f"an action's status is one of {', '.join(ACTION_STATUSES)}")
    if ends_on is not None and ends_on < starts_on:
        raise PilotRefused("an action ends after it starts")


def add_budget_line(pilot: Pilot, label: str, planned: Decimal, spent: Decimal) -> BudgetLine:
    if planned < 0 or spent < 0:
        raise PilotRefused("amounts are zero or more")
    line = BudgetLine(label=label.strip(), planned_eur=planned, spent_eur=spent)
    pilot.budget_lines.append(line)
    return line


def budget_totals(pilot: Pilot) -> tuple[Decimal, Decimal]:
    return (sum((line.planned_eur for line in pilot.budget_lines), Decimal(0)),
            sum((line.spent_eur for line in pilot.budget_lines), Decimal(0)))


def pilot_text(texts: dict | None, lang: str, pilot: Pilot) -> str:
    """A text staff wrote, in the reader's language, else the city's, else any."""
    texts = texts or {}
    return texts.get(lang) or texts.get(pilot.city.default_language) or next(iter(texts.values()), "")


def city_languages(city: City) -> list[str]:
    """The languages of a city's campaigns, its own first: a pilot's texts are written in them."""
    found = [city.default_language]
    for campaign in city.campaigns:
        found += campaign.languages
    return list(dict.fromkeys(found))
