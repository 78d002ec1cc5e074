"""A workbook as the actions see it: tables and sheets to read, rows to append, sheets to replace.

Every action (a ribbon button or a command) works on this small interface, so
one implementation runs on two hosts:

- `FileWorkbook`, a file on disk: calamine reads values (cached formula results
  included) and the lossless writer (`dunning.io.xlsx`) writes; all the writes of
  an action are saved together, atomically, by `save()`, or not at all.
- `dunning.excel.live.ExcelWorkbook`, the book open in Excel, through xlwings: one
  block of values per range, never cell by cell.

Values read are what the readers give: numbers as floats, dates as datetimes,
blanks as None or "", text as text; the core parses them the same way from both.
A cell holding an Excel error (a formula's cached `#DIV/0!`) is no value: calamine gives
it as a blank, so a file's tables, and every sheet read with `sheet_rows` (the invoice
sheet, PaymentPlans, KPIHistory), are refused naming each such cell (`error_cell_issues`)
rather than read with blanks in their place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from dunning.core.errors import (
    PLACE,
    DunningInputError,
    Issue,
    TablePlace,
    column_letter,
    error_cell_message,
)
from dunning.io.xlsx.error_cells import ErrorCell, error_cells

if TYPE_CHECKING:  # the writer is loaded when a workbook is saved, not to read one
    from dunning.io.xlsx.charts import Chart
    from dunning.io.xlsx.edit import WorkbookEdit
    from dunning.render.sheet_layout import SheetLayout

Row = Mapping[str, object]
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
_UNSUPPORTED_ERROR = re.compile(r"Unsupported cell error value '([^']*)'")
"""How python-calamine (0.9.1) refuses a sheet holding an error it has no name for."""


@dataclass(frozen=True)
class TableValues:
    """An Excel table's values: its header names and body rows, and where it sits (a table
    need not start at A1: messages name its cells as the sheet does)."""

    name: str
    sheet: str
    header_row: int  # the sheet row (from 1) of the header
    columns: list[str]
    rows: list[list[object]]
    first_column: int = 1  # the sheet column (from 1, A) of the table's first column

    @property
    def place(self) -> TablePlace:
        return TablePlace(self.sheet, self.header_row, self.first_column)

    def frame(self) -> pd.DataFrame:
        """The body as a DataFrame with the headers as columns, values as read (object); its
        `attrs` carry the table's `TablePlace`, so the readers name cells where they are."""
        frame = pd.DataFrame(self.rows, columns=self.columns, dtype=object)
        frame.attrs[PLACE] = self.place
        return frame


class Workbook(Protocol):
    """What an action needs from a workbook; see the module docstring."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> Path | None: ...

    def table_names(self) -> list[str]: ...

    def table(self, name: str) -> TableValues | None: ...

    def sheet_names(self) -> list[str]: ...

    def sheet_rows(self, name: str) -> list[list[object]]: ...

    def append_rows(self, table: str, rows: Sequence[Row]) -> None: ...

    def replace_sheet(self, name: str, rows: Sequence[Sequence[object]], *,
                      layout: SheetLayout | None = None, table: str | None = None,
                      at: tuple[int, int] | None = None) -> None: ...

    def set_charts(self, sheet: str, charts: Sequence[Chart]) -> None: ...

    def save(self) -> None: ...


@dataclass
class FileWorkbook:
    """A workbook file: read with calamine, written through the lossless writer on `save()`."""

    path: Path
    backups: int = 1
    _reader: CalamineWorkbook | None = field(default=None, repr=False)
    _appends: list[tuple[str, list[Row]]] = field(default_factory=list, repr=False)
    _sheets: list[tuple[str, list[list[object]], SheetLayout | None, str | None,
                        tuple[int, int] | None]] = field(default_factory=list, repr=False)
    _charts: list[tuple[str, list[Chart]]] = field(default_factory=list, repr=False)
    _updates: list[tuple[str, dict[int, dict[str, object]]]] = field(default_factory=list,
                                                                      repr=False)
    _errors: dict[str, list[ErrorCell]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.exists():
            raise DunningInputError([Issue(f"no such file: {self.path}")])
        if self.path.suffix.lower() == ".csv":
            raise DunningInputError([Issue(
                f"{self.path.name} is a CSV export: this needs the client's workbook (.xlsx or "
                ".xlsm), which holds the Customers, ContactLog and Settings tables")])
        if self.path.suffix.lower() not in WORKBOOK_SUFFIXES:
            raise DunningInputError([Issue(
                f"{self.path.name}: expected a workbook (.xlsx, .xlsm) or a .csv export")])

    def __enter__(self) -> FileWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.path.name

    def table_names(self) -> list[str]:
        reader = self._open()  # (a file that cannot be opened says so, not "no tables")
        try:
            return list(reader.table_names)
        except Exception:  # TablesNotLoaded: formats without tables (.xls, .ods)
            return []

    def table(self, name: str) -> TableValues | None:
        """The table named `name`, compared without case as Excel and the writer do."""
        named = [n for n in self.table_names() if n.casefold() == name.casefold()]
        if not named:
            return None
        try:
            found = self._open().get_table_by_name(named[0])
        except CalamineError as error:
            raise self._unreadable_errors(error, self.sheet_names()) from None
        # calamine's `start` is the first body cell, from 0: its row is the header's from 1
        values = TableValues(name, found.sheet, found.start[0], list(found.columns),
                             found.to_python(), first_column=found.start[1] + 1)
        issues = self.error_issues(values.sheet, values.columns, len(values.rows),
                                   header_row=values.header_row,
                                   first_column=values.first_column)
        if issues:
            raise DunningInputError(issues)
        return values

    def sheet_names(self) -> list[str]:
        return list(self._open().sheet_names)

    def sheet_rows(self, name: str) -> list[list[object]]:
        """The sheet's rows from A1, as calamine gives them; a sheet holding a cell with an
        Excel error is refused naming each one (`sheet_error_issues`), as its tables are:
        calamine gives it as "", which PaymentPlans would read as a blank Amount or Paid."""
        rows = self.sheet_values(name)
        issues = self.sheet_error_issues(name, rows)
        if issues:
            raise DunningInputError(issues)
        return rows

    def sheet_values(self, name: str) -> list[list[object]]:
        """The sheet's rows from A1 exactly as calamine gives them, an error cell as "": for a
        reader that names the error cells itself (`sheet_error_issues`), such as an
        accounting system's export, whose messages name the file."""
        try:
            return self._open().get_sheet_by_name(name).to_python(skip_empty_area=False)
        except CalamineError as error:
            raise self._unreadable_errors(error, [name]) from None

    def _unreadable_errors(self, error: CalamineError, sheets: Sequence[str]) -> Exception:
        """calamine refuses a whole sheet holding an error newer than those it knows
        (`#SPILL!`, `#CALC!`, `#FIELD!`): the error cells of the sheets holding one are named
        as any other (by cell alone: the sheet cannot be read for its headers), not left as a
        traceback or called damage. Any other failure is `error` itself."""
        match = _UNSUPPORTED_ERROR.search(str(error))
        if match is None or self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            return error
        issues = [issue for sheet in sheets
                  if any(cell.error == match.group(1) for cell in self._error_cells(sheet))
                  for issue in sheet_issues(self._error_cells(sheet), sheet, [])]
        return DunningInputError(issues) if issues else error

    def sheet_error_issues(self, sheet: str, rows: Sequence[Sequence[object]], *,
                           header_row: int = 1) -> list[Issue]:
        """An issue for every cell of the sheet holding an Excel error (`sheet_issues`);
        `rows` are `sheet_values`."""
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            return []
        return sheet_issues(self._error_cells(sheet), sheet, rows, header_row=header_row)

    def _error_cells(self, sheet: str) -> list[ErrorCell]:
        if sheet not in self._errors:
            self._errors[sheet] = error_cells(self.path, sheet)
        return self._errors[sheet]

    def error_issues(self, sheet: str, headers: Sequence[object], height: int, *,
                     header_row: int = 1, first_column: int = 1) -> list[Issue]:
        """An issue for each cell holding an Excel error in the table on `sheet` whose
        header row (`headers`, at `header_row` from column `first_column`) has `height`
        body rows below it."""
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            return []
        return error_cell_issues(self._error_cells(sheet), sheet, headers, height,
                                 header_row=header_row, first_column=first_column)

    def append_rows(self, table: str, rows: Sequence[Row]) -> None:
        self._appends.append((table, list(rows)))

    def replace_sheet(self, name: str, rows: Sequence[Sequence[object]], *,
                      layout: SheetLayout | None = None, table: str | None = None,
                      at: tuple[int, int] | None = None) -> None:
        """Queue the sheet's new cells; `layout` (of the same rows) formats them, `table`
        keeps an Excel Table of that name over them. With `at` (the sheet row and column,
        from 1, of their first cell) they replace only their own columns from that row
        down, and the rows above and the cells beside them are kept."""
        self._sheets.append((name, [list(row) for row in rows], layout, table, at))

    def set_charts(self, sheet: str, charts: Sequence[Chart]) -> None:
        """Queue native charts for the sheet (drawn after its cells are written)."""
        self._charts.append((sheet, list(charts)))

    def update_cells(self, table: str, updates: Mapping[int, Mapping[str, object]]) -> None:
        """Set cells of a table's rows on `save()`: `{sheet row: {header: value}}`."""
        self._updates.append((table, {row: dict(values) for row, values in updates.items()}))

    def save(self) -> None:
        """Write every queued change in one atomic save; nothing is written when none is queued."""
        if (not self._appends and not self._sheets and not self._charts
                and not any(u for _, u in self._updates)):
            return
        from dunning.io.report_styles import sheet_format
        from dunning.io.xlsx.edit import WorkbookEdit

        self.close()
        with WorkbookEdit(self.path, backups=self.backups) as edit:
            for table, updates in self._updates:
                if updates:
                    edit.update_cells(table, updates)
            for table, rows in self._appends:
                if rows:
                    edit.append_rows(table, rows)
            dates = _date_format(edit)
            for name, rows, layout, table, at in self._sheets:
                edit.replace_sheet(name, rows, table=table, layout=None if layout is None
                                   else sheet_format(layout, dates), at=at)
            for name, charts in self._charts:
                edit.set_charts(name, charts)
        self._appends.clear()
        self._sheets.clear()
        self._charts.clear()
        self._updates.clear()
        self._errors.clear()

    def close(self) -> None:
        """Let go of the file (Windows cannot replace a file that is open for reading)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _open(self) -> CalamineWorkbook:
        if self._reader is None:
            try:
                tables = self.path.suffix.lower() in (".xlsx", ".xlsm")
                self._reader = CalamineWorkbook.from_path(str(self.path), load_tables=tables)
            except Exception as error:  # calamine raises several types for unreadable files
                from dunning.io.reading import check_workbook_file

                check_workbook_file(self.path)  # what the file is, when that is why (text)
                raise DunningInputError([Issue(
                    f"{self.path.name} cannot be read as a workbook: {error}")]) from error
        return self._reader


def _date_format(edit: WorkbookEdit) -> str | None:
    """The date format of the workbook's Invoices table (its Invoice Date, else Due Date)."""
    from dunning.io.xlsx.styles import is_date_format

    for column in ("Invoice Date", "Due Date"):
        code = edit.column_format("Invoices", column)
        if code and is_date_format(code):
            return code
    return None


@contextmanager
def opened(source: str | Path | Workbook) -> Iterator[Workbook]:
    """The workbook itself, or the file at a path opened for the duration and then let go."""
    if isinstance(source, (str, Path)):
        with FileWorkbook(Path(source)) as workbook:
            yield workbook
    else:
        yield source


def table_frame(workbook: Workbook, name: str) -> pd.DataFrame | None:
    """A table's values as a DataFrame (its headers as columns), None if it is absent."""
    found = workbook.table(name)
    return None if found is None else found.frame()


def error_cell_issues(cells: Sequence[ErrorCell], sheet: str, headers: Sequence[object],
                      height: int, *, header_row: int = 1,
                      first_column: int = 1) -> list[Issue]:
    """The issues of the error `cells` inside the table on `sheet` whose header row is
    `headers` (at `header_row`, from column `first_column`) above `height` body rows: one
    for each, named by sheet, cell and header, in the words used wherever an error cell is
    read (`core.errors.error_cell_message`). The one place a file's error cells are told."""
    last_row, last_column = header_row + height, first_column + len(headers) - 1
    issues = []
    for cell in cells:
        if not (header_row <= cell.row <= last_row and first_column <= cell.column <= last_column):
            continue
        header = headers[cell.column - first_column] if cell.row > header_row else None
        issues.append(Issue(error_cell_message(cell.error), sheet=sheet, row=cell.row,
                            column=header if isinstance(header, str) and header else None,
                            column_letter=column_letter(cell.column - 1)))
    return issues


def sheet_issues(cells: Sequence[ErrorCell], sheet: str, rows: Sequence[Sequence[object]], *,
                 header_row: int = 1) -> list[Issue]:
    """The issues of every error cell of a sheet read whole (`rows`, from A1), wherever it
    is: such a sheet has no edge to leave one outside. A cell below `header_row` (from 1;
    row 1, the header of a sheet laid out from A1) is named with that row's text in its
    column (`error_cell_issues`), one at or above it by its cell alone."""
    if not cells:
        return []
    width = max(max(cell.column for cell in cells), *map(len, rows[:header_row]), 0)
    header = rows[header_row - 1] if len(rows) >= header_row else []
    headers = [*header, *[None] * width][:width]
    above = [cell for cell in cells if cell.row < header_row]
    return [*error_cell_issues(above, sheet, [None] * width, height=header_row - 1),  # no header
            *error_cell_issues([cell for cell in cells if cell.row >= header_row], sheet,
                               headers, max(cell.row for cell in cells),
                               header_row=header_row)]


def name_value_pairs(workbook: Workbook, name: str) -> dict[str, object]:
    """A two-column table (such as Settings) as a dict of its first column to its second."""
    frame = table_frame(workbook, name)
    if frame is None or frame.shape[1] < 2:
        return {}
    pairs = zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True)
    return {str(key).strip(): value for key, value in pairs if str(key).strip()}
