"""The fixed set of tables a release publishes, and how they add up to each other.

Residents: the total; one-way tables by district, age band, gender and police contact; district crossed with each
of the other three. Officers: the total, and one-way tables by each background item (length of service, role),
never crossed: in small units a crossing names people. Any other breakdown is for analysts' microdata only.
A breakdown a questionnaire does not ask is left out. Respondents who did not give a breakdown form its "not
given" category (``None``), so that every table adds up to the total. Residents' campaigns that declared district
groups (``declarations.py``) publish a table of the groups too: each the sum of its districts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ..questionnaires.definition import Definition, item_type
from .suppression import Relation

#: a table: the breakdowns it crosses, () for the total
Table = tuple[str, ...]
#: a cell: its table and its category in each of the table's breakdowns
CellKey = tuple[Table, tuple]

RESIDENT_BREAKDOWNS = ("district", "age_band", "gender", "police_contact")
#: the table of declared district groups (a pilot's districts, its comparison districts), by the group's label
GROUP_TABLE: Table = ("district_group",)


def releasable_tables(audience: str, definition: Definition, grouped: bool = False) -> list[Table]:
    """The tables a release publishes; with ``grouped`` (district groups declared), the groups' table too."""
    if audience == "officer":
        background = [key for key, item in definition.item_by_answer_key.items() if item.get("background")]
        return [(), *((key,) for key in background)]
    asked = [name for name in RESIDENT_BREAKDOWNS if _asks(definition, name)]
    crossed = [("district", name) for name in asked if name != "district"] if "district" in asked else []
    groups = [GROUP_TABLE] if grouped and "district" in asked else []
    return [(), *((name,) for name in asked), *crossed, *groups]


def _asks(definition: Definition, name: str) -> bool:
    if name == "district":
        return definition.district_item is not None
    item = definition.item_by_answer_key.get(name)
    return item is not None and item_type(item).is_category


def categories(table: Table, values: Sequence, district_codes: dict[int, int]) -> tuple:
    """A cell's categories as a release keeps them: districts by their code (stable, and what people know), not by
    the database id the sums are grouped by."""
    return tuple(district_codes.get(value) if name == "district" and value is not None else value
                 for name, value in zip(table, values, strict=True))


def table_name(table: Table) -> str:
    return ":".join(table)


def parse_table(name: str) -> Table:
    return tuple(part for part in name.split(":") if part)


def relations(cells: Iterable[CellKey], tables: Sequence[Table],
              groups: Mapping[str, Sequence[int]] | None = None) -> list[Relation]:
    """Every "parent = sum of children" between the cells: each one-way table sums to the total, each line of
    a two-way table (one category of one breakdown) sums to that category's cell in the one-way table, and each
    district group sums its districts."""
    by_table: dict[Table, list[tuple]] = defaultdict(list)
    for table, values in cells:
        by_table[table].append(values)
    found: list[Relation] = []
    for table in tables:
        if table == GROUP_TABLE:
            found += [Relation((GROUP_TABLE, (label,)), tuple((("district",), (code,)) for code in codes))
                      for label, codes in (groups or {}).items()]
        elif len(table) == 1:
            found.append(Relation(((), ()), tuple((table, values) for values in by_table[table])))
        elif len(table) == 2:
            for position, name in enumerate(table):
                lines: dict[object, list[tuple]] = defaultdict(list)
                for values in by_table[table]:
                    lines[values[position]].append(values)
                for category, members in lines.items():
                    found.append(Relation(((name,), (category,)), tuple((table, values) for values in members)))
    return found
