"""Python values as cell XML, with text that is always literal.

Text is written as an inline string (`t="inlineStr"`), never through the shared
string table, so sharedStrings.xml stays byte-identical; and a cell holding
`<is><t>` text is never a formula, whatever the text begins with. No `<f>`
element is ever produced from a value: formulas come only from a table's own
calculated-column definition (`formula_cell`). Text that Excel would turn into a
formula if someone later pressed F2 and Enter on it (leading `=`, `+`, `-`, `@`,
tab, CR, LF) is also given a quote-prefix style by the caller, so it stays text
even when edited; Excel shows it as written and keeps an apostrophe only in the
formula bar.

Excel's own escape `_xHHHH_` inside text is itself escaped (`_x005F_xHHHH_`), so a
value such as `_x0041_` is read back as written, not as "A"; a carriage return is
written as `_x000D_`, the way Excel writes it, because XML parsers turn a literal
CR into LF. Characters XML 1.0 cannot hold are refused.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from dunning.io.xlsx.markup import escape_text

Kind = Literal["text", "number", "bool", "empty", "date", "datetime", "time"]

RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_TEXT = 32_767
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_FIRST_1900 = dt.datetime(1900, 3, 1)


class CellValueError(ValueError):
    """A value that cannot go into a cell; the caller adds the row and column."""


@dataclass(frozen=True)
class Encoded:
    """A value ready for a cell: its kind and its text in the file."""

    kind: Kind
    text: str = ""

    @property
    def risky(self) -> bool:
        """Text Excel would read as a formula if it were typed in."""
        return self.kind == "text" and self.text.startswith(RISKY_START)


def encode(value: object, *, date1904: bool = False) -> Encoded:
    """The cell form of a Python (or numpy/pandas) value.

    None, NaN, NaT and pandas.NA leave the cell empty; booleans are Excel booleans;
    dates, datetimes and times become serial numbers (their kind tells the caller a
    date format is needed); other numbers are written as they are.
    """
    value = _plain(value)
    if value is None:
        return Encoded("empty")
    if isinstance(value, str):
        return Encoded("text", check_text(value))
    if isinstance(value, bool):
        return Encoded("bool", "1" if value else "0")
    if isinstance(value, dt.datetime):
        kind: Kind = "date" if value.time() == dt.time(0) else "datetime"
        return Encoded(kind, _number(serial(value, date1904=date1904)))
    if isinstance(value, dt.date):
        return Encoded("date", _number(serial(value, date1904=date1904)))
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return Encoded("time", _number(seconds / 86400))
    if isinstance(value, dt.timedelta):
        return Encoded("number", _number(value.total_seconds() / 86400))
    if isinstance(value, (numbers.Real, Decimal)):
        number = float(value) if not isinstance(value, numbers.Integral) else int(value)
        if isinstance(number, float) and math.isnan(number):
            return Encoded("empty")
        return Encoded("number", _number(number))
    raise CellValueError(f"cannot write a {type(value).__name__} into a cell")


def _plain(value: object) -> object:
    """numpy scalars as Python scalars; pandas' and numpy's missing markers as None."""
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    module = type(value).__module__
    if (module == "numpy" or module.startswith("numpy.")) and hasattr(value, "item"):
        if type(value).__name__ == "datetime64":
            if value != value:  # NaT
                return None
            value = value.astype("datetime64[us]")  # type: ignore[attr-defined]
        value = value.item()  # type: ignore[attr-defined]
    return value


def _number(number: float | int) -> str:
    if isinstance(number, float) and math.isinf(number):
        raise CellValueError("infinity cannot be stored in a cell")
    if isinstance(number, int):
        return str(number)
    return repr(number) if number != int(number) or abs(number) >= 1e15 else str(int(number))


def serial(value: dt.date | dt.datetime, *, date1904: bool = False) -> float:
    """Excel's serial day number of a date (1900 or 1904 date system)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    value = value.replace(tzinfo=None)
    if date1904:
        if value < _EPOCH_1904:
            raise CellValueError("dates before 1904-01-01 cannot be stored in this workbook")
        delta = value - _EPOCH_1904
    else:
        if value < _FIRST_1900:
            raise CellValueError("dates before 1900-03-01 cannot be stored as Excel dates")
        delta = value - _EPOCH_1900
    whole = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return round(whole, 10) if delta.seconds or delta.microseconds else delta.days


def check_text(text: str) -> str:
    """The text itself, or CellValueError when Excel or XML cannot hold it."""
    bad = _ILLEGAL.search(text)
    if bad is not None:
        raise CellValueError(
            f"text holds the control character U+{ord(bad.group(0)):04X} at position "
            f"{bad.start() + 1}, which a workbook cannot store; remove it"
        )
    if len(text) > MAX_TEXT:
        raise CellValueError(f"text is {len(text):,} characters long; a cell holds {MAX_TEXT:,}")
    return text


def escape_cell_text(text: str) -> str:
    """Text for a `<t>` element, read back exactly as given."""
    text = _EXCEL_ESCAPE.sub(r"_x005F_\1", text)
    return escape_text(text).replace("\r", "_x000D_")


def cell(ref: str, encoded: Encoded, style: int, prefix: str = "") -> str:
    """`<c>` element for an encoded value; "" for an empty unstyled cell."""
    p = prefix
    styled = f' s="{style}"' if style else ""
    if encoded.kind == "empty":
        return f'<{p}c r="{ref}"{styled}/>' if style else ""
    if encoded.kind == "text":
        body = escape_cell_text(encoded.text)
        return (
            f'<{p}c r="{ref}"{styled} t="inlineStr"><{p}is>'
            f'<{p}t xml:space="preserve">{body}</{p}t></{p}is></{p}c>'
        )
    if encoded.kind == "bool":
        return f'<{p}c r="{ref}"{styled} t="b"><{p}v>{encoded.text}</{p}v></{p}c>'
    return f'<{p}c r="{ref}"{styled}><{p}v>{encoded.text}</{p}v></{p}c>'


def formula_cell(
    ref: str, formula: str, style: int, prefix: str = "", *, array: bool = False
) -> str:
    """`<c>` with a formula taken from a table part, never from a written value.

    No cached value is written: Excel computes it on open (the workbook is marked
    for a full calculation), LibreOffice computes cells that have none.
    """
    p = prefix
    styled = f' s="{style}"' if style else ""
    kind = f' t="array" ref="{ref}"' if array else ""
    return f'<{p}c r="{ref}"{styled}><{p}f{kind}>{escape_text(formula)}</{p}f></{p}c>'
