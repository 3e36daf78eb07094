"""Retention: `flask imppulse purge` deletes drafts, free texts and responses past each campaign's periods, and
logs what it removed as counts only."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from imppulse_survey.campaigns.services import add_wave, close_wave, create_invitations
from imppulse_survey.core.models import utcnow
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import (
    Answer,
    Draft,
    IndicatorSummary,
    Response,
    SealedResponse,
    SpentBallot,
    TextAnswer,
)
from imppulse_survey.responses.retention import months_before
from imppulse_survey.responses.services import submit

from ..factories import minimal_questionnaire, submission_id, valid_answers


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def months_ago(months: int, days: int = 0) -> dt.datetime:
    return months_before(utcnow(), months) - dt.timedelta(days=days)


def wave_closed(campaign, label: str, months: int, answers: int, days: int = 1):
    """A past wave of ``campaign`` that closed ``months`` (and ``days``) ago, with ``answers`` responses."""
    wave = add_wave(campaign, label, months_ago(months + 1), months_ago(months, days))
    db.session.commit()
    for _ in range(answers):
        submit(campaign.slug, valid_answers(comment=f"texte {label}"), language="fr", submission_id=submission_id(),
               channel="demo", wave_id=wave.id)
    return wave


def test_months_before_keeps_the_day_or_takes_the_months_last():
    moment = dt.datetime(2027, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2027, 2, 28, 12, tzinfo=dt.UTC)
    assert months_before(moment, 13) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert months_before(moment, 60) == dt.datetime(2022, 3, 31, 12, tzinfo=dt.UTC)


def test_purge_deletes_what_each_campaign_no_longer_keeps(make, runner, caplog):
    campaign = make.campaign()  # keeps responses 60 months and free texts 12 months
    recent = wave_closed(campaign, "recent", 11, 2)
    old = wave_closed(campaign, "old", 12, 3)  # free texts past 12 months, responses kept
    ancient = wave_closed(campaign, "ancient", 60, 4)  # past both
    today = submit(campaign.slug, valid_answers(), language="fr", submission_id=submission_id(), channel="web")
    db.session.add_all([Draft(resume_key_hash="a" * 64, campaign_id=campaign.id, sealed=b"x",
                              expires_on=utcnow().date() - dt.timedelta(days=1)),
                        Draft(resume_key_hash="b" * 64, campaign_id=campaign.id, sealed=b"x",
                              expires_on=utcnow().date())])
    db.session.commit()
    caplog.set_level(logging.INFO)
    result = runner.invoke(args=["imppulse", "purge"])
    assert result.exit_code == 0, result.output
    # 2 drafts: 1 expired; texts (a nickname and a comment each): old (3) and ancient (4); responses: ancient (4)
    assert "1 drafts, 14 free texts, 4 responses, 0 sealed answers" in result.output
    assert count(Response, Response.wave_id == ancient.id) == count(IndicatorSummary, IndicatorSummary.wave_id ==
                                                                      ancient.id) == 0
    assert count(Answer, Answer.response_id.not_in(select(Response.id))) == 0
    assert count(Response, Response.wave_id == old.id) == 3 and count(TextAnswer) == (2 + 1) * 2  # recent + today
    assert count(Response, Response.wave_id == recent.id) == 2 and count(Draft) == 1
    assert db.session.get(Response, today.response_id) is not None
    logged = [record.getMessage() for record in caplog.records if "purge" in record.getMessage()]
    assert logged and "texte" not in " ".join(logged)  # counts, never content
    again = runner.invoke(args=["imppulse", "purge"])
    assert "0 drafts, 0 free texts, 0 responses, 0 sealed answers" in again.output


def test_sealed_answers_never_released_go_with_their_wave(make, runner):
    officers = make.campaign("testville-officers", version=make.version(minimal_questionnaire(audience="officer")),
                             access_mode="invitation")
    wave = officers.waves[0]
    for token in create_invitations(officers, 3):
        submit(officers.slug, valid_answers(), language="fr", submission_id=submission_id(), channel="web",
               token=token)
    close_wave(officers)
    wave.opens_dt, wave.closes_dt = months_ago(62), months_ago(61)
    db.session.commit()
    assert (count(SealedResponse), count(SpentBallot)) == (3, 3)  # too few to release: they stay sealed
    result = runner.invoke(args=["imppulse", "purge"])
    assert "3 sealed answers" in result.output
    assert (count(SealedResponse), count(SpentBallot)) == (0, 0)


@pytest.mark.parametrize("months, text_months", [(12, 24), (0, 0), (300, 12)])
def test_retention_periods_are_checked(make, runner, months, text_months):
    campaign = make.campaign()
    result = runner.invoke(args=["imppulse", "campaign", "retention", campaign.slug, "--months", str(months),
                                 "--text-months", str(text_months)])
    assert result.exit_code == 1 and "retention periods" in result.output


def test_retention_periods_can_be_set(make, runner):
    campaign = make.campaign()
    result = runner.invoke(args=["imppulse", "campaign", "retention", campaign.slug, "--months", "24",
                                 "--text-months", "6"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (campaign.retention_months, campaign.text_retention_months) == (24, 6)
