"""Pages that can show answers, a resume link or a key are never stored by a browser or a proxy."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", [
    "/en/",  # a page
    "/en/staff/login",  # a form
    "/en/s/no-such-survey/resume/k3y",  # a resume link (here refused)
    "/i/some-invitation-token-that-is-long",  # an invitation (here refused)
    "/api/v1/openapi.json",  # JSON
    "/no/such/page",  # an error
])
def test_every_dynamic_response_says_no_store(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
