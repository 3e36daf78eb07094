"""The network coordinator's view: the residents' indicators of three cities compared wave by wave, only within
sets of waves that compare (the same recruitment mode; items recorded comparable in the languages answered),
cities in alphabetical order whatever their figures, and the pilots' mirror gaps with the residents' level beside
each. Every figure is recomputed here with pandas, scipy and statsmodels from the answers loaded."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from imppulse_survey.campaigns.services import add_wave, close_wave, open_wave, plan_wave
from imppulse_survey.extensions import db
from imppulse_survey.indicators.network import languages_answered, network
from imppulse_survey.pilots.services import Design, Target, declare
from imppulse_survey.releases.figures import campaign_indicators, total_figure
from imppulse_survey.releases.services import make_release

from ..campaigns.test_wave_versions import EVERYTHING_BUT_FRENCH_CONFIDENCE, second_version
from ..factories import bulk_load
from ..indicators.test_disclosure import residents_questionnaire
from ..indicators.test_mirror import officer_questionnaire, officers_answer

EXACT = 0.05 + 1e-9  # figures are rounded to one decimal


class Tables(HTMLParser):
    """Each table of a page: its caption and its rows, a row being the text of its cells."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_caption = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def answers_of(n: int, trust_centre: float, agree: float, seed: int) -> pd.DataFrame:
    """``n`` respondents: trust 0–10 around ``trust_centre``, confidence 1–5 with a share ``agree`` of 4 or 5."""
    rng = np.random.default_rng(seed)
    trust = np.clip(np.rint(rng.normal(trust_centre, 2.0, n)), 0, 10).astype(int)
    confidence = np.where(rng.random(n) < agree, rng.choice([4, 5], n), rng.choice([1, 2, 3], n))
    return pd.DataFrame({"district": np.arange(n) % 4 + 1, "trust": trust, "confidence": confidence,
                         "police_contact": rng.choice([1, 2], n)})


def load(campaign, wave, frame: pd.DataFrame, languages: list[str]) -> None:
    """Respondents inserted in bulk, answering in ``languages`` (one language after another, row by row)."""
    from sqlalchemy import text as sql

    first = db.session.execute(sql("SELECT coalesce(max(id), 0) FROM responses")).scalar() + 1
    districts = {district.code: district.id for district in campaign.city.districts}
    responses, answers = [], []
    for number, row in enumerate(frame.itertuples(), first):
        responses.append({"id": number, "campaign_id": campaign.id, "wave_id": wave.id,
                          "district_id": districts[row.district], "questionnaire_version_id": wave.questionnaire_version_id,
                          "language": languages[(number - first) % len(languages)], "channel": "demo",
                          "submission_id": f"00000000-0000-4000-8000-{number:012d}",
                          "submitted_on": dt.date(2026, 10, 1), "weight": 1.0})
        answers += [{"response_id": number, "item_key": key, "value": float(getattr(row, key)), "missing": None}
                    for key in ("trust", "confidence", "police_contact")]
    bulk_load(campaign, responses, answers)


def measured_wave(campaign, wave, frame, languages) -> pd.DataFrame:
    """Load the wave's answers, close it and release it."""
    load(campaign, wave, frame, languages)
    close_wave(campaign)
    db.session.commit()
    make_release(campaign, wave)
    return frame


@pytest.fixture
def versions(make):
    first = residents_questionnaire()
    one = make.version(first)
    two = make.version(second_version(first, EVERYTHING_BUT_FRENCH_CONFIDENCE))
    db.session.commit()
    return one, two


def officers_waves(make, city, version):
    """An officers' campaign with a baseline and a follow-up wave, both answered and released."""
    officers = make.campaign(f"{city.slug}-officers", city=city, version=version, access_mode="invitation")
    officers_answer(officers, np.random.default_rng(city.id))
    make.release(officers)
    make.key_wave(open_wave(officers, "follow-up"))
    db.session.commit()
    officers_answer(officers, np.random.default_rng(city.id + 10))
    make.release(officers)
    return officers


def declare_pilot(city, residents, officers=None):
    design = Design(resident_campaign=residents, resident_baseline=residents.waves[0],
                    resident_follow_up=residents.waves[1], pilot_districts=[1, 2], comparison_districts=[3, 4],
                    primary_indicator="confidence", targets=[Target("confidence", 40.0, 50.0)],
                    officer_campaign=officers, officer_baseline=officers.waves[0] if officers else None,
                    officer_follow_up=officers.waves[1] if officers else None)
    texts = {"title": {"en": f"Patrols in {city.name}"}}
    return declare(city, f"{city.slug}-patrols", texts, design, reason="declared after the fieldwork, in a test")[0]


@pytest.fixture
def cities(make, versions):
    """Three cities' residents (answers by wave, in a frame each):

    - Amsterdam: version 2 in both waves, answered in French; no pilot;
    - Lisbon: version 1 then version 2, answered in English; a pilot with officers;
    - Zagreb: a random-sample baseline and an open-link follow-up, version 1, answered in French, with the highest
      figures of all; a pilot with officers (whose residents changed recruitment between the two waves).
    """
    one, two = versions
    frames = {}
    amsterdam = make.city("amsterdam", districts=4)
    campaign = make.campaign("amsterdam-residents", city=amsterdam, version=two)
    frames["amsterdam", "baseline"] = measured_wave(campaign, campaign.waves[0], answers_of(80, 5.0, .45, 1), ["fr"])
    follow_up = open_wave(campaign, "follow-up")
    frames["amsterdam", "follow-up"] = measured_wave(campaign, follow_up, answers_of(70, 5.5, .5, 2), ["fr"])

    lisbon = make.city("lisbon", districts=4)
    lisbon_residents = make.campaign("lisbon-residents", city=lisbon, version=one)
    frames["lisbon", "baseline"] = measured_wave(lisbon_residents, lisbon_residents.waves[0],
                                                 answers_of(90, 3.0, .3, 3), ["en"])
    follow_up = open_wave(lisbon_residents, "follow-up", version=two)
    frames["lisbon", "follow-up"] = measured_wave(lisbon_residents, follow_up, answers_of(75, 3.5, .35, 4), ["en"])

    zagreb = make.city("zagreb", districts=4)
    zagreb_residents = make.campaign("zagreb-residents", city=zagreb, version=one, open_now=False)
    baseline = add_wave(zagreb_residents, "baseline")
    plan_wave(baseline, recruitment_mode="random_sample")
    open_wave(zagreb_residents, "baseline")
    frames["zagreb", "baseline"] = measured_wave(zagreb_residents, baseline, answers_of(60, 6.0, .6, 5), ["fr"])
    follow_up = open_wave(zagreb_residents, "follow-up")
    frames["zagreb", "follow-up"] = measured_wave(zagreb_residents, follow_up, answers_of(85, 8.5, .75, 6), ["fr"])

    officer_version = make.version(officer_questionnaire())
    lisbon_officers = officers_waves(make, lisbon, officer_version)
    zagreb_officers = officers_waves(make, zagreb, officer_version)
    declare_pilot(lisbon, lisbon_residents, lisbon_officers)
    declare_pilot(zagreb, zagreb_residents, zagreb_officers)
    return frames


def members(comparison_set) -> set[tuple[str, str]]:
    return {(city["name"].lower(), line["wave"]) for city in comparison_set["cities"] for line in city["waves"]}


def sets_of(key: str) -> list[dict]:
    return network("en", [key])["comparisons"][0]["sets"]


def independent(frame: pd.DataFrame, key: str) -> tuple[float, float, float, int]:
    """Estimate and 95 % interval: trust as a t interval on the 0–100 mean, confidence as a Wilson share."""
    n = len(frame)
    if key == "trust":
        scores = frame["trust"] * 10.0
        low, high = stats.t.interval(0.95, n - 1, loc=scores.mean(), scale=stats.sem(scores))
        return scores.mean(), low, high, n
    agree = int(frame["confidence"].isin([4, 5]).sum())
    low, high = proportion_confint(agree, n, method="wilson")
    return agree / n * 100, low * 100, high * 100, n


@pytest.mark.parametrize("key", ["trust", "confidence"])
def test_figures_are_the_releases_and_equal_an_independent_computation(cities, key):
    frames = cities
    lines = {(city["name"].lower(), line["wave"]): line
             for found in sets_of(key) for city in found["cities"] for line in city["waves"]}
    assert set(lines) == set(frames)
    for (city, label), line in lines.items():
        estimate, low, high, n = independent(frames[city, label], key)
        assert line["status"] == "estimate" and line["n"] == n
        assert line["estimate"] == pytest.approx(estimate, abs=EXACT)
        assert (line["ci_low"], line["ci_high"]) == pytest.approx((low, high), abs=EXACT)
        assert line["interpret_with_care"] is False
        # the very figure the release layer gives the campaign's staff
        from imppulse_survey.campaigns.models import Campaign

        campaign = db.session.scalar(db.select(Campaign).filter_by(slug=f"{city}-residents"))
        wave = next(wave for wave in campaign.waves if wave.label == label)
        indicator = next(found for found in campaign_indicators(campaign) if found.key == key)
        figure = total_figure(campaign, indicator, wave, weighted=True)
        assert (line["estimate"], line["ci_low"], line["ci_high"], line["n"]) == (
            figure.estimate, figure.ci_low, figure.ci_high, figure.n)


def test_waves_recruited_differently_never_share_a_set(cities):
    trust = sets_of("trust")
    by_mode = {found["mode"]: found for found in trust}
    assert len(trust) == 2 and set(by_mode) == {"open_link", "random_sample"}
    # trust is recorded comparable in every language: versions 1 and 2 of every city are together
    assert members(by_mode["open_link"]) == {("amsterdam", "baseline"), ("amsterdam", "follow-up"),
                                             ("lisbon", "baseline"), ("lisbon", "follow-up"), ("zagreb", "follow-up")}
    assert by_mode["open_link"]["versions"] == [1, 2] and not by_mode["open_link"]["alone"]
    assert by_mode["open_link"]["sampling_error_only"]
    # Zagreb's random-sample baseline compares with nothing else: it stands alone
    assert members(by_mode["random_sample"]) == {("zagreb", "baseline")} and by_mode["random_sample"]["alone"]


def test_versions_not_comparable_in_a_language_answered_are_split(cities):
    """Confidence was reworded in French in version 2: a version-1 wave answered in French and a version-2 wave
    never share a set; a wave joins a set only when it compares with every wave in it (Lisbon's English follow-up
    compares with its English baseline, but not with Zagreb's French one already in that set)."""
    found = [members(group) for group in sets_of("confidence")]
    assert found == [{("lisbon", "baseline"), ("zagreb", "follow-up")}, {("zagreb", "baseline")},
                     {("amsterdam", "baseline"), ("amsterdam", "follow-up"), ("lisbon", "follow-up")}]


@pytest.mark.parametrize("follow_up_languages, together", [(["en"], True), (["en", "fr"], False)])
def test_the_languages_answered_decide(make, versions, follow_up_languages, together):
    """One city, version 1 then version 2: confidence compares in English only, so the two waves share a set
    while everyone answered in English, and not once some answered the follow-up in French."""
    one, two = versions
    campaign = make.campaign("lisbon-residents", city=make.city("lisbon", districts=4), version=one)
    measured_wave(campaign, campaign.waves[0], answers_of(50, 4.0, .4, 1), ["en"])
    follow_up = open_wave(campaign, "follow-up", version=two)
    measured_wave(campaign, follow_up, answers_of(50, 4.0, .4, 2), follow_up_languages)
    assert languages_answered(campaign.waves) == {campaign.waves[0].id: {"en"}, follow_up.id: set(follow_up_languages)}
    confidence = [members(group) for group in sets_of("confidence")]
    assert confidence == ([{("lisbon", "baseline"), ("lisbon", "follow-up")}] if together
                          else [{("lisbon", "baseline")}, {("lisbon", "follow-up")}])
    assert len(sets_of("trust")) == 1  # trust compares in every language


def test_languages_answered_are_counted_in_one_query(make, versions, cities):
    from sqlalchemy import event

    from imppulse_survey.campaigns.models import Wave

    waves = list(db.session.scalars(db.select(Wave)))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = languages_answered(waves)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([statement for statement in statements if "responses" in statement]) == 1
    assert all("DISTINCT" in statement for statement in statements if "responses" in statement)
    assert {frozenset(languages) for languages in found.values()} >= {frozenset({"en"}), frozenset({"fr"})}


def test_the_page_lists_cities_alphabetically_and_ranks_none(cities, sign_in):
    frames = cities
    # Zagreb, last by name, has the highest trust of the set
    assert max(frames, key=lambda found: frames[found]["trust"].mean()) == ("zagreb", "follow-up")
    page = sign_in("admin").get("/en/staff/network?indicator=trust").get_data(as_text=True)
    tables = Tables(page).tables
    open_link = next(table for table in tables if "Open link" in table["caption"])
    cities_in_rows = [row[0] for row in open_link["rows"][1:] if row[0] in ("Amsterdam", "Lisbon", "Zagreb")]
    assert cities_in_rows == ["Amsterdam", "Lisbon", "Zagreb"]
    assert "stands alone" in page
    assert 'role="region"' in page and 'scope="col"' in page and "<caption" in page
    # the one mention of ranking says that there is none; no rank, best or worst column
    assert re.findall(r"rank\w*", page, flags=re.IGNORECASE) == ["ranked"]
    assert "no city is ranked" in page
    assert not re.search(r"\b(best|worst|top)\b", page, flags=re.IGNORECASE)
    assert not re.search(r"\bnan\b", page, flags=re.IGNORECASE)
    assert "sampling uncertainty only" in page and "recorded comparable in the languages" in page


def test_the_indicator_picker_works_without_javascript(cities, sign_in):
    admin = sign_in("admin")
    first = admin.get("/en/staff/network").get_data(as_text=True)
    assert '<select id="indicator" name="indicator">' in first
    assert re.search(r'<option value="trust" selected>', first)  # the first indicator by default
    confidence = admin.get("/en/staff/network?indicator=confidence").get_data(as_text=True)
    assert re.search(r'<option value="confidence" selected>', confidence)
    assert admin.get("/en/staff/network?indicator=nothing").status_code == 404


def test_residents_level_is_beside_every_mirror_gap(cities, sign_in):
    frames = cities
    page = sign_in("admin").get("/en/staff/network").get_data(as_text=True)
    assert "No pilot: no residents' wave is paired with an officers' wave, so no gap is shown." in page
    tables = Tables(page).tables
    mirrors = {city: next(table for table in tables if table["caption"].startswith(f"Pilot Patrols in {city}"))
               for city in ("Lisbon", "Zagreb")}
    header = mirrors["Lisbon"]["rows"][0]
    assert header[1:4] == ["Officers' estimate", "Residents' level", "Gap (95% interval)"]
    for city, table in mirrors.items():
        row = next(row for row in table["rows"] if row[0] == "Confidence, officers' estimate (en)")
        share = frames[city.lower(), "follow-up"]["confidence"].isin([4, 5]).mean() * 100
        assert row[2].startswith(f"{share:.1f}")  # the residents' level, beside the gap
        assert re.match(r"[+-]\d+\.\d \(", row[3])  # the gap with its interval
    lisbon = next(row for row in mirrors["Lisbon"]["rows"] if row[0] == "Confidence, officers' estimate (en)")
    assert re.match(r"[+-]\d+\.\d \(", lisbon[4])  # English both times: the gap's change is shown
    zagreb = next(row for row in mirrors["Zagreb"]["rows"] if row[0] == "Confidence, officers' estimate (en)")
    assert zagreb[4] == "not comparable (respondents recruited differently)"
    # the page's order of cities in the mirror section is alphabetical too
    assert page.index('">Amsterdam</h3>') < page.index('">Lisbon</h3>') < page.index('">Zagreb</h3>')


def test_mirror_gaps_come_from_the_pilots_pairing(cities):
    mirrors = {entry["city"]: entry for entry in network("en", [])["mirrors"]}
    assert list(mirrors) == ["Amsterdam", "Lisbon", "Zagreb"] and mirrors["Amsterdam"]["pilots"] == []
    (lisbon,) = mirrors["Lisbon"]["pilots"]
    assert lisbon["at"] == "follow_up" and lisbon["resident_waves"] == ["baseline", "follow-up"]
    pair = next(pair for pair in lisbon["pairs"] if pair["officer_indicator"] == "perceived_confidence")
    assert pair["residents"]["wave"] == "follow-up" and pair["officers"]["wave"] == "follow-up"
    assert pair["status"] == "estimate" and pair["gap_change"]["status"] == "estimate"
    assert pair["gap"] == pytest.approx(pair["officers"]["estimate"] - pair["residents"]["estimate"], abs=0.1 + 1e-9)
    (zagreb,) = mirrors["Zagreb"]["pilots"]
    moved = next(pair for pair in zagreb["pairs"] if pair["officer_indicator"] == "perceived_confidence")["gap_change"]
    assert moved["status"] == "recruitment_changed" and "difference" not in moved


@pytest.mark.parametrize("role", ["manager", "viewer", "analyst"])
def test_only_the_network_coordinator_sees_it(make, sign_in, role):
    city = make.city("lisbon", districts=4)
    db.session.commit()
    assert sign_in(role, city).get("/en/staff/network").status_code == 403
    member = sign_in(role, city).get("/en/staff/").get_data(as_text=True)
    assert "/en/staff/network" not in member


def test_the_coordinator_has_the_link_and_an_empty_network_says_so(sign_in):
    admin = sign_in("admin")
    home = admin.get("/en/staff/").get_data(as_text=True)
    assert 'href="/en/staff/network"' in home
    page = admin.get("/en/staff/network")
    assert page.status_code == 200
    assert "No residents' campaign has an indicator to compare yet." in page.get_data(as_text=True)
