"""The ledger: one clean row per invoice or credit note, whatever the source looked like.

Every other part of Dunning (aging, KPIs, reminders, the worklist) reads this
frame and nothing else, so all the mess of real exports (aliases, text amounts,
serial dates, padding rows) is dealt with once, here and in `dunning.core.columns`
and `dunning.core.parse`.

Columns of `Ledger.frame`:

    invoice          str        invoice or credit-note number, as text (leading zeros kept)
    customer         str        customer id (or name when the source has no id)
    customer_name    str        display name; the id when the source has no name
    invoice_date     datetime64 document date, midnight
    due_date         datetime64 net due date, midnight (a credit note without one: its date)
    amount           float64    original amount; negative for a credit note
    open_amount      float64    what is still open today, after payments and applied credits
    settled_date     datetime64 when the item was cleared in full, NaT if open or unknown
    currency         str        ISO code or "" when the source has none
    disputed         bool       an open dispute on the item
    written_off      bool       written off as bad debt
    collection_cost  float64    collection costs recorded against the item (0 when none)
    billing          str        how the invoice was sent, e.g. "Paper" or "Electronic" ("" unknown)
    row              int64      the row number in the source, as the user sees it
    (only when the source has them, after `row`:)
    hold_until       datetime64 reminders about the item wait through this day (NaT: no hold)
    hold_reason      str        why it is held ("" when none given)
    payment_link     str        the item's own payment link, winning over Payment Link ("" none)

`open_balance(frame, as_of)` gives each item's balance on a past date: items not
yet issued count nothing, items settled after that date count in full (the
dates of partial payments are not known, so a partly paid item with a later
settlement date counts in full before it), everything else its open amount.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from dunning.core.columns import FIELD_LABELS, Column, match_columns
from dunning.core.errors import DunningInputError, Issue
from dunning.core.parse import (
    AMOUNT_RANGE,
    DATE_RANGE,
    AmbiguousDatesError,
    Parsed,
    amount_from_text,
    arrow_ids,
    blank_mask,
    is_arrow_text,
    is_blank,
    parse_amounts,
    parse_dates,
    parse_flags,
    parse_text,
    shown_value,
)
from dunning.core.rows import RowColumns
from dunning.core.uniqueness import has_repeats

LEDGER_COLUMNS: tuple[str, ...] = (
    "invoice",
    "customer",
    "customer_name",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
    "settled_date",
    "currency",
    "disputed",
    "written_off",
    "collection_cost",
    "billing",
    "row",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("hold_until", "hold_reason", "payment_link")
"""Columns a ledger has only when its source has them (after LEDGER_COLUMNS): an invoice's
hold and its own payment link."""

_DATE_FIELDS = frozenset({"invoice_date", "due_date", "settled_date", "hold_until"})

DateLike = dt.date | dt.datetime | pd.Timestamp | str


@dataclass(frozen=True)
class Ledger:
    """A clean invoice table and what was noticed while building it.

    `issues` holds warnings and skipped rows; errors never get this far (they
    raise `DunningInputError`).
    """

    frame: pd.DataFrame
    issues: tuple[Issue, ...] = field(default=())
    source: str = "Invoices"

    def __len__(self) -> int:
        return len(self.frame)


def as_timestamp(value: DateLike) -> pd.Timestamp:
    """Midnight of a date given as a date, datetime, Timestamp or ISO text."""
    return pd.Timestamp(value).normalize()


def single_currency(frame: pd.DataFrame, currency: str | None = None, *,
                    origin: str = "currency") -> pd.DataFrame:
    """The items in one currency, so that amounts may be added up.

    With `currency` None the ledger must hold one currency code; a blank code is
    taken to be that currency (most workbooks only fill it in when it differs).
    Several codes without a choice raise `DunningInputError`: adding dollars to
    euros is never right. A code the ledger does not hold is refused naming `origin`,
    where the caller got it (the command line's "--currency"), not the Currency column,
    and the codes the ledger does hold.
    """
    codes = frame["currency"]
    named = sorted({code for code in pd.unique(codes.array) if code})  # (Arrow text stays so)
    if currency is None:
        if len(named) > 1:
            raise DunningInputError([Issue(
                f"the invoices are in several currencies ({', '.join(named)}): "
                f"choose one to total (command line: --currency {named[0]}; Python: "
                f"currency='{named[0]}')", column="Currency")])
        return frame
    wanted = currency.strip().upper()
    if wanted not in named:
        held = f"the ledger holds {', '.join(named)}" if named else "the ledger names no currency"
        raise DunningInputError([Issue(f"{origin} {wanted}: no invoices in {wanted}; {held}")])
    keep = ((codes == wanted) | ((codes == "") & (len(named) == 1))).to_numpy(dtype=bool)
    return frame.loc[keep]


_TEXT = pd.api.types.pandas_dtype(str)
NAT_INT = np.iinfo(np.int64).min
"""NaT as a date column's int64 view holds it: the least int64, before any date."""


def _text_now(values: object) -> object:
    """Arrow text as the ledger's `str` dtype already (the array's own astype, which is what
    `frame.astype(str)` does to it), so that the whole frame need not be cast."""
    if isinstance(getattr(values, "dtype", None), pd.StringDtype) and values.dtype != _TEXT:
        return values.astype(_TEXT)  # type: ignore[attr-defined]
    return values


def day_value(day: np.datetime64, dates: np.ndarray) -> int:
    """`day` as an integer in the resolution of `dates`, to compare with their int64 view.

    Dates are compared as integers: numpy's datetime comparison checks every value for NaT
    and is about 8 times slower; NaT, the least int64, is never after a day, and where it
    would be on or before one it is left out, so each mask is the datetime comparison's."""
    return int(day.astype(dates.dtype).astype(np.int64))


def dates_after(dates: np.ndarray, day: np.datetime64) -> np.ndarray:
    """`dates > day` for a numpy date array (NaT never)."""
    return dates.view(np.int64) > day_value(day, dates)


def dates_on_or_before(dates: np.ndarray, day: np.datetime64) -> np.ndarray:
    """`dates <= day` for a numpy date array (NaT never)."""
    values = dates.view(np.int64)
    return (values <= day_value(day, dates)) & (values != NAT_INT)


def _versus(column: pd.Series, day: pd.Timestamp, *, after: bool) -> np.ndarray:
    """`column > day` (or `<= day`) as a mask, NaT never either; in numpy for a date column."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        dates, moment = column.to_numpy(), day.to_datetime64()
        return dates_after(dates, moment) if after else dates_on_or_before(dates, moment)
    return ((column > day) if after else (column <= day)).to_numpy()


def open_balance(frame: pd.DataFrame, as_of: DateLike) -> np.ndarray:
    """Each item's open balance at the end of `as_of` (see the module docstring)."""
    day = as_timestamp(as_of)
    issued = _versus(frame["invoice_date"], day, after=False)
    settled_later = _versus(frame["settled_date"], day, after=True)
    amount = frame["amount"].to_numpy(dtype=float)
    still_open = frame["open_amount"].to_numpy(dtype=float)
    return np.where(issued, np.where(settled_later, amount, still_open), 0.0)


class HandedColumns:
    """A table's header and columns handed over to `build_ledger`, which lets go of each
    column once it has read it: the text of a large export (the CSV reader's Arrow
    columns) is not held to the end beside the ledger built from it. A column a ledger
    column keeps (invoice numbers and customer ids, which need no work) stays, shared."""

    def __init__(self, headers: Sequence[object], columns: Sequence[object],
                 let_go: Callable[[], None] | None = None) -> None:
        if len(headers) != len(columns):
            raise ValueError("one header per column")
        self._headers = list(headers)
        self._columns = list(columns)
        self.let_go = let_go
        """Called after each column is let go (the CSV reader hands Arrow's freed memory
        back to the system, so the ledger's own arrays can use it)."""

    def handed(self) -> tuple[list[object], list[object]]:
        """The headers and columns, now the builder's (this object keeps none)."""
        headers, columns = self._headers, self._columns
        self._headers, self._columns = [], []
        return headers, columns


class _Source:
    """A table's header and data columns, with each data row's number as the user sees it.

    The columns of a list of rows are typed one at a time when first asked for, so a
    column no ledger field reads costs no more than one pass over the rows.
    """

    def __init__(self, headers: list[object], columns: list[np.ndarray] | None, rows: np.ndarray,
                 body: RowColumns | None = None, let_go: Callable[[], None] | None = None) -> None:
        self.headers = headers
        self._let_go = let_go
        self._columns = columns
        self._body = body
        self.rows = rows

    def release(self, index: int) -> None:
        """Let go of a column read for the last time (of handed columns: see HandedColumns)."""
        if self._columns is not None:
            self._columns[index] = None  # type: ignore[call-overload]
        if self._let_go is not None:
            self._let_go()

    def column(self, index: int, *, dates: bool = False) -> np.ndarray:
        """Column `index`; a list of rows' typed in C where it holds one kind of cell
        (`dunning.core.rows`), `dates` when it is read as dates."""
        if self._columns is not None:
            return self._columns[index]
        return self._body.column(index, dates=dates)  # type: ignore[union-attr,return-value]

    def cell(self, index: int, position: int) -> object:
        """Data cell `position` of column `index` as the source holds it, for a message."""
        if self._columns is not None:
            return self._columns[index][position]
        return self._body.cell(index, position)  # type: ignore[union-attr]


def build_ledger(
    table: pd.DataFrame | HandedColumns | Sequence[Sequence[object]],
    *,
    mapping: Mapping[str, str] | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
    sheet: str | None = "Invoices",
    header_row: int = 1,
    first_column: int = 1,
    warnings: bool = True,
) -> Ledger:
    """Turn an invoice table into a clean `Ledger`; raise `DunningInputError` naming each bad cell.

    `table` is a DataFrame (from a CSV or sheet export; read CSVs as text so
    invoice numbers keep their leading zeros), the same columns as `HandedColumns`
    (which the builder lets go of as it reads them), or a list of rows with the header
    row first, as xlwings passes a range (blanks as None, dates as datetimes or
    serial numbers). Trailing blank rows, such as the padding of a whole-column
    reference, are dropped before any per-row work; blank rows inside the table
    are skipped and reported. `mapping` names the header of any field the
    aliases do not find (`{"due_date": "Net Due"}`); `dayfirst` fixes the order
    of numeric text dates (inferred from the column when None); `sheet` and
    `header_row` place messages (`Invoices!D7`), and `first_column` (the sheet column of the
    table's first, from 1) their letters, for a table that does not start at column A.
    `warnings=False` leaves out the warnings about the rows (repeated numbers and the like)
    for a caller that shows none, such as a worksheet function; errors are raised all the
    same.
    """
    source = _read_source(table, header_row)
    columns, issues = match_columns(source.headers, mapping, sheet=sheet, header_row=header_row,
                                    first_column=first_column)
    builder = _LedgerBuilder(source, columns, sheet, dayfirst, decimal)
    frame = builder.build(warnings=warnings)
    errors = [issue for issue in builder.issues if issue.severity == "error"]
    if errors:
        raise DunningInputError(errors)
    return Ledger(frame, tuple(issues + builder.issues), sheet or "Invoices")


def _read_source(table: pd.DataFrame | HandedColumns | Sequence[Sequence[object]],
                 header_row: int) -> _Source:
    if isinstance(table, (pd.DataFrame, HandedColumns)):
        let_go = None
        if isinstance(table, HandedColumns):
            let_go = table.let_go
            headers, handed = table.handed()
            data = [_column_of(pd.Series(column, copy=False)) for column in handed]
            length = len(handed[0]) if handed else 0
            del handed
        else:
            headers = list(table.columns)
            data = [_column_of(table.iloc[:, i]) for i in range(table.shape[1])]
            length = len(table)
        kept = _trailing_data_length(data, length)
        data = [column[:kept] for column in data]
    else:
        rows = trim_trailing_blank_rows(list(table))
        if not rows:
            raise DunningInputError([Issue(
                "the invoice table is empty: expected a header row and invoice rows",
                row=header_row)])
        if not isinstance(rows[0], (list, tuple)):
            raise DunningInputError([Issue(
                "expected a table (rows of cells with the header first), got a single row or "
                "column", row=header_row)])
        headers = list(rows[0])
        width = len(headers)
        body = rows[1:]
        if set(map(len, body)) - {width}:
            body = [(list(r) + [None] * width)[:width] for r in body]
        rows_numbers = np.arange(header_row + 1, header_row + 1 + len(body), dtype="int64")
        return _Source(headers, None, rows_numbers, RowColumns(body, width))  # typed on demand
    rows_numbers = np.arange(header_row + 1, header_row + 1 + kept, dtype="int64")
    return _Source(headers, data, rows_numbers, let_go=let_go)


def _column_of(series: pd.Series) -> np.ndarray:
    """A frame's column as the parsers take it: Arrow text kept as it is (its string methods
    run in C++), anything else as an object array."""
    if is_arrow_text(series):
        return series.array  # type: ignore[return-value]
    if series.dtype == np.float64:  # numbers (a sheet's, read by Arrow): parsed as floats
        return series.to_numpy()
    if isinstance(series.dtype, np.dtype) and series.dtype in _SHEET_DATES:
        return series.to_numpy()  # a sheet's dates, read by Arrow (no time zone, whole ms)
    return series.to_numpy(dtype=object)


_SHEET_DATES = (np.dtype("datetime64[ms]"), np.dtype("datetime64[us]"))
"""The dates of a sheet read by Arrow (`dunning.io.sheet_arrow`), parsed as numpy dates; any
other date column is read cell by cell as before (its cells are Timestamps)."""


def trim_trailing_blank_rows(rows: list) -> list:
    """Rows without the trailing blank ones, cheaply.

    A whole-column reference hands over 1,048,576 rows, nearly all blank. A
    boundary search finds where the padding (rows of None, or of "") seems to
    start, and one `list.count` over the rows after it (done in C) confirms them
    blank; only when that fails (blank rows inside the table fooled the search)
    are blocks of rows compared from the end. The last few rows of mixed blanks
    are then looked at one by one.
    """
    end = len(rows)
    if end == 0:
        return rows
    width = len(rows[0]) if isinstance(rows[0], (list, tuple)) else 1
    row_type = tuple if isinstance(rows[-1], tuple) else list
    for blank in (row_type([None] * width), row_type([""] * width)):
        end = _padding_start(rows, end, blank)
    while end > 1 and all(is_blank(v) for v in _cells(rows[end - 1])):
        end -= 1
    return rows[:end] if end < len(rows) else rows


def _padding_start(rows: list, end: int, blank: object) -> int:
    """Where the run of `blank` rows that ends at `end` starts (never before row 1)."""
    if end <= 1 or rows[end - 1] != blank:
        return end
    low, high = 1, end - 1  # rows[high] is blank; find the first of the run, if it is one
    while low < high:
        middle = (low + high) // 2
        if rows[middle] == blank:
            high = middle
        else:
            low = middle + 1
    if _all_blank(rows, low, end, blank):
        return low
    block = 4096  # blank rows inside the table: walk back block by block
    while end > 1:
        start = max(1, end - block)
        if rows[start:end] == [blank] * (end - start):
            end = start
        else:
            break
    while end > 1 and rows[end - 1] == blank:
        end -= 1
    return end


def _all_blank(rows: list, low: int, end: int, blank: object) -> bool:
    """Whether rows[low:end] are all `blank`, counted in C. A run to the end of the rows that is
    most of them (a whole-column reference) is counted in place, less the blank rows before
    it, so a million rows are not copied into a slice first."""
    if end == len(rows) and end - low > low:
        return rows.count(blank) - rows[:low].count(blank) == end - low
    return rows[low:end].count(blank) == end - low


def _cells(row: object) -> Sequence[object]:
    return row if isinstance(row, (list, tuple)) else (row,)


def _trailing_data_length(columns: list[np.ndarray], length: int) -> int:
    """Length once trailing rows blank in every column are dropped (for DataFrame input).

    An Arrow text column says in C++ where its last non-empty cell is; only the rows from
    the last such cell of any column back to the last row holding more than spaces are
    looked at one by one (usually one row).
    """
    if not columns or length == 0:
        return length
    if not all(blank_mask(column[length - 1:length])[0] for column in columns):
        return length  # the usual table: its last row holds something
    last = 0
    for column in columns:
        if is_arrow_text(column):  # not empty; a cell of spaces is found blank below
            filled = pd.Series(column, copy=False).str.len().to_numpy(dtype=float, na_value=0)
            present = filled > 0
        else:
            present = ~blank_mask(column)
        if present.any():
            last = max(last, int(np.flatnonzero(present)[-1]) + 1)
    while last > 0 and all(blank_mask(column[last - 1:last])[0] for column in columns):
        last -= 1
    return last


class _LedgerBuilder:
    """Parses the matched columns of one source and collects every issue on the way."""

    def __init__(
        self,
        source: _Source,
        columns: dict[str, Column],
        sheet: str | None,
        dayfirst: bool | None,
        decimal: str,
    ) -> None:
        self.source = source
        self.columns = columns
        self.sheet = sheet
        self.dayfirst = dayfirst
        self.decimal = decimal
        self.issues: list[Issue] = []

    def build(self, *, warnings: bool = True) -> pd.DataFrame:
        uses = Counter(column.index for column in self.columns.values())
        parsed: dict[str, Parsed] = {}
        for name, column in self.columns.items():  # each column let go once read
            parsed[name] = self._parse(name)
            uses[column.index] -= 1
            if not uses[column.index]:
                self.source.release(column.index)
        keep = self._skip_blank_rows(parsed)
        if not keep.all():  # (no copy of every column when no row is left out)
            parsed = {field: _subset(result, keep) for field, result in parsed.items()}
        rows = self.source.rows[keep]
        for required in ("invoice", "customer", "invoice_date", "amount"):
            if required in parsed:
                self._require(required, parsed[required], rows)
        if "invoice" not in parsed:
            parsed["invoice"] = self._row_references(rows)
        frame = self._frame(parsed, rows)
        del parsed  # (the parsers' masks and inputs: tens of MB for a million rows)
        if warnings:
            self._warn_about(frame)
        return frame

    def _frame(self, parsed: dict[str, Parsed], rows: np.ndarray) -> pd.DataFrame:
        amount = parsed["amount"].values
        invoice_date = parsed["invoice_date"].values
        due = parsed["due_date"]
        credit_without_due = due.blank & (amount < 0)
        due_date = np.where(credit_without_due, invoice_date, due.values)
        self._require("due_date", due, rows, exempt=credit_without_due)

        frame = pd.DataFrame({
            "invoice": _text_now(parsed["invoice"].values),
            "customer": _text_now(parsed["customer"].values),
            "customer_name": _text_now(self._customer_names(parsed)),
            "invoice_date": invoice_date,
            "due_date": due_date.astype("datetime64[ns]", copy=False),
            "amount": amount,
            "open_amount": self._open_amounts(parsed, rows),
            "settled_date": self._optional(parsed, "settled_date", np.datetime64("NaT", "ns")),
            "currency": _text_now(self._currency(parsed)),
            "disputed": self._optional(parsed, "disputed", False),
            "written_off": self._optional(parsed, "written_off", False),
            "collection_cost": _zero_for_nan(
                self._optional(parsed, "collection_cost", 0.0).astype(float)),
            "billing": _text_now(self._texts(parsed, "billing")),
            "row": rows,
        }, copy=False)  # no consolidating copy of every column (a million rows: ~100 MB)
        if "hold_until" in parsed:
            frame["hold_until"] = parsed["hold_until"].values
        for name in ("hold_reason", "payment_link"):
            if name in parsed:
                frame[name] = pd.array(self._texts(parsed, name), dtype=_TEXT)  # (not numpy's
                # fixed-width astype(str) first: a third of the time for 100,000 links)
        cast = {name: str for name in ("invoice", "customer", "customer_name", "currency",
                                       "billing") if frame[name].dtype != _TEXT}
        return frame.astype(cast) if cast else frame  # (a frame-wide astype costs ~1 ms)

    # parsing -------------------------------------------------------------

    def _parse(self, field: str) -> Parsed:
        column = self.columns[field]
        values = self.source.column(column.index, dates=field in _DATE_FIELDS)
        if field in ("invoice", "customer", "customer_name", "currency", "billing"):
            return arrow_ids(values) or parse_text(values)
        if field in ("hold_reason", "payment_link"):
            return parse_text(values)
        if field in ("amount", "paid_amount", "open_amount", "collection_cost"):
            result = parse_amounts(values, decimal=self.decimal)
            expected = ("an amount such as 1234.50, 1,234.50 or (100.00)" if self.decimal == "."
                        else "an amount such as 1234,50, 1.234,50 or (100,00)")
            if self.decimal == "." and any(
                    isinstance(v, str) and amount_from_text(v, decimal=",") is not None
                    for v in values[result.bad][:100]):
                expected += " (for amounts like 1.234,50 state the decimal comma)"
        elif field in _DATE_FIELDS:
            try:
                result = parse_dates(values, dayfirst=self.dayfirst)
            except AmbiguousDatesError as error:
                self.issues.append(self._issue(field, None, str(error)))
                return Parsed(np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]"),
                              blank_mask(values), np.zeros(len(values), dtype=bool))
            expected = "a date (a date cell, an Excel serial number, or text such as 2024-03-31)"
        else:
            result = parse_flags(values)
            expected = "Yes or No"
        far = result.out_of_range
        for position in np.flatnonzero(result.bad):
            message = f"expected {expected}"
            if far is not None and far[position]:
                message = (f"expected a date from {DATE_RANGE}: this one cannot be an "
                           "invoice's; correct the cell" if field in _DATE_FIELDS else
                           f"expected an amount {AMOUNT_RANGE}: this one cannot be an "
                           "invoice's; correct the cell")
            self.issues.append(self._issue(
                field, int(self.source.rows[position]), message,
                value=shown_value(self.source.cell(column.index, position))))
        return result

    def _skip_blank_rows(self, parsed: dict[str, Parsed]) -> np.ndarray:
        """Rows blank in every ledger column are left out, and said so."""
        blank = np.logical_and.reduce([result.blank for result in parsed.values()])
        for first, last in _runs(self.source.rows[blank]):
            where = f"row {first}" if first == last else f"rows {first} to {last}"
            self.issues.append(Issue(
                f"{where} {'is' if first == last else 'are'} blank and left out",
                severity="skipped", sheet=self.sheet, row=first))
        return ~blank

    def _require(self, field: str, result: Parsed, rows: np.ndarray,
                 exempt: np.ndarray | None = None) -> None:
        missing = result.blank if exempt is None else result.blank & ~exempt
        label = FIELD_LABELS[field]
        hint = " (only credit notes may leave it empty)" if field == "due_date" else ""
        for position in np.flatnonzero(missing):
            self.issues.append(self._issue(
                field, int(rows[position]), f"missing {label}{hint}"))

    def _issue(self, field: str, row: int | None, message: str, *, value: object = None,
               severity: str = "error") -> Issue:
        column = self.columns[field]
        return Issue(message, severity=severity, sheet=self.sheet, row=row,  # type: ignore[arg-type]
                     column=column.header, column_letter=column.letter, value=value)

    # derived columns ---------------------------------------------------------

    def _row_references(self, rows: np.ndarray) -> Parsed:
        """Without an invoice-number column, each item is known by its row ("row 17")."""
        self.issues.append(Issue(
            "the table has no invoice-number column; items are identified by their row "
            "(\"row 17\"), so add invoice numbers before sending reminders",
            severity="warning", sheet=self.sheet))
        references = np.array([f"row {row}" for row in rows.tolist()], dtype=object)
        none = np.zeros(len(rows), dtype=bool)
        return Parsed(references, none, none)

    def _optional(self, parsed: dict[str, Parsed], field: str, default: object) -> np.ndarray:
        if field in parsed:
            return parsed[field].values
        length = len(parsed["amount"].values)
        return np.full(length, default)

    def _texts(self, parsed: dict[str, Parsed], field: str) -> np.ndarray:
        """An optional text column, "" where the cell or the whole column is missing."""
        if field not in parsed:
            return _empty_texts(len(parsed["amount"].values))  # type: ignore[return-value]
        if is_arrow_text(parsed[field].values):  # (`arrow_ids`: a blank cell is "" already)
            return parsed[field].values
        return np.where(parsed[field].blank, "", parsed[field].values).astype(object)

    def _customer_names(self, parsed: dict[str, Parsed]) -> np.ndarray:
        customers = parsed["customer"].values
        if "customer_name" not in parsed:
            return customers
        names = parsed["customer_name"]
        return np.where(names.blank, customers, names.values)

    def _currency(self, parsed: dict[str, Parsed]) -> np.ndarray:
        if "currency" not in parsed:
            return _empty_texts(len(parsed["amount"].values))  # type: ignore[return-value]
        codes = parsed["currency"].values
        if is_arrow_text(codes):  # printable ASCII (`arrow_ids`): C++ upper-cases as Python does
            return pd.Series(codes, copy=False).str.upper().array  # type: ignore[return-value]
        return np.fromiter(map(str.upper, codes), dtype=object, count=len(codes))

    def _open_amounts(self, parsed: dict[str, Parsed], rows: np.ndarray) -> np.ndarray:
        """What is still open: from an open-amount column, else amount less paid, else flags."""
        amount = parsed["amount"].values
        open_amount = amount.copy()
        settled = parsed.get("settled_date")
        if settled is not None:
            open_amount = np.where(settled.blank, open_amount, 0.0)
        if "is_open" in parsed:
            is_open = parsed["is_open"]
            open_amount = np.where(~is_open.blank & ~is_open.values, 0.0, open_amount)
        paid = parsed.get("paid_amount")
        if paid is not None:
            open_amount = np.where(paid.blank, open_amount, amount - _zero_for_nan(paid.values))
        given = parsed.get("open_amount")
        if given is not None:
            open_amount = np.where(given.blank, open_amount, given.values)
            if paid is not None:
                both = ~given.blank & ~paid.blank
                off = both & (np.abs(paid.values + given.values - amount) > 0.005)
                for position in np.flatnonzero(off):
                    self.issues.append(self._issue(
                        "open_amount", int(rows[position]),
                        "paid plus open amount differs from the amount; using the open amount",
                        severity="warning"))
        return np.round(_zero_for_nan(open_amount), 2)

    # warnings ------------------------------------------------------------------

    def _warn_about(self, frame: pd.DataFrame) -> None:
        rows_of = frame["row"].to_numpy()
        early = frame["due_date"].to_numpy() < frame["invoice_date"].to_numpy()  # NaT: never
        for row in rows_of[early][:50]:
            self.issues.append(self._issue(
                "due_date", int(row), "due date is before the invoice date", severity="warning"))
        amount, still_open = frame["amount"].to_numpy(), frame["open_amount"].to_numpy()
        too_open = (amount >= 0) & (still_open > amount + 0.005)
        for row in rows_of[too_open][:50]:
            self.issues.append(Issue(
                "open amount is larger than the invoice amount", severity="warning",
                sheet=self.sheet, row=int(row)))
        invoices = frame["invoice"]
        repeated = invoices.duplicated(keep=False) if has_repeats(invoices) else None
        if repeated is not None:
            for invoice, rows in frame.loc[repeated].groupby("invoice")["row"]:
                listed = ", ".join(str(r) for r in rows.head(5))
                self.issues.append(self._issue(
                    "invoice", int(rows.iloc[0]),
                    f"invoice number {invoice} appears more than once (rows {listed})",
                    severity="warning"))
                if len(self.issues) > 500:
                    break
        self._warn_about_leading_zeros(frame["customer"])

    def _warn_about_leading_zeros(self, customers: pd.Series) -> None:
        distinct = pd.Series(_distinct(customers))
        stripped = distinct.str.lstrip("0")
        clashes = distinct[stripped.duplicated(keep=False) & (stripped != "")]
        for _, group in clashes.groupby(stripped[clashes.index]):
            self.issues.append(self._issue(
                "customer", None,
                "customer ids " + " and ".join(sorted(group)) + " differ only by leading zeros; "
                "they are kept apart (correct the source if they are one customer)",
                severity="warning"))


def _distinct(values: pd.Series) -> object:
    """`values.unique()`, hashed by Arrow when the text is Arrow's (a fraction of the time)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        return pd.arrays.ArrowStringArray(pc.unique(values.array.__arrow_array__()))
    return values.unique()


def _zero_for_nan(values: np.ndarray) -> np.ndarray:
    """0.0 where a parsed amount is missing (NaN); parsed amounts are never infinite."""
    return np.where(np.isnan(values), 0.0, values)


def _empty_texts(length: int) -> object:
    """A text column of "" in every row, made by Arrow (not a million Python references)."""
    return pd.arrays.ArrowStringArray(pa.repeat(pa.scalar("", pa.large_string()), length))


def _subset(result: Parsed, keep: np.ndarray) -> Parsed:
    far = None if result.out_of_range is None else result.out_of_range[keep]
    return Parsed(result.values[keep], result.blank[keep], result.bad[keep], result.note, far)


def _runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive row numbers grouped as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for row in rows.tolist():
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
