"""Actions on a client's workbook file: what a command (and later a ribbon button) does.

Each action reads what it needs, decides in the core, and writes through the
lossless writer, so the workbook is changed in one atomic save or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd

from dunning.aging import open_balances
from dunning.book import open_book
from dunning.contactlog import CONTACT_LOG_TABLE, Contact, log_row
from dunning.customers import CUSTOMERS_TABLE, customers_frame
from dunning.errors import DunningInputError, Issue
from dunning.reading import read_table_frame
from dunning.xlsx import AppendResult, append_rows


def log_contact(path: str | Path, contact: Contact) -> AppendResult:
    """Append one contact (a call, a promise to pay, a dispute) to the workbook's ContactLog.

    The customer may be given by id or name, in any case, and must be one the
    workbook knows; invoice numbers must be that customer's. So a typo cannot
    start a log of a customer or a dispute of an invoice that does not exist.
    """
    book = open_book(path, all_currencies=True)
    ledger = book.frame
    customers = customers_frame(read_table_frame(path, CUSTOMERS_TABLE))
    customer = resolve_customer(contact.customer, ledger, customers)
    theirs = set(ledger.loc[ledger["customer"] == customer, "invoice"])
    unknown = [invoice for invoice in contact.invoices if invoice not in theirs]
    if unknown:
        raise DunningInputError([Issue(
            f"customer {customer} has no invoice {', '.join(unknown)} in the Invoices table")])
    balance = covered_balance(ledger, customer, contact.invoices, book.as_of)
    row = log_row(replace(contact, customer=customer, open_balance=balance))
    return append_rows(path, CONTACT_LOG_TABLE, [row])


def covered_balance(ledger: pd.DataFrame, customer: str, invoices: tuple[str, ...],
                    as_of: dt.date) -> float | None:
    """The open balance a contact is about: its invoices', else all the customer's.

    Recorded with the contact so that a promise can later be judged by what was
    paid since, even where the ledger does not date partial payments. None when
    the items are in more than one currency (amounts in different currencies
    are never added).
    """
    balance, is_open = open_balances(ledger, as_of)
    mine = (ledger["customer"] == customer).to_numpy()
    if invoices:
        mine = mine & ledger["invoice"].isin(invoices).to_numpy()
    chosen = mine & is_open
    if ledger.loc[chosen, "currency"].nunique() > 1:
        return None
    return round(float(balance[chosen].sum()), 2)


def resolve_customer(given: str, ledger: pd.DataFrame, customers: pd.DataFrame) -> str:
    """The customer id for what a user typed: an id or a name, in any case."""
    wanted = given.strip().casefold()
    names = pd.concat([
        ledger[["customer", "customer_name"]].rename(columns={"customer_name": "name"}),
        customers[["customer", "name"]],
    ]).drop_duplicates()
    for column in ("customer", "name"):
        found = sorted(set(names.loc[names[column].str.casefold() == wanted, "customer"]))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise DunningInputError([Issue(
                f"{given!r} could be any of the customers {', '.join(found)}: give the id")])
    raise DunningInputError([Issue(
        f"no customer {given!r} in the Invoices or Customers table (give its id or name)")])
