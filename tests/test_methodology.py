"""The methodology page: in every language, every standard indicator with its items, every method named."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from imppulse_survey.i18n import text_in
from imppulse_survey.questionnaires.definition import Definition
from imppulse_survey.questionnaires.scoring import indicators_of

LANGUAGES = ["en", "fr", "it", "es", "ca", "nl", "pt"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_indicator_and_method_in_every_language(app, client, make, lang):
    versions = make.standard_versions()
    response = client.get(f"/{lang}/methodology")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.test_request_context(), force_locale(lang):
        title = gettext("How the figures are made")
    assert f'lang="{lang}"' in html and f"<h1>{title}</h1>" in html
    assert lang == "en" or title != "How the figures are made"
    for name in ("Wilson", "Kish", "Welch", "Miettinen", "MOVER"):
        assert name in html, name
    for version in versions.values():
        for indicator in indicators_of(Definition(version.definition)):
            assert text_in(indicator.label, lang).replace("'", "&#39;") in html, indicator.key


def test_every_figure_in_the_api_links_to_it(client, make):
    from imppulse_survey.api.openapi import openapi_document

    document = openapi_document()
    assert document["externalDocs"]["url"] == "/en/methodology"
    assert client.get(document["externalDocs"]["url"]).status_code == 200


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_version_1_mirror_pairs_are_named_as_not_comparable(client, lang):
    from imppulse_survey.questionnaires.loader import load_file
    from imppulse_survey.questionnaires.services import standard_file

    html = client.get(f"/{lang}/methodology").get_data(as_text=True)
    first = indicators_of(Definition(load_file(standard_file("officer-feedback", 1))))
    agreed = [indicator for indicator in first if indicator.mirror_of]
    assert len(agreed) == 6
    section = html[html.index('id="mirror"'):html.index('id="weighting"')]
    for indicator in agreed:
        assert text_in(indicator.label, lang).replace("'", "&#39;") in section, indicator.key
    assert ("never as a gap" if lang == "en" else "jamais sous forme") in section
    assert ("estimated percentage" if lang == "en" else "pourcentage estimé") in html
