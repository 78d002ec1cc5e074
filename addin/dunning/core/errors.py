"""Problems found in input data, located to the sheet, row and column.

Every stage collects what it finds as `Issue` values instead of stopping at the
first one, so an accountant sees every bad cell at once. Errors stop the run by
raising `DunningInputError`, which carries all of them; warnings travel with the
result and are printed beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

SETTINGS_SHEET = "Settings"
"""The sheet of the Settings and Stages tables, as issues about them name it."""

Severity = Literal["error", "warning", "skipped"]


@dataclass(frozen=True)
class Issue:
    """One problem in one place.

    Attributes:
        message: what is wrong and what was expected, in plain words.
        severity: "error" stops the run, "warning" does not, "skipped" reports a row left out.
        sheet: the sheet (or file) the value came from, if known.
        row: the row number as the user sees it (the header is row 1 by default).
        column: the header of the column, if the problem is in one cell.
        column_letter: the spreadsheet letter of that column, if known.
        value: the offending value, as found.
    """

    message: str
    severity: Severity = "error"
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    column_letter: str | None = None
    value: object = None

    @property
    def location(self) -> str:
        """`Invoices!C14 (Due Date)` style location, as much of it as is known."""
        row = "" if self.row is None else str(self.row)
        cell = f"{self.column_letter or ''}{row}"
        if self.column_letter and row:
            place = f"{self.sheet}!{cell}" if self.sheet else cell
        elif row:
            place = f"{self.sheet} row {row}" if self.sheet else f"row {row}"
        else:
            place = self.sheet or ""
        if self.column:
            place = f"{place} ({self.column})" if place else f"column {self.column}"
        return place

    def __str__(self) -> str:
        where = self.location
        shown = "" if self.value is None else f" (found {self.value!r})"
        return f"{where}: {self.message}{shown}" if where else f"{self.message}{shown}"


class DunningInputError(ValueError):
    """Input that cannot be used as it is; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue], *, limit: int = 20) -> None:
        self.issues = list(issues)
        shown = [str(issue) for issue in self.issues[:limit]]
        more = len(self.issues) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        super().__init__("\n".join(shown) if shown else "invalid input")


def error_cell_message(error: object) -> str:
    """What is said of a cell holding an Excel error (`#N/A`, `#DIV/0!`), wherever it is read:
    a range handed to a worksheet function, or a workbook file's table or sheet."""
    return f"the cell holds the error {error}; correct it or clear it"


def column_letter(index: int, first_column: int = 1) -> str:
    """Spreadsheet letter of a table's 0-based column `index` (0 -> A, 26 -> AA), the table's
    first column being the sheet's column `first_column` (from 1: a table at C4 has 3, and its
    column 0 is C). The one place letters are made."""
    letters = ""
    index += first_column
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class TablePlace:
    """Where a table sits on its sheet, so that a body cell is named as Excel shows it.

    `header_row` is the sheet row of the header (from 1), `first_column` the sheet column
    of the table's first column (from 1, A); None when the column is not known (a frame
    handed in without its place), and then no letter is named.
    """

    sheet: str
    header_row: int = 1
    first_column: int | None = None

    def row(self, position: int) -> int:
        """The sheet row of body row `position` (from 0)."""
        return self.header_row + 1 + int(position)

    def letter(self, index: int | None) -> str | None:
        """The sheet letter of the table's column `index` (from 0), None when not known."""
        if index is None or self.first_column is None:
            return None
        return column_letter(index, self.first_column)

    def cell_issue(self, message: str, *, position: int, header: str,
                   headers: Sequence[object], value: object = None) -> Issue:
        """An error about the body cell of column `header` (one of the table's `headers`, in
        order) in body row `position` (from 0), named where it sits on the sheet."""
        return Issue(message, sheet=self.sheet, row=self.row(position), column=header,
                     column_letter=self.letter(list(headers).index(header)), value=value)


PLACE = "dunning.place"
"""The key of a table frame's `attrs` that holds its `TablePlace` (set by the workbook readers)."""


def place_of(frame: object, sheet: str) -> TablePlace:
    """The place a table's frame (a DataFrame, or None) was read from, else a table at the
    top of sheet `sheet` whose column letters are not known (a frame built by hand)."""
    attrs = getattr(frame, "attrs", None) or {}
    found = attrs.get(PLACE)
    return found if isinstance(found, TablePlace) else TablePlace(sheet)
