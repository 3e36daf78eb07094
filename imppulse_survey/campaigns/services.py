"""Creating and running campaigns: their waves, invitations and the cities they belong to."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from itertools import groupby

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.keys import keyed_hash
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.models import QuestionnaireVersion
from ..questionnaires.packs import available_languages, unreviewed_languages
from .models import (
    ACCESS_MODES,
    AUDIENCES,
    MINIMUM_DISCLOSURE_THRESHOLD,
    RECRUITMENT_MODES,
    Campaign,
    City,
    Invitation,
    Wave,
)
from .texts import unfilled

TOKEN_BYTES = 32  # 256 bits from the operating system's generator
#: slugs and wave labels appear in links, file names and pages: plain lower-case words and hyphens only
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
LABEL_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_RETENTION_MONTHS = 240
RETENTION_PROBLEM = f"retention periods must satisfy 1 <= free text <= responses <= {MAX_RETENTION_MONTHS} months"


class CampaignError(ValueError):
    """A campaign operation that cannot be carried out; the message says why, in one line."""


def find_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
    if campaign is None:
        raise CampaignError(f"no campaign '{slug}'")
    return campaign


def find_wave(campaign: Campaign, label: str | None) -> Wave:
    """The campaign's wave of that label, or its latest wave when no label is given."""
    if label is None and campaign.waves:
        return max(campaign.waves, key=lambda wave: wave.position)
    found = next((wave for wave in campaign.waves if wave.label == label), None)
    if found is None:
        raise CampaignError(f"{campaign.slug} has no wave '{label}'")
    return found


def find_city(slug: str) -> City:
    city = db.session.scalar(select(City).filter_by(slug=slug))
    if city is None:
        raise CampaignError(f"no city '{slug}'")
    return city


def create_campaign(
    *,
    slug: str,
    city: City,
    version: QuestionnaireVersion,
    access_mode: str,
    languages: Sequence[str],
    default_language: str,
    disclosure_threshold: int = 10,
    pilot_label: dict | None = None,
    forces: dict | None = None,
    organiser: dict | None = None,
    retention_months: int = 60,
    text_retention_months: int = 12,
) -> Campaign:
    audience = version.questionnaire.audience
    problems = []
    if not SLUG_PATTERN.fullmatch(slug):
        problems.append("the slug must be 2 to 64 lower-case letters, digits and hyphens, e.g. nantes-residents")
    elif db.session.scalar(select(Campaign.id).filter_by(slug=slug)) is not None:
        problems.append(f"a campaign '{slug}' exists already")
    if access_mode not in ACCESS_MODES:
        problems.append(f"access mode must be one of {', '.join(ACCESS_MODES)}")
    if audience not in AUDIENCES:
        problems.append(f"audience must be one of {', '.join(AUDIENCES)}")
    if audience == "officer" and access_mode != "invitation":
        problems.append("officer campaigns are by invitation only, so that each officer answers once")
    offered = available_languages(version)
    unknown = [language for language in languages if language not in offered]
    if not languages or unknown:
        problems.append(f"languages must be among the questionnaire's: {', '.join(offered)}")
    if default_language not in languages:
        problems.append("the default language must be one of the campaign's languages")
    if disclosure_threshold < MINIMUM_DISCLOSURE_THRESHOLD:
        problems.append(f"the disclosure threshold cannot be below {MINIMUM_DISCLOSURE_THRESHOLD}")
    if not 1 <= text_retention_months <= retention_months <= MAX_RETENTION_MONTHS:
        problems.append(RETENTION_PROBLEM)
    if problems:
        raise CampaignError("; ".join(problems))
    campaign = Campaign(
        slug=slug,
        city=city,
        audience=audience,
        questionnaire_version=version,
        access_mode=access_mode,
        languages=list(languages),
        default_language=default_language,
        disclosure_threshold=disclosure_threshold,
        pilot_label=pilot_label or {},
        retention_months=retention_months,
        text_retention_months=text_retention_months,
    )
    db.session.add(campaign)
    set_campaign_texts(campaign, forces or {}, organiser or {})
    return campaign


def set_retention(campaign: Campaign, months: int, text_months: int) -> None:
    """How long the campaign keeps responses and their free texts after each wave closes."""
    if not 1 <= text_months <= months <= MAX_RETENTION_MONTHS:
        raise CampaignError(RETENTION_PROBLEM)
    campaign.retention_months, campaign.text_retention_months = months, text_months
    db.session.flush()


def set_threshold(campaign: Campaign, threshold: int, now: dt.datetime | None = None) -> None:
    """Change the disclosure threshold: freely until the first wave opens, then only upwards (a lower threshold
    would publish cells that earlier releases hid, and so give them away)."""
    now = now or utcnow()
    if threshold < MINIMUM_DISCLOSURE_THRESHOLD:
        raise CampaignError(f"the disclosure threshold cannot be below {MINIMUM_DISCLOSURE_THRESHOLD}")
    started = any(wave.status(now) != "scheduled" for wave in campaign.waves)
    if started and threshold < campaign.disclosure_threshold:
        raise CampaignError(f"fieldwork of {campaign.slug} has started: its threshold can only be raised "
                            f"(it is {campaign.disclosure_threshold})")
    campaign.disclosure_threshold = threshold
    db.session.flush()


def add_wave(campaign: Campaign, label: str, opens_dt: dt.datetime | None = None, closes_dt=None,
             version: QuestionnaireVersion | None = None) -> Wave:
    """A new wave, answering ``version`` (of the campaign's questionnaire), else the version of the wave before."""
    if not LABEL_PATTERN.fullmatch(label):
        raise CampaignError("a wave label is 1 to 64 lower-case letters, digits, hyphens or underscores, e.g. baseline")
    if any(wave.label == label for wave in campaign.waves):
        raise CampaignError(f"{campaign.slug} has a wave '{label}' already")
    if opens_dt and closes_dt and closes_dt <= opens_dt:
        raise CampaignError("a wave must close after it opens")
    position = max((wave.position for wave in campaign.waves), default=0) + 1
    if version is None:
        version = campaign.waves[-1].questionnaire_version if campaign.waves else campaign.questionnaire_version
    _check_same_questionnaire(campaign, version)
    if opens_dt is not None:
        _check_ready(campaign, version, _reviewed_required())
    wave = Wave(campaign=campaign, label=label, position=position, opens_dt=opens_dt, closes_dt=closes_dt,
                recruitment_mode="invitations" if campaign.access_mode == "invitation" else "open_link",
                questionnaire_version=version)
    db.session.add(wave)
    db.session.flush()
    return wave


MAX_CAMPAIGN_TEXT = 300


def set_campaign_texts(campaign: Campaign, forces: dict[str, str], organiser: dict[str, str]) -> None:
    """Set the campaign's words for {forces} and {organiser} in the languages given (others are kept)."""
    for name, given in (("forces", forces), ("organiser", organiser)):
        for language, value in given.items():
            if language not in campaign.languages:
                raise CampaignError(f"{campaign.slug} does not offer {language}")
            if not value.strip() or len(value) > MAX_CAMPAIGN_TEXT or "{" in value:
                raise CampaignError(f"{name} ({language}) is 1 to {MAX_CAMPAIGN_TEXT} characters, with no braces")
        setattr(campaign, name, {**(getattr(campaign, name) or {}), **given})
    db.session.flush()


def set_wave_version(wave: Wave, version: QuestionnaireVersion, now: dt.datetime | None = None) -> None:
    """Move a wave that has not started to another version of its campaign's questionnaire."""
    if wave.status(now) != "scheduled":
        raise CampaignError(f"wave {wave.label} has started: its respondents answered version "
                            f"{wave.questionnaire_version.number}, which it keeps")
    _check_same_questionnaire(wave.campaign, version)
    wave.questionnaire_version = version
    db.session.flush()


def _check_same_questionnaire(campaign: Campaign, version: QuestionnaireVersion) -> None:
    if version.questionnaire_id != campaign.questionnaire_version.questionnaire_id:
        raise CampaignError(f"{campaign.slug} uses {campaign.questionnaire_version.questionnaire.key}; a wave cannot "
                            f"move to {version.questionnaire.key}")
    missing = sorted(set(campaign.languages) - set(available_languages(version)))
    if missing:
        raise CampaignError(f"version {version.number} of {version.questionnaire.key} has no "
                            f"{', '.join(missing)} texts, which {campaign.slug} offers")


def _reviewed_required() -> bool:
    return current_app.config.get("REQUIRE_REVIEWED_LANGUAGES", False)


def _check_ready(campaign: Campaign, version: QuestionnaireVersion, require_reviewed: bool) -> None:
    """A wave opens only where respondents would read every text whole: the campaign's own words given for
    the version's placeholders, and (in production) every language's texts reviewed."""
    problems = []
    missing = unfilled(campaign, version.definition)
    if missing:
        problems.append(f"{campaign.slug} must give its {', '.join(missing)} first (campaign texts)")
    unreviewed = unreviewed_languages(version, campaign.languages) if require_reviewed else []
    if unreviewed:
        problems.append(f"the {', '.join(unreviewed)} texts of {version.questionnaire.key} version {version.number} "
                        f"are not marked reviewed (questionnaire review)")
    if problems:
        raise CampaignError("; ".join(problems))


def open_wave(campaign: Campaign, label: str | None = None, now: dt.datetime | None = None,
              version: QuestionnaireVersion | None = None, require_reviewed: bool | None = None) -> Wave:
    """Start fieldwork now: for the named wave (created if new), else the next scheduled one.

    Any other open wave of the campaign closes, so that a response always belongs to exactly one wave.
    """
    now = now or utcnow()
    wave = next((wave for wave in campaign.waves if wave.label == label), None) if label else None
    if wave is None and label is None:
        wave = next((wave for wave in campaign.waves if wave.status(now) == "scheduled"), None)
        if wave is None:
            raise CampaignError(f"{campaign.slug} has no scheduled wave; name the wave to open")
    if wave is None:
        wave = add_wave(campaign, label, version=version)
    elif version is not None and version is not wave.questionnaire_version:
        set_wave_version(wave, version, now)
    if wave.released_dt is not None:
        raise CampaignError(f"wave {wave.label} of {campaign.slug} is released and cannot take answers again")
    _check_ready(campaign, wave.questionnaire_version,
                 _reviewed_required() if require_reviewed is None else require_reviewed)
    for other in campaign.waves:
        if other is not wave and other.is_open(now):
            other.closes_dt = now
    wave.opens_dt = min(wave.opens_dt, now) if wave.opens_dt and wave.opens_dt <= now else now
    wave.closes_dt = None if wave.closes_dt is None or wave.closes_dt <= now else wave.closes_dt
    db.session.flush()
    return wave


def close_wave(campaign: Campaign, now: dt.datetime | None = None) -> Wave:
    now = now or utcnow()
    wave = campaign.current_wave(now)
    if wave is None:
        raise CampaignError(f"{campaign.slug} has no open wave")
    wave.closes_dt = now
    db.session.flush()
    return wave


def list_campaigns() -> list[Campaign]:
    return list(
        db.session.scalars(
            select(Campaign).options(selectinload(Campaign.waves), selectinload(Campaign.city)).order_by(Campaign.slug)
        )
    )


def response_counts() -> dict[int, int]:
    from ..responses.models import Response

    rows = db.session.execute(select(Response.campaign_id, func.count()).group_by(Response.campaign_id))
    return dict(rows.all())


def open_campaigns_by_city(now: dt.datetime | None = None) -> list[tuple[City, list[Campaign]]]:
    """Campaigns that anyone may answer now (open access, a wave in fieldwork), grouped by city."""
    now = now or utcnow()
    campaigns = db.session.scalars(
        select(Campaign)
        .join(Campaign.city)
        .join(Campaign.waves)
        .where(Campaign.access_mode == "open", Wave.opens_dt <= now)
        .where((Wave.closes_dt.is_(None)) | (Wave.closes_dt > now))
        .options(selectinload(Campaign.city))
        .order_by(City.name, Campaign.slug)
    ).unique()
    return [(city, list(group)) for city, group in groupby(campaigns, key=lambda campaign: campaign.city)]


def issue_wave_key(wave: Wave) -> str:
    """Give an invitation campaign's wave the key pair its officers' answers are sealed to.

    Only the public key is stored; the private key is returned to be shown once to the manager, who needs it
    to release the wave (docs/anonymity.md).
    """
    from ..responses.sealing import new_wave_key_pair

    if wave.campaign.access_mode != "invitation":
        raise CampaignError(f"{wave.campaign.slug} is an open campaign: its answers are not sealed")
    if wave.public_key is not None:
        raise CampaignError(f"wave {wave.label} of {wave.campaign.slug} has its key pair already")
    pair = new_wave_key_pair()
    wave.public_key = pair.public_key
    db.session.flush()
    return pair.private_key


def hash_token(token: str) -> str:
    return keyed_hash("invitation", token)


def create_invitations(campaign: Campaign, count: int) -> list[str]:
    """Make ``count`` single-use tokens; only their keyed hashes are stored, so the list returned is the only copy.

    The list comes back shuffled: its order says nothing of the order of the rows, so a printed list or card
    deck cannot be matched to the table by position.
    """
    if campaign.access_mode != "invitation":
        raise CampaignError(f"{campaign.slug} is an open campaign; invitations are for invitation campaigns")
    if not 1 <= count <= 100_000:
        raise CampaignError("the number of invitations must be between 1 and 100000")
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(count)]
    db.session.add_all(Invitation(campaign_id=campaign.id, token_hash=hash_token(token)) for token in tokens)
    campaign.invitations_issued += count
    db.session.flush()
    secrets.SystemRandom().shuffle(tokens)
    return tokens


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/i/{token}"


def plan_wave(wave: Wave, *, opens_dt: dt.datetime | None = None, closes_dt: dt.datetime | None = None,
              target: int | None = None, recruitment_mode: str | None = None,
              version: QuestionnaireVersion | None = None, now: dt.datetime | None = None) -> None:
    """Change a wave's plan. A scheduled wave changes in every way; once it has opened, its dates of opening,
    recruitment and version are history (its answers came that way), and only its closing date and target move."""
    now = now or utcnow()
    if target is not None and target < 1:
        raise CampaignError("a target is at least 1 response")
    wave.target_responses = target
    started = wave.status(now) != "scheduled"
    if recruitment_mode is not None and recruitment_mode != wave.recruitment_mode:
        if started:
            raise CampaignError(f"wave {wave.label} has started: its recruitment cannot change")
        invited = wave.campaign.access_mode == "invitation"
        if recruitment_mode not in RECRUITMENT_MODES or (recruitment_mode == "invitations") != invited:
            raise CampaignError(f"recruitment of an {wave.campaign.access_mode} campaign cannot be {recruitment_mode}")
        wave.recruitment_mode = recruitment_mode
    if version is not None and version is not wave.questionnaire_version:
        set_wave_version(wave, version, now)
    if started:
        if opens_dt is not None and opens_dt != wave.opens_dt:
            raise CampaignError(f"wave {wave.label} has started: its opening date is history")
        if wave.status(now) == "closed" and closes_dt != wave.closes_dt:
            raise CampaignError(f"wave {wave.label} is closed: open it again to change its dates")
        if closes_dt is not None and closes_dt <= now:
            raise CampaignError("an open wave's new closing date must be in the future")
    else:
        if opens_dt is not None:
            _check_ready(wave.campaign, wave.questionnaire_version, _reviewed_required())
        wave.opens_dt = opens_dt
    if opens_dt and closes_dt and closes_dt <= opens_dt:
        raise CampaignError("a wave must close after it opens")
    wave.closes_dt = closes_dt
    db.session.flush()


def invitations_used(campaign: Campaign) -> int:
    """Issued minus those left: a used invitation is deleted, so nothing records which was used or when."""
    left = db.session.scalar(select(func.count()).select_from(Invitation).filter_by(campaign_id=campaign.id))
    return campaign.invitations_issued - left
