"""An officer follows an invitation card on a phone, saves for later, finishes in another browser on a desktop;
the answers stay sealed. Pages are checked with axe and screenshots are saved (SCREENSHOTS, for people to look at).
"""

from __future__ import annotations

import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from imppulse_survey.campaigns.services import create_invitations
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Response, SealedResponse

from ..conftest import make_app
from . import PHONE, SCREENSHOTS, TIMEOUT_MS

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
AXE = Axe()


def look(page, name: str, what: str):
    results = AXE.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def officer_campaign(make):
    version = make.standard_versions()["officer-feedback"]
    city = make.city("testville", districts=3, language="fr")
    return make.campaign(slug="testville-officers", city=city, version=version, access_mode="invitation",
                         languages=("fr", "nl", "en"))


def test_an_officer_saves_on_a_phone_and_finishes_on_a_desktop(browser, live_server, officer_campaign, translate):
    token, = create_invitations(officer_campaign, 1)
    db.session.commit()
    phone = browser.new_context(**PHONE, base_url=live_server, locale="nl-BE")
    desktop = browser.new_context(**DESKTOP, base_url=live_server, locale="fr-FR")
    try:
        page = phone.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"/i/{token}")
        assert page.url.endswith(f"/nl/s/{officer_campaign.slug}/")  # the token has left the address bar
        expect(page.locator(".invitation-notice")).to_be_visible()
        look(page, "officer-1-introduction-phone-nl", "officer introduction")
        page.get_by_role("button", name=translate("nl", "Start the survey")).tap()
        expect(page.locator('label[for="estimate_trust-4"]')).to_be_visible()
        look(page, "officer-1b-estimates-phone-nl", "six estimates out of 10")
        page.locator('label[for="estimate_trust-4"]').tap()
        page.get_by_role("button", name=translate("nl", "Continue later")).tap()
        expect(page.locator("h1")).to_have_text(translate("nl", "Your answers are saved"))
        look(page, "officer-2-saved-phone-nl", "saved for later")
        link = page.locator("#resume-link").input_value()
        assert link.startswith(live_server)  # the server's own address, never a forged Host

        other = desktop.new_page()  # another browser: no session, no ballot but the one in the link
        other.set_default_timeout(TIMEOUT_MS)
        other.goto(link)
        expect(other.locator("#estimate_trust-4")).to_be_checked()
        look(other, "officer-3-resumed-desktop", "resumed in another browser")
        for _ in range(10):
            if other.locator("#service_length-1").count():
                break
            other.get_by_role("button", name=translate("nl", "Next")).click()
        other.locator('label[for="service_length-2"]').click()
        other.locator('label[for="role_type-1"]').click()
        look(other, "officer-4-last-page-desktop", "last page")
        other.get_by_role("button", name=translate("nl", "Send my answers")).click()
        expect(other.locator("h1")).to_have_text(translate("nl", "Thank you"))
        look(other, "officer-5-thanks-desktop", "thank-you page")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(SealedResponse)) == 1
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert other.goto(link).status == 404  # the draft went with the submission

        again = page.goto(f"/i/{token}")
        assert again.status == 403
        look(page, "officer-6-used-card-phone-nl", "used card")
    finally:
        phone.close()
        desktop.close()


@pytest.fixture
def server_without_database(tmp_path):
    """The app on a SQLite file that has gone, served over HTTP: every page meets an unavailable database."""
    app = make_app(f"sqlite:///{tmp_path / 'gone.sqlite3'}", tmp_path)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


def test_the_page_that_keeps_the_answers_when_the_database_is_gone(browser, server_without_database):
    context = browser.new_context(**PHONE, base_url=server_without_database)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        # the last page of a questionnaire, as the respondent's browser still holds it
        page.set_content(f"""<form method="post" action="{server_without_database}/pt/s/lisboa-residents/">
            <input name="trust" value="7"><textarea name="comment">Não percam isto</textarea>
            <button name="_action" value="next">send</button></form>""")
        page.click("button")
        expect(page.locator("h1")).to_be_visible()
        assert page.locator('input[name="comment"]').get_attribute("value") == "Não percam isto"
        look(page, "retry-page-phone-pt", "answers kept while the database is unavailable")
    finally:
        context.close()
