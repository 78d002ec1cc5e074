"""Chart series that cover a table's columns grow with the table.

Excel itself keeps a chart drawn from a table in step when rows are typed under
it, but a chart's series are plain ranges (`Sheet!$B$2:$B$9`) in the chart part,
so a writer that appends rows must grow them too. A reference that covers exactly
the data rows of one or more of the table's columns (first data row to last) is
grown to the new last row; any other reference (a part of a column, another
sheet, a single cell) is left as it is. Every chart part of the package is looked
at, whichever sheet holds the chart.
"""

from __future__ import annotations

import re

from dunning.io.xlsx.markup import unescape_attr
from dunning.io.xlsx.package import Package
from dunning.io.xlsx.refs import col_name, col_number

_FORMULA = re.compile(r"(<(\w+:)?f>)(.*?)(</\2f>)", re.S)
_REFERENCE = re.compile(
    r"(?P<sheet>'(?:[^']|'')+'|[^\s'!,()=]+)!\$?(?P<c1>[A-Z]{1,3})\$?(?P<r1>\d+)"
    r"(?::\$?(?P<c2>[A-Z]{1,3})\$?(?P<r2>\d+))?"
)


def range_ref(sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """An absolute range reference for a chart's series (rows and columns from 1), the sheet
    name quoted when it needs to be: `KPIHistory!$E$2:$E$9`, `'My Sheet'!$A$1:$A$3`."""
    name = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else (
        "'" + sheet.replace("'", "''") + "'")
    return f"{name}!${col_name(first_col)}${first_row}:${col_name(last_col)}${last_row}"


def split_range(ref: str) -> tuple[str, int, int, int, int]:
    """A chart's range reference ("'My Sheet'!$B$2:$C$9") as (sheet, first row, first column,
    last row, last column), rows and columns from 1; a single cell is a one-cell range."""
    match = _REFERENCE.fullmatch(ref.strip())
    if match is None:
        raise ValueError(f"not a range reference: {ref!r}")
    named = match.group("sheet")
    sheet = named[1:-1].replace("''", "'") if named.startswith("'") else named
    r1, c1 = int(match.group("r1")), col_number(match.group("c1"))
    r2 = int(match.group("r2") or r1)
    c2 = col_number(match.group("c2")) if match.group("c2") else c1
    return sheet, r1, c1, r2, c2


def chart_parts(package: Package) -> list[str]:
    """Every chart part (xl/charts/chartN.xml, chartEx parts too) of the package."""
    return [name for name in package.names()
            if re.fullmatch(r"xl/charts/chart(Ex)?\d+\.xml", name, re.IGNORECASE)]


def grow_series(package: Package, sheet: str, *, first_row: int, last_row: int,
                min_col: int, max_col: int, new_last_row: int) -> int:
    """Grow every chart reference to rows `first_row..last_row` of columns `min_col..max_col`
    of `sheet` so that it ends on `new_last_row`; returns how many references grew."""
    if new_last_row == last_row:
        return 0
    grown = 0

    def reference(match: re.Match[str]) -> str:
        nonlocal grown
        named = match.group("sheet")
        name = named[1:-1].replace("''", "'") if named.startswith("'") else named
        if unescape_attr(name).casefold() != sheet.casefold() or match.group("c2") is None:
            return match.group(0)
        c1, c2 = col_number(match.group("c1")), col_number(match.group("c2"))
        r1, r2 = int(match.group("r1")), int(match.group("r2"))
        if (r1, r2) != (first_row, last_row) or not min_col <= c1 <= c2 <= max_col:
            return match.group(0)
        grown += 1
        return f"{named}!${col_name(c1)}${r1}:${col_name(c2)}${new_last_row}"

    for part in chart_parts(package):
        text = package.read_text(part)
        new = _FORMULA.sub(lambda m: m.group(1) + _REFERENCE.sub(reference, m.group(3))
                           + m.group(4), text)
        if new != text:
            package.write(part, new)
    return grown
