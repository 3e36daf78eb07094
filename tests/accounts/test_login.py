"""Staff accounts: creation, login without enumeration, throttling, safe redirects, tokens, city scope."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from imppulse_survey.accounts.models import ApiToken, User
from imppulse_survey.accounts.services import authenticate, revoke_token
from imppulse_survey.extensions import db, limiter

PASSWORD = "correct horse battery"


def create(runner, email, role, city=None, password=PASSWORD):
    args = ["imppulse", "users", "create", email, "--role", role, "--password-stdin"]
    if city:
        args += ["--city", city]
    return runner.invoke(args=args, input=password + "\n")


@pytest.fixture
def cities(make):
    return make.city("nantes"), make.city("lisbon", language="pt")


def csrf(client, path):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


def login(client, email, password=PASSWORD, next_url=None):
    path = "/en/staff/login" + (f"?next={next_url}" if next_url else "")
    token = csrf(client, path)
    return client.post(path, data={"csrf_token": token, "email": email, "password": password})


def test_create_users_from_the_command_line(runner, cities):
    assert create(runner, "Chloe@Nantes.fr", "manager", "nantes").output.strip() == "created chloe@nantes.fr (manager, nantes)"
    assert create(runner, "efus@efus.eu", "admin").exit_code == 0
    user = db.session.scalar(select(User).filter_by(email="chloe@nantes.fr"))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.parametrize("args, message", [
    (("a@b.eu", "admin", "nantes"), "Error: admins belong to no city; every other role needs --city"),
    (("a@b.eu", "viewer", None), "Error: admins belong to no city; every other role needs --city"),
    (("not-an-email", "viewer", "nantes"), "Error: 'not-an-email' is not an e-mail address"),
    (("a@b.eu", "viewer", "nantes", "short"), "Error: the password must have at least 12 characters"),
    (("a@b.eu", "viewer", "atlantis"), "Error: no city 'atlantis'"),
])
def test_create_refuses_bad_input(runner, cities, args, message):
    result = create(runner, *args)
    assert result.exit_code == 1 and result.output.strip() == message


def test_login_opens_a_fresh_session_and_logout_ends_it(client, runner, cities):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = login(client, "chloe@nantes.fr")
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/"
    with client.session_transaction() as session:
        assert "planted" not in session
    page = client.get("/en/staff/").get_data(as_text=True)
    assert "chloe@nantes.fr" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/en/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/en/staff/").status_code == 302


def test_unknown_user_and_wrong_password_look_the_same(client, runner, cities):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    unknown = login(client, "nobody@nantes.fr")
    wrong = login(client, "chloe@nantes.fr", "wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))
    assert strip(unknown) == strip(wrong).replace("chloe@nantes.fr", "nobody@nantes.fr")


def test_an_unknown_user_costs_a_password_hash_too(cities, monkeypatch):
    from imppulse_survey.accounts import services

    verified = []

    class CountingHasher:
        def verify(self, hashed, password):
            verified.append(hashed)
            return services.PasswordHasher().verify(hashed, password)

    monkeypatch.setattr(services, "hasher", CountingHasher())
    assert authenticate("nobody@example.org", PASSWORD) is None
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_repeated_failures_on_an_account_slow_it_down_for_a_minute(client, runner, cities, monkeypatch):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    create(runner, "jean@nantes.fr", "viewer", "nantes")
    statuses = [login(client, "chloe@nantes.fr", "wrong password!").status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    assert login(client, "chloe@nantes.fr").status_code == 429  # the owner too, until the minute has passed
    assert login(client, "jean@nantes.fr").status_code == 302  # a colleague at the same address is not slowed
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)  # the memory storage's clock
    assert login(client, "chloe@nantes.fr").status_code == 302  # slowed, never locked
    limiter.reset()


def test_successful_logins_from_one_address_are_never_counted(app, client, runner, cities, monkeypatch):
    """Thirty officers of one police station share an address: only failures count against it."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    create(runner, "jean@nantes.fr", "viewer", "nantes")
    assert [login(client, email, "wrong password!").status_code
            for email in ("chloe@nantes.fr", "jean@nantes.fr")] == [401, 401]
    successes = [login(client, email).headers.get("Location") for email in ["chloe@nantes.fr", "jean@nantes.fr"] * 2]
    assert successes == ["/en/staff/"] * 4  # more than the limit
    assert login(client, "nobody@nantes.fr").status_code == 401  # the address's third failure
    assert login(client, "chloe@nantes.fr").status_code == 429  # now the address waits
    limiter.reset()


@pytest.mark.parametrize("target, expected", [
    ("https://elsewhere.example/", "/en/staff/"),
    ("//elsewhere.example/", "/en/staff/"),
    ("/\\elsewhere.example", "/en/staff/"),
    ("javascript:alert(1)", "/en/staff/"),
    ("/fr/staff/", "/fr/staff/"),
])
def test_next_is_limited_to_local_paths(client, runner, cities, target, expected):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    assert login(client, "chloe@nantes.fr", next_url=target).headers["Location"] == expected


def test_a_tampered_session_cookie_is_not_a_login(client, runner, cities):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    login(client, "chloe@nantes.fr")
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-3] + ("abc" if not cookie.value.endswith("abc") else "xyz"))
    assert client.get("/en/staff/").status_code == 302


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(client, runner, cities):
    create(runner, "ana@lisboa.pt", "analyst", "lisbon")
    output = runner.invoke(args=["imppulse", "users", "token", "ana@lisboa.pt"]).output.strip().splitlines()
    token = output[-1]
    assert token.startswith("imp_") and len(token) > 40
    stored = db.session.scalar(select(ApiToken))
    assert token not in stored.token_hash
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/en/staff/", headers=headers).status_code == 200
    assert client.get("/en/staff/", headers={"Authorization": "Bearer imp_forged"}).status_code == 401
    revoke_token(stored.user, stored.id)
    db.session.commit()
    assert client.get("/en/staff/", headers=headers).status_code == 401


def test_staff_see_their_own_city_only(client, runner, make, cities):
    nantes, lisbon = cities
    version = make.version()
    make.campaign("nantes-residents", city=nantes, version=version)
    make.campaign("lisbon-residents", city=lisbon, version=version)
    create(runner, "chloe@nantes.fr", "viewer", "nantes")
    create(runner, "efus@efus.eu", "admin")
    login(client, "chloe@nantes.fr")
    page = client.get("/en/staff/").get_data(as_text=True)
    assert "nantes-residents" in page and "lisbon-residents" not in page
    client.post("/en/staff/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    login(client, "efus@efus.eu")
    page = client.get("/en/staff/").get_data(as_text=True)
    assert "nantes-residents" in page and "lisbon-residents" in page


def test_tokens_are_listed_and_revoked_from_the_command_line(client, runner, cities):
    create(runner, "ana@lisboa.pt", "analyst", "lisbon")
    create(runner, "rui@lisboa.pt", "viewer", "lisbon")
    token = runner.invoke(args=["imppulse", "users", "token", "ana@lisboa.pt", "--label", "laptop"]).output.split()[-1]
    listed = runner.invoke(args=["imppulse", "users", "tokens", "ana@lisboa.pt"]).output
    token_id = int(listed.split("\t")[0])
    assert "laptop" in listed and "active" in listed and token not in listed
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get("/en/staff/", headers=headers)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers  # token requests keep no session
    refused = runner.invoke(args=["imppulse", "users", "revoke", "rui@lisboa.pt", str(token_id)])
    assert refused.exit_code == 1 and "no such token" in refused.output  # only the owner's tokens
    assert client.get("/en/staff/", headers=headers).status_code == 200
    revoked = runner.invoke(args=["imppulse", "users", "revoke", "ana@lisboa.pt", str(token_id)])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/en/staff/", headers=headers).status_code == 401  # a program gets 401, not a login page
    assert "revoked" in runner.invoke(args=["imppulse", "users", "tokens", "ana@lisboa.pt"]).output
    assert runner.invoke(args=["imppulse", "users", "tokens", "nobody@x.eu"]).exit_code == 1


def logout(client):
    page = client.get("/en/staff/").get_data(as_text=True)
    return client.post("/en/staff/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})


def test_logout_ends_every_session_of_the_user(app, client, runner, cities):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    login(client, "chloe@nantes.fr")
    copied = client.get_cookie("session").value
    laptop = app.test_client()
    login(laptop, "chloe@nantes.fr")
    assert logout(client).status_code == 302
    client.set_cookie("session", copied)  # what someone copied before the logout
    assert client.get("/en/staff/").status_code == 302
    assert client.get("/api/v1/campaigns/nantes-residents/releases").status_code == 401
    assert laptop.get("/en/staff/").status_code == 302  # the same user's other devices too


def test_a_password_change_ends_every_session_of_the_user(client, runner, cities):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    login(client, "chloe@nantes.fr")
    copied = client.get_cookie("session").value
    result = runner.invoke(args=["imppulse", "users", "password", "Chloe@Nantes.fr", "--password-stdin"],
                           input="a brand new passphrase\n")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "password of Chloe@Nantes.fr changed; every session of this user has ended"
    client.set_cookie("session", copied)
    assert client.get("/en/staff/").status_code == 302
    assert client.get("/api/v1/campaigns/nantes-residents/releases").status_code == 401
    assert login(client, "chloe@nantes.fr").status_code == 401
    assert login(client, "chloe@nantes.fr", "a brand new passphrase").status_code == 302


def test_the_new_password_is_asked_for_before_the_database_is_locked(runner, cities, monkeypatch):
    """Nobody's submission waits while a person types: the prompt comes while the command line is read."""
    import click

    from imppulse_survey.core import commands

    create(runner, "chloe@nantes.fr", "manager", "nantes")
    events = []
    prompt, begin_write = click.prompt, commands.begin_write
    monkeypatch.setattr(click, "prompt", lambda *args, **kwargs: (events.append("prompt"), prompt(*args, **kwargs))[1])
    monkeypatch.setattr(commands, "begin_write", lambda: (events.append("write lock"), begin_write())[1])
    result = runner.invoke(args=["imppulse", "users", "password", "chloe@nantes.fr"],
                           input="a brand new passphrase\na brand new passphrase\n")
    assert result.exit_code == 0, result.output
    assert events == ["prompt", "write lock"]
    assert "a brand new passphrase" not in result.output  # hidden as it is typed


@pytest.mark.parametrize("email, password, message", [
    ("chloe@nantes.fr", "short", "Error: the password must have at least 12 characters"),
    ("chloe@nantes.fr", "x" * 1001, "Error: the password must have at most 1,000 characters"),
    ("nobody@nantes.fr", PASSWORD, "Error: no user nobody@nantes.fr"),
])
def test_a_password_change_refuses_bad_input(runner, cities, email, password, message):
    create(runner, "chloe@nantes.fr", "manager", "nantes")
    result = runner.invoke(args=["imppulse", "users", "password", email, "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1 and result.output.strip() == message


def test_a_session_cookie_lasts_twelve_hours_at_most(client, runner, cities, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    create(runner, "chloe@nantes.fr", "manager", "nantes")
    twelve_hours_ago = int(time.time()) - 12 * 3600 - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: twelve_hours_ago)
    login(client, "chloe@nantes.fr")  # the cookie is signed twelve hours and a minute ago
    monkeypatch.undo()
    assert client.get("/en/staff/").status_code == 302
