"""A pilot's evaluation report as a PDF, in the reader's language (fpdf2, shaped by HarfBuzz: no system library).

The same content as the report page, in this order: what the pilot is and when its design was declared (with the
note that it was declared after the baseline release, and every later change: on every report), the summary in
plain words, each target indicator's figures, table and chart, residents' view of the pilot, officers' side, the
timetable, the budget and how the figures are made.

Everything staff wrote (titles, descriptions, action names, reasons) is written as plain text: fpdf2 reads no
markup in it, and the page-count placeholder is only active while the footer is written. The document uses the
vendored DejaVu Sans (Latin, Greek, Cyrillic, Arabic) and nothing else: no link, no outside resource.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence

from flask import current_app
from flask_babel import format_currency, format_date, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from ..core.models import utcnow
from ..i18n import force_locale
from ..indicators.views import confidence_level
from ..releases.figures import ESTIMATE, SERIES_BREAK
from .charts import FONTS, chart_labels, evaluation_chart, png, png_size, status_words
from .evaluation import evaluate
from .models import Pilot, PilotAction
from .services import budget_totals, pilot_text
from .summary import summary

FAMILY = "DejaVu"
MARGIN = 18  # mm
BODY = 10  # pt
#: the total page count, substituted when the document is closed; only active inside the footer
PAGES = "{nb}"
PT = 25.4 / 72  # mm per point
CHART_DPI = 96
HEADINGS = FontFace(family=FAMILY, emphasis="BOLD", fill_color=(232, 236, 241))
TOTAL = FontFace(family=FAMILY, emphasis="BOLD")
RULE = (150, 150, 150)


def pilot_pdf(pilot: Pilot, lang: str) -> bytes:
    """The pilot's evaluation report, as PDF bytes. Call inside an app and request context."""
    with force_locale(lang):
        evaluation = evaluate(pilot, lang)
        rtl = lang in current_app.config["RIGHT_TO_LEFT_LANGUAGES"]
        document = Report(lang, rtl, _("IMPPULSE Survey · generated on %(date)s", date=format_date(utcnow(), "long")))
        title = pilot_text(pilot.title, lang, pilot) or pilot.slug
        document.set_title(title)
        document.set_lang(lang)
        document.set_creator("IMPPULSE Survey")
        document.add_page()
        _heading(document, pilot, title)
        _about(document, pilot, lang)
        _summary(document, evaluation)
        _residents(document, evaluation)
        _residents_view(document, evaluation)
        _officers(document, evaluation)
        _mirror(document, evaluation)
        _timetable(document, pilot)
        _budget(document, pilot)
        _method(document, pilot)
        return bytes(document.output())


# figures, written the reader's way


def number(value: float | None, pattern: str = "0.0") -> str:
    return "—" if value is None else format_decimal(value, format=pattern)


def signed(value: float | None) -> str:
    """A change, its sign always written: "+4.3", "-1.2" (the language's minus sign), "0.0"."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number(value)


def figure(cell: dict | None) -> str:
    """A level with its interval, or the reason there is none, in words."""
    cell = cell or {"status": "no_data"}
    if cell.get("status") != ESTIMATE or cell.get("estimate") is None:
        return status_words(cell.get("status"))
    text = f"{number(cell['estimate'])} ({number(cell['ci_low'])}–{number(cell['ci_high'])})"
    return text + (" *" if cell.get("interpret_with_care") else "")


def change(cell: dict | None, key: str = "estimate", low: str = "ci_low", high: str = "ci_high") -> str:
    """A change or gap with its interval, or the reason there is none."""
    cell = cell or {"status": "no_data"}
    if cell.get("status") != ESTIMATE or cell.get(key) is None:
        return status_words(cell.get("status"))
    if cell.get(low) is None:
        return signed(cell[key])
    return f"{signed(cell[key])} ({signed(cell[low])} {_('to')} {signed(cell[high])})"


def p_value(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.001:
        return "p < " + number(0.001, "0.000")
    return "p = " + number(value, "0.000")


def count(cell: dict | None) -> str:
    n = (cell or {}).get("n")
    return "—" if n is None else format_decimal(n, format="#,##0")


def with_n(cell: dict | None) -> str:
    """A level, and below it the number of respondents where the release gives it."""
    if (cell or {}).get("n") is None:
        return figure(cell)
    return f"{figure(cell)}\nn = {count(cell)}"


def reached_words(value: str) -> str:
    return {"yes": _("yes"), "no": _("no")}.get(value, _("can't tell"))


def action_status_words(status: str) -> str:
    return {"planned": _("planned"), "under_way": _("under way"), "done": _("done"),
            "cancelled": _("cancelled")}.get(status, status)


def long_date(value: dt.date | dt.datetime) -> str:
    return format_date(value, "long")


def clean(text: str | None) -> str:
    """Plain text as staff typed it, without control characters (line breaks kept)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(char for char in text if char == "\n" or unicodedata.category(char) != "Cc")


def needs_shaping(text: str) -> bool:
    """Whether the text needs HarfBuzz: right-to-left letters (joined Arabic forms, reordering) or combining marks.
    Latin, Greek and Cyrillic in precomposed letters are drawn as they are, several times faster."""
    return any(unicodedata.bidirectional(char) in ("R", "AL", "AN") or unicodedata.combining(char)
               for char in text if ord(char) > 0x2FF)


def is_right_to_left(text: str) -> bool:
    """Whether the text's first strongly directed letter is written right to left (Arabic, Hebrew…)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


class Report(FPDF):
    """A4, DejaVu Sans, shaped text, a footer with the generation date and the page number."""

    def __init__(self, lang: str, rtl: bool, footer_text: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lang, self.rtl, self.footer_text = lang, rtl, footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.alias_nb_pages(None)
        self.set_font(FAMILY, "", BODY)
        self.set_draw_color(*RULE)

    def header(self) -> None:
        # text on the page is never searched for the page-count placeholder: staff may have typed it
        self.str_alias_nb_pages = None

    def footer(self) -> None:
        self.str_alias_nb_pages = PAGES
        self.set_y(-MARGIN + 2)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(80, 80, 80)
        pages = _("page %(page)s of %(pages)s", page=self.page_no(), pages=PAGES)
        text = f"{self.footer_text} · {pages}"
        shaping = self.text_shaping  # a page break inside a paragraph: its text goes on as it started
        self.shaping(text)
        self.cell(0, 5, text, align="C")
        self.text_shaping = shaping
        self.set_text_color(0, 0, 0)

    def shaping(self, *texts: str) -> None:
        """Shape the text about to be written only where it needs it (see ``needs_shaping``)."""
        if any(needs_shaping(text) for text in texts):
            # a right-to-left report's paragraphs start from the right, as its page does (dir="rtl"); otherwise
            # each paragraph's direction follows its first letter
            self.set_text_shaping(True, direction="rtl" if self.rtl else None)
        else:
            self.set_text_shaping(False)

    def align(self, text: str) -> str:
        return "R" if self.rtl or is_right_to_left(text) else "L"

    def text_block(self, text: str, size: float = BODY, bold: bool = False, after: float = 1.5) -> None:
        text = clean(text)
        if not text:
            return
        self.set_font(FAMILY, "B" if bold else "", size)
        self.shaping(text)
        self.multi_cell(0, size * PT * 1.45, text, align=self.align(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(after)

    def heading(self, text: str, level: int = 2) -> None:
        size = {1: 18, 2: 13, 3: 11}[level]
        if level > 1 and self.will_page_break(34):
            self.add_page()
        self.ln({1: 0, 2: 4, 3: 2}[level])
        self.text_block(text, size=size, bold=True, after={1: 2, 2: 1.5, 3: 1}[level])

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self.text_block(f"• {clean(item)}", after=1)

    def fact(self, name: str, value: str) -> None:
        self.text_block(f"{name}: {clean(value)}", after=0.8)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
             numeric: Sequence[int] = (), total: bool = False) -> None:
        """A table: its first column names the row; figures aligned to the end; with ``total``, the last row in
        bold. Right to left, the columns run from the right."""
        aligns = ["RIGHT" if index in numeric else "LEFT" for index in range(len(headings))]
        order = list(range(len(headings)))
        if self.rtl:
            order.reverse()
            aligns = ["RIGHT" if align == "LEFT" else "LEFT" for align in aligns]
        self.set_font(FAMILY, "", BODY - 1)
        self.shaping(*headings, *(value for values in rows for value in values))  # the table is drawn at its end
        with self.table(col_widths=[widths[index] for index in order], width=self.epw, text_align="LEFT",
                        headings_style=HEADINGS, borders_layout="HORIZONTAL_LINES", line_height=4.6,
                        padding=(1.2, 1.5), v_align="TOP") as table:
            for number_, values in enumerate([headings, *rows]):
                row = table.row(style=TOTAL if total and number_ == len(rows) else None)
                for index in order:
                    value = clean(values[index])
                    align = aligns[index]
                    if number_ and index not in numeric and is_right_to_left(value):
                        align = "RIGHT"
                    row.cell(value, align=align)
        self.ln(2)
        self.set_font(FAMILY, "", BODY)

    def chart(self, image: bytes, label: str) -> None:
        width, height = png_size(image)
        w = min(self.epw, width / 2 / CHART_DPI * 25.4)
        h = w * height / width
        if self.will_page_break(h):
            self.add_page()
        x = self.w - self.r_margin - w if self.rtl else self.l_margin
        self.image(io.BytesIO(image), x=x, w=w, h=h, alt_text=label)
        self.ln(3)


def _heading(document: Report, pilot: Pilot, title: str) -> None:
    document.heading(title, 1)
    document.text_block(pilot.city.name, size=12, after=1)
    document.text_block(_("Pilot project declared on %(date)s", date=long_date(pilot.declared_dt)), after=2)
    if pilot.declared_after_baseline:
        document.text_block(_("This pilot's design was declared after the residents' baseline figures were "
                              "released."), bold=True)
    else:
        document.text_block(_("This pilot's design was declared before the residents' baseline figures were "
                              "released."))
    if pilot.revisions:
        document.text_block(_("Changes to the declared design:"), bold=True, after=1)
        items = []
        for revision in pilot.revisions:
            item = f"{long_date(revision.made_dt)}: {clean(revision.reason)}"
            if revision.reissued:
                item += " (" + _("releases reissued: %(waves)s", waves=", ".join(revision.reissued)) + ")"
            items.append(item)
        document.bullets(items)
    else:
        document.text_block(_("The declared design has not been changed."))


def _about(document: Report, pilot: Pilot, lang: str) -> None:
    description = pilot_text(pilot.description, lang, pilot)
    objectives = pilot_text(pilot.objectives, lang, pilot)
    if description:
        document.heading(_("About the pilot"))
        document.text_block(description)
    if objectives:
        document.heading(_("Objectives"), 3 if description else 2)
        document.text_block(objectives)


def _summary(document: Report, evaluation: dict) -> None:
    document.heading(_("In short"))
    sentences = summary(evaluation)
    if sentences:
        document.bullets(sentences)
    else:
        document.text_block(_("No target indicator has figures yet."))
    document.text_block(_("Intervals cover sampling uncertainty only: they do not account for who chose to answer, "
                          "or for anything else that changed in the districts."), size=BODY - 1)


def _residents(document: Report, evaluation: dict) -> None:
    document.heading(_("Residents: pilot districts against comparison districts"))
    document.text_block(_("Each group's figure combines its districts' figures in proportion to their population, so "
                          "a change in which districts answered is not read as an effect. The difference in "
                          "differences is the pilot districts' change minus the comparison districts' change, with "
                          "its %(level)s interval.", level=confidence_level()))
    if not evaluation["residents"]:
        document.text_block(_("No target indicator is among the residents' campaign's indicators."))
    for row in evaluation["residents"]:
        _target(document, row)


def _target(document: Report, row: dict) -> None:
    label = row["label"] + (f" · {_('primary indicator')}" if row.get("primary") else "")
    document.heading(label, 3)
    if row["status"] == SERIES_BREAK:
        languages = ", ".join(row.get("series_break_languages") or [])
        document.text_block(status_words(SERIES_BREAK) + (f" ({languages})" if languages else ""))
    else:
        rows = []
        for group, name in (("pilot", _("Pilot districts")), ("comparison", _("Comparison districts"))):
            cells = row.get(group) or {}
            rows.append([name, with_n(cells.get("baseline")), with_n(cells.get("follow_up")),
                         change(cells.get("change"))])
        difference = row.get("difference") or {"status": row["status"]}
        did = change(difference)
        if difference.get("p_value") is not None:
            did += "\n" + p_value(difference["p_value"])
        rows.append([_("Difference in differences"), "", "", did])
        document.grid([_("Group"), _("Baseline"), _("Follow-up"), _("Change since baseline")], rows,
                      (0.28, 0.24, 0.24, 0.24), numeric=(1, 2, 3))
    document.fact(_("Target"), f"{number(row['baseline_value'], '0.#')} → {number(row['target_value'], '0.#')}")
    document.fact(_("Target reached in the pilot districts"), reached_words(row["target_reached"]))
    if row.get("placebo"):
        document.fact(_("Placebo ranking"), _(
            "The pilot districts' change ranks %(rank)s of %(of)s among the changes of each other district (1: none "
            "moved further towards the target).", rank=row["placebo"]["rank"], of=row["placebo"]["of"]))
    document.fact(_("Uncertainty"), _("sampling uncertainty only"))
    spec = evaluation_chart(row, chart_labels(row))
    if spec is not None:
        document.ln(2)
        document.chart(png(spec), _("%(indicator)s: pilot and comparison districts at baseline and follow-up",
                                    indicator=row["label"]))


def _residents_view(document: Report, evaluation: dict) -> None:
    document.heading(_("What residents say of the pilot"))
    items = evaluation["residents_view"]
    if not items:
        document.text_block(_("The residents' questionnaire asks nothing about the pilot itself."))
        return
    document.text_block(_("Follow-up wave, all districts"), size=BODY - 1)
    document.grid([_("Indicator"), _("Estimate"), "n"],
                  [[item["label"], figure(item), count(item)] for item in items], (0.5, 0.3, 0.2), numeric=(1, 2))


def _officers(document: Report, evaluation: dict) -> None:
    document.heading(_("Officers: change across the city"))
    items = evaluation["officers"]
    if not items:
        document.text_block(_("This pilot has no officers' side."))
        return
    document.text_block(_("Officers give no district: their side of the pilot is the change across the whole city "
                          "between the officers' baseline and follow-up."))
    rows = []
    for item in items:
        moved = change({**item, "estimate": item.get("difference")})
        if item.get("p_value") is not None:
            moved += "\n" + p_value(item["p_value"])
        rows.append([item["label"], with_n(item.get("from_")), with_n(item.get("to")), moved])
    document.grid([_("Indicator"), _("Baseline"), _("Follow-up"), _("Change since baseline")], rows,
                  (0.34, 0.22, 0.22, 0.22), numeric=(1, 2, 3))


def _mirror(document: Report, evaluation: dict) -> None:
    pairs = evaluation["mirror"]
    if not pairs:
        return
    document.heading(_("Mirror: what officers think residents say"))
    document.text_block(_("Follow-up waves; the gap is officers' estimate minus residents' level"), size=BODY - 1)
    rows = []
    for pair in pairs:
        gap = change({**pair, "estimate": pair.get("gap")}, low="gap_ci_low", high="gap_ci_high")
        moved = pair.get("gap_change")
        rows.append([pair["label"], figure(pair.get("residents")), figure(pair.get("officers")), gap,
                     change({**moved, "estimate": moved.get("difference")}) if moved else ""])
    document.grid([_("Pair"), _("Residents' level"), _("Officers' estimate"), _("Gap"),
                   _("Change in the gap since baseline")], rows, (0.28, 0.18, 0.18, 0.18, 0.18), numeric=(1, 2, 3, 4))


def _timetable(document: Report, pilot: Pilot) -> None:
    document.heading(_("Timetable of actions"))
    if not pilot.actions:
        document.text_block(_("No action recorded yet."))
        return
    rows = [[action.name, _dates(action), action_status_words(action.status), action.owner]
            for action in pilot.actions]
    document.grid([_("Action"), _("Dates"), _("Status"), _("Who is responsible")], rows, (0.36, 0.26, 0.14, 0.24))


def _dates(action: PilotAction) -> str:
    ends = format_date(action.ends_on, "medium") if action.ends_on else "…"
    return f"{format_date(action.starts_on, 'medium')} – {ends}"


def _budget(document: Report, pilot: Pilot) -> None:
    document.heading(_("Budget"))
    if not pilot.budget_lines:
        document.text_block(_("No budget line recorded yet."))
        return
    planned, spent = budget_totals(pilot)
    rows = [[line.label, format_currency(line.planned_eur, "EUR"), format_currency(line.spent_eur, "EUR")]
            for line in pilot.budget_lines]
    rows.append([_("Total"), format_currency(planned, "EUR"), format_currency(spent, "EUR")])
    document.grid([_("Budget line"), _("Planned"), _("Spent")], rows, (0.5, 0.25, 0.25), numeric=(1, 2), total=True)


def _method(document: Report, pilot: Pilot) -> None:
    document.heading(_("How the figures are made"))
    districts = {district.code: district.name for district in pilot.city.districts}
    document.fact(_("Pilot districts"), ", ".join(districts.get(code, str(code)) for code in pilot.pilot_districts))
    document.fact(_("Comparison districts"),
                  ", ".join(districts.get(code, str(code)) for code in pilot.comparison_districts))
    document.fact(_("Residents' waves"), f"{pilot.resident_baseline.label} → {pilot.resident_follow_up.label}")
    if pilot.officer_campaign is not None and pilot.officer_baseline and pilot.officer_follow_up:
        document.fact(_("Officers' waves"), f"{pilot.officer_baseline.label} → {pilot.officer_follow_up.label}")
    document.ln(2)
    level = confidence_level()
    for paragraph in (
        _("Every figure comes from the released figures of the waves that measure the pilot. Each group's figure "
          "(pilot or comparison districts) is post-stratified by district: the districts' figures are combined in "
          "proportion to their population, with a variance that adds up each district's sampling variance. Only "
          "districts a release publishes are used: a group with a suppressed district has no figure."),
        _("The difference in differences is the pilot districts' change minus the comparison districts' change. Its "
          "%(level)s interval and its p-value follow the normal distribution. Districts are never treated as "
          "clusters: with so few districts, a clustered error would not be valid.", level=level),
        _("Every interval covers sampling uncertainty only: not who chose to answer, nor anything else that changed "
          "in the districts during the pilot."),
        _("A target is reached (yes) when the pilot districts' %(level)s interval at follow-up lies wholly on the "
          "target's side, not reached (no) when it lies wholly on the other side; otherwise we can't tell.",
          level=level),
        _("With eight districts or more, the pilot districts' change is ranked among the change of each other "
          "district: a placebo check of whether it stands out."),
        _("Officers give no district: their side is the change across the whole city. A mirror gap is officers' "
          "estimate of what residents say minus what residents say, given beside residents' own level."),
        _("Each figure is given with its %(level)s interval and the number of respondents (n); a star marks fewer "
          "than 30 respondents. The survey site's page “How the figures are made” describes every method.",
          level=level),
    ):
        document.text_block(paragraph, size=BODY - 1)
