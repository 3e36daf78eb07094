"""Cities, their districts, campaigns with their waves, and officers' single-use invitations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db
from ..questionnaires.models import QuestionnaireVersion

AUDIENCES = ("resident", "officer")
ACCESS_MODES = ("open", "invitation")
#: how a wave's respondents came: anyone with the link (self-selected), cards handed to a defined group, a random
#: sample invited by letter, or passers-by interviewed in the street with an offline form (ODK Collect,
#: KoboCollect; docs/xlsform.md); intervals of self-selected waves cover sampling error only
RECRUITMENT_MODES = ("open_link", "invitations", "random_sample", "street_intercept")
MINIMUM_DISCLOSURE_THRESHOLD = 5


class City(db.Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the identifier in URLs and commands, e.g. ``brussels-ixelles``
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    #: the name used across the network (English)
    name: Mapped[str] = mapped_column(String(128))
    #: the name in the city's own language, where it differs
    name_local: Mapped[str | None] = mapped_column(String(128))
    #: ISO 3166-1 alpha-2 country code
    country: Mapped[str] = mapped_column(String(2))
    #: language of the city's staff and of its campaigns by default
    default_language: Mapped[str] = mapped_column(String(8))

    districts: Mapped[list[District]] = relationship(back_populates="city", order_by="District.code")
    campaigns: Mapped[list[Campaign]] = relationship(back_populates="city")

    def __repr__(self) -> str:
        return f"<City {self.slug}>"


class District(db.Model):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    #: the code respondents' answers store; stable within the city
    code: Mapped[int]
    #: the official name, in the local language
    name: Mapped[str] = mapped_column(String(128))
    #: resident population, for weighting margins
    population: Mapped[int | None]

    city: Mapped[City] = relationship(back_populates="districts")

    def __repr__(self) -> str:
        return f"<District {self.city.slug}:{self.code} {self.name}>"


class Campaign(db.Model):
    """A city's survey of one audience, run as a series of waves (baseline, follow-up…)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(f"audience IN {AUDIENCES}", name="audience"),
        CheckConstraint(f"access_mode IN {ACCESS_MODES}", name="access_mode"),
        CheckConstraint(
            f"disclosure_threshold >= {MINIMUM_DISCLOSURE_THRESHOLD}", name="disclosure_threshold_minimum"
        ),
        CheckConstraint("text_retention_months >= 1 AND text_retention_months <= retention_months",
                        name="retention_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the identifier in links and commands, e.g. ``nantes-residents``
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    #: ``resident`` or ``officer``
    audience: Mapped[str] = mapped_column(String(16))
    #: the questionnaire version a new wave uses unless it names another (each wave names its own)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    #: ``open`` (anyone with the link) or ``invitation`` (single-use tokens)
    access_mode: Mapped[str] = mapped_column(String(16))
    #: languages offered to respondents, a subset of the questionnaire's
    languages: Mapped[list[str]] = mapped_column(JSON)
    #: the language used when the respondent's cannot be offered
    default_language: Mapped[str] = mapped_column(String(8))
    #: cells with fewer respondents are suppressed in every output
    disclosure_threshold: Mapped[int] = mapped_column(default=10)
    #: the name of the city's pilot actions per language, shown in ``pilot_only`` items; empty: none
    pilot_label: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the police forces residents deal with, per language ("la police nationale et la police municipale"):
    #: the questionnaire's ``{forces}``
    forces: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: who runs the survey, per language ("la Ville de Nantes"): the questionnaire's ``{organiser}``
    organiser: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: responses are purged this many months after their wave closed (``flask imppulse purge``)
    retention_months: Mapped[int] = mapped_column(default=60, server_default="60")
    #: free texts are purged sooner: they are the likeliest to name someone
    text_retention_months: Mapped[int] = mapped_column(default=12, server_default="12")
    #: an admin let analysts download the free texts with the microdata (off by default: texts name people)
    microdata_free_text: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: how many invitations were ever made; "used" is this minus the rows left, since spent rows are deleted
    invitations_issued: Mapped[int] = mapped_column(default=0, server_default="0")

    city: Mapped[City] = relationship(back_populates="campaigns")
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    waves: Mapped[list[Wave]] = relationship(back_populates="campaign", order_by="Wave.position")

    @property
    def district_ids(self) -> dict[int, int]:
        """District code → id, for the city's districts (as ``CampaignFacts`` has them)."""
        return {district.code: district.id for district in self.city.districts}

    @property
    def district_codes(self) -> dict[int, int]:
        """District id → code: the other way round."""
        return {district.id: district.code for district in self.city.districts}

    def current_wave(self, now: dt.datetime | None = None) -> Wave | None:
        """The wave taking responses now, if any."""
        now = now or utcnow()
        return next((wave for wave in self.waves if wave.is_open(now)), None)

    @property
    def version_now(self) -> QuestionnaireVersion:
        """The version respondents see: the open wave's, else the last wave's, else the campaign's."""
        wave = self.current_wave() or (self.waves[-1] if self.waves else None)
        return wave.questionnaire_version if wave is not None else self.questionnaire_version

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"


def is_open(opens_dt: dt.datetime | None, closes_dt: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether fieldwork scheduled from ``opens_dt`` to ``closes_dt`` (none: open-ended) is taking responses."""
    return opens_dt is not None and opens_dt <= now and (closes_dt is None or now < closes_dt)


def wave_status(opens_dt: dt.datetime | None, closes_dt: dt.datetime | None, now: dt.datetime) -> str:
    """``open``, ``scheduled`` (not opened yet, or no date set) or ``closed``."""
    if is_open(opens_dt, closes_dt, now):
        return "open"
    return "scheduled" if opens_dt is None or opens_dt > now else "closed"


class Wave(db.Model):
    """One round of fieldwork of a campaign; waves are compared to see what changed."""

    __tablename__ = "waves"
    __table_args__ = (
        UniqueConstraint("campaign_id", "label"),
        UniqueConstraint("campaign_id", "position"),
        CheckConstraint("closes_dt IS NULL OR opens_dt IS NULL OR closes_dt > opens_dt", name="dates_in_order"),
        CheckConstraint(f"recruitment_mode IN {RECRUITMENT_MODES}", name="recruitment_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    #: e.g. ``baseline``, ``follow-up-1``
    label: Mapped[str] = mapped_column(String(64))
    #: order of the waves within the campaign: 1, 2…
    position: Mapped[int]
    #: fieldwork opens at (none: not scheduled)
    opens_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: fieldwork closes at (none: open-ended)
    closes_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: invitation campaigns: the public key that officers' answers are sealed to (hex); the private key is
    #: shown once to the manager and never stored (docs/anonymity.md)
    public_key: Mapped[str | None] = mapped_column(String(64))
    #: invitation campaigns: when the sealed answers were opened and stored as responses
    released_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: how its respondents came (RECRUITMENT_MODES)
    recruitment_mode: Mapped[str] = mapped_column(String(16), default="open_link", server_default="open_link")
    #: the questionnaire version its respondents answer: a follow-up wave may move to a later version
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    #: how many responses fieldwork aims for (none: no target); each district's share follows its population
    target_responses: Mapped[int | None]

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    @property
    def is_self_selected(self) -> bool:
        """Anyone with the link chose to answer: an interval covers sampling error only, not who took part."""
        return self.recruitment_mode == "open_link"

    campaign: Mapped[Campaign] = relationship(back_populates="waves")

    def is_open(self, now: dt.datetime) -> bool:
        return is_open(self.opens_dt, self.closes_dt, now)

    def status(self, now: dt.datetime | None = None) -> str:
        return wave_status(self.opens_dt, self.closes_dt, now or utcnow())

    def __repr__(self) -> str:
        return f"<Wave {self.campaign.slug}/{self.label}>"


class Invitation(db.Model):
    """A single-use token for an officer, deleted when it is exchanged for a ballot (docs/anonymity.md)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    #: keyed hash of the token (``core.keys.keyed_hash``), hex: the token itself is only on the officer's card
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<Invitation {self.id}>"
