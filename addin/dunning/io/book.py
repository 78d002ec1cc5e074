"""A client's workbook (or CSV export) opened for reporting: its ledger, settings and as-of date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dunning.core.errors import SETTINGS_SHEET, DunningInputError, Issue
from dunning.core.ledger import single_currency
from dunning.core.parse import parse_text
from dunning.core.uniqueness import repeated_invoices
from dunning.io.reading import read_invoices, read_table_frame, read_table_rows
from dunning.io.workbook import Workbook, opened
from dunning.sheets.settings import Settings, WorkbookSettings, read_settings_table

CUSTOMERS_TABLE = "Customers"


@dataclass(frozen=True)
class Book:
    """Everything a report needs, read once.

    `frame` holds the ledger's items (in one currency unless opened with
    `all_currencies`); `as_of` is the date given,
    else the workbook's As Of Date setting, else today. Every setting is in `settings`,
    typed: no part reads the Settings table's names and values again.
    """

    path: Path | None
    frame: pd.DataFrame
    settings: Settings
    as_of: dt.date | None  # None only when neither a date, the Settings nor `today` gave one
    issues: tuple[Issue, ...]


def open_book(
    source: str | Path | Workbook,
    *,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    sheet: str | None = None,
    table: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    mapping: Mapping[str, str] | None = None,
    all_currencies: bool = False,
    decimal: str = ".",
    unique_invoices: bool = False,
    currency_origin: str = "currency",
) -> Book:
    """Read a workbook's invoices and Settings, or a CSV's invoices with default settings.

    Reports total amounts, so by default the ledger is narrowed to one currency
    (`currency`, or the only one there is); `all_currencies` keeps every item,
    for work that never adds currencies together, such as reminders.
    The as-of date is `as_of`, else the Settings' As Of Date, else `today`: the
    caller passes today's date, since nothing below the command line reads the clock.
    A workbook's `settings` hold every setting (a `WorkbookSettings`, read once by
    `dunning.sheets.settings`): unusable values raise together, each naming its row, and
    rows not understood (an unknown name) are warnings in `issues`. A CSV's are the
    defaults (`Settings()`). With `unique_invoices` (for reports that add amounts up) an
    invoice number on two rows is an error naming both (`dunning.core.uniqueness`).
    A `currency` the ledger does not hold is refused naming `currency_origin`, where the
    caller got it (the command line passes "--currency").
    """
    path = Path(source) if isinstance(source, (str, Path)) else source.path
    is_csv = isinstance(source, (str, Path)) and path.suffix.lower() == ".csv"
    if is_csv and (sheet or table):
        raise DunningInputError([Issue(f"{path.name} is a CSV file: it has no sheets or "
                                       "tables to choose (leave out --sheet and --table)")])
    settings, warnings = Settings(), ()
    if is_csv:
        ledger = read_invoices(path, mapping=mapping, dayfirst=dayfirst, decimal=decimal)
        frame = ledger.frame
    else:
        with opened(source) as workbook:
            ledger = read_invoices(workbook, sheet=sheet, table=table, mapping=mapping,
                                   dayfirst=dayfirst, decimal=decimal)
            found = (read_table_rows(workbook, table=SETTINGS_SHEET)
                     if SETTINGS_SHEET in workbook.table_names() else None)
            customers = read_table_frame(workbook, CUSTOMERS_TABLE)
        record = WorkbookSettings()
        if found is not None:  # every setting, read once, each problem named by its row
            rows, settings_sheet, header_row, first_column = found
            record = read_settings_table(rows, sheet=settings_sheet, header_row=header_row,
                                         first_column=first_column)
        settings, warnings = record, record.warnings
        frame = with_customer_names(ledger.frame, customers)
    if unique_invoices:
        repeated = repeated_invoices(ledger.frame, sheet=ledger.source)
        if repeated:
            raise DunningInputError(repeated)
    day = as_of or settings.as_of or today
    if not all_currencies:
        frame = single_currency(frame, currency, origin=currency_origin)
    return Book(path, frame, settings, day, (*ledger.issues, *warnings))


def with_customer_names(frame: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """Names from the Customers table for items whose source gave only a customer id."""
    if customers is None or not {"Customer", "Name"} <= set(customers.columns):
        return frame
    ids = parse_text(customers["Customer"].to_numpy(dtype=object)).values  # 1001.0 -> "1001"
    names = dict(zip(ids, customers["Name"].map(lambda v: str(v or "").strip()), strict=True))
    if not any(names.values()):  # (the template's empty table: nothing to look up)
        return frame
    unnamed = frame["customer_name"] == frame["customer"]
    looked_up = frame["customer"].map(names).fillna("")
    return frame.assign(customer_name=frame["customer_name"].where(
        ~unnamed | (looked_up == ""), looked_up))
