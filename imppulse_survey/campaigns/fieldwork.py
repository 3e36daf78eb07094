"""How fieldwork is going: counts that reveal no answer, live, before any release.

Residents: responses per day and per district, each district's share of responses against its share of the
population (a district under three quarters of its share is flagged: its figures will lean on few people, and
weighting will stretch them), and against the wave's target split by population. Officers: how many sealed answers
and invitations, never when or where (their answers stay sealed, and a day's count in a small unit names people).
Drafts saved and not finished, for both. Every count is one ``GROUP BY`` in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..core.models import utcnow
from ..extensions import db
from .models import Campaign, Wave
from .texts import unfilled

UNDER_REPRESENTED = 0.75  # a district whose share of responses is under 3/4 of its share of the population
CLOSING_SOON = dt.timedelta(days=7)


@dataclass(frozen=True)
class DistrictProgress:
    code: int
    name: str
    responses: int
    share: float | None  # of the wave's responses with a district
    population_share: float | None
    target: int | None

    @property
    def under_represented(self) -> bool:
        return (self.share is not None and self.population_share is not None
                and self.share < UNDER_REPRESENTED * self.population_share)


@dataclass
class Fieldwork:
    wave: Wave
    responses: int
    by_day: list[tuple[dt.date, int]] = field(default_factory=list)
    by_district: list[DistrictProgress] = field(default_factory=list)
    without_district: int = 0

    @property
    def under_represented(self) -> list[DistrictProgress]:
        return [district for district in self.by_district if district.under_represented]


def wave_responses(campaigns: list[Campaign]) -> dict[int, int]:
    """Responses per wave (officers: sealed answers until the wave is released), for these campaigns."""
    from ..responses.models import Response, SealedResponse

    wave_ids = [wave.id for campaign in campaigns for wave in campaign.waves]
    counts: dict[int, int] = {}
    for model in (Response, SealedResponse):
        counts.update({wave_id: counts.get(wave_id, 0) + count for wave_id, count in db.session.execute(
            select(model.wave_id, func.count()).where(model.wave_id.in_(wave_ids)).group_by(model.wave_id))})
    return counts


def fieldwork(campaign: Campaign, wave: Wave) -> Fieldwork:
    from ..responses.models import Response

    counts = wave_responses([campaign])
    found = Fieldwork(wave, counts.get(wave.id, 0))
    if campaign.audience != "resident":
        return found
    in_wave = Response.wave_id == wave.id
    found.by_day = [(day, count) for day, count in db.session.execute(
        select(Response.submitted_on, func.count()).where(in_wave).group_by(Response.submitted_on)
        .order_by(Response.submitted_on))]
    per_district = dict(db.session.execute(
        select(Response.district_id, func.count()).where(in_wave).group_by(Response.district_id)).all())
    found.without_district = per_district.pop(None, 0)
    districts = campaign.city.districts
    answered = sum(per_district.values())
    population = sum(district.population or 0 for district in districts)
    for district in districts:
        count = per_district.get(district.id, 0)
        population_share = (district.population or 0) / population if population else None
        target = round(wave.target_responses * population_share) if wave.target_responses and population_share \
            is not None else None
        found.by_district.append(DistrictProgress(district.code, district.name, count,
                                                  count / answered if answered else None, population_share, target))
    return found


def drafts_saved(campaign: Campaign) -> int:
    """Questionnaires saved with "Continue later" and not finished (expired ones are purged daily)."""
    from ..responses.models import Draft

    return db.session.scalar(select(func.count()).select_from(Draft).where(Draft.campaign_id == campaign.id))


@dataclass(frozen=True)
class Attention:
    """Something on a campaign that a manager should act on: a code and the wave it concerns."""

    code: str
    wave: str | None = None
    detail: str | None = None


def needs_attention(campaign: Campaign, counts: dict[int, int], released_wave_ids: set[int],
                    now: dt.datetime | None = None) -> list[Attention]:
    """What to act on: a closed wave not released, an open wave closing within a week or with no response yet,
    words the next wave's questionnaire needs, districts under-represented in the open wave."""
    now = now or utcnow()
    found = []
    for wave in campaign.waves:
        status = wave.status(now)
        if status == "closed" and wave.id not in released_wave_ids and counts.get(wave.id):
            found.append(Attention("release", wave.label))
        if status == "open":
            if wave.closes_dt is not None and wave.closes_dt - now < CLOSING_SOON:
                found.append(Attention("closing_soon", wave.label))
            if not counts.get(wave.id):
                found.append(Attention("no_responses", wave.label))
            elif campaign.audience == "resident":
                names = [district.name for district in fieldwork(campaign, wave).under_represented]
                if names:
                    found.append(Attention("under_represented", wave.label, ", ".join(names)))
        if status == "scheduled" and unfilled(campaign, wave.questionnaire_version.definition):
            found.append(Attention("texts_missing", wave.label))
    return found
