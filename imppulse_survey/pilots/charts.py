"""The chart of one target indicator of a pilot: the four group estimates with their 95 % intervals (pilot and
comparison districts, at baseline and at follow-up) and the target value.

One Vega-Lite specification serves both reports: the HTML page draws it as SVG (``core.charts.svg``), the PDF as
a PNG (``png``) drawn with the vendored DejaVu Sans, so that its text looks the same on any machine. Pilot and
comparison districts are told apart by their shape (circle, square) and their line, never by colour alone.
"""

from __future__ import annotations

import json
import struct
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from ..core.charts import ACCENT, BASE, INK
from ..indicators.views import confidence_level, status_text
from ..releases.figures import ESTIMATE
from .evaluation import NO_POPULATION

#: the fonts the PDF and its charts use, and no others
FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_NAME = "DejaVu Sans"
GROUPS = ("pilot", "comparison")
WAVES = ("baseline", "follow_up")


def chart_labels(row: dict) -> dict:
    """The words of the chart in the reader's language (the caller's labels override them)."""
    kind = row.get("kind")
    title = (_("Percentage, %(level)s interval", level=confidence_level()) if kind == "proportion"
             else _("Score 0–100, %(level)s interval", level=confidence_level()))
    return {"pilot": _("Pilot districts"), "comparison": _("Comparison districts"), "baseline": _("Baseline"),
            "follow_up": _("Follow-up"), "target": _("Target"), "value_title": title}


def status_words(status: str | None) -> str:
    """What a pilot figure that is not an estimate says instead, in words."""
    if status == ESTIMATE:  # an estimate with a part missing (a gap's change with one side unknown)
        return "—"
    if status == NO_POPULATION:
        return _("no population figure for one of the districts")
    return status_text(status or "no_data")


def evaluation_chart(row: dict, labels: dict) -> dict | None:
    """For one residents' target row of ``evaluation.evaluate``: each group's estimate at baseline and follow-up
    as a dot on its 95 % interval, one line per wave, pilot districts above comparison districts (circle and
    square), and the target value as a dashed vertical rule. None when the row has no group estimate at all (a
    series break, unreleased waves): the report's table then says why.

    ``labels``: pilot, comparison, baseline, follow_up, target, and optionally value_title (the axis)."""
    words = {**chart_labels(row), **labels}
    values = []
    for group in GROUPS:
        for wave in WAVES:
            cell = (row.get(group) or {}).get(wave) or {"status": row.get("status", "no_data")}
            found = cell.get("status") == ESTIMATE and cell.get("estimate") is not None
            values.append({"wave": words[wave], "group": words[group],
                           "estimate": cell.get("estimate") if found else None,
                           "low": cell.get("ci_low") if found else None,
                           "high": cell.get("ci_high") if found else None,
                           "note": "" if found else status_words(cell.get("status"))})
    if not any(value["estimate"] is not None for value in values):
        return None
    target = row.get("target_value")
    x_scale = {"domain": [0, 100], "nice": False, "zero": False}
    y = {"field": "wave", "type": "nominal", "sort": [words[wave] for wave in WAVES], "title": None}
    y_offset = {"field": "group", "type": "nominal", "sort": [words[group] for group in GROUPS],
                "scale": {"paddingInner": 0.3}}
    shape = {"field": "group", "type": "nominal",
             "scale": {"domain": [words[group] for group in GROUPS], "range": ["circle", "square"]},
             "legend": {"title": None, "orient": "bottom", "symbolFillColor": ACCENT, "symbolStrokeColor": ACCENT}}
    layers = [
        {"mark": {"type": "rule", "color": INK, "strokeWidth": 2},
         "encoding": {"y": y, "yOffset": y_offset,
                      "x": {"field": "low", "type": "quantitative", "scale": x_scale, "title": words["value_title"],
                            "axis": {"tickCount": 5}},
                      "x2": {"field": "high"}}},
        {"mark": {"type": "point", "filled": True, "size": 80, "color": ACCENT, "opacity": 1},
         "encoding": {"y": y, "yOffset": y_offset, "shape": shape,
                      "x": {"field": "estimate", "type": "quantitative", "scale": x_scale}}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "color": INK},
         "encoding": {"y": y, "yOffset": y_offset, "x": {"datum": 0, "type": "quantitative", "scale": x_scale},
                      "text": {"field": "note"}}},
    ]
    if target is not None:
        layers += [
            {"data": {"values": [{"target": target}]},
             "mark": {"type": "rule", "color": INK, "strokeDash": [5, 3], "strokeWidth": 1.5},
             "encoding": {"x": {"field": "target", "type": "quantitative", "scale": x_scale}}},
            {"data": {"values": [{"target": target, "label": words["target"]}]},
             "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 3, "y": 0, "color": INK},
             "encoding": {"x": {"field": "target", "type": "quantitative", "scale": x_scale},
                          "text": {"field": "label"}}},
        ]
    return {"width": 360, "height": {"step": 44}, "data": {"values": values}, "layer": layers}


_registered = False


def png(spec: dict) -> bytes:
    """The chart as a PNG at twice its size, its text in the vendored DejaVu Sans (no system font, no request)."""
    global _registered
    import vl_convert  # its engine takes about a second to start: only workers that draw pay for it

    if not _registered:
        vl_convert.register_font_directory(str(FONTS))
        _registered = True
    config = {**BASE["config"], "font": FONT_NAME}
    return _drawn(json.dumps({**BASE, **spec, "config": config}, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _drawn(spec_json: str) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(json.loads(spec_json), scale=2, allowed_base_urls=[])


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's header."""
    return struct.unpack(">II", image[16:24])
