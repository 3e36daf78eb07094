"""The storage service: one transaction per submission, idempotent, single-use tokens, nothing identifying."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from imppulse_survey.campaigns.models import Invitation
from imppulse_survey.campaigns.services import close_wave, create_invitations
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Answer, Response, SealedResponse, SpentBallot, TextAnswer
from imppulse_survey.responses.services import (
    CampaignNotOpen,
    InvitationRefused,
    SubmissionError,
    SubmissionInvalid,
    submit,
)

from ..factories import minimal_questionnaire, submission_id, valid_answers


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def store(campaign, answers=None, **kwargs):
    kwargs.setdefault("language", "fr")
    kwargs.setdefault("submission_id", submission_id())
    kwargs.setdefault("channel", "web")
    return submit(campaign.slug, valid_answers() if answers is None else answers, **kwargs)


def test_a_submission_stores_the_response_its_answers_and_its_texts(make):
    campaign = make.campaign()
    result = store(campaign)
    assert result.created
    response = db.session.get(Response, result.response_id)
    assert response.language == "fr" and response.channel == "web"
    assert response.district_id == next(d.id for d in campaign.city.districts if d.code == 2)
    assert response.submitted_on == dt.datetime.now(dt.UTC).date()
    assert response.wave_id == campaign.current_wave().id
    assert response.questionnaire_version_id == campaign.questionnaire_version_id
    answers = {(a.item_key, a.value, a.missing) for a in response.answers}
    assert ("fair_explain", None, "dont_know") in answers
    assert {("topics", 1.0, None), ("topics", 2.0, None)} <= answers
    assert {t.item_key: t.text for t in response.text_answers} == {"nickname": "Kim", "comment": "Fine."}


def test_a_repeated_submission_id_lands_once(make):
    campaign = make.campaign()
    first = store(campaign, submission_id="6c1c2d4e-0b5f-4c3a-9b1e-8a7f6e5d4c3b")
    second = store(campaign, submission_id="6C1C2D4E-0B5F-4C3A-9B1E-8A7F6E5D4C3B")
    assert (second.response_id, second.created) == (first.response_id, False)
    assert count(Response) == 1 and count(TextAnswer) == 2


def test_a_submission_id_of_another_campaign_is_refused(make):
    city = make.city()
    version = make.version()
    one = make.campaign("one", city=city, version=version)
    two = make.campaign("two", city=city, version=version)
    shared = submission_id()
    store(one, submission_id=shared)
    with pytest.raises(SubmissionInvalid) as caught:
        store(two, submission_id=shared)
    assert caught.value.problems == {"submission_id": "is already used"}


def test_invalid_answers_store_nothing(make):
    campaign = make.campaign()
    with pytest.raises(SubmissionInvalid) as caught:
        store(campaign, valid_answers(trust=12, contact=None), language="de")
    assert set(caught.value.problems) == {"trust", "contact", "language"}
    with pytest.raises(SubmissionInvalid):
        store(campaign, submission_id="not-a-uuid")
    db.session.rollback()
    assert count(Response) == count(Answer) == 0


def test_a_closed_campaign_takes_nothing(make):
    campaign = make.campaign()
    close_wave(campaign)
    db.session.commit()
    with pytest.raises(CampaignNotOpen):
        store(campaign)


def invitation_campaign(make):
    return make.campaign(version=make.version(minimal_questionnaire(audience="officer")), access_mode="invitation")


def test_an_invitation_is_spent_with_the_sealed_answers(make):
    campaign = invitation_campaign(make)
    token = create_invitations(campaign, 1)[0]
    db.session.commit()
    result = store(campaign, token=token)
    assert (result.response_id, result.created, result.sealed) == (None, True, True)
    assert count(Invitation) == 0 and count(SealedResponse) == 1 and count(SpentBallot) == 1
    assert count(Response) == count(Answer) == 0  # nothing readable until the wave is released
    for attempt in (token, "unknown-token-" + "x" * 30, None):
        with pytest.raises(InvitationRefused):
            store(campaign, token=attempt)
    assert count(SealedResponse) == 1


def test_a_repeated_sealed_submission_is_answered_as_the_first(make):
    campaign = invitation_campaign(make)
    token = create_invitations(campaign, 1)[0]
    db.session.commit()
    shared = submission_id()
    first, again = (store(campaign, token=token, submission_id=shared) for _ in range(2))
    assert (first.created, again.created, again.sealed) == (True, False, True)
    close_wave(campaign)
    db.session.commit()
    assert store(campaign, token=token, submission_id=shared).created is False  # after the close too
    assert count(SealedResponse) == 1


def test_a_refused_token_rolls_back_everything(make):
    campaign = invitation_campaign(make)
    other = make.campaign("other-officers", city=campaign.city, version=campaign.questionnaire_version,
                          access_mode="invitation")
    token_of_other = create_invitations(other, 1)[0]
    db.session.commit()
    with pytest.raises(InvitationRefused):
        store(campaign, token=token_of_other)
    assert count(Response) == count(SealedResponse) == count(SpentBallot) == 0
    assert count(Invitation) == 1


def test_invalid_answers_keep_the_invitation(make):
    campaign = invitation_campaign(make)
    token = create_invitations(campaign, 1)[0]
    db.session.commit()
    with pytest.raises(SubmissionInvalid):
        store(campaign, valid_answers(trust=12), token=token)
    assert count(Invitation) == 1 and count(SealedResponse) == 0
    assert store(campaign, token=token).created


def run_in_parallel(app, how_many, work):
    """Run ``work(app)`` in ``how_many`` threads released together; return what each returned or raised."""
    # end the test's own transaction: on SQLite every transaction holds the write lock until it ends
    db.session.commit()
    barrier = threading.Barrier(how_many)
    outcomes = [None] * how_many

    def worker(index):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = work()
            except SubmissionError as error:
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(how_many)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_one_token_submitted_20_times_in_parallel_stores_one_response(app, make):
    campaign = invitation_campaign(make)
    token = create_invitations(campaign, 1)[0]
    db.session.commit()
    slug = campaign.slug

    def attempt():
        return submit(slug, valid_answers(), language="fr", submission_id=submission_id(), channel="web", token=token)

    outcomes = run_in_parallel(app, 20, attempt)
    assert sum(1 for outcome in outcomes if getattr(outcome, "created", False)) == 1
    assert sum(1 for outcome in outcomes if isinstance(outcome, InvitationRefused)) == 19
    db.session.expire_all()
    assert count(SealedResponse) == 1 and count(Response) == 0


def test_one_submission_id_5_times_in_parallel_stores_one_response(app, make):
    campaign = make.campaign()
    slug, shared = campaign.slug, submission_id()

    def attempt():
        return submit(slug, valid_answers(), language="fr", submission_id=shared, channel="web")

    outcomes = run_in_parallel(app, 5, attempt)
    assert len({outcome.response_id for outcome in outcomes}) == 1
    assert sum(outcome.created for outcome in outcomes) == 1
    db.session.expire_all()
    assert count(Response) == 1


def test_nothing_identifying_is_stored():
    columns = {column.name for column in Response.__table__.columns}
    assert columns == {
        "id", "campaign_id", "wave_id", "questionnaire_version_id", "language", "district_id", "channel",
        "submission_id", "submitted_on", "weight",
    }
    assert str(Response.__table__.c.submitted_on.type) == "DATE"
    # no path from a response to an invitation: no foreign key either way
    assert not any(fk.column.table.name == "invitations" for fk in Response.__table__.foreign_keys)
    assert not any(fk.column.table.name == "responses" for fk in Invitation.__table__.foreign_keys)


def test_a_repeat_after_the_campaign_closed_keeps_its_answer(make):
    campaign = make.campaign()
    first = store(campaign, submission_id="7d1c2d4e-0b5f-4c3a-9b1e-8a7f6e5d4c3b")
    close_wave(campaign)
    db.session.commit()
    again = store(campaign, submission_id="7d1c2d4e-0b5f-4c3a-9b1e-8a7f6e5d4c3b")
    assert (again.response_id, again.created) == (first.response_id, False)
    with pytest.raises(CampaignNotOpen):
        store(campaign)
