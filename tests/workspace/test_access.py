"""Role × city for every workspace page and form: own city, another city, each role."""

from __future__ import annotations

import pytest

ROLES = ("admin", "manager", "viewer", "analyst")
READ_PAGES = ["/en/staff/campaigns/{slug}/", "/en/staff/campaigns/{slug}/fieldwork",
              "/en/staff/campaigns/{slug}/indicators", "/en/staff/campaigns/{slug}/indicators/trust",
              "/en/staff/campaigns/{slug}/compare", "/en/staff/mirror?residents={slug}",
              "/en/staff/campaigns/{slug}/poster?language=fr"]
MANAGER_PAGES = ["/en/staff/campaigns/new", "/en/staff/users", "/en/staff/campaigns/{slug}/waves/baseline/edit"]
ADMIN_PAGES = ["/en/staff/audit"]


@pytest.fixture
def cities(released, make):
    campaign, _wave, _ = released
    return campaign, make.city("lisbon", districts=2)


def expected(role: str, own: bool, kind: str) -> int:
    if role != "admin" and not own and kind != "admin":
        return 404 if kind in ("read", "manage_campaign") else 403 if kind == "manage" and role != "manager" else 200
    if kind == "admin":
        return 200 if role == "admin" else 403
    if kind in ("manage", "manage_campaign"):
        return 200 if role in ("admin", "manager") else 403
    return 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("own", [True, False])
def test_every_page_for_every_role_and_city(cities, sign_in, role, own):
    campaign, other = cities
    staff = sign_in(role, campaign.city if own else other)
    assert staff.get("/en/staff/").status_code == 200
    for page in READ_PAGES:
        assert staff.get(page.format(slug=campaign.slug)).status_code == expected(role, own, "read"), page
    for page in MANAGER_PAGES:
        kind = "manage_campaign" if "{slug}" in page else "manage"
        assert staff.get(page.format(slug=campaign.slug)).status_code == expected(role, own, kind), page
    for page in ADMIN_PAGES:
        assert staff.get(page).status_code == expected(role, own, "admin"), page


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("own", [True, False])
def test_every_form_for_every_role_and_city(cities, sign_in, role, own):
    campaign, other = cities
    staff = sign_in(role, campaign.city if own else other)
    may = role == "admin" or (role == "manager" and own)
    refused = 404 if role != "admin" and not own else 403
    forms = [(f"/en/staff/campaigns/{campaign.slug}/threshold", {"threshold": "12"}),
             (f"/en/staff/campaigns/{campaign.slug}/texts", {}),
             (f"/en/staff/campaigns/{campaign.slug}/waves", {"label": "second", "version": "0"}),
             (f"/en/staff/campaigns/{campaign.slug}/waves/baseline/open", {})]
    for path, data in forms:
        status = staff.post(path, data).status_code
        assert (status in (200, 302, 400, 409)) if may else status == refused, (path, status)
    free_text = staff.post(f"/en/staff/campaigns/{campaign.slug}/free-text", {"allowed": "y"}).status_code
    assert free_text == (302 if role == "admin" else refused if not own else 403)


def test_nobody_signed_out_sees_anything(client, released):
    campaign, _, _ = released
    for page in ["/en/staff/", *READ_PAGES, *MANAGER_PAGES, *ADMIN_PAGES]:
        response = client.get(page.format(slug=campaign.slug))
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], page
