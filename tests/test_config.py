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
        ({"TOKEN_RATE_LIMIT": "lots"}, "TOKEN_RATE_LIMIT must be a rate such as '60 per minute', not 'lots'"),
    ],
)
def test_invalid_configuration_names_the_variable(tmp_path, environ, message):
    with pytest.raises(ConfigError) as caught:
        load_config(environ, instance_path=tmp_path)
    assert str(caught.value) == message


PUBLIC_URL_EXAMPLE = "PUBLIC_BASE_URL must be an http:// or https:// address such as https://survey.example.org, not"
PUBLIC_URL_PARTS = "PUBLIC_BASE_URL must be a scheme, a host and a port only (no path, query or user name), not"


@pytest.mark.parametrize("environ, message", [
    ({"IMPPULSE_ENV": "production", "SECRET_KEY": "k" * 40},
     ("PUBLIC_BASE_URL must be set in production (IMPPULSE_ENV=production): the address respondents' links point to, "
      "such as https://survey.example.org")),
    ({"PUBLIC_BASE_URL": "survey.example.org"}, f"{PUBLIC_URL_EXAMPLE} 'survey.example.org'"),
    ({"PUBLIC_BASE_URL": "ftp://survey.example.org"}, f"{PUBLIC_URL_EXAMPLE} 'ftp://survey.example.org'"),
    ({"PUBLIC_BASE_URL": "https://survey.example.org:99999"}, f"{PUBLIC_URL_EXAMPLE} 'https://survey.example.org:99999'"),
    ({"PUBLIC_BASE_URL": "https://survey.example.org/nantes"}, f"{PUBLIC_URL_PARTS} 'https://survey.example.org/nantes'"),
    ({"PUBLIC_BASE_URL": "https://admin@survey.example.org"}, f"{PUBLIC_URL_PARTS} 'https://admin@survey.example.org'"),
    ({"LOGIN_ACCOUNT_RATE_LIMIT": "5 per hour"},
     ("LOGIN_ACCOUNT_RATE_LIMIT must count over windows of at most 15 minutes, so that failures slow a login down and "
      "never lock the account: not '5 per hour'")),
])
def test_the_public_address_and_the_login_limits_are_checked(tmp_path, environ, message):
    with pytest.raises(ConfigError) as caught:
        load_config(environ, instance_path=tmp_path)
    assert str(caught.value) == message


def test_production_starts_with_a_key_and_secure_cookies(tmp_path):
    config = load_config({"IMPPULSE_ENV": "production", "SECRET_KEY": "k" * 40,
                          "PUBLIC_BASE_URL": "https://survey.example.org"}, instance_path=tmp_path)
    assert isinstance(config, ProductionConfig)
    assert config.SESSION_COOKIE_SECURE is True
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("given, kept", [
    ("https://Survey.Example.org/", "https://survey.example.org"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
])
def test_production_trusts_the_host_of_its_public_base_url_only(tmp_path, given, kept):
    config = load_config({"IMPPULSE_ENV": "production", "SECRET_KEY": "k" * 40, "PUBLIC_BASE_URL": given},
                         instance_path=tmp_path)
    assert config.PUBLIC_BASE_URL == kept
    assert config.as_mapping()["TRUSTED_HOSTS"] == [kept.split("//")[1].split(":")[0]]


def test_outside_production_links_may_come_from_the_server_address(tmp_path):
    config = load_config({}, instance_path=tmp_path)
    assert config.PUBLIC_BASE_URL is None and "TRUSTED_HOSTS" not in config.as_mapping()
    assert config.PORT == 5000


def test_a_staff_session_lasts_a_working_day(tmp_path):
    """The signed cookie's maximum age: a cookie copied and never logged out of dies within the day."""
    assert load_config({}, instance_path=tmp_path).PERMANENT_SESSION_LIFETIME.total_seconds() == 12 * 3600


def test_the_app_refuses_to_start_with_a_bad_variable(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        check=False,
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
