"""Translation checks a machine can run on questionnaire definitions (docs/questionnaire-format.md).

Validation (format.py) already refuses a file whose texts lack a language. These checks look at what a valid
file can still get wrong between languages:

* every text in every declared language, non-empty (so that the check also works on unvalidated definitions);
* the same ``{placeholders}`` in every language as in the default language, since a lost ``{pilot}`` shows
  respondents no pilot name and an extra one shows them the braces;
* balanced stems: when the source says "agree or disagree" (or "satisfied or dissatisfied"), each translation
  must name both sides too, or answers lean towards the side named (review 2026-12, rows 3 and 10);
* across files used together: a scale or missing code with one name has one wording, so that answers to the
  same scale compare between residents and officers.

A problem is one line: ``where (nearest key), 'language': problem`` for one questionnaire; file names come
first when several are checked together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..config import SUPPORTED_LANGUAGES
from .loader import QuestionnaireFileError, load_file

#: for each balanced pair, the phrases that show a text names both sides, per language. Each translation of a
#: text whose source contains one of the source language's phrases must contain one of its own. Forms come from
#: the officer questionnaire v1 (balanced) and the fixes proposed in review 2026-12; several forms may be
#: accepted. A neutral noun ("degré de satisfaction") asks for a level without naming a side, so it counts.
BALANCED: dict[str, dict[str, tuple[str, ...]]] = {
    "agree": {
        "en": ("agree or disagree",),
        "fr": ("d'accord ou pas d'accord", "d'accord ou non", "d'accord ou en désaccord"),
        "it": ("d'accordo o in disaccordo",),
        "es": ("de acuerdo o en desacuerdo",),
        "ca": ("d'acord o en desacord",),
        "nl": ("eens of oneens",),
        "pt": ("concorda ou discorda", "concordo ou discordo"),
        "ar": ("توافق أو لا توافق", "موافق أو غير موافق"),
        "tr": ("katılıyor ya da katılmıyor", "katılıyor veya katılmıyor", "katılıyor musunuz, katılmıyor musunuz"),
    },
    "satisfied": {
        "en": ("satisfied or dissatisfied",),
        "fr": ("satisfait(e) ou insatisfait(e)", "satisfait ou insatisfait", "degré de satisfaction"),
        "it": ("soddisfatto/a o insoddisfatto/a", "soddisfatto o insoddisfatto", "grado di soddisfazione"),
        "es": ("satisfecho/a o insatisfecho/a", "satisfecho o insatisfecho", "grado de satisfacción"),
        "ca": ("satisfet/a o insatisfet/a", "satisfet o insatisfet", "grau de satisfacció"),
        "nl": ("tevreden of ontevreden",),
        "pt": ("satisfeito/a ou insatisfeito/a", "satisfeito ou insatisfeito", "grau de satisfação"),
        "ar": ("رضاك أو عدم رضاك", "راضٍ أو غير راضٍ", "درجة رضاك"),
        "tr": ("memnun ya da memnuniyetsiz", "memnun veya memnuniyetsiz", "memnuniyet düzeyiniz"),
    },
}

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# translators type the typographic apostrophe or the straight one, and both are right
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


def translation_problems(definition: Mapping) -> list[str]:
    """Every missing text, placeholder mismatch and unbalanced stem in one questionnaire definition."""
    languages = list(definition.get("languages") or [])
    source = definition.get("default_language") or (languages[0] if languages else None)
    problems = []
    for where, text in text_nodes(definition):
        problems.extend(f"{where}, '{language}': {problem}"
                        for language, problem in _text_problems(text, languages, source))
    return problems


def scale_label_problems(definitions: Mapping[str, Mapping]) -> list[str]:
    """Labels that differ between files (named by the mapping's keys) for the same scale code or missing code,
    and scales of one name whose codes differ."""
    wordings: dict[tuple[str, ...], dict[str, tuple[str, str]]] = {}  # what → language → (file, its wording)
    codes: dict[str, tuple[str, list]] = {}  # scale name → (file, its codes)
    problems = []
    for name, definition in definitions.items():
        for scale, options in (definition.get("scales") or {}).items():
            these = [option.get("code") for option in options.get("options") or []]
            first_file, first = codes.setdefault(scale, (name, these))
            if first != these:
                problems.append(f"scale {scale}: codes {these} in {name} but {first} in {first_file}")
        for what, label in _shared_labels(definition):
            seen = wordings.setdefault(what, {})
            for language, wording in label.items():
                if not isinstance(wording, str):
                    continue
                first_file, first = seen.setdefault(language, (name, wording))
                if _normalised(first) != _normalised(wording):
                    problems.append(f"{_describe(what)}, '{language}': '{wording}' in {name} "
                                    f"but '{first}' in {first_file}")
    return problems


def check_definitions(definitions: Mapping[str, Mapping]) -> list[str]:
    """The problems of several definitions used together, each line starting with the definition's name."""
    problems = [f"{name}: {problem}" for name, definition in definitions.items()
                for problem in translation_problems(definition)]
    return problems + scale_label_problems(definitions)


def check_files(paths: Iterable[str | Path]) -> list[str]:
    """Validation problems, then translation problems, of questionnaire files used together."""
    problems, definitions = [], {}
    for path in paths:
        try:
            definitions[str(path)] = load_file(path)
        except QuestionnaireFileError as error:
            problems.extend(error.problems)
    return problems + check_definitions(definitions)


def text_nodes(node, path: str = "", key: str | None = None) -> Iterator[tuple[str, Mapping]]:
    """``(where, text)`` for every text in a definition, ``where`` naming the path and the nearest item key."""
    if _is_text(node):
        yield (f"{path} ({key})" if key else path), node
    elif isinstance(node, Mapping):
        # the nearest page, item, row or indicator key; the root's key names the questionnaire, not a place
        if path and isinstance(node.get("key"), str):
            key = node["key"]
        for name, value in node.items():
            # an item's scale options are a copy of the scale's; their labels are checked once, under scales
            if name == "options" and "scale" in node:
                continue
            yield from text_nodes(value, f"{path}.{name}" if path else str(name), key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from text_nodes(value, f"{path}[{index}]", key)


def _is_text(node) -> bool:
    return (isinstance(node, Mapping) and bool(node) and set(node) <= set(SUPPORTED_LANGUAGES)
            and all(value is None or isinstance(value, str) for value in node.values()))


def _text_problems(text: Mapping, languages: list[str], source: str | None) -> Iterator[tuple[str, str]]:
    present = {language: text[language] for language in languages
               if isinstance(text.get(language), str) and text[language].strip()}
    for language in languages:
        if language not in present:
            yield language, "no text"
    original = present.get(source)
    if original is None:
        return
    expected = set(PLACEHOLDER.findall(original))
    for language, translation in present.items():
        found = set(PLACEHOLDER.findall(translation))
        if found != expected:
            yield language, _placeholder_difference(expected, found, source)
    for pair, phrases in BALANCED.items():
        if not _contains_any(original, phrases.get(source, ())):
            continue
        for language, translation in present.items():
            accepted = phrases.get(language, ())
            if not _contains_any(translation, accepted):
                forms = " / ".join(f'"{form}"' for form in accepted) or "(none known for this language)"
                yield language, (f"one-sided: the '{source}' text names both sides of '{pair}', this one has none "
                                 f"of {forms}")


def _placeholder_difference(expected: set[str], found: set[str], source: str) -> str:
    parts = []
    if expected - found:
        parts.append("lacks " + ", ".join(f"{{{name}}}" for name in sorted(expected - found)))
    if found - expected:
        parts.append("has extra " + ", ".join(f"{{{name}}}" for name in sorted(found - expected)))
    return f"placeholders differ from the '{source}' text: " + " and ".join(parts)


def _contains_any(text: str, phrases: Iterable[str]) -> bool:
    text = _normalised(text)
    return any(_normalised(phrase) in text for phrase in phrases)


def _normalised(text: str) -> str:
    # case, apostrophe style and spacing (French non-breaking spaces included) do not change the wording
    return " ".join(text.translate(APOSTROPHES).casefold().split())


def _shared_labels(definition: Mapping) -> Iterator[tuple[tuple[str, ...], Mapping]]:
    for name, scale in (definition.get("scales") or {}).items():
        for option in scale.get("options") or []:
            if _is_text(option.get("label")):
                yield ("scale", name, str(option.get("code"))), option["label"]
    for kind, missing in (definition.get("missing") or {}).items():
        if _is_text(missing.get("label")):
            yield ("missing", kind), missing["label"]


def _describe(what: tuple[str, ...]) -> str:
    return f"scale {what[1]} code {what[2]}" if what[0] == "scale" else f"missing code {what[1]}"
