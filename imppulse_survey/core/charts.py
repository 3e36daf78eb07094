"""Charts drawn on the server as SVG from Vega-Lite specifications (vl-convert: no browser, no outside request).

Every chart is an image with a text alternative and sits beside a table of the same figures, which is what a
screen reader reads. Marks are black or dark blue and told apart by shape and position, never by colour alone.
A chart depends only on its specification, so each is drawn once per worker and kept (``svg``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from markupsafe import Markup, escape

INK = "#1b1b1b"
ACCENT = "#0b4f8a"
BASE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "config": {"aria": False, "font": "system-ui, sans-serif", "view": {"stroke": None},
               "axis": {"labelColor": INK, "titleColor": INK, "labelFontSize": 12, "titleFontSize": 12,
                        "labelLimit": 200},
               "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 12}},
    "background": "white",
    # room for labels that the browser's font draws wider than the font vl-convert measured them with
    "padding": {"left": 48, "right": 12, "top": 6, "bottom": 6},
}


def svg(spec: dict, label: str) -> Markup:
    """The chart as inline SVG: an image named ``label``, scaling to its container."""
    drawn = _drawn(json.dumps({**BASE, **spec}, sort_keys=True, ensure_ascii=False))
    opening = re.match(r"<svg[^>]*>", drawn).group(0)
    view_box = re.search(r'viewBox="([^"]+)"', opening).group(1)
    width = view_box.split()[2]
    # one image with one name: the roles and labels Vega gives its marks would be unnamed parts of an image
    inner = re.sub(r'\s(?:role|aria-[a-z]+)="[^"]*"', "", drawn[len(opening):])
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}" width="{width}" role="img" '
                  f'aria-label="{escape(label)}" focusable="false">{inner}')


@lru_cache(maxsize=2048)
def _drawn(spec_json: str) -> str:
    import vl_convert  # its engine takes about a second to start: only workers that draw pay for it

    return vl_convert.vegalite_to_svg(json.loads(spec_json))


def interval_chart(rows: list[dict], value_title: str, domain: tuple[float, float] = (0, 100)) -> dict:
    """One line per category (in the order given): a dot at the estimate, a bar across its 95 % interval; where
    there is no estimate, the reason written at the start of the line. Rows: category, estimate, low, high,
    note."""
    y = {"field": "category", "type": "nominal", "sort": None, "title": None}
    x_scale = {"domain": list(domain), "nice": False, "zero": False}
    return {
        "width": 360, "height": {"step": 26},
        "data": {"values": rows},
        "layer": [
            {"mark": {"type": "rule", "color": INK, "strokeWidth": 2},
             "encoding": {"y": y, "x": {"field": "low", "type": "quantitative", "scale": x_scale,
                                        "title": value_title}, "x2": {"field": "high"}}},
            {"mark": {"type": "point", "filled": True, "size": 70, "color": ACCENT, "shape": "circle"},
             "encoding": {"y": y, "x": {"field": "estimate", "type": "quantitative", "scale": x_scale}}},
            {"mark": {"type": "text", "align": "left", "dx": 4, "color": INK, "fontStyle": "italic"},
             "encoding": {"y": y, "x": {"datum": domain[0], "type": "quantitative", "scale": x_scale},
                          "text": {"field": "note"}}},
        ],
    }


def paired_chart(rows: list[dict], value_title: str, series: tuple[str, str]) -> dict:
    """Two figures per category on one 0–100 axis, told apart by shape (circle, square) and named in the
    legend. Rows: category, series, estimate."""
    return {
        "width": 360, "height": {"step": 30},
        "data": {"values": rows},
        "mark": {"type": "point", "filled": True, "size": 90, "color": ACCENT},
        "encoding": {
            "y": {"field": "category", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "estimate", "type": "quantitative", "scale": {"domain": [0, 100]}, "title": value_title},
            "shape": {"field": "series", "type": "nominal", "scale": {"domain": list(series),
                                                                       "range": ["circle", "square"]},
                      "legend": {"title": None, "orient": "bottom"}},
        },
    }


def daily_chart(rows: list[dict], value_title: str) -> dict:
    """Responses per day as bars. Rows: day (ISO date), count."""
    return {
        "width": 480, "height": 160,
        "data": {"values": rows},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {"x": {"field": "day", "type": "temporal", "timeUnit": "yearmonthdate", "title": None,
                           "axis": {"format": "%d/%m", "labelAngle": 0}},
                     "y": {"field": "count", "type": "quantitative", "title": value_title,
                           "axis": {"tickMinStep": 1}}},
    }
