"""The PDF of a pilot's evaluation report: it renders, its text holds the figures of the evaluation, staff text is
written literally, Arabic and Turkish are drawn in the embedded DejaVu Sans, and nothing points outside."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zlib
from decimal import Decimal

import pytest
from flask_babel import force_locale, format_currency, format_date
from pypdf import PdfReader

from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.core.charts import svg
from imppulse_survey.extensions import db
from imppulse_survey.pilots import pdf
from imppulse_survey.pilots.charts import chart_labels, evaluation_chart, png, png_size
from imppulse_survey.pilots.evaluation import evaluate
from imppulse_survey.pilots.services import add_action, add_budget_line
from imppulse_survey.pilots.summary import summary

from .conftest import DISTRICTS, declare_on

EVEN = dict.fromkeys(range(1, DISTRICTS + 1), 60)
#: what staff may type that a renderer could take for markup, a template or the page-count placeholder
MARKUP = ["<script>alert(1)</script>", "**bold**", "{{ 7*7 }}", "<b>x</b>", "{nb}"]
ARABIC_TITLE = "دوريات الأحياء"
ARABIC_DESCRIPTION = "لقاءات بين السكان والشرطة"
TURKISH = "Mahalle toplantıları, İstanbul ğüş"


def flat(text: str) -> str:
    """Whitespace collapsed: a table cell may wrap where the text has a space."""
    return " ".join(text.split())


def text_of(document: bytes) -> str:
    reader = PdfReader(io.BytesIO(document))
    return flat(unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages)))


def render(app, pilot, lang: str) -> bytes:
    with app.test_request_context(f"/{lang}/"):
        return pdf.pilot_pdf(pilot, lang)


def expected(app, pilot, lang: str, compute):
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return compute(evaluate(pilot, lang))


@pytest.fixture
def evaluated(measured):
    """A pilot with a 15-point effect, declared after its baseline was released, with actions and a budget."""
    campaign, _ = measured(15.0, EVEN, EVEN)
    pilot, _ = declare_on(campaign)
    add_action(pilot, "Foot patrols on market days", dt.date(2026, 3, 2), dt.date(2026, 9, 30), "under_way",
               "Neighbourhood police team")
    add_action(pilot, f"Residents' meetings {MARKUP[0]}", dt.date(2026, 4, 1), None, "planned", MARKUP[3])
    add_budget_line(pilot, "Overtime", Decimal("12500.00"), Decimal("8300.50"))
    add_budget_line(pilot, f"Leaflets {MARKUP[1]}", Decimal("1200.00"), Decimal(0))
    pilot.description = {"en": "Foot patrols. " + " ".join(MARKUP)}
    pilot.objectives = {"en": "More residents who trust the police {{ 7*7 }}."}
    db.session.commit()
    return pilot


def test_the_report_holds_the_evaluation_its_summary_timetable_budget_and_declaration(app, evaluated):
    document = render(app, evaluated, "en")
    assert document.startswith(b"%PDF-")
    text = text_of(document)
    rows = expected(app, evaluated, "en", lambda evaluation: evaluation["residents"])
    sentences = expected(app, evaluated, "en", summary)
    assert len(rows) == 2 and len(sentences) == 2
    with app.test_request_context("/en/"), force_locale("en"):
        for row in rows:
            difference = row["difference"]
            assert pdf.signed(difference["estimate"]) == f"{difference['estimate']:+.1f}"
            assert flat(pdf.change(difference)) in text, row["indicator"]
            assert f"({difference['ci_low']:+.1f} to {difference['ci_high']:+.1f})" in text
            assert pdf.p_value(difference["p_value"]) in text
            pilot_side = row["pilot"]["follow_up"]
            assert f"{pilot_side['estimate']:.1f} ({pilot_side['ci_low']:.1f}–{pilot_side['ci_high']:.1f})" in text
            reached = {"yes": "yes", "no": "no", "cannot_tell": "can't tell"}[row["target_reached"]]
            assert f"Target reached in the pilot districts: {reached}" in text
            assert f"ranks {row['placebo']['rank']} of {row['placebo']['of']} among" in text
            assert row["label"] in text
        for sentence in sentences:
            assert flat(sentence) in text
        declared = format_date(evaluated.declared_dt, "long")
        assert f"Pilot project declared on {declared}" in text
        assert "declared after the residents' baseline figures were released" in text
        revision = evaluated.revisions[0]
        assert f"{format_date(revision.made_dt, 'long')}: declared late in a test" in text
        planned = format_currency(Decimal("12500.00") + Decimal("1200.00"), "EUR")
        spent = format_currency(Decimal("8300.50"), "EUR")
        assert f"Total {planned} {spent}" in text
        assert format_date(dt.date(2026, 3, 2), "medium") in text
    assert "sampling uncertainty only" in text
    assert "Foot patrols on market days" in text and "Neighbourhood police team" in text and "under way" in text
    assert "Lisbon" in text and "Safer streets" in text and "How the figures are made" in text
    reader = PdfReader(io.BytesIO(document))
    charts = [name for page in reader.pages for name in (page["/Resources"].get("/XObject") or {})]
    assert len(charts) == 2  # one chart per target indicator
    footer = reader.pages[0].extract_text()
    assert f"page 1 of {len(reader.pages)}" in footer and "generated on" in footer


def test_staff_text_is_written_literally(app, evaluated):
    text = text_of(render(app, evaluated, "en"))
    for written in MARKUP:
        assert written in text, written
    assert "Residents' meetings <script>alert(1)</script>" in text
    assert "Leaflets **bold**" in text
    assert "trust the police {{ 7*7 }}." in text


def test_figures_are_written_the_readers_way(app, evaluated):
    text = text_of(render(app, evaluated, "fr"))
    rows = expected(app, evaluated, "fr", lambda evaluation: evaluation["residents"])
    with app.test_request_context("/fr/"), force_locale("fr"):
        for row in rows:
            estimate = row["difference"]["estimate"]
            assert f"{estimate:+.1f}".replace(".", ",") in text
        assert flat(format_currency(Decimal("13700.00"), "EUR")) in text
        assert flat(format_date(evaluated.declared_dt, "long")) in text


def test_the_officers_side_and_mirror_gaps_with_residents_level_beside_them(app, evaluated, monkeypatch):
    def with_officers(pilot, lang):
        found = evaluate(pilot, lang)
        side = {"status": "estimate", "n": 120, "estimate": 61.5, "ci_low": 55.0, "ci_high": 68.0}
        found["officers"] = [
            {"indicator": "job_satisfaction", "label": "Job satisfaction", "kind": "mean", "status": "estimate",
             "from_": {"wave": "baseline", **side}, "to": {**side, "wave": "follow-up", "estimate": 66.0},
             "difference": 4.5, "ci_low": -1.2, "ci_high": 10.2, "p_value": 0.12},
            {"indicator": "support", "label": "Support from superiors", "kind": "proportion", "status": "suppressed",
             "from_": {"wave": "baseline", "status": "suppressed", "n": None},
             "to": {"wave": "follow-up", "status": "no_data", "n": None}},
        ]
        found["mirror"] = [
            {"label": "Residents trust the police", "status": "estimate", "gap": 12.0, "gap_ci_low": 8.0,
             "gap_ci_high": 16.0, "residents": {"status": "estimate", "estimate": 48.0, "ci_low": 44.0,
                                                "ci_high": 52.0, "n": 600},
             "officers": {"status": "estimate", "estimate": 60.0, "ci_low": 57.0, "ci_high": 63.0, "n": 120},
             "gap_change": {"status": "estimate", "difference": -3.0, "ci_low": -7.5, "ci_high": 1.5}},
            {"label": "Residents feel respected", "status": "series_break", "residents": {"status": "no_data"},
             "officers": {"status": "no_data"}, "gap_change": {"status": "series_break"}},
        ]
        return found

    monkeypatch.setattr(pdf, "evaluate", with_officers)
    text = text_of(render(app, evaluated, "en"))
    assert "Job satisfaction 61.5 (55.0–68.0) n = 120 66.0 (55.0–68.0) n = 120 +4.5 (-1.2 to +10.2) p = 0.120" in text
    assert "Support from superiors suppressed (too few respondents) no data suppressed" in text
    assert "Residents trust the police 48.0 (44.0–52.0) 60.0 (57.0–63.0) +12.0 (+8.0 to +16.0) -3.0 (-7.5 to +1.5)" \
        in text
    assert "Residents feel respected no data no data not comparable (the question changed)" in text


def test_an_arabic_and_a_turkish_pilot_render_in_the_embedded_font(app, evaluated):
    evaluated.title = {"ar": ARABIC_TITLE}
    evaluated.description = {"ar": ARABIC_DESCRIPTION}
    evaluated.objectives = {"ar": TURKISH}
    db.session.commit()
    document = render(app, evaluated, "ar")
    assert document.startswith(b"%PDF-")
    text = text_of(document)
    assert ARABIC_TITLE in text and ARABIC_DESCRIPTION in text
    assert any("\u0600" <= char <= "\u06ff" for char in text)
    assert TURKISH in text
    reader = PdfReader(io.BytesIO(document))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descendant["/FontDescriptor"]
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(Book|Bold)", name) for name in fonts), fonts
    assert all(fonts.values())  # every font embedded
    # right to left: the title ends at the right margin
    starts = []
    reader.pages[0].extract_text(visitor_text=lambda found, cm, tm, *_: starts.append((found, tm[4])))
    title_x = next(x for found, x in starts if "دوريات" in unicodedata.normalize("NFKC", found))
    assert title_x > float(reader.pages[0].mediabox.width) / 3

    evaluated.title = {"tr": TURKISH}
    evaluated.description = {"tr": TURKISH}
    db.session.commit()
    text = text_of(render(app, evaluated, "en"))  # neither English nor the city's French: the text there is
    assert text.count(TURKISH) >= 2


def streams(document: bytes) -> list[bytes]:
    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", document, re.DOTALL):
        try:
            found.append(zlib.decompress(match.group(1)))
        except zlib.error:
            found.append(match.group(1))
    return found


def test_nothing_in_the_pdf_points_outside(app, evaluated):
    evaluated.description = {"en": "See http://example.org and file:///etc/passwd"}
    db.session.commit()
    document = render(app, evaluated, "en")
    reader = PdfReader(io.BytesIO(document))
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            assert "/A" not in annotation and "/URI" not in str(annotation)
    # staff's text is drawn as glyphs, never as a link: no address anywhere in the file, compressed or not
    for part in [document, *streams(document)]:
        for outside in (b"http", b"file:", b"/URI", b"/Launch", b"/GoToR", b"/JavaScript", b"/JS "):
            assert outside not in part, outside
    assert "http://example.org" in text_of(document)


def test_a_pilot_whose_waves_are_not_released_says_there_is_no_data(app, make):
    version = make.standard_versions()["resident-perception"]
    city = make.city("lisbon", districts=DISTRICTS)
    campaign = make.campaign("lisbon-residents", city=city, version=version)
    campaigns.close_wave(campaign)
    campaigns.open_wave(campaign, "follow-up")
    db.session.commit()
    pilot, _ = declare_on(campaign, reason=None)
    assert not pilot.declared_after_baseline
    document = render(app, pilot, "en")
    assert document.startswith(b"%PDF-")
    text = text_of(document)
    assert "no data" in text
    assert "there are not enough published figures to compare" in text
    assert "declared before the residents' baseline figures were released" in text
    assert "The declared design has not been changed." in text
    assert "No action recorded yet." in text and "No budget line recorded yet." in text
    reader = PdfReader(io.BytesIO(document))
    assert not [name for page in reader.pages for name in (page["/Resources"].get("/XObject") or {})]


def test_the_chart_shows_the_four_group_estimates_and_the_target(app, evaluated):
    rows = expected(app, evaluated, "en", lambda evaluation: evaluation["residents"])
    with app.test_request_context("/en/"), force_locale("en"):
        for row in rows:
            spec = evaluation_chart(row, {"pilot": "Pilot districts", "comparison": "Comparison districts",
                                          "baseline": "Baseline", "follow_up": "Follow-up", "target": "Target"})
            values = spec["data"]["values"]
            assert [(value["group"], value["wave"], value["estimate"]) for value in values] == [
                (name, wave_name, row[group][wave]["estimate"])
                for group, name in (("pilot", "Pilot districts"), ("comparison", "Comparison districts"))
                for wave, wave_name in (("baseline", "Baseline"), ("follow_up", "Follow-up"))]
            shapes = spec["layer"][1]["encoding"]["shape"]["scale"]["range"]
            assert shapes == ["circle", "square"]  # told apart by shape, not colour alone
            assert {"target": row["target_value"]} in [layer.get("data", {}).get("values", [None])[0]
                                                       for layer in spec["layer"]]
            drawn = svg(spec, row["label"])
            assert drawn.startswith("<svg") and 'role="img"' in drawn and "Target" in drawn
            image = png(spec)
            assert image.startswith(b"\x89PNG") and png_size(image)[0] > 600  # drawn at twice its size
        unreleased = {**rows[0], "status": "no_data", "pilot": None, "comparison": None}
        assert evaluation_chart(unreleased, chart_labels(unreleased)) is None
