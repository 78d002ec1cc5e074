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

from dunning.errors import DunningInputError, Issue
from dunning.ledger import Ledger, build_ledger
from dunning.workbook import Workbook, name_value_pairs, opened, table_frame

INVOICE_TABLE = "Invoices"


def read_invoices(
    source: str | Path | Workbook,
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
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".csv":
        path = Path(source)
        if not path.exists():
            raise DunningInputError([Issue(f"no such file: {path}")])
        return build_ledger(read_csv_text(path), mapping=mapping, dayfirst=dayfirst,
                            decimal=decimal, sheet=path.name)
    rows, sheet_name, header_row = read_table_rows(source, sheet=sheet, table=table)
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
    source: str | Path | Workbook, *, sheet: str | None = None, table: str | None = None
) -> tuple[list[list[object]], str, int]:
    """Rows of a table or sheet, header first; the sheet's name; the header's row number."""
    with opened(source) as workbook:
        return _table_rows(workbook, sheet, table)


def _table_rows(workbook: Workbook, sheet: str | None,
                table: str | None) -> tuple[list[list[object]], str, int]:
    if sheet is None:
        tables = workbook.table_names()
        name = table or (INVOICE_TABLE if INVOICE_TABLE in tables else None)
        if name is not None:
            found = workbook.table(name)
            if found is None:
                raise DunningInputError([Issue(
                    f"{workbook.name} has no table named {name!r}; tables: "
                    f"{', '.join(tables) or 'none'}")])
            return [list(found.columns), *found.rows], found.sheet, found.header_row
    sheets = workbook.sheet_names()
    sheet_name = sheet or _default_sheet(sheets)
    if sheet_name not in sheets:
        raise DunningInputError([Issue(
            f"{workbook.name} has no sheet named {sheet_name!r}; sheets: {', '.join(sheets)}")])
    return workbook.sheet_rows(sheet_name), sheet_name, 1


def read_table_frame(source: str | Path | Workbook, table: str) -> pd.DataFrame | None:
    """An Excel table's values as a DataFrame (its headers as columns), None if it is absent."""
    with opened(source) as workbook:
        return table_frame(workbook, table)


def read_name_value_table(source: str | Path | Workbook, table: str) -> dict[str, object]:
    """A two-column table (such as Settings) as a dict of its first column to its second."""
    with opened(source) as workbook:
        return name_value_pairs(workbook, table)


def _default_sheet(names: list[str]) -> str:
    return INVOICE_TABLE if INVOICE_TABLE in names else names[0]
