"""CSV and XLSX written as they are read, in constant memory, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and
LibreOffice: it gets a leading apostrophe (OWASP's advice), so that a respondent's comment or a district's name
can never run in an analyst's spreadsheet. Numbers are written as numbers. CSV starts with a byte-order mark, so
that Excel reads it as UTF-8 and accents arrive intact.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CHUNK_ROWS = 2000
FILE_CHUNK = 256 * 1024
XLSX_ROWS = 1_048_576  # a worksheet's last row: more rows go on to another sheet


def safe(value):
    """A cell as written: text that a spreadsheet would run is neutralised; None is empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Sequence) -> list:
    return [safe(value) for value in row]


def made_safe(rows: Iterable[Sequence], texts: Sequence[int] | None) -> Iterator[Sequence]:
    """Rows with every cell made safe, or only the cells at ``texts`` (columns known to hold the only text);
    ``None`` in other cells is written empty by csv and xlsxwriter alike."""
    if texts is None:
        yield from map(safe_row, rows)
        return
    for row in rows:
        for index in texts:
            value = row[index]
            if value is not None and value.startswith(FORMULA_STARTS):
                row[index] = "'" + value
        yield row


def csv_lines(rows: Iterable[Sequence], texts: Sequence[int]) -> list[str]:
    """Each row as one line of CSV, its text cells made safe (rows are lists, changed in place)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    lines = []
    for row in made_safe(rows, texts):
        writer.writerow(row)
        lines.append(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    return lines


def csv_file_chunks(header: Sequence[str], slices: Iterable[list[str]]) -> Iterator[bytes]:
    """A CSV made of lines written before (``csv_lines``), a slice at a time, byte-order mark and header first."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(safe_row(header))
    yield (BOM + buffer.getvalue()).encode("utf-8")
    for lines in slices:
        yield "".join(lines).encode("utf-8")


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The CSV in pieces of about ``CHUNK_ROWS`` rows, byte-order mark first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(safe_row(header))
    for written, row in enumerate(made_safe(rows, None), 1):
        writer.writerow(row)
        if written % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(sheet: str, header: Sequence[str], rows: Iterable[Sequence], texts: Sequence[int] | None = None) -> str:
    """Write an XLSX file row by row (xlsxwriter's constant memory mode) and return its path; the caller streams
    it with ``file_chunks``, which deletes it."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="imppulse-")
    os.close(handle)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False,
                                          "nan_inf_to_errors": True})
    try:
        _write_sheets(workbook, sheet, header, made_safe(rows, texts))
        workbook.close()
    except BaseException:
        os.unlink(path)
        raise
    return path


def _write_sheets(workbook, sheet: str, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    bold = workbook.add_format({"bold": True})
    worksheet, row_number, part = None, XLSX_ROWS, 0
    for row in rows:
        if row_number == XLSX_ROWS:
            part += 1
            worksheet = workbook.add_worksheet(sheet[:28] if part == 1 else f"{sheet[:24]} ({part})")
            worksheet.write_row(0, 0, safe_row(header), bold)
            worksheet.freeze_panes(1, 0)
            row_number = 1
        worksheet.write_row(row_number, 0, row)
        row_number += 1
    if worksheet is None:
        workbook.add_worksheet(sheet[:28]).write_row(0, 0, safe_row(header), bold)


def file_chunks(path: str, remove: bool = True) -> Iterator[bytes]:
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                yield chunk
    finally:
        if remove:
            os.unlink(path)
