"""A1 references and areas, and growing the ranges that ended at a table's last row."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dunning.core.errors import column_letter

MAX_ROW = 1_048_576
MAX_COL = 16_384
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


def col_number(letters: str) -> int:
    """1-based column number of column letters (A -> 1, AA -> 27)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def col_name(number: int) -> str:
    """Column letters of a 1-based column number."""
    return column_letter(number - 1)


def cell_name(row: int, col: int) -> str:
    """`B7` for row 7, column 2."""
    return f"{col_name(col)}{row}"


def split_cell(ref: str) -> tuple[int, int]:
    """(row, col) of a cell reference such as `B7` or `$B$7`.

    A reference off the sheet (row 0, past row 1,048,576 or column XFD) is refused
    with a `ValueError`, like a malformed one: Excel cannot hold such a cell.
    """
    match = _CELL.fullmatch(ref)
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(match.group(2)), col_number(match.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(
            f"not a cell reference on the sheet: {ref!r} (rows go from 1 to {MAX_ROW:,}, "
            f"columns from A to {col_name(MAX_COL)})"
        )
    return row, col


@dataclass(frozen=True)
class Area:
    """A rectangle of cells, 1-based and inclusive."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @classmethod
    def parse(cls, ref: str) -> Area:
        """Area of `A1:F20` or a single cell `C4`; both corners must lie on the sheet."""
        first, colon, last = ref.partition(":")
        top, left = split_cell(first)
        bottom, right = split_cell(last) if colon else (top, left)
        return cls(min(top, bottom), min(left, right), max(top, bottom), max(left, right))

    def __str__(self) -> str:
        first = cell_name(self.min_row, self.min_col)
        last = cell_name(self.max_row, self.max_col)
        return first if first == last else f"{first}:{last}"

    def with_rows(self, min_row: int, max_row: int) -> Area:
        return Area(min_row, self.min_col, max_row, self.max_col)

    def union(self, other: Area) -> Area:
        return Area(
            min(self.min_row, other.min_row),
            min(self.min_col, other.min_col),
            max(self.max_row, other.max_row),
            max(self.max_col, other.max_col),
        )

    def intersects(self, other: Area) -> bool:
        return not (
            other.min_row > self.max_row
            or other.max_row < self.min_row
            or other.min_col > self.max_col
            or other.max_col < self.min_col
        )


def grow_sqref(sqref: str, *, last_row: int, new_last_row: int, min_col: int, max_col: int) -> str:
    """Extend each range of a space-separated `sqref` that ends on `last_row`.

    Only ranges lying within the columns `min_col..max_col` grow, so a validation
    beside the table that happens to end on the same row is left alone. Ranges
    that are not plain A1 areas (whole columns, defined names) are kept as they are.
    """
    grown = []
    for part in sqref.split():
        try:
            area = Area.parse(part)
        except ValueError:
            grown.append(part)
            continue
        if area.max_row == last_row and min_col <= area.min_col and area.max_col <= max_col:
            part = str(area.with_rows(area.min_row, new_last_row))
        grown.append(part)
    return " ".join(grown)
