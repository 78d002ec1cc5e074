"""A client's workbook (or CSV export) opened for reporting: its ledger, settings and as-of date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dunning.errors import DunningInputError, Issue
from dunning.ledger import single_currency
from dunning.reading import read_invoices, read_name_value_table, read_table_frame
from dunning.settings import SETTINGS_SHEET, Settings, settings_from_pairs

CUSTOMERS_TABLE = "Customers"


@dataclass(frozen=True)
class Book:
    """Everything a report needs, read once.

    `frame` holds the ledger's items (in one currency unless opened with
    `all_currencies`); `as_of` is the date given,
    else the workbook's As Of Date setting, else today. `settings_pairs` keeps
    the Settings table as read, for the parts (reminders) that read more of it.
    """

    path: Path
    frame: pd.DataFrame
    settings: Settings
    as_of: dt.date
    issues: tuple[Issue, ...]
    settings_pairs: Mapping[str, object] = field(default_factory=dict)


def open_book(
    path: str | Path,
    *,
    as_of: dt.date | None = None,
    sheet: str | None = None,
    table: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    mapping: Mapping[str, str] | None = None,
    all_currencies: bool = False,
    decimal: str = ".",
) -> Book:
    """Read a workbook's invoices and Settings, or a CSV's invoices with default settings.

    Reports total amounts, so by default the ledger is narrowed to one currency
    (`currency`, or the only one there is); `all_currencies` keeps every item,
    for work that never adds currencies together, such as reminders.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv" and (sheet or table):
        raise DunningInputError([Issue(f"{path.name} is a CSV file: it has no sheets or "
                                       "tables to choose (leave out --sheet and --table)")])
    ledger = read_invoices(path, sheet=sheet, table=table, mapping=mapping, dayfirst=dayfirst,
                           decimal=decimal)
    settings, pairs = Settings(), {}
    frame = ledger.frame
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        pairs = read_name_value_table(path, SETTINGS_SHEET)
        settings = settings_from_pairs(pairs)
        frame = with_customer_names(frame, read_table_frame(path, CUSTOMERS_TABLE))
    day = as_of or settings.as_of or dt.date.today()
    if not all_currencies:
        frame = single_currency(frame, currency)
    return Book(path, frame, settings, day, ledger.issues, pairs)


def with_customer_names(frame: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """Names from the Customers table for items whose source gave only a customer id."""
    if customers is None or not {"Customer", "Name"} <= set(customers.columns):
        return frame
    ids = customers["Customer"].map(lambda v: "" if v is None else str(v).strip())
    names = dict(zip(ids, customers["Name"].map(lambda v: str(v or "").strip()), strict=True))
    unnamed = frame["customer_name"] == frame["customer"]
    looked_up = frame["customer"].map(names).fillna("")
    return frame.assign(customer_name=frame["customer_name"].where(
        ~unnamed | (looked_up == ""), looked_up))
