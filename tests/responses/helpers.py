"""A respondent driving the questionnaire pages through the Flask test client."""

from __future__ import annotations

import re
from html import unescape

from imppulse_survey.responses import page_state

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
TEXTAREA = re.compile(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>(.*?)</textarea>', re.DOTALL)
SELECT = re.compile(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', re.DOTALL)
SELECTED = re.compile(r'<option value="([^"]*)" selected>')
PAGE_ADDRESS = re.compile(r"/s/[^/]+/(?:p/[^/]+|saved)$")
START = re.compile(r'<form method="get" action="([^"]+)">')
CHECKED = re.compile(r'<input type="(?:radio|checkbox)" id="[^"]+" name="([^"]+)" value="([^"]*)" checked>')


def carried(html: str) -> dict:
    """The answers of other pages that the page's form carries, opened as the server opens them (app context)."""
    value = unescape(re.search(r'name="_carried" value="([^"]*)"', html).group(1))
    return page_state.opened(value)["state"]["raw"]


def without_carried(html: str) -> str:
    """The page with its sealed field blanked: sealing the same answers twice never gives the same text."""
    return re.sub(r'name="_carried" value="[^"]*"', 'name="_carried" value=""', html)


class Respondent:
    def __init__(self, client, slug: str, lang: str = "fr"):
        self.client = client
        self.slug = slug
        self.lang = lang
        self.page = None  # the last page's HTML

    @property
    def url(self) -> str:
        return f"/{self.lang}/s/{self.slug}/"

    def start(self):
        """The introduction, then its "Start" button: a form that GETs the first page."""
        response = self.client.get(self.url)
        assert response.status_code == 200, response.status_code
        response = self.client.get(START.search(response.get_data(as_text=True)).group(1))
        self.page = response.get_data(as_text=True)
        return response

    def hidden(self, html: str) -> dict:
        """What the browser would send back untouched: hidden fields and the choices shown as checked."""
        fields: dict = {}
        found = HIDDEN.findall(html) + CHECKED.findall(html) + TEXTAREA.findall(html)
        for select_name, options in SELECT.findall(html):
            found += [(select_name, value) for value in SELECTED.findall(options)]
        for name, value in found:
            fields.setdefault(name, []).append(unescape(value))
        return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}

    def post(self, data: dict, lang: str | None = None):
        """Send a page as the browser does, following the redirect to the next page (post/redirect/get); the
        redirect after the last page is returned as it is."""
        response = self.client.post(f"/{lang or self.lang}/s/{self.slug}/", data=data)
        if response.status_code == 303 and PAGE_ADDRESS.search(response.headers["Location"]):
            response = self.client.get(response.headers["Location"])
        self.page = response.get_data(as_text=True)
        return response

    def answer(self, action: str = "next", **answers):
        """Submit the current page with these answers (and everything the form carries)."""
        fields = self.hidden(self.page)
        return self.post(fields | answers | {"_action": action})

    def carried(self) -> dict:
        return carried(self.page)

    def heading(self) -> str:
        return unescape(re.search(r"<h1>(.*?)</h1>", self.page, re.DOTALL).group(1)).strip()

    def progress(self) -> str:
        return re.search(r'id="progress-label">(.*?)<', self.page).group(1)
