"""End-to-end fixtures: the app served over real HTTP on 127.0.0.1, and headless Chromium on a phone.

The server runs in a thread on the session's ``app``, so it reads and writes the same database as the test: a test
commits its data (the ``make`` factories do) before the browser asks for it, and ``app_context`` empties the tables
after it. The server and the browser last one module; everything a test opens (browser contexts, pages) is closed
before its data is deleted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from imppulse_survey.extensions import limiter
from imppulse_survey.i18n import text_in

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; .ci/run installs it. Never `playwright install`.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: a mid-range phone held upright
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TIMEOUT_MS = 5000  # generous for one local page, short enough that a broken step fails fast
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"end-to-end tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def server(app):
    """The app on a free port of 127.0.0.1, answering each request in its own thread."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="e2e-http-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture
def live_server(server, app_context):
    """The server's base URL, with rate limits off for the length of one test (a journey posts many pages)."""
    enabled = limiter.enabled
    limiter.enabled = False
    try:
        yield server
    finally:
        limiter.enabled = enabled


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Phone:
    """One browser context on a phone-sized screen, with every request its page made."""

    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests to any host but the test server's (fonts, analytics, CDNs…): there must be none."""
        return [url for url in self.requests if urlsplit(url).hostname != "127.0.0.1"]


@pytest.fixture
def open_phone(browser, live_server):
    """``open_phone(javascript=False, **context_options)``: a new phone, closed at the end of the test."""
    contexts = []

    def open_phone(*, javascript: bool, **options) -> Phone:
        context = browser.new_context(**PHONE, java_script_enabled=javascript, base_url=live_server, **options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        phone = Phone(page, live_server)
        page.on("request", lambda request: phone.requests.append(request.url))
        page.on("response", lambda response: response.status >= 500 and phone.server_errors.append(
            f"{response.status} {response.url}"))
        return phone

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def translate(app_context):
    """``translate(lang, message, **variables)``: an interface string as the catalogs translate it today."""

    def translate(lang: str, message: str, **variables) -> str:
        with force_locale(lang):
            return gettext(message, **variables)

    return translate


@pytest.fixture
def standard_campaign(make):
    """An open campaign of the standard resident questionnaire in four languages, French first."""
    version = make.standard_versions()["resident-perception"]
    city = make.city("testville", districts=3, language="fr")
    return make.campaign(slug="testville-residents", city=city, version=version, languages=("fr", "nl", "pt", "en"))


class Respondent:
    """A resident answering a campaign in one language on a phone, by tapping what a person would tap."""

    def __init__(self, phone: Phone, campaign, lang: str, translate):
        self.phone = phone
        self.page = phone.page
        self.campaign = campaign
        self.lang = lang
        self.translate = translate
        self.definition = campaign.questionnaire_version.definition

    def _(self, message: str, **variables) -> str:
        return self.translate(self.lang, message, **variables)

    def say(self, text: dict) -> str:
        return text_in(text, self.lang)

    @property
    def address(self) -> str:
        return f"/{self.lang}/s/{self.campaign.slug}/"

    def page_title(self, key: str) -> str:
        return self.say(next(page for page in self.definition["pages"] if page["key"] == key)["title"])

    def open_introduction(self):
        response = self.page.goto(self.address)
        assert response.status == 200, response.status
        expect(self.page.locator("h1")).to_have_text(self.say(self.definition["title"]))

    def button(self, message: str):
        return self.page.get_by_role("button", name=self._(message), exact=True)

    def press(self, message: str):
        self.button(message).tap()

    def expect_page(self, number: int, count: int, key: str):
        """Wait for questionnaire page ``key``, shown as page ``number`` of ``count``."""
        expect(self.page.locator(".progress-label")).to_have_text(self._("Page %(number)s of %(count)s",
                                                                         number=number, count=count))
        expect(self.page.locator("h1")).to_have_text(self.page_title(key))

    def answer(self, answers: dict):
        """Tap the label of each answer (a code or a missing-value key), choose the district, type the comment."""
        for key, value in answers.items():
            control = self.page.locator(f"#{key}")
            if key == "district":
                control.select_option(str(value))
            elif key == "comment":
                control.fill(value)
            else:
                self.page.locator(f'label[for="{key}-{value}"]').tap()
                expect(self.page.locator(f"#{key}-{value}")).to_be_checked()
