"""A resident campaign whose open wave is recruited by street interviews, and signed-in staff."""

from __future__ import annotations

import pytest

from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.extensions import db

from ..workspace.conftest import sign_in  # noqa: F401  (fixture)


@pytest.fixture
def street(make):
    """A campaign (en, fr; three districts) whose open wave ``baseline`` takes street interviews."""
    campaign = make.campaign(open_now=False)
    wave = campaigns.add_wave(campaign, "baseline")
    campaigns.plan_wave(wave, recruitment_mode="street_intercept")
    campaigns.open_wave(campaign, "baseline")
    db.session.commit()
    return campaign
