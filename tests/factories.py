"""Builders for test data, going through the same services as the app."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import yaml
from sqlalchemy import insert
from sqlalchemy import text as sql

from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.campaigns.models import City, District
from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.loader import validate_definition
from imppulse_survey.questionnaires.services import publish, publish_standard
from imppulse_survey.responses.models import Answer, Response
from imppulse_survey.responses.summaries import rebuild_campaign_summaries

LANGUAGES = ["en", "fr"]


def text(value: str, languages=LANGUAGES) -> dict:
    return {language: f"{value} ({language})" for language in languages}


def minimal_questionnaire(**overrides) -> dict:
    """A small valid questionnaire covering every item type; tests break it in one place at a time."""
    agree = [{"code": code, "label": text(f"agree {code}")} for code in range(1, 6)]
    definition = {
        "format": 1,
        "key": "test-survey",
        "audience": "resident",
        "languages": list(LANGUAGES),
        "default_language": "en",
        "title": text("Title"),
        "introduction": text("Introduction"),
        "duration_minutes": 5,
        "missing": {
            "dont_know": {"code": 98, "label": text("Don't know")},
            "prefer_not_to_say": {"code": 99, "label": text("Prefer not to say")},
        },
        "scales": {"agree5": {"options": agree}},
        "pages": [
            {
                "key": "first",
                "title": text("First"),
                "items": [
                    {"key": "contact", "type": "single_choice", "text": text("Contact?"), "required": True,
                     "options": [{"code": 1, "label": text("Yes")}, {"code": 2, "label": text("No")}]},
                    {"key": "trust", "type": "scale_0_10", "text": text("Trust"), "missing": ["dont_know"],
                     "anchors": {"low": text("None"), "high": text("Complete")}},
                    {"key": "confidence", "type": "likert", "scale": "agree5", "text": text("Confidence"),
                     "missing": ["dont_know"]},
                    {"key": "fair", "type": "grid", "scale": "agree5", "text": text("Fairness"), "missing": ["dont_know"],
                     "rows": [{"key": "fair_respect", "text": text("Respect")},
                              {"key": "fair_explain", "text": text("Explain")}]},
                ],
            },
            {
                "key": "second",
                "title": text("Second"),
                "show_if": {"item": "contact", "equals": 1},
                "items": [
                    {"key": "satisfaction", "type": "likert", "scale": "agree5", "text": text("Satisfied"),
                     "required": True},
                ],
            },
            {
                "key": "about",
                "title": text("About you"),
                "items": [
                    {"key": "topics", "type": "multiple_choice", "text": text("Topics"),
                     "options": [{"code": 1, "label": text("Noise")}, {"code": 2, "label": text("Theft")},
                                 {"code": 3, "label": text("None of these"), "exclusive": True}]},
                    {"key": "years", "type": "numeric", "text": text("Years"), "min": 0, "max": 100},
                    {"key": "district", "type": "district", "text": text("District"), "required": True,
                     "missing": ["prefer_not_to_say"]},
                    {"key": "nickname", "type": "short_text", "text": text("Nickname"), "max_length": 20},
                    {"key": "comment", "type": "long_text", "text": text("Comment")},
                    {"key": "pilot_heard", "type": "single_choice", "text": text("Heard of {pilot}?"),
                     "pilot_only": True,
                     "options": [{"code": 1, "label": text("Yes")}, {"code": 2, "label": text("No")}]},
                ],
            },
        ],
        "indicators": [
            {"key": "trust", "label": text("Trust"), "kind": "mean", "items": ["trust"]},
            {"key": "confidence", "label": text("Confidence"), "kind": "proportion", "items": ["confidence"],
             "codes": [4, 5]},
            {"key": "fairness", "label": text("Fairness"), "kind": "mean", "items": ["fair_respect", "fair_explain"],
             "reverse": ["fair_explain"], "min_answered": 1},
            {"key": "satisfaction", "label": text("Satisfaction"), "kind": "proportion", "items": ["satisfaction"],
             "codes": [4, 5], "base": {"item": "contact", "equals": 1}},
        ],
    }
    definition.update(overrides)
    return copy.deepcopy(definition)


def valid_answers(**overrides) -> dict:
    answers = {
        "contact": 1, "trust": 7, "confidence": 4, "fair_respect": 5, "fair_explain": "dont_know",
        "satisfaction": 2, "topics": [1, 2], "years": 12, "district": 2, "nickname": "Kim", "comment": "Fine.",
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def as_yaml(definition: dict) -> str:
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)


class Factories:
    def __init__(self):
        #: wave id → the private key its officers' answers are sealed to, as the manager would keep it
        self.private_keys: dict[int, str] = {}

    def city(self, slug="testville", districts=3, language="fr") -> City:
        city = City(slug=slug, name=slug.title(), country="FR", default_language=language)
        db.session.add(city)
        for code in range(1, districts + 1):
            db.session.add(District(city=city, code=code, name=f"District {code}", population=1000 * code))
        db.session.flush()
        return city

    def version(self, definition: dict | None = None):
        return publish(validate_definition(definition or minimal_questionnaire(), "test.yaml"))[0]

    def campaign(self, slug="testville-residents", city=None, version=None, access_mode="open", open_now=True,
                 pilot_label=None, languages=("en", "fr")):
        city = city or self.city()
        campaign = campaigns.create_campaign(
            slug=slug, city=city, version=version or self.version(), access_mode=access_mode,
            languages=list(languages), default_language=languages[0], pilot_label=pilot_label,
            forces=text("the local police and the national police", languages),
            organiser=text(f"the City of {city.name}", languages),
        )
        if open_now:
            self.key_wave(campaigns.open_wave(campaign, "baseline"))
        db.session.commit()
        return campaign

    def key_wave(self, wave):
        """An invitation campaign's wave gets its key pair; the test keeps the private key."""
        if wave.campaign.access_mode == "invitation" and wave.public_key is None:
            self.private_keys[wave.id] = campaigns.issue_wave_key(wave)
        return wave

    def release(self, campaign, wave=None):
        """Close the campaign's open wave (or ``wave``) and release it (an officer wave's sealed answers opened with
        its private key first); the outcome of ``releases.services.release``."""
        from imppulse_survey.releases.services import release

        wave = wave or campaign.current_wave()
        if wave.status() != "closed":
            campaigns.close_wave(campaign)
            db.session.commit()
        return release(campaign, wave, self.private_keys.get(wave.id))

    def standard_versions(self):
        versions = publish_standard()
        db.session.commit()
        return versions


def bulk_load(campaign, responses: list[dict], answers: list[dict]) -> None:
    """Insert generated responses and answers directly, then rebuild the summaries, as a bulk import would."""
    db.session.execute(insert(Response), responses)
    db.session.execute(insert(Answer), answers)
    if db.session.get_bind().dialect.name == "postgresql":  # explicit ids leave the sequence behind
        db.session.execute(sql("SELECT setval(pg_get_serial_sequence('responses', 'id'), "
                                "(SELECT max(id) FROM responses))"))
    rebuild_campaign_summaries(campaign)
    db.session.commit()


def submission_id() -> str:
    return str(uuid.uuid4())


def days_ago(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
