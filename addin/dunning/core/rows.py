"""A column of a list of rows (a range as xlwings passes it), typed once in C where it can be.

xlwings hands a table over as rows of Python values: text, floats (integers from
xlwings Lite and Server), datetimes and None for a blank. Read as an object array,
every later step (blank masks, `infer_dtype`, `pd.to_datetime`, `str.strip`) walks
a million Python objects again. A column that holds one kind of value is converted
once instead, by Arrow's C++ converter, into what the parsers in `dunning.core.parse`
read on their vectorised paths:

* text (and blanks): Arrow-backed pandas text, the form a CSV export arrives in;
* numbers (and blanks): a float array, NaN for a blank, the form a sheet read by
  Arrow arrives in (an integer only when a float holds it exactly);
* date cells (dates or datetimes, and blanks), for a date field only: the day's
  Excel serial number as a float, NaN for a blank. Excel stores a date cell as
  that number, and the ledger reads a date as its day (on the cell's own clock
  when it carries a time zone), so nothing is lost.

Every other column (mixed kinds, booleans, integers a float cannot hold, dates
outside the ledger's date range, text Arrow cannot encode) stays an object array
of the cells as they are, so the parsers read what they read before; a message
about a bad cell shows the cell as it was given (`RowColumns.cell`), whatever
form its column took. tests/test_rows.py builds ledgers both ways and compares
them, frames and messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import chain, repeat
from operator import is_not

import numpy as np
import pandas as pd
import pyarrow as pa

from dunning.core.parse import MAX_EXCEL_SERIAL, MIN_EXCEL_SERIAL

_NONE = type(None)
_NUMBERS = frozenset({float, int})
_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()
"""Excel's day zero: a day's serial number is its ordinal less this."""


class RowColumns:
    """The columns of rows of one width, each taken out and typed when first asked for.

    The rows are walked once, in C, into one flat list of cells (`chain.from_iterable`);
    a column is then a slice of it with a step, so the million row lists are not visited
    again for each column.
    """

    def __init__(self, rows: Sequence[Sequence[object]], width: int) -> None:
        self._cells = list(chain.from_iterable(rows))
        self._width = width
        if len(self._cells) != width * len(rows):
            raise ValueError(f"every row must hold {width} cells")
        self._typed: dict[tuple[int, bool], np.ndarray | pd.api.extensions.ExtensionArray] = {}

    def column(self, index: int, *, dates: bool = False
               ) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """Cell `index` of every row, typed (see the module docstring); `dates` when the
        column is read as dates, so a column of date cells may become serial numbers."""
        if (index, dates) not in self._typed:
            self._typed[index, dates] = typed_column(self._cells[index::self._width],
                                                     dates=dates)
        return self._typed[index, dates]

    def cell(self, index: int, position: int) -> object:
        """Cell `index` of row `position` as it was given (a message shows it so)."""
        return self._cells[position * self._width + index]


def typed_column(cells: list, *, dates: bool = False
                 ) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """One column's cells typed in C when they are of one kind, else as an object array.

    Text is tried first (dates first for a date field): Arrow's converter refuses anything
    but text and blanks at the first other cell, and `date.toordinal` anything but a date,
    so each is its own check. Numbers, and dates among blanks, are checked by their types,
    since Arrow would take True for 1.0.
    """
    typed = _serials(cells, blanks=False) if dates else None
    if typed is None:
        typed = _text(cells)
    if typed is not None:
        return typed
    kinds = set(map(type, cells))
    blanks = _NONE in kinds
    kinds.discard(_NONE)
    if kinds and kinds <= _NUMBERS:
        typed = _numbers(cells)
    elif dates and kinds and all(issubclass(kind, dt.date) for kind in kinds):
        typed = _serials(cells, blanks)
    if typed is not None:
        return typed
    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    return column


def _text(cells: list) -> pd.api.extensions.ExtensionArray | None:
    try:
        array = pa.array(cells, type=pa.string())
    except (UnicodeEncodeError, pa.ArrowException):  # another kind of cell, or a lone
        return None  # surrogate (Arrow holds UTF-8 only)
    if array.null_count == len(array):
        return None  # no text at all: an empty column stays as it is
    return pd.arrays.ArrowStringArray(array)  # the Arrow buffers as they are, no copy


def _numbers(cells: list) -> np.ndarray | None:
    try:  # Arrow refuses an integer a float cannot hold exactly (the parsers report it)
        array = pa.array(cells, type=pa.float64())
    except (OverflowError, pa.ArrowException):
        return None
    return array.to_numpy(zero_copy_only=False)  # a blank (null) becomes NaN


def _serials(cells: list, blanks: bool) -> np.ndarray | None:
    """Date cells as their day's serial number; each day is taken in C by `date.toordinal`,
    the day on the cell's own clock, as the object path reads a zone-stamped date."""
    count = len(cells)
    present = (np.fromiter(map(is_not, cells, repeat(None)), dtype=bool, count=count)
               if blanks else None)
    try:  # without blanks, `toordinal` checks every cell is a date (TypeError otherwise)
        days = np.fromiter(map(dt.date.toordinal, filter(None, cells) if blanks else cells),
                           dtype=np.int64, count=count if present is None else int(present.sum()))
    except TypeError:
        return None
    days -= _EPOCH_ORDINAL
    if not days.size or days.min() < MIN_EXCEL_SERIAL or days.max() > MAX_EXCEL_SERIAL:
        return None  # out of the ledger's range: the object path names the cell, as it is
    if present is None:
        return days.astype("float64")
    serials = np.full(count, np.nan)
    serials[present] = days
    return serials
