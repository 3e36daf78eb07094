"""Two gunicorn workers share their rate-limit counters through Redis, count refusals only, and store no address."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import redis
import requests

from .conftest import ROOT, free_port

TOKEN_LIMIT, LOGIN_LIMIT = 5, 3
PASSWORD = "correct horse battery"


LIMITS = {"TOKEN_RATE_LIMIT": f"{TOKEN_LIMIT} per hour", "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per hour"}


@pytest.fixture(scope="module")
def servers(gunicorn, redis_url):
    """Two workers of one deployment (two gunicorns, one worker each, one Redis), and one whose Redis is gone."""
    started = {"workers": [gunicorn.start(RATELIMIT_STORAGE_URI=redis_url, **LIMITS) for _ in range(2)],
               "without_redis": gunicorn.start(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0", **LIMITS)}
    for server in [*started["workers"], started["without_redis"]]:
        server.wait_until_serving()  # all three load the app at once
    return started


@pytest.fixture
def workers(servers):
    return servers["workers"]


@pytest.fixture
def counters(redis_url):
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        client.flushall()
        yield client


@pytest.fixture
def station(runner, make):
    """A police station's staff, with an API token for the first of them."""
    make.city("nantes")
    emails = [f"officer{number}@nantes.fr" for number in range(3)]
    for email in emails:
        result = runner.invoke(args=["imppulse", "users", "create", email, "--role", "viewer", "--city", "nantes",
                                     "--password-stdin"], input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
    token = runner.invoke(args=["imppulse", "users", "token", emails[0]]).output.split()[-1]
    return emails, token


def log_in(worker, email: str, password: str = PASSWORD) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{worker.url}/en/staff/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return browser.post(f"{worker.url}/en/staff/login", data={"csrf_token": csrf, "email": email, "password": password},
                        allow_redirects=False, timeout=30)


def with_token(worker, path: str, token: str) -> int:
    return requests.get(worker.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def test_two_workers_give_a_token_guesser_the_limit_once(workers, counters):
    guesses = [with_token(workers[number % 2], "/api/v1/campaigns/nantes-residents/indicators", f"imp_guess{number}")
               for number in range(3 * TOKEN_LIMIT)]
    assert guesses == [401] * TOKEN_LIMIT + [429] * (2 * TOKEN_LIMIT)
    # every credential check shares the count: another route, another worker, still refused
    assert with_token(workers[0], "/api/v1/campaigns/nantes-residents/releases", "imp_another_guess") == 429


def test_a_police_station_behind_one_address_is_not_blocked(workers, counters, station):
    emails, token = station
    failures = [log_in(workers[number % 2], emails[number], "wrong password!").status_code
                for number in range(LOGIN_LIMIT - 1)]
    assert failures == [401] * (LOGIN_LIMIT - 1)
    logins = [log_in(workers[number % 2], emails[number % len(emails)]) for number in range(2 * LOGIN_LIMIT)]
    assert [login.headers.get("Location") for login in logins] == ["/en/staff/"] * (2 * LOGIN_LIMIT)
    assert [with_token(workers[number % 2], "/en/staff/", token) for number in range(2 * TOKEN_LIMIT)] == (
        [200] * (2 * TOKEN_LIMIT))
    # the failures were counted across both workers: one more, and the address waits
    assert log_in(workers[0], emails[0], "wrong password!").status_code == 401
    assert log_in(workers[1], emails[1]).status_code == 429


def test_redis_holds_no_client_address_account_or_token(workers, counters, station):
    emails, token = station
    log_in(workers[0], emails[0], "wrong password!")
    with_token(workers[1], "/en/staff/", "imp_a_guess_at_a_token")
    with_token(workers[0], "/en/staff/", token)
    keys = list(counters.scan_iter())
    assert any(re.search(r"address:[0-9a-f]{32}", key) for key in keys)
    assert any(re.search(r"credential:[0-9a-f]{32}", key) for key in keys)  # the account typed at login
    stored = keys + [counters.get(key) for key in keys if counters.type(key) == "string"]
    for secret in ("127.0.0.1", "nantes.fr", "imp_"):
        assert not [value for value in stored if secret in value], secret


def test_gunicorn_refuses_workers_that_would_each_count_alone(database_url):
    from ..conftest import TEST_SECRET_KEY

    environ = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY,
               "IMPPULSE_ENV": "testing", "RATELIMIT_STORAGE_URI": "memory://"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"127.0.0.1:{free_port()}", "--workers", "2"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "2 workers would each keep their own rate-limit counters (RATELIMIT_STORAGE_URI is memory://)" in (
        result.stderr)


def test_without_redis_each_worker_counts_alone_rather_than_fail(servers):
    """Redis down: the counters fall back to the worker's memory until it is back, and nobody gets a 500."""
    server = servers["without_redis"]
    guesses = [with_token(server, "/api/v1/campaigns/nantes-residents/releases", f"imp_guess{number}") for number in range(7)]
    assert guesses == [401] * TOKEN_LIMIT + [429] * 2
