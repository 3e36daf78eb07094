"""The checked-in migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.loader import validate_definition

from .conftest import make_app
from .factories import minimal_questionnaire


@pytest.fixture
def empty_database_url(database_url, is_postgresql, tmp_path):
    """A database with nothing in it: a new SQLite file, or a new schema on the PostgreSQL server."""
    if not is_postgresql:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    schema = f"migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_models_and_migrations_agree(empty_database_url, tmp_path):
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(empty_database_url, tmp_path):
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"responses", "answers", "invitations"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_the_app_never_creates_tables_itself():
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "imppulse_survey"
    offenders = [str(path) for path in package.rglob("*.py") if "create_all" in path.read_text()]
    assert offenders == []


def test_upgrading_keeps_every_answer_and_summarises_it(empty_database_url, tmp_path):
    """Altering a table on SQLite copies and drops it: no cascade may take the answers with it. The summaries'
    revision fills them from the answers already stored."""
    definition = json.dumps(validate_definition(minimal_questionnaire(), "test.yaml"))
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO cities (id, slug, name, country, default_language) VALUES (1, 'c', 'C', 'FR', 'fr');"))
            connection.execute(text(
                "INSERT INTO questionnaires (id, key, audience) VALUES (1, 'q', 'resident')"))
            connection.execute(text(
                "INSERT INTO questionnaire_versions (id, questionnaire_id, number, content_hash, definition, published_dt)"
                " VALUES (1, 1, 1, 'h', :definition, '2026-01-01 00:00:00')"), {"definition": definition})
            connection.execute(text(
                "INSERT INTO campaigns (id, slug, city_id, audience, questionnaire_version_id, access_mode, languages,"
                " default_language, disclosure_threshold, pilot_label)"
                " VALUES (1, 'c-r', 1, 'resident', 1, 'open', '[\"fr\"]', 'fr', 10, '{}')"))
            connection.execute(text("INSERT INTO waves (id, campaign_id, label, position) VALUES (1, 1, 'w', 1)"))
            connection.execute(text(
                "INSERT INTO responses (id, campaign_id, wave_id, questionnaire_version_id, language, channel,"
                " submission_id, submitted_on) VALUES (1, 1, 1, 1, 'fr', 'web', 's', '2026-01-02')"))
            connection.execute(text("INSERT INTO answers (response_id, item_key, value) VALUES (1, 'trust', 7)"))
            connection.execute(text("INSERT INTO text_answers (response_id, item_key, text) VALUES (1, 'c', 'ok')"))
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM answers")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM text_answers")).scalar() == 1
            assert connection.execute(text("SELECT weight FROM responses")).scalar() == 1.0
            summary = connection.execute(text(
                "SELECT n, sum_y, district_id FROM indicator_summaries WHERE indicator = 'trust'")).one()
            assert tuple(summary) == (1, 70.0, -1)  # 7 on the 0-10 scale is 70; no district given
        db.engine.dispose()
