"""Configuration: defaults, the generated development key, and a clear stop on bad values."""

from __future__ import annotations

import pytest

from imppulse_survey.config import ConfigError, DevelopmentConfig, ProductionConfig, load_config


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path):
    config = load_config({}, instance_path=tmp_path)
    assert isinstance(config, DevelopmentConfig)
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'imppulse.sqlite3'}"
    assert config.DRAFT_RETENTION_DAYS == 14
    assert config.DEFAULT_DISCLOSURE_THRESHOLD == 10


def test_the_development_key_is_generated_once_and_kept(tmp_path):
    first = load_config({}, instance_path=tmp_path).SECRET_KEY
    second = load_config({}, instance_path=tmp_path).SECRET_KEY
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgresql_urls_use_psycopg3(tmp_path):
    for given in ("postgres://u@h/db", "postgresql://u@h/db"):
        config = load_config({"DATABASE_URL": given}, instance_path=tmp_path)
        assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"IMPPULSE_ENV": "production"}, "SECRET_KEY must be set in production (IMPPULSE_ENV=production)"),
        ({"IMPPULSE_ENV": "staging"}, "IMPPULSE_ENV must be one of development, production, testing, not 'staging'"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL must start with sqlite:/// or postgresql:// (got 'mysql')"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters long"),
        ({"DRAFT_RETENTION_DAYS": "two weeks"}, "DRAFT_RETENTION_DAYS must be a whole number, not 'two weeks'"),
        ({"DISCLOSURE_THRESHOLD": "3"}, "DISCLOSURE_THRESHOLD must be between 5 and 1000, not 3"),
    ],
)
def test_invalid_configuration_names_the_variable(tmp_path, environ, message):
    with pytest.raises(ConfigError) as caught:
        load_config(environ, instance_path=tmp_path)
    assert str(caught.value) == message


def test_production_starts_with_a_key_and_secure_cookies(tmp_path):
    config = load_config({"IMPPULSE_ENV": "production", "SECRET_KEY": "k" * 40}, instance_path=tmp_path)
    assert isinstance(config, ProductionConfig)
    assert config.SESSION_COOKIE_SECURE is True
    assert not (tmp_path / "secret_key").exists()


def test_the_app_refuses_to_start_with_a_bad_variable(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        env={"IMPPULSE_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent),
    )
    assert result.returncode != 0
    assert "ConfigError: SECRET_KEY must be set in production" in result.stderr


def test_postgresql_options_in_the_url_are_kept_beside_the_lock_timeout(tmp_path):
    config = load_config({"DATABASE_URL": "postgresql://u@h/db?options=-csearch_path%3Dfoo"}, instance_path=tmp_path)
    assert config.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]["options"] == "-csearch_path=foo -c lock_timeout=5000"
