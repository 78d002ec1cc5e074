"""Lossless, atomic write-back into the accountant's own workbook.

Why parts, not openpyxl: a workbook is a zip of XML parts. Loading and saving it
with openpyxl rebuilds every part from openpyxl's own model, and whatever the
model does not know is lost: shapes and form buttons, slicers, sparklines, Excel
2010 data validations (the x14 extension list), customXml, the customUI14 ribbon
relationship, and the cached values of every formula; it also takes tens of
seconds on a 100,000-row sheet. This writer opens the zip, edits only the sheet
part it must (and its table part), writes text as inline strings so the shared
string table stays untouched, and copies every other part byte for byte, as its
compressed bytes. Package bookkeeping (workbook.xml, its relationships,
[Content_Types].xml, docProps/app.xml, styles.xml when a new style variant is
needed, calcChain.xml when formula cells move) changes only as the edit needs.

Decisions:
    - Text is an inline string and never a formula; text starting with = + - @ tab
      CR LF also gets a quotePrefix style so it stays text when edited in Excel.
      Characters XML cannot hold are refused, naming sheet, row and column.
    - Excel is asked to recalculate on open (`fullCalcOnLoad`), because formulas
      elsewhere still cache values from before the write; moved totals and new
      calculated cells carry no cached value, so LibreOffice computes them too.
    - A quote-prefix or date variant of a style reuses an identical `<xf>` when
      styles.xml has one (an earlier run's, or Excel's), so nightly runs do not grow it.
    - Backups are copies in `.dunning-backups/NAME.1.xlsx` (newest) .. `NAME.N.xlsx`.
    - A save holds Dunning's lock on the workbook (`NAME.dunning-lock`, removed
      afterwards); holding it, it first deletes the `NAME.dunning-tmp-XXXXXXXX` files
      a killed save of the same workbook left. Another Dunning run saving the same
      workbook waits for it (up to 30 s, then `WorkbookLockedError`).
    - Workbooks open in Excel (`~$NAME`) or LibreOffice (`.~lock.NAME#`), or that
      cannot be opened for writing (a Windows sharing violation), are refused
      with `WorkbookLockedError`; .xls/.xlsb/.ods/encrypted files with
      `UnsupportedWorkbookError`. Both are `DunningInputError`s.

Public API:
    append_rows(path, table, rows, *, backups=1) -> AppendResult
    replace_sheet(path, sheet, rows, *, backups=1) -> ReplaceResult
    WorkbookEdit(path, *, backups=1, recalculate=True): several edits, one save
        (append_rows, update_cells: set named cells of table rows, replace_sheet)
    find_owner(path) -> Owner | None: who has the workbook open
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dunning.io.xlsx.errors import UnsupportedWorkbookError, WorkbookLockedError
from dunning.io.xlsx.locks import Owner, find_owner

if TYPE_CHECKING:
    from dunning.io.xlsx.edit import RowValues, WorkbookEdit
    from dunning.io.xlsx.sheets import ReplaceResult
    from dunning.io.xlsx.tables import AppendResult

_LATER = {"RowValues": "dunning.io.xlsx.edit", "WorkbookEdit": "dunning.io.xlsx.edit",
          "ReplaceResult": "dunning.io.xlsx.sheets", "AppendResult": "dunning.io.xlsx.tables"}
"""The writer's names imported when first used, so that reading a workbook (which uses
`package` and `locks`) does not load the writer."""


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whichever name the writer offers
    where = _LATER.get(name)
    if where is None:
        raise AttributeError(f"module 'dunning.io.xlsx' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value

__all__ = [
    "AppendResult",
    "Owner",
    "ReplaceResult",
    "UnsupportedWorkbookError",
    "WorkbookEdit",
    "WorkbookLockedError",
    "append_rows",
    "find_owner",
    "replace_sheet",
]


def append_rows(
    path: str | os.PathLike[str], table: str, rows: Sequence[RowValues], *, backups: int = 1
) -> AppendResult:
    """Append `rows` to the Excel Table `table` and save atomically.

    Rows are mappings from header to value (unknown headers are an error) or
    lists with one value per table column. Text is always written as literal
    text; calculated columns are filled by the table's formula.
    """
    from dunning.io.xlsx.edit import WorkbookEdit

    with WorkbookEdit(path, backups=backups) as book:
        return book.append_rows(table, rows)


def replace_sheet(
    path: str | os.PathLike[str], sheet: str, rows: Sequence[Sequence[object]], *, backups: int = 1
) -> ReplaceResult:
    """Replace every cell of the Dunning-owned sheet `sheet` (created if missing)."""
    from dunning.io.xlsx.edit import WorkbookEdit

    with WorkbookEdit(path, backups=backups) as book:
        return book.replace_sheet(sheet, rows)
