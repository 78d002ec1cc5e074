"""A small client workbook for statements, invoice copies and letters (issue 14).

Two customers as of 2026-11-23: LDZ01, "Łódź Sp. z o.o.", with a part-paid invoice 53 days
past due, one 14 days past due, one not yet due, a credit note and a paid invoice; and
AER02, "Ærø Handel ApS", whose Channel is letter. The Customers table has its postal
columns (Address, Postcode, City, Country, Channel, as the template has them) filled in, and
the Settings table the rows the features read (the template leaves them out), added with
openpyxl.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from dunning.io.client_workbook import build_workbook

AS_OF = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)  # a Monday, in the window
FIRM = "Harbour & Pine Trading Ltd"
FIRM_ADDRESS = "12 Quay Street\nBristol BS1 4DJ\nUnited Kingdom"
INSTRUCTIONS = "IBAN GB00 NWBK 0000 0000 0000 00, reference: your invoice number"
LINK = "https://pay.example.com/{customer}?amount={amount}&currency={currency}"

INVOICES = [
    # number, customer, invoice date, due date, amount, paid, settled
    ("INV-000", "LDZ01", "2026-08-01", "2026-08-31", "500.00", "500.00", "2026-08-30"),
    ("INV-001", "LDZ01", "2026-09-01", "2026-10-01", "1200.00", "200.00", ""),
    ("INV-002", "LDZ01", "2026-10-10", "2026-11-09", "850.50", "0", ""),
    ("INV/2026/003", "LDZ01", "2026-11-10", "2026-12-10", "640.25", "0", ""),
    ("CN-004", "LDZ01", "2026-10-20", "", "-150.00", "0", ""),
    ("INV-101", "AER02", "2026-09-15", "2026-10-15", "2400.00", "0", ""),
]
CUSTOMERS = [
    # id, name, contact, email, language, zone, address, postcode, city, country, channel
    ("LDZ01", "Łódź Sp. z o.o.", "Anna Nowak", "anna@lodz.example", "en", "Europe/Warsaw",
     "ul. Piotrkowska 104\nlok. 5", "90-001", "Łódź", "Poland", ""),
    ("AER02", "Ærø Handel ApS", "Jens Ølgaard", "jens@aero.example", "en", "Europe/Copenhagen",
     "Vestergade 3", "5970", "Ærøskøbing", "Denmark", "letter"),
]
POSTAL_HEADERS = ("Address", "Postcode", "City", "Country", "Channel")


def documents_book(path: Path, settings: dict[str, object] | None = None) -> Path:
    """The workbook at `path`, with `settings` added to the Settings table."""
    invoices = pd.DataFrame([{
        "Invoice No": number, "Customer": customer, "Invoice Date": issued, "Due Date": due,
        "Amount": amount, "Paid": paid, "Currency": "EUR", "Disputed": "No",
        "Settled Date": settled, "Written Off": "No", "Notes": ""}
        for number, customer, issued, due, amount, paid, settled in INVOICES])
    customers = pd.DataFrame([{
        "Customer": c[0], "Name": c[1], "Contact Name": c[2], "Contact Email": c[3],
        "Language": c[4], "Time Zone": c[5], "Opt Out": "No", "Do Not Contact": "No",
        **dict(zip(POSTAL_HEADERS, c[6:], strict=True))} for c in CUSTOMERS])
    build_workbook(path, client="Sample", invoices=invoices, customers=customers,
                   settings={"Company Name": FIRM, "Sender Name": "Ana Ruiz",
                             "Sender Email": "accounts@harbour-pine.example",
                             "Payment Instructions": INSTRUCTIONS})
    extra = {"Company Address": FIRM_ADDRESS, **(settings or {})}
    book = openpyxl.load_workbook(path)
    settings_sheet = book["Settings"]
    found = settings_sheet.tables["Settings"]
    start, end = found.ref.split(":")
    end_row = int("".join(ch for ch in end if ch.isdigit()))
    column = "".join(ch for ch in start if ch.isalpha())
    index = openpyxl.utils.column_index_from_string(column)
    for offset, (name, value) in enumerate(extra.items(), start=1):
        settings_sheet.cell(end_row + offset, index, name)
        settings_sheet.cell(end_row + offset, index + 1, value)
    end_column = "".join(ch for ch in end if ch.isalpha())
    found.ref = f"{start}:{end_column}{end_row + len(extra)}"
    book.save(path)
    return path


def open_amount(number: str) -> float:
    """An item's open amount, from the rows above (amount less paid)."""
    row = next(item for item in INVOICES if item[0] == number)
    return round(float(row[4]) - float(row[5]), 2)
