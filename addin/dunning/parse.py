"""Turn the cell values real invoice tables hold into numbers, dates, flags and text.

Each parser takes a whole column (a 1-D object array, as read from a sheet, a CSV
or an xlwings argument) and returns the parsed values with a mask of the cells
it could not read, so the ledger builder can report every bad cell with its
row. Homogeneous columns take a vectorised fast path; only mixed columns are
looked at value by value. Text dates repeat a lot, so they are parsed once per
distinct value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day zero of Excel's 1900 system: serial 1 is 1900-01-01, 60 is Excel's phantom 1900-02-29."""
MAX_EXCEL_SERIAL = (dt.date(2262, 4, 11) - dt.date(1899, 12, 30)).days
"""Last serial a ledger date can hold (2262-04-11); Excel's own limit, 9999-12-31, is beyond it."""

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
_CURRENCY_MARKS = re.compile(r"[\s\u00a0$€£¥]+")
_CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}|[A-Za-z]{3}$")
_INTEGRAL_FLOAT_TEXT = re.compile(r"-?\d+\.0+")


@dataclass(frozen=True)
class Parsed:
    """Parsed values of one column, with masks over the input positions.

    `blank` marks empty cells (None, NaN, "" or whitespace); `bad` marks
    non-blank cells that could not be read. `note` explains a column-wide
    decision (for example which date order was inferred).
    """

    values: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    note: str = ""


class AmbiguousDatesError(ValueError):
    """Text dates that read differently day-first and month-first, with no setting to decide."""

    def __init__(self, example: str) -> None:
        self.example = example
        super().__init__(
            f"dates such as {example!r} can be read day-first or month-first; "
            "state the date order (command line: --dayfirst or --monthfirst; "
            "Python: dayfirst=True or False)"
        )


def as_object_array(values: object) -> np.ndarray:
    """Any 1-D sequence (list, tuple, Series, array) as an object array."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object, na_value=None)
    array = np.empty(len(values), dtype=object)  # type: ignore[arg-type]
    array[:] = list(values)  # type: ignore[call-overload]
    return array


def blank_mask(values: np.ndarray) -> np.ndarray:
    """True where a cell is empty: None, NaN/NaT, or text that is only whitespace."""
    series = pd.Series(values, dtype=object)
    blank = series.isna().to_numpy(copy=True)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "string":
        blank |= (series.str.strip() == "").to_numpy(dtype=bool, na_value=False)
    elif kind.startswith("mixed"):
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
    values = as_object_array(values)
    series = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        texts = series.str.strip().fillna("")
    else:
        texts = pd.Series([_text_of(value) for value in values], dtype=object)
    blank = (texts == "").to_numpy(dtype=bool)
    present = texts[~blank]
    looks_like_floats = len(present) and _INTEGRAL_FLOAT_TEXT.fullmatch(present.iloc[0])
    if looks_like_floats and present.str.fullmatch(_INTEGRAL_FLOAT_TEXT.pattern).all():
        texts[~blank] = present.str.split(".", n=1).str[0]
    out = texts.to_numpy(dtype=object)
    return Parsed(out, blank, np.zeros(len(values), dtype=bool))


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
    swap ("1.234,50"). Booleans are not amounts.
    """
    values = as_object_array(values)
    blank = blank_mask(values)
    series = pd.Series(values, dtype=object)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float", "empty", "decimal"):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        bad = ~blank & ~np.isfinite(numbers)
        return Parsed(np.where(blank | bad, np.nan, numbers), blank, bad)
    numbers = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for index in np.flatnonzero(~blank):
        number = _amount_from_value(values[index], decimal)
        if number is None:
            bad[index] = True
        else:
            numbers[index] = number
    return Parsed(numbers, blank, bad)


def _amount_from_value(value: object, decimal: str) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return number if np.isfinite(number) else None
    if not isinstance(value, str):
        return None
    return amount_from_text(value, decimal=decimal)


def amount_from_text(text: str, *, decimal: str = ".") -> float | None:
    """One accounting-style amount from text, or None when it is not one."""
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
    number = float(cleaned)
    return -number if negative else number


def parse_flags(values: np.ndarray) -> Parsed:
    """Yes/no columns: booleans, 1/0, Yes/No, Y/N, True/False, x; blank is no."""
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
    """
    values = as_object_array(values)
    blank = blank_mask(values)
    series = pd.Series(values, dtype=object)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(len(values), dtype=bool)
    note = ""
    if kind in ("datetime", "datetime64", "date"):
        result = _timestamps(series).to_numpy(dtype="datetime64[ns]")
    elif kind in ("floating", "integer", "mixed-integer-float"):
        result, bad = _from_serials(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float))
    elif kind != "empty":
        result, bad, note = _from_mixed(values, ~blank, dayfirst)
    bad &= ~blank
    return Parsed(result, blank, bad, note)


def _timestamps(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce").dt.tz_localize(None).dt.normalize()


def _from_serials(serials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    valid = np.isfinite(serials) & (serials >= 1) & (serials <= MAX_EXCEL_SERIAL)
    days = np.where(valid, np.floor(np.where(valid, serials, 0)), 0).astype("int64")
    stamps = EXCEL_EPOCH.to_datetime64() + days.astype("timedelta64[D]")
    stamps = stamps.astype("datetime64[ns]")
    stamps[~valid] = np.datetime64("NaT")
    return stamps, ~valid & ~np.isnan(serials)


def _from_mixed(
    values: np.ndarray, present: np.ndarray, dayfirst: bool | None
) -> tuple[np.ndarray, np.ndarray, str]:
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(len(values), dtype=bool)
    text_positions: list[int] = []
    for index in np.flatnonzero(present):
        value = values[index]
        if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)) and not isinstance(
            value, bool
        ):
            stamp = pd.Timestamp(value)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_localize(None)
            result[index] = stamp.normalize().to_datetime64()
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            stamp, is_bad = _from_serials(np.array([float(value)]))
            result[index], bad[index] = stamp[0], is_bad[0]
        elif isinstance(value, str):
            text_positions.append(index)
        else:
            bad[index] = True
    note = ""
    if text_positions:
        texts = [values[i].strip() for i in text_positions]
        parsed, note = _dates_from_text(texts, dayfirst)
        positions = np.array(text_positions)
        result[positions] = parsed
        bad[positions] = np.isnat(parsed)
    return result, bad, note


def _dates_from_text(texts: list[str], dayfirst: bool | None) -> tuple[np.ndarray, str]:
    """Parse text dates, each distinct text once."""
    unique = pd.unique(np.array(texts, dtype=object))
    parsed = pd.Series(pd.NaT, index=unique, dtype="datetime64[ns]")
    remaining = pd.Index(unique)

    numeric = remaining.str.fullmatch(r"\d+(\.\d+)?")
    if numeric.any():
        parsed.loc[remaining[numeric]] = _dates_from_digits(remaining[numeric])
        remaining = remaining[~numeric]

    parts = remaining.str.extract(_NUMERIC_DATE)
    has_parts = parts["a"].notna().to_numpy()
    note = ""
    if has_parts.any():
        dates, note = _dates_from_parts(parts[has_parts], dayfirst)
        parsed.loc[remaining[has_parts]] = dates
        remaining = remaining[~has_parts]

    if len(remaining):
        iso = pd.to_datetime(pd.Series(remaining), format="ISO8601", errors="coerce", utc=True)
        iso = iso.dt.tz_localize(None).dt.normalize().to_numpy()
        parsed.loc[remaining] = iso
        remaining = remaining[np.isnat(iso)]
    for fmt in _NAMED_MONTH_FORMATS:
        if not len(remaining):
            break
        attempt = pd.to_datetime(pd.Series(remaining), format=fmt, errors="coerce").to_numpy()
        parsed.loc[remaining] = attempt
        remaining = remaining[np.isnat(attempt)]
    return parsed.loc[texts].to_numpy(dtype="datetime64[ns]"), note


def _dates_from_digits(texts: pd.Index) -> np.ndarray:
    """All-digit text: YYYYMMDD when it has eight digits, else an Excel serial."""
    out = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    eight = texts.str.fullmatch(r"(19|20)\d{6}")
    if eight.any():
        out[eight] = pd.to_datetime(pd.Series(texts[eight]), format="%Y%m%d", errors="coerce")
    serial_texts = ~eight
    if serial_texts.any():
        serials = pd.to_numeric(pd.Series(texts[serial_texts]), errors="coerce").to_numpy()
        out[serial_texts] = _from_serials(serials)[0]
    return out


def _dates_from_parts(parts: pd.DataFrame, dayfirst: bool | None) -> tuple[np.ndarray, str]:
    first = parts["a"].astype(int).to_numpy()
    second = parts["b"].astype(int).to_numpy()
    third = parts["c"].astype(int).to_numpy()
    year_first = parts["a"].str.len().to_numpy() == 4
    year = np.where(year_first, first, _full_year(third, parts["c"].str.len().to_numpy()))

    in_range = (year >= 1900) & (year <= 2261)  # what both Excel and a ledger column can hold

    def build(month: np.ndarray, day: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame({"year": np.where(in_range, year, 2000), "month": month, "day": day})
        stamps = pd.to_datetime(frame, errors="coerce").to_numpy(dtype="datetime64[ns]")
        return np.where(in_range, stamps, np.datetime64("NaT", "ns"))

    ymd = build(second, third)
    month_first = build(first, second)
    day_first = build(second, first)
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
