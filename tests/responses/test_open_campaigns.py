"""Each process keeps a campaign as its pages show it for a few seconds: its own changes are seen at once,
another process's after CAMPAIGN_CACHE_SECONDS, and the storage service never takes answers for a closed wave."""

from __future__ import annotations

from sqlalchemy import func, select, update

from imppulse_survey.campaigns.models import Wave
from imppulse_survey.core.models import utcnow
from imppulse_survey.extensions import db
from imppulse_survey.responses import open_campaigns
from imppulse_survey.responses.models import Response

from ..factories import minimal_questionnaire
from .helpers import Respondent


def test_a_change_in_this_process_is_seen_at_once(client, make):
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    assert client.get(f"/fr/s/{campaign.slug}/").status_code == 200
    campaign.current_wave().closes_dt = utcnow()
    db.session.commit()
    assert client.get(f"/fr/s/{campaign.slug}/").status_code == 410


def test_another_process_s_change_is_seen_within_the_cache_time_and_storage_refuses_at_once(client, make, app,
                                                                                           monkeypatch):
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    respondent = Respondent(client, campaign.slug)
    respondent.start()
    respondent.answer(contact="2", trust="7", confidence="4", fair_respect="5", fair_explain="dont_know")
    # another process closes the wave: a statement this process's session never sees as a change of its objects
    with db.engine.begin() as connection:
        connection.execute(update(Wave).where(Wave.campaign_id == campaign.id).values(closes_dt=utcnow()))
    db.session.commit()  # this test's own read transaction ends, as a request's does
    assert client.get(f"/fr/s/{campaign.slug}/").status_code == 200  # kept for a few seconds
    refused = respondent.answer(district="1")
    assert refused.status_code == 410, refused.headers.get("Location")  # the storage service read the campaign afresh
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    later = open_campaigns.time.monotonic() + app.config["CAMPAIGN_CACHE_SECONDS"] + 1
    monkeypatch.setattr(open_campaigns.time, "monotonic", lambda: later)
    assert client.get(f"/fr/s/{campaign.slug}/").status_code == 410
