"""A workbook's invoice sheet read straight into Arrow columns, where that reads as calamine does.

fastexcel (calamine's Rust reader with an Arrow writer) builds each column of a sheet in
Rust: a 100,000-row sheet arrives as eight Arrow arrays instead of 800,000 Python cells, and
the ledger's vectorised parsers take them as they take a CSV export's Arrow text. It is
used only where the columns are exactly what `FileWorkbook.sheet_rows` would have given,
cell for cell, so every rule and message stays the same:

- the sheet's first cell (A1) holds the header row's first value, so the rows and column
  letters of messages count from A1 as calamine's rows do;
- every header is a text fastexcel took as it is (not generated for an empty cell, not
  renamed because it repeats, not a number);
- every column holds one kind of cell besides blanks (text, numbers, dates, or yes/no
  cells), checked over all rows, and no cell is an Excel error (#DIV/0!).

Anything else (a mixed column, an error cell, fastexcel missing) returns None and the
caller reads the sheet's rows as before, which names each error cell. An Excel table is
read the same way (`table_arrow_frame`), with the same rules.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from dunning.io import prefetch
from dunning.io.workbook import error_cell_issues
from dunning.io.xlsx.error_cells import sheet_part
from dunning.io.xlsx.refs import col_number

_FIRST_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Z]+[0-9]+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?[vt]\b[^>]*>[^<]*[^<\s]")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_RENAMED = re.compile(r"(.+)_\d+")
_NUMBER = re.compile(r"\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*")
_HEAD = 1 << 16


def sheet_frame(path: Path, sheet: str) -> pd.DataFrame | None:
    """The sheet as a frame of Arrow-backed columns (header as column names), or None when the
    fast path cannot promise calamine's reading (see the module docstring)."""
    if not _header_at_a1(path, sheet):
        return None
    found = prefetch.read(path, "sheet", sheet)  # (perhaps read while pandas was imported)
    if found is None:
        return None
    loaded, batch, errors = found
    if errors is not None and errors.errors:
        return None
    columns = loaded.selected_columns
    names = [column.name for column in columns]
    if not _plain_headers(names, columns):
        return None
    return _frame(batch, columns, names)


def table_arrow_frame(path: Path, table: str) -> tuple[pd.DataFrame, str, int, int] | None:
    """An Excel table (ListObject) as a frame of Arrow-backed columns, with its sheet, the
    sheet row of its header and the sheet column (from 1) of its first column (as
    `FileWorkbook.table` places them); None when the fast path cannot promise what
    calamine's table rows give.

    The template's Invoices is a table, so a client workbook's invoices come this way. The
    table's own column names are its headers (for both readers); a table with a totals row
    or without a header row, a mixed column, a kind of cell the sheet path leaves to
    calamine, a cell holding an Excel error (fastexcel reads it as a blank, as calamine
    does, but `FileWorkbook.table` names it from the sheet's XML; `prefetch.load` reads
    those cells too), or fastexcel failing, returns None.
    """
    corner = _table_corner(path, table)
    if corner is None:
        return None
    header_row, first_column = corner
    found = prefetch.read(path, "table", table)  # (perhaps read while pandas was imported)
    if found is None:
        return None
    loaded, batch, errors = found
    sheet = loaded.sheet_name
    columns = loaded.selected_columns
    names = [column.name for column in columns]
    if (len(set(names)) != len(names) or batch.num_columns != len(columns)
            or any(column.column_name_from != "provided" for column in columns)):
        return None
    if error_cell_issues(errors or [], sheet, names, batch.num_rows, header_row=header_row,
                         first_column=first_column):
        return None  # (calamine's rows, which name the cells)
    frame = _frame(batch, columns, names)
    return None if frame is None else (frame, sheet, header_row, first_column)


def _frame(batch: Any, columns: Sequence[Any],  # noqa: ANN401 - fastexcel's objects
           names: list[str]) -> pd.DataFrame | None:
    """fastexcel's columns as the frame's, each converted as the ledger reads it; None when
    one of them is of a kind the fast path leaves to calamine."""
    import pyarrow as pa

    data: dict[int, object] = {}
    for index, column in enumerate(columns):
        values = _column(batch.column(index), column.dtype, pa)
        if values is None:
            return None
        data[index] = values
    return pd.DataFrame(data, copy=False).set_axis(names, axis=1)


_TABLE_REF = re.compile(r"\$?([A-Z]+)\$?([0-9]+):\$?[A-Z]+\$?[0-9]+")


def _table_corner(path: Path, table: str) -> tuple[int, int] | None:
    """The sheet row of the table's header and the sheet column of its first column (from 1),
    from its part's `ref` ("C4:N100001" -> (4, 3)); None when the part is not found, or the
    table has a totals row or no header row."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/tables/") and name.endswith(".xml")):
                    continue
                root = ElementTree.fromstring(archive.read(name))
                if table not in (root.get("name"), root.get("displayName")):
                    continue
                found = _TABLE_REF.fullmatch(root.get("ref") or "")
                if (found is None or root.get("headerRowCount", "1") != "1"
                        or root.get("totalsRowCount", "0") != "0"):
                    return None
                return int(found.group(2)), col_number(found.group(1))
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    return None


def _plain_headers(names: list[str], columns: list) -> bool:
    """Headers calamine would give as the same text, in order from column A."""
    if [column.absolute_index for column in columns] != list(range(len(columns))):
        return False
    if any(column.column_name_from != "looked_up" for column in columns):
        return False
    seen = set(names)
    for name in names:
        renamed = _RENAMED.fullmatch(name)
        if (renamed and renamed.group(1) in seen) or _NUMBER.fullmatch(name) or not name.strip():
            return False
    return len(seen) == len(names)


def _column(array: object, dtype: str, pa: object) -> object | None:
    """One Arrow column as the ledger's parsers take it; None for a kind the fast path leaves
    to calamine's rows (whole numbers as "int" come from other formats than .xlsx)."""
    if dtype == "string":
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([array])),  # type: ignore[attr-defined]
                         copy=False)
    if dtype == "float":
        return array.to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
    if dtype == "datetime":  # numpy datetimes, NaT for a blank (read as calamine's datetimes)
        return array.to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
    if dtype in ("boolean", "null"):
        return pd.Series(np.asarray(array.to_pylist(), dtype=object), dtype=object,  # type: ignore[attr-defined]
                         copy=False)
    return None


def _header_at_a1(path: Path, sheet: str) -> bool:
    """True when the sheet's first cell element is A1 and holds a value, so calamine's range,
    and fastexcel's header row, start at A1 as the rows of `sheet_rows` do."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet)
            if part is None:
                return False
            with archive.open(part) as stream:
                head = stream.read(_HEAD)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        return False
    first = _FIRST_CELL.search(head)
    if first is None or first.group(2) == b"/":
        return False
    reference = _CELL_REF.search(first.group(1))
    if reference is None or reference.group(1) != b"A1":
        return False
    closing = _CELL_END.search(head, first.end())
    return closing is not None and _VALUE.search(head, first.end(), closing.start()) is not None
