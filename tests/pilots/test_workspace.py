"""Pilots in the workspace and the API: who reads and who changes, declaring a design after the baseline (a reason,
reissued releases, a dated revision on every report), actions and budget, and every change audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from imppulse_survey.accounts.models import AuditEvent
from imppulse_survey.extensions import db
from imppulse_survey.pilots.evaluation import evaluate
from imppulse_survey.pilots.models import Pilot
from imppulse_survey.releases.models import Release

from .conftest import COMPARISON, PILOT, declare_on

EVEN = dict.fromkeys(range(1, 11), 40)


@pytest.fixture
def city_pilot(measured, app_context):
    campaign, _ = measured(15.0, EVEN, EVEN)
    pilot, _ = declare_on(campaign)
    return campaign, pilot


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def design_form(campaign, **changes) -> dict:
    baseline, follow_up = campaign.waves[0], campaign.waves[1]
    data = {"resident_baseline": baseline.id, "resident_follow_up": follow_up.id, "officer_baseline": 0,
            "officer_follow_up": 0, "pilot_districts": PILOT, "comparison_districts": COMPARISON,
            "primary_indicator": "trust", "target_0": "trust", "baseline_value_0": "55", "target_value_0": "65",
            "target_1": "", "target_2": "", "target_3": ""}
    return {**data, **changes}


def test_a_viewer_reads_the_report_with_its_figures_and_summary(city_pilot, sign_in):
    campaign, pilot = city_pilot
    viewer = sign_in("viewer", campaign.city)
    page = viewer.get(f"/en/staff/pilots/{pilot.slug}/").get_data(as_text=True)
    row = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
    assert f"{row['difference']['estimate']:+.1f}" in page
    assert "in the pilot districts" in page and "sampling uncertainty only" in page
    # declared after the baseline release: said, with the date and the reason
    assert "declared after the residents" in page and "declared late in a test" in page
    assert viewer.get(f"/en/staff/pilots/{pilot.slug}/manage").status_code == 403
    assert viewer.post(f"/en/staff/pilots/{pilot.slug}/actions", {"action-name": "x"}).status_code == 403
    listing = viewer.get("/en/staff/pilots/").get_data(as_text=True)
    assert "Safer streets" in listing and "Declare a pilot" not in listing


def test_staff_of_another_city_find_no_pilot(city_pilot, sign_in, make):
    _, pilot = city_pilot
    elsewhere = sign_in("manager", make.city("amiens"))
    for path in (f"/en/staff/pilots/{pilot.slug}/", f"/en/staff/pilots/{pilot.slug}/manage",
                 f"/en/staff/pilots/{pilot.slug}/report.pdf"):
        assert elsewhere.get(path).status_code == 404
    assert elsewhere.post(f"/en/staff/pilots/{pilot.slug}/texts", {"texts-title_fr": "x"}).status_code == 404
    assert "Safer streets" not in elsewhere.get("/en/staff/pilots/").get_data(as_text=True)
    assert elsewhere.client.get(f"/api/v1/pilots/{pilot.slug}").status_code == 404


def test_declaring_after_the_baseline_release_needs_a_reason_and_reissues_on_record(measured, app_context, sign_in):
    campaign, _ = measured(0.0, EVEN, EVEN)
    manager = sign_in("manager", campaign.city)
    form_page = "/en/staff/pilots/new"
    texts = {"texts-slug": "night-patrols", "texts-title_fr": "Patrouilles de nuit", "texts-title_en": "Night patrols"}
    refused = manager.post(form_page, {**texts, **design_form(campaign)}, form_page=form_page)
    assert refused.status_code == 400 and "needs a reason" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Pilot)) is None
    # what was typed is still there
    assert 'value="night-patrols"' in refused.get_data(as_text=True)
    made = manager.post(form_page, {**texts, **design_form(campaign, reason="the council chose the districts late")},
                        form_page=form_page)
    assert made.status_code == 302, made.get_data(as_text=True)
    pilot = db.session.scalar(select(Pilot))
    assert pilot.declared_after_baseline and pilot.pilot_districts == PILOT
    numbers = sorted(db.session.scalars(select(Release.number).where(Release.is_current.is_(True))))
    assert numbers == [2, 2]  # both releases reissued, with the group cells
    reasons = set(db.session.scalars(select(Release.reason).where(Release.number == 2)))
    assert all("the council chose the districts late" in reason for reason in reasons)
    assert len(events("pilot.declare")) == 1
    page = manager.get(f"/en/staff/pilots/{pilot.slug}/").get_data(as_text=True)
    assert "the council chose the districts late" in page


def test_a_design_change_needs_a_reason_and_is_dated_on_the_report(city_pilot, sign_in):
    campaign, pilot = city_pilot
    manager = sign_in("manager", campaign.city)
    manage = f"/en/staff/pilots/{pilot.slug}/manage"
    changed = design_form(campaign, comparison_districts=[1, 3, 8])
    refused = manager.post(f"/en/staff/pilots/{pilot.slug}/design", changed, form_page=manage)
    assert refused.status_code == 409 and "needs a reason" in refused.get_data(as_text=True)
    done = manager.post(f"/en/staff/pilots/{pilot.slug}/design", {**changed, "reason": "district 10 merged"},
                        form_page=manage)
    assert done.status_code == 302
    db.session.expire_all()
    pilot = db.session.get(Pilot, pilot.id)
    assert pilot.comparison_districts == [1, 3, 8] and len(pilot.revisions) == 2
    assert pilot.revisions[-1].change["before"]["comparison_districts"] == COMPARISON
    page = manager.get(f"/en/staff/pilots/{pilot.slug}/").get_data(as_text=True)
    assert "district 10 merged" in page and re.search(r"<time datetime=\"\d{4}-", page)
    assert len(events("pilot.design")) == 1


def test_actions_and_budget_lines_are_added_checked_changed_and_removed(city_pilot, sign_in):
    campaign, pilot = city_pilot
    manager = sign_in("manager", campaign.city)
    manage = f"/en/staff/pilots/{pilot.slug}/manage"
    bad = manager.post(f"/en/staff/pilots/{pilot.slug}/actions",
                       {"action-name": "Foot patrols", "action-starts_on": "2026-05-01",
                        "action-ends_on": "2026-04-01", "action-status": "planned"}, form_page=manage)
    assert bad.status_code == 400 and "An action ends after it starts." in bad.get_data(as_text=True)
    assert 'value="Foot patrols"' in bad.get_data(as_text=True)
    good = manager.post(f"/en/staff/pilots/{pilot.slug}/actions",
                        {"action-name": "Foot patrols", "action-starts_on": "2026-05-01",
                         "action-ends_on": "2026-09-30", "action-status": "under_way", "action-owner": "Unit 3"},
                        form_page=manage)
    assert good.status_code == 302
    action = pilot.actions[0]
    assert manager.post(f"/en/staff/pilots/{pilot.slug}/actions/{action.id}", {"status": "done"},
                        form_page=manage).status_code == 302
    assert db.session.get(type(action), action.id).status == "done"
    assert manager.post(f"/en/staff/pilots/{pilot.slug}/budget",
                        {"budget-label": "Training", "budget-planned": "-5"}, form_page=manage).status_code == 400
    assert manager.post(f"/en/staff/pilots/{pilot.slug}/budget",
                        {"budget-label": "Training", "budget-planned": "12000.50", "budget-spent": "3000"},
                        form_page=manage).status_code == 302
    line = pilot.budget_lines[0]
    assert manager.post(f"/en/staff/pilots/{pilot.slug}/budget/{line.id}",
                        {f"line{line.id}-planned": "12000.50", f"line{line.id}-spent": "4500"},
                        form_page=manage).status_code == 302
    db.session.expire_all()
    assert str(db.session.get(type(line), line.id).spent_eur) == "4500.00"
    report = manager.get(f"/en/staff/pilots/{pilot.slug}/").get_data(as_text=True)
    assert "Foot patrols" in report and "€12,000.50" in report and "€4,500.00" in report
    assert manager.post(f"/en/staff/pilots/{pilot.slug}/actions/{action.id}", {"status": "done", "delete": "1"},
                        form_page=manage).status_code == 302
    assert [event.action for event in events("pilot.action.add")] == ["pilot.action.add"]
    assert events("pilot.action.status") and events("pilot.action.delete") and events("pilot.budget.update")


def test_forms_without_their_csrf_token_are_refused(city_pilot, sign_in):
    campaign, pilot = city_pilot
    manager = sign_in("manager", campaign.city)
    response = manager.client.post(f"/en/staff/pilots/{pilot.slug}/actions", data={"action-name": "x"})
    assert response.status_code == 400
    assert manager.client.post(f"/en/staff/pilots/{pilot.slug}/texts", data={}).status_code == 400


def test_staff_text_is_shown_as_text(city_pilot, sign_in):
    campaign, pilot = city_pilot
    manager = sign_in("manager", campaign.city)
    manage = f"/en/staff/pilots/{pilot.slug}/manage"
    payload = "<script>alert(1)</script>"
    assert manager.post(f"/en/staff/pilots/{pilot.slug}/texts",
                        {"texts-title_fr": "Rues", "texts-title_en": payload, "texts-description_en": payload},
                        form_page=manage).status_code == 302
    page = manager.get(f"/en/staff/pilots/{pilot.slug}/").get_data(as_text=True)
    assert payload not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_french_errors_are_in_french(city_pilot, sign_in):
    campaign, pilot = city_pilot
    manager = sign_in("manager", campaign.city)
    manage = f"/fr/staff/pilots/{pilot.slug}/manage"
    bad = manager.post(f"/fr/staff/pilots/{pilot.slug}/budget", {"budget-label": "", "budget-planned": ""},
                       form_page=manage)
    assert bad.status_code == 400 and "Veuillez corriger" in bad.get_data(as_text=True)


def test_the_api_gives_pilots_and_their_evaluation_to_their_city(city_pilot, sign_in):
    campaign, pilot = city_pilot
    viewer = sign_in("viewer", campaign.city)
    assert viewer.client.get("/api/v1/pilots").get_json()["pilots"][0]["slug"] == pilot.slug
    detail = viewer.client.get(f"/api/v1/pilots/{pilot.slug}?lang=fr").get_json()
    assert detail["title"] == "Rues plus sûres" and detail["pilot_districts"] == PILOT
    evaluation = viewer.client.get(f"/api/v1/pilots/{pilot.slug}/evaluation?lang=fr").get_json()
    row = next(row for row in evaluate(pilot, "fr")["residents"] if row["indicator"] == "trust")
    assert evaluation["residents"][0]["difference"] == row["difference"]
    assert "quartiers pilotes" in evaluation["summary"][0]
    assert viewer.client.get(f"/api/v1/pilots/{pilot.slug}/evaluation?lang=xx").status_code == 400
    anonymous = viewer.client.application.test_client()
    assert anonymous.get("/api/v1/pilots").status_code == 401


def test_a_group_with_a_suppressed_district_has_no_figure(measured, app_context):
    sizes = {**EVEN, 2: 3}  # district 2 (a pilot district) is under the threshold at follow-up
    campaign, _ = measured(15.0, EVEN, sizes)
    pilot, _ = declare_on(campaign)
    row = next(row for row in evaluate(pilot, "en")["residents"] if row["indicator"] == "trust")
    assert row["pilot"]["follow_up"]["status"] == "suppressed" and row["pilot"]["follow_up"]["estimate"] is None
    assert row["status"] == "suppressed" and row["difference"]["estimate"] is None
