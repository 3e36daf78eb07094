"""Printable invitation cards: one QR code and link per card, no name, in the order the tokens came (shuffled)."""

from __future__ import annotations

import segno
from flask import render_template
from markupsafe import Markup

from ..i18n import force_locale, text_in
from .models import Campaign


def invitation_cards(campaign: Campaign, links: list[str]) -> str:
    """An HTML page of A4 sheets of cards, to print and cut; it holds the tokens, so it is as secret as the CSV."""
    language = campaign.default_language
    definition = campaign.version_now.definition
    cards = [(link, Markup(segno.make(link, error="m").svg_inline(scale=3, border=2))) for link in links]
    with force_locale(language):
        return render_template("campaigns/cards.html", campaign=campaign, cards=cards, language=language,
                               title=text_in(definition["title"], language),
                               minutes=definition["duration_minutes"])
