"""The .xlsx fast path (fastexcel into Arrow columns) reads a sheet as calamine's rows do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.io import prefetch, reading
from dunning.io.reading import read_invoices, read_table_rows
from dunning.io.sheet_arrow import sheet_frame, table_arrow_frame

pytest.importorskip("fastexcel")

HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Disputed"]


def _write(path: Path, rows: list[list[object]], *, start: tuple[int, int] = (0, 0),
           table: bool = False) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Invoices")
    _write_cells(book, sheet, rows, start)
    if table:
        sheet.add_table(0, 0, len(rows) - 1, len(rows[0]) - 1, {
            "name": "Invoices", "columns": [{"header": h} for h in rows[0]]})
    book.close()
    return path


class _Error(str):
    """An Excel error value for a cell (written as a formula whose cached result it is)."""


def _write_cells(book, sheet, rows: list[list[object]], start: tuple[int, int], *,
                 first: int = 0) -> None:
    """Each cell as Excel would hold it: dates as dated numbers, text, booleans, numbers,
    a formula's cached error (`<c t="e"><f>..</f><v>#N/A</v></c>`)."""
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, values in enumerate(rows[first:], start=first):
        for c, value in enumerate(values):
            where = (start[0] + r, start[1] + c)
            if isinstance(value, _Error):
                sheet.write_formula(*where, "=1/0" if value == "#DIV/0!" else "=NA()", None,
                                    str(value))
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(*where, value, dates)
            elif isinstance(value, str):
                sheet.write_string(*where, value)
            elif isinstance(value, bool):
                sheet.write_boolean(*where, value)
            elif value is not None:
                sheet.write(*where, value)


def _by_rows(path: Path):
    """The ledger (or the error) today's path gives: calamine's rows into the builder (or
    the cells holding an Excel error, which reading the rows names)."""
    try:
        rows, sheet, header_row, first_column = read_table_rows(path)
        return build_ledger(rows, sheet=sheet, header_row=header_row, first_column=first_column)
    except DunningInputError as error:
        return [str(issue) for issue in error.issues]


def _by_file(path: Path):
    try:
        return read_invoices(path)
    except DunningInputError as error:
        return [str(issue) for issue in error.issues]


def _same(fast, slow) -> None:
    if isinstance(slow, list):
        assert fast == slow
        return
    assert not isinstance(fast, list), fast
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]


def _clean_rows(count: int) -> list[list[object]]:
    rows: list[list[object]] = [HEADER]
    for i in range(count):
        day = dt.datetime(2026, 1, 1) + dt.timedelta(days=i % 300)
        rows.append([f"{i:07d}", f"C{i % 7:03d}", day, day + dt.timedelta(days=30),
                     100.0 + i, 50.0 if i % 3 == 0 else None, "Yes" if i % 5 == 0 else None])
    return rows


def test_a_clean_sheet_takes_the_fast_path_and_reads_as_the_rows_do(tmp_path, monkeypatch):
    path = _write(tmp_path / "book.xlsx", _clean_rows(50))
    frame = sheet_frame(path, "Invoices")
    assert frame is not None and list(frame.columns) == HEADER
    assert frame["Invoice No"].iloc[0] == "0000000"  # text ids keep their leading zeros
    _same(read_invoices(path), _by_rows(path))
    monkeypatch.setattr(reading, "read_table_rows", _refuse)  # the rows are never read
    assert len(read_invoices(path)) == 50


def _refuse(*args, **kwargs):
    raise AssertionError("the fast path should have read this sheet")


def test_a_sheet_not_starting_at_a1_is_left_to_the_rows(tmp_path):
    path = _write(tmp_path / "book.xlsx", _clean_rows(5), start=(2, 1))
    assert sheet_frame(path, "Invoices") is None
    _same(_by_file(path), _by_rows(path))


def test_repeated_and_numeric_headers_are_left_to_the_rows(tmp_path):
    rows = _clean_rows(5)
    repeated = [[*row, row[4]] for row in rows]
    path = _write(tmp_path / "twice.xlsx", repeated)
    assert sheet_frame(path, "Invoices") is None
    _same(_by_file(path), _by_rows(path))
    numbered = [[*row, 2024 if i == 0 else 1.0] for i, row in enumerate(rows)]
    path = _write(tmp_path / "numbered.xlsx", numbered)
    assert sheet_frame(path, "Invoices") is None


def test_a_mixed_column_is_left_to_the_rows_with_its_messages(tmp_path):
    rows = _clean_rows(5)
    rows[3][4] = "about 40"  # text among the amounts: a bad cell named by row and column
    rows[4][2] = "2026-02-30"
    path = _write(tmp_path / "book.xlsx", rows)
    assert sheet_frame(path, "Invoices") is None
    found = _by_file(path)
    assert found == _by_rows(path)
    assert any("E4" in message for message in found)


def test_an_invoices_table_is_read_as_before(tmp_path):
    path = _write(tmp_path / "book.xlsx", _clean_rows(5), table=True)
    _same(read_invoices(path), _by_rows(path))


def test_an_error_cell_is_left_to_the_rows_which_name_it(tmp_path):
    rows = _clean_rows(3)
    rows[2][4] = _Error("#DIV/0!")
    path = _write(tmp_path / "book.xlsx", rows)
    assert sheet_frame(path, "Invoices") is None
    said = _by_file(path)
    assert said == _by_rows(path) == [
        "Invoices!E3 (Amount): the cell holds the error #DIV/0!; correct it or clear it"]


def test_a_table_holding_an_error_cell_is_left_to_the_rows_which_name_it(tmp_path):
    """fastexcel reads a table's error cell as a null, calamine as "": neither tells it from
    a blank, so the sheet's XML does, on both paths (the early read's included)."""
    rows = _clean_rows(6)
    rows[3][6] = _Error("#N/A")  # an optional column: Disputed
    path = _table_book(tmp_path / "book.xlsx", rows, start=(2, 1))
    fastexcel = pytest.importorskip("fastexcel")
    batch = fastexcel.read_excel(str(path)).load_table("Invoices").to_arrow()
    assert batch.column(6)[2].as_py() is None  # (fastexcel's own reading: a blank)
    assert table_arrow_frame(path, "Invoices") is None
    said = ["Ledger!H6 (Disputed): the cell holds the error #N/A; correct it or clear it"]
    assert _by_file(path) == _by_rows(path) == said
    prefetch.start(path)
    assert _by_file(path) == said
    rows[3][6] = None  # the same table without it takes the fast path
    clean = _table_book(tmp_path / "clean.xlsx", rows, start=(2, 1))
    assert table_arrow_frame(clean, "Invoices") is not None


_TEXT = st.one_of(st.sampled_from(["", "  ", " 007 ", "A-1", "ä", "12", "x y"]),
                  st.text(alphabet="0123456789 -AB", max_size=6))
_AMOUNT = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 2)),
                    st.sampled_from([0.0, 1e16, -0.5]))
_DAY = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1950, 1, 1),
                                         max_value=dt.datetime(2300, 1, 1)))
_SERIAL = st.one_of(st.none(), st.floats(-10, 200_000, allow_nan=False))
_FLAG = st.one_of(st.none(), st.sampled_from(["Yes", "no", " x ", "", "maybe", "TRUE"]))
_ERRORS = st.sampled_from([_Error("#N/A"), _Error("#DIV/0!")])
_BOOL = st.one_of(st.none(), st.booleans())
_ID_NUMBER = st.one_of(st.none(), st.integers(0, 10**9).map(float), st.just(12.5))


@st.composite
def _sheets(draw) -> list[list[object]]:
    count = draw(st.integers(1, 25))
    dates = draw(st.sampled_from([_DAY, _SERIAL]))
    ids = draw(st.sampled_from([_TEXT, _ID_NUMBER]))
    flags = draw(st.sampled_from([_FLAG, _BOOL]))
    rows: list[list[object]] = [HEADER]
    for _ in range(count):
        rows.append([draw(ids), draw(st.one_of(_TEXT, st.none())), draw(dates), draw(dates),
                     draw(_AMOUNT), draw(_AMOUNT), draw(flags)])
    if draw(st.integers(0, 4)) == 0:  # now and then a formula's cached error, anywhere
        row, column = draw(st.integers(1, count)), draw(st.integers(0, len(HEADER) - 1))
        rows[row][column] = draw(_ERRORS)
    return rows


@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_sheets())
def test_fast_and_row_paths_agree_on_generated_sheets(tmp_path, rows):
    path = _write(tmp_path / "generated.xlsx", rows)
    _same(_by_file(path), _by_rows(path))
    _error_named(rows, _by_file(path))


def _error_named(rows: list[list[object]], found: object) -> None:
    """A generated error cell is what both paths name (the only thing, as they stop there)."""
    errors = [cell for row in rows for cell in row if isinstance(cell, _Error)]
    if errors:
        assert isinstance(found, list) and len(found) == 1, found
        assert found[0].endswith(f": the cell holds the error {errors[0]}; correct it or clear it")


# Excel tables (the template's Invoices) -------------------------------------------------------


def _table_book(path: Path, rows: list[list[object]], *, start: tuple[int, int] = (0, 0),
                totals: bool = False) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Ledger")
    _write_cells(book, sheet, rows, start, first=1)  # the header is the table's
    last = start[0] + len(rows) - 1 + (1 if totals else 0)
    sheet.add_table(start[0], start[1], last, start[1] + len(rows[0]) - 1, {
        "name": "Invoices", "total_row": totals,
        "columns": [{"header": h} for h in rows[0]]})
    book.close()
    return path


def test_an_invoices_table_takes_the_fast_path_and_reads_as_its_rows_do(tmp_path, monkeypatch):
    rows = _clean_rows(40)
    rows[7][4] = 1e16  # an amount out of range: named by the table's sheet, row and column
    path = _table_book(tmp_path / "book.xlsx", rows, start=(2, 1))
    found = table_arrow_frame(path, "Invoices")
    assert found is not None and found[1:] == ("Ledger", 3, 2)  # the header is at sheet B3
    slow = _by_rows(path)
    assert "Ledger!F10 (Amount)" in [message.split(":")[0] for message in slow]  # not E10
    monkeypatch.setattr(reading, "read_table_rows", _refuse)
    assert _by_file(path) == slow
    del rows[7]
    path = _table_book(tmp_path / "clean.xlsx", rows)
    monkeypatch.undo()
    slow = _by_rows(path)
    monkeypatch.setattr(reading, "read_table_rows", _refuse)
    _same(read_invoices(path), slow)


def test_a_table_with_a_totals_row_is_left_to_its_rows(tmp_path):
    path = _table_book(tmp_path / "totals.xlsx", _clean_rows(5), totals=True)
    assert table_arrow_frame(path, "Invoices") is None
    _same(_by_file(path), _by_rows(path))


def test_the_template_workbook_takes_the_fast_path(tmp_path, monkeypatch):
    import shutil

    from dunning.io.xlsx import append_rows

    template = Path(__file__).resolve().parents[1] / "workbook_templates" / "Dunning-Client.xlsx"
    path = tmp_path / "client.xlsx"
    shutil.copy(template, path)
    rows = _clean_rows(30)
    append_rows(path, "Invoices", [dict(zip(rows[0], row, strict=True)) for row in rows[1:]])
    slow = _by_rows(path)
    monkeypatch.setattr(reading, "read_table_rows", _refuse)
    _same(read_invoices(path), slow)
    assert len(slow) == 30


@hypothesis_settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_sheets())
def test_fast_and_row_paths_agree_on_generated_tables(tmp_path, rows):
    path = _table_book(tmp_path / "generated.xlsx", rows)
    _same(_by_file(path), _by_rows(path))
    _error_named(rows, _by_file(path))
