"""Excel Tables (ListObjects): find them, check rows against their headers, append rows.

Appending does what Excel does when a row is typed under a table: the table's
range and autofilter grow, a totals row moves down, each new cell takes the
style of the cell above it, calculated columns get the table's formula, and
data-validation and conditional-format ranges that ended at the last row grow
with it. Rows below the table are never shifted: if the cells the table grows
into are not empty, the append is refused instead of overwriting them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dunning.core.errors import DunningInputError, Issue
from dunning.io.xlsx import cells, styles
from dunning.io.xlsx.errors import unsupported
from dunning.io.xlsx.markup import get_attr, remove_attr, root_prefix, set_attr, unescape_attr
from dunning.io.xlsx.refs import MAX_ROW, Area, col_name
from dunning.io.xlsx.rows import RawCell, Row
from dunning.io.xlsx.worksheet import Worksheet

_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_A1_REFERENCE = re.compile(r"(?<![\w.])\$?[A-Za-z]{1,3}\$?[0-9]+(?![\w(!])")
_SCAN = 16


@dataclass(frozen=True)
class TableColumn:
    name: str
    formula: str | None = None
    array: bool = False


@dataclass(frozen=True)
class Table:
    """A table part: where the table is and what its columns are."""

    part: str
    xml: str
    name: str
    area: Area
    header_rows: int
    totals_rows: int
    columns: tuple[TableColumn, ...]
    kind: str

    @property
    def data_first(self) -> int:
        return self.area.min_row + self.header_rows

    @property
    def data_last(self) -> int:
        return self.area.max_row - self.totals_rows


@dataclass(frozen=True)
class AppendResult:
    """Where appended rows went.

    Attributes:
        sheet: the sheet holding the table.
        table: the table's name.
        first_row, last_row: sheet row numbers of the rows written (last < first when none).
        ref: the table's new range, e.g. `A1:F27`.
    """

    sheet: str
    table: str
    first_row: int
    last_row: int
    ref: str

    @property
    def rows(self) -> int:
        return self.last_row - self.first_row + 1


def _decode_name(name: str) -> str:
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name)


def parse_table(xml: str, part: str) -> Table:
    p = root_prefix(xml, "table")
    root = re.search(rf"<{p}table\b[^>]*>", xml)
    assert root is not None
    tag = root.group(0)
    columns = []
    for match in re.finditer(rf"<{p}tableColumn\b[^>]*?(?:/>|>(.*?)</{p}tableColumn>)", xml, re.S):
        column_tag = match.group(0)[: match.group(0).index(">") + 1]
        formula = array = None
        body = match.group(1) or ""
        found = re.search(
            rf"<{p}calculatedColumnFormula\b([^>]*)>(.*?)</{p}calculatedColumnFormula>", body, re.S
        )
        if found is not None:
            formula = unescape_attr(found.group(2))
            array = get_attr(f"<x{found.group(1)}>", "array") in ("1", "true")
        columns.append(
            TableColumn(_decode_name(get_attr(column_tag, "name") or ""), formula, bool(array))
        )
    return Table(
        part=part,
        xml=xml,
        name=get_attr(tag, "displayName") or get_attr(tag, "name") or "",
        area=Area.parse(get_attr(tag, "ref") or "A1"),
        header_rows=int(get_attr(tag, "headerRowCount") or 1),
        totals_rows=int(get_attr(tag, "totalsRowCount") or 0),
        columns=tuple(columns),
        kind=get_attr(tag, "tableType") or "worksheet",
    )


def table_name(xml: str) -> str:
    """The display name of a table part, read from its root tag only."""
    match = re.search(r"<(\w+:)?table\b[^>]*>", xml)
    tag = match.group(0) if match else ""
    return get_attr(tag, "displayName") or get_attr(tag, "name") or ""


def rows_as_lists(
    table: Table, rows: Sequence[Mapping[str, object] | Sequence[object]], sheet: str
) -> list[list[object]]:
    """Rows as one value per table column, in column order (see `rows_in_column_order`)."""
    return rows_in_column_order(table.name, table.columns, rows, sheet)


def rows_in_column_order(
    table: str,
    columns: Sequence[TableColumn],
    rows: Sequence[Mapping[str, object] | Sequence[object]],
    sheet: str,
) -> list[list[object]]:
    """Rows as one value per table column, in column order; header mismatches are issues.

    A mapping names its columns (compared without case, as Excel compares them);
    an unknown name is an error naming it and the table's columns. A sequence
    gives one value per column, in order. Calculated columns are filled by the
    table's formula, so a row may not give them a value. Both the file writer and
    the open workbook in Excel (`dunning.excel.live`) lay rows out this way.
    """
    names = [column.name for column in columns]
    folded = {name.casefold(): index for index, name in enumerate(names)}
    issues: list[Issue] = []
    result = []
    for number, row in enumerate(rows, start=1):
        values: list[object] = [None] * len(names)
        if isinstance(row, Mapping):
            unknown = [key for key in row if str(key).casefold() not in folded]
            if unknown:
                issues.append(
                    Issue(
                        f"row {number} to append names {', '.join(map(repr, unknown))}, which "
                        f"{'is not a column' if len(unknown) == 1 else 'are not columns'} of table "
                        f"{table}; its columns are {', '.join(names)}",
                        sheet=sheet,
                    )
                )
            for key, value in row.items():
                index = folded.get(str(key).casefold())
                if index is not None:
                    values[index] = value
        elif isinstance(row, Sequence) and not isinstance(row, (str, bytes)):
            if len(row) != len(names):
                issues.append(
                    Issue(
                        f"row {number} to append has {len(row)} values; table {table} has "
                        f"{len(names)} columns ({', '.join(names)})",
                        sheet=sheet,
                    )
                )
                continue
            values = list(row)
        else:
            issues.append(
                Issue(
                    f"row {number} to append is a {type(row).__name__}, not a mapping or a list",
                    sheet=sheet,
                )
            )
            continue
        for index, column in enumerate(columns):
            if column.formula is not None and values[index] is not None:
                issues.append(
                    Issue(
                        f"row {number} to append gives a value for {column.name}, which the table "
                        "calculates; leave it out",
                        sheet=sheet,
                        column=column.name,
                    )
                )
        result.append(values)
    if issues:
        raise DunningInputError(issues)
    return result


def resized_xml(table: Table, new_data_last: int) -> str:
    """The table part with its ref, autoFilter and sortState grown to `new_data_last`."""
    xml = table.xml
    p = root_prefix(xml, "table")
    area = table.area
    new_area = area.with_rows(area.min_row, new_data_last + table.totals_rows)

    def retag(match: re.Match[str], value: str) -> str:
        return set_attr(match.group(0), "ref", value)

    root = re.search(rf"<{p}table\b[^>]*>", xml)
    assert root is not None
    xml = xml[: root.start()] + retag(root, str(new_area)) + xml[root.end() :]
    filtered = area.with_rows(area.min_row, new_data_last)
    xml = re.sub(rf"<{p}autoFilter\b[^>]*>", lambda m: retag(m, str(filtered)), xml, count=1)

    def sort_state(match: re.Match[str]) -> str:
        ref = get_attr(match.group(0), "ref")
        if not ref:
            return match.group(0)
        try:
            old = Area.parse(ref)
        except ValueError:
            return match.group(0)
        if old.max_row != table.data_last:
            return match.group(0)
        return retag(match, str(old.with_rows(old.min_row, new_data_last)))

    return re.sub(rf"<{p}sortState\b[^>]*>", sort_state, xml)


class Appender:
    """Appends encoded rows to one table of one worksheet.

    `workbook` is the workbook file, named in refusals about the workbook as a
    whole (a table that would grow past the last row of the sheet).
    """

    def __init__(
        self,
        sheet: Worksheet,
        table: Table,
        book_styles: styles.Styles,
        other_tables: Sequence[Area],
        *,
        date1904: bool,
        workbook: str = "",
    ) -> None:
        self.workbook = workbook
        self.sheet = sheet
        self.table = table
        self.styles = book_styles
        self.others = other_tables
        self.date1904 = date1904
        self.p = sheet.prefix
        self.min_col = table.area.min_col
        self.max_col = table.area.max_col
        self.moved_formulas = False

    def _calculated(self, col: int) -> bool:
        index = col - self.min_col
        return index < len(self.table.columns) and self.table.columns[index].formula is not None

    def _is_empty(self, row: Row | None) -> bool:
        if row is None:
            return True
        return not any(
            cell.has_content(self.p)
            for col, cell in row.cells.items()
            if self.min_col <= col <= self.max_col and not self._calculated(col)
        )

    def first_free_row(self) -> int:
        """The row after the last data row holding something (trailing empty rows are reused)."""
        first, last = self.table.data_first, self.table.data_last
        bottom = last
        while bottom >= first:
            top = max(first, bottom - _SCAN + 1)
            found = self.sheet.rows(top, bottom)
            for number in range(bottom, top - 1, -1):
                if not self._is_empty(found.get(number)):
                    return number + 1
            bottom = top - 1
        return first

    def append(self, values: list[list[object]]) -> AppendResult:
        table = self.table
        totals = table.totals_rows
        start = self.first_free_row()
        last = start + len(values) - 1
        new_data_last = max(table.data_last, last)
        growth = new_data_last - table.data_last
        if growth:
            self._check_bottom(new_data_last, len(values))
            self._check_room(new_data_last)
        low = min(start, table.data_last) if table.data_last >= table.data_first else start
        high = max(new_data_last, table.data_last) + totals
        rows = self.sheet.rows(low, high)
        template = rows.get(table.data_last) if table.data_last >= table.data_first else None
        moved = self._take_totals(rows) if growth and totals else []
        issues: list[Issue] = []
        for offset, row_values in enumerate(values):
            number = start + offset
            row = rows.get(number) or Row.new(number, self.p, like=template)
            rows[number] = row
            self._fill(row, row_values, template, issues)
        if issues:
            raise DunningInputError(issues)
        for offset, totals_row in enumerate(moved):
            number = new_data_last + 1 + offset
            target = rows.get(number) or Row.new(number, self.p, like=totals_row)
            target.cells.update(totals_row.moved_to(number).cells)
            rows[number] = target
        self.sheet.replace_rows(low, high, rows)
        new_area = table.area.with_rows(table.area.min_row, new_data_last + totals)
        if growth:
            self.sheet.grow_ranges(
                last_row=table.data_last,
                new_last_row=new_data_last,
                min_col=self.min_col,
                max_col=self.max_col,
            )
        self.sheet.set_dimension(new_area)
        return AppendResult(self.sheet.name, table.name, start, last, str(new_area))

    def _check_bottom(self, new_data_last: int, count: int) -> None:
        """Refuse to grow the table past the last row a sheet has (Excel calls it damaged)."""
        table = self.table
        new_last = new_data_last + table.totals_rows
        if new_last <= MAX_ROW:
            return
        rows = "1 more row" if count == 1 else f"{count:,} more rows"
        raise unsupported(
            self.workbook or self.sheet.name,
            f"table {table.name} on sheet {self.sheet.name} cannot take {rows}: it would "
            f"end on row {new_last:,}, past the last row of a sheet ({MAX_ROW:,}); move the "
            "table up or start a new table for further rows, then retry",
        )

    def _check_room(self, new_data_last: int) -> None:
        """Refuse to grow over cells, merged cells or other tables below the table."""
        table = self.table
        below = Area(
            table.area.max_row + 1, self.min_col, new_data_last + table.totals_rows, self.max_col
        )
        grown = Area(table.data_last + 1, self.min_col, below.max_row, self.max_col)
        issues = []
        for number, row in self.sheet.rows(below.min_row, below.max_row).items():
            for col, cell in row.cells.items():
                if self.min_col <= col <= self.max_col and cell.has_content(self.p):
                    issues.append(
                        Issue(
                            f"table {table.name} needs to grow into this cell, which is not empty; "
                            "move what is below the table, then retry",
                            sheet=self.sheet.name,
                            row=number,
                            column_letter=col_name(col),
                        )
                    )
        for area in self.sheet.merged_areas():
            if area.intersects(grown):
                issues.append(
                    Issue(
                        f"table {table.name} would grow over merged cells {area}",
                        sheet=self.sheet.name,
                    )
                )
        for area in self.others:
            if area.intersects(grown):
                issues.append(
                    Issue(
                        f"table {table.name} would grow into another table at {area}",
                        sheet=self.sheet.name,
                    )
                )
        if issues:
            raise DunningInputError(issues)

    def _take_totals(self, rows: dict[int, Row]) -> list[Row]:
        """Remove the totals row's cells (table columns only) so they can move down."""
        moved = []
        for number in range(self.table.data_last + 1, self.table.area.max_row + 1):
            row = rows.get(number) or Row.new(number, self.p)
            taken = Row(number, row.tag)
            for col in list(row.cells):
                if self.min_col <= col <= self.max_col:
                    cell = row.cells.pop(col)
                    if cell.has_formula(self.p):
                        self._check_movable(cell, number)
                        self.moved_formulas = True
                        cell = _without_cached_value(cell, self.p)
                    taken.cells[col] = cell
            moved.append(taken)
        return moved

    def _check_movable(self, cell: RawCell, number: int) -> None:
        formula = re.sub(r'"[^"]*"|\[[^\]]*\]|\'[^\']*\'', "", cell.xml)
        formula = re.sub(r"<[^>]*>", " ", formula)
        if re.search(rf"<{self.p}f\b[^>]*t=\"shared\"", cell.xml) or _A1_REFERENCE.search(formula):
            raise DunningInputError(
                [
                    Issue(
                        f"the totals row of table {self.table.name} has a formula with cell "
                        "references; "
                        "use the table's own totals (structured references) so it can move down",
                        sheet=self.sheet.name,
                        row=number,
                        column_letter=col_name(cell.col),
                    )
                ]
            )

    def _fill(
        self, row: Row, values: list[object], template: Row | None, issues: list[Issue]
    ) -> None:
        for index, column in enumerate(self.table.columns):
            col = self.min_col + index
            existing = row.cells.get(col)
            above = template.cells.get(col) if template else None
            style = existing.style if existing else (above.style if above else 0)
            ref = f"{col_name(col)}{row.number}"
            if column.formula is not None:
                xml = cells.formula_cell(ref, column.formula, style, self.p, array=column.array)
            else:
                try:
                    encoded = cells.encode(values[index], date1904=self.date1904)
                except cells.CellValueError as error:
                    issues.append(
                        Issue(
                            str(error),
                            sheet=self.sheet.name,
                            row=row.number,
                            column=column.name,
                            column_letter=col_name(col),
                            value=values[index],
                        )
                    )
                    continue
                xml = cells.cell(ref, encoded, self._style_for(encoded, style), self.p)
            if xml:
                row.cells[col] = RawCell(col, xml)
            else:
                row.cells.pop(col, None)

    def _style_for(self, encoded: cells.Encoded, style: int) -> int:
        return style_for(self.styles, encoded, style)


def style_for(book_styles: styles.Styles, encoded: cells.Encoded, style: int) -> int:
    """The style a value needs: a date format for dates, quotePrefix for formula-like text."""
    formats = {
        "date": styles.DATE_FORMAT,
        "datetime": styles.DATETIME_FORMAT,
        "time": styles.TIME_FORMAT,
    }
    if encoded.kind in formats and not book_styles.is_date(style):
        return book_styles.variant(style, number_format=formats[encoded.kind])
    if encoded.risky:
        return book_styles.variant(style, quote_prefix=True)
    return style


def _without_cached_value(cell: RawCell, prefix: str) -> RawCell:
    """The cell without its cached `<v>`: the value is stale once rows are added above."""
    xml = re.sub(rf"<{prefix}v>.*?</{prefix}v>|<{prefix}v/>", "", cell.xml, flags=re.S)
    tag = xml[: xml.index(">") + 1]
    if get_attr(tag, "t") in ("str", "n", "e", "b"):
        xml = remove_attr(tag, "t") + xml[len(tag) :]
    return RawCell(cell.col, xml)
