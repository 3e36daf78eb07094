"""Printable A4 posters with the QR code of an open campaign's link."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

import segno
from flask_babel import gettext as _

from ..i18n import force_locale, text_in
from .models import Campaign

WIDTH, HEIGHT = 210, 297  # millimetres


def campaign_link(campaign: Campaign, language: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{language}/s/{campaign.slug}/"


def poster_svg(campaign: Campaign, language: str, base_url: str) -> str:
    """An A4 SVG poster: the survey's title, the city, the QR code and the link written out."""
    link = campaign_link(campaign, language, base_url)
    title = text_in(campaign.version_now.definition["title"], language)
    with force_locale(language):
        call = _("Scan the code with your phone to answer. It is anonymous and takes about %(minutes)s minutes.",
                 minutes=campaign.version_now.definition["duration_minutes"])
        typed = _("Or type this address:")
    qr_svg = io.BytesIO()
    segno.make(link, error="m").save(qr_svg, kind="svg", xmldecl=False, svgns=False, scale=1, border=4,
                                     dark="#000000")
    qr = qr_svg.getvalue().decode()
    qr_size = float(re.search(r'width="([\d.]+)"', qr).group(1))
    qr_inner = re.sub(r"^<svg[^>]*>|</svg>$", "", qr.strip())
    scale = 130 / qr_size
    lines = _wrap(title, 28)
    title_svg = "".join(
        f'<text x="105" y="{40 + 12 * n}" font-size="10" font-weight="700" text-anchor="middle">{escape(line)}</text>'
        for n, line in enumerate(lines)
    )
    call_svg = "".join(
        f'<text x="105" y="{240 + 7 * n}" font-size="5.5" text-anchor="middle">{escape(line)}</text>'
        for n, line in enumerate(_wrap(call, 60))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}mm" height="{HEIGHT}mm" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'lang="{language}" font-family="Helvetica, Arial, sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<text x="105" y="22" font-size="7" text-anchor="middle" fill="#333333">'
        f"{escape(campaign.city.name_local or campaign.city.name)}</text>"
        f"{title_svg}"
        f'<g transform="translate({105 - 65} {80}) scale({scale:.4f})">{qr_inner}</g>'
        f"{call_svg}"
        f'<text x="105" y="262" font-size="4.5" text-anchor="middle" fill="#333333">{escape(typed)}</text>'
        f'<text x="105" y="270" font-size="5" text-anchor="middle" font-family="monospace">{escape(link)}</text>'
        f"</svg>"
    )


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])
