"""Interface catalogs: every string extracted from the code is translated in every platform language (nine,
Arabic and Turkish included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from imppulse_survey.config import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


@pytest.fixture(scope="module")
def source_messages() -> set[str]:
    method_map = [("imppulse_survey/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"trimmed": "true"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS,
        directory_filter=lambda path: not Path(path).name.startswith(".") and Path(path).name != "__pycache__",
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 20
    return found


def catalog(language):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_catalog_covers_every_source_string(language, source_messages):
    translated = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog(language) if message.id}
    assert sorted(source_messages - translated) == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_no_entry_is_empty_or_fuzzy(language):
    problems = []
    for message in catalog(language):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"empty: {message.id}")
    assert problems == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_placeholders_match(language):
    mismatched = []
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected:
                mismatched.append((message.id, string))
    assert mismatched == []


@pytest.mark.parametrize("language", [language for language in SUPPORTED_LANGUAGES if language != "en"])
def test_catalogs_are_translated_not_copied(language):
    copies = [message.id for message in catalog(language)
              if message.id and isinstance(message.id, str) and len(message.id) > 15 and message.string == message.id]
    assert copies == []


def test_every_platform_language_has_a_compiled_catalog():
    assert {"ar", "tr"} <= set(SUPPORTED_LANGUAGES)
    for language in SUPPORTED_LANGUAGES:
        assert (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").is_file(), language


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_plural_entries_have_every_form_of_the_language(language):
    """Arabic has six plural forms (zero, one, two, few, many, other): each plural entry needs all of them."""
    translations = catalog(language)
    assert translations.num_plurals == {"ar": 6}.get(language, translations.num_plurals)
    short = [message.id for message in translations if message.id and isinstance(message.id, tuple)
             and len(message.string) != translations.num_plurals]
    assert short == []
