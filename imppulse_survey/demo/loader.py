"""Demo data: the partner cities, their campaigns and simulated responses.

Idempotent: cities, districts and campaigns are matched by slug and code, and simulated responses carry
submission ids derived from campaign, wave and number, so a second run stores nothing new. Responses go
through the same storage service as real submissions.

Officers' answers are sealed as real ones are: the demo makes each officer wave's key pair, releases the closed
waves at once, and keeps the open wave's private key in ``instance/demo-keys/`` so that a newcomer can close and
release it (``flask imppulse release SLUG third < instance/demo-keys/SLUG-third.key``). A production app
refuses to start while that folder exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import func, select

from ..campaigns import services as campaigns
from ..campaigns.models import Campaign, City, District, Wave
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.packs import available_languages
from ..questionnaires.published import published_definition
from ..questionnaires.services import publish_standard_versions
from ..releases.services import current_release, make_release, release
from ..responses.models import Response, SpentBallot
from ..responses.services import submit
from ..results.services import publication, publish
from .pilots import demo_pilot
from .simulation import Respondent

DEMO_KEYS_FOLDER = "demo-keys"

CITIES_FILE = Path(__file__).with_name("cities.yaml")
SUBMISSION_NAMESPACE = uuid.UUID("5f0c8a52-3f1e-4c1b-9d7e-2a6b8e1d4c90")

#: (audience, slug suffix, questionnaire, responses per wave)
CAMPAIGN_PLANS = (
    ("resident", "residents", "resident-perception", 320),
    ("officer", "officers", "officer-feedback", 64),
)
#: (label, opens so many days ago, closes so many days ago or None: still open, questionnaire version, share of the
#: responses per wave): a baseline and a follow-up, closed, released and published, that measure each city's pilot;
#: a third wave open for a few days, so that fieldwork is live
WAVE_PLANS = (("baseline", 300, 240, 2, 1.0), ("follow-up", 100, 40, 2, 1.0), ("third", 4, None, 2, 0.15))
PUBLISHED = ("baseline", "follow-up")
RESIDENTS_PER_DISTRICT = 20

#: the name of the pilot actions, as a name (no article): the questionnaires quote it, « {pilot} »
PILOT_LABEL = {
    "en": "Neighbourhood meetings between residents and the police",
    "fr": "Rencontres de quartier entre habitants et police",
    "it": "Incontri di quartiere tra cittadini e polizia",
    "es": "Encuentros de barrio entre vecindario y policía",
    "ca": "Trobades de barri entre veïnat i policia",
    "nl": "Wijkontmoetingen tussen bewoners en politie",
    "pt": "Encontros de bairro entre moradores e polícia",
    "ar": "لقاءات الأحياء بين السكان والشرطة",
    "tr": "Sakinler ile polis arasında mahalle buluşmaları",
}


@dataclass
class DemoSummary:
    cities: int = 0
    campaigns: int = 0
    new_responses: int = 0
    total_responses: int = 0


def expected_responses(responses_per_wave: dict[str, int] | None = None) -> int:
    """How many simulated responses a first load stores (a progress bar's length)."""
    return sum(_wave_target(per_wave, share, audience, responses_per_wave, len(city["districts"]))
               for city in yaml.safe_load(CITIES_FILE.read_text(encoding="utf-8"))["cities"]
               for audience, _, _, per_wave in CAMPAIGN_PLANS for *_, share in WAVE_PLANS)


def _wave_target(per_wave: int, share: float, audience: str, responses_per_wave: dict[str, int] | None,
                 districts: int) -> int:
    """Responses to simulate in one wave: residents about 20 per district at least, so that the pilots' districts
    have published figures (Lisbon has 24 districts)."""
    wanted = (responses_per_wave or {}).get(audience, per_wave)
    if audience == "resident" and not responses_per_wave:
        wanted = max(wanted, RESIDENTS_PER_DISTRICT * districts)
    return round(wanted * share)


def load_demo(seed: int = 2026, progress: Callable[[int], None] = lambda stored: None,
              responses_per_wave: dict[str, int] | None = None) -> DemoSummary:
    """Load everything; ``progress(n)`` is called as each wave's responses are stored (or found stored)."""
    summary = DemoSummary()
    versions = publish_standard_versions()
    today = utcnow()
    for city_data in yaml.safe_load(CITIES_FILE.read_text(encoding="utf-8"))["cities"]:
        city = _upsert_city(city_data)
        summary.cities += 1
        made = {}
        for audience, suffix, questionnaire_key, _ in CAMPAIGN_PLANS:
            campaign = _campaign(city, f"{city.slug}-{suffix}", versions[questionnaire_key][WAVE_PLANS[0][3]],
                                 audience, city_data)
            for label, opens_ago, closes_ago, number, _share in WAVE_PLANS:
                _wave(campaign, label, today, opens_ago, closes_ago, versions[questionnaire_key][number])
            made[audience] = campaign
            summary.campaigns += 1
        # declared before anything is released: its districts are cells of every release
        demo_pilot(city, made["resident"], made["officer"], PILOT_LABEL, today.date())
        db.session.commit()
        for audience, _, _, per_wave in CAMPAIGN_PLANS:
            campaign = made[audience]
            for wave, (*_, share) in zip(campaign.waves, WAVE_PLANS, strict=False):
                target = _wave_target(per_wave, share, audience, responses_per_wave, len(city.districts))
                summary.new_responses += _simulate_wave(campaign, wave, target, seed, today.date())
                progress(target)
                if campaign.access_mode == "open" and wave.status() == "closed" and current_release(wave) is None:
                    make_release(campaign, wave)  # officers' closed waves are released as they are unsealed
                if wave.label in PUBLISHED and current_release(wave) is not None and publication(wave) is None:
                    publish(wave)
        db.session.commit()
    summary.total_responses = db.session.scalar(select(func.count()).select_from(Response))
    return summary


def _upsert_city(data: dict) -> City:
    city = db.session.scalar(select(City).filter_by(slug=data["slug"]))
    if city is None:
        city = City(slug=data["slug"])
        db.session.add(city)
    city.name = data["name"]
    city.name_local = data.get("name_local")
    city.country = data["country"]
    city.default_language = data["default_language"]
    existing = {district.code: district for district in city.districts}
    for district_data in data["districts"]:
        district = existing.get(district_data["code"]) or District(city=city, code=district_data["code"])
        district.name = district_data["name"]
        district.population = district_data.get("population")
        db.session.add(district)
    db.session.flush()
    return city


def _campaign(city: City, slug: str, version, audience: str, city_data: dict) -> Campaign:
    offered = available_languages(version)  # the version's own languages and those its packs added
    # officers are offered the city's languages too: a Dutch-speaking officer in Brussels answers in Dutch
    wanted = city_data.get("languages", [city.default_language, "en"])
    if audience == "resident":  # and residents the languages of the city's large communities (Arabic, Turkish)
        wanted = [*wanted, *city_data.get("resident_languages", [])]
    languages = [language for language in dict.fromkeys(wanted) if language in offered]
    campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
    if campaign is not None:
        # a demo made before campaigns named their forces and organiser (version 2 needs them), or before its
        # residents were offered Arabic and Turkish
        added = [language for language in languages if language not in campaign.languages]
        if added:
            campaign.languages = [*campaign.languages, *added]
            campaign.pilot_label = {**_in(PILOT_LABEL, added), **(campaign.pilot_label or {})}
        campaign.forces = {**_in(city_data["forces"], campaign.languages), **(campaign.forces or {})}
        campaign.organiser = {**_in(city_data["organiser"], campaign.languages), **(campaign.organiser or {})}
        return campaign
    return campaigns.create_campaign(
        slug=slug,
        city=city,
        version=version,
        access_mode="open" if audience == "resident" else "invitation",
        languages=languages,
        default_language=languages[0],
        disclosure_threshold=10,
        pilot_label=_in(PILOT_LABEL, languages),
        forces=_in(city_data["forces"], languages),
        organiser=_in(city_data["organiser"], languages),
    )


def _in(texts: dict, languages) -> dict:
    return {language: texts[language] for language in languages}


def _wave(campaign: Campaign, label: str, now: dt.datetime, opens_ago: int, closes_ago: int | None, version) -> Wave:
    wave = next((wave for wave in campaign.waves if wave.label == label), None)
    if wave is not None:
        return wave
    opens = (now - dt.timedelta(days=opens_ago)).replace(hour=6, minute=0, second=0, microsecond=0)
    closes = None if closes_ago is None else opens + dt.timedelta(days=opens_ago - closes_ago)
    return campaigns.add_wave(campaign, label, opens, closes, version=version)


def _simulate_wave(campaign: Campaign, wave: Wave, target: int, seed: int, today: dt.date) -> int:
    if campaign.access_mode == "invitation":
        return _simulate_officer_wave(campaign, wave, target, seed)
    stored = db.session.scalar(select(func.count()).select_from(Response).filter_by(wave_id=wave.id))
    if stored >= target:
        return 0
    existing = set(db.session.scalars(select(Response.submission_id).filter_by(wave_id=wave.id)))
    first_day = wave.opens_dt.date()
    last_day = min(wave.closes_dt.date() if wave.closes_dt else today, today)
    span = max((last_day - first_day).days, 0)
    definition = published_definition(wave.questionnaire_version)
    added = 0
    for number, submission_id in _submission_ids(campaign, wave, target):
        if submission_id in existing:
            continue
        respondent = Respondent(campaign, wave, seed=_stable_seed(seed, submission_id), definition=definition)
        submit(campaign.slug, respondent.answers(), language=respondent.language, submission_id=submission_id,
               channel="demo", wave_id=wave.id,
               submitted_on=first_day + dt.timedelta(days=respondent.random.randint(0, span)))
        added += 1
    return added


def _simulate_officer_wave(campaign: Campaign, wave: Wave, target: int, seed: int) -> int:
    """Seal simulated officers' answers through invitations, as real ones are; release the wave if it is closed."""
    if wave.released_dt is not None:
        return 0
    key_file = Path(current_app.instance_path) / DEMO_KEYS_FOLDER / f"{campaign.slug}-{wave.label}.key"
    if wave.public_key is None:
        private_key = campaigns.issue_wave_key(wave)
    elif key_file.exists():
        private_key = key_file.read_text(encoding="utf-8").strip()
    else:  # a wave opened outside the demo: its private key is not the demo's to use
        return 0
    stored = db.session.scalar(select(func.count()).select_from(SpentBallot).filter_by(wave_id=wave.id))
    definition = published_definition(wave.questionnaire_version)
    added = 0
    for number, submission_id in _submission_ids(campaign, wave, target):
        if number < stored:
            continue
        respondent = Respondent(campaign, wave, seed=_stable_seed(seed, submission_id), definition=definition)
        token = campaigns.create_invitations(campaign, 1)[0]
        submit(campaign.slug, respondent.answers(), language=respondent.language, submission_id=submission_id,
               channel="demo", token=token, wave_id=wave.id)
        added += 1
    if wave.status() == "closed" and stored + added >= campaign.disclosure_threshold:
        release(campaign, wave, private_key)
        key_file.unlink(missing_ok=True)
    else:
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_file.write_text(private_key + "\n", encoding="utf-8")
        key_file.chmod(0o600)
    return added


def _submission_ids(campaign: Campaign, wave: Wave, target: int):
    for number in range(target):
        yield number, str(uuid.uuid5(SUBMISSION_NAMESPACE, f"{campaign.slug}/{wave.label}/{number}"))


def _stable_seed(seed: int, text: str) -> int:
    return seed * 1_000_003 + zlib.crc32(text.encode())
