"""Publishing versions, and the questionnaire commands."""

from __future__ import annotations

from sqlalchemy import func, select

from imppulse_survey.extensions import db
from imppulse_survey.questionnaires.models import QuestionnaireVersion
from imppulse_survey.questionnaires.services import STANDARD_VERSIONS, standard_file

from ..factories import as_yaml, minimal_questionnaire


def version_count():
    return db.session.scalar(select(func.count()).select_from(QuestionnaireVersion))


def write(tmp_path, definition, name="survey.yaml"):
    path = tmp_path / name
    path.write_text(as_yaml(definition), encoding="utf-8")
    return path


def test_load_publishes_then_recognises_the_same_content(runner, tmp_path):
    path = write(tmp_path, minimal_questionnaire())
    first = runner.invoke(args=["imppulse", "questionnaire", "load", str(path)])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "test-survey: published as version 1"
    # the same content, written differently (key order, comments), publishes nothing new
    path.write_text("# a comment\n" + as_yaml(dict(reversed(list(minimal_questionnaire().items())))))
    again = runner.invoke(args=["imppulse", "questionnaire", "load", str(path)])
    assert again.output.strip() == "test-survey: unchanged, still version 1"
    assert version_count() == 1


def test_changed_content_publishes_a_new_version_and_old_ones_stay(runner, tmp_path, make):
    runner.invoke(args=["imppulse", "questionnaire", "load", str(write(tmp_path, minimal_questionnaire()))])
    first = db.session.scalar(select(QuestionnaireVersion))
    first_definition = dict(first.definition)
    changed = minimal_questionnaire()
    changed["title"]["en"] = "A better title"
    result = runner.invoke(args=["imppulse", "questionnaire", "load", str(write(tmp_path, changed))])
    assert result.output.strip() == "test-survey: published as version 2"
    db.session.expire_all()
    versions = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].definition == first_definition
    assert versions[1].definition["title"]["en"] == "A better title"


def test_a_campaign_keeps_the_version_it_was_created_with(runner, tmp_path, make):
    campaign = make.campaign()
    original = campaign.questionnaire_version_id
    changed = minimal_questionnaire()
    changed["title"]["fr"] = "Un autre titre"
    runner.invoke(args=["imppulse", "questionnaire", "load", str(write(tmp_path, changed))])
    db.session.refresh(campaign)
    assert campaign.questionnaire_version_id == original
    assert version_count() == 2


def test_an_invalid_file_publishes_nothing_and_lists_its_problems(runner, tmp_path):
    broken = minimal_questionnaire()
    broken["title"].pop("fr")
    broken["pages"][0]["items"][1]["key"] = "Trust!"
    result = runner.invoke(args=["imppulse", "questionnaire", "load", str(write(tmp_path, broken, "broken.yaml"))])
    assert result.exit_code == 1
    assert "broken.yaml: pages[0].items[1].key: is not a valid key" in result.output
    assert "broken.yaml: title: no text for language 'fr'" in result.output
    assert "Traceback" not in result.output
    assert version_count() == 0


def test_check_validates_without_publishing(runner, tmp_path):
    # not a standard file: version 1 of both has one-sided translations, which check now reports and fails on
    result = runner.invoke(args=["imppulse", "questionnaire", "check", str(write(tmp_path, minimal_questionnaire()))])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("test-survey: valid")
    assert version_count() == 0


def test_an_audience_cannot_change_between_versions(runner, tmp_path):
    runner.invoke(args=["imppulse", "questionnaire", "load", str(write(tmp_path, minimal_questionnaire()))])
    result = runner.invoke(args=["imppulse", "questionnaire", "load",
                                 str(write(tmp_path, minimal_questionnaire(audience="officer")))])
    assert result.exit_code == 1
    assert "its audience cannot change" in result.output


def test_both_standard_questionnaires_load_and_list(runner):
    for key in ("resident-perception", "officer-feedback"):
        # version 2 says what compares with version 1, which must be published first
        refused = runner.invoke(args=["imppulse", "questionnaire", "load", str(standard_file(key, 2))])
        assert refused.exit_code == 1 and "comparable_with names version 1, which is not published" in refused.output
        for number in STANDARD_VERSIONS:
            result = runner.invoke(args=["imppulse", "questionnaire", "load", str(standard_file(key, number))])
            assert result.output.strip() == f"{key}: published as version {number}"
    listing = runner.invoke(args=["imppulse", "questionnaire", "list"]).output.splitlines()
    assert [line.split()[:2] for line in listing] == [
        ["officer-feedback", "v1"], ["officer-feedback", "v2"], ["resident-perception", "v1"], ["resident-perception", "v2"]]
    assert all(line.endswith("en,fr,it,es,ca,nl,pt") for line in listing)  # loaded by hand: nothing reviewed


def test_show_prints_pages_items_and_indicators_in_a_language(runner):
    for number in STANDARD_VERSIONS:
        runner.invoke(args=["imppulse", "questionnaire", "load", str(standard_file("resident-perception", number))])
    result = runner.invoke(args=["imppulse", "questionnaire", "show", "resident-perception", "--lang", "pt"])
    assert result.exit_code == 0
    assert "resident-perception v2 (resident)" in result.output
    assert "[district]" in result.output and "indicator trust (mean)" in result.output
    missing = runner.invoke(args=["imppulse", "questionnaire", "show", "nothing-here"])
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: no published questionnaire 'nothing-here'"
