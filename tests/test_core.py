"""Home page, language choice, error pages, security headers and the health check."""

from __future__ import annotations

import pytest

from .conftest import make_app


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_cannot_be_reached(tmp_path, is_postgresql):
    url = ("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2" if is_postgresql
           else f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}")
    app = make_app(url, tmp_path)
    response = app.test_client().get("/healthz")
    with app.app_context():
        from imppulse_survey.extensions import db

        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable",
                                   "database": "unreachable" if is_postgresql else "missing"}


def test_the_root_picks_the_language_from_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert response.status_code == 302 and response.headers["Location"] == "/nl/"
    assert client.get("/", headers={"Accept-Language": "de-DE"}).headers["Location"] == "/en/"
    assert client.get("/").headers["Location"] == "/en/"


def test_the_url_prefix_beats_accept_language(client):
    page = client.get("/pt/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="pt" dir="ltr">' in page


@pytest.mark.parametrize("lang, heading", [
    ("en", "Surveys on the police and residents"),
    ("fr", None), ("it", None), ("es", None), ("ca", None), ("nl", None), ("pt", None),
])
def test_the_home_page_renders_in_every_language(client, lang, heading):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    if heading:
        assert heading in page
    else:  # translated: the English sentence must not leak through
        assert "Surveys on the police and residents" not in page
        assert "No survey is open at the moment." not in page


def test_the_home_page_lists_open_campaigns_only(client, make):
    city = make.city("lisbon")
    version = make.version()
    make.campaign("lisbon-residents", city=city, version=version)
    make.campaign("lisbon-closed", city=city, version=version, open_now=False)
    page = client.get("/en/").get_data(as_text=True)
    assert "Lisbon" in page and page.count("Title (en)") == 1
    assert "Title (fr)" in client.get("/fr/").get_data(as_text=True)


def test_the_home_page_links_each_open_survey_and_every_dead_end_links_the_home_page(client, make, app):
    city = make.city("lisbon")
    version = make.version()
    make.campaign("lisbon-residents", city=city, version=version)
    make.campaign("lisbon-officers", city=city, version=version, access_mode="invitation")
    make.campaign("lisbon-closed", city=city, version=version, open_now=False)
    page = client.get("/fr/").get_data(as_text=True)
    assert '<a href="/fr/s/lisbon-residents/">Title (fr)</a>' in page
    assert "lisbon-officers" not in page and "lisbon-closed" not in page  # nobody could answer those from here
    assert 'href="/fr/results/lisbon"' in page
    home = '<a href="/fr/">'
    assert home in client.get("/fr/no-such-page").get_data(as_text=True)
    for survey, status in [("nowhere", 404), ("lisbon-closed", 410), ("lisbon-officers", 403)]:
        response = client.get(f"/fr/s/{survey}/")
        assert response.status_code == status and home in response.get_data(as_text=True), survey
    with app.test_request_context("/fr/"):
        from imppulse_survey.errors import render_error

        body, status = render_error(429)
    assert status == 429 and home in body


def test_the_language_switcher_names_languages_in_their_own_language(client):
    page = client.get("/en/").get_data(as_text=True)
    for name in ("Français", "Italiano", "Español", "Català", "Nederlands", "Português"):
        assert name in page
    assert 'href="/ca/"' in page and 'hreflang="ca"' in page


def test_an_unknown_language_or_page_is_a_translated_404(client):
    assert client.get("/de/").status_code == 404
    response = client.get("/fr/nothing-here")
    assert response.status_code == 404
    assert '<html lang="fr"' in response.get_data(as_text=True)
    assert "Page not found" not in response.get_data(as_text=True)


def test_security_headers_are_on_every_page(client):
    for path in ("/en/", "/healthz", "/en/missing"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_pages_request_nothing_from_outside_hosts(client, make):
    make.campaign()
    page = client.get("/en/").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page


def test_templates_translate_in_the_request_language_and_in_a_forced_one(app):
    """Templates keep the request's translations once found; ``force_locale`` (posters, exports) must still win."""
    from flask import render_template_string

    from imppulse_survey.i18n import force_locale

    template = '{{ _("Next") }} | {{ _("Page %(number)s of %(count)s", number=2, count=5) }} | {{ _("<b>%(x)s</b>", x="<i>") }}'
    with app.test_request_context("/fr/"):
        app.preprocess_request()
        assert render_template_string(template) == "Suivant | Page 2 sur 5 | <b>&lt;i&gt;</b>"  # the variable escaped, not the text
        with force_locale("nl"):
            assert render_template_string(template).startswith("Volgende | Pagina 2 van 5")
        assert render_template_string(template).startswith("Suivant | Page 2 sur 5")
    with app.test_request_context("/it/"):
        app.preprocess_request()
        assert render_template_string(template).startswith("Avanti | Pagina 2 di 5")
