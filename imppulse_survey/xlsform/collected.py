"""Collected data as ODK Central and KoboToolbox export it (CSV), read as raw answers, row by row.

ODK Central names a column by its groups joined with ``-`` (``police-trust_police``), KoboToolbox with ``/``
(``police/trust_police``) or by the question alone; a select_multiple holds its choices separated by spaces, and
Kobo adds a 0/1 column per choice (``police/topics/1``), which repeats it. Both add columns about the interview
(start and end times, device, interviewer, server ids): those are read for the instance id and the submission date
only, and the rest is dropped here, never stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from ..questionnaires.definition import Definition, item_type
from .writer import INTRODUCTION, INTRODUCTION_NOTE, LANGUAGE_QUESTION, page_name

#: the columns that hold the instance id, best first: ODK Central's, KoboToolbox's, and ODK Central's KEY
INSTANCE_COLUMNS = ("meta-instanceid", "meta/instanceid", "instanceid", "_uuid", "key")
SUBMISSION_COLUMNS = ("submissiondate", "_submission_time")
#: what ODK Central and KoboToolbox say about an interview beside its answers (lower case, without groups)
METADATA = frozenset({
    "submissiondate", "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
    "email", "audit", "key", "submitterid", "submittername", "attachmentspresent", "attachmentsexpected", "status",
    "reviewstate", "edits", "formversion", "instanceid", "instancename", "deprecatedid", "rootuuid", "uuid",
    "audit_url",
})
MAX_ROWS = 50_000
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


class CollectedFileError(ValueError):
    """A file that is not this wave's collected data; the message is for the person who sent it."""


@dataclass(frozen=True)
class CollectedRow:
    """One interview: its line in the file, its instance id, the date the server received it, its language
    (None where the file does not say) and its raw answers."""

    line: int
    instance_id: str
    submitted_on: dt.date | None
    language: str | None
    answers: dict
    problems: tuple[str, ...] = ()


def read_collected(data: bytes, definition: Definition) -> tuple[list[CollectedRow], list[str]]:
    """The rows of a collected-data CSV and the columns dropped, or CollectedFileError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CollectedFileError(_("The file is not UTF-8 text: export it from ODK Central or KoboToolbox as CSV "
                                   "again.")) from None
    lines = text.splitlines()
    if not lines:
        raise CollectedFileError(_("The file is empty."))
    # ODK Central separates by commas, KoboToolbox by semicolons unless told otherwise
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    columns = _Columns(header, definition)
    rows = []
    for number, cells in enumerate(reader, 2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise CollectedFileError(_("The file has more than %(count)s interviews: import it in parts.",
                                       count=MAX_ROWS))
        rows.append(columns.row(number, cells))
    return rows, columns.dropped


class _Columns:
    def __init__(self, header: list[str], definition: Definition):
        self.definition = definition
        answer_keys = set(definition.item_by_answer_key)
        ignored = {INTRODUCTION, INTRODUCTION_NOTE} | {f"{page_name(page)}_intro" for page in definition.pages} \
            | {page_name(page) for page in definition.pages}
        self.answers: dict[int, str] = {}
        self.dropped: list[str] = []
        self.language = self.instance = self.submitted = None
        unknown = []
        lowered = [name.strip().lower() for name in header]
        self.instance = next((lowered.index(name) for name in INSTANCE_COLUMNS if name in lowered), None)
        self.submitted = next((lowered.index(name) for name in SUBMISSION_COLUMNS if name in lowered), None)
        for index, name in enumerate(header):
            parts = [part for part in re.split(r"[/-]", name.strip()) if part]
            last = parts[-1] if parts else ""
            if last in answer_keys:
                if last in self.answers.values():
                    raise CollectedFileError(_("Two columns hold the answers to %(key)s.", key=last))
                self.answers[index] = last
            elif last == LANGUAGE_QUESTION:
                self.language = index
            elif name.startswith("_") or last.lower() in METADATA or lowered[index] in METADATA:
                self.dropped.append(name)
            elif last in ignored or (len(parts) >= 2 and parts[-2] in answer_keys):
                continue  # a note, or one choice of a select_multiple as 0/1, which its own column repeats
            else:
                unknown.append(name)
        if unknown:
            raise CollectedFileError(_("These columns are not questions of this wave's questionnaire: %(columns)s. "
                                       "Export the form of this wave again and collect with it.",
                                       columns=", ".join(unknown[:10])))
        if not self.answers:
            raise CollectedFileError(_("None of the columns is a question of this wave's questionnaire."))
        if self.instance is None:
            raise CollectedFileError(_("The file has no instance id column (meta-instanceID, _uuid or KEY)."))

    def row(self, number: int, cells: list[str]) -> CollectedRow:
        cells = cells + [""] * (max(self.answers, default=0) + 1 - len(cells))
        problems = []
        instance = _cell(cells, self.instance).removeprefix("uuid:").strip().lower()
        if not instance:
            problems.append(_("no instance id"))
        submitted_on = None
        if self.submitted is not None and _cell(cells, self.submitted):
            found = _DATE.match(_cell(cells, self.submitted).strip())
            try:
                submitted_on = dt.date.fromisoformat(found.group(1)) if found else None
            except ValueError:
                submitted_on = None
            if submitted_on is None:
                problems.append(_("the submission date cannot be read"))
        answers = {}
        for index, key in self.answers.items():
            item = self.definition.item_by_answer_key[key]
            value = item_type(item).from_collected(item, _cell(cells, index))
            if value is not None:
                answers[key] = value
        language = _cell(cells, self.language).strip() or None if self.language is not None else None
        return CollectedRow(number, instance, submitted_on, language, answers, tuple(problems))


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def answer_problems(problems: Mapping[str, str]) -> Iterator[str]:
    for key, message in sorted(problems.items()):
        yield f"{key}: {message}"
