"""A stand-in for an xlwings Book, holding a real workbook's values as xlwings passes them.

Only the calls `dunning.excel.live` makes are imitated: sheets and tables, `Range.value`
(lists of rows; numbers as floats, dates as datetimes, blanks as None),
`Table.resize`, `Tables.add`, `Sheet.clear_contents`, `Sheet.clear`, `Range.clear`, a range's
`number_format`, `column_width`, `font` and `color` (kept per cell, or per column for
widths, for a test to read), `Book.selection`, and the charts
API (`Charts.add` and what is set on a chart after), whose calls are recorded on each
`FakeChart` for a test to read. A cell is 48 points wide and 15 high, Excel's defaults.
Writing behaves as Excel does: a leading apostrophe marks text and is not stored; any other text
starting with "=" would become a formula, and is recorded as `Formula` so a test
can see it happen.

A cell holding an Excel error (`CellError`, from a file's `t="e"` cell) reads as xlwings
reads it through COM on Windows (`read_cell`, after xlwings 0.37.8's `_xlwindows.
_clean_value_data_element` and `cell_errors`, and `Range.options(err_to_str=...)` as its
docs describe it, new in 0.28): None by default, its text ("#N/A") with `err_to_str=True`,
the same text a cell typed so reads either way; an error xlwings does not name (#SPILL!)
as COM's integer code. Every value read is recorded in the sheet's `reads`.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries


@dataclass(frozen=True)
class Formula:
    text: str


@dataclass(frozen=True)
class CellError:
    """A cell holding an Excel error (`#DIV/0!`), as Excel holds a formula's result."""

    text: str


XLWINGS_ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259,
                  "#NULL!": -2146826288, "#NUM!": -2146826252, "#REF!": -2146826265,
                  "#VALUE!": -2146826273}
"""The errors xlwings names on Windows (`xlwings._xlwindows.cell_errors`, 0.37.8), by COM code."""
COM_ERROR_BASE = -2146828288
OTHER_ERRORS = {"#SPILL!": 2045, "#CALC!": 2050, "#GETTING_DATA": 2043}


def read_cell(value: object, err_to_str: bool) -> object:
    """A cell's value as xlwings reads it on Windows (`xlwings._xlwindows.
    _clean_value_data_element`, 0.37.8): COM gives an error cell as its integer code; one of
    the seven xlwings names reads None, or its text with `err_to_str`; any other error
    stays COM's integer in both reads."""
    if not isinstance(value, CellError):
        return value
    if value.text in XLWINGS_ERRORS:
        return value.text if err_to_str else None
    return COM_ERROR_BASE + OTHER_ERRORS[value.text]


COLUMN_POINTS, ROW_POINTS = 48.0, 15.0


class FakeRange:
    def __init__(self, sheet: FakeSheet, top: int, left: int, bottom: int, right: int,
                 err_to_str: bool = False) -> None:
        self.sheet, self.row, self.column = sheet, top, left
        self.shape = (bottom - top + 1, right - left + 1)
        self.err_to_str = err_to_str

    def cells_in(self) -> list[tuple[int, int]]:
        rows, columns = self.shape
        return [(self.row + i, self.column + j) for i in range(rows) for j in range(columns)]

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get((self.row, self.column), "General")

    @number_format.setter
    def number_format(self, code: str) -> None:
        for cell in self.cells_in():
            self.sheet.formats[cell] = code

    @property
    def column_width(self) -> float:
        return self.sheet.widths.get(self.column, 8.43)

    @column_width.setter
    def column_width(self, width: float) -> None:
        for column in range(self.column, self.column + self.shape[1]):
            self.sheet.widths[column] = width

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    @property
    def color(self) -> str | None:
        return self.sheet.looks.get((self.row, self.column), {}).get("fill")

    @color.setter
    def color(self, value: str) -> None:
        for cell in self.cells_in():
            self.sheet.looks.setdefault(cell, {})["fill"] = value

    @property
    def address(self) -> str:
        """Where the range is, as "Sheet!B2:C9" (a test's shorthand, not xlwings' spelling)."""
        bottom, right = self.row + self.shape[0] - 1, self.column + self.shape[1] - 1
        return (f"{self.sheet.name}!{get_column_letter(self.column)}{self.row}:"
                f"{get_column_letter(right)}{bottom}")

    @property
    def left(self) -> float:
        return (self.column - 1) * COLUMN_POINTS

    @property
    def top(self) -> float:
        return (self.row - 1) * ROW_POINTS

    @property
    def width(self) -> float:
        return self.shape[1] * COLUMN_POINTS

    @property
    def height(self) -> float:
        return self.shape[0] * ROW_POINTS

    def options(self, ndim: int = 2, err_to_str: bool = False) -> FakeRange:
        bottom, right = self.row + self.shape[0] - 1, self.column + self.shape[1] - 1
        return FakeRange(self.sheet, self.row, self.column, bottom, right, err_to_str)

    def clear(self) -> None:
        """Contents and formats of the range's cells, as xlwings' `Range.clear`."""
        for cell in self.cells_in():
            self.sheet.cells.pop(cell, None)
            self.sheet.formats.pop(cell, None)
            self.sheet.looks.pop(cell, None)

    @property
    def value(self) -> list[list[object]]:
        """The block's values in one read (counted in the sheet's `reads`)."""
        self.sheet.reads.append((self.address, self.err_to_str))
        rows, columns = self.shape
        return [[read_cell(self.sheet.cells.get((self.row + i, self.column + j)),
                           self.err_to_str) for j in range(columns)] for i in range(rows)]

    @value.setter
    def value(self, rows: list[list[object]]) -> None:
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                self.sheet.put(self.row + i, self.column + j, cell)


class FakeFont:
    """A range's font: what is set is kept per cell in the sheet's `looks`."""

    def __init__(self, area: FakeRange) -> None:
        object.__setattr__(self, "_area", area)

    def __getattr__(self, name: str) -> object:
        area = object.__getattribute__(self, "_area")
        return area.sheet.looks.get((area.row, area.column), {}).get(name)

    def __setattr__(self, name: str, value: object) -> None:
        area = object.__getattribute__(self, "_area")
        for cell in area.cells_in():
            area.sheet.looks.setdefault(cell, {})[name] = value


class FakeTable:
    def __init__(self, name: str, area: FakeRange) -> None:
        self.name, self.range = name, area

    def resize(self, area: FakeRange) -> None:
        self.range = area


class FakeTables(list):
    def add(self, source: FakeRange, name: str, table_style_name: str = "TableStyleMedium2",
            **_: object) -> FakeTable:
        table = FakeTable(name, source)
        table.style = table_style_name
        self.append(table)
        return table


class FakeAxis:
    def __init__(self) -> None:
        self.number_format: str | None = None
        self.reverse_order = False


class FakeSeries:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeChart:
    """A chart added through `Charts.add`, with what was set on it after."""

    def __init__(self, charts: FakeCharts, name: str, chart_type: str, source: FakeRange,
                 box: tuple[float, float, float, float], plot_by: str | None) -> None:
        self._charts, self.name, self.chart_type, self.source = charts, name, chart_type, source
        self.left, self.top, self.width, self.height = box
        self.plot_by = plot_by
        self.title: str | None = None
        self.x_values: FakeRange | None = None
        self.value_axis, self.category_axis = FakeAxis(), FakeAxis()
        self.series = [FakeSeries(f"Series{i + 1}") for i in range(source.shape[1])]

    def set_x_axis_values(self, source: FakeRange) -> None:
        self.x_values = source

    def delete(self) -> None:
        self._charts.remove(self)


class FakeCharts(list):
    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211,
            chart_type: str | None = None, source: FakeRange | None = None,
            plot_by: str | None = None, name: str | None = None) -> FakeChart:
        assert source is not None, "Dunning always gives the chart its source"
        if name is not None and any(chart.name == name for chart in self):
            raise ValueError(f"{name!r} is already present")  # xlwings' ShapeAlreadyExists
        chart = FakeChart(self, name or f"Chart {len(self) + 1}", chart_type or "column_clustered",
                          source, (left, top, width, height), plot_by)
        self.append(chart)
        return chart


class FakeSheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[tuple[int, int], object] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.looks: dict[tuple[int, int], dict[str, object]] = {}
        self.widths: dict[int, float] = {}
        self.reads: list[tuple[str, bool]] = []  # (address, err_to_str) of each value read
        self.tables = FakeTables()
        self.charts = FakeCharts()

    def put(self, row: int, column: int, value: object) -> None:
        if isinstance(value, str) and value.startswith("'"):
            value = value[1:]
        elif isinstance(value, str) and value.startswith("="):
            value = Formula(value)
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)  # read back as datetimes
        if value is None or value == "":
            self.cells.pop((row, column), None)
        else:
            self.cells[(row, column)] = value

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeRange:
        last = last or first
        return FakeRange(self, first[0], first[1], last[0], last[1])

    @property
    def used_range(self) -> FakeRange:
        if not self.cells:
            return FakeRange(self, 1, 1, 1, 1)
        rows = [r for r, _ in self.cells]
        columns = [c for _, c in self.cells]
        return FakeRange(self, min(rows), min(columns), max(rows), max(columns))

    def clear_contents(self) -> None:
        self.cells.clear()

    def clear(self) -> None:
        """Contents and formats (Excel keeps column widths, charts and tables)."""
        self.cells.clear()
        self.formats.clear()
        self.looks.clear()

    def rows(self) -> list[list[object]]:
        """Every row from A1 to the last used cell, for assertions (not counted as a read)."""
        used = self.used_range
        rows = FakeRange(self, 1, 1, used.row + used.shape[0] - 1,
                         used.column + used.shape[1] - 1).value
        self.reads.pop()
        return rows


class FakeSheets(list):
    def __getitem__(self, key):  # noqa: ANN001, ANN204 - by name or position, as xlwings
        if isinstance(key, str):
            return next(sheet for sheet in self if sheet.name == key)
        return super().__getitem__(key)

    def add(self, name: str, after: FakeSheet | None = None) -> FakeSheet:
        sheet = FakeSheet(name)
        self.insert(self.index(after) + 1 if after is not None else 0, sheet)
        return sheet


def chart_names(path: Path, sheet: str) -> list[str]:
    """The names of the charts a workbook file draws on a sheet (its drawing's frames)."""
    def rels(part: str) -> dict[str, str]:
        folder, name = part.rsplit("/", 1)
        found = f"{folder}/_rels/{name}.rels"
        if found not in archive.namelist():
            return {}
        text = archive.read(found).decode()
        return {m.group(1): posixpath.normpath(posixpath.join(folder, m.group(2)))
                for m in re.finditer(r'Id="([^"]+)"[^>]*Target="([^"]+)"', text)}

    with zipfile.ZipFile(path) as archive:
        listed = archive.read("xl/workbook.xml").decode()
        ids = dict(re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', listed))
        part = rels("xl/workbook.xml").get(ids.get(sheet, ""))
        drawings = [target for target in rels(part).values() if "/drawings/" in target] \
            if part else []
        return [name for drawing in drawings for name in re.findall(
            r'<xdr:cNvPr [^>]*name="([^"]+)"', archive.read(drawing).decode())]


class FakeBook:
    """A workbook file's values, as an xlwings Book would show them."""

    def __init__(self, path: Path) -> None:
        self.name, self.fullname = path.name, str(path)
        self.sheets = FakeSheets()
        self.selection: FakeRange | None = None
        source = load_workbook(path)
        for worksheet in source.worksheets:
            sheet = FakeSheet(worksheet.title)
            for row in worksheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                        value = dt.datetime(value.year, value.month, value.day)
                    if cell.data_type == "e" and isinstance(value, str):  # t="e": an error
                        sheet.cells[(cell.row, cell.column)] = CellError(value)
                        continue
                    sheet.put(cell.row, cell.column, value)
            for name, ref in worksheet.tables.items():
                left, top, right, bottom = range_boundaries(ref)
                sheet.tables.append(FakeTable(name, FakeRange(sheet, top, left, bottom, right)))
            for name in chart_names(path, worksheet.title):
                whole = FakeRange(sheet, 1, 1, 1, 1)  # where a file's chart draws from is not kept
                sheet.charts.append(FakeChart(sheet.charts, name, "", whole, (0, 0, 0, 0), None))
            self.sheets.append(sheet)

    def select(self, sheet: str, row: int, column: int = 1) -> None:
        self.selection = self.sheets[sheet].range((row, column))

    def table_rows(self, name: str) -> list[list[object]]:
        for sheet in self.sheets:
            for table in sheet.tables:
                if table.name == name:
                    return table.range.value
        raise KeyError(name)
