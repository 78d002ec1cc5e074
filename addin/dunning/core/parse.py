"""Turn the cell values real invoice tables hold into numbers, dates, flags and text.

Each parser takes a whole column (a 1-D object array, as read from a sheet, a CSV
or an xlwings argument) and returns the parsed values with a mask of the cells
it could not read, so the ledger builder can report every bad cell with its
row. Homogeneous columns take a vectorised fast path; only mixed columns are
looked at value by value. Text dates repeat a lot, so they are parsed once per
distinct value.

Text columns (a CSV export as Arrow-backed text, or the text cells of a range) are
stripped once with Python's own `str.strip` mapped in C (`text_cells`), so every
later rule sees exactly what the per-value rules see. Amount text in its simplest
form ("-1234.50") is cast by Arrow's C++ kernels; everything else (currency marks,
thousands separators, parentheses, spaces) goes through the per-value parser, so
results and messages are the same whichever path read a cell; property tests
compare them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day zero of Excel's 1900 system: serial 1 is 1900-01-01, 60 is Excel's phantom 1900-02-29."""

FIRST_DATE = dt.date(1900, 3, 1)
LAST_DATE = dt.date(2200, 12, 31)
"""The dates a ledger accepts, whatever form they come in (date cell, serial number or text).

Anything outside is refused as a mistake, never wrapped round or clipped: no invoice
falls due in 9999, and -5 is not a date. The range starts on 1900-03-01 because
Excel's serial numbers count a 29 February 1900 that never was, so before that
day a serial and a date disagree; it ends in 2200, well past any real due date or
payment plan and well inside what a pandas timestamp holds (2262-04-11).
"""
DATE_RANGE = f"{FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"
MAX_DAYS = (LAST_DATE - FIRST_DATE).days
"""The longest span of days between two such dates (109,878): a count of days beyond it
(a stage 1e308 days after the due date, a 400-digit gap) can be no setting's."""
MIN_EXCEL_SERIAL = (FIRST_DATE - dt.date(1899, 12, 30)).days
MAX_EXCEL_SERIAL = (LAST_DATE - dt.date(1899, 12, 30)).days
"""First and last Excel serial numbers of a ledger date (61 and 110,942)."""
_LAST_EXCEL_SERIAL = 2958465
"""Excel's own last date, 9999-12-31: larger numbers are not dates at all."""

MAX_AMOUNT = 1e15
"""Amounts must be smaller than this in absolute value (and finite).

1,000,000,000,000,000 is past any invoice, and it is where a float stops
holding every cent exactly: beyond it, totals are wrong by whole cents, and a
value like 1e308 or a 400-digit number adds up to infinity.
"""
AMOUNT_RANGE = "smaller than 1,000,000,000,000,000 (10^15) either way"

_TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "x", "ja", "oui", "si", "sí"})
_FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "", "nein", "non"})

_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,4})[/.\-](?P<b>\d{1,2})[/.\-](?P<c>\d{2,4})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?:[AaPp][Mm])?)?$"
)
_NAMED_MONTH_FORMATS = (
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%B-%Y",
    "%d.%b.%Y",
    "%d %b %y",
)
_ISO_START = r"\d{4}-\d"
_CURRENCY_MARKS = re.compile(r"[\s\u00a0$€£¥]+")
_CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}|[A-Za-z]{3}$")
_INTEGRAL_FLOAT_TEXT = re.compile(r"-?\d+\.0+")


@dataclass(frozen=True)
class Parsed:
    """Parsed values of one column, with masks over the input positions.

    `blank` marks empty cells (None, NaN, "" or whitespace); `bad` marks
    non-blank cells that could not be read. `note` explains a column-wide
    decision (for example which date order was inferred). `out_of_range` marks
    the bad cells that do hold a date or a number, but one outside what a ledger
    accepts (`FIRST_DATE`..`LAST_DATE`, `MAX_AMOUNT`), so a message can say so;
    None when the parser does not tell.
    """

    values: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    note: str = ""
    out_of_range: np.ndarray | None = None


class AmbiguousDatesError(ValueError):
    """Text dates that read differently day-first and month-first, with no setting to decide."""

    def __init__(self, example: str) -> None:
        self.example = example
        super().__init__(
            f"dates such as {example!r} can be read day-first or month-first; "
            "state the date order (command line: --dayfirst or --monthfirst; "
            "Python: dayfirst=True or False)"
        )


_PLAIN_NUMBER = {".": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", ",": r"[+-]?(?:\d+(?:,\d*)?|,\d+)"}
"""Amount text Arrow casts: a sign, ASCII digits and the decimal mark, nothing else; such
text reads the same in C++ as in `_number_from_text` (both round correctly)."""


def is_arrow_text(values: object) -> bool:
    """True for a pandas string column held by Arrow (as read from a CSV)."""
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _kind(values: object) -> str:
    """The column's kind as `infer_dtype` names it ("string" for an Arrow text column)."""
    if is_arrow_text(values):
        return "string"
    return pd.api.types.infer_dtype(values, skipna=True)


def text_cells(values: object, kind: str | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """A text column's cells stripped ("" for a blank) and its blank mask; None when some
    present cell is not text.

    Python's own `str.strip` does the work, mapped over the column in C, so the
    cells read exactly as the per-value rules read them, at a small part of the
    cost of pandas' object string methods. `kind` is `_kind(values)` when known.
    """
    if is_arrow_text(values):
        return _arrow_text_cells(values)
    values = as_object_array(values)  # a list or tuple (one cell typed in a dialog, say)
    if (kind or _kind(values)) != "string":
        return None
    return _stripped_cells(values)


def _stripped_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    missing = pd.isna(cells)
    out = np.empty(len(cells), dtype=object)
    if missing.any():
        out[missing] = ""
        out[~missing] = list(map(str.strip, cells[~missing]))
    else:
        out[:] = list(map(str.strip, cells))
    return out, out == ""


def _arrow_text_cells(values: object) -> tuple[np.ndarray, np.ndarray]:
    """`text_cells` of Arrow text: a column that repeats itself (dates, codes, flags) is
    hashed in C++ and each distinct text stripped once; a column of distinct texts (invoice
    numbers) is taken out whole."""
    series = pd.Series(values, copy=False)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) * 4 > len(series):
        return _stripped_cells(series.to_numpy(dtype=object, na_value=None))
    stripped, blank = _distinct_cells(codes, uniques)
    return stripped[codes], blank[codes]


def _arrow_distinct(values: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrow text as codes into its distinct cells, stripped, with their blank mask: a
    missing cell has the code -1, which takes the last place (a blank "").

    A column's rules that look at each cell alone (dates, flags) run over the distinct
    cells, and their results are taken back to the rows by the codes in numpy: no Python
    string is made per row.
    """
    codes, uniques = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=True)
    stripped, blank = _distinct_cells(codes, uniques)
    return codes, stripped, blank


def _distinct_cells(codes: np.ndarray, uniques: object) -> tuple[np.ndarray, np.ndarray]:
    stripped, blank = _stripped_cells(np.asarray(uniques, dtype=object))
    return np.append(stripped, ""), np.append(blank, True)


def _arrow_data(values: object) -> object:
    """The Arrow array (chunked) that holds an Arrow text column, without a copy."""
    import pyarrow as pa

    array = values.array if isinstance(values, pd.Series) else values
    data = array.__arrow_array__()  # type: ignore[attr-defined]
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def _printable_ascii(data: object) -> bool:
    """Whether every character of an Arrow text column is printable ASCII (" " to "~"): the
    bytes of its data buffers are looked at in numpy, a few milliseconds for a million ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for chunk in data.chunks:  # type: ignore[attr-defined]
        if not len(chunk):
            continue
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return bool(pc.all(pc.match_substring_regex(chunk, r"^[ -~]*$")).as_py())
        _, offsets, text = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bounds = np.frombuffer(offsets, dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        if text is None or bounds[0] == bounds[-1]:
            continue
        part = np.frombuffer(text, dtype=np.uint8)[bounds[0]:bounds[-1]]
        if part.min() < 0x20 or part.max() > 0x7E:
            return False
    return True


def _arrow_text(values: object) -> pd.Series:
    """A text column as Arrow-backed pandas text (converted once, in C++, when it is not)."""
    if is_arrow_text(values):
        return pd.Series(values, copy=False)
    return pd.Series(pd.array(values, dtype=pd.StringDtype("pyarrow")), copy=False)


def as_object_array(values: object) -> np.ndarray:
    """Any 1-D sequence (list, tuple, Series, array) as an object array."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(object)  # Python numbers, as a list would give, made in C
    if isinstance(values, (pd.Series, pd.api.extensions.ExtensionArray)):
        return np.asarray(pd.Series(values).to_numpy(dtype=object, na_value=None))
    array = np.empty(len(values), dtype=object)  # type: ignore[arg-type]
    array[:] = list(values)  # type: ignore[call-overload]
    return array


def blank_mask(values: np.ndarray) -> np.ndarray:
    """True where a cell is empty: None, NaN/NaT, or text that is only whitespace."""
    return _blank_mask(values, _kind(values))


def _blank_mask(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "string":
        return text_cells(values, kind)[1]  # type: ignore[index]
    series = pd.Series(values, dtype=object)
    blank = series.isna().to_numpy(copy=True)
    if kind.startswith("mixed"):
        is_text = series.map(lambda value: isinstance(value, str)).to_numpy(dtype=bool)
        if is_text.any():
            blank[is_text] = (series[is_text].str.strip() == "").to_numpy(dtype=bool)
    return blank


def parse_text(values: np.ndarray) -> Parsed:
    """Identifiers as text: strings stripped, whole numbers without a decimal point.

    Excel and CSV readers hand invoice and customer numbers over as floats
    (611365.0) or as float text ("1930571429.0"); both become "611365" and
    "1930571429" (float text only when the whole column is like that). Text
    that is already text keeps its leading zeros.
    """
    cells = text_cells(values)
    if cells is not None:
        return _integral_floats_cut(pd.Series(cells[0], dtype=object, copy=False), len(cells[0]))
    values = as_object_array(values)
    series = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        texts = series.str.strip().fillna("")
    else:
        texts = pd.Series([_text_of(value) for value in values], dtype=object)
    return _integral_floats_cut(texts, len(values))


_CLEAN_ID = r"(?:[!-~](?:[ -~]*[!-~])?)?"
"""Printable ASCII with nothing to strip at either end (or nothing at all)."""


def arrow_ids(values: object) -> Parsed | None:
    """`parse_text` of Arrow text that needs no work, kept in Arrow (no Python strings).

    When every cell is printable ASCII with nothing to strip, and the column is not
    float text ("611365.0"), the text is already what `parse_text` would give; None
    otherwise, and the caller uses `parse_text`.
    """
    if not is_arrow_text(values):
        return None
    import pyarrow.compute as pc

    data = _arrow_data(values)
    if data.null_count or not _printable_ascii(data):  # type: ignore[attr-defined]
        return None
    if pc.any(pc.starts_with(data, " ")).as_py() or pc.any(pc.ends_with(data, " ")).as_py():
        return None  # (in printable ASCII, a space is the only character strip takes)
    blank = pc.binary_length(data).to_numpy() == 0
    present = np.flatnonzero(~blank)
    if len(present) and _INTEGRAL_FLOAT_TEXT.fullmatch(data[int(present[0])].as_py()):
        return None
    return Parsed(values, blank, np.zeros(len(blank), dtype=bool))  # type: ignore[arg-type]


def _integral_floats_cut(texts: pd.Series, length: int) -> Parsed:
    """Float text ("611365.0") as whole numbers, when the whole column is like that."""
    blank = (texts == "").to_numpy(dtype=bool)
    present = texts[~blank]
    looks_like_floats = len(present) and _INTEGRAL_FLOAT_TEXT.fullmatch(present.iloc[0])
    if looks_like_floats and present.str.fullmatch(_INTEGRAL_FLOAT_TEXT.pattern).all():
        texts[~blank] = present.str.split(".", n=1).str[0]
    out = texts.to_numpy(dtype=object)
    return Parsed(out, blank, np.zeros(length, dtype=bool))


def _text_of(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).upper()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value).strip()


def parse_amounts(values: np.ndarray, *, decimal: str = ".") -> Parsed:
    """Money amounts from numbers or accounting text.

    Text may carry a currency symbol or code, spaces, thousands separators,
    parentheses or a trailing minus for negatives: "1,234.50", "(100.00)",
    "$ 99", "EUR 12.00", "250.00-". With `decimal=","` the roles of "." and ","
    swap ("1.234,50"). Booleans are not amounts, nor is "NaN" or "inf"; numbers
    of `MAX_AMOUNT` or more either way (1e308, a 400-digit number) are bad and
    marked `out_of_range`.
    """
    if _is_floats(values):  # a column of numbers: blanks are NaN, nothing to read per value
        return _bounded_amounts(np.array(values, dtype=float), np.isnan(values))
    kind = _kind(values)
    if kind == "string":
        return _amounts_of_text(values, decimal)
    values = as_object_array(values)
    blank = _blank_mask(values, kind)
    series = pd.Series(values, dtype=object)
    numbers: np.ndarray | None = None
    if kind in ("floating", "integer", "mixed-integer-float", "empty", "decimal"):
        try:
            numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        except (OverflowError, TypeError, ValueError):  # an integer too large for a float
            numbers = None
    if numbers is None:
        numbers = np.full(len(values), np.nan)
        for index in np.flatnonzero(~blank):
            number = _amount_from_value(values[index], decimal)
            if number is not None:
                numbers[index] = number
    return _bounded_amounts(numbers, blank)


def _bounded_amounts(numbers: np.ndarray, blank: np.ndarray) -> Parsed:
    unread = ~blank & np.isnan(numbers)
    with np.errstate(invalid="ignore"):
        too_large = ~blank & ~unread & ~(np.abs(numbers) < MAX_AMOUNT)
    bad = unread | too_large
    return Parsed(np.where(blank | bad, np.nan, numbers), blank, bad, out_of_range=too_large)


def _amounts_of_text(values: object, decimal: str) -> Parsed:
    """A text column's amounts: plain numbers ("-1234.50") cast in C++, the rest per value."""
    if is_arrow_text(values):
        return _amounts_of_arrow_text(values, decimal)
    text = _arrow_text(values)
    simple = text.str.fullmatch(_PLAIN_NUMBER[decimal]).to_numpy(dtype=bool, na_value=False)
    cells, blank = text_cells(values, "string")  # type: ignore[misc]
    numbers = np.full(len(text), np.nan)
    if simple.any():
        chosen = text[simple]
        if decimal != ".":
            chosen = chosen.str.replace(decimal, ".", regex=False)
        numbers[simple] = chosen.astype("float64").to_numpy(dtype=float)
    return _bounded_amounts(_other_amounts(numbers, cells, ~simple & ~blank, decimal), blank)


def _amounts_of_arrow_text(values: object, decimal: str) -> Parsed:
    """`_amounts_of_text` in Arrow's kernels: only the cells that are neither plain numbers
    nor empty become Python strings, for the per-value parser."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = _arrow_data(values)
    simple = pc.match_substring_regex(data, f"^(?:{_PLAIN_NUMBER[decimal]})$")
    simple = pc.fill_null(simple, False).to_numpy()  # type: ignore[attr-defined]
    blank = pc.fill_null(pc.binary_length(data), 0).to_numpy() == 0
    numbers = np.full(len(blank), np.nan)
    if simple.any():
        chosen = pc.filter(data, pa.array(simple))
        if decimal != ".":
            chosen = pc.replace_substring(chosen, decimal, ".")
        numbers[simple] = pc.cast(chosen, pa.float64()).to_numpy()
    others = np.flatnonzero(~simple & ~blank)
    if len(others):  # the per-value parser's, as strings
        cells = [text.strip() for text in data.take(others).to_pylist()]  # type: ignore[attr-defined]
        blank[others] = [not cell for cell in cells]
        for index, cell in zip(others.tolist(), cells, strict=True):
            number = _number_from_text(cell, decimal) if cell else None
            if number is not None:
                numbers[index] = number
    return _bounded_amounts(numbers, blank)


def _other_amounts(numbers: np.ndarray, cells: np.ndarray, others: np.ndarray,
                   decimal: str) -> np.ndarray:
    """`numbers` with the `others` cells read by the per-value parser."""
    for index in np.flatnonzero(others):
        number = _number_from_text(cells[index], decimal)
        if number is not None:
            numbers[index] = number
    return numbers


def _amount_from_value(value: object, decimal: str) -> float | None:
    """A cell as a number, unbounded (inf for an integer too large for a float); None if not one."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, (float, np.floating, Decimal)):
        number = float(value)
        return None if math.isnan(number) else number
    if not isinstance(value, str):
        return None
    return _number_from_text(value, decimal)


def amount_from_text(text: str, *, decimal: str = ".") -> float | None:
    """One accounting-style amount from text, or None when it is not one (or not below
    `MAX_AMOUNT` either way)."""
    number = _number_from_text(text, decimal)
    return number if number is not None and abs(number) < MAX_AMOUNT else None


def _number_from_text(text: str, decimal: str) -> float | None:
    cleaned = _CURRENCY_CODE.sub("", _CURRENCY_MARKS.sub("", text))
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1]
    if cleaned.endswith("-"):
        negative, cleaned = True, cleaned[:-1]
    if cleaned.startswith("-"):
        negative, cleaned = not negative, cleaned[1:]
    elif cleaned.startswith("+"):
        cleaned = cleaned[1:]
    thousands = "," if decimal == "." else "."
    whole, _, fraction = cleaned.partition(decimal)
    if thousands in fraction:  # "1.200,50" read with "." as the decimal point
        return None
    if thousands in cleaned:
        groups = whole.split(thousands)
        if any(len(group) != 3 for group in groups[1:]) or not groups[0]:
            return None
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(decimal, ".")
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", cleaned):
        return None
    number = float(cleaned)  # inf for 400 digits: refused by the callers' bound
    return -number if negative else number


def parse_flags(values: np.ndarray) -> Parsed:
    """Yes/no columns: booleans, 1/0, Yes/No, Y/N, True/False, x; blank is no."""
    if is_arrow_text(values):  # each distinct word looked up once
        codes, cells, blank = _arrow_distinct(values)
        read = _flags_of_text(cells, blank)
        return Parsed(read.values[codes], blank[codes], read.bad[codes])
    cells = text_cells(values)
    if cells is not None:
        return _flags_of_text(*cells)
    values = as_object_array(values)
    blank = blank_mask(values)
    flags = np.zeros(len(values), dtype=bool)
    bad = np.zeros(len(values), dtype=bool)
    for index in np.flatnonzero(~blank):
        value = values[index]
        if _is_number(value) and value in (0, 1):
            flags[index] = bool(value)
        elif isinstance(value, str) and value.strip().lower() in _TRUE_WORDS:
            flags[index] = True
        elif not (isinstance(value, str) and value.strip().lower() in _FALSE_WORDS):
            bad[index] = True
    return Parsed(flags, blank, bad)


def _flags_of_text(cells: np.ndarray, blank: np.ndarray) -> Parsed:
    """A text column's flags: each stripped, lower-cased word looked up, mapped in C."""
    words = list(map(str.lower, cells))
    count = len(words)
    flags = np.fromiter(map(_TRUE_WORDS.__contains__, words), dtype=bool, count=count)
    known = np.fromiter(map(_FALSE_WORDS.__contains__, words), dtype=bool, count=count)
    return Parsed(flags, blank, ~blank & ~flags & ~known)


def _is_floats(values: object) -> bool:
    """True for a float array (a sheet's numbers as Arrow reads them), parsed without objects."""
    return isinstance(values, np.ndarray) and values.dtype.kind == "f"


def _is_number(value: object) -> bool:
    return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating))


def parse_dates(values: np.ndarray, *, dayfirst: bool | None = None) -> Parsed:
    """Dates from datetimes, dates, Excel serial numbers or text, as midnight timestamps.

    Serial numbers follow Excel's 1900 date system (what xlwings passes for
    TODAY() and computed dates). Text may be ISO ("2024-03-31"), numeric with
    "/", "-" or "." ("3/31/2024", "31.03.2024", "2024/03/31", with or without a
    time), with a month name ("30-Nov-15"), or YYYYMMDD. For numeric text the
    day/month order is `dayfirst`; when it is None the order is inferred from
    the column (a value such as 31/03 settles it), and a column that reads
    differently both ways raises `AmbiguousDatesError`.

    Every form is first read as a calendar day, whatever its year, and only then
    checked against `FIRST_DATE`..`LAST_DATE`: a day outside is bad (and marked
    `out_of_range`), never wrapped round into the range nanosecond timestamps hold.
    """
    if _is_floats(values):  # Excel serial numbers, NaN for a blank
        blank = np.isnan(values)
        return _dates_in_range(_days_from_serials(values), blank, "")
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":  # a sheet's, read by Arrow
        return _dates_in_range(_days(values), np.isnat(values), "")
    if is_arrow_text(values):  # each distinct text read once, the days taken back by code
        codes, cells, blank = _arrow_distinct(values)
        days = np.full(len(cells), _NO_DAY)
        note = ""
        if (~blank).any():
            days[~blank], note = _days_from_text(cells[~blank], dayfirst)
        read = _dates_in_range(days, blank, note)
        far = read.out_of_range[codes]  # type: ignore[index]
        return Parsed(read.values[codes], blank[codes], read.bad[codes], note, far)
    kind = _kind(values)
    if kind == "string":
        cells, blank = text_cells(values, kind)  # type: ignore[misc]
        days = np.full(len(cells), _NO_DAY)
        note = ""
        if (~blank).any():
            days[~blank], note = _days_from_text(cells[~blank], dayfirst)
        return _dates_in_range(days, blank, note)
    values = as_object_array(values)
    blank = _blank_mask(values, kind)
    series = pd.Series(values, dtype=object)
    days = np.full(len(values), _NO_DAY)
    note = ""
    if kind in ("datetime", "datetime64", "date"):
        days = _days_of_datetimes(series, values, ~blank)
    elif kind in ("floating", "integer", "mixed-integer-float"):
        try:
            days = _days_from_serials(pd.to_numeric(series, errors="coerce").to_numpy(float))
        except (OverflowError, TypeError, ValueError):  # an integer too large for a float
            days, note = _days_from_mixed(values, ~blank, dayfirst)
    elif kind != "empty":
        days, note = _days_from_mixed(values, ~blank, dayfirst)
    return _dates_in_range(days, blank, note)


def _dates_in_range(days: np.ndarray, blank: np.ndarray, note: str) -> Parsed:
    days[blank] = _NO_DAY
    in_range = (days >= _FIRST_DAY) & (days <= _LAST_DAY)  # NaT is neither
    result = np.full(len(days), np.datetime64("NaT", "ns"))
    result[in_range] = days[in_range].astype("datetime64[ns]")
    out_of_range = ~np.isnat(days) & ~in_range
    return Parsed(result, blank, ~blank & ~in_range, note, out_of_range)


_NO_DAY = np.datetime64("NaT", "D")
_FIRST_DAY = np.datetime64(FIRST_DATE, "D")
_LAST_DAY = np.datetime64(LAST_DATE, "D")
_EPOCH_DAY = np.datetime64("1899-12-30", "D")


def _days(stamps: np.ndarray) -> np.ndarray:
    """datetime64 values of any unit as days (midnight of their date; never overflows)."""
    return np.asarray(stamps).astype("datetime64[D]")


def _days_of_datetimes(series: pd.Series, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """A column of dates and datetimes (as calamine and xlwings give them) as days.

    pandas reads the column at the resolution it needs (seconds for 9999-12-31),
    so the days are exact; a cell it could not read (mixed time zones, or a pandas
    that holds only nanoseconds) is read on its own.
    """
    try:
        stamps = pd.to_datetime(series, errors="coerce")
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        days = _days(stamps.to_numpy())
    except (AttributeError, OverflowError, TypeError, ValueError):
        days = np.full(len(values), _NO_DAY)
    unread = present & np.isnat(days)
    if unread.any():
        days[unread] = _days_from_mixed(values[unread], np.ones(unread.sum(), bool), None)[0]
    return days


def _day_of(value: dt.date | np.datetime64) -> np.datetime64:
    """A date or datetime as its day; a time zone is dropped, keeping the wall-clock date."""
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]")
    if isinstance(value, dt.datetime):
        value = value.date()
    return np.datetime64(value, "D")


def _days_from_serials(serials: np.ndarray) -> np.ndarray:
    """Excel serial numbers as days; numbers that are no Excel date (below 1, beyond
    9999-12-31, not finite) as NaT. Days before 1900-03-01 come out one early
    (Excel's phantom 1900-02-29), but they are outside the ledger's range anyway."""
    serials = np.asarray(serials, dtype=float)
    dates = np.isfinite(serials) & (serials >= 1) & (serials < _LAST_EXCEL_SERIAL + 1)
    whole = np.floor(np.where(dates, serials, 0)).astype("int64")
    days = _EPOCH_DAY + whole.astype("timedelta64[D]")
    days[~dates] = _NO_DAY
    return days


def _days_from_mixed(
    values: np.ndarray, present: np.ndarray, dayfirst: bool | None
) -> tuple[np.ndarray, str]:
    days = np.full(len(values), _NO_DAY)
    text_positions: list[int] = []
    for index in np.flatnonzero(present):
        value = values[index]
        if isinstance(value, (dt.date, np.datetime64)):
            days[index] = _day_of(value)
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            with contextlib.suppress(OverflowError):  # an integer too large for a float
                days[index] = _days_from_serials(np.array([float(value)]))[0]
        elif isinstance(value, str):
            text_positions.append(index)
    note = ""
    if text_positions:
        texts = [values[i].strip() for i in text_positions]
        parsed, note = _days_from_text(texts, dayfirst)
        days[np.array(text_positions)] = parsed
    return days, note


def _days_from_text(texts: list[str] | np.ndarray, dayfirst: bool | None
                    ) -> tuple[np.ndarray, str]:
    """Parse text dates as days, each distinct text once."""
    codes, unique = pd.factorize(np.asarray(texts, dtype=object))
    unique = np.asarray(unique, dtype=object)
    days = np.full(len(unique), _NO_DAY)
    remaining = np.arange(len(unique))

    numeric = np.asarray(pd.Index(unique).str.fullmatch(r"\d+(\.\d+)?"), dtype=bool)
    if numeric.any():
        days[numeric] = _days_from_digits(pd.Index(unique[numeric]))
        remaining = remaining[~numeric]

    note = ""
    if len(remaining):
        parts = pd.Index(unique[remaining]).str.extract(_NUMERIC_DATE)
        has_parts = parts["a"].notna().to_numpy()
        if has_parts.any():
            days[remaining[has_parts]], note = _days_from_parts(parts[has_parts], dayfirst)
            remaining = remaining[~has_parts]

    if len(remaining):  # ISO text starts with a four-digit year ("-5" is not year -5)
        iso = np.asarray(pd.Index(unique[remaining]).str.match(_ISO_START), dtype=bool)
        days[remaining[iso]] = _days_by_pandas(unique[remaining[iso]], format="ISO8601", utc=True)
        remaining = remaining[np.isnat(days[remaining])]
    for fmt in _NAMED_MONTH_FORMATS:
        if not len(remaining):
            break
        found = _days_by_pandas(unique[remaining], format=fmt)
        days[remaining] = found
        remaining = remaining[np.isnat(found)]
    return days[codes], note


def _days_by_pandas(texts: np.ndarray, **options: object) -> np.ndarray:
    """Texts read by `pd.to_datetime` with `options`, as days; NaT where they do not fit."""
    try:
        stamps = pd.to_datetime(pd.Series(texts, dtype=object), errors="coerce", **options)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        return _days(stamps.to_numpy())
    except (AttributeError, OverflowError, TypeError, ValueError):
        return np.full(len(texts), _NO_DAY)


def _days_from_digits(texts: pd.Index) -> np.ndarray:
    """All-digit text: YYYYMMDD when it has eight digits, else an Excel serial."""
    out = np.full(len(texts), _NO_DAY)
    eight = np.asarray(texts.str.fullmatch(r"(19|20)\d{6}"), dtype=bool)
    if eight.any():
        out[eight] = _days_by_pandas(np.asarray(texts[eight]), format="%Y%m%d")
    if (~eight).any():
        out[~eight] = _days_from_serials(np.array([float(t) for t in texts[~eight]]))
    return out


def _days_from_parts(parts: pd.DataFrame, dayfirst: bool | None) -> tuple[np.ndarray, str]:
    first = parts["a"].astype(int).to_numpy()
    second = parts["b"].astype(int).to_numpy()
    third = parts["c"].astype(int).to_numpy()
    year_first = parts["a"].str.len().to_numpy() == 4
    year = np.where(year_first, first, _full_year(third, parts["c"].str.len().to_numpy()))

    ymd = _calendar_days(year, second, third)
    month_first = _calendar_days(year, first, second)
    day_first = _calendar_days(year, second, first)
    dmy_rows = ~year_first
    note = ""
    if dayfirst is None:
        works_mdy = ~np.isnat(month_first[dmy_rows])
        works_dmy = ~np.isnat(day_first[dmy_rows])
        differ = works_mdy & works_dmy & (month_first[dmy_rows] != day_first[dmy_rows])
        if works_mdy.all() and not works_dmy.all():
            dayfirst, note = False, "dates read month first (M/D/Y)"
        elif works_dmy.all() and not works_mdy.all():
            dayfirst, note = True, "dates read day first (D/M/Y)"
        elif differ.any():
            a, b, c = parts[dmy_rows].iloc[int(np.flatnonzero(differ)[0])][["a", "b", "c"]]
            raise AmbiguousDatesError(f"{a}/{b}/{c}")
        else:
            dayfirst = works_dmy.sum() > works_mdy.sum()
    chosen = day_first if dayfirst else month_first
    return np.where(year_first, ymd, chosen), note


def _calendar_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The days of year/month/day triples, any year; NaT where there is no such day (2/30)."""
    possible = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    months = np.where(possible, (year - 1970) * 12 + month - 1, 0).astype("timedelta64[M]")
    start = np.datetime64("1970-01", "M") + months
    days = start.astype("datetime64[D]") + np.where(possible, day - 1, 0).astype("timedelta64[D]")
    exists = possible & (days.astype("datetime64[M]") == start)
    return np.where(exists, days, _NO_DAY)


def _full_year(year: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Two-digit years as Python's %y reads them: 69-99 are 1900s, 00-68 are 2000s."""
    two_digit = digits <= 2
    century = np.where(year >= 69, 1900, 2000)
    return np.where(two_digit, century + year, year)


def excel_serial(day: pd.Timestamp | dt.date) -> float:
    """The Excel (1900 system) serial number of a date."""
    return float((pd.Timestamp(day).normalize() - EXCEL_EPOCH).days)


def column_or(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    """A frame's column (reindexed from 0), or `default` in every row when it has none."""
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([default] * len(frame), dtype=object)


def stripped_texts(values: pd.Series) -> pd.Series:
    """Cells as stripped text, blanks and NaN as ""."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def is_blank(value: object) -> bool:
    """One cell left empty: None, NaN, or text of nothing but spaces."""
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and value != value)


def number_or_none(value: object) -> float | None:
    """A number from a cell typed by hand (3, 3.0, " 3 "); None for text, True/False, blanks."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def shown_value(value: object) -> object:
    """A refused cell's value as an `Issue` shows it: a date cell as 9999-12-31, not its
    repr; a long text cut short."""
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time(0)
        return value.date().isoformat() if midnight else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):  # a cell of a date column, shown as its datetime
        moment = value.astype("datetime64[us]").item()
        return shown_value(moment) if isinstance(moment, dt.datetime) else str(value)
    if isinstance(value, np.floating):  # a cell of a float column, shown as the number it is
        return float(value)
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:20]}... ({len(value)} characters)"
    return value
