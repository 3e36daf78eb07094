"""Raking: weights checked against samplics on the same respondents, margins met, trimming respected."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from imppulse_survey.extensions import db
from imppulse_survey.indicators.summaries import cell_sums
from imppulse_survey.indicators.weighting import WeightingError, rake_campaign, read_margins

from ..factories import bulk_load, minimal_questionnaire
from ..factories import text as texts

MARGINS = """dimension,category,population
age_band,1,30000
age_band,2,45000
age_band,3,25000
gender,1,52000
gender,2,48000
district,1,20000
district,2,50000
district,3,30000
"""


@pytest.fixture
def campaign(make):
    definition = minimal_questionnaire()
    definition["pages"][2]["items"] += [
        {"key": "age_band", "type": "single_choice", "text": texts("Age"),
         "options": [{"code": c, "label": texts(f"band {c}")} for c in (1, 2, 3)]},
        {"key": "gender", "type": "single_choice", "text": texts("Gender"),
         "options": [{"code": c, "label": texts(f"gender {c}")} for c in (1, 2)]},
    ]
    campaign = make.campaign(version=make.version(definition))
    rng = np.random.default_rng(11)
    districts = {d.code: d.id for d in campaign.city.districts}
    people, answers = [], []
    for number in range(1, 501):
        district = int(rng.choice([1, 2, 3], p=[0.45, 0.25, 0.30]))  # district 1 over-represented
        people.append({"id": number, "campaign_id": campaign.id, "wave_id": campaign.waves[0].id,
                       "district_id": districts[district], "questionnaire_version_id": campaign.questionnaire_version_id,
                       "language": "fr", "channel": "demo", "submission_id": f"00000000-0000-4000-8000-{number:012d}",
                       "submitted_on": pd.Timestamp("2026-10-01").date()})
        if number % 50 != 0:  # a few never said their age band: they keep weight 1
            answers.append({"response_id": number, "item_key": "age_band", "value": float(rng.choice([1, 2, 3], p=[.5, .3, .2])), "missing": None})
        answers.append({"response_id": number, "item_key": "gender", "value": float(rng.choice([1, 2], p=[.65, .35])), "missing": None})
        answers.append({"response_id": number, "item_key": "trust", "value": float(rng.integers(0, 11)), "missing": None})
    bulk_load(campaign, people, answers)
    return campaign


def respondents(campaign):
    rows = db.session.execute(text(
        "SELECT r.id, r.weight, d.code AS district,"
        " (SELECT value FROM answers a WHERE a.response_id = r.id AND a.item_key = 'age_band') AS age_band,"
        " (SELECT value FROM answers a WHERE a.response_id = r.id AND a.item_key = 'gender') AS gender"
        " FROM responses r JOIN districts d ON d.id = r.district_id WHERE r.campaign_id = :c ORDER BY r.id"),
        {"c": campaign.id}).all()
    return pd.DataFrame(rows, columns=["id", "weight", "district", "age_band", "gender"])


def samplics_rake(frame, margins):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samplics announces its successor on import
        from samplics.weighting import SampleWeight
    total = len(frame)
    control = {name: {float(code): pop * total / sum(values.values()) for code, pop in values.items()}
               for name, values in margins.items()}
    return SampleWeight().rake(
        samp_weight=np.ones(total),
        margins={name: frame[name].astype(float).to_numpy() for name in margins},
        control=control, tol=1e-12, ctrl_tol=1e-12, max_iter=2000,
    )


def test_raked_weights_match_samplics(campaign):
    margins = read_margins(MARGINS)
    report = rake_campaign(campaign, margins, trim=(1e-6, 1e6))
    db.session.commit()
    frame = respondents(campaign)
    complete = frame.dropna()
    assert report.weighted == len(complete) == 490 and report.unweighted == 10
    expected = samplics_rake(complete, margins)
    np.testing.assert_allclose(complete["weight"].to_numpy(), expected, rtol=1e-6)
    assert (frame[frame.age_band.isna()]["weight"] == 1.0).all()
    for name, values in margins.items():
        shares = complete.groupby(name)["weight"].sum() / complete["weight"].sum()
        wanted = pd.Series(values, dtype=float) / sum(values.values())
        np.testing.assert_allclose(shares.sort_index().to_numpy(), wanted.sort_index().to_numpy(), rtol=1e-6)
    design_effect = len(complete) * (complete.weight ** 2).sum() / complete.weight.sum() ** 2
    assert report.design_effect == pytest.approx(design_effect, rel=1e-9)


def test_trimming_keeps_weights_in_range(campaign):
    report = rake_campaign(campaign, read_margins(MARGINS), trim=(0.7, 1.3))
    db.session.commit()
    complete = respondents(campaign).dropna()
    relative = complete["weight"] / complete["weight"].mean()
    assert relative.min() >= 0.7 - 1e-9 and relative.max() <= 1.3 + 1e-9
    assert report.smallest >= 0.7 - 1e-9


def test_weighted_estimates_use_the_stored_weights(campaign):
    rake_campaign(campaign, read_margins(MARGINS))
    db.session.commit()
    from imppulse_survey.indicators.definitions import indicators_of
    from imppulse_survey.questionnaires.definition import Definition

    trust = next(i for i in indicators_of(Definition(campaign.questionnaire_version.definition)) if i.key == "trust")
    cell = cell_sums(campaign.id, [trust], weighted=True)[0]
    rows = db.session.execute(text("SELECT r.weight, a.value FROM answers a JOIN responses r ON r.id = a.response_id"
                                   " WHERE a.item_key = 'trust'")).all()
    frame = pd.DataFrame(rows, columns=["w", "v"])
    assert cell.sum_wy / cell.sum_w == pytest.approx(np.average(frame.v * 10, weights=frame.w), rel=1e-9)


@pytest.mark.parametrize("margins, message", [
    ("dimension,category\nage_band,1\n", "the margins file needs exactly the columns dimension,category,population"),
    ("dimension,category,population\nincome,1,5\n", "line 2: dimension must be one of age_band, gender, district"),
    ("dimension,category,population\ngender,x,5\n", "line 2: category must be a whole number and population a number"),
    ("dimension,category,population\ngender,1,-5\n", "line 2: population must be a positive number"),
    ("dimension,category,population\ngender,1,1e999\n", "line 2: population must be a positive number"),
    ("dimension,category,population\ngender,1,nan\n", "line 2: category must be a whole number and population a number"),
    ("dimension,category,population\ngender,²,5\n", "line 2: category must be a whole number and population a number"),
    ("dimension,category,population\ngender," + "9" * 5000 + ",5\n",
     "line 2: category must be a whole number and population a number"),
    ("dimension,category,population\ngender,1,5\x00\n",
     "line 2: category must be a whole number and population a number"),
    ('dimension,category,population\ngender,1,"5\n', "the margins file is not CSV: unexpected end of data"),
    ("dimension,category,population\ngender,1,5\ngender,1,6\n", "line 3: gender 1 is given twice"),
    ("dimension,category,population\n", "the margins file has no lines"),
])
def test_bad_margins_are_refused(margins, message):
    with pytest.raises(WeightingError) as caught:
        read_margins(margins)
    assert str(caught.value) == message


def test_a_category_without_a_margin_is_refused(campaign):
    with pytest.raises(WeightingError) as caught:
        rake_campaign(campaign, read_margins(MARGINS.replace("age_band,3,25000\n", "")))
    assert str(caught.value) == "respondents have age_band 3, which the margins do not give"


def test_the_rake_command(runner, campaign, tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text(MARGINS)
    result = runner.invoke(args=["imppulse", "weights", "rake", campaign.slug, "--margins", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{campaign.slug}: 490 responses weighted (10 without every characteristic kept 1)")
    bad = runner.invoke(args=["imppulse", "weights", "rake", campaign.slug, "--margins", str(path), "--trim", "2,1"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("content, message", [
    (None, "is larger than 1024 KB"),  # /dev/zero: its size is 0 to stat, and it never ends
    (b"\xff\xfe not text", "not UTF-8 text"),
])
def test_the_rake_command_reads_no_more_than_a_margins_file(runner, campaign, tmp_path, content, message):
    path = "/dev/zero" if content is None else tmp_path / "margins.csv"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(args=["imppulse", "weights", "rake", campaign.slug, "--margins", str(path)])
    assert result.exit_code == 1 and message in result.output
