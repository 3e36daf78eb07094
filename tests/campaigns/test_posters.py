"""Posters: an A4 SVG with the QR code of the campaign's link, in the chosen language."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from imppulse_survey.extensions import db

from ..factories import minimal_questionnaire

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def campaign(make):
    return make.campaign("testville-residents")


def test_a_poster_in_french(runner, campaign, tmp_path):
    out = tmp_path / "poster.svg"
    result = runner.invoke(args=["imppulse", "poster", campaign.slug, "--lang", "fr", "--out", str(out),
                                 "--base-url", "https://enquete.example.fr/"])
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    assert root.get("width") == "210mm" and root.get("height") == "297mm" and root.get("lang") == "fr"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "https://enquete.example.fr/fr/s/testville-residents/" in texts
    assert any("Title (fr)" in (t or "") for t in texts)
    assert not any("Scan the code" in (t or "") for t in texts)  # the call to action is translated
    modules = [p for p in root.iter(f"{SVG}path")]
    assert modules and len(modules[0].get("d")) > 200  # the QR code's modules


def test_posters_are_for_open_campaigns_in_their_languages(runner, make, campaign, tmp_path):
    officers = make.campaign("testville-officers", city=campaign.city,
                             version=make.version(minimal_questionnaire(audience="officer", key="officer-survey")),
                             access_mode="invitation")
    result = runner.invoke(args=["imppulse", "poster", officers.slug, "--lang", "fr", "--out", str(tmp_path / "p.svg")])
    assert result.exit_code == 1 and "posters are for open campaigns" in result.output
    result = runner.invoke(args=["imppulse", "poster", campaign.slug, "--lang", "nl", "--out", str(tmp_path / "p.svg")])
    assert result.exit_code == 1 and result.output.strip() == "Error: testville-residents is offered in en, fr"
    result = runner.invoke(args=["imppulse", "poster", "ghost", "--lang", "fr", "--out", str(tmp_path / "p.svg")])
    assert result.exit_code == 1 and result.output.strip() == "Error: no campaign 'ghost'"


def test_a_hostile_title_stays_text_in_the_poster(runner, make, tmp_path):
    definition = minimal_questionnaire()
    definition["title"] = {"en": "<script>x</script> & co", "fr": "<script>x</script> & co"}
    campaign = make.campaign("hostile", version=make.version(definition))
    db.session.commit()
    out = tmp_path / "poster.svg"
    runner.invoke(args=["imppulse", "poster", campaign.slug, "--lang", "en", "--out", str(out)])
    root = ET.parse(out).getroot()  # well-formed: the title was escaped
    assert root.find(f"{SVG}script") is None
    assert "<script>x</script> & co" in [element.text for element in root.iter(f"{SVG}title")]
