"""Request logs hold no invitation token, no resume key, no client address and no time to the second."""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

TOKEN = "Zx9-invitation-token-never-logged-0123456789"
KEY = "Qk7-resume-key-never-logged-0123456789"
ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours the request line on a terminal
SECRET_PATHS = [f"/i/{TOKEN}", f"/en/s/nantes-residents/resume/{KEY}", f"/i/{TOKEN}?utm_source=poster"]


def assert_private(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert TOKEN not in text and KEY not in text
    assert "127.0.0.1" not in text
    assert "/i/…" in text and "/en/s/nantes-residents/resume/…" in text
    assert not re.search(r"\b\d\d:\d\d:\d\d\b", text)  # times to the minute


@pytest.fixture
def development_server(app):
    """What `make run` starts (flask run): werkzeug's server, here on a free port, in a thread."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_the_development_server_logs_no_secret_and_no_address(development_server, caplog):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        for path in SECRET_PATHS:
            requests.get(development_server + path, timeout=10, allow_redirects=False)
    lines = [ANSI_STYLE.sub("", record.getMessage()) for record in caplog.records if record.name == "werkzeug"]
    assert len(lines) == len(SECRET_PATHS)
    assert_private(lines)
    assert re.fullmatch(r'\[\d\d/\w{3}/\d{4} \d\d:\d\d\] "GET /i/… HTTP/1.1" 403 -', lines[0])


def test_the_app_log_names_no_secret(app, caplog):
    """Flask logs an unexpected error with the path it happened on."""
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        app.logger.error("Exception on %s [GET]", SECRET_PATHS[0])
    assert [record.getMessage() for record in caplog.records] == ["Exception on /i/… [GET]"]


def requests_logged(server, count: int) -> list[str]:
    """The access log's lines but the health checks; gunicorn writes a line just after it sends the response."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in server.access_log().splitlines() if "/healthz" not in line]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_gunicorn_logs_no_secret_and_no_address(gunicorn):
    server = gunicorn.start()
    server.wait_until_serving()
    for path in SECRET_PATHS:
        requests.get(server.url + path, timeout=10, allow_redirects=False,
                     headers={"X-Forwarded-For": "203.0.113.9", "Referer": f"https://mail.example/i/{TOKEN}"})
    lines = requests_logged(server, len(SECRET_PATHS))
    assert_private(lines)
    assert "203.0.113.9" not in "\n".join(lines)
    assert re.fullmatch(r'\[\d\d/\w{3}/\d{4}:\d\d:\d\d [+-]\d{4}\] "GET /i/… HTTP/1.1" 403 \d+ \d+ms', lines[0])
