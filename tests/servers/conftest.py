"""Fixtures: a throwaway redis-server, and gunicorn serving ``app:app`` on the test database.

gunicorn starts from the repository root, so it reads ``gunicorn.conf.py`` as a deployment would. Its app reads
the same environment variables as ``tests.conftest.make_app`` (DATABASE_URL, SECRET_KEY, IMPPULSE_ENV=testing), so
it sees what a test commits; every process started here is stopped at the end.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = Path("/usr/bin/redis-server")  # Debian's package; .ci/run installs it
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, describe) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with status {process.returncode}:\n{describe()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    pytest.fail(f"did not answer within {START_TIMEOUT_S} s:\n{describe()}")


def stop(*processes: subprocess.Popen) -> None:
    running = [process for process in processes if process.poll() is None]
    for process in running:  # all at once: gunicorn takes a second or so to notice
        process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown; redis-server: shutdown without saving
    for process in running:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server of its own on a free port, persistence off, as docs/deploy.md asks of production."""
    if not REDIS_SERVER.exists():
        pytest.skip(f"the shared rate-limit tests need Debian's redis-server at {REDIS_SERVER} "
                    "(apt-get install redis-server; .ci/run does)")
    import redis

    port, workdir = free_port(), tmp_path_factory.mktemp("redis")
    log = workdir / "redis.log"
    process = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(process, port, lambda: log.read_text() if log.exists() else "")
        url = f"redis://127.0.0.1:{port}/0"
        with redis.Redis.from_url(url) as client:
            client.ping()
        yield url
    finally:
        stop(process)


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    logs: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> str:
        return (self.logs / "access.log").read_text()

    def error_log(self) -> str:
        path = self.logs / "error.log"
        return path.read_text() if path.exists() else ""


    def wait_until_serving(self) -> None:
        """gunicorn listens before its worker has loaded the app: wait for an answer from the app itself."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with status {self.process.returncode}:\n{self.error_log()}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
            finally:
                connection.close()
        pytest.fail(f"gunicorn did not answer within {START_TIMEOUT_S} s:\n{self.error_log()}")


class Launcher:
    """Starts gunicorns (one worker each, so that each is one "worker" of a deployment) and stops them all."""

    def __init__(self, database_url: str, tmp_path_factory):
        self.database_url, self.tmp_path_factory = database_url, tmp_path_factory
        self.started: list[Gunicorn] = []

    def start(self, **environ) -> Gunicorn:
        """Start one on a free port without waiting, so that several load the app at once."""
        port, logs = free_port(), self.tmp_path_factory.mktemp("gunicorn")
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": TEST_SECRET_KEY,
               "IMPPULSE_ENV": "testing", **environ}
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--access-logfile", str(logs / "access.log"), "--error-logfile", str(logs / "error.log"),
             "--no-control-socket"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        self.started.append(server := Gunicorn(process, port, logs))
        return server

    def stop_all(self) -> None:
        stop(*(server.process for server in self.started))


@pytest.fixture(scope="session")
def gunicorn(app, database_url, tmp_path_factory):
    """Needs ``app``: the session's database has its tables before any gunicorn reads it."""
    launcher = Launcher(database_url, tmp_path_factory)
    try:
        yield launcher
    finally:
        launcher.stop_all()
