"""Reference-rate tables as they come in: the shipped CSV, the user's file, a workbook's table.

tests/test_charges.py checks the shipped rates against published tables, the user's file
laid over them through DUNNING_RATES, and the bad cells of a table whose header is row 1;
tests/test_rates.py the `dunning rates update` that writes them. Here: the shipped file
read back independently, the environment given as a mapping, files as Excel saves them,
loose headers, and tables that sit anywhere on a sheet of a real workbook.
"""

import csv
import datetime as dt
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from dunning.core.charges import reference_rate_for
from dunning.core.errors import DunningInputError
from dunning.io.workbook import FileWorkbook
from dunning.sheets.reference_rates import (
    RATES_FILE,
    load_reference_rates,
    rate_columns,
    read_rates_file,
    reference_rates_from_rows,
    shipped_reference_rates,
)
from test_charges import RATE_HEADER

RATES_CSV = "regime,effective_from,rate_percent,source\n"


def shipped_rows():
    source = resources.files("dunning").joinpath("data", RATES_FILE)
    with source.open("r", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rates_file(path, *rows):
    path.write_text(RATES_CSV + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def nothing_shipped():
    return shipped_reference_rates()[:0]


# ------------------------------------------------------------------ the shipped table


def test_the_shipped_table_is_the_file_typed_row_for_row():
    table = shipped_reference_rates()
    rows = shipped_rows()
    assert len(table) == len(rows) > 0
    assert table["regime"].tolist() == [row["regime"] for row in rows]
    assert table["effective_from"].tolist() == [pd.Timestamp(row["effective_from"])
                                                for row in rows]
    assert table["rate_percent"].tolist() == [float(row["rate_percent"]) for row in rows]
    assert pd.api.types.is_datetime64_any_dtype(table["effective_from"])
    assert table["rate_percent"].dtype == float


def test_each_shipped_row_names_its_source():
    table = shipped_reference_rates()
    assert table["source"].tolist() == [row["source"] for row in shipped_rows()]
    assert all(text.strip() for text in table["source"])


# ------------------------------------------------------------------ the user's file


def test_the_environment_may_be_given_as_a_mapping(tmp_path, monkeypatch):
    mine = rates_file(tmp_path / "mine.csv", "eu,2040-07-01,3.1,mine")
    theirs = rates_file(tmp_path / "theirs.csv", "eu,2040-07-01,9.9,theirs")
    monkeypatch.setenv("DUNNING_RATES", str(theirs))
    table = load_reference_rates(env={"DUNNING_RATES": str(mine)})
    assert reference_rate_for(table, "eu", "2040-08-01") == 3.1
    assert len(table) == len(shipped_reference_rates()) + 1
    assert reference_rate_for(load_reference_rates(), "eu", "2040-08-01") == 9.9


def test_a_user_file_under_the_home_folder(tmp_path, monkeypatch):
    rates_file(tmp_path / "rates.csv", "uk,2040-01-01,4.0,home")
    monkeypatch.setenv("HOME", str(tmp_path))
    table = load_reference_rates(env={"DUNNING_RATES": "~/rates.csv"})
    assert reference_rate_for(table, "uk", "2040-02-01") == 4.0


@pytest.mark.parametrize("named", ["missing.csv", "."])
def test_no_user_file_means_the_shipped_table(tmp_path, named):
    table = load_reference_rates(env={"DUNNING_RATES": str(tmp_path / named)})
    pd.testing.assert_frame_equal(table, shipped_reference_rates())


def test_a_user_file_as_excel_saves_it(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark and ends lines with CR LF."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (RATES_CSV + "UK,2040-01-01,4.5,typed in Excel\n")
                     .replace("\n", "\r\n").encode("utf-8"))
    table = read_rates_file(path)
    assert table.to_dict("records") == [{"regime": "uk", "effective_from": pd.Timestamp(
        "2040-01-01"), "rate_percent": 4.5, "source": "typed in Excel"}]


def test_a_user_file_with_bad_rows_stops_every_run_naming_the_file(tmp_path):
    path = rates_file(tmp_path / "mine.csv", "uk,2040-01-01,4.5,ok", "uk,2040-01-01,abc,typo")
    with pytest.raises(DunningInputError) as caught:
        load_reference_rates(env={"DUNNING_RATES": str(path)})
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column, issue.value) == (
        str(path), 3, "rate_percent", "abc")


# ------------------------------------------------------------------ a workbook's table


def test_headers_are_matched_loosely_and_the_first_alias_wins():
    assert rate_columns(["Regime", "Effective From", "Rate %", "Source"]) == {
        "regime": 0, "effective_from": 1, "rate_percent": 2, "source": 3}
    assert rate_columns(["Half Year", "Reference Rate", "REGIME", "Notes"]) == {
        "effective_from": 0, "rate_percent": 1, "regime": 2, "source": 3}
    assert rate_columns(["regime", "start", "rate_pct"]) == {
        "regime": 0, "effective_from": 1, "rate_percent": 2}
    assert rate_columns(["Rate", "Rate Percent"])["rate_percent"] == 1  # preferred to "rate"
    assert rate_columns(["Amount", None]) == {}


def test_loose_headers_are_read_and_a_missing_source_names_the_row(nothing_shipped):
    rows = [["Regime", "From", "Rate"], ["uk", "2040-01-01", 4.0], ["eu", "2040-07-01", 2.5]]
    table = reference_rates_from_rows(rows, base=nothing_shipped, sheet="Settings",
                                      header_row=6)
    assert table["source"].tolist() == ["Settings row 8", "Settings row 7"]  # sorted: eu, uk
    assert table["regime"].tolist() == ["eu", "uk"]


def test_rows_are_laid_over_the_base_given(nothing_shipped):
    base = reference_rates_from_rows([RATE_HEADER, ["uk", "2040-01-01", 1.0, "base"],
                                      ["uk", "2040-07-01", 1.0, "base"]], base=nothing_shipped)
    table = reference_rates_from_rows([RATE_HEADER, ["uk", "2040-07-01", 2.0, "mine"]],
                                      base=base)
    assert table[["rate_percent", "source"]].values.tolist() == [[1.0, "base"], [2.0, "mine"]]


def test_short_rows_and_blank_rows_as_a_range_passes_them(nothing_shipped):
    rows = [RATE_HEADER, ["uk", "2040-01-01", 4.0], [], [None, None, None, None],
            ["eu", dt.datetime(2040, 7, 1), np.float64(2.5), None]]
    table = reference_rates_from_rows(rows, base=nothing_shipped)
    assert len(table) == 2
    assert reference_rate_for(table, "uk", "2040-02-01") == 4.0
    assert reference_rate_for(table, "eu", "2040-08-01") == 2.5


@pytest.mark.parametrize("rate", [1e308, "1e308", "9" * 400, 1000.0, -1000.0])
def test_a_rate_no_bank_ever_set_is_refused_not_an_overflow(nothing_shipped, rate):
    """1e308 once reached the reminder run's decimal arithmetic (InvalidOperation)."""
    rows = [RATE_HEADER, ["eu", "2040-07-01", rate, "mine"]]
    with pytest.raises(DunningInputError) as caught:
        reference_rates_from_rows(rows, base=nothing_shipped, sheet="Settings", header_row=1)
    [issue] = caught.value.issues
    assert (issue.row, issue.column) == (2, "Rate %") and "expected a rate" in issue.message


def test_dates_read_both_ways_are_refused_saying_how_to_write_them(nothing_shipped):
    rows = [RATE_HEADER, ["uk", "01/07/2040", 4.0, ""], ["uk", "07/01/2041", 4.0, ""]]
    with pytest.raises(DunningInputError) as caught:
        reference_rates_from_rows(rows, base=nothing_shipped, sheet="Rates")
    [issue] = caught.value.issues
    assert (issue.sheet, issue.column) == ("Rates", "Effective From")
    assert "'01/07/2040' can be read day-first or month-first; write them as 2025-07-01" \
        in issue.message


@pytest.fixture
def rates_workbook(tmp_path):
    """An XlsxWriter workbook whose ReferenceRates table sits at B4:E8 below a title:
    a date cell, an Excel serial number, text, and two bad rows."""
    path = tmp_path / "Rates.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("Rates")
    sheet.write("A1", "Rates we were told to use")
    sheet.add_table("B4:E8", {"name": "ReferenceRates",
                              "columns": [{"header": name} for name in RATE_HEADER]})
    sheet.write_row("B5", ["UK", None, 4.0, "letter of 2 Jan"])
    sheet.write_datetime("C5", dt.datetime(2040, 1, 1), dates)
    sheet.write_row("B6", ["eu", 51318.0, "2.5%", ""])  # 2040-07-01 as a serial number
    sheet.write_row("B7", ["us", "2040-07-01", 3.0, ""])
    sheet.write_row("B8", ["eu", "2041-01-01", "high", ""])
    workbook.close()
    return path


def table_rows(path):
    with FileWorkbook(path) as workbook:
        found = workbook.table("ReferenceRates")
    return found, [found.columns, *found.rows]


def test_a_workbooks_bad_cells_are_named_by_the_sheets_row_and_column(rates_workbook):
    found, rows = table_rows(rates_workbook)
    assert (found.sheet, found.header_row) == ("Rates", 4)
    with pytest.raises(DunningInputError) as caught:
        reference_rates_from_rows(rows, sheet=found.sheet, header_row=found.header_row)
    named = [(issue.sheet, issue.row, issue.column, issue.value)
             for issue in caught.value.issues]
    assert named == [("Rates", 7, "Regime", "us"), ("Rates", 8, "Rate %", "high")]
    assert str(caught.value).splitlines() == [
        "Rates row 7 (Regime): expected \"uk\" or \"eu\" (found 'us')",
        "Rates row 8 (Rate %): expected a rate in percent, such as 4.25 (found 'high')"]


def test_a_workbooks_good_cells_of_every_kind_are_read(rates_workbook):
    found, rows = table_rows(rates_workbook)
    good = rows[:3]
    table = reference_rates_from_rows(good, sheet=found.sheet, header_row=found.header_row)
    assert reference_rate_for(table, "uk", "2040-02-01") == 4.0
    assert reference_rate_for(table, "eu", "2040-08-01") == 2.5
    sources = table.loc[table["effective_from"] >= "2040-01-01", "source"].tolist()
    assert sources == ["Rates row 6", "letter of 2 Jan"]  # eu (blank source), then uk


def test_the_templates_empty_table_leaves_the_shipped_rates(book):
    with FileWorkbook(book) as workbook:
        frame = workbook.table("ReferenceRates").frame()
    assert len(frame) == 1  # its one blank row
    pd.testing.assert_frame_equal(reference_rates_from_rows(frame), shipped_reference_rates())
