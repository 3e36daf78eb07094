"""A questionnaire's texts as one campaign shows them: in one language, with the campaign's own words in place.

A standard questionnaire cannot name a city's police forces, who runs its survey or its disclosure threshold:
it says ``{forces}``, ``{organiser}``, ``{threshold}`` and ``{pilot}``, and each campaign fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ..i18n import text_in
from ..questionnaires.packs import text_paths
from .models import Campaign

PLACEHOLDERS = ("pilot", "forces", "organiser", "threshold")
PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
#: the placeholders a campaign fills from a text of its own, per language
CAMPAIGN_TEXTS = {"pilot": "pilot_label", "forces": "forces", "organiser": "organiser"}


def campaign_texts(campaign: Campaign, lang: str) -> Callable[[Mapping | None], str | None]:
    """``say(text)``: the text in ``lang`` with the campaign's words in place of its placeholders."""
    values = {name: text_in(getattr(campaign, field) or {}, lang) for name, field in CAMPAIGN_TEXTS.items()}
    values["threshold"] = str(campaign.disclosure_threshold)

    def say(text: Mapping | None) -> str | None:
        if not text:
            return None
        return PLACEHOLDER.sub(lambda found: values[found.group(1)], text_in(text, lang))

    return say


def used_placeholders(definition: Mapping) -> set[str]:
    """The placeholders any text of a definition uses."""
    return {name for _, text in text_paths(definition) for value in text.values() for name in PLACEHOLDER.findall(value)}


def unfilled(campaign: Campaign, definition: Mapping) -> list[str]:
    """What a campaign must say before it can open a wave on this definition, e.g. ``forces (nl)``;
    ``{pilot}`` is left out: pages and items about the pilot are shown only when the campaign has one."""
    missing = []
    for name in sorted(used_placeholders(definition) & {"forces", "organiser"}):
        given = getattr(campaign, CAMPAIGN_TEXTS[name]) or {}
        missing += [f"{name} ({language})" for language in campaign.languages if not (given.get(language) or "").strip()]
    return missing

