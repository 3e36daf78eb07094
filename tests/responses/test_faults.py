"""Faults and floods: a locked database answers 503 with the answers still in the form; floods get 429."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from imppulse_survey.campaigns.services import create_invitations
from imppulse_survey.config import PROJECT_ROOT
from imppulse_survey.extensions import db, limiter
from imppulse_survey.responses.models import Draft, Response, SealedResponse

from ..conftest import TEST_SECRET_KEY, make_app
from ..factories import Factories, minimal_questionnaire
from .helpers import Respondent


@contextmanager
def database_locked_for_writing(database_url: str, tables: str = "responses, drafts"):
    """Another connection holds the write lock: on SQLite the database's, on PostgreSQL ``tables``'."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
    else:
        connection = psycopg.connect(database_url)
        connection.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
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
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
        page = respondent.page
        assert '<html lang="fr"' in page and 'role="alert"' in page
        assert "Traceback" not in page
        assert 'value="3" selected' in page and "Ne perdez pas ceci</textarea>" in page
        assert respondent.carried()["trust"] == "7"
        # once the database is back, the same form goes through, once
        retry = respondent.answer(action)
        assert retry.status_code == (303 if action == "next" else 200)
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
    respondent.start()
    statuses = [respondent.answer("stay").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert '<html lang="fr"' in respondent.page and "Too many requests" not in respondent.page


def test_the_429_page_keeps_the_form_and_every_answer(client, make, strict_limits):
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    respondent = Respondent(client, campaign.slug, "fr")
    respondent.start()
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="dont_know")
    statuses = [respondent.answer("stay", district="3", comment="Gardez ceci").status_code for _ in range(5)]
    assert statuses[-1] == 429
    response = respondent.answer("next")
    page = respondent.page
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 61
    assert '<html lang="fr"' in page and 'role="alert"' in page and "<form" in page
    assert 'value="3" selected' in page and "Gardez ceci</textarea>" in page
    assert respondent.carried()["trust"] == "7"
    limiter.reset()
    assert respondent.answer("next").status_code == 303  # once the minute has passed, the same form goes through
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_token_guessing_is_throttled(client, make, strict_limits):
    make.campaign()
    statuses = [client.get(f"/i/guess{n:040d}").status_code for n in range(6)]
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
            if respondent.answer(district="1").status_code == 303:
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


@contextmanager
def writers_turn_held_by_another_process(database_url: str):
    """Another program holds the SQLite writers' turn (the lock file beside the database), as a long command would."""
    lock = f"{database_url.removeprefix('sqlite:///')}-writers"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, sys
        with open({lock!r}, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            print("holding", flush=True)
            sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


def answer_two_pages(app, slug):
    respondent = Respondent(app.test_client(), slug, "fr")
    respondent.start()
    respondent.answer(contact="2", trust="7")
    return respondent


def test_a_writers_turn_held_elsewhere_answers_503_in_bounded_time(impatient_app, make, database_url, is_postgresql):
    if is_postgresql:
        pytest.skip("the writers' turn is SQLite's")
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    with impatient_app.app_context():
        respondent = answer_two_pages(impatient_app, campaign.slug)
        client = impatient_app.test_client()
        with writers_turn_held_by_another_process(database_url):
            started = time.monotonic()
            response = respondent.answer(district="3", comment="gardez ceci")
            waited = time.monotonic() - started
            health = client.get("/healthz")
        assert response.status_code == 503 and waited < 3
        assert "gardez ceci</textarea>" in respondent.page and 'value="3" selected' in respondent.page
        assert health.status_code == 503 and health.get_json()["database"] == "locked"
        assert respondent.answer().status_code == 303
        assert client.get("/healthz").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_healthz_tells_a_locked_database(impatient_app, app_context, database_url):
    with impatient_app.app_context():
        client = impatient_app.test_client()
        with database_locked_for_writing(database_url):
            health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json() == {"status": "unavailable", "database": "locked"}
        assert client.get("/healthz").status_code == 200


def test_a_command_asking_for_a_password_holds_no_lock(make, database_url, tmp_path):
    """`users create` waits for a person at its prompt: submissions go on meanwhile."""
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY, "IMPPULSE_ENV": "testing",
                   "DATABASE_LOCK_TIMEOUT_MS": "500"}
    command = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "imppulse", "users", "create",
                                "waiting@efus.eu", "--role", "admin"], cwd=PROJECT_ROOT, env=environment,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)  # the command has started and is waiting at its prompt
        assert command.poll() is None
        body = {"submission_id": "2b5a4a3e-5f8e-4c65-9a55-0c8d5a1f2e3d", "language": "fr",
                "answers": {"contact": 2, "district": 1}}
        other_app = make_app(database_url, tmp_path, environ={"DATABASE_LOCK_TIMEOUT_MS": "500"})
        response = other_app.test_client().post(f"/api/v1/campaigns/{campaign.slug}/responses", json=body)
        with other_app.app_context():
            db.engine.dispose()
        assert response.status_code == 201
        output, _ = command.communicate("a long enough password\na long enough password\n", timeout=30)
    finally:
        command.kill()
    assert command.returncode == 0, output
    assert "created waiting@efus.eu" in output


def test_a_missing_sqlite_file_is_reported_not_created(tmp_path, is_postgresql):
    if is_postgresql:
        pytest.skip("SQLite's file")
    path = tmp_path / "gone.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path)
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "missing"
    page = client.get("/fr/s/somewhere/")
    assert page.status_code == 503 and '<html lang="fr"' in page.get_data(as_text=True)
    kept = client.post("/fr/s/somewhere/", data={"trust": "7", "comment": "à garder", "_action": "next"})
    assert kept.status_code == 503 and kept.headers["Retry-After"]
    assert 'name="comment" value="à garder"' in kept.get_data(as_text=True)
    assert not path.exists()
    with app.app_context():
        db.engine.dispose()


def test_a_corrupt_sqlite_file_answers_503_not_500(tmp_path, is_postgresql):
    if is_postgresql:
        pytest.skip("SQLite's file")
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database " * 1000)
    app = make_app(f"sqlite:///{path}", tmp_path)
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "corrupt"
    assert client.get("/fr/s/somewhere/").status_code == 503
    api = client.post("/api/v1/campaigns/somewhere/responses", json={
        "submission_id": "3b5a4a3e-5f8e-4c65-9a55-0c8d5a1f2e3d", "language": "fr", "answers": {}})
    assert api.status_code == 503 and api.get_json()["status"] == 503
    with app.app_context():
        db.engine.dispose()


class DisposablePostgreSQL:
    """A PostgreSQL server of the test's own, which the test may stop and start (the shared one serves the others)."""

    def __init__(self):
        self.bin = max(glob.glob("/usr/lib/postgresql/*/bin"))
        self.folder = Path(tempfile.mkdtemp(prefix="imppulse-outage-", dir="/tmp"))
        self.folder.chmod(0o755)  # the postgres user runs the server; pytest's own temp folders are root's only
        shutil.chown(self.folder, "postgres", "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def _as_postgres(self, program: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/{program}", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w", "-o",
                          f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def own_postgresql(is_postgresql):
    if not is_postgresql:
        pytest.skip("stops a PostgreSQL server: runs in the PostgreSQL pass")
    if os.geteuid() != 0 or not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pytest.skip("needs Debian's postgresql package and root (runuser) to start a server of its own")
    server = DisposablePostgreSQL()
    server.start()
    yield server
    server.remove()


def test_a_stopped_postgresql_keeps_the_answers_and_a_retry_lands_once(own_postgresql, tmp_path):
    """The server stops while a resident is on the last page: every page and the API answer 503 in the resident's
    language with what was typed, /healthz says so, and the same form sent again once it is back is stored once."""
    # every request reads the campaign, as one does once the few seconds a process keeps it are over
    app = make_app(own_postgresql.url, tmp_path, environ={"DATABASE_LOCK_TIMEOUT_MS": "500", "CAMPAIGN_CACHE_SECONDS": "0"})
    with app.app_context():
        db.create_all()
        campaign = Factories().campaign(version=Factories().version(minimal_questionnaire()))
        slug = campaign.slug
        respondent = answer_two_pages(app, slug)
        own_postgresql.stop()
        lost = respondent.answer(district="3", comment="ne perdez pas ceci")
        page = respondent.page
        assert lost.status_code == 503 and lost.headers["Retry-After"]
        assert '<html lang="fr"' in page and "Traceback" not in page
        assert 'name="comment" value="ne perdez pas ceci"' in page and respondent.carried()["trust"] == "7"
        client = app.test_client()
        assert client.get("/healthz").get_json() == {"status": "unavailable", "database": "unreachable"}
        assert client.get(f"/fr/s/{slug}/").status_code == 503
        api = client.post(f"/api/v1/campaigns/{slug}/responses", json={
            "submission_id": "4b5a4a3e-5f8e-4c65-9a55-0c8d5a1f2e3d", "language": "fr", "answers": {}})
        assert api.status_code == 503 and api.get_json()["status"] == 503
        own_postgresql.start()
        retried = respondent.post(respondent.hidden(page))  # the retry page's button: the same fields again
        assert retried.status_code == 303 and retried.headers["Location"].endswith("/thanks")
        assert respondent.post(respondent.hidden(page)).status_code == 303  # and once more: still one response
        assert client.get("/healthz").status_code == 200
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        db.session.remove()
        db.engine.dispose()


def test_an_officer_keeps_the_answers_and_the_ballot_through_a_failure(impatient_app, make, database_url):
    """The database fails as an officer sends the last page: nothing is spent, the page comes back with the answers,
    and the same ballot sends them once it is back."""
    campaign = make.campaign("testville-officers", version=make.version(minimal_questionnaire(audience="officer")),
                             access_mode="invitation")
    token, = create_invitations(campaign, 1)
    db.session.commit()
    with impatient_app.app_context():
        client = impatient_app.test_client()
        assert client.get(f"/i/{token}").status_code == 302
        respondent = Respondent(client, campaign.slug, "fr")
        respondent.start()
        respondent.answer(contact="2", trust="4")
        with database_locked_for_writing(database_url, tables="responses, drafts, spent_ballots, sealed_responses"):
            failed = respondent.answer(district="2", comment="à garder")
        assert failed.status_code == 503 and "à garder</textarea>" in respondent.page
        assert respondent.answer().headers["Location"].endswith("/thanks")
    assert db.session.scalar(select(func.count()).select_from(SealedResponse)) == 1
