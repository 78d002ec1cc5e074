"""Read an accounting system's export file into a grid of cells, no header assumed.

Report exports are not tables: title lines, group headings and totals come first
and between, so they are read as they are, every line a row, and
`dunning.core.exports` finds the table in them. Text files (CSV, and the
tab-separated text of SAP's list export) are decoded as `dunning.io.reading`
decodes CSV; the separator is the one the lines hold most of (tab, semicolon or
comma). Workbooks (.xlsx, .xlsm) are read with calamine, the first sheet that
holds the strongest header row, cells as values (numbers, dates, text); a cell of that sheet
holding an Excel error (#N/A) is named and the export refused (`_refuse_error_cells`). What
a file is, is judged by its content, not its name, except that text given a workbook's name
(.xlsx, .xlsm) is refused as `dunning.io.reading.check_workbook_file` refuses it for every
other command (tab-separated text named .xls, as SAP's "spreadsheet" export writes it, is
read as text).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

from dunning.core.errors import DunningInputError, Issue
from dunning.core.exports import HEADER_SCAN, header_strength
from dunning.io.reading import WORKBOOK_NAMES, check_workbook_file, read_text
from dunning.io.workbook import FileWorkbook

_SEPARATORS = ("\t", ";", ",")
_SNIFF_LINES = 200


def read_export_grid(path: str | Path, *, notes: list[Issue] | None = None) -> list[list[object]]:
    """Every line (text) or row (workbook) of an export, as a list of cells."""
    path = Path(path)
    if path.is_dir():
        check_workbook_file(path)  # a folder is refused as one, as every other command says
    if not path.is_file():
        raise DunningInputError([Issue(f"no such file: {path}")])
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith((b"PK", b"\xd0\xcf\x11\xe0")) or path.suffix.lower() in WORKBOOK_NAMES:
        check_workbook_file(path)  # (text named .xlsx is refused: its name promises a workbook)
        return _workbook_grid(path)
    return _text_grid(path, notes)


def _workbook_grid(path: Path) -> list[list[object]]:
    """The sheet that holds the export's table: the one whose header row names the most
    ledger fields (Business Central's Excel reports put pivot and caption sheets before
    the data sheet), else the first sheet that holds anything."""
    best: tuple[int, str, list[list[object]]] | None = None
    with FileWorkbook(path) as workbook:
        for sheet in workbook.sheet_names():
            try:
                rows = [list(row) for row in workbook.sheet_values(sheet)]
            except DunningInputError as error:  # an error calamine cannot read (#SPILL!)
                raise _in_file(error.issues, workbook.name) from None
            if not any(cell not in (None, "") for row in rows for cell in row):
                continue
            strength = header_strength(rows)
            if best is None or strength > best[0]:
                best = (strength, sheet, rows)
        if best is None:
            raise DunningInputError([Issue(f"{path.name} is empty: every sheet is blank")])
        _refuse_error_cells(workbook, best[1], best[2])
    return best[2]


def _refuse_error_cells(workbook: FileWorkbook, sheet: str, rows: list[list[object]]) -> None:
    """Refuse the export's sheet when a cell of it holds an Excel error (calamine reads one
    as a blank), naming each as Excel names a cell of another file ([Export.xlsx]Sheet!E7).

    Every error cell of the sheet read is named, not only those in the documents' amount,
    date and number columns: a title line gives the export's date, a total line is checked
    against its rows, a column unused today is read with --map, and a cell beside the table
    cannot be told from part of the report before it is recognised. An #N/A amount read as
    a blank would import a wrong balance, so nothing is imported until the export is
    corrected (or run again). Cells below the header row are named with its header."""
    head = next((index for index, row in enumerate(rows[:HEADER_SCAN])
                 if header_strength([row]) >= 3), None)
    issues = workbook.sheet_error_issues(sheet, rows, header_row=1 if head is None else head + 1)
    if issues:
        raise _in_file(issues, workbook.name)


def _in_file(issues: list[Issue], name: str) -> DunningInputError:
    """The issues of an export's sheet placed as Excel names another file's cell."""
    return DunningInputError([dataclasses.replace(issue, sheet=f"[{name}]{issue.sheet}")
                              if issue.sheet else issue for issue in issues])


def _text_grid(path: Path, notes: list[Issue] | None) -> list[list[object]]:
    text = read_text(path, notes=notes)
    if not text.strip():
        raise DunningInputError([Issue(f"{path.name} is empty: expected an export with a "
                                       "header row and invoice rows")])
    lines = text.splitlines()[:_SNIFF_LINES]
    counts = {mark: sum(line.count(mark) for line in lines) for mark in _SEPARATORS}
    separator = max(_SEPARATORS, key=lambda mark: counts[mark])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        return [list(row) for row in reader]
    except csv.Error as error:
        raise DunningInputError([Issue(f"{path.name} cannot be read as text: {error}",
                                       row=reader.line_num)]) from None
