"""Officers: an invitation campaign with its wave's key pair, and officers answering it through the web pages."""

from __future__ import annotations

import pytest

from imppulse_survey.campaigns.services import create_invitations
from imppulse_survey.extensions import db

from ..factories import minimal_questionnaire
from .helpers import Respondent


@pytest.fixture
def officer_campaign(make):
    """An open invitation campaign (officers); ``make.private_keys`` holds its wave's private key."""
    return make.campaign("testville-officers", version=make.version(minimal_questionnaire(audience="officer")),
                         access_mode="invitation")


@pytest.fixture
def invite(officer_campaign):
    """``invite(count)``: tokens for the officer campaign, committed."""

    def invite(count: int = 1) -> list[str]:
        tokens = create_invitations(officer_campaign, count)
        db.session.commit()
        return tokens

    return invite


@pytest.fixture
def card(app, officer_campaign):
    """``card(token)``: a new browser follows the invitation; the officer is on the first page."""

    def card(token: str, lang: str = "fr") -> Respondent:
        client = app.test_client()
        exchanged = client.get(f"/i/{token}", headers={"Accept-Language": lang})
        assert exchanged.status_code == 302, exchanged.status_code
        respondent = Respondent(client, officer_campaign.slug, lang)
        respondent.start()
        return respondent

    return card


@pytest.fixture
def officer(card):
    """``officer(token, comment=…, trust=…)``: a new browser follows the invitation and answers every page."""

    def officer(token: str, *, trust: str = "6", comment: str = "", lang: str = "fr"):
        respondent = card(token, lang)
        respondent.answer(contact="2", trust=trust)
        return respondent.answer(district="1", comment=comment)

    return officer
