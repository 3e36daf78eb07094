"""A released residents' wave (``released``), staff signed in (``sign_in``), and the public outputs' addresses."""

from __future__ import annotations

import pytest

from imppulse_survey.extensions import db
from imppulse_survey.results.services import publish

from ..releases.conftest import residents  # noqa: F401  (fixture)
from ..workspace.conftest import released, sign_in  # noqa: F401  (fixtures)

PAGE = "/{lang}/results/{city}"
JSON = "/api/v1/public/results/{city}?lang={lang}"
CSV = "/api/v1/public/results/{city}.csv?lang={lang}"


def addresses(city: str, lang: str = "en") -> dict[str, str]:
    return {name: address.format(city=city, lang=lang) for name, address in
            (("page", PAGE), ("json", JSON), ("csv", CSV))}


@pytest.fixture
def published(released):  # noqa: F811
    """The released residents' wave, published."""
    campaign, wave, frame = released
    publish(wave)
    db.session.commit()
    return campaign, wave, frame
