"""A city's users managed in the browser, and the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from imppulse_survey.accounts.models import ApiToken, AuditEvent, User
from imppulse_survey.accounts.services import issue_token
from imppulse_survey.extensions import db

from .conftest import Staff, csrf_token


def shown_password(page: str) -> str:
    return re.search(r'<p class="secret">([^<]+)</p>', page).group(1)


def sign_in_as(app, email: str, password: str):
    client = app.test_client()
    page = client.get("/en/staff/login").get_data(as_text=True)
    return client.post("/en/staff/login", data={"csrf_token": csrf_token(page), "email": email, "password": password})


def test_a_manager_adds_a_colleague_who_logs_in_with_the_password_shown_once(app, make, sign_in):
    city = make.city("nantes", districts=2)
    manager = sign_in("manager", city)
    page = manager.get("/en/staff/users").get_data(as_text=True)
    assert 'value="admin"' not in page  # a manager cannot make a network coordinator
    made = manager.post("/en/staff/users", {"email": "Claire@Nantes.fr", "role": "viewer"}, form_page="/en/staff/users")
    assert made.status_code == 200
    password = shown_password(made.get_data(as_text=True))
    user = db.session.scalar(select(User).filter_by(email="claire@nantes.fr"))
    assert (user.role, user.city_id) == ("viewer", city.id)
    assert sign_in_as(app, "claire@nantes.fr", password).status_code == 302
    assert "claire@nantes.fr" in manager.get("/en/staff/users").get_data(as_text=True)
    assert password not in manager.get("/en/staff/users").get_data(as_text=True)  # shown once only
    again = manager.post("/en/staff/users", {"email": "claire@nantes.fr", "role": "viewer"}, form_page="/en/staff/users")
    assert again.status_code == 400 and "exists already" in again.get_data(as_text=True)


def test_role_disable_reset_and_tokens(app, make, sign_in):
    city = make.city("nantes", districts=2)
    manager = sign_in("manager", city)
    colleague = sign_in("viewer", city)
    user = db.session.scalar(select(User).filter_by(email=colleague.email))
    token = issue_token(user, "R scripts")
    db.session.commit()
    assert manager.post(f"/en/staff/users/{user.id}/role", {"role": "analyst"}, form_page="/en/staff/users"
                        ).status_code == 302
    db.session.expire_all()
    assert user.role == "analyst"
    assert colleague.get("/en/staff/").status_code == 302  # the change ended their sessions
    token_id = db.session.scalar(select(ApiToken.id).filter_by(user_id=user.id))
    assert manager.post(f"/en/staff/users/{user.id}/tokens/{token_id}/revoke", form_page="/en/staff/users"
                        ).status_code == 302
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/openapi.json", headers=headers).status_code == 200
    assert app.test_client().get("/api/v1/campaigns/x/releases", headers=headers).status_code == 401
    reset = manager.post(f"/en/staff/users/{user.id}/password", form_page="/en/staff/users")
    new_password = shown_password(reset.get_data(as_text=True))
    assert sign_in_as(app, colleague.email, new_password).status_code == 302
    assert manager.post(f"/en/staff/users/{user.id}/enabled", form_page="/en/staff/users").status_code == 302
    assert sign_in_as(app, colleague.email, new_password).status_code == 401
    assert [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "user.role", "token.revoke", "user.password_reset", "user.enabled"]


def test_managers_cannot_touch_admins_other_cities_or_themselves(app, make, sign_in):
    nantes, lisbon = make.city("nantes", districts=2), make.city("lisbon", districts=2)
    manager = sign_in("manager", nantes)
    admin = sign_in("admin")
    stranger = sign_in("viewer", lisbon)
    ids = {staff.email: db.session.scalar(select(User.id).filter_by(email=staff.email))
           for staff in (manager, admin, stranger)}
    for email, status in ((admin.email, 404), (stranger.email, 404), (manager.email, 403)):
        for action in ("role", "enabled", "password"):
            response = manager.post(f"/en/staff/users/{ids[email]}/{action}", {"role": "viewer"},
                                    form_page="/en/staff/users")
            assert response.status_code == status, (email, action)
    assert "lisbon" not in manager.get("/en/staff/users").get_data(as_text=True).lower()
    assert db.session.scalar(select(AuditEvent.id)) is None


def test_the_audit_log_is_for_admins_and_says_who_did_what_when(app, make, sign_in):
    city = make.city("nantes", districts=2)
    campaign = make.campaign("nantes-residents", city=city)
    manager = sign_in("manager", city)
    manager.post(f"/en/staff/campaigns/{campaign.slug}/threshold", {"threshold": "12"},
                 form_page=f"/en/staff/campaigns/{campaign.slug}/")
    assert manager.get("/en/staff/audit").status_code == 403
    page = sign_in("admin").get(f"/en/staff/audit?city={city.id}").get_data(as_text=True)
    assert manager.email in page and "campaign.threshold" in page and "nantes-residents" in page
    assert "<time datetime=" in page


def test_a_form_without_its_token_changes_nothing(make, sign_in):
    city = make.city("nantes", districts=2)
    colleague_staff = sign_in("viewer", city)
    manager: Staff = sign_in("manager", city)
    user_id = db.session.scalar(select(User.id).filter_by(email=colleague_staff.email))
    assert manager.client.post(f"/en/staff/users/{user_id}/enabled").status_code == 400
    assert db.session.get(User, user_id).is_enabled
