"""A campaign as the respondent's pages show it, read once and kept by each process for a few seconds.

Every questionnaire page needs the campaign, its waves, its city's districts, its questionnaire version and
which of its languages were reviewed: loading them through the ORM took seven queries and most of a page's
CPU. They change seldom (a manager edits a text, closes a wave), so each process keeps them for
``CAMPAIGN_CACHE_SECONDS`` and forgets them at once when its own session commits a change to any of them. The
waves' dates are kept, not whether they are open, so a wave opens and closes on time; and the storage
service reads the campaign afresh for every submission (``campaigns.facts``), so a wave closed by another
process a moment ago refuses the answers even while its pages still show.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from ..campaigns.models import Campaign, City, District, Wave, is_open, wave_status
from ..campaigns.texts import campaign_texts
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.definition import Definition
from ..questionnaires.models import LanguagePack, QuestionnaireVersion
from ..questionnaires.packs import unreviewed_languages
from ..questionnaires.published import published_definition

#: a change to any of these makes the process forget every campaign it keeps
WATCHED = (Campaign, City, District, Wave, LanguagePack, QuestionnaireVersion)


@dataclass(frozen=True)
class Version:
    definition: Definition
    unreviewed: frozenset[str]


@dataclass(frozen=True)
class WaveDates:
    id: int
    opens_dt: dt.datetime | None
    closes_dt: dt.datetime | None
    version: Version

    def is_open(self, now: dt.datetime) -> bool:
        return is_open(self.opens_dt, self.closes_dt, now)

    def status(self, now: dt.datetime) -> str:
        return wave_status(self.opens_dt, self.closes_dt, now)


@dataclass(frozen=True)
class DistrictChoice:
    code: int
    id: int
    name: str


@dataclass(frozen=True)
class OpenCampaign:
    """The names follow ``Campaign``'s, so that ``campaign_texts`` and the ballots read either."""

    id: int
    slug: str
    access_mode: str
    languages: tuple[str, ...]
    default_language: str
    pilot_label: dict | None
    forces: dict | None
    organiser: dict | None
    disclosure_threshold: int
    city_slug: str
    city_name: str
    districts: tuple[DistrictChoice, ...]
    waves: tuple[WaveDates, ...]
    fallback_version: Version
    #: texts as said in each language, by the text's identity (see ``say``)
    said: dict = field(default_factory=dict, compare=False, repr=False)
    #: questions' HTML by language, question and answers (see ``responses.views.Questionnaire.drawn``)
    drawn: dict = field(default_factory=dict, compare=False, repr=False)

    def current_wave(self, now: dt.datetime | None = None) -> WaveDates | None:
        now = now or utcnow()
        return next((wave for wave in self.waves if wave.is_open(now)), None)

    @property
    def version_now(self) -> Version:
        """The version respondents see: the open wave's, else the last wave's, else the campaign's."""
        wave = self.current_wave() or (self.waves[-1] if self.waves else None)
        return wave.version if wave is not None else self.fallback_version

    def say(self, lang: str) -> Callable[[Mapping | None], str | None]:
        """``campaign_texts`` in ``lang``, each text filled once for as long as the campaign is kept: a page says
        a hundred labels, and most are the same on every page."""
        memo = self.said.setdefault(lang, {})
        fill = campaign_texts(self, lang)
        return lambda text: remembered(memo, text, (), lambda: fill(text)) if text else None

    @cached_property
    def district_codes(self) -> dict[int, int]:
        return {district.code: district.id for district in self.districts}


def remembered(memo: dict, thing, detail: tuple, make: Callable, most: int | None = None):
    """What ``make()`` gives for ``thing`` (a definition's text or item, by identity) and ``detail``, made once.
    The memo holds the thing itself, so that its identity cannot pass to another object while it is remembered;
    with ``most``, a full memo starts again."""
    key = (id(thing), detail)
    kept = memo.get(key)
    if kept is None or kept[0] is not thing:
        if most is not None and len(memo) >= most:
            memo.clear()
        kept = memo[key] = (thing, make())
    return kept[1]


_kept: dict[str, tuple[float, OpenCampaign | None]] = {}


def open_campaign(slug: str) -> OpenCampaign | None:
    """The campaign with this slug as its pages show it, or None when there is none."""
    now = time.monotonic()
    kept = _kept.get(slug)
    if kept is not None and now - kept[0] < current_app.config["CAMPAIGN_CACHE_SECONDS"]:
        return kept[1]
    campaign = _load(slug)
    if len(_kept) > 1000:  # slugs that do not exist are kept too: a scan of guesses must not grow it for ever
        _kept.clear()
    _kept[slug] = (now, campaign)
    return campaign


def forget_campaigns() -> None:
    _kept.clear()


def _load(slug: str) -> OpenCampaign | None:
    campaign = db.session.scalar(
        select(Campaign).filter_by(slug=slug).options(
            selectinload(Campaign.waves).selectinload(Wave.questionnaire_version)
            .selectinload(QuestionnaireVersion.language_packs),
            selectinload(Campaign.questionnaire_version).selectinload(QuestionnaireVersion.language_packs),
            selectinload(Campaign.city).selectinload(City.districts),
        )
    )
    if campaign is None:
        return None
    versions: dict[int, Version] = {}

    def version(of: QuestionnaireVersion) -> Version:
        if of.id not in versions:
            definition = published_definition(of)
            versions[of.id] = Version(definition, frozenset(unreviewed_languages(of, definition.languages
                                                                                 + list(campaign.languages))))
        return versions[of.id]

    city = campaign.city
    return OpenCampaign(
        id=campaign.id, slug=campaign.slug, access_mode=campaign.access_mode, languages=tuple(campaign.languages),
        default_language=campaign.default_language, pilot_label=campaign.pilot_label, forces=campaign.forces,
        organiser=campaign.organiser, disclosure_threshold=campaign.disclosure_threshold,
        city_slug=city.slug, city_name=city.name_local or city.name,
        districts=tuple(DistrictChoice(district.code, district.id, district.name) for district in city.districts),
        waves=tuple(WaveDates(wave.id, wave.opens_dt, wave.closes_dt, version(wave.questionnaire_version))
                    for wave in campaign.waves),
        fallback_version=version(campaign.questionnaire_version),
    )


@event.listens_for(Session, "before_flush")
def _note_a_change(session: Session, flush_context, instances) -> None:
    if any(isinstance(instance, WATCHED) for instance in (*session.new, *session.dirty, *session.deleted)):
        session.info["campaigns_changed"] = True
        _kept.clear()


@event.listens_for(Session, "after_commit")
def _forget_once_committed(session: Session) -> None:
    # again: another request of this process may have read the old state between the flush and the commit
    if session.info.pop("campaigns_changed", False):
        _kept.clear()
