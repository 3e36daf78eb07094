"""Summaries kept at submission give exactly the sums that grouping the answers gives, however they are built."""

from __future__ import annotations

import itertools
import random
import threading
import uuid

import pytest
from sqlalchemy import func, select

from imppulse_survey.campaigns.services import add_wave, create_invitations
from imppulse_survey.core.models import utcnow
from imppulse_survey.demo.simulation import Respondent
from imppulse_survey.extensions import db
from imppulse_survey.indicators.aggregation import answer_cell_sums
from imppulse_survey.indicators.summaries import cell_sums
from imppulse_survey.questionnaires.scoring import response_scores
from imppulse_survey.releases.figures import campaign_indicators
from imppulse_survey.responses.models import Answer, IndicatorSummary, Response
from imppulse_survey.responses.scoring_sql import scored_responses
from imppulse_survey.responses.services import submit
from imppulse_survey.responses.summaries import SUMMARY_DIMENSIONS, rebuild_campaign_summaries
from imppulse_survey.weighting.services import rake_wave

from ..factories import days_ago, minimal_questionnaire, text, valid_answers

# every breakdown by up to two standard dimensions, and two of three
BREAKDOWNS = [shape for size in range(3) for shape in itertools.combinations(SUMMARY_DIMENSIONS, size)] + [
    ("wave", "district", "age_band"), ("district", "gender", "police_contact")]


def by_cell(cells):
    return {(cell.indicator, cell.dimensions): cell for cell in cells}


def assert_same_sums(summed, grouped):
    assert set(summed) == set(grouped)
    for key, cell in grouped.items():
        other = summed[key]
        assert other.n == cell.n, key
        for name in ("sum_w", "sum_wy", "sum_wy2", "sum_w2"):
            assert getattr(other, name) == pytest.approx(getattr(cell, name), rel=1e-9, abs=1e-9), (key, name)


def summary_rows(campaign_id):
    rows = db.session.scalars(select(IndicatorSummary).filter_by(campaign_id=campaign_id)).all()
    return {(r.indicator, r.wave_id, r.district_id, r.age_band, r.gender, r.police_contact):
            (r.n, r.sum_w, r.sum_wy, r.sum_wy2, r.sum_w2, r.sum_y, r.sum_y2) for r in rows}


@pytest.fixture
def demo(make):
    """A resident and an officer campaign over two waves, every response stored by the submission service."""
    versions = make.standard_versions()
    city = make.city("nantes", districts=5)
    label = {"fr": "les marches", "en": "the walks"}
    residents = make.campaign("nantes-residents", city, versions["resident-perception"], pilot_label=label)
    officers = make.campaign("nantes-officers", city, versions["officer-feedback"], access_mode="invitation",
                             pilot_label=label)
    for campaign, per_wave in ((residents, 70), (officers, 30)):
        for wave in (campaign.waves[0], make.key_wave(add_wave(campaign, "follow-up", days_ago(3), None))):
            for number in range(per_wave):
                respondent = Respondent(campaign, wave, seed=number)
                token = create_invitations(campaign, 1)[0] if campaign.access_mode == "invitation" else None
                submit(campaign.slug, respondent.answers(), language=respondent.language,
                       submission_id=str(uuid.uuid4()), channel="demo", token=token, wave_id=wave.id)
    for wave in officers.waves:  # officers' answers reach the summaries when their wave is released
        wave.closes_dt = utcnow()
        db.session.commit()
        make.release(officers, wave)
    return {"resident": residents, "officer": officers}


@pytest.mark.parametrize("weighted", [True, False])
def test_every_standard_breakdown_matches_the_answers(demo, weighted):
    for campaign in demo.values():
        indicators = campaign_indicators(campaign)
        assert indicators
        for shape in BREAKDOWNS:
            assert_same_sums(by_cell(cell_sums(campaign.id, indicators, shape, weighted=weighted)),
                             by_cell(answer_cell_sums(campaign.id, indicators, shape, weighted=weighted)))


def test_wave_filters_match_the_answers(demo):
    campaign = demo["resident"]
    indicators = campaign_indicators(campaign)
    for wave in campaign.waves:
        assert_same_sums(by_cell(cell_sums(campaign.id, indicators, ["district"], waves=[wave.id])),
                         by_cell(answer_cell_sums(campaign.id, indicators, ["district"], waves=[wave.id])))


def test_a_rebuild_reproduces_what_the_submissions_built(demo):
    for campaign in demo.values():
        built = summary_rows(campaign.id)
        assert sum(n for n, *_ in built.values()) > 0
        rebuild_campaign_summaries(campaign)
        db.session.commit()
        rebuilt = summary_rows(campaign.id)
        assert set(rebuilt) == set(built)
        for key, sums in built.items():
            assert rebuilt[key] == pytest.approx(sums, rel=1e-9, abs=1e-9), key


def test_other_items_are_grouped_from_the_answers(demo):
    campaign = demo["resident"]
    indicators = campaign_indicators(campaign)
    cells = cell_sums(campaign.id, indicators, ["district", "safe_after_dark"])
    assert cells and {cell.dimensions[1] for cell in cells} - {None}
    assert_same_sums(by_cell(cells), by_cell(answer_cell_sums(campaign.id, indicators, ["district", "safe_after_dark"])))


def test_raking_rebuilds_the_weighted_sums(demo):
    campaign = demo["resident"]
    margins = {"gender": {1: 480.0, 2: 500.0, 3: 20.0}, "district": {d.code: 100.0 + d.code for d in campaign.city.districts}}
    for wave in campaign.waves:
        rake_wave(campaign, wave, margins)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Response.campaign_id == campaign.id, Response.weight != 1.0))
    indicators = campaign_indicators(campaign)
    for shape in [(), ("district",), ("wave", "gender")]:
        assert_same_sums(by_cell(cell_sums(campaign.id, indicators, shape)),
                         by_cell(answer_cell_sums(campaign.id, indicators, shape)))


def test_a_campaign_without_responses_has_no_summaries(make):
    campaign = make.campaign()
    assert cell_sums(campaign.id, campaign_indicators(campaign), ["district"]) == []


def test_20_parallel_submissions_into_one_cell_are_all_counted(app, make):
    from ..api.test_submissions import body, post

    campaign = make.campaign()
    slug, data = campaign.slug, body()
    db.session.commit()
    barrier, statuses = threading.Barrier(20), []

    def attempt():
        client = app.test_client()
        barrier.wait()
        statuses.append(post(client, slug, dict(data, submission_id=str(uuid.uuid4()))).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 20
    counts = db.session.execute(select(IndicatorSummary.indicator, IndicatorSummary.n)
                                .filter_by(campaign_id=campaign.id)).all()
    assert counts and all(n == 20 for _, n in counts)


@pytest.fixture
def every_form(make):
    """A campaign whose indicators use every part of the scoring rule, with 80 random responses submitted:
    rescaling (reversed too), min_answered, proportion codes, and base conditions of every form."""
    definition = minimal_questionnaire()
    definition["indicators"] += [
        {"key": "trust_without_contact", "label": text("T"), "kind": "mean", "items": ["trust"],
         "base": {"not": {"item": "contact", "equals": 1}}},
        {"key": "confidence_some", "label": text("C"), "kind": "proportion", "items": ["confidence"], "codes": [4, 5],
         "base": {"any": [{"item": "topics", "in": [2, 3]}, {"item": "trust", "answered": False}]}},
        {"key": "fairness_both", "label": text("F"), "kind": "mean", "items": ["fair_respect", "fair_explain"],
         "reverse": ["fair_respect"], "min_answered": 2,
         "base": {"all": [{"item": "contact", "equals": 2}, {"item": "topics", "answered": True}]}},
    ]
    campaign = make.campaign(version=make.version(definition), pilot_label=text("the walks"))
    rng = random.Random(5)
    for _ in range(80):
        contact = rng.choice([1, 2])
        answers = valid_answers(
            contact=contact, trust=rng.choice([*range(11), "dont_know"]), confidence=rng.randint(1, 5),
            fair_respect=rng.choice([*range(1, 6), "dont_know"]), fair_explain=rng.choice([*range(1, 6), "dont_know"]),
            topics=rng.choice([[1], [2], [1, 2], [3], None]), district=rng.randint(1, 3),
            satisfaction=rng.randint(1, 5) if contact == 1 else None)
        submit(campaign.slug, answers, language="fr", submission_id=str(uuid.uuid4()), channel="api")
    db.session.commit()
    return campaign


def test_base_conditions_of_every_form_count_as_in_sql(every_form):
    """not, any, in and answered: false, each scored in Python at submission and in SQL from the answers."""
    indicators = campaign_indicators(every_form)
    for shape in [(), ("district",)]:
        summed = by_cell(cell_sums(every_form.id, indicators, shape))
        assert {key for key, _ in summed} >= {"trust_without_contact", "confidence_some", "fairness_both",
                                              "satisfaction"}
        assert_same_sums(summed, by_cell(answer_cell_sums(every_form.id, indicators, shape)))


def test_every_response_scores_the_same_in_python_and_in_sql(every_form):
    """questionnaires.scoring.response_scores and responses.scoring_sql.scored_responses, response by response:
    the same responses counted, with the same score, on every indicator."""
    values: dict[int, dict[str, list[float]]] = {}
    for response_id, key, value in db.session.execute(
            select(Answer.response_id, Answer.item_key, Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.campaign_id == every_form.id, Answer.value.is_not(None))):
        values.setdefault(response_id, {}).setdefault(key, []).append(value)
    indicators = campaign_indicators(every_form)
    in_python = {(response_id, key): score for response_id, given in values.items()
                 for key, score in response_scores(indicators, given).items()}
    in_sql = {}
    for indicator in indicators:
        scores = scored_responses(indicator, every_form.id)
        for response_id, score in db.session.execute(select(scores.c.response_id, scores.c.score)):
            in_sql[(response_id, indicator.key)] = score
    assert set(in_python) == set(in_sql)
    for key, score in in_sql.items():
        assert in_python[key] == pytest.approx(score, rel=1e-12, abs=1e-12), key
    # each indicator counted some responses and left others out, so that every rule was put to the test
    for indicator in indicators:
        counted = sum(1 for _, key in in_sql if key == indicator.key)
        assert 0 < counted < len(values) or indicator.key in ("trust", "confidence"), indicator.key
