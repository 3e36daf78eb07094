"""Language packs and review marks: a language added to a published version without a new version, checked
whole; a production campaign opens only in reviewed languages; elsewhere an unreviewed language says so."""

from __future__ import annotations

import pytest
import yaml

from imppulse_survey.campaigns.services import CampaignError, add_wave, open_wave
from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.packs import PackError, add_language, mark_reviewed, pack_template, text_paths

from ..factories import minimal_questionnaire, text


def invoke(runner, *args, **kwargs):
    return runner.invoke(args=["imppulse", *args], **kwargs)


def italian(template: dict) -> dict:
    """A translator's pack: every text, placeholders kept."""
    return dict(template, language="it", texts={path: f"[it] {source}" for path, source in template["texts"].items()})


@pytest.fixture
def version(make):
    definition = minimal_questionnaire()
    definition["introduction"] = text("Run by {organiser}; groups of at least {threshold}.")
    version = make.version(definition)
    db.session.commit()
    return version


def test_a_language_is_added_from_a_filled_template_and_marked_reviewed(runner, version, tmp_path, make, client):
    result = invoke(runner, "questionnaire", "pack-template", "test-survey", "1")
    assert result.exit_code == 0, result.output
    template = yaml.safe_load(result.output)
    assert template["texts"]["title"] == "Title (en)"
    # an option copied from a named scale is translated once, under the scale
    assert "scales.agree5.options.0.label" in template["texts"]
    assert not any(path.startswith("pages.0.items.2.options") for path in template["texts"])
    pack_file = tmp_path / "it.yaml"
    pack_file.write_text(yaml.safe_dump(italian(template), allow_unicode=True))
    result = invoke(runner, "questionnaire", "add-language", str(pack_file))
    assert result.exit_code == 0, result.output
    listing = invoke(runner, "questionnaire", "list").output
    assert "en,fr,it" in listing  # no language is reviewed yet, and no new version was made
    db.session.expire_all()
    campaign = make.campaign("testville-residents", version=version, languages=("it", "en"))
    page = client.get(f"/it/s/{campaign.slug}/").get_data(as_text=True)
    assert "[it] Title (en)" in page and "[it] Run by the City of Testville (it); groups of at least 10." in page
    assert "Non revisionato." in page  # the interface speaks Italian too
    result = invoke(runner, "questionnaire", "review", "test-survey", "1", "it", "--by", "Giulia Rossi",
                    "--against", "the English source")
    assert result.exit_code == 0, result.output
    assert "en,fr,it*" in invoke(runner, "questionnaire", "list").output
    assert "Non revisionato." not in client.get(f"/it/s/{campaign.slug}/").get_data(as_text=True)


@pytest.mark.parametrize("spoil, expected", [
    (lambda texts: texts.pop("title"), "title: no it text"),
    (lambda texts: texts.update(title="   "), "title: no it text"),
    (lambda texts: texts.update({"pages.9.title": "x"}), "pages.9.title: not a text of this version"),
    (lambda texts: texts.update(introduction="Run by {organizer}; at least {threshold}."),
     "introduction: placeholders ['organizer', 'threshold'] differ"),
])
def test_a_pack_is_checked_whole(version, spoil, expected):
    pack = italian(pack_template(version))
    spoil(pack["texts"])
    with pytest.raises(PackError) as refused:
        add_language(version, "it", pack["texts"])
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems


def test_a_pack_cannot_replace_a_language_or_bring_an_unsupported_one(version):
    texts = italian(pack_template(version))["texts"]
    with pytest.raises(PackError, match="has this language already"):
        add_language(version, "fr", texts)
    with pytest.raises(PackError, match="not a language the platform supports"):
        add_language(version, "de", texts)


def test_every_text_has_a_path_the_pack_can_fill(version):
    paths = dict(text_paths(version.definition))
    assert {"title", "introduction", "pages.0.items.0.text", "missing.dont_know.label"} <= set(paths)


def test_production_opens_a_wave_only_in_reviewed_languages(make, version):
    campaign = make.campaign("testville-residents", version=version, open_now=False)
    with pytest.raises(CampaignError, match="en, fr texts of test-survey version 1 are not marked reviewed"):
        open_wave(campaign, "baseline", require_reviewed=True)
    mark_reviewed(version, "en", "Ana", "the source")
    with pytest.raises(CampaignError, match="the fr texts"):
        open_wave(campaign, "baseline", require_reviewed=True)
    mark_reviewed(version, "fr", "Ana", "the English source")
    assert open_wave(campaign, "baseline", require_reviewed=True).status() == "open"


def test_a_wave_opens_only_once_the_campaign_names_its_forces_and_organiser(make, runner, version):
    campaign = make.campaign("testville-residents", version=version, open_now=False)
    campaign.organiser = {}
    db.session.commit()
    with pytest.raises(CampaignError, match=r"must give its organiser \(en\), organiser \(fr\) first"):
        open_wave(campaign, "baseline")
    with pytest.raises(CampaignError, match="organiser"):
        from imppulse_survey.core.models import utcnow

        add_wave(campaign, "scheduled", opens_dt=utcnow())
    result = invoke(runner, "campaign", "texts", campaign.slug, "--organiser", "en=the City of Testville",
                    "--organiser", "fr=la Ville de Testville")
    assert result.exit_code == 0, result.output
    assert "testville-residents organiser (fr): la Ville de Testville" in result.output
    bad = invoke(runner, "campaign", "texts", campaign.slug, "--organiser", "it=la Città")
    assert bad.exit_code == 1 and "does not offer it" in bad.output
    assert invoke(runner, "campaign", "texts", campaign.slug, "--forces", "en").exit_code == 2
    assert invoke(runner, "campaign", "open", campaign.slug, "--wave", "baseline").exit_code == 0


def test_the_shipped_arabic_and_turkish_packs_are_added_unreviewed_and_a_reviewer_mark_reviews_them(
        app_context, tmp_path, monkeypatch):
    """Version 2 of the standard questionnaires gets its shipped packs, not reviewed; a second mark of the version
    in reviews.yaml (a list of marks), as a reviewer who reads Arabic adds it, reviews Arabic only."""
    import datetime as dt
    import shutil

    from imppulse_survey.questionnaires import services
    from imppulse_survey.questionnaires.packs import available_languages, unreviewed_languages

    versions = services.publish_standard()
    db.session.commit()
    for version in versions.values():
        assert available_languages(version)[-2:] == ["ar", "tr"]
        assert unreviewed_languages(version, available_languages(version)) == ["ar", "tr"]
    shipped = yaml.safe_load((services.STANDARD_DIRECTORY / "reviews.yaml").read_text(encoding="utf-8"))
    shipped["resident-perception"][2] = [shipped["resident-perception"][2], {
        "by": "A reviewer who reads Arabic", "date": dt.date(2027, 1, 15), "against": "the English source", "languages": ["ar"]}]
    directory = tmp_path / "standard"
    shutil.copytree(services.STANDARD_DIRECTORY, directory)
    (directory / "reviews.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(services, "STANDARD_DIRECTORY", directory)
    resident = services.publish_standard()["resident-perception"]
    db.session.commit()
    assert unreviewed_languages(resident, available_languages(resident)) == ["tr"]
