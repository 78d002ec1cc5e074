"""Sheets that Dunning owns (Worklist, Aging, Outbox): their cells are replaced as a whole.

Only `<sheetData>` is rewritten; the sheet's column widths, views, print setup,
drawings and conditional formats stay, so a template can format an owned sheet
once. Row 1 takes the styles of the old row 1 (the header), every later row the
styles of the old row 2 (the template's first data row). A table on the sheet is
resized to the rows written, after checking its header names against row 1.

A block placed lower on the sheet (`at`, the PaymentPlans a user laid out below a
title) replaces only its own columns from its first row down: the rows above it and
the cells beside it stay as written, byte for byte, and so do the widths of the
other columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dunning.core.errors import DunningInputError, Issue
from dunning.io.xlsx import cells
from dunning.io.xlsx.refs import MAX_ROW, Area, cell_name, col_name
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
    at: tuple[int, int] | None = None,
) -> str:
    """Replace every cell of `sheet` with `rows`; returns the range written ("" if none).

    With `at` (the sheet row and column, from 1, of the rows' first cell) only the block's
    columns are replaced, from its first row to the sheet's last: see the module docstring.
    """
    if at is not None:
        return _replace_block(sheet, rows, book_styles, date1904=date1904, layout=layout,
                              at=at)
    old = sheet.rows(1, 2)
    header, body = old.get(1), old.get(2)
    issues: list[Issue] = []
    built = []
    width = 0
    for number, values in enumerate(rows, start=1):
        like = header if number == 1 else body
        row = Row.new(number, sheet.prefix, like=like)
        width = max(width, len(values))
        issues += _fill(row, values, sheet, book_styles, like=like, first=1,
                        offset=number - 1, date1904=date1904, layout=layout)
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


def _fill(row: Row, values: Sequence[object], sheet: Worksheet, book_styles: Styles, *,
          like: Row | None, first: int, offset: int, date1904: bool,
          layout: SheetFormat | None) -> list[Issue]:
    """`values` written into `row` from the column `first`, each cell styled by the layout
    (its row `offset` in the block) or else as the cell of `like` above it; the issue of
    each value no cell can hold."""
    issues: list[Issue] = []
    for index, value in enumerate(values):
        col = first + index
        try:
            encoded = cells.encode(value, date1904=date1904)
        except cells.CellValueError as error:
            issues.append(Issue(str(error), sheet=sheet.name, row=row.number,
                                column_letter=col_name(col), value=value))
            continue
        above = like.cells.get(col) if like else None
        chosen = _chosen(layout, offset, index)
        if layout is not None:  # the layout says how the sheet looks, not the old cells
            base = book_styles.style(chosen) if chosen else 0
        else:
            base = above.style if above else 0
        style = style_for(book_styles, encoded, base)
        xml = cells.cell(cell_name(row.number, col), encoded, style, sheet.prefix)
        if xml:
            row.cells[col] = RawCell(col, xml)
    return issues


def _replace_block(
    sheet: Worksheet,
    rows: Sequence[Sequence[object]],
    book_styles: Styles,
    *,
    date1904: bool,
    layout: SheetFormat | None,
    at: tuple[int, int],
) -> str:
    """`rows` written from the cell `at`, in place of the cells of their columns from that row
    down; every other cell, and every other row's and column's look, is kept."""
    top, left = at
    width = max((len(values) for values in rows), default=0)
    right = left + max(width, 1) - 1
    existing = sheet.rows(top, MAX_ROW)
    header, body = existing.get(top), existing.get(top + 1)
    issues: list[Issue] = []
    placed: dict[int, Row] = {}
    for number, old in existing.items():
        kept = {col: cell for col, cell in old.cells.items() if not left <= col <= right}
        placed[number] = Row(number, old.tag, kept)
        for col, cell in old.cells.items():
            cut = None if col in kept else _cut_formula(sheet, number, cell, left, right)
            if cut is not None:
                issues.append(cut)
    for offset, values in enumerate(rows):
        number = top + offset
        like = header if offset == 0 else body
        row = placed.setdefault(number, Row.new(number, sheet.prefix, like=like))
        issues += _fill(row, values, sheet, book_styles, like=like, first=left,
                        offset=offset, date1904=date1904, layout=layout)
    if issues:
        raise DunningInputError(issues)
    sheet.replace_rows(top, MAX_ROW, placed)
    area = Area(top, left, top + len(rows) - 1, right) if rows and width else None
    if area is not None:
        sheet.set_dimension(area, extend=True)
    if layout is not None:
        if layout.widths:
            sheet.set_column_widths(list(layout.widths), first=left)
        if layout.freeze is not None:
            rows_kept, columns_kept = layout.freeze
            sheet.set_frozen(top - 1 + rows_kept, left - 1 + columns_kept if columns_kept else 0)
        if layout.one_page:
            sheet.set_fit_to_page()
    return str(area) if area else ""


def _cut_formula(sheet: Worksheet, number: int, cell: RawCell, left: int,
                 right: int) -> Issue | None:
    """A shared or array formula the block would cut: its first cell is in the block's columns
    and it fills cells beside them, which would be left without their formula."""
    found = re.search(rf'<{sheet.prefix}f\b[^>]*\sref="([^"]+)"', cell.xml)
    if found is None:
        return None
    try:
        area = Area.parse(found.group(1))
    except ValueError:
        return None
    if left <= area.min_col and area.max_col <= right:
        return None
    return Issue(f"a formula here fills {area} beyond the columns Dunning writes "
                 f"({col_name(left)} to {col_name(right)}); move or remove it first",
                 sheet=sheet.name, row=number, column_letter=col_name(cell.col))


def placed_rows(rows: Sequence[Sequence[object]],
                at: tuple[int, int] | None) -> list[list[object]]:
    """`rows` as the sheet holds them from A1 once written at `at` (for the table checks)."""
    if at is None:
        return [list(row) for row in rows]
    top, left = at
    return [[] for _ in range(top - 1)] + [[None] * (left - 1) + list(row) for row in rows]


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
