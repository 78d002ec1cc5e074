"""Columns of a list of rows typed in C (`dunning.core.rows`), and a ledger built from them that
is the one the object path builds, cell for cell and message for message."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dunning.core import rows as row_columns
from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.core.parse import is_arrow_text, parse_dates
from dunning.core.rows import RowColumns, typed_column

DAY = dt.datetime(2024, 3, 31)


class ComTime(dt.datetime):
    """A date cell as pywin32 returns it: a datetime subclass stamped with a zone."""


def _objects(cells: list, *, dates: bool = False) -> np.ndarray:
    """The cells as they were read before: an object array, cell by cell."""
    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    return column


# ------------------------------------------------------------------ one column


def test_a_text_column_becomes_arrow_text():
    column = typed_column(["INV-1", None, " 007 "])
    assert is_arrow_text(column)
    assert list(column) == ["INV-1", pd.NA, " 007 "]


def test_a_number_column_becomes_floats_with_nan_for_blanks():
    column = typed_column([1.5, None, 2, -0.0])
    assert column.dtype == np.float64
    assert np.isnan(column[1]) and column[2] == 2.0


def test_date_cells_become_serial_numbers_only_when_read_as_dates():
    cells = [DAY, None, dt.date(2024, 1, 1), DAY.replace(hour=23, minute=59)]
    serials = typed_column(cells, dates=True)
    assert serials.dtype == np.float64
    assert np.isnan(serials[1])
    assert list(parse_dates(serials).values[[0, 2, 3]]) == list(
        parse_dates(_objects(cells)).values[[0, 2, 3]])
    assert typed_column(cells).dtype == object  # an amount column of dates stays as it is


def test_text_dates_in_a_date_field_become_arrow_text_and_no_cells_stay_none():
    assert is_arrow_text(typed_column(["2024-03-31", None, "31/03/2024"], dates=True))
    assert typed_column([], dates=True).dtype == object


def test_a_zone_stamped_date_keeps_its_own_day():
    late = ComTime(2024, 3, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    serials = typed_column([late, DAY], dates=True)
    assert serials[0] == serials[1]  # 31 March on the cell's clock, not 1 April in UTC


@pytest.mark.parametrize("cells", [
    ["INV-1", 2.0],                                  # mixed kinds
    [1.0, True],                                     # a flag is no amount
    [1.0, 2**60],                                    # an integer a float cannot hold
    ["\ud800", "x"],                                 # text Arrow cannot encode
    [None, None],                                    # nothing at all
    [DAY, dt.datetime(9999, 12, 31)],                # a date outside the ledger's range
    [DAY, dt.datetime(1899, 12, 30)],
    [DAY, pd.NaT],
    [np.float64(1.0), 2.0],                          # numpy numbers keep the object path
])
def test_anything_else_stays_the_cells_as_they_are(cells):
    column = typed_column(cells, dates=True)
    assert column.dtype == object
    assert all(a is b for a, b in zip(column, cells, strict=True))


def test_row_columns_are_taken_out_once_and_rows_must_be_of_one_width():
    table = RowColumns([["A", 1.0], ["B", 2.0]], 2)
    assert table.column(1) is table.column(1)
    assert list(table.column(1)) == [1.0, 2.0]
    with pytest.raises(ValueError, match="2 cells"):
        RowColumns([["A", 1.0], ["B"]], 2)


# ------------------------------------------------------------------ the whole ledger

HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Settled Date",
          "Currency", "Disputed"]
_TEXT = st.one_of(st.from_regex(r"[A-Z]{0,3}-?0*\d{1,5}", fullmatch=True),
                  st.sampled_from([" INV 1 ", "007", "611365.0", "", "  ", "#N/A", "\u00a0x"]))
_DATE_CELL = st.one_of(
    st.datetimes(min_value=dt.datetime(1899, 1, 1), max_value=dt.datetime(2300, 1, 1)),
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                 timezones=st.sampled_from([dt.timezone.utc,
                                            dt.timezone(dt.timedelta(hours=-8))])),
    st.builds(lambda d: ComTime(d.year, d.month, d.day, tzinfo=dt.timezone.utc),
              st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))),
    st.floats(min_value=-10, max_value=200_000),
)
_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10**20, 10**20), st.sampled_from([0.0, 100.0, -25.5]))
_FLAG = st.sampled_from(["Yes", "no", "x", "", 1.0, 0.0, True, False, "maybe"])
_KINDS = {
    "text": _TEXT, "date": _DATE_CELL, "number": _NUMBER, "flag": _FLAG,
    "mixed": st.one_of(_TEXT, _DATE_CELL, _NUMBER, _FLAG),
}


@st.composite
def _tables(draw: st.DrawFn) -> list[list[object]]:
    """An invoice table as a range gives it: each column of one kind of cell (the common case,
    typed in C) or of several (the object path), blanks among them; no trailing blank row."""
    height = draw(st.integers(1, 12))
    columns = []
    for header in HEADER:
        usual = ("text" if header in ("Invoice No", "Customer", "Currency") else
                 "flag" if header == "Disputed" else
                 "date" if "Date" in header else "number")
        kind = draw(st.sampled_from([usual, usual, usual, "mixed"]))
        cell = st.one_of(_KINDS[kind], st.none()) if draw(st.booleans()) else _KINDS[kind]
        columns.append(draw(st.lists(cell, min_size=height, max_size=height)))
    rows = [list(row) for row in zip(*columns, strict=True)]
    rows[-1][0] = "LAST"  # the table ends with a row that holds something
    return [HEADER, *rows]


def _outcome(table: list[list[object]]) -> tuple[object, ...]:
    try:
        ledger = build_ledger(table)
    except DunningInputError as error:
        return ("refused", [str(issue) for issue in error.issues])
    return ("built", ledger.frame, [str(issue) for issue in ledger.issues])


@hypothesis_settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_tables())
def test_a_ledger_from_typed_columns_is_the_ledger_from_the_cells(table):
    typed = _outcome(table)
    with mock.patch.object(row_columns, "typed_column", _objects):
        expected = _outcome(table)
    assert typed[0] == expected[0], (typed, expected)
    assert typed[-1] == expected[-1]  # every message, in order
    if typed[0] == "built":
        pd.testing.assert_frame_equal(typed[1], expected[1])


def test_a_typical_table_is_typed_and_reads_as_the_cells_do():
    rows = [HEADER] + [[f"INV-{i:05d}", f"C{i % 7:03d}", DAY - dt.timedelta(days=i),
                        DAY + dt.timedelta(days=30 - i), 100.0 + i, None if i % 3 else 50.0,
                        None, "eur", "Yes" if i % 11 == 0 else None] for i in range(200)]
    typed = build_ledger(rows)
    with mock.patch.object(row_columns, "typed_column", _objects):
        expected = build_ledger(rows)
    pd.testing.assert_frame_equal(typed.frame, expected.frame)
    assert typed.issues == expected.issues
