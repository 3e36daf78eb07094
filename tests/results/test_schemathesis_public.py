"""Schemathesis over the public results' two operations, with a published wave behind them: every check of
tests/api/test_schemathesis.py, so that the 200 answers (which the whole-document run, with no city of its own
published, never reaches) are held to the schema too."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from imppulse_survey.extensions import limiter

from ..api.test_schemathesis import run, without_socket_settings


@pytest.fixture
def public_api(app, published, monkeypatch):
    config = SchemathesisConfig.from_dict({
        "seed": 20260302,
        "workers": 1,
        "continue-on-failure": True,
        "parameters": {"city": "nantes"},
        "generation": {"mode": "all", "max-examples": 25, "deterministic": True, "database": "none"},
        "checks": {"enabled": True},
    })
    monkeypatch.setattr(WSGI_TRANSPORT, "send", without_socket_settings(WSGI_TRANSPORT.send))
    limiter.enabled = False
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config).include(
        path_regex=r"^/api/v1/public/results/")
    limiter.enabled = True


@pytest.mark.single_pass
def test_every_check_on_the_public_results(public_api):
    failures, checks_run, phases = run(public_api)
    assert failures == [], "\n".join(failures)
    assert phases["coverage"] == phases["fuzzing"] == "success"
    assert {"not_a_server_error", "response_schema_conformance", "content_type_conformance",
            "negative_data_rejection", "positive_data_acceptance"} <= checks_run
