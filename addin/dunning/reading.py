"""Read invoice tables from workbooks and CSV exports, values only and fast.

Workbooks are read with calamine (a Rust reader): it returns cell values, the
cached results of formulas included, about ten times faster than openpyxl, and
it never changes the file. A workbook's invoices are its `Invoices` table when
it has one (the template's), otherwise a sheet with the header in its first
row. CSV files are read as text so that invoice numbers keep leading zeros and
dates keep the format the ledger builder infers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from dunning.errors import DunningInputError, Issue
from dunning.ledger import Ledger, build_ledger

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
INVOICE_TABLE = "Invoices"


def read_invoices(
    path: str | Path,
    *,
    sheet: str | None = None,
    table: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
) -> Ledger:
    """The ledger of a workbook or CSV file.

    In a workbook, `table` names an Excel Table and `sheet` a sheet whose first
    row holds the headers; with neither, the `Invoices` table is used if there
    is one, else the `Invoices` sheet, else the first sheet.
    """
    path = Path(path)
    if not path.exists():
        raise DunningInputError([Issue(f"no such file: {path}")])
    if path.suffix.lower() == ".csv":
        return build_ledger(read_csv_text(path), mapping=mapping, dayfirst=dayfirst,
                            decimal=decimal, sheet=path.name)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise DunningInputError([Issue(
            f"{path.name}: expected a workbook (.xlsx, .xlsm) or a .csv export")])
    rows, sheet_name, header_row = read_table_rows(path, sheet=sheet, table=table)
    return build_ledger(rows, mapping=mapping, dayfirst=dayfirst, decimal=decimal,
                        sheet=sheet_name, header_row=header_row)


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV export as text: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it;
    comma or semicolon separated, as the header row shows."""
    raw = path.read_bytes()
    if raw.startswith(b"PK") or b"\x00" in raw[:4096]:
        raise DunningInputError([Issue(f"{path.name} is not a CSV text file (is it a workbook? "
                                       "then give it its .xlsx name)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as error:
            raise DunningInputError([Issue(
                f"{path.name} is neither UTF-8 nor Windows-1252 text ({error.reason} at byte "
                f"{error.start}); save it again as CSV UTF-8")]) from None
    if not text.strip():
        raise DunningInputError([Issue(f"{path.name} is empty: expected a header row and "
                                       "invoice rows")])
    header = text.splitlines()[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=separator)
    except pd.errors.ParserError as error:
        raise DunningInputError([Issue(f"{path.name} cannot be read as CSV: {error}")]) from None


def read_table_rows(
    path: str | Path, *, sheet: str | None = None, table: str | None = None
) -> tuple[list[list[object]], str, int]:
    """Rows of a table or sheet, header first; the sheet's name; the header's row number."""
    workbook = _open(path)
    try:
        if sheet is None:
            tables = _table_names(workbook)
            name = table or (INVOICE_TABLE if INVOICE_TABLE in tables else None)
            if name is not None:
                if name not in tables:
                    raise DunningInputError([Issue(
                        f"{Path(path).name} has no table named {name!r}; tables: "
                        f"{', '.join(tables) or 'none'}")])
                found = workbook.get_table_by_name(name)
                rows = [list(found.columns), *found.to_python()]
                return rows, found.sheet, found.start[0]
        sheet_name = sheet or _default_sheet(workbook.sheet_names)
        if sheet_name not in workbook.sheet_names:
            raise DunningInputError([Issue(
                f"{Path(path).name} has no sheet named {sheet_name!r}; sheets: "
                f"{', '.join(workbook.sheet_names)}")])
        found_sheet = workbook.get_sheet_by_name(sheet_name)
        rows = found_sheet.to_python(skip_empty_area=False)
        return rows, sheet_name, 1
    finally:
        workbook.close()


def read_table_frame(path: str | Path, table: str) -> pd.DataFrame | None:
    """An Excel table's values as a DataFrame (its headers as columns), None if it is absent."""
    workbook = _open(path)
    try:
        if table not in _table_names(workbook):
            return None
        found = workbook.get_table_by_name(table)
        return pd.DataFrame(found.to_python(), columns=list(found.columns), dtype=object)
    finally:
        workbook.close()


def read_name_value_table(path: str | Path, table: str) -> dict[str, object]:
    """A two-column table (such as Settings) as a dict of its first column to its second."""
    frame = read_table_frame(path, table)
    if frame is None or frame.shape[1] < 2:
        return {}
    pairs = zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True)
    return {str(name).strip(): value for name, value in pairs if str(name).strip()}


def _open(path: str | Path) -> CalamineWorkbook:
    try:
        if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
            return CalamineWorkbook.from_path(str(path), load_tables=True)
        return CalamineWorkbook.from_path(str(path))  # tables exist only in xlsx
    except Exception as error:  # calamine raises several types for unreadable files
        raise DunningInputError([Issue(
            f"{Path(path).name} cannot be read as a workbook: {error}")]) from error


def _table_names(workbook: CalamineWorkbook) -> list[str]:
    try:
        return list(workbook.table_names)
    except Exception:  # TablesNotLoaded for formats without tables
        return []


def _default_sheet(names: list[str]) -> str:
    return INVOICE_TABLE if INVOICE_TABLE in names else names[0]
