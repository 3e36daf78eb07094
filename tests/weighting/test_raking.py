"""Raking per wave: weights checked against samplics on the same respondents, margins met among those who gave\neach characteristic, small classes merged, trimming respected, each raking a new weight set."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from imppulse_survey.extensions import db
from imppulse_survey.indicators.summaries import cell_sums
from imppulse_survey.weighting.raking import WeightingError, read_margins
from imppulse_survey.weighting.services import rake_wave

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


def load_people(campaign, wave, size, seed=11, missing_every=50, first_id=1, young=0.5):
    """``size`` respondents of ``wave``: district 1 over-represented; every ``missing_every``-th gave no age."""
    rng = np.random.default_rng(seed)
    districts = {d.code: d.id for d in campaign.city.districts}
    people, answers = [], []
    for number in range(first_id, first_id + size):
        district = int(rng.choice([1, 2, 3], p=[0.45, 0.25, 0.30]))
        people.append({"id": number, "campaign_id": campaign.id, "wave_id": wave.id,
                       "district_id": districts[district], "questionnaire_version_id": campaign.questionnaire_version_id,
                       "language": "fr", "channel": "demo", "submission_id": f"00000000-0000-4000-8000-{number:012d}",
                       "submitted_on": pd.Timestamp("2026-10-01").date()})
        if not missing_every or number % missing_every != 0:
            age = float(rng.choice([1, 2, 3], p=[young, (1 - young) * .6, (1 - young) * .4]))
            answers.append({"response_id": number, "item_key": "age_band", "value": age, "missing": None})
        answers.append({"response_id": number, "item_key": "gender", "value": float(rng.choice([1, 2], p=[.65, .35])), "missing": None})
        answers.append({"response_id": number, "item_key": "trust", "value": float(rng.integers(0, 11)), "missing": None})
    bulk_load(campaign, people, answers)


@pytest.fixture
def weighted_campaign(make):
    definition = minimal_questionnaire()
    definition["pages"][2]["items"] += [
        {"key": "age_band", "type": "single_choice", "text": texts("Age"),
         "options": [{"code": c, "label": texts(f"band {c}")} for c in (1, 2, 3)]},
        {"key": "gender", "type": "single_choice", "text": texts("Gender"),
         "options": [{"code": c, "label": texts(f"gender {c}")} for c in (1, 2)]},
    ]
    return make.campaign(version=make.version(definition))


@pytest.fixture
def campaign(weighted_campaign):
    load_people(weighted_campaign, weighted_campaign.waves[0], 500)
    return weighted_campaign


def respondents(campaign, wave=None):
    rows = db.session.execute(text(
        "SELECT r.id, r.weight, d.code AS district,"
        " (SELECT value FROM answers a WHERE a.response_id = r.id AND a.item_key = 'age_band') AS age_band,"
        " (SELECT value FROM answers a WHERE a.response_id = r.id AND a.item_key = 'gender') AS gender"
        " FROM responses r JOIN districts d ON d.id = r.district_id WHERE r.wave_id = :w ORDER BY r.id"),
        {"w": (wave or campaign.waves[0]).id}).all()
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


def assert_margins_met(frame, margins, rtol=1e-6):
    """Among the respondents who gave each characteristic, weighted shares equal the population's."""
    for name, values in margins.items():
        given = frame[frame[name].notna()]
        shares = given.groupby(name)["weight"].sum() / given["weight"].sum()
        wanted = pd.Series(values, dtype=float) / sum(values.values())
        np.testing.assert_allclose(shares.sort_index().to_numpy(), wanted.sort_index().to_numpy(), rtol=rtol)


def test_raked_weights_match_samplics(weighted_campaign):
    load_people(weighted_campaign, weighted_campaign.waves[0], 2000, missing_every=0)  # every class well filled
    margins = read_margins(MARGINS)
    report = rake_wave(weighted_campaign, weighted_campaign.waves[0], margins, trim=(1e-6, 1e6))
    db.session.commit()
    frame = respondents(weighted_campaign)
    assert report.respondents == len(frame) == 2000 and report.groups == 18  # 3 × 3 × 2 classes, none merged
    np.testing.assert_allclose(frame["weight"].to_numpy(), samplics_rake(frame, margins), rtol=1e-6)
    design_effect = len(frame) * (frame.weight ** 2).sum() / frame.weight.sum() ** 2
    assert report.weight_set.design_effect == pytest.approx(design_effect, rel=1e-9)


def test_each_respondent_is_raked_on_the_characteristics_they_gave(campaign):
    margins = read_margins(MARGINS)
    rake_wave(campaign, campaign.waves[0], margins, trim=(1e-6, 1e6))
    db.session.commit()
    frame = respondents(campaign)
    assert_margins_met(frame, margins, rtol=1e-4)  # a few classes merged: met closely, not exactly
    assert frame.weight.mean() == pytest.approx(1.0)
    no_age = frame[frame.age_band.isna()]
    assert len(no_age) == 10 and (no_age.weight != 1.0).all()  # moved by gender and district


def test_small_classes_share_a_neighbours_weight(campaign):
    rake_wave(campaign, campaign.waves[0], read_margins(MARGINS), trim=(1e-6, 1e6))
    db.session.commit()
    frame = respondents(campaign).fillna(-1)
    classes = frame.groupby(["district", "gender", "age_band"]).agg(n=("id", "size"), weight=("weight", "first"))
    threshold = campaign.disclosure_threshold
    small = classes[classes.n < threshold]
    assert len(small) > 0
    for (district, gender, age), row in small.iterrows():
        same_weight = classes[np.isclose(classes.weight, row.weight, rtol=1e-12)]
        assert same_weight.n.sum() >= threshold, (district, gender, age)
        assert set(same_weight.index.get_level_values("district")) == {district}


def test_trimming_keeps_weights_in_range(campaign):
    report = rake_wave(campaign, campaign.waves[0], read_margins(MARGINS), trim=(0.7, 1.3))
    db.session.commit()
    relative = respondents(campaign)["weight"]
    assert relative.min() >= 0.7 - 1e-9 and relative.max() <= 1.3 + 1e-9
    assert report.smallest >= 0.7 - 1e-9


def test_each_wave_is_raked_to_its_own_margins_as_a_new_weight_set(weighted_campaign, make):
    """Finding 4: raking pooled over waves left each wave's age make-up 6-7 points off its margins."""
    from imppulse_survey.campaigns.services import add_wave

    first = weighted_campaign.waves[0]
    second = add_wave(weighted_campaign, "follow-up")
    load_people(weighted_campaign, first, 600, young=0.6)
    load_people(weighted_campaign, second, 600, seed=12, first_id=1001, young=0.3)
    margins = read_margins(MARGINS)
    later = read_margins(MARGINS.replace("age_band,1,30000", "age_band,1,40000"))
    rake_wave(weighted_campaign, first, margins)
    db.session.commit()
    weights_of_first = respondents(weighted_campaign, first).weight.to_numpy()
    report = rake_wave(weighted_campaign, second, later)
    db.session.commit()
    assert_margins_met(respondents(weighted_campaign, second), later, rtol=1e-3)
    np.testing.assert_array_equal(respondents(weighted_campaign, first).weight.to_numpy(), weights_of_first)
    again = rake_wave(weighted_campaign, second, margins)
    db.session.commit()
    assert (report.weight_set.number, again.weight_set.number) == (1, 2)
    assert not report.weight_set.is_current and again.weight_set.is_current


def test_weighted_estimates_use_the_stored_weights(campaign):
    rake_wave(campaign, campaign.waves[0], read_margins(MARGINS))
    db.session.commit()
    from imppulse_survey.questionnaires.definition import Definition
    from imppulse_survey.questionnaires.scoring import indicators_of

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
        rake_wave(campaign, campaign.waves[0], read_margins(MARGINS.replace("age_band,3,25000\n", "")))
    assert str(caught.value) == "respondents have age_band 3, which the margins do not give"


def test_the_rake_command(runner, campaign, tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text(MARGINS)
    result = runner.invoke(args=["imppulse", "weights", "rake", campaign.slug, "--margins", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{campaign.slug} wave baseline: weight set #1, 500 responses in ")
    assert "margins met within" in result.output
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
