"""Officers' invitations: exchanged for a ballot that is never stored, spent once, the answers sealed."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from imppulse_survey.campaigns.models import Invitation, Wave
from imppulse_survey.campaigns.services import close_wave, open_wave
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Draft, Response, SealedResponse, SpentBallot

from .helpers import Respondent


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_invitation_is_deleted_when_exchanged_and_the_token_leaves_the_address(
        client, officer_campaign, invite, caplog):
    token, = invite(1)
    caplog.set_level(logging.DEBUG)
    response = client.get(f"/i/{token}", headers={"Accept-Language": "fr"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/s/{officer_campaign.slug}/"
    assert count(Invitation) == 0  # gone before any answer exists: nothing left to pair with them
    assert token not in response.headers.get("Set-Cookie", "")
    respondent = Respondent(client, officer_campaign.slug)
    intro = client.get(respondent.url).get_data(as_text=True)
    assert "nouvelle carte d'invitation" in intro  # what to do if this page is lost
    respondent.start()
    respondent.answer(contact="2", trust="6")
    final = respondent.answer(district="1")
    assert final.status_code == 303 and final.headers["Location"].endswith("/thanks")
    assert (count(SealedResponse), count(SpentBallot), count(Response)) == (1, 1, 0)
    assert all(token not in record.getMessage() for record in caplog.records)


def test_invitation_pages_need_a_ballot(client, officer_campaign):
    assert client.get(f"/fr/s/{officer_campaign.slug}/").status_code == 403


def test_used_unknown_and_foreign_tokens_get_the_same_neutral_answer(client, invite, officer):
    used, = invite(1)
    officer(used)
    answers = []
    for token in (used, "x" * 43, "short"):
        response = client.get(f"/i/{token}", headers={"Accept-Language": "fr"})
        answers.append((response.status_code, response.get_data(as_text=True)))
    assert len(set(answers)) == 1 and answers[0][0] == 403


def test_a_token_opens_one_browser_only(app, officer_campaign, invite):
    token, = invite(1)
    first, second = app.test_client(), app.test_client()
    assert first.get(f"/i/{token}").status_code == 302
    assert second.get(f"/i/{token}").status_code == 403


def test_a_ballot_is_spent_once_and_a_double_click_lands_once(invite, card):
    respondent = card(invite(1)[0])
    client = respondent.client
    respondent.answer(contact="2", trust="6")
    last_page = respondent.hidden(respondent.page) | {"district": "1", "_action": "next"}
    cookie = client.get_cookie("session").value
    first = respondent.post(last_page)
    client.set_cookie("session", cookie)  # the second click left with the cookie the first one had
    second = respondent.post(last_page)
    assert first.headers["Location"].endswith("/thanks") and second.headers["Location"].endswith("/thanks")
    assert count(SealedResponse) == 1
    # a new form from the same ballot (another tab): refused, not stored
    client.set_cookie("session", cookie)
    other_tab = respondent.post(last_page | {"submission_id": "5b0d1f8e-2a4b-4c6d-8e0f-1a2b3c4d5e6f"})
    assert other_tab.status_code == 403 and count(SealedResponse) == 1


def test_continue_later_works_in_another_browser_until_the_wave_closes(app, officer_campaign, invite, card):
    respondent = card(invite(1)[0])
    respondent.answer(contact="2", trust="9")
    saved = respondent.answer("save", district="2", comment="à finir demain")
    link = re.search(r'id="resume-link" readonly value="([^"]+)"', respondent.page).group(1)
    assert saved.status_code == 200 and saved.headers["Cache-Control"] == "no-store"
    # the draft holds no readable answer: only a hash of the key, the campaign and a date
    draft = db.session.scalar(select(Draft))
    assert b"finir" not in draft.sealed
    elsewhere = app.test_client()  # another browser, no session
    resumed = elsewhere.get(link.removeprefix("http://localhost"))
    assert resumed.status_code == 200 and "à finir demain</textarea>" in resumed.get_data(as_text=True)
    other = Respondent(elsewhere, officer_campaign.slug)
    other.page = resumed.get_data(as_text=True)
    assert other.answer().headers["Location"].endswith("/thanks")
    assert count(SealedResponse) == 1 and count(Draft) == 0
    assert elsewhere.get(link.removeprefix("http://localhost")).status_code == 404  # spent with the submission


def test_a_resume_link_of_a_closed_wave_does_not_open(app, make, officer_campaign, invite, card):
    respondent = card(invite(1)[0])
    respondent.answer("save", contact="2")
    link = re.search(r'id="resume-link" readonly value="([^"]+)"', respondent.page).group(1)
    close_wave(officer_campaign)
    make.key_wave(open_wave(officer_campaign, "follow-up"))
    db.session.commit()
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 403


def test_the_api_spends_a_token_with_the_answers_and_gives_no_receipt(client, officer_campaign, invite):
    token, = invite(1)
    body = {"submission_id": "0b5a4a3e-5f8e-4c65-9a55-0c8d5a1f2e3d", "language": "fr", "token": token,
            "answers": {"contact": 2, "district": 1}}
    url = f"/api/v1/campaigns/{officer_campaign.slug}/responses"
    first = client.post(url, json=body)
    assert first.status_code == 202 and first.get_json() == {"created": True, "sealed": True}
    again = client.post(url, json=body)
    assert again.status_code == 202 and again.get_json() == {"created": False, "sealed": True}
    refused = client.post(url, json=body | {"submission_id": "1b5a4a3e-5f8e-4c65-9a55-0c8d5a1f2e3d"})
    assert refused.status_code == 409
    assert count(SealedResponse) == 1 and count(Invitation) == 0


def test_a_wave_without_its_key_pair_takes_no_officer_answers(client, invite):
    token, = invite(1)
    db.session.execute(Wave.__table__.update().values(public_key=None))
    db.session.commit()
    db.session.expire_all()
    assert client.get(f"/i/{token}").status_code == 403
    assert count(Invitation) == 1  # not spent on a wave that cannot seal
