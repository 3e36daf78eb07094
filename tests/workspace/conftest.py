"""Staff in the browser's place: signed-in test clients of every role, and forms posted with their CSRF token."""

from __future__ import annotations

import re

import pytest

from imppulse_survey.accounts.services import create_user
from imppulse_survey.extensions import db
from imppulse_survey.releases.services import make_release

from ..releases.conftest import residents  # noqa: F401  (fixture)

PASSWORD = "a long enough password"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(page: str) -> str:
    return TOKEN.search(page).group(1)


class Staff:
    """A signed-in browser: ``get`` and ``post`` (with the CSRF token of the page the form is on)."""

    def __init__(self, app, email: str):
        self.client = app.test_client()
        self.email = email
        page = self.client.get("/en/staff/login").get_data(as_text=True)
        response = self.client.post("/en/staff/login", data={"csrf_token": csrf_token(page), "email": email,
                                                             "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, form_page: str = "/en/staff/", **kwargs):
        token = csrf_token(self.client.get(form_page).get_data(as_text=True))
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


@pytest.fixture
def sign_in(app, app_context):
    """``sign_in(role, city)``: a new user of that role (admins: no city), signed in."""
    made = []

    def sign_in(role: str, city=None) -> Staff:
        email = f"{role}{len(made)}@example.org"
        create_user(email, PASSWORD, role, None if role == "admin" else city)
        db.session.commit()
        made.append(email)
        return Staff(app, email)

    return sign_in


@pytest.fixture
def released(residents):  # noqa: F811
    campaign, wave, frame = residents
    make_release(campaign, wave)
    return campaign, wave, frame
