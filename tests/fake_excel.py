"""A stand-in for an xlwings Book, holding a real workbook's values as xlwings passes them.

Only the calls `dunning.excel.live` makes are imitated: sheets and tables, `Range.value`
(lists of rows; numbers as floats, dates as datetimes, blanks as None),
`Table.resize`, `Sheet.clear_contents` and `Book.selection`. Writing behaves as
Excel does: a leading apostrophe marks text and is not stored; any other text
starting with "=" would become a formula, and is recorded as `Formula` so a test
can see it happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries


@dataclass(frozen=True)
class Formula:
    text: str


class FakeRange:
    def __init__(self, sheet: FakeSheet, top: int, left: int, bottom: int, right: int) -> None:
        self.sheet, self.row, self.column = sheet, top, left
        self.shape = (bottom - top + 1, right - left + 1)

    def options(self, ndim: int = 2) -> FakeRange:
        return self

    @property
    def value(self) -> list[list[object]]:
        rows, columns = self.shape
        return [[self.sheet.cells.get((self.row + i, self.column + j)) for j in range(columns)]
                for i in range(rows)]

    @value.setter
    def value(self, rows: list[list[object]]) -> None:
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                self.sheet.put(self.row + i, self.column + j, cell)


class FakeTable:
    def __init__(self, name: str, area: FakeRange) -> None:
        self.name, self.range = name, area

    def resize(self, area: FakeRange) -> None:
        self.range = area


class FakeSheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[tuple[int, int], object] = {}
        self.tables: list[FakeTable] = []

    def put(self, row: int, column: int, value: object) -> None:
        if isinstance(value, str) and value.startswith("'"):
            value = value[1:]
        elif isinstance(value, str) and value.startswith("="):
            value = Formula(value)
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
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

    def rows(self) -> list[list[object]]:
        """Every row from A1 to the last used cell, for assertions."""
        used = self.used_range
        return FakeRange(self, 1, 1, used.row + used.shape[0] - 1,
                         used.column + used.shape[1] - 1).value


class FakeSheets(list):
    def __getitem__(self, key):  # noqa: ANN001, ANN204 - by name or position, as xlwings
        if isinstance(key, str):
            return next(sheet for sheet in self if sheet.name == key)
        return super().__getitem__(key)

    def add(self, name: str, after: FakeSheet | None = None) -> FakeSheet:
        sheet = FakeSheet(name)
        self.insert(self.index(after) + 1 if after is not None else 0, sheet)
        return sheet


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
                    sheet.put(cell.row, cell.column, value)
            for name, ref in worksheet.tables.items():
                left, top, right, bottom = range_boundaries(ref)
                sheet.tables.append(FakeTable(name, FakeRange(sheet, top, left, bottom, right)))
            self.sheets.append(sheet)

    def select(self, sheet: str, row: int, column: int = 1) -> None:
        self.selection = self.sheets[sheet].range((row, column))

    def table_rows(self, name: str) -> list[list[object]]:
        for sheet in self.sheets:
            for table in sheet.tables:
                if table.name == name:
                    return table.range.value
        raise KeyError(name)
