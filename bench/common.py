"""What the benchmarks share: database preparation, the app in-process, and gunicorn servers they start."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET_KEY = "bench-" + "k" * 40  # fixed, ≥ 32 characters; the bench signs nothing that matters


def sqlalchemy_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def describe_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if not parts.password:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def ensure_postgresql_database(url: str) -> None:
    """Create the database named in a PostgreSQL URL when it does not exist (as ``createdb`` would)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urllib.parse.urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def server_environment(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        IMPPULSE_ENV="production",
        PUBLIC_BASE_URL=f"http://{HOST}",
        RATELIMIT_ENABLED="false",
    )
    env.pop("FLASK_APP", None)
    return env


def migrate(database_url: str) -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT, env=server_environment(database_url), capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("migration failed")
    print(f"migrated in {time.perf_counter() - started:.1f} s")


def make_app(database_url: str):
    sys.path.insert(0, str(ROOT))
    from imppulse_survey import create_app
    from imppulse_survey.config import ProductionConfig

    environ = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "false",
               "PUBLIC_BASE_URL": f"http://{HOST}"}
    return create_app(ProductionConfig(environ))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    log: Path
    process: subprocess.Popen | None = None

    def start(self, env: dict, cwd: Path) -> None:
        self.process = subprocess.Popen(
            self.command, cwd=cwd, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches the bench, which stops it cleanly
        )

    def wait_ready(self, probe, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} gunicorn exited with {self.process.returncode}:\n{self.tail()}")
            try:
                probe()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [self.process.pid, *map(int, children)]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown (SIGTERM would be graceful)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group, started above
            self.process.wait(timeout=5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def create_campaign(app, waves: list[str]) -> str:
    """A fresh resident campaign (unique slug, so a reused database is fine) in Nantes with the standard
    questionnaire; its waves are opened in turn, so the last one is taking responses now."""
    import yaml
    from sqlalchemy import select

    from imppulse_survey.campaigns.models import City, District
    from imppulse_survey.campaigns.services import create_campaign as create
    from imppulse_survey.campaigns.services import open_wave
    from imppulse_survey.demo.loader import CITIES_FILE, PILOT_LABEL
    from imppulse_survey.extensions import db
    from imppulse_survey.questionnaires.services import publish_standard

    slug = f"bench-{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    city_data = next(c for c in yaml.safe_load(CITIES_FILE.read_text("utf-8"))["cities"] if c["slug"] == "nantes")
    with app.app_context():
        version = publish_standard()["resident-perception"]
        city = db.session.scalar(select(City).filter_by(slug="bench-nantes"))
        if city is None:
            city = City(slug="bench-nantes", name="Nantes (bench)", country=city_data["country"],
                        default_language="fr")
            db.session.add(city)
            for district in city_data["districts"]:
                db.session.add(District(city=city, code=district["code"], name=district["name"],
                                        population=district.get("population")))
            db.session.flush()
        languages = [language for language in ("fr", "en") if language in version.definition["languages"]]
        campaign = create(
            slug=slug, city=city, version=version, access_mode="open", languages=languages,
            default_language="fr", disclosure_threshold=10,
            pilot_label={language: PILOT_LABEL[language] for language in languages},
            forces={language: city_data["forces"][language] for language in languages},
            organiser={language: city_data["organiser"][language] for language in languages},
        )
        for label in waves:
            open_wave(campaign, label)
        db.session.commit()
    return slug
