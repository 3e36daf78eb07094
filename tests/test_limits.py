"""Rate limits count refusals per address and uses per credential, under keys that hold no address or secret.

Counting across workers through Redis is tested in tests/servers/test_shared_limits.py.
"""

from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf

from imppulse_survey.core import limits
from imppulse_survey.core.limits import configured, hashed, session_credential, uses_per
from imppulse_survey.extensions import db, limiter

from .conftest import make_app

STAFF_API = ["/api/v1/campaigns/nantes-residents/indicators", "/api/v1/campaigns/nantes-residents/indicators/trust/change",
             "/api/v1/campaigns/nantes-residents/releases"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(runner, make):
    make.city("nantes")
    runner.invoke(args=["imppulse", "users", "create", "ana@nantes.fr", "--role", "analyst", "--city", "nantes",
                        "--password-stdin"], input="correct horse battery\n")
    return runner.invoke(args=["imppulse", "users", "token", "ana@nantes.fr"]).output.split()[-1]


def test_api_token_guesses_share_one_count_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TOKEN_RATE_LIMIT", "4 per minute")
    guesses = [client.get(path, headers=bearer(f"imp_guess{number}")).status_code
               for number, path in enumerate(STAFF_API + ["/en/staff/"] + STAFF_API)]
    assert guesses == [401] * 4 + [429] * 3


def test_a_valid_token_is_never_slowed_by_its_own_uses(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "TOKEN_RATE_LIMIT", "2 per minute")
    assert [client.get("/en/staff/", headers=bearer(token)).status_code for _ in range(5)] == [200] * 5
    assert [client.get(STAFF_API[2], headers=bearer(f"imp_guess{n}")).status_code for n in range(3)] == [401, 401, 429]


def test_keys_hold_no_address_and_change_every_day(app, monkeypatch):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        today = limits.client_address_key()
        assert today == hashed("address", "203.0.113.9") and "203.0.113" not in today
        assert today.startswith("address:") and len(today) == len("address:") + 32
        assert hashed("credential", "203.0.113.9") != today  # each kind of key has its own daily key
        monkeypatch.setattr(limits, "utc_today", lambda: "2099-01-01")
        assert limits.client_address_key() != today


def test_an_ipv6_client_is_counted_by_its_network(app):
    """An IPv6 client holds a whole /64: counted per address, it could guess from 2^64 of them."""
    def key(address):
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": address}):
            return limits.client_address_key()

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") != key("2001:db8:1:3::1")
    assert key("203.0.113.9") != key("203.0.113.10")


@pytest.fixture
def counted_app(database_url, tmp_path):
    """A fresh app with one more route, limited per browser session as a questionnaire page would be."""
    app = make_app(database_url, tmp_path)

    @uses_per(session_credential, configured("SUBMISSION_RATE_LIMIT"))
    def page():
        return generate_csrf()  # what a page with a form does: the session gets its CSRF secret

    app.add_url_rule("/page", "page", page)
    app.config["SUBMISSION_RATE_LIMIT"] = "3 per minute"
    yield app
    with app.app_context():
        limiter.reset()
        db.engine.dispose()


def test_each_browser_session_has_its_own_allowance(counted_app):
    """Thirty officers behind one station address each have a session: one flooding does not stop the others."""
    flooding, colleague = counted_app.test_client(), counted_app.test_client()
    # the first page gives the session its secret; it is counted from then on
    assert [flooding.get("/page").status_code for _ in range(5)] == [200] * 4 + [429]
    assert [colleague.get("/page").status_code for _ in range(4)] == [200] * 4
