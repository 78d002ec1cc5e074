"""The kinds of a `SheetLayout` as cell styles of the lossless writer.

Money shows two decimals and thousands separators (with its currency code when
the kind names one: `#,##0.00 "EUR"`), percentages as percentages, days with one
decimal, dates in the workbook's own date format (the one its Invoices table
shows), else ISO; headers are bold on a light fill, titles larger.
"""

from __future__ import annotations

from dunning.io.xlsx.sheets import SheetFormat
from dunning.io.xlsx.styles import CellStyle
from dunning.render.sheet_layout import SheetLayout

ISO_DATE = "yyyy-mm-dd"
HEADER_FILL = "DDEBF7"
NOTE_COLOR = "666666"
FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "percent": "0.0%",
    "days": "0.0",
    "points": "0.0",
    "count": "#,##0",
    "number": "#,##0.00",
}


def number_format(kind: str | None, date_format: str = ISO_DATE) -> str | None:
    """The format code for a kind (None: General)."""
    if kind is None:
        return None
    if kind.startswith("money:") and kind.partition(":")[2]:
        code = kind.partition(":")[2].replace('"', "")
        return f'#,##0.00 "{code}";-#,##0.00 "{code}"'
    if kind == "date":
        return date_format
    if kind == "datetime":
        return date_format if ("h" in date_format.lower()) else f"{date_format} hh:mm"
    return FORMATS.get(kind)


def cell_style(kind: str | None, date_format: str = ISO_DATE) -> CellStyle | None:
    """The style of a cell of `kind`; None leaves the cell as the writer would."""
    if kind is None:
        return None
    if kind == "title":
        return CellStyle(bold=True, size=13)
    if kind == "subtitle":
        return CellStyle(bold=True)
    if kind == "note":
        return CellStyle(italic=True, color=NOTE_COLOR)
    if kind == "header":
        return CellStyle(bold=True, fill=HEADER_FILL)
    return CellStyle(number_format(kind, date_format))


def sheet_format(layout: SheetLayout, date_format: str | None = None) -> SheetFormat:
    """The writer's `SheetFormat` for a layout, dates in `date_format` (else ISO)."""
    dates = date_format or ISO_DATE
    styles = [[cell_style(kind, dates) for kind in row] for row in layout.kinds]
    return SheetFormat(styles, tuple(layout.widths), layout.freeze, layout.one_page)


def format_runs(layout: SheetLayout,
                date_format: str = ISO_DATE) -> list[tuple[tuple[int, int, int], str]]:
    """((first row, last row, column), format code) for each run of one format down a
    column (rows and columns from 1), so a live host sets each block at once."""
    runs: list[tuple[tuple[int, int, int], str]] = []
    width = max((len(row) for row in layout.kinds), default=0)
    for col in range(width):
        start, current = 0, None
        codes = [number_format(row[col] if col < len(row) else None, date_format)
                 for row in layout.kinds]
        for index, code in enumerate([*codes, None]):
            if code != current:
                if current is not None:
                    runs.append(((start + 1, index, col + 1), current))
                start, current = index, code
    return runs


LOOK_KINDS = ("title", "subtitle", "note", "header")
"""The kinds drawn by their font and fill rather than a number format."""


def look_runs(layout: SheetLayout) -> list[tuple[tuple[int, int, int], CellStyle]]:
    """((row, first column, last column), style) for each run of one of `LOOK_KINDS` along a
    row (rows and columns from 1), so a live host styles each block at once."""
    runs: list[tuple[tuple[int, int, int], CellStyle]] = []
    for row, kinds in enumerate(layout.kinds, start=1):
        start, current = 0, None
        for index, kind in enumerate([*kinds, None]):
            kind = kind if kind in LOOK_KINDS else None
            if kind != current:
                if current is not None:
                    style = cell_style(current)
                    assert style is not None
                    runs.append(((row, start + 1, index), style))
                start, current = index, kind
    return runs
