"""The staff workspace in a real browser: every page on a phone and on a desktop, checked with axe and for sideways
scrolling, with screenshots saved for people to look at (SCREENSHOTS); its forms without JavaScript; and its
layout in a language written right to left.

The data is one city's: a residents' campaign of the standard questionnaire with two released waves and a third
planned, and an officers' campaign whose released estimates mirror a residents' indicator. A manager of the city
visits every page; a network coordinator (admin) reads the audit log. axe runs in the page, so the contexts that
run it have JavaScript on (the workspace needs none); every rule axe runs by default runs, and a violation is fixed
in the templates or the CSS, never by turning a rule off.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import insert, select, update

from imppulse_survey.accounts.audit import record
from imppulse_survey.accounts.services import create_user
from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.core.models import utcnow
from imppulse_survey.extensions import db
from imppulse_survey.releases.services import make_release
from imppulse_survey.responses.models import Answer, Response
from imppulse_survey.responses.summaries import rebuild_campaign_summaries

from ..indicators.test_mirror import officer_questionnaire, officers_answer
from ..releases.conftest import DISTRICT_SIZES, load, people
from . import PHONE, TIMEOUT_MS
from . import SCREENSHOTS as E2E_SCREENSHOTS

SCREENSHOTS = E2E_SCREENSHOTS / "workspace"
SCREENS = {"phone": PHONE, "desktop": {"viewport": {"width": 1280, "height": 900}}}
PASSWORD = "a long enough password"
MANAGER, ADMIN = "manager@testville.example", "coordinator@efus.example"
RESIDENTS, OFFICERS = "testville-residents", "testville-officers"
AXE = Axe()

#: every page a manager has, by the name of its screenshot: its address under /<lang>/staff/
MANAGER_PAGES = {
    "01-home": "",
    "02-campaign-residents": f"campaigns/{RESIDENTS}/",
    "03-campaign-officers": f"campaigns/{OFFICERS}/",
    "04-fieldwork": f"campaigns/{RESIDENTS}/fieldwork?wave=follow-up",
    "05-indicators": f"campaigns/{RESIDENTS}/indicators",
    "06-indicator-trust": f"campaigns/{RESIDENTS}/indicators/trust",
    "07-compare-waves": f"campaigns/{RESIDENTS}/compare",
    "08-mirror": "mirror",
    "09-new-campaign": "campaigns/new",
    "10-edit-wave": f"campaigns/{RESIDENTS}/waves/2027/edit",
    "11-users": "users",
}
#: the pages that draw a chart beside their table (the data above gives each one something to draw)
CHARTED = {"04-fieldwork", "05-indicators", "06-indicator-trust", "07-compare-waves", "08-mirror"}


# -- the city's data ------------------------------------------------------------------------------------------------

def days_ago(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def fieldwork_dates(wave, opened: int, closed: int) -> None:
    """The wave ran from ``opened`` to ``closed`` days ago, its responses spread over those days."""
    wave.opens_dt, wave.closes_dt = days_ago(opened), days_ago(closed)
    ids = db.session.scalars(select(Response.id).where(Response.wave_id == wave.id).order_by(Response.id)).all()
    last_day = wave.closes_dt.date()
    db.session.execute(update(Response), [
        {"id": number, "submitted_on": last_day - dt.timedelta(days=index % (opened - closed))}
        for index, number in enumerate(ids)])


def confidence_answers(campaign, seed: int) -> None:
    """Every resident's answer to police_confidence (1-5): the residents' side of the officers' mirror."""
    rng = np.random.default_rng(seed)
    ids = db.session.scalars(select(Response.id).where(Response.campaign_id == campaign.id)).all()
    db.session.execute(insert(Answer), [
        {"response_id": number, "item_key": "police_confidence", "value": float(rng.choice([1, 2, 3, 4, 5])),
         "missing": None} for number in ids])
    rebuild_campaign_summaries(campaign)
    db.session.commit()


@pytest.fixture
def residents(make):
    """Testville's residents' campaign: a baseline and a follow-up released, a third wave planned; and its manager."""
    version = make.standard_versions()["resident-perception"]
    city = make.city("testville", districts=len(DISTRICT_SIZES))
    campaign = make.campaign(RESIDENTS, city=city, version=version, languages=("fr", "nl", "pt", "en"))
    baseline = campaign.waves[0]
    first = people(campaign, baseline, DISTRICT_SIZES, seed=11)
    load(campaign, baseline, first)
    follow_up = campaigns.open_wave(campaign, "follow-up")  # closes the baseline
    db.session.commit()
    more = {code: size + 10 for code, size in DISTRICT_SIZES.items()}
    load(campaign, follow_up, people(campaign, follow_up, more, seed=12, first_id=len(first) + 1))
    fieldwork_dates(baseline, opened=200, closed=186)
    fieldwork_dates(follow_up, opened=40, closed=24)
    confidence_answers(campaign, seed=13)
    make_release(campaign, baseline)
    make_release(campaign, follow_up)
    planned = campaigns.add_wave(campaign, "2027")
    campaigns.plan_wave(planned, opens_dt=days_ago(-60), closes_dt=days_ago(-90), target=600)
    create_user(MANAGER, PASSWORD, "manager", city)
    db.session.commit()
    return campaign


@pytest.fixture
def city(make, residents):
    """The residents' city with its officers' campaign released too, a network coordinator and a few audited
    changes; everything committed before the browser asks."""
    officers = make.campaign(OFFICERS, city=residents.city, version=make.version(officer_questionnaire()),
                             access_mode="invitation", languages=("en", "fr"))
    officers_answer(officers, np.random.default_rng(2))
    wave = campaigns.close_wave(officers)
    wave.opens_dt, wave.closes_dt = days_ago(35), days_ago(21)
    db.session.commit()
    make.release(officers, wave)
    create_user(ADMIN, PASSWORD, "admin", None)
    record("wave.release", f"{RESIDENTS} follow-up", residents.city_id, release=1)
    record("campaign.threshold", RESIDENTS, residents.city_id, old=10, new=12)
    db.session.commit()
    return residents.city


# -- what every page is checked for ---------------------------------------------------------------------------------

#: elements wider than the screen: a table scrolls inside its own region, visually hidden texts are clipped
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.body.querySelectorAll('*')]
        .filter(element => !element.closest('.visually-hidden, .skip-link')
                           && !element.parentElement.closest('.table-scroll, svg'))
        .filter(element => {
            const box = element.getBoundingClientRect();
            return box.width && (box.left < -0.5 || box.right > width + 0.5);
        })
        .map(element => element.outerHTML.slice(0, 160));
}"""
#: ids given to more than one element (hidden CSRF fields aside): a label or a link would find only the first
DUPLICATE_IDS = """() => {
    const ids = [...document.querySelectorAll('[id]:not(input[type=hidden])')].map(element => element.id);
    return [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
}"""
#: a chart's texts that its drawing cuts off (axis labels, categories, notes)
CLIPPED_CHART_TEXT = """() => [...document.querySelectorAll('.chart svg')].flatMap(chart => {
    const frame = chart.getBoundingClientRect();
    return [...chart.querySelectorAll('text')].filter(text => {
        const box = text.getBoundingClientRect();
        return box.width && (box.left < frame.left - 0.5 || box.right > frame.right + 0.5);
    }).map(text => text.textContent);
})"""


def look(page, name: str, screen: str, folder: Path = SCREENSHOTS):
    """axe finds nothing; the page does not scroll sideways, no id is given twice, no chart label is cut off; and a
    full-page screenshot is saved in ``folder``."""
    what = f"{name} on a {screen} ({page.url})"
    results = AXE.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"
    # Reflow (WCAG 1.4.10), which axe does not check: nothing wider than the screen, no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[screen]["viewport"]["width"], f"{what} is {width}px wide: it scrolls sideways"
    assert page.evaluate(OVERFLOWING) == [], f"{what}: wider than the screen"
    assert page.evaluate(DUPLICATE_IDS) == [], f"{what}: ids given twice"
    assert page.evaluate(CLIPPED_CHART_TEXT) == [], f"{what}: chart labels cut off"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{screen}.png"), full_page=True, timeout=30_000)


@pytest.fixture
def open_screen(browser, live_server):
    """``open_screen(screen, javascript=True)``: a page in a new browser context of that size, closed at the end."""
    contexts = []

    def open_screen(screen: str, javascript: bool = True):
        context = browser.new_context(**SCREENS[screen], java_script_enabled=javascript, base_url=live_server)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context.new_page()

    yield open_screen
    for context in contexts:
        context.close()


def log_in(page, email: str, lang: str, translate):
    """Through the login form, as a person would; the workspace opens on the city's campaigns."""
    page.goto(f"/{lang}/staff/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=translate(lang, "Log in"), exact=True).click()
    expect(page.locator("h1")).to_have_text(translate(lang, "Campaigns"))


def visit(page, lang: str, address: str):
    response = page.goto(f"/{lang}/staff/{address}")
    assert response.status == 200, f"{address}: {response.status}"
    expect(page.locator("h1")).to_be_visible()


# -- the tests ------------------------------------------------------------------------------------------------------

def test_every_workspace_page_passes_axe_and_fits_a_phone_and_a_desktop(open_screen, city, translate):
    for screen in SCREENS:
        page = open_screen(screen)
        log_in(page, MANAGER, "en", translate)
        for name, address in MANAGER_PAGES.items():
            visit(page, "en", address)
            if name in CHARTED:
                expect(page.locator(".chart svg").first).to_be_visible()
            look(page, name, screen)

        # a form sent back with its errors
        visit(page, "en", f"campaigns/{RESIDENTS}/")
        page.locator("#label").fill("Next Year")
        page.get_by_role("button", name=translate("en", "Add the wave"), exact=True).click()
        expect(page.locator(".error-summary")).to_be_visible()
        look(page, "12-campaign-form-error", screen)

        admin = open_screen(screen)
        log_in(admin, ADMIN, "en", translate)
        visit(admin, "en", "audit")
        expect(admin.locator("table.data tbody tr")).to_have_count(2)
        look(admin, "13-audit-log-admin", screen)


def test_a_manager_changes_a_campaign_without_javascript(make, open_screen, translate):
    city = make.city("testville", districts=3)
    campaign = make.campaign(RESIDENTS, city=city)  # its baseline open: fieldwork has started
    create_user(MANAGER, PASSWORD, "manager", city)
    db.session.commit()

    def _(message: str, **variables) -> str:
        return translate("en", message, **variables)

    page = open_screen("phone", javascript=False)
    log_in(page, MANAGER, "en", translate)
    visit(page, "en", f"campaigns/{RESIDENTS}/")

    # fieldwork has started: the threshold can be raised
    page.locator("#threshold").fill("15")
    page.get_by_role("button", name=_("Save the threshold"), exact=True).click()
    expect(page.locator(".notice")).to_have_text(_("Threshold set to %(value)s.", value=15))
    expect(page.locator(".notice")).to_be_in_viewport()
    expect(page.locator("#threshold")).to_have_value("15")

    # a wave name in capitals comes back with the error summary, where the page opens, and what was typed
    page.locator("#label").fill("Follow Up")
    page.locator("#target").fill("400")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name=_("Add the wave"), exact=True).click()
    assert posted.value.status == 400
    summary = page.locator(".error-summary")
    expect(summary.locator("h2")).to_have_text(_("Please correct the following:"))
    expect(summary.get_by_role("link")).to_have_text(
        f'{_("Wave name")}: {_("Use lower-case letters, digits, hyphens or underscores.")}')
    expect(summary).to_be_in_viewport()  # on a phone, without JavaScript to move the focus to it
    expect(page.locator("#label")).to_have_value("Follow Up")
    expect(page.locator("#label")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#label-error")).to_have_text(_("Use lower-case letters, digits, hyphens or underscores."))
    expect(page.locator("#target")).to_have_value("400")

    summary.get_by_role("link").click()  # the summary leads to the field
    expect(page.locator("#label")).to_be_in_viewport()
    page.locator("#label").fill("follow-up")
    page.get_by_role("button", name=_("Add the wave"), exact=True).click()
    expect(page.locator(".notice")).to_have_text(_("Wave %(label)s added.", label="follow-up"))
    expect(page.locator(".notice")).to_be_in_viewport()
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator("table.data tbody th")).to_have_text(["baseline", "follow-up"])

    db.session.commit()  # end the test's read transaction: see what the server committed
    db.session.expire_all()
    assert campaign.disclosure_threshold == 15
    assert [(wave.label, wave.target_responses) for wave in campaign.waves] == [("baseline", None), ("follow-up", 400)]


def test_a_right_to_left_language_mirrors_the_layout(app, monkeypatch, residents, open_screen, translate):
    # Portuguese written right to left for the length of this test (the site offers no right-to-left language yet)
    monkeypatch.setitem(app.config, "RIGHT_TO_LEFT_LANGUAGES", ("pt",))
    for screen in SCREENS:
        page = open_screen(screen)
        log_in(page, MANAGER, "pt", translate)
        visit(page, "pt", f"campaigns/{RESIDENTS}/indicators/trust")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        look(page, "20-right-to-left-indicator", screen)

        crumbs = page.locator(".breadcrumbs li")
        first, second = crumbs.first.bounding_box(), crumbs.nth(1).bounding_box()
        assert first["x"] > second["x"], f"on a {screen}, the breadcrumb starts on the left"
        heads = page.locator("table.data").first.locator("thead th")
        first, last = heads.first.bounding_box(), heads.last.bounding_box()
        assert first["x"] > last["x"], f"on a {screen}, a table's first column is on the left"
        navigation = page.locator(".staff-nav li")
        first, second = navigation.first.bounding_box(), navigation.nth(1).bounding_box()
        assert first["x"] > second["x"], f"on a {screen}, the workspace's menu starts on the left"
