"""A release's aggregated indicators as rows: every table it publishes, what the pages show, flags included.

The figures come from ``releases.figures`` like every other output; a suppressed cell is a row that says so, with
no n and no estimate. Categories are given by code and by label in the chosen language (districts by name).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..campaigns.models import Campaign, Wave
from ..campaigns.texts import campaign_texts
from ..questionnaires.definition import item_type
from ..questionnaires.published import published_definition
from ..releases.cells import campaign_tables
from ..releases.figures import indicator_tables
from ..releases.tables import GROUP_TABLE, table_name

FIGURE_COLUMNS = ("status", "n", "estimate", "ci_low", "ci_high", "interpret_with_care", "sampling_error_only")


def breakdowns(campaign: Campaign, wave: Wave) -> list[str]:
    return sorted({name for table in campaign_tables(campaign, wave) for name in table},
                  key=lambda name: (name != "district", name))


def header(campaign: Campaign, wave: Wave) -> list[str]:
    names = breakdowns(campaign, wave)
    return ["indicator", "indicator_label", "kind", "wave", "weighted", "table",
            *(column for name in names for column in (f"{name}_code", name)), *FIGURE_COLUMNS]


def rows(campaign: Campaign, wave: Wave, lang: str, weighted: bool) -> Iterator[list]:
    """One row per indicator and cell of every releasable table of the wave's current release."""
    names = breakdowns(campaign, wave)
    label_of = category_labels(campaign, wave, lang)
    for table in campaign_tables(campaign, wave):
        _, tables = indicator_tables(campaign, table, [wave.label], weighted, lang)
        for indicator in tables:
            for cell in indicator["cells"]:
                categories = []
                for name in names:
                    code = cell["dimensions"].get(name) if name in table else None
                    shown = name in table
                    categories += [code if shown else None,
                                   label_of(name, code) if shown else None]
                yield [indicator["id"], indicator["label"], indicator["kind"], wave.label,
                       "yes" if weighted else "no", table_name(table) or "total", *categories,
                       *(_flag(cell[column]) for column in FIGURE_COLUMNS)]


def _flag(value):
    return ("yes" if value else "no") if isinstance(value, bool) else value


def category_labels(campaign: Campaign, wave: Wave, lang: str):
    """label(breakdown, code): a district's name, a band's label in ``lang``; "not given" for None."""
    from flask_babel import gettext

    definition = published_definition(wave.questionnaire_version)
    say = campaign_texts(campaign, lang)
    districts = {district.code: district.name for district in campaign.city.districts}
    missing = {entry["code"]: say(entry["label"]) for entry in definition.data["missing"].values()}

    def label(name: str, code) -> str:
        if code is None:
            return gettext("Not given")
        if name == "district":
            return districts.get(code, str(code))
        if name == GROUP_TABLE[0]:
            return str(code)
        item = definition.item_by_answer_key.get(name)
        if item is None:
            return str(code)
        return item_type(item).value_labels(item, say).get(code) or missing.get(code) or str(code)

    return label
