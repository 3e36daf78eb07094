"""End-to-end fixtures: the app served over real HTTP on 127.0.0.1, and headless Chromium on a phone.

The server runs in a thread on the session's ``app``, so it reads and writes the same database as the test: a test
commits its data (the ``make`` factories do) before the browser asks for it, and ``app_context`` empties the tables
after it. The server and the browser last one module; everything a test opens (browser contexts, pages) is closed
before its data is deleted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from imppulse_survey.extensions import limiter

from . import CHROMIUM, CHROMIUM_ARGS, PHONE, TIMEOUT_MS, Phone

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if HERE in Path(item.path).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.single_pass)  # CI runs the browser once, on SQLite
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"end-to-end tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    for item in ours:
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
        page.on("request", phone.record_request)
        page.on("response", phone.record_response)
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
