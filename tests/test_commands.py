"""Operators' commands: every domain's are registered, and those that only read take no write lock, so that they
neither wait for a writer nor make submissions wait while they print."""

from __future__ import annotations

import time
from types import SimpleNamespace

import click
import pytest
from sqlalchemy import select

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.models import City
from imppulse_survey.extensions import db

from .conftest import make_app
from .factories import as_yaml, minimal_questionnaire
from .responses.test_faults import database_locked_for_writing, writers_turn_held_by_another_process

#: every command under ``flask imppulse``, by its path
COMMANDS = {
    "questionnaire check", "questionnaire load", "questionnaire list", "questionnaire pack-template",
    "questionnaire add-language", "questionnaire review", "questionnaire show",
    "campaign create", "campaign list", "campaign open", "campaign texts", "campaign retention", "campaign threshold",
    "campaign close", "invitations create", "poster",
    "release", "releases", "declare pooled", "declare group",
    "purge", "drafts purge",
    "users create", "users token", "users tokens", "users revoke", "users password",
    "weights rake", "indicators rebuild", "microdata build", "audit", "demo", "xlsform read",
}

#: the commands that write nothing to the database, with arguments that make them succeed on ``scene``
READING = {
    "questionnaire list": ["questionnaire", "list"],
    "questionnaire show": ["questionnaire", "show", "test-survey"],
    "questionnaire pack-template": ["questionnaire", "pack-template", "test-survey", "1"],
    "questionnaire check": ["questionnaire", "check", "{questionnaire_file}"],
    "campaign list": ["campaign", "list"],
    "audit": ["audit"],
    "releases": ["releases", "testville-residents"],
    "users tokens": ["users", "tokens", "reader@testville.fr"],
    "poster": ["poster", "testville-residents", "--lang", "fr", "--out", "{poster_file}"],
}
THRESHOLD = ["campaign", "threshold", "testville-residents", "12"]
#: what holds the write lock while a command runs: a lock timeout of 200 ms is what the writer is given
HOLDERS = {
    "a write transaction of another connection": lambda url: database_locked_for_writing(url, tables="campaigns"),
    "the writers' turn held by another process": writers_turn_held_by_another_process,
}


def command_paths(group: click.Group, prefix: str = "") -> set[str]:
    paths = set()
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        paths |= command_paths(command, f"{path} ") if isinstance(command, click.Group) else {path}
    return paths


def test_every_domain_registers_its_commands(app):
    assert command_paths(app.cli.commands["imppulse"]) == COMMANDS
    assert set(READING) <= COMMANDS


@pytest.fixture
def scene(make, tmp_path):
    """A published questionnaire (also as a file), an open campaign and a user with a token, all committed."""
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    issue_token(create_user("reader@testville.fr", "a long enough password", "manager", campaign.city), "reading")
    db.session.commit()
    questionnaire_file = tmp_path / "test-survey.yaml"
    questionnaire_file.write_text(as_yaml(minimal_questionnaire()), encoding="utf-8")
    return SimpleNamespace(questionnaire_file=questionnaire_file, poster_file=tmp_path / "poster.svg")


@pytest.fixture
def impatient_app(database_url, tmp_path, app_context):
    """The app on the test session's database, with a lock timeout short enough for a refused writer to fail fast."""
    app = make_app(database_url, tmp_path, environ={"DATABASE_LOCK_TIMEOUT_MS": "200"})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=HOLDERS)
def lock_held(request, database_url, is_postgresql):
    """Enters a context in which another connection or process holds the write lock."""
    if is_postgresql and request.param == "the writers' turn held by another process":
        pytest.skip("the writers' turn is SQLite's")
    return lambda: HOLDERS[request.param](database_url)


def invoke(app, args: list[str]):
    with app.app_context():
        started = time.monotonic()
        result = app.test_cli_runner().invoke(args=["imppulse", *args])
        return result, time.monotonic() - started


@pytest.mark.parametrize("command", READING)
def test_a_reading_command_goes_on_while_the_write_lock_is_held(command, scene, impatient_app, lock_held):
    args = [part.format(**vars(scene)) for part in READING[command]]
    with lock_held():
        result, _ = invoke(impatient_app, args)
    assert result.exit_code == 0, f"{result.output}{result.exception!r}"


def test_a_writing_command_waits_for_the_write_lock_in_bounded_time(scene, impatient_app, lock_held):
    with lock_held():
        result, waited = invoke(impatient_app, THRESHOLD)
    assert result.exit_code == 1 and waited < 3
    assert "the database cannot be written now" in result.output and "Traceback" not in result.output
    result, _ = invoke(impatient_app, THRESHOLD)  # once the lock is free, the same command goes through
    assert result.exit_code == 0, result.output


def test_a_reading_command_writes_nothing_and_holds_no_transaction(app_context, make):
    """Nothing it changes by mistake is kept, and the transaction its reads began is over when it returns."""
    from imppulse_survey.core.commands import reading

    @reading
    def careless():
        make.city("careless")

    careless()
    assert not db.session().in_transaction()
    assert db.session.scalar(select(City).filter_by(slug="careless")) is None
