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


def test_questions_drawn_once_show_each_respondent_their_own_answers_and_keep_no_free_text(app, make):
    campaign = make.campaign(version=make.version(minimal_questionnaire()))
    first, second = (Respondent(app.test_client(), campaign.slug) for _ in range(2))
    first.start()
    first.answer("stay", trust="7")
    second.start()
    assert 'value="7" checked' in first.page and 'value="7" checked' not in second.page
    second.answer("stay", trust="3")
    assert 'value="3" checked' in second.page and 'value="7" checked' not in second.page
    first.answer(contact="2", confidence="4", fair_respect="5", fair_explain="dont_know")
    first.answer("stay", comment="Mon secret", district="2")
    assert "Mon secret</textarea>" in first.page and 'value="2" selected' in first.page
    first.answer("back")  # the first respondent's first page again, drawn from what was kept
    assert 'value="7" checked' in first.page and 'value="3" checked' not in first.page
    kept = [html for memo in open_campaigns._kept[campaign.slug][1].drawn.values() for _, html in memo.values()]
    assert kept and not any("Mon secret" in html for html in kept)
