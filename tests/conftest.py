"""Fixtures: the app on a real database (a SQLite file, or the PostgreSQL server named by DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import delete

from imppulse_survey import create_app
from imppulse_survey.config import TestingConfig
from imppulse_survey.core.database import create_sqlite_file
from imppulse_survey.extensions import db, limiter

from .factories import Factories

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


def make_app(database_url: str, instance_path: Path, environ: dict | None = None, **overrides):
    environ = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY, "IMPPULSE_ENV": "testing", **(environ or {})}
    config = TestingConfig(environ, instance_path=instance_path)
    for name, value in overrides.items():
        setattr(config, name, value)
    return create_app(config)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def is_postgresql(database_url) -> bool:
    return database_url.startswith("postgres")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            create_sqlite_file(db.engine.url.database)
        db.drop_all()
        db.create_all()  # tests only; the app itself is migrated (see test_migrations)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def empty_all_tables():
    limiter.reset()  # rate-limit counters are per client, and every test is the same client
    # emptied tables start their ids again, which a real database never does: forget the figures read so far
    from imppulse_survey.releases.figures import forget_cached_figures
    from imppulse_survey.responses.open_campaigns import forget_campaigns

    forget_cached_figures()
    forget_campaigns()
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()
    db.session.remove()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield
        empty_all_tables()


@pytest.fixture
def client(app, app_context):
    return app.test_client()


@pytest.fixture
def runner(app, app_context):
    return app.test_cli_runner()


@pytest.fixture
def make(app_context) -> Factories:
    return Factories()
