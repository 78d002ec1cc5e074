"""The workbook open in Excel, as the actions see it (`dunning.io.workbook.Workbook`), via xlwings.

Kept thin on purpose: Excel cannot run where the tests run, so this module only
moves blocks of values between Excel and the actions, one block per range and
never cell by cell, and every decision stays in code that is tested on files.
It uses a handful of xlwings calls (sheets, tables, `Range.value`,
`Table.resize`, `Tables.add`, `Sheet.clear`, `Range.clear`, a range's `number_format`,
`column_width`, `font` and `color`, and for charts
`Charts.add`, `Chart.set_x_axis_values`, the series' names, the title and the
axes' number formats: xlwings 0.37.5 and later), which the tests imitate with
plain Python objects holding the values xlwings passes: lists of rows, dates as
datetimes, blanks as None. A table or sheet holding a cell with an Excel error is refused
naming each one, as the file host does (`read_values`, read with xlwings' `err_to_str`).

Text written to a cell is prefixed with an apostrophe, Excel's mark for "this
is text": so a note such as "=HYPERLINK(...)" or an invoice number such as
"00123" is kept as typed and never becomes a formula or a number.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from dunning.core.errors import DunningInputError, Issue, column_letter
from dunning.excel.arguments import COM_ERROR_BASE, XL_ERROR_CODES
from dunning.io import CHART_NAME, Chart, TableColumn, rows_in_column_order, split_range
from dunning.io.report_styles import format_runs, look_runs
from dunning.io.workbook import ErrorCell, Row, TableValues, error_cell_issues, sheet_issues
from dunning.render.sheet_layout import SheetLayout

_ERROR_TEXTS = frozenset(XL_ERROR_CODES.values())
_COM_ERRORS = {COM_ERROR_BASE + code: text for code, text in XL_ERROR_CODES.items()}
_MAYBE_ERRORS = _ERROR_TEXTS | frozenset(_COM_ERRORS)
"""What an error cell can read as: its text, or COM's integer code (which a float equal to
it also matches in a set: `read_values` then looks at the type)."""
_CHART_TYPES = {"column": "column_clustered", "bar": "bar_clustered", "line": "line_markers"}
"""xlwings' names for the file writer's chart kinds."""


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
        values, errors = read_values(table.range)
        header = [_header(cell) for cell in values[0]]
        top, left = int(table.range.row), int(table.range.column)
        issues = error_cell_issues(errors, sheet.name, header, len(values) - 1,
                                   header_row=top, first_column=left)
        if issues:
            raise DunningInputError(issues)
        return TableValues(table.name, sheet.name, top, header, values[1:], first_column=left)

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def sheet_rows(self, name: str) -> list[list[object]]:
        """The sheet's rows from A1 (its used range, read in one block); a sheet holding a
        cell with an Excel error is refused naming each, as the file host does."""
        used = self.book.sheets[name].used_range
        values, errors = read_values(used)
        left = [None] * (int(used.column) - 1)
        rows = [[] for _ in range(int(used.row) - 1)] + [left + row for row in values]
        issues = sheet_issues(errors, name, rows)
        if issues:
            raise DunningInputError(issues)
        return rows

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
                      layout: SheetLayout | None = None, table: str | None = None,
                      at: tuple[int, int] | None = None) -> None:
        """Clear the Dunning-owned sheet (created if missing) and write `rows` from A1.

        With `at` (row, column, from 1), as the file writer does, the rows are written from
        that cell and only their own columns are cleared, from that row to the last used
        one: the rows above and the cells beside them stay, and only the tables over those
        columns are resized; the layout is placed there too.

        A `layout` sets number formats, one block of cells at a time (a run of one
        kind down a column), the column widths, and the fonts and fills of titles,
        notes and headers, and the frozen panes (`_freeze`). As the file writer does,
        every table on the sheet is resized over the rows written (its header row must
        be written unchanged),
        and `table` names an Excel Table over them (header in row 1, up to the first
        empty header) made when the sheet has none, so charts can name its columns.
        """
        sheet = self.book.sheets[name] if name in self.sheet_names() else None
        first_row, first_column = at or (1, 1)
        width = max((len(row) for row in rows), default=0)
        tables = list(sheet.tables) if sheet is not None else []
        if at is not None:
            tables = [t for t in tables if _reaches(t.range, first_row, first_column, width)]
        placed = [[] for _ in range(first_row - 1)] + [
            [None] * (first_column - 1) + list(row) for row in rows]
        _check_headers(sheet, tables, placed)
        headers = _table_headers(name, table, rows) if table is not None else []
        if table is not None and not any(t.name.casefold() == table.casefold() for t in tables):
            found = self._find_table(table)
            if found is not None:
                raise DunningInputError([Issue(
                    f"the workbook already has a table named {found[1].name} on another sheet",
                    sheet=name)])
        if sheet is None:
            sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        elif at is None:
            sheet.clear()  # contents and formats: the sheet is Dunning's, rewritten whole
        else:  # the block's own columns, from its first row to the last used or written one
            used = sheet.used_range
            last = max(int(used.row) + used.shape[0] - 1, first_row + len(rows) - 1)
            sheet.range((first_row, first_column),
                        (last, first_column + max(width, 1) - 1)).clear()
        if width:
            sheet.range((first_row, first_column)).value = [
                [cell_value(v) for v in row] + [None] * (width - len(row)) for row in rows]
        for owned in tables:
            area = owned.range
            top, left = int(area.row), int(area.column)
            owned.resize(sheet.range((top, left), (max(top + 1, len(placed)),
                                                   left + area.shape[1] - 1)))
        if table is not None and not tables:
            sheet.tables.add(source=sheet.range(
                (first_row, first_column),
                (first_row - 1 + max(2, len(rows)), first_column - 1 + len(headers))),
                name=table, table_style_name="TableStyleLight9")
        if layout is not None:
            _lay_out(sheet, layout, first_row - 1, first_column - 1)
            if layout.freeze is not None:
                frozen_rows, frozen_columns = layout.freeze
                _freeze(self.book, sheet, (first_row - 1 + frozen_rows, first_column - 1
                                           + frozen_columns if frozen_columns else 0))

    def set_charts(self, sheet: str, charts: Sequence[Chart]) -> None:
        """Draw `charts` on the sheet as native charts of the open book, over the ranges the
        file writer's chart parts name and in the same cells.

        The charts an earlier refresh drew, in the file or in the open book (named
        "Dunning chart N", as the file writer names them), are deleted first; any other
        chart on the sheet is left where it is. The values of a chart's series are one
        block of adjacent columns (each series a column, its name set after), its
        categories the first series' categories.
        """
        target = self.book.sheets[sheet]
        for old in [chart for chart in target.charts
                    if str(chart.name).startswith(CHART_NAME)]:
            old.delete()
        for number, chart in enumerate(charts, start=1):
            col1, row1, col2, row2 = chart.anchor
            area = target.range((row1 + 1, col1 + 1), (max(row1 + 1, row2), max(col1 + 1, col2)))
            drawn = target.charts.add(
                left=area.left, top=area.top, width=area.width, height=area.height,
                chart_type=_CHART_TYPES[chart.kind], source=self._values(chart),
                plot_by="columns", name=f"{CHART_NAME} {number}")
            categories = chart.series[0].categories
            if categories:
                drawn.set_x_axis_values(self._block(categories))
            for index, series in enumerate(chart.series):
                drawn.series[index].name = series.name
            drawn.title = chart.title
            drawn.value_axis.number_format = chart.number_format
            if chart.category_format:
                drawn.category_axis.number_format = chart.category_format
            if chart.kind == "bar":
                drawn.category_axis.reverse_order = True  # largest at the top, as in the file

    def _block(self, ref: str) -> Any:
        """The xlwings range of a chart reference ("KPIHistory!$E$2:$E$9")."""
        name, r1, c1, r2, c2 = split_range(ref)
        return self.book.sheets[name].range((r1, c1), (r2, c2))

    def _values(self, chart: Chart) -> Any:
        """The one block holding every series' values, side by side in series order."""
        parts = [split_range(series.values) for series in chart.series]
        name, r1, c1, r2, c2 = parts[0]
        for index, (other, o1, oc1, o2, oc2) in enumerate(parts[1:], start=1):
            if (other.casefold(), o1, o2, oc1) != (name.casefold(), r1, r2, c2 + 1) or oc2 != oc1:
                raise ValueError(f"chart {chart.title!r}: series {index + 1} is not the column "
                                 "beside the one before; the open book draws one block")
            c2 = oc2
        return self.book.sheets[name].range((r1, c1), (r2, c2))

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


def _reaches(area: Any, first_row: int, first_column: int, width: int) -> bool:
    """Does a table reach into the columns that rows written from (first_row, first_column)
    replace, from that row down?"""
    top, left = int(area.row), int(area.column)
    bottom, right = top + area.shape[0] - 1, left + area.shape[1] - 1
    return bottom >= first_row and left <= first_column + max(width, 1) - 1 \
        and right >= first_column


def _lay_out(sheet: Any, layout: SheetLayout, down: int = 0, across: int = 0) -> None:
    """Number formats, widths and the looks of titles, notes and headers, a block at a time
    (the layout's cells `down` rows and `across` columns from A1)."""
    for (first, last, col), code in format_runs(layout):
        sheet.range((first + down, col + across), (last + down, col + across)).number_format = code
    for column, width in enumerate(layout.widths, start=1 + across):
        sheet.range((1, column)).column_width = width
    for (row, first, last), look in look_runs(layout):
        area = sheet.range((row + down, first + across), (row + down, last + across))
        if look.bold:
            area.font.bold = True
        if look.italic:
            area.font.italic = True
        if look.size:
            area.font.size = look.size
        if look.color:
            area.font.color = f"#{look.color}"
        if look.fill:
            area.color = f"#{look.fill}"


def _freeze(book: Any, sheet: Any, freeze: tuple[int, int]) -> None:
    """Keep the top rows and left columns of `sheet` in view, as the file writer freezes them.

    xlwings freezes panes itself only in its remote engines (`Sheet.freeze_panes`); in
    desktop Excel the panes belong to the window, so on Windows they are set through COM
    on the sheet made active for the moment (the sheet the user was on is made active
    again). Excel for Mac keeps the panes it had: nothing there sets them.
    """
    rows, columns = freeze
    if not rows and not columns:
        return
    try:
        panes = sheet.freeze_panes
    except (AttributeError, NotImplementedError):
        panes = None
    if panes is not None:
        last = f"{column_letter(columns - 1)}{rows}" if columns else ""
        panes.freeze_at(f"A1:{last}" if columns and rows else
                        f"1:{rows}" if rows else f"A:{column_letter(columns - 1)}")
        return
    if sys.platform != "win32":
        return
    before = book.sheets.active
    sheet.activate()
    window = book.app.api.ActiveWindow
    window.FreezePanes = False
    window.SplitColumn, window.SplitRow = columns, rows
    window.FreezePanes = True
    before.activate()


def _check_headers(sheet: Any, tables: Sequence[Any], rows: Sequence[Sequence[object]]) -> None:
    """A table on an owned sheet keeps its header names: the rows must write them unchanged."""
    issues = []
    for table in tables:
        area = table.range
        top, left = int(area.row), int(area.column)
        names = _rows(sheet.range((top, left), (top, left + area.shape[1] - 1))
                      .options(ndim=2).value)[0]
        written = list(rows[top - 1]) if len(rows) >= top else []
        for index, header in enumerate(names):
            value = written[left - 1 + index] if left - 1 + index < len(written) else None
            if _header(value) != _header(header):
                issues.append(Issue(
                    f"the header written here must be {_header(header)!r}, the name of column "
                    f"{index + 1} of table {table.name}", sheet=sheet.name, row=top,
                    column_letter=column_letter(left + index - 1), value=value))
    if issues:
        raise DunningInputError(issues)


def _table_headers(sheet: str, table: str, rows: Sequence[Sequence[object]]) -> list[str]:
    """Row 1's cells up to the first empty one: the headers of a new table over the rows."""
    headers: list[str] = []
    for value in rows[0] if rows else []:
        if _blank(value):
            break
        headers.append(str(value))
    if not headers or len({h.casefold() for h in headers}) != len(headers):
        raise DunningInputError([Issue(f"table {table} needs distinct headers in row 1",
                                       sheet=sheet)])
    return headers


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


def read_values(area: Any) -> tuple[list[list[object]], list[ErrorCell]]:
    """A range's values in one block, and the cells of it that hold an Excel error.

    xlwings gives an error cell as None, a blank, unless the read asks `err_to_str` (xlwings
    0.28 and later), when it gives the error's text ("#DIV/0!"): but a cell holding that
    text, typed, reads the same. So the block is read with `err_to_str`, one read as ever;
    only when a cell of it reads as an error's text is the part of the block that spans
    such cells read again without it, and a cell that reads None there holds the error,
    one that reads its text holds text. Through COM (Windows) an error xlwings has no name
    for (#SPILL!, #CALC!: it names seven) comes in both reads as COM's integer code, told
    from a number by its type (COM gives numbers as floats). Error cells read as None.
    Limits, from xlwings' engines: on a Mac such an error reads None both ways (not named);
    the remote engines give typed "#N/A" text as None without `err_to_str`, so it is
    named as an error there."""
    rows = _rows(area.options(ndim=2, err_to_str=True).value)
    if _MAYBE_ERRORS.isdisjoint(chain.from_iterable(rows)):  # the usual block: in C
        return rows, []
    top, left = int(area.row), int(area.column)
    found: list[ErrorCell] = []
    texts: list[tuple[int, int]] = []
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if type(cell) is int and cell in _COM_ERRORS:
                found.append(ErrorCell(top + i, left + j, _COM_ERRORS[cell]))
                row[j] = None
            elif isinstance(cell, str) and cell in _ERROR_TEXTS:
                texts.append((i, j))
    if texts:
        first, last = min(i for i, _ in texts), max(i for i, _ in texts)
        start, end = min(j for _, j in texts), max(j for _, j in texts)
        again = _rows(area.sheet.range((top + first, left + start), (top + last, left + end))
                      .options(ndim=2).value)
        for i, j in texts:
            if again[i - first][j - start] is None:
                found.append(ErrorCell(top + i, left + j, str(rows[i][j])))
                rows[i][j] = None
    return rows, sorted(found)


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
