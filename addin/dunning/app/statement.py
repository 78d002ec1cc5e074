"""`dunning statement` and the ribbon's Statement button: one customer's statement as a PDF.

The statement is the one reminders attach (`dunning.render.statement`), written beside the
workbook as `Statement-<customer>-<date>.pdf` unless another file is named, and never over
an existing file unless asked to (`force`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from pathlib import Path
from typing import cast

import pandas as pd

from dunning.app.actions import ActionResult, resolve_customer
from dunning.app.attachments import firm_from_settings
from dunning.core.errors import DunningInputError, Issue
from dunning.io.book import open_book
from dunning.io.durability import write_atomically
from dunning.io.reading import read_table_frame
from dunning.io.workbook import Workbook, opened
from dunning.mail.drafts import safe_part
from dunning.render.statement import Addressee, statement_items, statement_pdf, statement_totals
from dunning.sheets.addresses import addresses_frame
from dunning.sheets.customers import CUSTOMERS_TABLE, customers_frame
from dunning.sheets.settings import WorkbookSettings

CLOSE_MATCHES = 5


def statement_path(book: Path, customer: str, as_of: dt.date) -> Path:
    """The default file: `Statement-<customer>-<date>.pdf` beside the workbook."""
    return book.with_name(f"Statement-{safe_part(customer, 'customer')}-{as_of:%Y-%m-%d}.pdf")


def write_statement(source: str | Path | Workbook, customer: str, *,
                    as_of: dt.date | None = None, today: dt.date | None = None,
                    out: Path | None = None, force: bool = False) -> ActionResult:
    """Write the statement of account of `customer` (id or name) as a PDF, in the customer's
    language (the Customers table's Language; English when blank or without words).

    The date is `as_of`, else the Settings' As Of Date, else `today` (as for the reports).
    An unknown customer is refused with the closest ids and names; an existing file is
    refused unless `force`.
    """
    with opened(source) as workbook:
        book = open_book(workbook, as_of=as_of, today=today, all_currencies=True)
        table = read_table_frame(workbook, CUSTOMERS_TABLE)
    if book.as_of is None:
        raise DunningInputError([Issue("say which day the statement is for (--as-of)")])
    customers = customers_frame(table)
    chosen = find_customer(customer, book.frame, customers)
    settings = cast(WorkbookSettings, book.settings)
    if out is None:
        if book.path is None:
            raise DunningInputError([Issue("save the workbook first: the statement is written "
                                           "beside it")])
        out = statement_path(book.path, chosen, book.as_of)
    if out.exists() and not force:
        raise DunningInputError([Issue(f"{out} already exists; pass --force to replace it, "
                                       "or --out to write another file")])
    addresses = addresses_frame(table)
    lines = dict(zip(addresses["customer"], addresses["address"], strict=True))
    named = customers.loc[customers["customer"] == chosen, "name"]
    in_ledger = book.frame.loc[book.frame["customer"] == chosen, "customer_name"]
    name = next((str(n) for n in [*named, *in_ledger] if str(n or "").strip()), chosen)
    person = Addressee(chosen, name=name, address=tuple(lines.get(chosen, ())))
    language = next((str(code) for code in customers.loc[customers["customer"] == chosen,
                                                         "language"] if str(code or "").strip()),
                    "en")
    data = statement_pdf(book.frame, person, firm_from_settings(settings), book.as_of,
                         edges=settings.bucket_edges, language=language)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, data)
    totals = statement_totals(statement_items(book.frame, chosen, book.as_of,
                                              edges=settings.bucket_edges))
    owed = "; ".join(f"{t.currency} {t.balance:,.2f} open, {t.overdue:,.2f} overdue".strip()
                     for t in totals) or "nothing open"
    return ActionResult("Statement", f"Statement of {chosen} as of {book.as_of:%Y-%m-%d} "
                        f"({owed}) written to {out}.", (), out)


def find_customer(given: str, ledger: pd.DataFrame, customers: pd.DataFrame) -> str:
    """The customer id for what was typed (an id or a name, any case), or an error that
    lists the closest ids and names."""
    try:
        return resolve_customer(given, ledger, customers)
    except DunningInputError as error:
        if not str(error.issues[0].message).startswith("no customer"):
            raise
    known = sorted({*ledger["customer"], *ledger["customer_name"], *customers["customer"],
                    *customers["name"]} - {""})
    folded = {_folded(name): name for name in known}
    wanted = _folded(given)
    near = difflib.get_close_matches(wanted, list(folded), n=CLOSE_MATCHES, cutoff=0.5)
    near += [name for name in folded if wanted and wanted in name and name not in near]
    shown = ", ".join(dict.fromkeys(folded[name] for name in near[:CLOSE_MATCHES]))
    raise DunningInputError([Issue(
        f"no customer {given!r} in the Invoices or Customers table"
        + (f"; did you mean {shown}?" if shown else " (give its id or name)"))])


_LETTERS = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d",
                          "ð": "d", "þ": "th", "ı": "i"})


def _folded(text: str) -> str:
    """Text compared loosely: lower case, accents and special letters as plain ones."""
    plain = unicodedata.normalize("NFKD", str(text).strip().casefold().translate(_LETTERS))
    return "".join(char for char in plain if not unicodedata.combining(char))
