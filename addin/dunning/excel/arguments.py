"""Values as Excel hands them to a worksheet function, and results a cell can show.

The worksheet functions in `dunning.udfs` are thin: each one turns its
arguments into core inputs here, calls the core, and turns the answer back
into a cell value here. Nothing in this module imports xlwings, so every
conversion is tested on plain Python values shaped the way each xlwings
runtime passes them:

* a range arrives as rows (lists, or tuples straight from COM with classic
  xlwings' "raw" converter), the header row first; a whole-column reference
  brings 1,048,576 rows, nearly all blank, which are trimmed before any
  per-cell work;
* dates arrive as datetimes (naive, or COM's timezone-stamped subclass) or as
  serial numbers (TODAY() and computed dates); empty cells as None or "";
* error cells arrive as None, as text ("#N/A") or, through COM, as the
  integer HRESULT of the error.

What goes back into a cell is a float, int, bool, str or a 2-D list of those:
never NaN, NaT, numpy scalars or pandas objects. A problem comes back as one
short text starting "#DUNNING! " that names the cell or argument and says
what to fix, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from dunning.core.aging import bucket_index, bucket_labels, days_past_due
from dunning.core.columns import normal_header
from dunning.core.errors import DunningInputError, Issue, column_letter, error_cell_message
from dunning.core.kpis import NotDefined
from dunning.core.ledger import build_ledger, single_currency, trim_trailing_blank_rows
from dunning.core.ledger_kpis import DEFAULT_DAYS
from dunning.core.parse import AmbiguousDatesError, amount_from_text, parse_dates, parse_flags
from dunning.core.policy import Stage, stage_reached
from dunning.sheets.settings import Settings, read_settings, read_settings_table

ERROR_PREFIX = "#DUNNING! "
MAX_MESSAGE = 300
"""Longest message put in a cell; the rest of a long header list is cut."""

XL_ERROR_CODES: dict[int, str] = {
    2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?",
    2036: "#NUM!", 2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!",
    2047: "#BLOCKED!", 2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!",
}
"""Excel's error values by their CVErr code (the XlCVError enumeration)."""
COM_ERROR_BASE = -2146828288
"""Through COM an error cell is the integer HRESULT 0x800A0000 + its code (#N/A: -2146826246)."""
EXCEL_ERRORS: frozenset[object] = frozenset(XL_ERROR_CODES.values()) | frozenset(
    COM_ERROR_BASE + code for code in XL_ERROR_CODES
)
"""Error values as text and as COM integers, to find them in a row with one set operation."""

_PLAIN_TYPES = frozenset({type(None), float, str, bool, dt.datetime, dt.date})
"""Cell types the core reads as they are; rows holding only these skip the per-cell pass."""

DATE_EXPECTED = "a date (a date cell, a serial number such as 45382, or text such as 2024-03-31)"
TABLE_HINT = "such as Invoices[#All] or Invoices!A:F"


class CellError(ValueError):
    """An argument that cannot be used; the message names the argument and what to give."""


# ------------------------------------------------------------------ results


def cell_function(function: Callable[..., Any]) -> Callable[..., Any]:
    """Make `function` safe to call from a cell: its result becomes cell values, and any
    problem a "#DUNNING! ..." text.

    The wrapper keeps the signature (xlwings reads the arguments and their
    defaults through `__wrapped__`), so the decorated function is still a plain
    callable.
    """

    @functools.wraps(function)
    def wrapper(*args: object) -> object:
        try:
            return excel_result(function(*args), function.__name__)
        except DunningInputError as error:
            return error_text(error.issues)
        except (CellError, AmbiguousDatesError, TypeError, ValueError) as error:
            return message_text(str(error))
        except Exception as error:  # a cell must never show a traceback
            return message_text(
                f"unexpected {type(error).__name__} in {function.__name__}: {error} "
                "(please report this)")

    wrapper.__doc__ = " ".join((function.__doc__ or "").split())  # Excel's one-line description
    return wrapper


def message_text(message: str) -> str:
    """A message as the cell shows it: prefixed, on one line, and not too long."""
    text = ERROR_PREFIX + " ".join(message.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def error_text(issues: Sequence[Issue]) -> str:
    """The first problem and how many others there are: a cell has room for one."""
    if not issues:
        return message_text("invalid input")
    others = len(issues) - 1
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    first = str(issues[0])
    if len(ERROR_PREFIX + first + more) > MAX_MESSAGE:
        first = first[: MAX_MESSAGE - len(ERROR_PREFIX + more) - 1] + "…"
    return message_text(first + more)


def excel_result(value: object, name: str = "result") -> object:
    """A Python result as a value Excel can show (2-D lists cell by cell)."""
    if isinstance(value, NotDefined):
        return message_text(f"{name} not defined: {value.reason}")
    if isinstance(value, (list, tuple)):
        return [
            [scalar_value(cell) for cell in row] if isinstance(row, (list, tuple))
            else scalar_value(row)
            for row in value
        ]
    return scalar_value(value)


def scalar_value(value: object) -> object:
    """One cell: float, int, bool, str or datetime; blank for None and NaT."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else message_text("the result is not a number")
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        return "" if stamp is pd.NaT else stamp.to_pydatetime()
    if isinstance(value, NotDefined):
        return message_text(f"not defined: {value.reason}")
    if isinstance(value, (str, dt.datetime, dt.date)):
        return value
    return str(value)


# ------------------------------------------------------------------ cells as they arrive


def plain_cell(value: object) -> object:
    """A cell from any runtime as the core reads it: COM errors as text, dates without zone."""
    if isinstance(value, int) and not isinstance(value, bool):
        return XL_ERROR_CODES.get(value - COM_ERROR_BASE, value)
    if isinstance(value, dt.datetime) and type(value) is not dt.datetime:
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                           value.second, value.microsecond)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def plain_row(row: Sequence[object]) -> list[object] | Sequence[object]:
    """A row unchanged when it holds only plain values, else converted cell by cell."""
    if _PLAIN_TYPES.issuperset(map(type, row)):
        return row
    return [value if type(value) in _PLAIN_TYPES else plain_cell(value) for value in row]


def single(value: object, name: str) -> object:
    """One cell's value, whether it came as a value or as a one-cell range."""
    while isinstance(value, (list, tuple)):
        cells = [cell for row in value for cell in (row if isinstance(row, (list, tuple))
                                                    else [row])]
        if len(cells) != 1:
            raise CellError(f"{name}: expected one cell, got a range of {len(cells)} cells")
        value = cells[0]
    return plain_cell(value)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_not_error(value: object, name: str) -> None:
    if isinstance(value, str) and value in EXCEL_ERRORS:
        raise CellError(f"{name}: {error_cell_message(value)}")


# ------------------------------------------------------------------ tables


def table_rows(value: object, name: str = "invoices") -> list[Sequence[object]]:
    """A range argument as rows, header first, without trailing blank rows.

    Raises CellError when the argument is not a table (a single value or one
    row) and DunningInputError naming each cell that holds an Excel error. A
    Range (classic xlwings hands one over, see `used_values`) is read first.
    """
    value = used_values(value)
    if value is None or (isinstance(value, (list, tuple)) and not value):
        raise CellError(f"{name}: the range is empty; give the table with its header row, "
                        f"{TABLE_HINT}")
    if not isinstance(value, (list, tuple)) or not isinstance(value[0], (list, tuple)):
        raise CellError(f"{name}: expected a table with its header row, {TABLE_HINT}; "
                        "got a single value")
    # COM hands over a tuple; its list copy is dropped at once, so the garbage collector
    # never has to walk a million young references.
    trimmed = trim_trailing_blank_rows(value if isinstance(value, list) else list(value))
    if _PLAIN_TYPES.issuperset(map(type, chain.from_iterable(trimmed))):
        rows = list(trimmed)  # every cell plain (the usual table): one pass over all the cells
        if not EXCEL_ERRORS.isdisjoint(chain.from_iterable(rows)):  # in C, not one per row
            _check_errors(rows)
        return rows
    rows = [plain_row(row) for row in trimmed]
    _check_errors(rows)
    return rows


def is_range(value: object) -> bool:
    """True for an xlwings Range (or anything that reads like one), not for values.

    The class is asked, not the object: `hasattr(rng, "raw_value")` would read every cell.
    """
    kind = type(value)
    return hasattr(kind, "raw_value") and hasattr(kind, "resize")


def used_values(value: object) -> object:
    """A Range argument's values, read only down to the sheet's last used row; values as they are.

    `=DSO(Invoices!A:F)` refers to 1,048,576 rows, and reading them all is the
    largest cost of a whole-column reference in classic Excel: every cell crosses
    COM before Python sees it. The sheet's used range (`sheet.used_range.last_cell`,
    a few COM calls whatever the size) ends at or below the last cell holding
    anything, so reading the reference down to it loses nothing; rows it counts
    that only ever held formatting are blank and trimmed like any padding. Its
    values come as the raw converter gives them (COM's tuples).
    """
    if not is_range(value):
        return value
    rng: Any = value
    height, width = rng.shape
    top = rng.row
    last = top + height - 1
    with_used = rng.sheet.used_range.last_cell.row
    last = min(last, with_used)
    if last < top:
        return []
    if last - top + 1 < height:
        rng = rng.resize(last - top + 1, width)
    raw = rng.raw_value
    if not isinstance(raw, (list, tuple)):
        return [[raw]]
    if raw and not isinstance(raw[0], (list, tuple)):
        return [list(raw)] if height == 1 or last == top else [[cell] for cell in raw]
    return raw


def _check_errors(rows: list[Sequence[object]]) -> None:
    """Every cell holding an Excel error, as issues named by cell (A1 = the range's corner)."""
    issues = []
    headers = rows[0]
    for index, row in enumerate(rows):
        if EXCEL_ERRORS.isdisjoint(row):
            continue
        for position, cell in enumerate(row):
            if isinstance(cell, str) and cell in EXCEL_ERRORS:
                header = headers[position] if index else None
                issues.append(Issue(
                    error_cell_message(cell),
                    row=index + 1, column_letter=column_letter(position),
                    column=str(header) if isinstance(header, str) and header else None))
    if issues:
        raise DunningInputError(issues)


def invoice_frame(invoices: object, currency: object = None, customer: object = None
                  ) -> pd.DataFrame:
    """The ledger frame (see `dunning.core.ledger`) of an invoice range: one customer's items when
    `customer` is given (its id, or its name in any case), in one currency."""
    rows = table_rows(invoices, "invoices")
    if not _looks_like_header(rows[0]):
        raise CellError("invoices: the first row holds values, not column headers; give the "
                        f"table with its header row, {TABLE_HINT}")
    frame = build_ledger(rows, sheet=None, warnings=False).frame  # a cell shows no warnings
    wanted = optional_text(customer, "customer")
    if wanted is not None:
        names = frame["customer_name"].str.casefold()
        frame = frame.loc[(frame["customer"] == wanted) | (names == wanted.casefold())]
    return single_currency(frame, optional_text(currency, "currency"))


def _looks_like_header(row: Sequence[object]) -> bool:
    """Headers are text; a first row of dates or numbers means the header row was left out."""
    present = [cell for cell in row if not _is_blank(cell)]
    return bool(present) and all(isinstance(cell, str) for cell in present)


def settings_from_table(value: object) -> Settings:
    """The workbook's Settings from its (Setting, Value) table, header row optional;
    the defaults when the argument is left out. Every setting is read and checked as the
    workbook's own are (`dunning.sheets.settings.read_settings`; rows counted from the
    range's first); the functions take the reports' part."""
    if value is None:
        return Settings()
    rows = table_rows(value, "settings")
    headers = [normal_header(cell) for cell in rows[0]]
    if "setting" in headers and "value" in headers:
        return read_settings_table(rows).as_settings()
    if len(rows[0]) >= 2:
        return read_settings(rows, first_row=1).as_settings()
    raise CellError("settings: expected the Settings table (Setting, Value), "
                    "such as Settings[#All]")


def stages_from_table(value: object) -> list[tuple[str, float]]:
    """(stage, days from due) pairs from a table headed Stage and Days From Due."""
    rows = table_rows(value, "stages")
    headers = [normal_header(cell) for cell in rows[0]]
    if "stage" not in headers or "daysfromdue" not in headers:
        raise CellError("stages: expected the Stages table with its header row "
                        "(Stage, Days From Due), such as Stages[#All]")
    name_at, days_at = headers.index("stage"), headers.index("daysfromdue")
    stages = []
    for number, row in enumerate(rows[1:], start=2):
        if _is_blank(row[name_at]):
            continue
        where = f"stages row {number} (Days From Due)"
        stages.append((str(row[name_at]).strip(), number_value(row[days_at], where)))
    if not stages:
        raise CellError("stages: the Stages table has no stages")
    return stages


def stage_for(days: float, stages: Sequence[tuple[str, float]]) -> str:
    """The stage reached after `days` past due (`dunning.core.policy.stage_reached`); "" before
    the first stage."""
    reached = stage_reached(days, [Stage(name, start) for name, start in stages])
    return reached.name if reached else ""


# ------------------------------------------------------------------ scalar arguments


def as_of_date(value: object, *, today: dt.date, name: str = "as_of",
               default: object = None) -> pd.Timestamp:
    """A date argument; blank means `default`, else `today` (which the caller reads)."""
    value = single(value, name)
    if _is_blank(value):
        return pd.Timestamp(default or today).normalize()
    return _date(value, name)


def required_date(value: object, name: str) -> pd.Timestamp:
    """A date argument that must be given."""
    value = single(value, name)
    if _is_blank(value):
        raise CellError(f"{name}: the cell is empty; expected {DATE_EXPECTED}")
    return _date(value, name)


def _date(value: object, name: str) -> pd.Timestamp:
    _check_not_error(value, name)
    if isinstance(value, bool):
        raise CellError(f"{name}: expected {DATE_EXPECTED}, found {value}")
    parsed = parse_dates(np.array([value], dtype=object))
    if parsed.bad[0] or parsed.blank[0]:
        raise CellError(f"{name}: expected {DATE_EXPECTED}, found {value!r}")
    return pd.Timestamp(parsed.values[0])


def number_value(value: object, name: str, default: float | None = None) -> float:
    """A number argument: a number cell, or text such as "1,234.50"; blank means `default`
    when there is one."""
    value = single(value, name)
    if _is_blank(value):
        if default is not None:
            return float(default)
        raise CellError(f"{name}: the cell is empty; expected a number")
    _check_not_error(value, name)
    if isinstance(value, bool):
        raise CellError(f"{name}: expected a number, found {value}")
    if isinstance(value, (int, float)):
        return float(value)
    number = amount_from_text(value) if isinstance(value, str) else None
    if number is None:
        raise CellError(f"{name}: expected a number, found {value!r}")
    return number


def whole_number(value: object, name: str, default: int, *, minimum: int = 1) -> int:
    """A count of days or months; blank means `default`."""
    number = number_value(value, name, default)
    if not number.is_integer():
        raise CellError(f"{name}: expected a whole number such as {default}, found {number:g}")
    if number < minimum:
        raise CellError(f"{name}: expected {minimum} or more, found {number:g}")
    return int(number)


def look_back(as_of: object, days: object, *,
              today: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) of the `days` up to the as-of date, the period start < date <= end."""
    end = as_of_date(as_of, today=today)
    return end - pd.Timedelta(days=whole_number(days, "days", DEFAULT_DAYS)), end


def flag(value: object, name: str, default: bool) -> bool:
    """TRUE/FALSE, 1/0 or Yes/No; blank means `default`."""
    value = single(value, name)
    if _is_blank(value):
        return default
    _check_not_error(value, name)
    parsed = parse_flags(np.array([value], dtype=object))
    if parsed.bad[0]:
        raise CellError(f"{name}: expected TRUE or FALSE, found {value!r}")
    return bool(parsed.values[0])


def optional_text(value: object, name: str) -> str | None:
    """Text such as a currency code or customer id; numbers without ".0"; None when blank."""
    value = single(value, name)
    if _is_blank(value):
        return None
    _check_not_error(value, name)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def numbers_in_order(value: object, name: str) -> list[float]:
    """A row or column of numbers, in reading order, trailing blanks dropped."""
    cells = _flatten(value)
    while cells and _is_blank(cells[-1]):
        cells.pop()
    if not cells:
        raise CellError(f"{name}: the range is empty; expected numbers")
    for position, cell in enumerate(cells, start=1):
        if _is_blank(cell):
            raise CellError(f"{name}: value {position} is empty; enter 0 for a period "
                            "without sales")
    return [number_value(cell, f"{name} value {position}")
            for position, cell in enumerate(cells, start=1)]


def number_or_numbers(value: object, name: str, default: float) -> float | list[float]:
    """One number (blank for `default`), or one per period when several cells are given."""
    cells = _flatten(value)
    if len(cells) == 1:
        return number_value(cells[0], name, default)
    return numbers_in_order(value, name)


def _flatten(value: object) -> list[object]:
    if not isinstance(value, (list, tuple)):
        return [plain_cell(value)]
    return [plain_cell(cell) for row in value
            for cell in (row if isinstance(row, (list, tuple)) else [row])]


# ------------------------------------------------------------------ cell by cell


def grid(value: object) -> list[list[object]]:
    """A cell or range argument as rows of plain cells."""
    if not isinstance(value, (list, tuple)):
        return [[plain_cell(value)]]
    rows = value if value and isinstance(value[0], (list, tuple)) else [value]
    return [[plain_cell(cell) for cell in row] for row in rows]


def shaped(cells: list[object], rows: list[list[object]]) -> object:
    """Flat results back in the shape of the argument; one cell stays one value."""
    if len(cells) == 1:
        return cells[0]
    width = len(rows[0])
    return [cells[start:start + width] for start in range(0, len(cells), width)]


def days_past_due_cells(rows: list[list[object]], as_of: pd.Timestamp) -> list[object]:
    """Days past due for each cell of a date range: int, "" when blank, or a message."""
    cells = [cell for row in rows for cell in row]
    parsed = parse_dates(np.array(cells, dtype=object))
    frame = pd.DataFrame({"due_date": parsed.values})
    days = days_past_due(frame, as_of)
    out: list[object] = []
    for position, cell in enumerate(cells):
        if parsed.blank[position]:
            out.append("")
        elif isinstance(cell, str) and cell in EXCEL_ERRORS:
            out.append(message_text(f"the due date cell holds the error {cell}"))
        elif parsed.bad[position] or isinstance(cell, bool):
            out.append(message_text(f"due date: expected {DATE_EXPECTED}, found {cell!r}"))
        else:
            out.append(int(days[position]))
    return out


def buckets_of(days: list[object], edges: Sequence[int]) -> list[object]:
    """Aging bucket labels for day counts; blanks and messages pass through."""
    labels = bucket_labels(edges)
    counts = np.array([d if isinstance(d, int) else 0 for d in days], dtype="int64")
    positions = bucket_index(counts, edges)
    return [labels[positions[i]] if isinstance(d, int) else d for i, d in enumerate(days)]


def stages_of(rows: list[list[object]], stages: Sequence[tuple[str, float]]) -> list[object]:
    """The dunning stage for each cell of days past due."""
    out: list[object] = []
    for cell in (c for row in rows for c in row):
        if _is_blank(cell):
            out.append("")
            continue
        try:
            out.append(stage_for(number_value(cell, "days_past_due"), stages))
        except CellError as error:
            out.append(message_text(str(error)))
    return out


# ------------------------------------------------------------------ aging table


def aging_rows(table: pd.DataFrame, *, by_customer: bool) -> list[list[object]]:
    """`dunning.core.aging.aging_by_customer`'s table as rows: header, customers if asked, Total."""
    header: list[object] = ["Customer", *table.columns]
    body = table if by_customer else table.tail(1)
    return [header, *([str(name), *map(float, values)]
                      for name, values in zip(body.index, body.to_numpy(), strict=True))]
