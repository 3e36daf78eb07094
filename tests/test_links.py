"""Absolute links come from PUBLIC_BASE_URL or the server's own address, never from the Host header."""

from __future__ import annotations

import csv
import http.client
import threading
import xml.etree.ElementTree as ET

import pytest
from werkzeug.serving import make_server

from imppulse_survey.core.links import public_url
from imppulse_survey.extensions import db

from .conftest import make_app

EVIL = {"Host": "evil.example"}


@pytest.fixture
def linking_app(database_url, tmp_path):
    """A fresh app with one more route, which answers the absolute link it builds to the home page."""
    app = make_app(database_url, tmp_path)
    app.add_url_rule("/link", "link", lambda: public_url("core.home", lang="en"))
    yield app
    with app.app_context():
        db.engine.dispose()


def get(port: int, path: str, headers: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_forged_host_header_builds_no_link_to_it(linking_app):
    """Served over real HTTP: the link starts from the address the server was started on."""
    server = make_server("127.0.0.1", 0, linking_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, body = get(server.server_port, "/link", EVIL)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert status == 200
    assert body == f"http://127.0.0.1:{server.server_port}/en/"


def test_the_public_base_url_wins_over_any_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://survey.example.org")
    with app.test_request_context("/en/", headers=EVIL):
        assert public_url("respond.resume", lang="fr", slug="nantes-residents", key="k3y") == (
            "https://survey.example.org/fr/s/nantes-residents/resume/k3y")


def test_without_a_public_base_url_links_use_the_server_name_not_the_host(app):
    with app.test_request_context("/en/", base_url="http://localhost:8080", headers=EVIL):
        assert public_url("core.home", lang="fr") == "http://localhost:8080/fr/"


def test_production_refuses_a_request_for_another_host(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["survey.example.org"])  # what production sets (test_config)
    assert client.get("/en/", headers=EVIL).status_code == 400
    assert client.get("/en/", headers={"Host": "survey.example.org"}).status_code == 200


@pytest.fixture
def poster_texts(runner, make, tmp_path):
    campaign = make.campaign("testville-residents")

    def poster_texts(*options) -> list[str]:
        out = tmp_path / "poster.svg"
        out.unlink(missing_ok=True)
        result = runner.invoke(args=["imppulse", "poster", campaign.slug, "--lang", "fr", "--out", str(out), *options])
        assert result.exit_code == 0, result.output
        return [element.text for element in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")]

    return poster_texts


def test_commands_link_to_the_public_base_url_or_the_development_server(app, poster_texts, monkeypatch):
    assert "http://127.0.0.1:5000/fr/s/testville-residents/" in poster_texts()
    monkeypatch.setitem(app.config, "PORT", 8000)  # PORT=8000 make run
    assert "http://127.0.0.1:8000/fr/s/testville-residents/" in poster_texts()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://survey.example.org")
    assert "https://survey.example.org/fr/s/testville-residents/" in poster_texts()
    assert "https://elsewhere.example/fr/s/testville-residents/" in poster_texts("--base-url", "https://elsewhere.example")


def test_invitations_link_to_the_public_base_url(app, runner, make, tmp_path, monkeypatch):
    campaign = make.campaign("nantes-officers", access_mode="invitation")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://survey.example.org")
    out = tmp_path / "tokens.csv"
    result = runner.invoke(args=["imppulse", "invitations", "create", campaign.slug, "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["link"] for row in rows] == [f"https://survey.example.org/i/{row['token']}" for row in rows]



def test_invitation_files_follow_the_port_the_server_runs_on(app, runner, make, tmp_path, monkeypatch):
    """PORT=8123 make run: the invitations' CSV says 8123, never 5000 (the web pages: tests/workspace)."""
    officers = make.campaign("nantes-officers", access_mode="invitation")
    monkeypatch.setitem(app.config, "PORT", 8123)
    out = tmp_path / "tokens.csv"
    result = runner.invoke(args=["imppulse", "invitations", "create", officers.slug, "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        assert next(csv.DictReader(handle))["link"].startswith("http://127.0.0.1:8123/i/")
