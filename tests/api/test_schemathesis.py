"""Schemathesis over the whole OpenAPI document: no 500, and every response conforms to the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.extensions import db, limiter

from ..factories import minimal_questionnaire


@pytest.fixture
def api(app, make):
    """The app with one open campaign (slug "survey") and an admin token; rate limits off for the fuzzing."""
    city = make.city("survey-city")
    make.campaign("survey", city=city, version=make.version(minimal_questionnaire()))
    user = create_user("fuzz@efus.eu", "a long enough password", "admin", None)
    app.config["FUZZ_TOKEN"] = issue_token(user)
    db.session.commit()
    limiter.enabled = False
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    limiter.enabled = True


def test_no_server_errors_and_responses_match_the_schema(api, app):
    # schemathesis' own pytest plugin does not load under this pytest; its hypothesis strategies do the same work
    token = app.config["FUZZ_TOKEN"]
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def exercise(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            case.call_and_validate()

        exercise()
