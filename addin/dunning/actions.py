"""Actions on a client's workbook file: what a command (and later a ribbon button) does.

Each action reads what it needs, decides in the core, and writes through the
lossless writer, so the workbook is changed in one atomic save or not at all.
"""

from __future__ import annotations

from pathlib import Path

from dunning.book import open_book
from dunning.contactlog import CONTACT_LOG_TABLE, Contact, log_row
from dunning.customers import CUSTOMERS_TABLE, customers_frame
from dunning.errors import DunningInputError, Issue
from dunning.reading import read_table_frame
from dunning.xlsx import AppendResult, append_rows


def log_contact(path: str | Path, contact: Contact) -> AppendResult:
    """Append one contact (a call, a promise to pay, a dispute) to the workbook's ContactLog.

    The customer must be one the workbook knows (in Invoices or Customers), so a
    typo cannot start a log of a customer that does not exist.
    """
    row = log_row(contact)
    known = set(open_book(path).frame["customer"])
    known |= set(customers_frame(read_table_frame(path, CUSTOMERS_TABLE))["customer"])
    if contact.customer.strip() not in known:
        raise DunningInputError([Issue(
            f"no customer {contact.customer!r} in the Invoices or Customers table",
            sheet=CUSTOMERS_TABLE, column="Customer")])
    return append_rows(path, CONTACT_LOG_TABLE, [row])
