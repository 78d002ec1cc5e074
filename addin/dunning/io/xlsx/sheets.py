"""Sheets that Dunning owns (Worklist, Aging, Outbox): their cells are replaced as a whole.

Only `<sheetData>` is rewritten; the sheet's column widths, views, print setup,
drawings and conditional formats stay, so a template can format an owned sheet
once. Row 1 takes the styles of the old row 1 (the header), every later row the
styles of the old row 2 (the template's first data row). A table on the sheet is
resized to the rows written, after checking its header names against row 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dunning.core.errors import DunningInputError, Issue
from dunning.io.xlsx import cells
from dunning.io.xlsx.refs import Area, cell_name, col_name
from dunning.io.xlsx.rows import RawCell, Row
from dunning.io.xlsx.styles import CellStyle, Styles
from dunning.io.xlsx.tables import Table, resized_xml, style_for
from dunning.io.xlsx.workbook import MAIN_NS, REL_NS
from dunning.io.xlsx.worksheet import Worksheet

NEW_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="A1"/>'
    '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData/>'
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    "</worksheet>"
)


@dataclass(frozen=True)
class SheetFormat:
    """How an owned sheet looks: a style per cell, column widths and a frozen pane.

    `styles` runs parallel to the rows written (a row or cell left out, or None,
    keeps the template-row style); `widths` are column widths from column A;
    `freeze` is (rows, columns) kept in view while scrolling; `one_page` prints the sheet
    on one landscape page.
    """

    styles: Sequence[Sequence[CellStyle | None]] = ()
    widths: Sequence[float] = ()
    freeze: tuple[int, int] | None = None
    one_page: bool = False


@dataclass(frozen=True)
class ReplaceResult:
    """What an owned sheet holds now: its name and the range written ("" when empty)."""

    sheet: str
    ref: str
    created: bool


def replace_cells(
    sheet: Worksheet,
    rows: Sequence[Sequence[object]],
    book_styles: Styles,
    *,
    date1904: bool,
    layout: SheetFormat | None = None,
) -> str:
    """Replace every cell of `sheet` with `rows`; returns the range written ("" if none)."""
    old = sheet.rows(1, 2)
    header, body = old.get(1), old.get(2)
    issues: list[Issue] = []
    built = []
    width = 0
    for number, values in enumerate(rows, start=1):
        like = header if number == 1 else body
        row = Row.new(number, sheet.prefix, like=like)
        width = max(width, len(values))
        for index, value in enumerate(values):
            col = index + 1
            try:
                encoded = cells.encode(value, date1904=date1904)
            except cells.CellValueError as error:
                issues.append(
                    Issue(
                        str(error),
                        sheet=sheet.name,
                        row=number,
                        column_letter=col_name(col),
                        value=value,
                    )
                )
                continue
            above = like.cells.get(col) if like else None
            chosen = _chosen(layout, number - 1, index)
            if layout is not None:  # the layout says how the sheet looks, not the old cells
                base = book_styles.style(chosen) if chosen else 0
            else:
                base = above.style if above else 0
            style = style_for(book_styles, encoded, base)
            xml = cells.cell(cell_name(number, col), encoded, style, sheet.prefix)
            if xml:
                row.cells[col] = RawCell(col, xml)
        built.append(row.xml(sheet.prefix))
    if issues:
        raise DunningInputError(issues)
    sheet.replace_all_rows("".join(built))
    area = Area(1, 1, len(rows), width) if rows and width else None
    sheet.set_dimension(area, extend=False)
    if layout is not None:
        if layout.widths:
            sheet.set_column_widths(list(layout.widths))
        if layout.freeze is not None:
            sheet.set_frozen(*layout.freeze)
        if layout.one_page:
            sheet.set_fit_to_page()
    return str(area) if area else ""


def _chosen(layout: SheetFormat | None, row: int, col: int) -> CellStyle | None:
    if layout is None or row >= len(layout.styles) or col >= len(layout.styles[row]):
        return None
    return layout.styles[row][col]


def resize_owned_table(table: Table, rows: Sequence[Sequence[object]], sheet: str) -> str:
    """The table part resized to the rows written, after checking its header names."""
    if table.totals_rows:
        raise DunningInputError(
            [
                Issue(
                    f"table {table.name} on an owned sheet has a totals row; remove it so Dunning "
                    "can rewrite the sheet",
                    sheet=sheet,
                )
            ]
        )
    header_row = table.area.min_row
    issues = []
    written = rows[header_row - 1] if len(rows) >= header_row else []
    for index, column in enumerate(table.columns):
        col = table.area.min_col + index
        value = written[col - 1] if col - 1 < len(written) else None
        if str(value) != column.name:
            issues.append(
                Issue(
                    f"the header written here must be {column.name!r}, the name of column "
                    f"{index + 1} of table {table.name}",
                    sheet=sheet,
                    row=header_row,
                    column_letter=col_name(col),
                    value=value,
                )
            )
    if issues:
        raise DunningInputError(issues)
    data_last = max(header_row + 1, len(rows))
    return resized_xml(table, data_last)
