"""The operators' side of exports and the audit log: building microdata ahead, reading the log, and every
command that changes something recorded (without its secrets)."""

from __future__ import annotations

from sqlalchemy import select

from imppulse_survey.accounts.models import AuditEvent
from imppulse_survey.exports.models import MicrodataSet
from imppulse_survey.extensions import db
from imppulse_survey.releases.services import make_release


def test_microdata_is_built_ahead_of_its_first_download(runner, residents):
    campaign, wave, frame = residents
    assert runner.invoke(args=["imppulse", "microdata", "build", campaign.slug, wave.label]).exit_code == 1
    make_release(campaign, wave)
    result = runner.invoke(args=["imppulse", "microdata", "build", campaign.slug, wave.label])
    assert result.exit_code == 0, result.output
    made = db.session.scalars(select(MicrodataSet)).one()
    assert made.row_count == len(frame) and f"{len(frame)} rows" in result.output


def test_changes_from_the_command_line_are_audited_without_secrets(runner, make):
    city = make.city("nantes", districts=2)
    campaign = make.campaign("nantes-residents", city=city)
    assert runner.invoke(args=["imppulse", "campaign", "threshold", campaign.slug, "14"]).exit_code == 0
    created = runner.invoke(args=["imppulse", "users", "create", "ana@nantes.fr", "--role", "viewer", "--city",
                                  "nantes", "--password-stdin"], input="a long enough password\n")
    assert created.exit_code == 0, created.output
    refused = runner.invoke(args=["imppulse", "campaign", "threshold", campaign.slug, "2"])
    assert refused.exit_code == 1
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(event.action, event.target, event.actor) for event in events] == [
        ("command", "imppulse campaign threshold", "command line"), ("command", "imppulse users create", "command line")]
    assert events[0].details == {"slug": "nantes-residents", "threshold": 14}
    assert "password" not in events[1].details and "a long enough password" not in str(events[1].details)
    listed = runner.invoke(args=["imppulse", "audit", "--limit", "5"])
    assert listed.exit_code == 0 and "imppulse users create" in listed.output
