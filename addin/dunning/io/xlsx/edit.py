"""`WorkbookEdit`: collect edits to one workbook file, then save them once, atomically."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from dunning.core.errors import DunningInputError, Issue
from dunning.io.xlsx import atomic, cells
from dunning.io.xlsx.chart_ranges import grow_series
from dunning.io.xlsx.charts import Chart, put_charts
from dunning.io.xlsx.errors import TEXT_NOT_WORKBOOK, unsupported
from dunning.io.xlsx.locks import check_not_open
from dunning.io.xlsx.markup import escape_attr
from dunning.io.xlsx.package import Package, resolve
from dunning.io.xlsx.refs import Area, col_name
from dunning.io.xlsx.rows import RawCell, Row
from dunning.io.xlsx.sheets import (
    NEW_SHEET,
    ReplaceResult,
    SheetFormat,
    placed_rows,
    replace_cells,
    resize_owned_table,
)
from dunning.io.xlsx.styles import Styles
from dunning.io.xlsx.tables import (
    Appender,
    AppendResult,
    Table,
    parse_table,
    resized_xml,
    rows_as_lists,
    style_for,
    table_name,
)
from dunning.io.xlsx.workbook import (
    MAIN_NS,
    REL_NS,
    TABLE_REL,
    SheetEntry,
    WorkbookPart,
    add_content_type_override,
    add_relationship,
    read_rels,
)
from dunning.io.xlsx.worksheet import Worksheet

SUPPORTED = (".xlsx", ".xlsm", ".xltx", ".xltm")
_REFUSED = {
    ".xls": "is an Excel 97-2003 workbook (.xls); save it as .xlsx or .xlsm first",
    ".xlsb": "is an Excel binary workbook (.xlsb); save it as .xlsx or .xlsm first",
    ".ods": "is an OpenDocument spreadsheet; save it as .xlsx first",
    ".csv": "is a CSV file, not a workbook",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF = 4096

RowValues = Mapping[str, object] | Sequence[object]


def _in_block(area: Area, rows: Sequence[Sequence[object]], at: tuple[int, int]) -> bool:
    """Does a table reach into the columns that rows written from `at` replace (from that row
    down)? Those tables are the block's own and are resized over it."""
    width = max((len(row) for row in rows), default=1)
    return area.max_row >= at[0] and area.intersects(
        Area(at[0], at[1], area.max_row, at[1] + max(width, 1) - 1))


def check_kind(path: Path) -> None:
    """Refuse files the writer does not edit, before anything is read."""
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise unsupported(str(path), _REFUSED[suffix])
    if suffix not in SUPPORTED:
        raise unsupported(str(path), "is not an .xlsx or .xlsm workbook")
    if not path.exists():
        raise DunningInputError([Issue("workbook not found", sheet=str(path))])
    with open(path, "rb") as handle:
        start = handle.read(_SNIFF)
    if start[:8] == _OLE_MAGIC:
        raise unsupported(
            str(path),
            "is password-protected or an old binary .xls saved as "
            f"{suffix}; Dunning writes only unencrypted .xlsx/.xlsm workbooks",
        )
    if start and not start.startswith(b"PK") and b"\x00" not in start:
        raise unsupported(str(path), TEXT_NOT_WORKBOOK)


class WorkbookEdit:
    """Edits to one .xlsx/.xlsm file, saved together on `save()` (or leaving a `with` block).

    Args:
        path: the workbook.
        backups: how many previous versions to keep in `.dunning-backups/` (0 for none).
        recalculate: mark the workbook so Excel recalculates formulas when it opens it,
            because formulas elsewhere (a dashboard counting ContactLog rows) still hold
            the values cached before the write.
        full_check: after writing, check the CRC of every part, not only the edited ones.
        _on_stage: test-only hook called at each saving stage (see `atomic.save`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        backups: int = 1,
        recalculate: bool = True,
        full_check: bool = True,
        _on_stage: atomic.Stage | None = None,
    ) -> None:
        self.path = Path(path)
        self.backups = backups
        self.recalculate = recalculate
        self.full_check = full_check
        self._on_stage = _on_stage
        self._package: Package | None = None
        self._sheets: dict[str, Worksheet] = {}
        self._styles: Styles | None = None
        self._drop_calc_chain = False
        self._edited = False

    # Opening and closing ---------------------------------------------------

    def open(self) -> WorkbookEdit:
        check_kind(self.path)
        check_not_open(self.path)
        self._stat = os.stat(self.path)
        self._package = Package(self.path)
        try:
            self._workbook = WorkbookPart(self._package)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._package is not None:
            self._package.close()
            self._package = None

    def __enter__(self) -> WorkbookEdit:
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.save()
        finally:
            self.close()

    @property
    def package(self) -> Package:
        if self._package is None:
            self.open()
        assert self._package is not None
        return self._package

    def _require_open(self) -> None:
        if self._package is None:
            self.open()

    # Reading ---------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        self._require_open()
        return [entry.name for entry in self._workbook.sheets()]

    def tables(self) -> dict[str, tuple[SheetEntry, str]]:
        """Every table by name: the sheet holding it and its part."""
        self._require_open()
        found = {}
        for entry in self._workbook.sheets():
            if entry.kind != "worksheet":
                continue
            for rel in read_rels(self.package, entry.part):
                if rel.type == TABLE_REL and not rel.external:
                    part = self.package.find(resolve(entry.part, rel.target))
                    if part is not None:
                        found[table_name(self.package.read_text(part))] = (entry, part)
        return found

    def _table(self, name: str) -> tuple[SheetEntry, Table]:
        tables = self.tables()
        for found, (entry, part) in tables.items():
            if found.casefold() == name.casefold():
                return entry, parse_table(self.package.read_text(part), part)
        listed = ", ".join(sorted(tables)) or "none"
        raise DunningInputError(
            [
                Issue(
                    f"the workbook has no table named {name!r} (its tables: {listed})",
                    sheet=str(self.path),
                )
            ]
        )

    def _worksheet(self, entry: SheetEntry) -> Worksheet:
        if entry.part not in self._sheets:
            self._sheets[entry.part] = Worksheet(self.package.read_text(entry.part), entry.name)
        return self._sheets[entry.part]

    def _book_styles(self) -> Styles:
        if self._styles is None:
            part = self._workbook.styles_part()
            found = self.package.find(part) if part else None
            self._styles = Styles(self.package.read_text(found) if found else None)
        return self._styles

    def _other_tables(self, entry: SheetEntry, keep: str) -> list[Table]:
        return [
            parse_table(self.package.read_text(part), part)
            for sheet, part in self.tables().values()
            if sheet.part == entry.part and part != keep
        ]

    def column_format(self, table: str, column: str) -> str | None:
        """The number format code the first data cell of a table's column shows, or None.

        Owned sheets show dates the way the workbook's own Invoices table does.
        """
        try:
            entry, found = self._table(table)
        except DunningInputError:
            return None
        names = [c.name.casefold() for c in found.columns]
        if column.casefold() not in names:
            return None
        col = found.area.min_col + names.index(column.casefold())
        row = self._worksheet(entry).rows(found.data_first, found.data_first).get(found.data_first)
        cell = row.cells.get(col) if row else None
        if cell is None:
            return None
        return self._book_styles().format_code(cell.style)

    # Edits -----------------------------------------------------------------

    def append_rows(self, table: str, rows: Sequence[RowValues]) -> AppendResult:
        """Append `rows` (mappings by header, or lists in column order) to Excel Table `table`."""
        entry, found = self._table(table)
        if found.kind != "worksheet":
            raise DunningInputError(
                [
                    Issue(
                        f"table {found.name} is filled by an external query ({found.kind}); "
                        "Dunning does not append to it",
                        sheet=entry.name,
                    )
                ]
            )
        values = rows_as_lists(found, rows, entry.name)
        sheet = self._worksheet(entry)
        others = [other.area for other in self._other_tables(entry, found.part)]
        appender = Appender(
            sheet,
            found,
            self._book_styles(),
            others,
            date1904=self._workbook.date1904,
            workbook=str(self.path),
        )
        if not values:
            return AppendResult(entry.name, found.name, 0, -1, str(found.area))
        result = appender.append(values)
        new_area = Area.parse(result.ref)
        if new_area != found.area:
            new_last = new_area.max_row - found.totals_rows
            self.package.write(found.part, resized_xml(found, new_last))
            self._grow_charts(entry.name, found, new_last)
        self._drop_calc_chain |= appender.moved_formulas
        self._edited = True
        return result

    def _grow_charts(self, sheet: str, table: Table, new_last: int) -> None:
        """Chart series over the table's whole data columns follow it to `new_last`."""
        grow_series(self.package, sheet, first_row=table.data_first, last_row=table.data_last,
                    min_col=table.area.min_col, max_col=table.area.max_col,
                    new_last_row=new_last)

    def update_cells(self, table: str, updates: Mapping[int, Mapping[str, object]]) -> int:
        """Set cells in rows of Excel Table `table`: `{sheet row: {header: value}}`.

        Only the named cells change (None empties one); every other cell of the row,
        its style and the rest of the sheet stay as written. Rows must be data rows
        of the table; a calculated column or a cell holding a formula is refused, so
        no formula is ever overwritten. Returns how many cells were set.
        """
        entry, found = self._table(table)
        if not updates:
            return 0
        names = {column.name.casefold(): index for index, column in enumerate(found.columns)}
        issues: list[Issue] = []
        wanted: dict[int, list[tuple[int, object]]] = {}
        for number, values in updates.items():
            if not found.data_first <= number <= found.data_last:
                issues.append(Issue(
                    f"row {number} is not a data row of table {found.name} (rows "
                    f"{found.data_first} to {found.data_last})", sheet=entry.name, row=number))
                continue
            for header, value in values.items():
                index = names.get(str(header).casefold())
                if index is None:
                    issues.append(Issue(
                        f"table {found.name} has no column {header!r}", sheet=entry.name))
                elif found.columns[index].formula is not None:
                    issues.append(Issue(
                        f"column {header!r} of table {found.name} is calculated; Dunning does "
                        "not overwrite its formula", sheet=entry.name, row=number))
                else:
                    wanted.setdefault(number, []).append((index, value))
        if issues:
            raise DunningInputError(issues[:50])
        sheet = self._worksheet(entry)
        rows = sheet.rows_numbered(set(wanted))
        book_styles = self._book_styles()
        count = 0
        for number in sorted(wanted):
            row = rows.get(number) or Row.new(number, sheet.prefix)
            rows[number] = row
            for index, value in wanted[number]:
                col = found.area.min_col + index
                ref = f"{col_name(col)}{number}"
                existing = row.cells.get(col)
                if existing is not None and existing.has_formula(sheet.prefix):
                    issues.append(Issue(
                        "the cell holds a formula; Dunning does not overwrite it",
                        sheet=entry.name, row=number, column=found.columns[index].name,
                        column_letter=col_name(col)))
                    continue
                try:
                    encoded = cells.encode(value, date1904=self._workbook.date1904)
                except cells.CellValueError as error:
                    issues.append(Issue(str(error), sheet=entry.name, row=number,
                                        column=found.columns[index].name,
                                        column_letter=col_name(col), value=value))
                    continue
                style = style_for(book_styles, encoded, existing.style if existing else 0)
                xml = cells.cell(ref, encoded, style, sheet.prefix)
                if xml:
                    row.cells[col] = RawCell(col, xml)
                else:
                    row.cells.pop(col, None)
                count += 1
        if issues:
            raise DunningInputError(issues[:50])
        sheet.put_rows({number: rows[number] for number in wanted})
        self._edited = True
        return count

    def replace_sheet(
        self,
        name: str,
        rows: Sequence[Sequence[object]],
        *,
        layout: SheetFormat | None = None,
        table: str | None = None,
        at: tuple[int, int] | None = None,
    ) -> ReplaceResult:
        """Replace every cell of the owned sheet `name` with `rows` (created if missing).

        `layout` styles the cells, sets column widths and freezes panes; `table`
        names an Excel Table over the rows (header in row 1), made when the sheet
        has none, resized otherwise, so formulas and charts can name its columns.
        `at` (row, column, from 1) places the rows lower on the sheet, replacing only
        their columns from that row down (`replace_cells`); the tables over those columns
        are resized, any other is left as it is.
        """
        entry = self._workbook.sheet(name)
        created = entry is None
        if entry is None:
            entry = self._workbook.add_worksheet(name, NEW_SHEET)
        elif entry.kind != "worksheet":
            raise DunningInputError(
                [Issue(f"{entry.name} is a {entry.kind}, not a worksheet", sheet=entry.name)]
            )
        sheet = self._worksheet(entry)
        had_formulas = sheet.has_formulas()
        owned = [other for other in self._other_tables(entry, keep="")
                 if at is None or _in_block(other.area, rows, at)]
        placed = placed_rows(rows, at)
        for other in owned:
            self.package.write(other.part, resize_owned_table(other, placed, entry.name))
            self._grow_charts(entry.name, other, max(other.area.min_row + 1, len(placed)))
        ref = replace_cells(sheet, rows, self._book_styles(), date1904=self._workbook.date1904,
                            layout=layout, at=at)
        if table is not None and not any(t.name.casefold() == table.casefold() for t in owned):
            self._add_table(entry, sheet, table, rows, at or (1, 1))
        self._drop_calc_chain |= had_formulas
        self._edited = True
        return ReplaceResult(entry.name, ref, created)

    def _add_table(self, entry: SheetEntry, sheet: Worksheet, name: str,
                   rows: Sequence[Sequence[object]], at: tuple[int, int]) -> None:
        """A new Excel Table over `rows` (written from the cell `at`) on an owned sheet: its
        headers are the first row's cells up to the first empty one (a note may follow)."""
        headers: list[str] = []
        for value in rows[0] if rows else []:
            if value is None or str(value) == "":
                break
            headers.append(str(value))
        if not headers or len(set(h.casefold() for h in headers)) != len(headers):
            raise DunningInputError([Issue(
                f"table {name} needs distinct headers in row 1", sheet=entry.name)])
        taken = {found.casefold() for found in self.tables()}
        if name.casefold() in taken:
            raise DunningInputError([Issue(
                f"the workbook already has a table named {name} on another sheet",
                sheet=entry.name)])
        found_ids = (re.search(r'<(?:\w+:)?table\b[^>]*?\sid="(\d+)"',
                               self.package.read_text(part))
                     for _, part in self.tables().values())
        ids = [int(match.group(1)) for match in found_ids if match]
        number = 1
        while self.package.has(f"xl/tables/table{number}.xml"):
            number += 1
        part = f"xl/tables/table{number}.xml"
        area = Area(at[0], at[1], at[0] - 1 + max(2, len(rows)), at[1] - 1 + len(headers))
        columns = "".join(f'<tableColumn id="{index}" name="{escape_attr(header)}"/>'
                          for index, header in enumerate(headers, start=1))
        self.package.write(part, (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<table xmlns="{MAIN_NS}" id="{max(ids, default=0) + 1}" name="{name}" '
            f'displayName="{name}" ref="{area}" totalsRowShown="0">'
            f'<autoFilter ref="{area}"/><tableColumns count="{len(headers)}">{columns}'
            '</tableColumns><tableStyleInfo name="TableStyleLight9" showFirstColumn="0" '
            'showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>'))
        add_content_type_override(
            self.package, part,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml")
        rel_id = add_relationship(self.package, entry.part, TABLE_REL,
                                  f"../tables/table{number}.xml")
        sheet.add_table_part(rel_id, REL_NS)

    def set_charts(self, name: str, charts: Sequence[Chart]) -> None:
        """Draw `charts` on the sheet `name` (Dunning's drawing there is rewritten)."""
        entry = self._workbook.sheet(name)
        if entry is None:
            raise DunningInputError([Issue(f"no sheet {name} to draw charts on")])
        sheet = self._worksheet(entry)
        sheet.replace_text(put_charts(self.package, entry.part, sheet.text, entry.name, charts))
        self._edited = True

    # Saving ----------------------------------------------------------------

    def save(self) -> Path:
        """Write all edits into the workbook atomically; a no-op when nothing was edited."""
        package = self.package
        if not self._edited:
            return self.path
        for part, sheet in self._sheets.items():
            package.write(part, sheet.text)
        styles = self._book_styles()
        if styles.changed:
            part = self._workbook.styles_part()
            assert part is not None
            package.write(package.find(part) or part, styles.text())
        if self._drop_calc_chain:
            self._workbook.drop_calc_chain()
        if self.recalculate:
            self._workbook.request_full_calculation()
        names = package.names()
        xml_parts = [name for name in package.edited if name.endswith((".xml", ".rels"))]

        def verify(temp: Path) -> None:
            atomic.check_package(temp, names, xml_parts, full=self.full_check)

        def before_replace() -> None:
            self.close()  # Windows cannot rename over a file this process still has open
            self._check_unchanged()

        try:
            atomic.save(
                self.path,
                package.write_to,
                verify,
                backups=self.backups,
                before_replace=before_replace,
                on_stage=self._on_stage,
            )
        finally:
            self.close()
            self._sheets, self._styles, self._edited = {}, None, False
            self._drop_calc_chain = False
        return self.path

    def _check_unchanged(self) -> None:
        """Refuse to replace a file someone saved or opened while the new one was written."""
        check_not_open(self.path)
        now = os.stat(self.path)
        before = self._stat
        if (now.st_mtime_ns, now.st_size, now.st_ino) != (
            before.st_mtime_ns,
            before.st_size,
            before.st_ino,
        ):
            raise DunningInputError(
                [
                    Issue(
                        "the workbook changed while Dunning was writing it; "
                        "nothing was written, run again",
                        sheet=str(self.path),
                    )
                ]
            )
