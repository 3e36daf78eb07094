"""Officers' invitations: the token leaves the address bar, is spent once, and cannot be tied to an answer."""

from __future__ import annotations

import logging
import random

from sqlalchemy import func, select, text

from imppulse_survey.campaigns.services import create_invitations
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Response

from ..factories import minimal_questionnaire
from .helpers import Respondent


def officer_campaign(make):
    return make.campaign("testville-officers", version=make.version(minimal_questionnaire(audience="officer")),
                         access_mode="invitation")


def answer_everything(client, slug):
    respondent = Respondent(client, slug)
    respondent.start()
    respondent.answer(contact="2", trust="6")
    return respondent.answer(district="1")


def test_the_token_is_exchanged_for_a_session_and_leaves_the_address(client, make, caplog):
    campaign = officer_campaign(make)
    token = create_invitations(campaign, 1)[0]
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    response = client.get(f"/i/{token}", headers={"Accept-Language": "fr"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/s/{campaign.slug}/"
    assert token not in response.headers["Location"]
    caplog.clear()
    final = answer_everything(client, campaign.slug)
    assert final.status_code == 302 and final.headers["Location"].endswith("/thanks")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert all(token not in record.getMessage() for record in caplog.records)
    assert token not in final.headers.get("Set-Cookie", "")  # the session forgets it once spent


def test_invitation_pages_need_an_invitation(client, make):
    campaign = officer_campaign(make)
    response = client.get(f"/fr/s/{campaign.slug}/")
    assert response.status_code == 403


def test_used_unknown_and_foreign_tokens_get_the_same_neutral_answer(client, make):
    campaign = officer_campaign(make)
    used, = create_invitations(campaign, 1)
    db.session.commit()
    client.get(f"/i/{used}")
    answer_everything(client, campaign.slug)
    answers = []
    for token in (used, "x" * 43, "short"):
        response = client.get(f"/i/{token}", headers={"Accept-Language": "fr"})
        answers.append((response.status_code, response.get_data(as_text=True)))
    assert len(set(answers)) == 1 and answers[0][0] == 403


def test_a_token_cannot_be_spent_twice_through_two_browsers(app, make):
    campaign = officer_campaign(make)
    token, = create_invitations(campaign, 1)
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    first.get(f"/i/{token}")
    second.get(f"/i/{token}")  # both hold the unspent token
    assert answer_everything(first, campaign.slug).headers["Location"].endswith("/thanks")
    refused = answer_everything(second, campaign.slug)
    assert refused.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_no_query_can_join_a_response_to_its_invitation(app, make):
    """Every column the two tables share, and every ordering, fails to pair responses with their tokens."""
    campaign = officer_campaign(make)
    tokens = create_invitations(campaign, 12)
    db.session.commit()
    spent = random.Random(7).sample(tokens, 6)
    for token in spent:
        client = app.test_client()
        client.get(f"/i/{token}")
        answer_everything(client, campaign.slug)
    db.session.expire_all()
    response_columns = {c["name"] for c in db.inspect(db.engine).get_columns("responses")}
    invitation_columns = {c["name"] for c in db.inspect(db.engine).get_columns("invitations")}
    assert invitation_columns == {"id", "campaign_id", "token_hash", "is_used"}
    assert response_columns & invitation_columns == {"id", "campaign_id"}
    # joining on the shared campaign gives every pairing: 6 responses × 6 used invitations, nothing singled out
    pairs = db.session.execute(text(
        "SELECT count(*) FROM responses r JOIN invitations i ON i.campaign_id = r.campaign_id WHERE i.is_used"
    )).scalar()
    assert pairs == 36
    # the ids run independently: the used invitations are not the first six, nor in response order
    used_ids = sorted(db.session.execute(text("SELECT id FROM invitations WHERE is_used")).scalars())
    all_ids = sorted(db.session.execute(text("SELECT id FROM invitations")).scalars())
    hashed = {__import__("hashlib").sha256(t.encode()).hexdigest() for t in spent}
    by_hash = dict(db.session.execute(text("SELECT token_hash, id FROM invitations")).all())
    assert used_ids == sorted(by_hash[h] for h in hashed)
    response_ids = sorted(db.session.execute(text("SELECT id FROM responses")).scalars())
    assert used_ids != all_ids[:6] or response_ids != used_ids
    # and nothing but dates: every response shares one submission date
    dates = db.session.execute(text("SELECT count(DISTINCT submitted_on) FROM responses")).scalar()
    assert dates == 1
