"""Recognise an accounting system's report export in a grid of cells, and make it a ledger table.

Accounting systems export reports, not tables: QuickBooks' "Open Invoices" and
"A/R Aging Detail", Xero's "Aged Receivables Detail", Sage's aged debtors and
SAP's FBL5N line items begin with title lines, group their rows under customer
headings, add "Total for ..." rows, and some (Xero's invoice export) give one row
per line item. This module takes the file's cells as a grid (no header assumed)
and returns one clean row per document, ready for `dunning.core.ledger.build_ledger`.

Rules:

* The header row is the first of the top 60 rows that names at least three ledger
  fields (aliases of `dunning.core.columns`, this module's export fields, and aging
  bucket headings such as "1 - 30", "< 1 Month", "Period 2", "Older");
  `header_row` overrides the guess. Lines above it are titles: an "As of",
  "As at" or "Key date" line among them gives the export's date.
* Below the header: blank rows are skipped; a row holding one text cell is a
  group heading (the customer, when the table has no customer column); a row
  whose first text starts with "Total" (or "Totals", "Grand total") is a total and
  is checked: its amounts must equal the rows of its group ("Total for X"), or of
  the whole report (a bare "Total"); a difference is an error naming the line. A row
  with no date whose only text is a name heads a group and, when it carries amounts
  (Odoo's partner line), is the total of the rows under it (a heading over headings,
  Odoo's "Aged Receivable" line, is checked by its "Total X", else over all below it);
  a row of amounts with no text at all (ERPNext's unlabelled total) is the report total;
  a row with a customer and an amount but no document (SAP's account subtotal) is the
  total of that customer's rows above it. Lines of labels ("A/C:", "ABS001", "Name:"...)
  head Sage's sections ("Turnover:" lines are left out); single lines straight under a
  heading are its details (MYOB's card ID, phone, and terms such as "0% 0 Net 30",
  which then give the due dates). A bare "Total:" after a group is the group's, else
  the report's.
* Amounts: an open-amount column, else the sum of the aging bucket columns (with
  buckets, a "Total" column is the open total), else amount less paid. A document
  typed as a credit memo, credit note or payment is a credit: shown positive, it is
  made negative. Text amounts with a decimal comma ("1.250,00", SAP's "250,00-")
  are recognised by the file's amounts; dotted dates (31.12.2026) are day first.
* A due date missing from the whole export (Sage's aged debtors age by invoice
  date) is the invoice date plus the customer's terms (`terms`, else a "Terms"
  column such as "Net 30", else `default_terms`), said in a warning; a "Past Due"
  or "Aging" days column with the export's date gives it instead when present.
* Rows with one invoice number are one document when customer, type and dates
  agree (line items): an amount repeated on every line is the document's, taken
  once; amounts that differ are line amounts and are added (always, when the only
  amounts are line totals: FreshBooks' Line Total, a Date Paid then leaving nothing
  open). A row without a number that is a credit (by its type, or a negative amount)
  is known by kind and date ("Payment of 2026-11-02", "Credit of ..."). Different documents
  under one number are an error naming both lines, except rows that differ only in
  their due date: installments of one invoice, one row each ("S4 due 2026-11-09").
* Drafts and voided documents (a Status column) are left out, with a warning.
* A summary (one row per customer, no invoice numbers or dates) is refused: it
  holds no documents to remind anyone of.

Every problem is an `Issue` naming the file, its line and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dunning.core.amounts import money
from dunning.core.columns import (
    FIELD_ALIASES,
    FIELD_LABELS,
    MappingWords,
    match_fields,
    normal_header,
)
from dunning.core.errors import DunningInputError, Issue, column_letter
from dunning.core.parse import (
    AmbiguousDatesError,
    amount_from_text,
    is_blank,
    parse_amounts,
    parse_dates,
    parse_text,
)

HEADERS = ("Invoice No", "Customer", "Customer Name", "Invoice Date", "Due Date", "Amount",
           "Open Amount", "Settled Date", "Currency")
"""The table handed to the ledger builder: headers its aliases know."""

EXPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("transactiontype", "documenttype", "doctype", "vouchertype", "type", "transaction",
             "invoicetype", "entrytype"),
    "days_past_due": ("pastdue", "dayspastdue", "daysoverdue", "aging", "ageing", "agedays",
                      "agedays", "daysdue", "dayslate", "arrears", "arrearsdays"),
    "line_amount": ("lineamount", "linetotal", "itemtotal", "lineitemamount", "unitamount",
                    "itemamount", "lineamountnet"),
    "terms": ("terms", "paymentterms", "termsofpayment", "paymentterm"),
    "status": ("status", "invoicestatus", "documentstatus"),
}
_MORE_ALIASES: dict[str, tuple[str, ...]] = {
    # the names reports give that a plain ledger table does not: ERPNext's "Party", SAP's
    # short list headings ("Typ", "Net due dt", "Amount in DC"), Business Central's Excel
    # report's data columns (CustomerNumber, DocumentNo, RemainingAmount...)
    "customer": ("party",),
    "invoice": ("idno",),  # MYOB's "ID No."
    "type": ("typ",),
    "due_date": ("netduedt", "expecteddate"),  # Odoo 16+: "Expected Date", else the due date
    "amount": ("amountindc", "amountinloccurr"),
}
_FIELDS = {**FIELD_ALIASES, **EXPORT_ALIASES}
for _name, _extra in _MORE_ALIASES.items():  # before the names (ERPNext: Party, then its name)
    _cut = _FIELDS[_name].index("customername") if _name == "customer" else len(_FIELDS[_name])
    _FIELDS[_name] = (*_FIELDS[_name][:_cut], *_extra, *_FIELDS[_name][_cut:])
EXPORT_FIELDS = tuple(_FIELDS)
"""The fields `--map` may name: the ledger's and the export's own (type, days_past_due...)."""
_LABELS = {**FIELD_LABELS, "type": "document type", "days_past_due": "days past due",
           "line_amount": "line amount", "terms": "terms", "status": "status"}
_MAP_WORDS = MappingWords(
    unknown="unknown field {field!r} in --map; fields are: {fields}",
    absent="--map names {header!r} for the {field}, but line {row} has no such header; "
           "headers are: {headers}")

_BUCKET = re.compile(
    r"^(current|notdue(on\w*)?|notyetdue|future|older|olderthan\d+\w*|over\d+\w*|\d+(to)?\d+(days)?|"
    r"\d+days?|\d+plus(days)?|\d+andover|\d+\w*above|lessthan\d+months?|\d+months?|"
    r"\d+monthsandolder|period\d+|gt\d+|lt1month|\d+over|atdate)$")
_BUCKET_TEXT = re.compile(r"^\s*[<>]\s*\d+|^\s*\d+\s*\+|^\s*\d+\s*-\s*\d+|^\s*as\s+(of|at)\b",
                          re.I)  # Odoo's first bucket is headed "As of: 11/30/2026"
_TERMS_TEXT = re.compile(r"\bnet\s*\d+|\d+\s*%|\bc\.?o\.?d\b|\beom\b|due on receipt", re.I)
_NOT_OWED = {"draft", "void", "voided", "deleted", "cancelled", "canceled"}
_TOTAL = re.compile(r"^\s*(grand\s+|report\s+)?totals?\b[\s:]*(for\b\s*)?(?P<name>.*?)\s*:?\s*$",
                    re.I)
_STARS = re.compile(r"^\s*(\*+)\s*$")  # SAP list subtotals: * per account, ** and more overall
_AS_OF = re.compile(
    r"\b(as\s+of|as\s+at|as\s+on|at\s+key\s+date|key\s+date|open\s+items\s+at|stichtag|"
    r"report\s+date|ending|through|not\s+due\s+on)\b[\s:]*(?P<date>.+)$", re.I)
_CREDIT = re.compile(r"credit|gutschrift|refund|payment|receipt|^(cn|crn|sc|scr|sr|sa|dg|dz|pmt|"
                     r"cm|crm)$", re.I)
_NET_DAYS = re.compile(r"net\s*(\d{1,3})|(\d{1,3})", re.I)  # MYOB's "0% 0 Net 30": 30
HEADER_SCAN = 60
_UNSEEN = object()


@dataclass(frozen=True)
class Export:
    """One export, recognised: the ledger table, where each document came from, and its date.

    `rows` is the header (`HEADERS`) then one row per document; `lines[i]` is the
    file line of row i + 1's first line. `open_items_only` holds when every
    document is still open (an aging or open-invoices report): an invoice missing
    from such an export has been settled.
    """

    rows: list[list[object]]
    lines: list[int]
    header_line: int
    as_of: dt.date | None
    open_items_only: bool
    issues: tuple[Issue, ...] = field(default=())
    title: str = ""

    @property
    def documents(self) -> int:
        return len(self.rows) - 1


@dataclass
class _Columns:
    """Where each field is in the header row (0-based), and the aging bucket columns."""

    at: dict[str, int]
    buckets: list[int]
    headers: list[str]

    def header(self, index: int) -> str:
        return self.headers[index] if index < len(self.headers) else ""


def recognise_export(
    grid: Sequence[Sequence[object]],
    *,
    name: str,
    header_row: int | None = None,
    mapping: Mapping[str, str] | None = None,
    terms: Mapping[str, int] | None = None,
    default_terms: int = 30,
    as_of: dt.date | None = None,
    dayfirst: bool | None = None,
) -> Export:
    """The documents of an export's grid (rows of cells, line 1 first); see the module docstring.

    `name` (the file's name) places every message; `mapping` names a field's
    header (`{"due_date": "Net due"}`) when the aliases miss it; `as_of` is the
    date to use when the export has no "As of" line.
    """
    rows = [[(cell.strip() or None) if type(cell) is str and "\u00a0" not in cell
             else _clean(cell) for cell in row] for row in grid]
    if not any(not is_blank(cell) for row in rows for cell in row):
        raise DunningInputError([Issue(f"{name} is empty: expected an export with a header row "
                                       "and invoice rows")])
    head = _header_index(rows, name, header_row)
    columns, header_issues = _match(rows[head], name, head + 1, mapping or {})
    titles = [", ".join(str(cell) for cell in row if not is_blank(cell)) for row in rows[:head]]
    titles = [title for title in titles if title]
    found_date = _as_of(titles, dayfirst) or _as_of(
        [columns.header(i) for i in columns.buckets], dayfirst)  # Odoo's "As of: 11/30/2026"
    export_date = found_date or as_of
    _refuse_summary(columns, name, head + 1)
    reader = _Reader(rows, head, columns, name, dayfirst)
    reader.issues.extend(header_issues)
    reader.read()
    return reader.export(export_date, terms or {}, default_terms, titles)


def _clean(cell: object) -> object:
    if isinstance(cell, str):
        text = cell.strip().replace("\u00a0", " ")
        return text or None
    if isinstance(cell, float) and cell != cell:
        return None
    return cell


# ---------------------------------------------------------------- the header


_SUMMARY_OF = re.compile(r"^(sumof|maximumof|minimumof|averageof|countof)")


def _normal(header: object) -> str:
    """A header in normal form, less the "Sum of" / "Maximum of" a NetSuite summary search
    puts before its column labels ("Maximum of Due Date/Receive By")."""
    return _SUMMARY_OF.sub("", normal_header(header))


def _field_of(header: object) -> str | None:
    normal = _normal(header)
    if not normal:
        return None
    for field_name, aliases in _FIELDS.items():
        if normal in aliases:
            return field_name
    return None


def _is_bucket(header: object) -> bool:
    if not isinstance(header, str):
        return False
    return bool(_BUCKET.match(normal_header(header))) or bool(_BUCKET_TEXT.match(header))


def _score(row: Sequence[object]) -> int:
    """How many distinct ledger fields (or aging buckets) a row's cells name."""
    named = {_field_of(cell) for cell in row if isinstance(cell, str)} - {None}
    buckets = sum(1 for cell in row if _is_bucket(cell))
    return len(named) + min(buckets, 2)


def header_strength(grid: Sequence[Sequence[object]]) -> int:
    """How clearly a grid holds an export's header row: the most ledger fields one of its top
    rows names (0: none). A workbook's data sheet beats its title, pivot and caption sheets."""
    return max((_score([_clean(cell) for cell in row]) for row in grid[:HEADER_SCAN]),
               default=0)


def _header_index(rows: list[list[object]], name: str, header_row: int | None) -> int:
    if header_row is not None:
        if not 1 <= header_row <= len(rows):
            raise DunningInputError([Issue(
                f"--header-row {header_row} is outside the file, which has "
                f"{counted(len(rows), 'line')}",
                sheet=name)])
        return header_row - 1
    for index, row in enumerate(rows[:HEADER_SCAN]):
        if _score(row) >= 3:
            return index
    raise DunningInputError([Issue(
        f"no header row found in the first {HEADER_SCAN} lines: expected a line of headers "
        "such as Invoice No, Customer, Invoice Date, Due Date, Amount or Open Balance; name its "
        "line with --header-row N (and unknown headers with --map FIELD=HEADER)", sheet=name)])


def _match(header: list[object], name: str, line: int,
           mapping: Mapping[str, str]) -> tuple[_Columns, list[Issue]]:
    """The header row's fields (`match_fields` with the export's aliases; a wrong `--map`
    raised), then what a report's layout says of them; and the matcher's warnings."""
    headers = ["" if is_blank(cell) else str(cell) for cell in header]
    normal = [_normal(text) for text in headers]
    at, issues = match_fields(headers, _FIELDS, mapping, labels=_LABELS, words=_MAP_WORDS,
                              normal=_normal, sheet=name, header_row=line)
    errors = [issue for issue in issues if issue.severity == "error"]
    if errors:
        raise DunningInputError(errors)
    taken = set(at.values())
    buckets = [i for i, text in enumerate(header) if i not in taken and _is_bucket(text)]
    if buckets and "amount" in at and normal[at["amount"]] == "total" and "open_amount" not in at:
        at["open_amount"] = at.pop("amount")  # beside aging buckets, "Total" is what is open
    if "customer" in at and normal[at["customer"]] == "account" and "journal" in normal:
        del at["customer"]  # Odoo: Journal and Account are the ledger's; partners head groups
    if "customer_name" in at and "customer" not in at:
        at["customer"] = at.pop("customer_name")
    dated = "invoice_date" in at or "due_date" in at
    if "invoice" not in at and dated and headers and headers[0] == "" and 0 not in at.values():
        at["invoice"] = 0  # Odoo: the unheaded first column names each entry (INV/2026/00012)
        buckets = [i for i in buckets if i != 0]
    return _Columns(at, buckets, headers), issues


def _refuse_summary(columns: _Columns, name: str, line: int) -> None:
    at = columns.at
    if "invoice" not in at and "invoice_date" not in at and "due_date" not in at:
        raise DunningInputError([Issue(
            "this is a summary report (one row per customer, no invoice numbers or dates): "
            "Dunning needs the open invoices to age and remind them; export the detailed "
            "report instead (Xero: Aged Receivables Detail; QuickBooks: A/R Aging Detail or "
            "Open Invoices; Sage: Aged Debtors Detailed)", sheet=name, row=line)])


def _as_of(titles: list[str], dayfirst: bool | None) -> dt.date | None:
    for text in titles:
        match = _AS_OF.search(text)
        if match is None:
            continue
        day = _date_from_text(match.group("date"), dayfirst)
        if day is not None:
            return day
    return None


def _date_from_text(text: str, dayfirst: bool | None) -> dt.date | None:
    """The date a title line's tail holds ("key date 30.11.2026", "November 30, 2026")."""
    words = text.strip().rstrip(".").split()
    for start in range(min(len(words), 4)):
        found = _one_date(" ".join(words[start:]), dayfirst)
        if found is not None:
            return found
    return None


def _one_date(text: str, dayfirst: bool | None) -> dt.date | None:
    if not re.search(r"\d", text):
        return None
    parsed = parse_dates(np.array([text], dtype=object),
                         dayfirst=True if dayfirst is None and re.search(r"\d\.\d", text)
                         else dayfirst)
    if not parsed.bad[0] and not parsed.blank[0]:
        day = pd.Timestamp(parsed.values[0]).date()
        return day if day.year >= 1900 else None
    try:
        stamp = pd.to_datetime(text, dayfirst=bool(dayfirst), format="mixed")
    except (ValueError, OverflowError, TypeError):
        return None
    return None if pd.isna(stamp) or stamp.year < 1900 else stamp.date()


# ---------------------------------------------------------------- the body


@dataclass
class _Item:
    line: int
    invoice: str
    customer: str
    customer_name: str
    invoice_date: object
    due_date: object
    amount: float
    open_amount: float
    settled_date: object
    currency: str
    kind: str
    days_past_due: float
    terms: str


class _Reader:
    """Walks the rows below the header: groups, totals and documents, collecting issues."""

    def __init__(self, rows: list[list[object]], head: int, columns: _Columns, name: str,
                 dayfirst: bool | None) -> None:
        self.rows = rows
        self.head = head
        self.columns = columns
        self.name = name
        self.dayfirst = dayfirst
        self.issues: list[Issue] = []
        self.data: list[int] = []  # indexes of data rows
        self.group: dict[int, str] = {}  # data row index -> group heading above it
        self.decimal = "."
        self._numbers: dict[str, float | None] = {}
        self.totals: list[tuple[int, str, int, int]] = []  # line index, label, data start, end
        self._either: set[int] = set()  # bare "Total:" lines: their group's, else the report's
        self.group_terms: dict[str, str] = {}  # terms printed under a customer's heading (MYOB)
        self.lines_add_up = False  # the amounts are line totals (FreshBooks' Line Total)
        self.dated_by_due = False  # no invoice dates: each document is dated on its due date

    def _issue(self, message: str, index: int, column: int | None = None, *,
               value: object = None, severity: str = "error") -> Issue:
        header = None if column is None else self.columns.header(column) or None
        letter = None if column is None else column_letter(column)
        return Issue(message, severity=severity, sheet=self.name,  # type: ignore[arg-type]
                     row=index + 1, column=header, column_letter=letter, value=value)

    def read(self) -> None:
        """Sort the rows below the header into documents, group headings and totals.

        A total is checked later (`_check_totals`), against the documents from
        `start` to `end` in `self.data`: its group's, or the whole report's. A group
        heading that carries amounts (Odoo's partner line) is the total of the rows
        under it, up to the next heading or total.
        """
        self.decimal = self._decimal()
        at = self.columns.at
        dates = [at[f] for f in ("invoice_date", "due_date") if f in at]
        plain = set(self.columns.buckets) | {at[f] for f in (
            "amount", "open_amount", "paid_amount", "currency", "days_past_due") if f in at}
        heading = ""
        group_start = 0
        carried: tuple[int, str] | None = None  # a heading with amounts, still open
        run = ("", 0)  # the customer of the last rows read, and where its rows began
        heading_line = previous = -1  # the last heading's line, the last line read

        outer: dict[str, tuple[int, int]] = {}  # headings over headings: line, first row

        def close() -> None:
            nonlocal carried
            if carried is not None:
                if len(self.data) == group_start:  # Odoo's "Aged Receivable" line over partners
                    outer[carried[1]] = (carried[0], group_start)
                else:
                    self.totals.append((carried[0], carried[1], group_start, len(self.data)))
                carried = None

        for index in range(self.head + 1, len(self.rows)):
            row = self.rows[index]
            present = [(i, cell) for i, cell in enumerate(row) if cell is not None and cell != ""]
            if not present:
                continue
            first = next((cell for _, cell in present if isinstance(cell, str)), None)
            if not (len(present) == 1 and isinstance(present[0][1], str)):
                previous = index  # a heading line's details follow it directly
            if isinstance(first, str) and first[:1] in "*TtGgRr":
                stars = _STARS.match(first)
                total = _TOTAL.match(first) if present[0][1] == first else None
                if stars is not None or total is not None:
                    previous = index
                if stars is not None:
                    close()
                    whole = len(stars.group(1)) > 1
                    self.totals.append((index, "" if whole else "the account",
                                        0 if whole else group_start, len(self.data)))
                    if not whole:
                        group_start = len(self.data)
                    continue
                if total is not None:
                    carried_group = carried is not None  # its heading held the group's total
                    close()
                    label = total.group("name").strip()
                    if label and label != heading and label in outer:
                        line, start = outer.pop(label)  # "Total Aged Receivable": all under it
                        self.totals.append((index, label, start, len(self.data)))
                        group_start = len(self.data)
                        continue
                    in_group = len(self.data) > group_start
                    whole = bool(total.group(1)) or (label == "" and (
                        carried_group or not (heading and in_group)))
                    if label == "" and not whole:
                        self._either.add(index)
                    self.totals.append((index, "" if whole else label or heading,
                                        0 if whole else group_start, len(self.data)))
                    group_start = len(self.data)
                    continue
            if len(present) == 1 and isinstance(present[0][1], str):
                if heading_line == previous and heading:  # MYOB: card ID, phone, terms
                    if _TERMS_TEXT.search(present[0][1]):
                        self.group_terms[heading] = present[0][1].strip()
                    heading_line = previous = index
                    continue
                close()
                heading = _heading_name(present[0][1])
                group_start = len(self.data)
                heading_line = previous = index
                continue
            if dates and not any(i in dates and (not isinstance(cell, str) or any(
                    ch.isdigit() for ch in cell)) for i, cell in present):  # no date here
                words = [(i, cell) for i, cell in present if i not in plain and not (
                    isinstance(cell, (int, float)) or self._number(cell) is not None)]
                labelled = _labelled(present)
                if labelled is not None:  # Sage 50: "A/C:", "ABS001", "Name:", ..., "Tel:", ...
                    if labelled:
                        close()
                        heading = labelled
                        group_start = len(self.data)
                    continue  # or "Turnover:", "Credit Limit:": said of the customer, not owed
                who = row[at["customer"]] if "customer" in at and at["customer"] < len(row) \
                    else None
                number = row[at["invoice"]] if "invoice" in at and at["invoice"] < len(row) \
                    else None
                if not is_blank(who) and is_blank(number) and run[0] == str(who).strip():
                    close()  # SAP's customer subtotal: the account and its amount, no document
                    self.totals.append((index, f"customer {run[0]}", run[1], len(self.data)))
                    run = ("", len(self.data))
                    continue
                if not words:  # ERPNext's total row: amounts only, no label
                    close()
                    self.totals.append((index, "", 0, len(self.data)))
                    continue
                if len(words) == 1 and isinstance(words[0][1], str):
                    close()
                    heading = words[0][1]
                    group_start = len(self.data)
                    carried = (index, heading)
                    continue
            if "customer" in at:
                who = row[at["customer"]] if at["customer"] < len(row) else None
                who = "" if is_blank(who) else str(who).strip()
                if who != run[0]:
                    run = (who, len(self.data))
            self.data.append(index)
            self.group[index] = heading
        close()
        for label, (line, start) in outer.items():  # no "Total X" under it: X's line says it
            self.totals.append((line, label, start, len(self.data)))

    def _decimal(self) -> str:
        """"," when the file's text amounts use a decimal comma (1.250,00 or 250,00-)."""
        comma = point = 0
        money_columns = [self.columns.at[f] for f in ("amount", "open_amount", "paid_amount")
                         if f in self.columns.at] + self.columns.buckets
        for row in self.rows[self.head + 1:self.head + 2000]:
            for column in money_columns:
                cell = row[column] if column < len(row) else None
                if isinstance(cell, str):
                    comma += bool(re.search(r"\d,\d{2}-?$", cell))
                    point += bool(re.search(r"\d\.\d{2}-?$", cell))
        return "," if comma > point else "."

    def _number(self, cell: object) -> float | None:
        if isinstance(cell, str):
            cached = self._numbers.get(cell, _UNSEEN)
            if cached is _UNSEEN:
                cached = self._numbers[cell] = amount_from_text(cell, decimal=self.decimal)
            return cached  # type: ignore[return-value]
        if is_blank(cell):
            return None
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            return float(cell)
        if isinstance(cell, str):
            return amount_from_text(cell, decimal=self.decimal)
        return None

    def _check_totals(self, columns: dict[int, np.ndarray], credit: np.ndarray,
                      as_shown: set[int]) -> None:
        """Each total row's amounts must equal the documents it adds up (credits negative,
        except in the `as_shown` columns: what was paid is added as it stands)."""
        sums = {}
        for column, values in columns.items():
            signed = np.nan_to_num(values if column in as_shown else
                                   np.where(credit & (values > 0), -values, values))
            sums[column] = np.concatenate([[0.0], np.cumsum(signed)])
        def wrong(index: int, start: int, end: int) -> list[tuple[int, float, float]]:
            row = self.rows[index]
            found = []
            for column, running in sums.items():
                stated = self._number(row[column] if column < len(row) else None)
                if stated is None:
                    continue
                added = float(running[end] - running[start])
                if abs(round(added, 2) - stated) > 0.005:
                    found.append((column, stated, added))
            return found

        for index, label, start, end in self.totals:
            differences = wrong(index, start, end)
            if differences and index in self._either and not wrong(index, 0, end):
                continue  # a bare "Totals:" after the last group is the report's (Sage 50)
            row = self.rows[index]
            for column, stated, added in differences:
                what = f"the total for {label}" if label else "the report total"
                self.issues.append(self._issue(
                    f"{what} says {money(stated)} but the rows above it add up to "
                    f"{money(added)}: the export is incomplete or was edited; export it "
                    "again", index, column, value=row[column]))

    # documents -------------------------------------------------------------

    def _cells(self, at: int) -> np.ndarray:
        """Column `at`'s cells in the data rows (None past a short row's end)."""
        return np.array([self.rows[i][at] if at < len(self.rows[i]) else None
                         for i in self.data], dtype=object)

    def _column(self, field_name: str) -> np.ndarray | None:
        at = self.columns.at.get(field_name)
        return None if at is None else self._cells(at)

    def _amounts(self, field_name: str, column: int | None = None) -> np.ndarray | None:
        at = self.columns.at.get(field_name) if column is None else column
        if at is None:
            return None
        values = self._cells(at)
        parsed = parse_amounts(values, decimal=self.decimal)
        for position in np.flatnonzero(parsed.bad):
            example = "1.234,50 or 250,00-" if self.decimal == "," else "1,234.50 or (100.00)"
            self.issues.append(self._issue(f"expected an amount such as {example}",
                                           self.data[position], at, value=values[position]))
        return np.where(parsed.blank, np.nan, parsed.values)

    def _dates(self, field_name: str) -> np.ndarray | None:
        at = self.columns.at.get(field_name)
        if at is None:
            return None
        values = self._cells(at)
        dayfirst = self.dayfirst
        if dayfirst is None and (self.decimal == "," or any(
                isinstance(v, str) and re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", v)
                for v in values[:200])):
            dayfirst = True
        try:
            parsed = parse_dates(values, dayfirst=dayfirst)
        except AmbiguousDatesError as error:
            self.issues.append(self._issue(str(error), self.head, at))
            return np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
        for position in np.flatnonzero(parsed.bad):
            self.issues.append(self._issue(
                "expected a date (a date cell, or text such as 2026-03-31 or 31.03.2026)",
                self.data[position], at, value=values[position]))
        return parsed.values

    def _texts(self, field_name: str) -> np.ndarray:
        values = self._column(field_name)
        if values is None:
            return np.full(len(self.data), "", dtype=object)
        parsed = parse_text(values)
        return np.where(parsed.blank, "", parsed.values).astype(object)

    def export(self, export_date: dt.date | None, terms: Mapping[str, int],
               default_terms: int, titles: list[str]) -> Export:
        at = self.columns.at
        self._drop_unowed()
        count = len(self.data)
        invoices = self._texts("invoice")
        customers = self._texts("customer")
        names = self._texts("customer_name")
        kinds = self._texts("type")
        currencies = self._texts("currency")
        term_texts = self._texts("terms")
        for position, index in enumerate(self.data):  # blanks said by the group's heading
            if not term_texts[position] and self.group_terms:
                term_texts[position] = self.group_terms.get(self.group[index], "")
            if customers[position] == "":
                customers[position] = self.group[index]
            if customers[position] == "":
                self.issues.append(self._issue(
                    "no customer: the row has none and no customer heading is above it",
                    index, at.get("customer")))
        invoice_dates = self._dates("invoice_date")
        due_dates = self._dates("due_date")
        settled = self._dates("settled_date")
        amount = self._amounts("amount")
        open_amount = self._amounts("open_amount")
        paid = self._amounts("paid_amount")
        days = self._amounts("days_past_due")
        buckets = [self._amounts("", column) for column in self.columns.buckets]
        unnumbered: list[str] = []
        shown = next((v for v in (open_amount, amount) if v is not None), None)
        if shown is None and buckets:
            shown = np.nansum(np.vstack(buckets), axis=0)
        for position, index in enumerate(self.data):
            if "invoice" not in at or invoices[position] != "":
                continue
            kind = str(kinds[position])
            day = invoice_dates[position] if invoice_dates is not None else None
            below = shown is not None and np.nan_to_num(shown[position]) < 0
            if (_CREDIT.search(kind) or below) and day is not None and not pd.isna(day):
                # QuickBooks lists unapplied payments without a number, Xero's aged receivables
                # its credit notes: known by kind (else "Credit") and date
                invoices[position] = f"{kind or 'Credit'} of {pd.Timestamp(day).date().isoformat()}"
                unnumbered.append(invoices[position])
            else:
                self.issues.append(self._issue("missing invoice number", index, at["invoice"]))
        if unnumbered:
            one = len(unnumbered) == 1
            self.issues.append(Issue(
                f"{counted(len(unnumbered), 'payment or credit', 'payments or credits')} "
                f"{'has' if one else 'have'} no number; {'it' if one else 'each'} is known by "
                f"its kind and date (\"{unnumbered[0]}\")", severity="warning",
                sheet=self.name))
        credit = np.array([bool(_CREDIT.search(kind)) for kind in kinds], dtype=bool)
        column_total = open_amount is not None  # a Total column beside the buckets
        if buckets:  # Odoo 16+ leaves an entry's Total blank: its buckets say what is open
            added = np.nansum(np.vstack([b for b in buckets if b is not None]), axis=0)
            open_amount = added if open_amount is None else np.where(
                np.isnan(open_amount), added, open_amount)
        money_columns = {at[name]: values for name, values in (
            ("amount", amount), ("open_amount", open_amount if column_total else None),
            ("paid_amount", paid)) if values is not None}
        money_columns.update(zip(self.columns.buckets, buckets, strict=True))
        self._check_totals(money_columns, credit,  # type: ignore[arg-type]
                           {at["paid_amount"]} if paid is not None else set())
        if amount is None and open_amount is None and "line_amount" in at:
            amount = self._amounts("line_amount")  # FreshBooks: only each line's total
            self.lines_add_up = True
        if amount is None and open_amount is None:
            self.issues.append(Issue(
                "no amount column: expected a header such as Amount, Open Balance, Balance, "
                "Amount Due or aging buckets (Current, 1 - 30 ...); name yours with --map "
                "amount=\"Your Header\"", sheet=self.name, row=self.head + 1))
        errors = [issue for issue in self.issues if issue.severity == "error"]
        if errors:
            raise DunningInputError(errors)
        if amount is None:
            amount = open_amount.copy()  # type: ignore[union-attr]
        if open_amount is None and paid is None and settled is not None:
            open_amount = np.where(np.isnat(settled), amount, 0.0)  # a date paid: nothing open
        if open_amount is None:
            open_amount = amount - np.nan_to_num(paid) if paid is not None else amount.copy()
        open_amount = np.where(np.isnan(open_amount), amount - np.nan_to_num(
            paid if paid is not None else 0.0), open_amount)
        open_amount = np.where(np.isnan(open_amount), 0.0, open_amount)
        # a credit shown only by what it leaves open (ERPNext: a return or an advance payment
        # with Invoiced Amount 0 and Outstanding -300) is a credit of that size
        amount = np.where((np.nan_to_num(amount) == 0) & (open_amount < 0), open_amount, amount)
        flip = credit & (np.nan_to_num(amount) > 0)
        amount = np.where(flip, -amount, amount)
        open_amount = np.where(credit & (open_amount > 0), -open_amount, open_amount)
        notes: list[Issue] = [i for i in self.issues if i.severity != "error"]
        if invoice_dates is None and due_dates is not None:
            invoice_dates = due_dates.copy()  # Odoo's aged receivable shows due dates only
            self.dated_by_due = True
            notes.append(Issue("the export has no invoice dates: each document is dated on its "
                               "due date", severity="warning", sheet=self.name))
        if invoice_dates is None:
            invoice_dates = np.full(count, np.datetime64("NaT"), dtype="datetime64[ns]")
        if due_dates is None:  # a credit keeps none: the ledger dates it on its own date
            due_dates = self._derived_due(invoice_dates, days, export_date, customers,
                                          term_texts, terms, default_terms, notes)
            due_dates = np.where(np.nan_to_num(amount) < 0, np.datetime64("NaT", "ns"),
                                 due_dates)
        amounts = np.nan_to_num(amount).tolist()
        opens = np.round(open_amount.astype(float), 2).tolist()
        late = np.nan_to_num(days).tolist() if days is not None else [0.0] * count
        items = [
            _Item(index, invoices[p], customers[p], names[p],
                  invoice_dates[p], due_dates[p], amounts[p], opens[p],
                  settled[p] if settled is not None else np.datetime64("NaT"),
                  str(currencies[p]).upper(), str(kinds[p]), late[p], term_texts[p])
            for p, index in enumerate(self.data)
        ]
        if "invoice" not in at:
            for item in items:
                item.invoice = f"line {item.line + 1}"
            notes.append(Issue("the export has no invoice-number column; items are known by "
                               "their line (\"line 17\"), which changes between exports",
                               severity="warning", sheet=self.name))
        items = self._rolled_up(items)
        notes.extend(i for i in self.issues if i.severity != "error" and i not in notes)
        rows: list[list[object]] = [list(HEADERS)]
        lines: list[int] = []
        issued, due, cleared = (_days([getattr(item, name) for item in items])
                                for name in ("invoice_date", "due_date", "settled_date"))
        for item, issued_on, due_on, cleared_on in zip(items, issued, due, cleared, strict=True):
            rows.append([item.invoice, item.customer, item.customer_name or None,
                         issued_on, due_on, round(item.amount, 2),
                         item.open_amount, cleared_on, item.currency or None])
            lines.append(item.line + 1)
        open_only = bool(items) and all(abs(item.open_amount) > 0.005 for item in items)
        return Export(rows, lines, self.head + 1, export_date, open_only, tuple(notes),
                      titles[0] if titles else "")

    def _derived_due(self, invoice_dates: np.ndarray, days: np.ndarray | None,
                     export_date: dt.date | None, customers: np.ndarray, term_texts: np.ndarray,
                     terms: Mapping[str, int], default_terms: int,
                     notes: list[Issue]) -> np.ndarray:
        if days is not None and export_date is not None:
            day = np.datetime64(export_date, "ns")
            notes.append(Issue("the export has no due dates: each is the export's date less its "
                               "days past due", severity="warning", sheet=self.name))
            return day - (np.nan_to_num(days).astype("int64") * np.timedelta64(1, "D"))
        wanted = []
        for customer, text in zip(customers, term_texts, strict=True):
            given = terms.get(customer)
            if given is None and text:
                found = re.search(r"net\s*(\d{1,3})", text, re.I) or _NET_DAYS.search(text)
                given = int(next(g for g in found.groups() if g)) if found else None
            wanted.append(default_terms if given is None else given)
        notes.append(Issue(
            "the export has no due dates (it ages by invoice date): each due date is the invoice "
            "date plus the customer's terms (the Customers table's Terms Days, else the export's "
            f"Terms, else {default_terms} days); check them before sending reminders",
            severity="warning", sheet=self.name))
        return invoice_dates + np.array(wanted, dtype="int64") * np.timedelta64(1, "D")

    def _drop_unowed(self) -> None:
        """Drafts and voided documents (a Status column saying so) are owed by nobody."""
        statuses = self._texts("status")
        if not self.totals and any(str(s).strip().lower() in _NOT_OWED for s in statuses):
            kept = [i for i, s in zip(self.data, statuses, strict=True)
                    if str(s).strip().lower() not in _NOT_OWED]
            dropped = len(self.data) - len(kept)
            self.data = kept
            self.issues.append(Issue(
                "draft or voided documents are left out (nobody owes them): "
                f"{counted(dropped, 'line')}",
                severity="warning", sheet=self.name))

    def _installments(self, items: list[_Item]) -> None:
        """Rows under one number that differ only in their due date are one invoice's
        installments (ERPNext's payment terms, SAP's installment items): each is its own
        item, known by number and due date ("SINV-4 due 2026-11-09"), so a later export
        matches it again."""
        dues: dict[str, set[str]] = {}
        for item in items:
            dues.setdefault(item.invoice, set()).add(str(item.due_date))
        several = {n for n, found in dues.items() if len(found) > 1}
        groups: dict[str, list[_Item]] = {}
        for item in items:
            if item.invoice in several:
                groups.setdefault(item.invoice, []).append(item)
        split = 0
        for number, parts in groups.items():
            if len({(p.customer, "" if self.dated_by_due else str(p.invoice_date),
                     bool(_CREDIT.search(p.kind))) for p in parts}) != 1:
                continue  # different documents: refused below, naming both lines
            for part in parts:
                day = _day(part.due_date)
                part.invoice = f"{number} due {day.isoformat() if day else 'no date'}"
            split += 1
        if split:
            self.issues.append(Issue(
                "invoices due in installments (one row per due date) give one row per "
                f"installment, numbered with its due date: {counted(split, 'invoice')}",
                severity="warning", sheet=self.name))

    def _rolled_up(self, items: list[_Item]) -> list[_Item]:
        """One item per document: line items under one number merged, clashes refused."""
        if len({item.invoice for item in items}) == len(items):
            return items  # every number once: nothing to merge
        self._installments(items)
        first: dict[str, _Item] = {}
        seen: dict[str, list[_Item]] = {}
        order: list[str] = []
        errors: list[Issue] = []
        for item in items:
            held = first.get(item.invoice)
            if held is None:
                first[item.invoice] = item
                seen[item.invoice] = [item]
                order.append(item.invoice)
                continue
            if _identity(held) != _identity(item):
                errors.append(Issue(
                    f"invoice number {item.invoice} is on line {held.line + 1} ({_told(held)}) "
                    f"and on line {item.line + 1} ({_told(item)}): two different documents "
                    "under one number; correct the numbers in the accounting system",
                    sheet=self.name, row=item.line + 1,
                    column=self.columns.header(self.columns.at.get("invoice", 0)) or None))
                continue
            seen[item.invoice].append(item)
        if errors:
            raise DunningInputError(errors)
        merged = []
        for invoice in order:
            parts = seen[invoice]
            item = parts[0]
            if len(parts) > 1 and self.lines_add_up:  # line totals: always added
                item.amount = float(sum(p.amount for p in parts))
                item.open_amount = round(sum(p.open_amount for p in parts), 2)
            elif len(parts) > 1:
                item.amount = _whole(p.amount for p in parts)
                item.open_amount = round(_whole(p.open_amount for p in parts), 2)
            merged.append(item)
        return merged


_ACCOUNT_LABEL = re.compile(r"^\s*(a/?c|account|customer|client|debtor)(\s*(no\.?|code|id))?"
                            r"\s*:\s*", re.I)


def _heading_name(text: str) -> str:
    """A group heading's customer: "A/C: ABS001" is ABS001; other headings are as they are."""
    return _ACCOUNT_LABEL.sub("", text, count=1).strip() or text


def _labelled(present: list[tuple[int, object]]) -> str | None:
    """A line of labels and values ("A/C:", "ABS001", "Name:", ...): the customer it names
    ("" for a line of labels that names none), or None when the line is not such a line."""
    cells = [cell for _, cell in present]
    if not (isinstance(cells[0], str) and (cells[0].rstrip().endswith(":")
                                            or _ACCOUNT_LABEL.match(cells[0]))):
        return None
    for position, cell in enumerate(cells):
        if isinstance(cell, str) and _ACCOUNT_LABEL.fullmatch(cell.strip() + " "):
            following = cells[position + 1] if position + 1 < len(cells) else None
            return str(following).strip() if following is not None else ""
        if isinstance(cell, str) and _ACCOUNT_LABEL.match(cell) and cell.rstrip()[-1] != ":":
            return _heading_name(cell)
    return ""


def _whole(values: object) -> float:
    """A document's amount from its lines: the same on every line is the document's own."""
    numbers = list(values)  # type: ignore[call-overload]
    if all(abs(n - numbers[0]) < 0.005 for n in numbers):
        return float(numbers[0])
    return float(sum(numbers))


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """"1 line", "2 lines": a count with its noun in the number it takes (the import's
    warnings and errors count with this)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _identity(item: _Item) -> tuple[object, ...]:
    return (item.customer, str(item.invoice_date), str(item.due_date),
            bool(_CREDIT.search(item.kind)))


def _told(item: _Item) -> str:
    date = _day(item.invoice_date)
    kind = f"{item.kind}, " if item.kind else ""
    return f"{kind}{item.customer}, dated {date.isoformat() if date else 'no date'}"


def _days(values: list[object]) -> list[dt.date | None]:
    """Dates (numpy datetimes, NaT as None) as Python dates, in one conversion."""
    return np.array(values, dtype="datetime64[D]").tolist() if values else []


def _day(value: object) -> dt.date | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]
