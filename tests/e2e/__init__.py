"""End-to-end tests: a real browser (Debian's headless chromium) on a phone-sized screen, against a real server.

What the tests share lives here; the fixtures that start the server and the browser are in conftest.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

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
#: where pages are saved for people to look at
SCREENSHOTS = Path(os.environ.get("IMPPULSE_SCREENSHOTS", "/tmp/imppulse-screenshots"))
TIMEOUT_MS = 5000  # generous for one local page, short enough that a broken step fails fast


@dataclass
class Phone:
    """One browser context on a phone-sized screen, with every request its page made."""

    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def record_request(self, request):
        self.requests.append(request.url)

    def record_response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def foreign_requests(self) -> list[str]:
        """Requests to any host but the test server's (fonts, analytics, CDNs…): there must be none."""
        return [url for url in self.requests if urlsplit(url).hostname != "127.0.0.1"]


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
