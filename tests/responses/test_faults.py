"""Faults and floods: a locked database answers 503 with the answers still in the form; floods get 429."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import func, select

from imppulse_survey.extensions import db, limiter
from imppulse_survey.responses.models import Draft, Response

from ..conftest import make_app
from ..factories import minimal_questionnaire
from .helpers import Respondent


@contextmanager
def database_locked_for_writing(database_url: str):
    """Another connection holds the write lock: on SQLite the database's, on PostgreSQL the responses table's."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
    else:
        connection = psycopg.connect(database_url)
        connection.execute("LOCK TABLE responses, drafts IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        connection.rollback() if not database_url.startswith("sqlite") else connection.execute("ROLLBACK")
        connection.close()


@pytest.fixture
def impatient_app(database_url, tmp_path, app_context):
    """The app with a short lock timeout, on the same database as the test session."""
    app = make_app(database_url, tmp_path, environ={"DATABASE_LOCK_TIMEOUT_MS": "200"})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("action", ["next", "save"])
def test_a_locked_database_answers_503_and_keeps_the_answers(impatient_app, make, database_url, action):
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    with impatient_app.app_context():
        respondent = Respondent(impatient_app.test_client(), campaign.slug, "fr")
        respondent.start()
        respondent.answer(contact="2", trust="7", confidence="5")
        with database_locked_for_writing(database_url):
            response = respondent.answer(action, district="3", comment="Ne perdez pas ceci")
        assert response.status_code == 503
        page = respondent.page
        assert '<html lang="fr"' in page and 'role="alert"' in page
        assert "Traceback" not in page
        assert 'value="3" selected' in page and "Ne perdez pas ceci</textarea>" in page
        assert '<input type="hidden" name="trust" value="7">' in page
        # once the database is back, the same form goes through, once
        retry = respondent.answer(action)
        assert retry.status_code == (302 if action == "next" else 200)
    expected = (1, 0) if action == "next" else (0, 1)
    assert (db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Draft))) == expected


def test_the_api_answers_503_when_the_database_is_locked(impatient_app, make, database_url):
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    body = {"submission_id": "0b5a4a3e-5f8e-4c65-9a55-0c8d5a1f2e3d", "language": "fr",
            "answers": {"contact": 2, "district": 1}}
    with impatient_app.app_context():
        client = impatient_app.test_client()
        with database_locked_for_writing(database_url):
            response = client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json=body)
        assert response.status_code == 503
        assert response.get_json()["status"] == 503
        assert client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json=body).status_code == 201


@pytest.fixture
def strict_limits(app):
    saved = {key: app.config[key] for key in ("SUBMISSION_RATE_LIMIT", "TOKEN_RATE_LIMIT")}
    app.config.update(SUBMISSION_RATE_LIMIT="5 per minute", TOKEN_RATE_LIMIT="3 per minute")
    yield
    app.config.update(saved)
    limiter.reset()


def test_a_flood_of_page_posts_gets_a_translated_429(client, make, strict_limits):
    campaign = make.campaign()
    respondent = Respondent(client, campaign.slug, "fr")
    statuses = [respondent.start().status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert '<html lang="fr"' in respondent.page and "Too many requests" not in respondent.page


def test_token_guessing_is_throttled(client, make, strict_limits):
    make.campaign()
    statuses = [client.get(f"/i/{'guess%040d' % n}").status_code for n in range(6)]
    assert statuses[:3] == [403] * 3 and set(statuses[3:]) == {429}


def test_the_api_is_throttled_too(client, make, strict_limits):
    campaign = make.campaign()
    statuses = [client.post(f"/api/v1/campaigns/{campaign.slug}/responses", json={}).status_code for _ in range(7)]
    assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]


def test_concurrent_web_respondents_all_land(app, make):
    """Stored equals accepted with many respondents at once (each thread its own browser session)."""
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    slug = campaign.slug
    db.session.commit()
    accepted = []

    def respondent_thread():
        with app.app_context():
            respondent = Respondent(app.test_client(), slug, "fr")
            respondent.start()
            respondent.answer(contact="2")
            if respondent.answer(district="1").status_code == 302:
                accepted.append(1)

    limiter.enabled = False
    try:
        threads = [threading.Thread(target=respondent_thread) for _ in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        limiter.enabled = True
    assert len(accepted) == 24
    assert db.session.scalar(select(func.count()).select_from(Response)) == 24
