"""Pilot projects, the public results page and the network view in a real browser: every page on a phone and on a
desktop, checked with axe, for sideways scrolling, for ids given twice and for cut chart labels, with screenshots
saved for people to look at (SCREENSHOTS); the report printed (its print stylesheet); the declare form without
JavaScript; the French pages; and not one request to a host other than the test server.

The data is Lisbon's: ten districts whose residents answered a baseline and a follow-up (both released and
published), officers who answered a baseline and a follow-up (both released, their estimates mirroring a residents'
indicator), and a pilot declared on them after the baseline release, with actions and budget lines. A second city
(Amiens) released one wave, so that the network view compares two cities. A manager of Lisbon visits the pilot
pages; a network coordinator (admin) the network view; nobody logs in for the public page. axe runs in the page, so
the contexts that run it have JavaScript on; every rule axe runs by default runs, and a violation is fixed in the
templates or the CSS, never by turning a rule off.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from urllib.parse import urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import insert, select

from imppulse_survey.accounts.services import create_user
from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.extensions import db
from imppulse_survey.pilots.services import add_action, add_budget_line, set_texts
from imppulse_survey.releases.services import make_release
from imppulse_survey.responses.models import Answer, Response
from imppulse_survey.responses.summaries import rebuild_campaign_summaries
from imppulse_survey.results.services import publish

from ..indicators.test_mirror import officer_questionnaire, officers_answer
from ..pilots.conftest import answers, declare_on, load
from . import SCREENSHOTS as E2E_SCREENSHOTS
from . import TIMEOUT_MS
from .test_workspace import PASSWORD, SCREENS, log_in
from .test_workspace import look as look_in_workspace

SCREENSHOTS = E2E_SCREENSHOTS / "pilots"
MANAGER, ADMIN = "manager@lisbon.example", "coordinator@efus.example"
CITY, RESIDENTS, OFFICERS, PILOT = "lisbon", "lisbon-residents", "lisbon-officers", "safer-streets"
SIZES = dict.fromkeys(range(1, 11), 45)

#: the pilot pages a manager has, by the name of their screenshot: their address under /<lang>/staff/pilots/
PILOT_PAGES = {
    "01-pilots": "",
    "02-declare": f"new?city={CITY}",
    "03-report": f"{PILOT}/",
    "04-manage": f"{PILOT}/manage",
}


# -- the cities' data -----------------------------------------------------------------------------------------------

def confidence_answers(campaign, wave, seed: int) -> None:
    """Every resident's answer to police_confidence (1-5) in ``wave``: the residents' side of the officers' mirror."""
    rng = np.random.default_rng(seed)
    ids = db.session.scalars(select(Response.id).where(Response.wave_id == wave.id)).all()
    db.session.execute(insert(Answer), [
        {"response_id": number, "item_key": "police_confidence", "value": float(rng.choice([1, 2, 3, 4, 5])),
         "missing": None} for number in ids])
    rebuild_campaign_summaries(campaign)
    db.session.commit()


def residents_wave(campaign, wave, label: str, first_id: int, seed: int) -> int:
    """Load the residents' answers of ``wave`` (trust and confidence), close it, release it; the next free id."""
    frame = answers(label, 15.0, seed, SIZES)
    load(campaign, wave, frame, first_id)
    confidence_answers(campaign, wave, seed)
    wave.opens_dt = wave.opens_dt.replace(year=2025 if label == "baseline" else 2026)
    campaigns.close_wave(campaign)
    db.session.commit()
    make_release(campaign, wave)
    return first_id + len(frame)


@pytest.fixture
def lisbon(make):
    """Lisbon's residents and officers, each with a released baseline and follow-up, the residents' waves published;
    a pilot declared on them with actions and budget; Amiens with one released wave; a manager and an admin."""
    version = make.standard_versions()["resident-perception"]
    city = make.city(CITY, districts=10)
    residents = make.campaign(RESIDENTS, city=city, version=version)
    next_id = residents_wave(residents, residents.waves[0], "baseline", 1, seed=7)
    follow_up = campaigns.open_wave(residents, "follow-up")
    db.session.commit()
    residents_wave(residents, follow_up, "follow-up", next_id, seed=8)

    officers = make.campaign(OFFICERS, city=city, version=make.version(officer_questionnaire()),
                             access_mode="invitation", languages=("en", "fr"))
    officers_answer(officers, np.random.default_rng(2))
    make.release(officers)
    make.key_wave(campaigns.open_wave(officers, "follow-up"))
    db.session.commit()
    officers_answer(officers, np.random.default_rng(3))
    make.release(officers)

    pilot, _ = declare_on(residents, PILOT, reason="the council chose the districts after the baseline",
                          officer_campaign=officers, officer_baseline=officers.waves[0],
                          officer_follow_up=officers.waves[1])
    set_texts(pilot, {
        "title": {"en": "Safer streets", "fr": "Rues plus sûres"},
        "description": {"en": "Foot patrols in three districts, twice a week, with a named officer residents can "
                              "reach, and a meeting every month in each district's community centre."},
        "objectives": {"en": "Residents of the pilot districts trust the police more, and officers know better "
                             "what residents think of them."}})
    add_action(pilot, "Foot patrols in the pilot districts", dt.date(2026, 3, 1), dt.date(2026, 9, 30),
               "under_way", "Local police, unit 3")
    add_action(pilot, "Monthly meetings in community centres", dt.date(2026, 4, 1), None, "planned",
               "District councils")
    add_action(pilot, "Training on procedural justice", dt.date(2026, 1, 15), dt.date(2026, 2, 28), "done",
               "Police academy")
    add_budget_line(pilot, "Overtime for foot patrols", Decimal(48000), Decimal("21500.50"))
    add_budget_line(pilot, "Training", Decimal(12000), Decimal(12000))
    add_budget_line(pilot, "Meeting rooms and leaflets", Decimal(3500), Decimal(900))
    for wave in residents.waves:
        publish(wave)
    publish(officers.waves[1])

    amiens = make.city("amiens", districts=5)
    elsewhere = make.campaign("amiens-residents", city=amiens, version=version)
    load(elsewhere, elsewhere.waves[0], answers("baseline", 0.0, 11, {code: 50 for code in range(1, 6)}), 100_000)
    campaigns.close_wave(elsewhere)
    db.session.commit()
    make_release(elsewhere, elsewhere.waves[0])

    create_user(MANAGER, PASSWORD, "manager", city)
    create_user(ADMIN, PASSWORD, "admin", None)
    db.session.commit()
    return pilot


# -- what every page is checked for ---------------------------------------------------------------------------------

def look(page, name: str, screen: str):
    look_in_workspace(page, name, screen, SCREENSHOTS)


class Screens:
    """Browser contexts of a screen's size, each page's requests recorded: none may leave the test server."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.contexts, self.requests, self.server_errors = [], [], []

    def open(self, screen: str, javascript: bool = True):
        context = self.browser.new_context(**SCREENS[screen], java_script_enabled=javascript, base_url=self.base_url)
        self.contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("response", lambda response: response.status >= 500 and self.server_errors.append(
            f"{response.status} {response.url}"))
        return context.new_page()

    def foreign_requests(self) -> list[str]:
        host = urlsplit(self.base_url).hostname
        return [url for url in self.requests if urlsplit(url).scheme not in ("data", "blob")
                and urlsplit(url).hostname != host]


@pytest.fixture
def screens(browser, live_server):
    opened = Screens(browser, live_server)
    yield opened
    for context in opened.contexts:
        context.close()
    assert opened.requests, "no request recorded"
    assert opened.foreign_requests() == [], "requests to another host than the test server"
    assert opened.server_errors == []


def visit(page, address: str, heading: str | None = None):
    response = page.goto(address)
    assert response.status == 200, f"{address}: {response.status}"
    expect(page.locator("h1")).to_be_visible()
    if heading is not None:
        expect(page.locator("h1")).to_have_text(heading)


# -- the tests ------------------------------------------------------------------------------------------------------

def test_every_pilot_page_passes_axe_and_fits_a_phone_and_a_desktop(lisbon, screens, translate):
    for screen in SCREENS:
        page = screens.open(screen)
        log_in(page, MANAGER, "en", translate)
        for name, address in PILOT_PAGES.items():
            visit(page, f"/en/staff/pilots/{address}")
            if name == "03-report":
                expect(page.locator(".chart svg")).to_have_count(2)  # one per target indicator
                expect(page.locator("#officers-caption")).to_be_visible()
                expect(page.locator("#mirror-caption")).to_be_visible()
                expect(page.locator("#actions-caption + thead + tbody tr")).to_have_count(3)
            look(page, name, screen)

        # the report's PDF: a download of a PDF
        visit(page, f"/en/staff/pilots/{PILOT}/")
        link = page.get_by_role("link", name=translate("en", "Download the report (PDF)"), exact=True)
        pdf = page.request.get(link.get_attribute("href"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF-")
        assert 'filename="safer-streets-en.pdf"' in pdf.headers["content-disposition"]

        # the managing page's forms sent back with their errors
        visit(page, f"/en/staff/pilots/{PILOT}/manage")
        page.locator("#action-name").fill("Door-to-door visits")
        page.locator("#action-starts_on").fill("2026-06-01")
        page.locator("#action-ends_on").fill("2026-05-01")
        page.get_by_role("button", name=translate("en", "Add the action"), exact=True).click()
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#action-name")).to_have_value("Door-to-door visits")
        look(page, "05-manage-form-error", screen)

        # the declare form sent back with its errors
        visit(page, f"/en/staff/pilots/new?city={CITY}")
        page.get_by_role("button", name=translate("en", "Declare the pilot"), exact=True).click()
        expect(page.locator(".error-summary")).to_have_count(1)
        look(page, "06-declare-form-error", screen)


def test_the_report_prints_black_on_white_without_the_workspace_around_it(lisbon, screens, translate):
    page = screens.open("desktop")
    log_in(page, MANAGER, "en", translate)
    visit(page, f"/en/staff/pilots/{PILOT}/")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4's printable width at 96 dpi, 1.5 cm margins
    for hidden in (".staff-nav", ".site-header", ".breadcrumbs", ".skip-link", ".no-print", ".site-footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    assert page.locator("main .button:visible").count() == 0
    colours = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(element => element.getClientRects().length)
        .map(element => getComputedStyle(element))
        .flatMap(style => [style.color, style.backgroundColor])""")
    assert set(colours) <= {"rgb(0, 0, 0)", "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"}, set(colours)
    # no table cut at the edge of a scrolling region: every table is printed whole
    cut = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
        .filter(region => region.scrollWidth > region.clientWidth + 1 || getComputedStyle(region).overflowX !== 'visible')
        .map(region => region.getAttribute('aria-labelledby'))""")
    assert cut == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "07-report-print.png"), full_page=True, timeout=30_000)
    page.pdf(path=str(SCREENSHOTS / "07-report-print.pdf"), format="A4")


def test_declaring_a_pilot_without_javascript_shows_the_errors_at_the_top_and_keeps_what_was_typed(
        lisbon, screens, translate):
    def _(message: str, **variables) -> str:
        return translate("en", message, **variables)

    page = screens.open("phone", javascript=False)
    log_in(page, MANAGER, "en", translate)
    visit(page, f"/en/staff/pilots/new?city={CITY}", _("Declare a pilot in %(city)s", city="Lisbon"))
    page.locator("#texts-slug").fill("Night Patrols")  # capitals: refused
    page.locator("#texts-description_en").fill("Patrols at night in two districts.")
    page.locator("#pilot_districts-0").check()  # district 1: options are numbered from 0
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name=_("Declare the pilot"), exact=True).click()
    assert posted.value.status == 400
    summary = page.locator(".error-summary")
    expect(summary).to_have_count(1)
    expect(summary.locator("h2")).to_have_text(_("Please correct the following:"))
    expect(summary).to_be_in_viewport()  # where the page opens, on a phone, with no script to move the focus
    links = summary.get_by_role("link")
    assert links.count() >= 3  # the short name, a title, the comparison districts
    targets = [link.get_attribute("href") for link in links.all()]
    for target in targets:
        assert target.startswith("#") and page.locator(target).count() == 1, f"{target} leads nowhere"
    assert "#texts-slug" in targets and "#comparison_districts" in targets
    # what was typed and ticked is still there
    expect(page.locator("#texts-slug")).to_have_value("Night Patrols")
    expect(page.locator("#texts-slug")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#texts-description_en")).to_have_value("Patrols at night in two districts.")
    expect(page.locator("#pilot_districts-0")).to_be_checked()
    # a link of the summary leads to its field
    summary.locator('a[href="#texts-slug"]').click()
    expect(page.locator("#texts-slug")).to_be_in_viewport()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "08-declare-no-javascript-phone.png"), full_page=True, timeout=30_000)


def test_french_pages_render(lisbon, screens, translate):
    for screen in SCREENS:
        page = screens.open(screen)
        log_in(page, MANAGER, "fr", translate)
        visit(page, f"/fr/staff/pilots/{PILOT}/", "Rues plus sûres")
        assert page.evaluate("document.documentElement.lang") == "fr"
        expect(page.locator("h1")).to_have_attribute("lang", "fr")
        # written in English only: said so, for a screen reader on a French page
        expect(page.locator("#about + p")).to_have_attribute("lang", "en")
        expect(page.locator(".chart svg")).to_have_count(2)
        look(page, "09-report-fr", screen)
    visit(page, f"/fr/staff/pilots/{PILOT_PAGES['04-manage']}")
    look(page, "10-fr-04-manage", "desktop")
    visit(page, f"/fr/results/{CITY}")
    look(page, "10-fr-results", "desktop")


def test_the_public_results_page_and_its_data_need_no_login(lisbon, screens, translate):
    for screen in SCREENS:
        page = screens.open(screen)
        visit(page, f"/en/results/{CITY}", translate("en", "Survey results: %(city)s", city="Lisbon"))
        expect(page.locator("section.results-wave")).to_have_count(3)  # residents' two waves, officers' follow-up
        for summary in page.locator("details.results-breakdown summary").all():  # every breakdown opened
            summary.click()
        look(page, "11-results", screen)

        json_link = page.get_by_role("link", name="JSON", exact=True)
        data = page.request.get(json_link.get_attribute("href"))
        assert data.status == 200 and data.headers["content-type"].startswith("application/json")
        assert len(data.json()["waves"]) == 3
        csv_link = page.get_by_role("link", name="CSV", exact=True)
        table = page.request.get(csv_link.get_attribute("href"))
        assert table.status == 200 and table.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(table.text())))
        assert len(rows) > 10 and "lisbon-results.csv" in table.headers["content-disposition"]

    page = screens.open("phone")
    visit(page, "/fr/results/amiens")  # a city that published nothing yet
    look(page, "12-results-none-published", "phone")


def test_the_network_view_passes_axe_and_fits_a_phone_and_a_desktop(lisbon, screens, translate):
    for screen in SCREENS:
        page = screens.open(screen)
        log_in(page, ADMIN, "en", translate)
        visit(page, "/en/staff/network")
        expect(page.locator(".chart svg").first).to_be_visible()
        look(page, "13-network", screen)
        visit(page, "/en/staff/pilots/")
        look(page, "14-pilots-admin", screen)
    visit(page, "/fr/staff/network")
    look(page, "15-network-fr", "desktop")
