"""The workbook open in Excel, as the actions see it (`dunning.io.workbook.Workbook`), via xlwings.

Kept thin on purpose: Excel cannot run where the tests run, so this module only
moves blocks of values between Excel and the actions, one block per range and
never cell by cell, and every decision stays in code that is tested on files.
It uses a handful of xlwings calls (sheets, tables, `Range.value`,
`Table.resize`, `Sheet.clear_contents`), which the tests imitate with plain
Python objects holding the values xlwings passes: lists of rows, dates as
datetimes, blanks as None.

Text written to a cell is prefixed with an apostrophe, Excel's mark for "this
is text": so a note such as "=HYPERLINK(...)" or an invoice number such as
"00123" is kept as typed and never becomes a formula or a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dunning.core.errors import DunningInputError, Issue
from dunning.io import Chart, TableColumn, rows_in_column_order
from dunning.io.report_styles import format_runs
from dunning.io.workbook import Row, TableValues
from dunning.render.sheet_layout import SheetLayout


class ExcelWorkbook:
    """An xlwings Book behind the `Workbook` interface; writes show at once, unsaved."""

    def __init__(self, book: Any) -> None:
        self.book = book

    @property
    def name(self) -> str:
        return str(self.book.name)

    @property
    def path(self) -> Path | None:
        """The file behind the book; None until it has been saved once."""
        full = Path(str(self.book.fullname))
        return full if full.is_absolute() and full.exists() else None

    def table_names(self) -> list[str]:
        return [table.name for sheet in self.book.sheets for table in sheet.tables]

    def table(self, name: str) -> TableValues | None:
        found = self._find_table(name)
        if found is None:
            return None
        sheet, table = found
        values = _rows(table.range.options(ndim=2).value)
        header = [_header(cell) for cell in values[0]]
        return TableValues(table.name, sheet.name, int(table.range.row), header, values[1:])

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def sheet_rows(self, name: str) -> list[list[object]]:
        used = self.book.sheets[name].used_range
        values = _rows(used.options(ndim=2).value)
        left = [None] * (int(used.column) - 1)
        return [[] for _ in range(int(used.row) - 1)] + [left + row for row in values]

    def append_rows(self, table: str, rows: Sequence[Row]) -> None:
        """Write the rows below the table's last row (into its one blank row if it is empty)
        and resize the table over them."""
        found = self._find_table(table)
        if found is None:
            raise DunningInputError([Issue(f"the workbook has no table named {table!r}")])
        sheet, excel_table = found
        if not rows:
            return
        whole = excel_table.range
        values = _rows(whole.options(ndim=2).value)
        header = [_header(cell) for cell in values[0]]
        block = rows_in_column_order(excel_table.name, [TableColumn(name) for name in header],
                                     rows, sheet.name)
        body = values[1:]
        empty = len(body) == 1 and all(_blank(cell) for cell in body[0])
        first = int(whole.row) + (1 if empty else len(values))
        column = int(whole.column)
        last_row = first + len(block) - 1
        excel_table.resize(sheet.range((int(whole.row), column),
                                       (last_row, column + len(header) - 1)))
        sheet.range((first, column)).value = [[cell_value(v) for v in row] for row in block]

    def replace_sheet(self, name: str, rows: Sequence[Sequence[object]], *,
                      layout: SheetLayout | None = None, table: str | None = None) -> None:
        """Clear the Dunning-owned sheet (created if missing) and write `rows` from A1.

        A `layout` sets number formats, one block of cells at a time (a run of one
        kind down a column); `table` is not made in the open book (the file writer
        makes it), so a table the sheet has keeps its own size.
        """
        if name in self.sheet_names():
            sheet = self.book.sheets[name]
            sheet.clear_contents()
        else:
            sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        width = max((len(row) for row in rows), default=0)
        if width:
            sheet.range((1, 1)).value = [
                [cell_value(v) for v in row] + [None] * (width - len(row)) for row in rows]
        if layout is not None:
            for (first, last, col), code in format_runs(layout):
                sheet.range((first, col), (last, col)).number_format = code

    def set_charts(self, sheet: str, charts: Sequence[Chart]) -> None:
        """Charts are drawn by the file writer (`dunning refresh`); the open book keeps its own."""

    def save(self) -> None:
        """Nothing to do: the changes are in the open book, which the user saves."""

    def selected_row(self) -> dict[str, object]:
        """The selected row's values by header: of the table holding it, else of row 1."""
        selection = self.book.selection
        sheet, row = selection.sheet, int(selection.row)
        for table in sheet.tables:
            area = table.range
            if int(area.row) < row <= int(area.row) + area.shape[0] - 1:
                header_row, column, width = int(area.row), int(area.column), area.shape[1]
                break
        else:
            header_row, column = 1, 1
            width = sheet.used_range.shape[1] + int(sheet.used_range.column) - 1
            if row <= 1:
                raise DunningInputError([Issue("select a row below the headers first",
                                               sheet=sheet.name)])
        header = _rows(sheet.range((header_row, column),
                                   (header_row, column + width - 1)).options(ndim=2).value)[0]
        values = _rows(sheet.range((row, column),
                                   (row, column + width - 1)).options(ndim=2).value)[0]
        return {_header(name): value for name, value in zip(header, values, strict=True)
                if _header(name)}

    def _find_table(self, name: str) -> tuple[Any, Any] | None:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if table.name.casefold() == name.casefold():
                    return sheet, table
        return None


def cell_value(value: object) -> object:
    """A value as it must go into a cell: text as literal text, NaN as blank, dates as dates."""
    if isinstance(value, str):
        return "'" + value if value else None
    if value is None or _is_missing(value):
        return None
    if getattr(getattr(value, "dtype", None), "kind", "") == "M":  # numpy datetime64
        import pandas as pd

        return pd.Timestamp(value).to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (dt.date, dt.datetime)):
        return value.item()  # numpy scalars
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()  # pandas Timestamps
    return value


def _is_missing(value: object) -> bool:
    """NaN, pandas' NaT and numpy's NaT: the values that are not equal to themselves."""
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _rows(value: object) -> list[list[object]]:
    if value is None:
        return [[]]
    return [list(row) for row in value]  # type: ignore[union-attr]


def _header(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cells_by_header(values: Mapping[str, object], *names: str) -> object:
    """The first of `names` present (without regard to case) in a row read by header."""
    folded = {key.casefold(): value for key, value in values.items()}
    for name in names:
        if name.casefold() in folded and not _blank(folded[name.casefold()]):
            return folded[name.casefold()]
    return None
