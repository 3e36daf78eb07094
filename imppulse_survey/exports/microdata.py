"""A release's microdata: one row per respondent, built once from the answers, then read by every download.

The answers are pivoted in the database (one ``GROUP BY`` per slice of responses, a conditional aggregate per
variable), the quasi-identifiers coarsened to the levels ``anonymity.coarsening`` found from their counts, and the
rows stored in a random order. No response id, submission id or date is in them; free text only where an admin
enabled it for the campaign, and never for officers.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..campaigns.models import Campaign, District
from ..core.database import begin_write
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.definition import Definition, item_type
from ..questionnaires.published import published_definition
from ..releases.models import Release
from ..responses.models import Answer, Response, TextAnswer
from .anonymity import QuasiIdentifier, TooFewRespondents, as_answered, banded, coarsening
from .models import MicrodataRow, MicrodataSet
from .writers import csv_lines

#: residents' quasi-identifiers that are answers, in the order they are coarsened when equally detailed
RESIDENT_ANSWERED = ("years_in_area", "police_contact", "gender", "age_band")
#: bands that merge in pairs before they are withheld
BANDED = ("age_band", "years_in_area")
SLICE = 5000  # responses pivoted per query: memory stays flat whatever the wave's size
READ_ROWS = 5000  # stored rows fetched at a time
NOT_GIVEN = -1  # as the weighting classes write it


class MicrodataRefused(Exception):
    """No microdata for this release: say why."""


@dataclass(frozen=True)
class Variable:
    name: str
    #: "answer" (a code or a number), "text", "district", "language", "channel" or "weight"
    source: str
    answer_key: str | None = None
    option_code: int | None = None
    #: a quasi-identifier, coarsened (its level is in the set's ``levels``)
    is_quasi: bool = False

    @property
    def is_string(self) -> bool:
        return self.source in ("text", "language", "channel")


def microdata_set(release: Release, progress: Callable[[int], None] | None = None) -> MicrodataSet:
    """The release's microdata, built now if it was not yet (and committed)."""
    found = db.session.scalar(select(MicrodataSet).where(MicrodataSet.release_id == release.id))
    if found is not None:
        return found
    begin_write()
    found = db.session.scalar(select(MicrodataSet).where(MicrodataSet.release_id == release.id))
    if found is not None:  # another request built it while this one waited for the write lock
        db.session.commit()
        return found
    try:
        made = _build(release, progress or (lambda done: None))
        db.session.commit()
        return made
    except IntegrityError:  # PostgreSQL: another worker built it at the same time
        db.session.rollback()
        return db.session.scalars(select(MicrodataSet).where(MicrodataSet.release_id == release.id)).one()


def responses_to_build(release: Release) -> int:
    return db.session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == release.wave_id))


def _build(release: Release, progress: Callable[[int], None]) -> MicrodataSet:
    campaign: Campaign = release.wave.campaign
    definition = published_definition(release.wave.questionnaire_version)
    with_text = campaign.microdata_free_text and campaign.audience == "resident"
    variables = file_variables(definition, campaign, with_text, release.weight_set is not None)
    weights = _class_weights(release)
    pivot = Pivot(definition, variables, release.wave_id, weights)
    identifiers = pivot.quasi_identifiers()
    try:
        levels = coarsening(identifiers, pivot.quasi_counts(), release.threshold)
    except TooFewRespondents:
        raise MicrodataRefused(f"fewer than {release.threshold} respondents: no microdata") from None
    kept = [variable for variable in variables
            if not variable.is_quasi or levels[variable.name] < _identifier(identifiers, variable.name).top]
    made = MicrodataSet(release_id=release.id, built_dt=utcnow(), variables=[asdict(v) for v in kept],
                        levels=levels, with_free_text=with_text, row_count=0)
    db.session.add(made)
    db.session.flush()
    total = responses_to_build(release)
    positions = np.random.default_rng(secrets.randbits(128)).permutation(total)
    coarsen = [(variables.index(variable), _identifier(identifiers, variable.name), levels.get(variable.name, 0))
               if variable.is_quasi else (variables.index(variable), None, 0) for variable in kept]
    texts = text_columns(made)
    written = 0
    for rows in pivot.slices():
        coarsened = [[row[index] if identifier is None else identifier.at(level, row[index])
                      for index, identifier, level in coarsen] for row in rows]
        batch = [{"set_id": made.id, "position": int(positions[written + offset]), "line": line}
                 for offset, line in enumerate(csv_lines(coarsened, texts))]
        db.session.execute(insert(MicrodataRow), batch)
        written += len(batch)
        progress(len(batch))
    made.row_count = written
    return made


def _identifier(identifiers: list[QuasiIdentifier], name: str) -> QuasiIdentifier:
    return next(identifier for identifier in identifiers if identifier.name == name)


def file_variables(definition: Definition, campaign: Campaign, with_text: bool, weighted: bool) -> list[Variable]:
    """The file's variables in questionnaire order, then language, channel and weight."""
    officer = campaign.audience == "officer"
    found: list[Variable] = []
    for item in definition.items():
        kind = item_type(item)
        if kind.holds_district:
            found.append(Variable("district", "district", is_quasi=True))
        for column in kind.microdata_columns(item):
            if column.is_text and not with_text:
                continue
            quasi = (item.get("background", False) if officer else column.answer_key in RESIDENT_ANSWERED)
            found.append(Variable(column.name, "text" if column.is_text else "answer", column.answer_key,
                                  column.option_code, is_quasi=bool(quasi) and column.option_code is None))
    found += [Variable("language", "language", is_quasi=True), Variable("channel", "channel", is_quasi=True)]
    if weighted and not officer:
        found.append(Variable("weight", "weight", is_quasi=True))
    return found


def _class_weights(release: Release) -> dict[tuple[int, int, int], float] | None:
    """(district code, age band, gender) → the weight the release's figures used; none: unweighted."""
    if release.weight_set is None:
        return None
    return {(district, age, gender): round(weight, 6)
            for district, age, gender, _, _, weight in release.weight_set.classes}


class Pivot:
    """The wave's answers as one row per respondent, a slice at a time, computed in the database."""

    def __init__(self, definition: Definition, variables: list[Variable], wave_id: int,
                 weights: dict[tuple[int, int, int], float] | None):
        self.definition = definition
        self.variables = variables
        self.wave_id = wave_id
        self.weights = weights
        self.missing_codes = {name: entry["code"] for name, entry in definition.data["missing"].items()}

    def _columns(self, variables: list[Variable]) -> list:
        coded = func.coalesce(Answer.value, case(self.missing_codes, value=Answer.missing))
        columns = []
        for variable in variables:
            if variable.source == "district":
                columns.append(func.max(District.code))
            elif variable.source in ("language", "channel"):
                columns.append(func.max(getattr(Response, variable.source)))
            elif variable.source == "answer":
                value = coded if variable.option_code is None else case(
                    (Answer.value == variable.option_code, 1), (Answer.missing.is_not(None), coded), else_=0)
                columns.append(func.max(case((Answer.item_key == variable.answer_key, value))))
            else:  # text and weight: filled in from other queries
                columns.append(None)
        return columns

    def _grouped(self, variables: list[Variable], *where):
        columns = [column.label(f"v{index}") for index, column in enumerate(self._columns(variables))
                   if column is not None]
        return (select(Response.id, *columns).select_from(Response)
                .outerjoin(Answer, Answer.response_id == Response.id)
                .outerjoin(District, District.id == Response.district_id)
                .where(Response.wave_id == self.wave_id, *where).group_by(Response.id))

    def quasi_identifiers(self) -> list[QuasiIdentifier]:
        """The quasi-identifiers, the least useful first (they go first when equally detailed)."""
        by_name = {variable.name: variable for variable in self.variables if variable.is_quasi}
        fixed = ("channel", "language", "weight", *RESIDENT_ANSWERED, "district")
        background = [name for name in by_name if name not in fixed]  # officers' background items
        order = ["channel", "language", "weight", *RESIDENT_ANSWERED, *reversed(background), "district"]
        found = []
        for name in order:
            variable = by_name.get(name)
            if variable is None:
                continue
            if variable.answer_key in BANDED:
                item = self.definition.item_by_answer_key[variable.answer_key]
                found.append(banded(name, item_type(item).codes(item) or []))
            else:
                found.append(as_answered(name))
        return found

    def _class_inputs(self) -> list[Variable]:
        """What a weight depends on: district, age band and gender, as the weighting classes read them."""
        return [Variable("district", "district")] + [
            Variable(name, "answer", name) for name in ("age_band", "gender")]

    def quasi_counts(self) -> dict[tuple, int]:
        """How many respondents gave each combination of quasi-identifiers (as answered): one GROUP BY."""
        identifiers = self.quasi_identifiers()
        by_name = {variable.name: variable for variable in self.variables}
        asked = [by_name[identifier.name] for identifier in identifiers if identifier.name != "weight"]
        if self.weights is not None:
            asked += self._class_inputs()
        per_response = self._grouped(asked).subquery()
        values = list(per_response.c)[1:]
        rows = db.session.execute(select(*values, func.count()).group_by(*values)).all()
        counts: dict[tuple, int] = {}
        for row in rows:
            answered = dict(zip([variable.name for variable in asked], row, strict=False))
            if self.weights is not None:
                answered["weight"] = self._weight(*row[len(asked) - 3:len(asked)])
            key = tuple(_plain(answered[identifier.name]) for identifier in identifiers)
            counts[key] = counts.get(key, 0) + row[-1]
        return counts

    def _weight(self, district, age, gender) -> float:
        """The weight of a respondent's class; codes a respondent did not give count as NOT_GIVEN, as in raking."""
        def given(value):
            return NOT_GIVEN if value is None or value in self.missing_codes.values() else int(value)
        return self.weights.get((given(district), given(age), given(gender)), 1.0)

    def slices(self) -> Iterator[list[list]]:
        """Rows of every variable, ``SLICE`` responses at a time, in the responses' order."""
        low, high = db.session.execute(select(func.min(Response.id), func.max(Response.id))
                                       .where(Response.wave_id == self.wave_id)).one()
        if low is None:
            return
        extra = self._class_inputs() if self.weights is not None else []
        query_variables = [variable for variable in self.variables if variable.source not in ("text", "weight")]
        texts = [variable for variable in self.variables if variable.source == "text"]
        for start in range(low, high + 1, SLICE):
            in_slice = (Response.id >= start, Response.id < start + SLICE)
            rows = db.session.execute(self._grouped(query_variables + extra, *in_slice)
                                      .order_by(Response.id)).all()
            if not rows:
                continue
            written = _texts(texts, in_slice) if texts else {}
            yield [self._row(row, query_variables, extra, written) for row in rows]

    def _row(self, row, query_variables: list[Variable], extra: list[Variable], written: dict) -> list:
        found = dict(zip([variable.name for variable in query_variables], row[1:], strict=False))
        values = []
        for variable in self.variables:
            if variable.source == "weight":
                values.append(self._weight(*row[len(row) - len(extra):]))
            elif variable.source == "text":
                values.append(written.get((row[0], variable.answer_key)))
            else:
                values.append(_plain(found[variable.name]))
        return values


def _texts(variables: list[Variable], in_slice) -> dict[tuple[int, str], str]:
    keys = [variable.answer_key for variable in variables]
    rows = db.session.execute(select(TextAnswer.response_id, TextAnswer.item_key, TextAnswer.text)
                              .join(Response, Response.id == TextAnswer.response_id)
                              .where(TextAnswer.item_key.in_(keys), *in_slice))
    return {(response_id, key): text for response_id, key, text in rows}


def _plain(value):
    """A whole number as an int (codes), any other number as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def stored_lines(set_id: int) -> Iterator[list[str]]:
    """The set's CSV lines in their stored (random) order, a slice at a time."""
    query = (select(MicrodataRow.line).where(MicrodataRow.set_id == set_id).order_by(MicrodataRow.position)
             .execution_options(yield_per=READ_ROWS))
    yield from db.session.execute(query).scalars().partitions(READ_ROWS)


def stored_rows(made: MicrodataSet) -> Iterator[list]:
    """The set's rows as values: numbers as numbers, text as text, None where empty."""
    texts = set(text_columns(made))
    for lines in stored_lines(made.id):
        for cells in csv.reader(lines):
            yield [(cell or None) if index in texts else _number(cell) for index, cell in enumerate(cells)]


def _number(cell: str):
    if not cell:
        return None
    value = float(cell)
    return int(value) if value.is_integer() else value


def text_columns(made: MicrodataSet) -> list[int]:
    """Where the set holds text (free text, language, channel): the only cells a spreadsheet could run."""
    return [index for index, entry in enumerate(made.variables) if Variable(**entry).is_string]


def forget_microdata(wave_ids, with_free_text_only: bool = False) -> list[int]:
    """Delete the microdata built from these waves' responses (retention purges it with them, and a set that holds
    free texts with the texts); returns the ids of the sets deleted, whose cached files go too."""
    sets = select(MicrodataSet.id).where(MicrodataSet.release_id.in_(
        select(Release.id).where(Release.wave_id.in_(wave_ids))))
    if with_free_text_only:
        sets = sets.where(MicrodataSet.with_free_text.is_(True))
    doomed = list(db.session.scalars(sets))
    db.session.execute(delete(MicrodataRow).where(MicrodataRow.set_id.in_(doomed)))
    db.session.execute(delete(MicrodataSet).where(MicrodataSet.id.in_(doomed)))
    return doomed
