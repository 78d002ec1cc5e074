"""`dunning import`: an accounting system's export into a client workbook, kept in step.

The export is read whole and recognised (`dunning.core.exports`) before anything
is written; then the workbook's Invoices table is brought in line with it, in one
atomic save through the lossless writer:

* an invoice the workbook does not hold is appended (and its customer to the
  Customers table, when new);
* an invoice whose open balance changed gets its Paid cell set to Amount less the
  new balance (a Settled Date it had is cleared, since it is open again); one the
  export shows paid gets Paid = Amount and a Settled Date (the export's own, else
  the export's date);
* an invoice still open in the workbook but missing from an open-items export
  (every item in it open: an aging or open-invoices report) has been settled:
  Paid = Amount, Settled Date = the export's date (its "As of" line, else
  `as_of`; with neither the import is refused, since no date can be made up);
* nothing else is touched: other columns (Disputed, Notes, Written Off), and the
  ContactLog, Customers rows, Settings and every other sheet stay byte for byte.

Customers named in the export by name are matched to the Customers table's codes
by their Name, so a QuickBooks export lands on the codes the workbook uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from dunning.core.errors import DunningInputError, Issue
from dunning.core.exports import EXPORT_FIELDS, Export, counted, recognise_export
from dunning.core.ledger import build_ledger
from dunning.core.parse import parse_text
from dunning.io.export_files import read_export_grid
from dunning.io.reading import INVOICE_TABLE, read_invoices
from dunning.io.workbook import FileWorkbook, table_frame

CUSTOMERS_TABLE = "Customers"
DEFAULT_TERMS_DAYS = 30
SHOWN = 10


@dataclass(frozen=True)
class ImportResult:
    """What an import changed, by invoice number, and what it noticed."""

    book: Path
    source: str
    as_of: dt.date | None
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_customers: list[str] = field(default_factory=list)
    open_items_only: bool = False
    issues: tuple[Issue, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.settled or self.new_customers)

    def message(self) -> str:
        """The summary printed after an import: counts, then which invoices."""
        lines = [f"Imported {self.source} into {self.book.name}: {len(self.new)} new, "
                 f"{len(self.updated)} updated, {len(self.settled)} settled, "
                 f"{len(self.unchanged)} unchanged."]
        for label, numbers in (("New", self.new), ("Updated", self.updated),
                               ("Settled", self.settled), ("New customers", self.new_customers)):
            if numbers:
                more = f" and {len(numbers) - SHOWN} more" if len(numbers) > SHOWN else ""
                lines.append(f"  {label}: {', '.join(numbers[:SHOWN])}{more}")
        if self.settled and self.as_of:
            lines.append(f"  (settled on {self.as_of.isoformat()}: missing from an "
                         "open-items export)")
        if not self.changed:
            lines.append("  The workbook already matched the export; nothing was written.")
        return "\n".join(lines)


def import_export(
    source: str | Path,
    book: str | Path,
    *,
    as_of: dt.date | None = None,
    header_row: int | None = None,
    mapping: Mapping[str, str] | None = None,
    dayfirst: bool | None = None,
    default_terms: int = DEFAULT_TERMS_DAYS,
    backups: int = 1,
) -> ImportResult:
    """Import the export at `source` into the client workbook `book` (see the module docstring)."""
    source, book = Path(source), Path(book)
    notes: list[Issue] = []
    grid = read_export_grid(source, notes=notes)
    with FileWorkbook(book, backups=backups) as workbook:
        existing = read_invoices(workbook, table=INVOICE_TABLE).frame
        customers = table_frame(workbook, CUSTOMERS_TABLE)
        ids, terms = _customer_lookups(customers)
        export = recognise_export(grid, name=source.name, header_row=header_row,
                                  mapping=mapping, terms=terms, default_terms=default_terms,
                                  as_of=as_of, dayfirst=dayfirst)
        imported = _ledger(export, source.name)
        imported = imported.assign(customer=imported["customer"].map(lambda c: ids.get(c, c)))
        plan = _Plan(existing, imported, export, ids)
        result = plan.result(book, source.name, (*notes, *export.issues))
        for table, rows in ((INVOICE_TABLE, plan.appends), (CUSTOMERS_TABLE, plan.customers)):
            if rows:
                workbook.append_rows(table, rows)
        if plan.updates:
            workbook.update_cells(INVOICE_TABLE, plan.updates)
        workbook.save()
    return result


def import_mapping(pairs: Mapping[str, str]) -> dict[str, str]:
    """`--map` pairs as field to header: FIELD=HEADER, or HEADER=FIELD when only the right
    side names a field (`--map "Net due"=due_date`)."""
    mapping = {}
    for left, right in pairs.items():
        if left not in EXPORT_FIELDS and right in EXPORT_FIELDS:
            left, right = right, left
        mapping[left] = right
    return mapping


def _customer_lookups(customers: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, int]]:
    """Customer code by name (and by code), and terms in days by code and by name."""
    if customers is None or "Customer" not in customers.columns:
        return {}, {}
    codes = parse_text(customers["Customer"].to_numpy(dtype=object)).values
    names = [str(v or "").strip() for v in customers.get("Name", pd.Series([""] * len(codes)))]
    raw_terms = customers.get("Terms Days", pd.Series([None] * len(codes)))
    ids: dict[str, str] = {}
    terms: dict[str, int] = {}
    for code, name, days in zip(codes, names, raw_terms, strict=True):
        if not code:
            continue
        ids[code] = code
        if name:
            ids.setdefault(name, code)
        if isinstance(days, (int, float)) and days == days and not isinstance(days, bool):
            terms[code] = int(days)
            if name:
                terms.setdefault(name, int(days))
    return ids, terms


def _ledger(export: Export, name: str) -> pd.DataFrame:
    """The export's documents as a ledger frame, every message placed on the file's line."""

    def placed(issue: Issue) -> Issue:
        if issue.row is None or not 2 <= issue.row < len(export.lines) + 2:
            return dataclasses.replace(issue, sheet=name)
        return dataclasses.replace(issue, sheet=name, row=export.lines[issue.row - 2],
                                   column=None, column_letter=None)

    try:
        ledger = build_ledger(export.rows, sheet=name, header_row=1)
    except DunningInputError as error:
        raise DunningInputError([placed(issue) for issue in error.issues]) from None
    frame = ledger.frame
    return frame.assign(row=np.array(export.lines, dtype="int64")[: len(frame)])


class _Plan:
    """The rows to append and the cells to set, computed before anything is written."""

    def __init__(self, existing: pd.DataFrame, imported: pd.DataFrame, export: Export,
                 ids: dict[str, str]) -> None:
        self.export = export
        self.appends: list[dict[str, object]] = []
        self.customers: list[dict[str, object]] = []
        self.updates: dict[int, dict[str, object]] = {}
        self.new: list[str] = []
        self.updated: list[str] = []
        self.settled: list[str] = []
        self.unchanged: list[str] = []
        self.date = export.as_of
        self.notes: list[Issue] = []
        latest = existing["settled_date"].max() if len(existing) else pd.NaT
        if self.date is not None and not pd.isna(latest) and latest.date() > self.date:
            self.notes.append(Issue(
                f"this export is dated {self.date.isoformat()}, before invoices the workbook "
                f"already marks settled on {latest.date().isoformat()}: importing an older "
                "export sets balances back to what they were then", severity="warning"))
        held = _by_invoice(existing)
        undated: list[tuple[str, dict[str, object]]] = []  # settled, waiting for the date
        for item in _items(imported):
            invoice = item.invoice
            found = held.pop(invoice, None)
            open_now = round(item.open_amount, 2)
            settled_on = item.settled_date
            paid_up = abs(open_now) < 0.005
            if found is None:
                self.new.append(invoice)
                row_values = _new_row(item, settled_on)
                self.appends.append(row_values)
                if paid_up and settled_on is None:
                    undated.append((invoice, row_values))
                continue
            row, amount, was_open, was_settled, customer = found
            if customer != item.customer:
                self.notes.append(Issue(
                    f"invoice {invoice} is {customer}'s in the workbook but {item.customer}'s "
                    "in the export; the workbook's customer is kept (correct one of them)",
                    severity="warning", sheet=INVOICE_TABLE, row=row, column="Customer"))
            if abs(was_open - open_now) < 0.005:
                self.unchanged.append(invoice)
                continue
            self.updated.append(invoice)
            if paid_up:
                self.updates[row] = {"Paid": amount, "Settled Date": settled_on}
                if settled_on is None:
                    undated.append((invoice, self.updates[row]))
            else:
                paid = round(amount - open_now, 2)
                self.updates[row] = {"Paid": paid or None,
                                     **({"Settled Date": None} if was_settled else {})}
        if export.open_items_only:
            for invoice, (row, amount, was_open, _, _) in held.items():
                if abs(was_open) >= 0.005:
                    self.settled.append(invoice)
                    self.updates[row] = {"Paid": amount, "Settled Date": None}
                    undated.append((invoice, self.updates[row]))
        if undated and self.date is None:
            listed = ", ".join(invoice for invoice, _ in undated[:5])
            raise DunningInputError([Issue(
                f"{counted(len(undated), 'invoice')} ({listed}) "
                f"{'is' if len(undated) == 1 else 'are'} settled by this export, but it has no "
                "\"As of\" date line: give the export's date with --as-of YYYY-MM-DD")])
        for _, values in undated:
            values["Settled Date"] = self.date
        self._new_customers(imported, ids)

    def _new_customers(self, imported: pd.DataFrame, ids: dict[str, str]) -> None:
        known = set(ids.values())
        seen: set[str] = set()
        added = imported["invoice"].isin(set(self.new)).to_numpy()
        for code, name in zip(imported["customer"][added], imported["customer_name"][added],
                              strict=True):
            if code in known or code in seen:
                continue
            seen.add(code)
            self.customers.append({"Customer": code, "Name": name if name != code else None})

    def result(self, book: Path, source: str, issues: tuple[Issue, ...]) -> ImportResult:
        return ImportResult(book, source, self.date, self.new, self.updated, self.settled,
                            self.unchanged, [row["Customer"] for row in self.customers],
                            self.export.open_items_only, (*issues, *self.notes))


def _by_invoice(frame: pd.DataFrame) -> dict[str, tuple[int, float, float, bool, str]]:
    """The workbook's invoices by number: sheet row, amount, open balance, settled or not,
    customer."""
    held: dict[str, tuple[int, float, float, bool, str]] = {}
    repeated: list[Issue] = []
    for item in _items(frame):
        invoice = item.invoice
        if invoice in held:
            repeated.append(Issue(
                f"invoice number {invoice} is on rows {held[invoice][0]} and {item.row}: the "
                "workbook must hold each invoice once before an import can keep it in step",
                sheet=INVOICE_TABLE, row=int(item.row), column="Invoice No"))
            continue
        held[invoice] = (item.row, item.amount, round(item.open_amount, 2),
                         item.settled_date is not None, item.customer)
    if repeated:
        raise DunningInputError(repeated)
    return held


class _Item(NamedTuple):
    """One ledger row as plain Python values (a quicker walk than pandas' itertuples)."""

    invoice: str
    customer: str
    invoice_date: dt.date | None
    due_date: dt.date | None
    amount: float
    open_amount: float
    settled_date: dt.date | None
    currency: str
    row: int


def _items(frame: pd.DataFrame) -> list[_Item]:
    def days(column: str) -> list[dt.date | None]:
        return frame[column].to_numpy(dtype="datetime64[D]").tolist()  # NaT: None

    columns = (frame["invoice"].astype(str).tolist(), frame["customer"].astype(str).tolist(),
               days("invoice_date"), days("due_date"),
               frame["amount"].to_numpy(dtype=float).tolist(),
               frame["open_amount"].to_numpy(dtype=float).tolist(), days("settled_date"),
               frame["currency"].astype(str).tolist(), frame["row"].astype(int).tolist())
    return list(map(_Item._make, zip(*columns, strict=True)))


def _new_row(item: _Item, settled_on: dt.date | None) -> dict[str, object]:
    amount = round(item.amount, 2)
    open_now = round(item.open_amount, 2)
    paid = round(amount - open_now, 2)
    return {
        "Invoice No": item.invoice,
        "Customer": item.customer,
        "Invoice Date": item.invoice_date,
        "Due Date": item.due_date,
        "Amount": amount,
        "Paid": paid or None,
        "Currency": item.currency or None,
        "Settled Date": settled_on if abs(open_now) < 0.005 else None,
    }
