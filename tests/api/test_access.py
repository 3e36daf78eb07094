"""The access table: every role, with a token or a session, on its own city and on another, at every endpoint."""

from __future__ import annotations

import logging

import pytest

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import open_wave
from imppulse_survey.extensions import db

from ..accounts.test_login import PASSWORD, login
from ..factories import minimal_questionnaire, text

ROLES = ("admin", "manager", "viewer", "analyst")
ENDPOINTS = {
    "indicators": "/api/v1/campaigns/{city}-residents/indicators?by=district",
    "change": "/api/v1/campaigns/{city}-residents/indicators/trust/change?from=baseline&to=follow-up",
    "mirror": "/api/v1/mirror?residents={city}-residents&resident_wave=baseline&officers={city}-officers"
              "&officer_wave=baseline",
    "releases": "/api/v1/campaigns/{city}-officers/releases",
}


@pytest.fixture
def network(make):
    """Nantes and Lisbon, each with a resident and an officer campaign over two waves."""
    residents_version = make.version(minimal_questionnaire())
    officer_definition = minimal_questionnaire(audience="officer", key="officer-survey")
    officer_definition["indicators"].append({"key": "perceived_confidence", "label": text("Perceived"),
                                             "kind": "proportion", "items": ["confidence"], "codes": [4, 5],
                                             "mirror_of": "confidence"})
    officers_version = make.version(officer_definition)
    cities = {}
    for slug in ("nantes", "lisbon"):
        city = make.city(slug)
        residents = make.campaign(f"{slug}-residents", city=city, version=residents_version)
        officers = make.campaign(f"{slug}-officers", city=city, version=officers_version, access_mode="invitation")
        for campaign in (residents, officers):
            open_wave(campaign, "follow-up")
        cities[slug] = city
    db.session.commit()
    return cities


def credentials(client, cities, role, how):
    """Headers for a user of ``role`` (in Nantes, unless admin), signed in by bearer token or by session."""
    email = f"{role}@example.eu"
    user = create_user(email, PASSWORD, role, None if role == "admin" else cities["nantes"])
    token = issue_token(user)
    db.session.commit()
    if how == "token":
        return {"Authorization": f"Bearer {token}"}
    assert login(client, email).status_code == 302
    return {}


def expected(role, city):
    return 200 if role == "admin" or city == "nantes" else 404


@pytest.mark.parametrize("how", ["token", "session"])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_own_city_and_no_other(client, network, role, how, caplog):
    headers = credentials(client, network, role, how)
    for name, template in ENDPOINTS.items():
        for city in ("nantes", "lisbon"):
            caplog.clear()
            with caplog.at_level(logging.WARNING):
                response = client.get(template.format(city=city), headers=headers)
            assert response.status_code == expected(role, city), (name, city, response.get_json())
            body = response.get_json()
            if response.status_code == 200:
                assert (body.get("campaign") or body["residents"]["campaign"]).startswith(city), name
            else:  # the same answer as for a city that does not exist, and the denial is logged
                assert body["status"] == 404
                assert any("denied" in record.getMessage() for record in caplog.records), name


@pytest.mark.parametrize("name", ENDPOINTS)
def test_nobody_signed_in_gets_401(client, network, name):
    response = client.get(ENDPOINTS[name].format(city="nantes"))
    assert response.status_code == 401
    assert response.get_json()["status"] == 401


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_revoked_or_forged_token_gets_401(client, network, name):
    headers = credentials(client, network, "viewer", "token")
    from imppulse_survey.accounts.models import ApiToken
    from imppulse_survey.accounts.services import revoke_token

    stored = db.session.query(ApiToken).one()
    revoke_token(stored.user, stored.id)
    db.session.commit()
    for forged in (headers, {"Authorization": "Bearer imp_forged"}, {"Authorization": "Basic dmlld2VyOnB3"}):
        assert client.get(ENDPOINTS[name].format(city="nantes"), headers=forged).status_code == 401


def test_an_unknown_city_or_campaign_looks_like_a_forbidden_one(client, network):
    headers = credentials(client, network, "viewer", "token")
    for path in ("/api/v1/campaigns/nowhere-residents/indicators", "/api/v1/campaigns/nowhere-residents/releases",
                 ("/api/v1/mirror?residents=nowhere-residents&resident_wave=baseline&officers=nantes-officers"
                  "&officer_wave=baseline")):
        response = client.get(path, headers=headers)
        assert response.status_code == 404
    unknown = client.get("/api/v1/campaigns/nowhere-residents/indicators", headers=headers).get_json()
    forbidden = client.get("/api/v1/campaigns/lisbon-residents/indicators", headers=headers).get_json()
    assert unknown == forbidden
