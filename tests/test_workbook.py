"""`FileWorkbook`, the Workbook interface's file host: read with calamine, written on `save()`.

Reads are checked against files made by the template, openpyxl and XlsxWriter; writes are
read back with python-calamine directly, and every save is all or nothing.
"""

import datetime as dt
import os

import numpy as np
import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from dunning.core.errors import DunningInputError
from dunning.io.client_workbook import build_workbook
from dunning.io.workbook import FileWorkbook, name_value_pairs, opened, table_frame

LOGGED = dt.datetime(2026, 11, 23, 10, 30)
CALL = {"Timestamp": LOGGED, "Customer": "CAS03", "Channel": "phone", "Outcome": "voicemail"}


def calamine_table(path, name):
    found = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return found.to_python()


def calamine_sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def listing(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.fixture
def rates_book(tmp_path):
    """An XlsxWriter workbook: a title, then a ReferenceRates table at B4:E6."""
    path = tmp_path / "Rates.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Rates")
    sheet.write("A1", "Our own reference rates")
    sheet.add_table("B4:E6", {
        "name": "ReferenceRates",
        "columns": [{"header": name} for name in ("Regime", "Effective From", "Rate %",
                                                   "Source")],
        "data": [["uk", "2040-01-01", 1.5, "typed"], ["eu", "2040-07-01", 2.25, ""]]})
    pairs = workbook.add_worksheet("Pairs")
    pairs.add_table("A1:B4", {"name": "Options", "columns": [{"header": "Name"},
                                                              {"header": "Value"}],
                              "data": [[" Client ", "Acme"], ["", "lost"], ["Days", 30]]})
    pairs.add_table("D1:D2", {"name": "OneColumn", "columns": [{"header": "Only"}],
                              "data": [["x"]]})
    workbook.close()
    return path


# ------------------------------------------------------------------ what is refused


def test_a_missing_file_a_csv_or_another_file_is_refused_before_reading(tmp_path):
    with pytest.raises(DunningInputError, match="no such file"):
        FileWorkbook(tmp_path / "missing.xlsx")
    export = tmp_path / "export.csv"
    export.write_text("Customer\nA\n", encoding="utf-8")
    with pytest.raises(DunningInputError, match="export.csv is a CSV export: this needs the "
                                                "client's workbook"):
        FileWorkbook(export)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    with pytest.raises(DunningInputError, match=r"notes.txt: expected a workbook \(.xlsx"):
        FileWorkbook(notes)


def test_an_unreadable_workbook_is_named_when_it_is_read(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip at all")
    workbook = FileWorkbook(broken)  # nothing is read yet
    with pytest.raises(DunningInputError, match="broken.xlsx is damaged: it starts like a "
                                                "workbook"):
        workbook.sheet_names()
    text = tmp_path / "text.xlsx"
    text.write_bytes(b"not a zip at all")
    for read in (FileWorkbook(text).sheet_names, FileWorkbook(text).table_names):
        with pytest.raises(DunningInputError, match="^text.xlsx is a text file, not an Excel "
                                                    "workbook: if it is a CSV export, name it "
                                                    ".csv$"):
            read()  # (table_names too, which gives [] only for formats without tables)


# ------------------------------------------------------------------ reading


def test_the_templates_tables_as_calamine_reads_them(book):
    with FileWorkbook(book) as workbook:
        assert workbook.name == "Client.xlsx"
        assert workbook.table_names() == ["Invoices", "Customers", "ContactLog", "Settings",
                                          "Stages", "ReferenceRates", "Templates"]
        customers = workbook.table("Customers")
        assert (customers.name, customers.sheet, customers.header_row) == ("Customers",
                                                                           "Customers", 1)
        assert customers.columns[:2] == ["Customer", "Name"]
        first = dict(zip(customers.columns, customers.rows[0], strict=True))
        assert first["Customer"] == "ALP01" and first["Credit Limit"] == 40000.0
        invoices = workbook.table("Invoices")
        numbers = [row[0] for row in invoices.rows]
        assert len(numbers) == 310 and "000105" in numbers
        assert invoices.rows[0][2] == dt.date(2025, 11, 1)
        log = workbook.table("ContactLog")
        assert log.rows == [[""] * len(log.columns)]  # the empty table's one blank row
        assert workbook.table("Nope") is None


def test_a_table_below_a_title_knows_its_sheet_and_header_row(rates_book):
    found = FileWorkbook(rates_book).table("ReferenceRates")
    assert (found.sheet, found.header_row) == ("Rates", 4)
    assert found.columns == ["Regime", "Effective From", "Rate %", "Source"]
    assert found.rows == [["uk", "2040-01-01", 1.5, "typed"], ["eu", "2040-07-01", 2.25, ""]]
    frame = found.frame()
    assert list(frame.columns) == found.columns
    assert all(dtype is np.dtype(object) for dtype in frame.dtypes)
    assert frame["Rate %"].tolist() == [1.5, 2.25]


def test_table_names_are_compared_without_case(book):
    with FileWorkbook(book) as workbook:
        workbook.append_rows("contactlog", [CALL])  # the writer finds it without case...
        workbook.save()
        assert workbook.table("contactlog") is not None  # ...so must the reader


def test_sheet_rows_start_at_a1_so_positions_are_the_sheets(tmp_path):
    source = openpyxl.Workbook()
    sheet = source.active
    sheet.title = "Export"
    sheet["B3"] = "Customer"
    sheet["C5"] = 12.5
    path = tmp_path / "Sparse.xlsx"
    source.save(path)
    rows = FileWorkbook(path).sheet_rows("Export")
    assert rows[2][1] == "Customer" and rows[4][2] == 12.5
    assert rows[0] == ["", "", ""]


@pytest.mark.filterwarnings("ignore:File may not be readable")  # (openpyxl: the header's error)
def test_a_table_holding_an_excel_error_is_refused_naming_each_cell(tmp_path):
    """calamine reads an error cell as "" (a blank): the table is refused instead, every
    error cell inside it named (header row included), none outside it."""
    from openpyxl.worksheet.table import Table

    source = openpyxl.Workbook()
    sheet = source.active
    sheet.title = "Lists"
    for row in (["Key", "Value", "Note"], ["a", 1.0, "x"], ["b", 2.0, "y"]):
        sheet.append([None, *row])  # the table at B1:D3
    sheet.add_table(Table(displayName="Options", ref="B1:D3"))
    for ref, error in (("C3", "#DIV/0!"), ("D1", "#N/A"), ("A2", "#REF!"), ("E3", "#NUM!")):
        sheet[ref].value, sheet[ref].data_type = error, "e"
    path = tmp_path / "Errors.xlsx"
    source.save(path)
    assert calamine_table(path, "Options")[1][1] == ""  # what calamine alone would give
    with FileWorkbook(path) as workbook, pytest.raises(DunningInputError) as caught:
        workbook.table("Options")
    assert [str(issue) for issue in caught.value.issues] == [
        "Lists!D1: the cell holds the error #N/A; correct it or clear it",
        "Lists!C3 (Value): the cell holds the error #DIV/0!; correct it or clear it"]
    with FileWorkbook(path) as workbook:  # the sheet's values are as calamine reads them
        assert workbook.sheet_values("Lists")[1][0] == ""
        assert [str(i) for i in workbook.error_issues("Lists", ["Id"], 2)] == [
            "Lists!A2 (Id): the cell holds the error #REF!; correct it or clear it"]


def _sheet_with_errors(path, title, rows, errors):
    """A workbook whose one sheet `title` holds `rows` from A1 and the error cells `errors`
    ({"F3": "#DIV/0!"}), stored as Excel stores a formula's cached error (t="e")."""
    source = openpyxl.Workbook()
    sheet = source.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref, error in errors.items():
        sheet[ref].value, sheet[ref].data_type = error, "e"
    source.save(path)
    return path


def test_payment_plans_holding_an_excel_error_are_refused_naming_each_cell(tmp_path):
    """A user's formula in PaymentPlans' Amount or Paid that gives an error was read as a
    blank (calamine's ""): a missing amount, a Paid of 0. The sheet is refused instead, each
    cell named as a table's are, through the reader the reminder run uses."""
    from dunning.app.remind import read_plans
    from dunning.core.plans import HEADERS

    day = dt.datetime(2026, 12, 1)
    body = [["PP-1", "C1", "INV-1", n, day, 50.0, "EUR", 0.0, ""] for n in (1, 2)]
    path = _sheet_with_errors(tmp_path / "Plans.xlsx", "PaymentPlans", [HEADERS, *body],
                              {"F3": "#DIV/0!", "H2": "#N/A"})
    with FileWorkbook(path) as workbook:
        assert workbook.sheet_values("PaymentPlans")[2][5] == ""  # what calamine gives
        with pytest.raises(DunningInputError) as caught:
            read_plans(workbook)
    assert [str(issue) for issue in caught.value.issues] == [
        "PaymentPlans!H2 (Paid): the cell holds the error #N/A; correct it or clear it",
        "PaymentPlans!F3 (Amount): the cell holds the error #DIV/0!; correct it or clear it"]


def test_every_sheet_read_whole_names_its_error_cells_even_past_row_one(tmp_path):
    """KPIHistory read back without its table, or any sheet read with `sheet_rows`: an error
    cell anywhere on it is named (a column without a header in row 1 by its letter only)."""
    from dunning.app.actions import recorded_history
    from dunning.core.kpi_history import HISTORY_HEADERS

    row = [dt.datetime(2026, 11, 30), "EUR", *[1.0] * (len(HISTORY_HEADERS) - 2)]
    path = _sheet_with_errors(tmp_path / "History.xlsx", "KPIHistory",
                              [HISTORY_HEADERS, row, ["note"]], {"C2": "#VALUE!", "Z3": "#REF!"})
    with FileWorkbook(path) as workbook, pytest.raises(DunningInputError) as caught:
        recorded_history(workbook)
    assert [str(issue) for issue in caught.value.issues] == [
        f"KPIHistory!C2 ({HISTORY_HEADERS[2]}): the cell holds the error #VALUE!; correct it "
        "or clear it",
        "KPIHistory!Z3: the cell holds the error #REF!; correct it or clear it"]


def test_two_column_tables_as_names_and_values(book, rates_book):
    with FileWorkbook(book) as workbook:
        settings = name_value_pairs(workbook, "Settings")
        assert settings["Client"] == "Sample" and settings["As Of Date"] == dt.date(2026, 11, 23)
        assert name_value_pairs(workbook, "Nope") == {} and table_frame(workbook, "Nope") is None
    with FileWorkbook(rates_book) as workbook:
        assert name_value_pairs(workbook, "Options") == {"Client": "Acme", "Days": 30.0}
        assert name_value_pairs(workbook, "OneColumn") == {}
        assert table_frame(workbook, "OneColumn")["Only"].tolist() == ["x"]


def test_opened_opens_a_path_for_the_duration_and_passes_a_workbook_through(book):
    with opened(book) as workbook:
        assert isinstance(workbook, FileWorkbook) and workbook.path == book
        assert "Invoices" in workbook.table_names()
    assert workbook._reader is None  # let go of: Windows could not replace an open file
    mine = FileWorkbook(book)
    with opened(mine) as same:
        assert same is mine


# ------------------------------------------------------------------ writing


def test_appends_wait_for_save_then_fill_the_blank_row_first(book):
    before = book.read_bytes()
    workbook = FileWorkbook(book)
    workbook.append_rows("ContactLog", [CALL])
    assert book.read_bytes() == before
    workbook.save()
    header = workbook.table("ContactLog").columns
    [row] = calamine_table(book, "ContactLog")
    logged = dict(zip(header, row, strict=True))
    assert (logged["Timestamp"], logged["Customer"], logged["Outcome"]) == (
        LOGGED, "CAS03", "voicemail")
    workbook.append_rows("ContactLog", [{"customer": "ALP01"}])
    workbook.append_rows("ContactLog", [{"CUSTOMER": "BRW02", "Note": "=1+1"}])
    workbook.save()
    rows = calamine_table(book, "ContactLog")
    assert [row[1] for row in rows] == ["CAS03", "ALP01", "BRW02"]
    assert rows[-1][header.index("Note")] == "=1+1"  # text, never a formula


def test_replacing_an_owned_sheet_creates_it_then_replaces_it_whole(book):
    invoices = calamine_table(book, "Invoices")
    workbook = FileWorkbook(book)
    workbook.replace_sheet("Worklist", [["Customer", "Open"], ["CAS03", 33080.82],
                                        ["EMA05", 30726.66]])
    workbook.save()
    assert calamine_sheet(book, "Worklist") == [["Customer", "Open"], ["CAS03", 33080.82],
                                                ["EMA05", 30726.66]]
    workbook.replace_sheet("Worklist", [["Customer", "Open"], ["ALP01", 1.5]])
    workbook.save()
    assert calamine_sheet(book, "Worklist") == [["Customer", "Open"], ["ALP01", 1.5]]
    assert workbook.sheet_rows("Worklist") == [["Customer", "Open"], ["ALP01", 1.5]]
    assert calamine_table(book, "Invoices") == invoices


def test_nothing_queued_writes_nothing(book):
    before, stamp = book.read_bytes(), book.stat().st_mtime_ns
    FileWorkbook(book).save()
    assert book.read_bytes() == before and book.stat().st_mtime_ns == stamp
    assert listing(book.parent) == ["Client.xlsx"]


def test_all_the_changes_of_a_save_are_written_in_one_replace(book, monkeypatch):
    swaps = []
    real_replace = os.replace

    def replace(source, target):
        swaps.append(os.fspath(target))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    workbook = FileWorkbook(book)
    workbook.append_rows("ContactLog", [CALL])
    workbook.replace_sheet("Worklist", [["Customer"], ["CAS03"]])
    workbook.replace_sheet("Aging", [["Customer"], ["ALP01"]])
    workbook.save()
    assert swaps.count(os.fspath(book)) == 1
    names = CalamineWorkbook.from_path(str(book)).sheet_names
    assert {"Worklist", "Aging"} <= set(names)


def test_one_bad_change_writes_none_of_them(book):
    before = book.read_bytes()
    workbook = FileWorkbook(book)
    workbook.append_rows("ContactLog", [CALL])
    workbook.replace_sheet("Worklist", [["Customer"], ["CAS03"]])
    workbook.append_rows("Nope", [{"Customer": "A"}])
    with pytest.raises(DunningInputError, match="no table named 'Nope'"):
        workbook.save()
    assert book.read_bytes() == before
    assert listing(book.parent) == ["Client.xlsx"]  # no temp file, no backup


def test_a_failed_rename_leaves_the_old_version_and_the_save_can_be_retried(book, monkeypatch):
    before = book.read_bytes()
    real_replace = os.replace

    def crash(source, target):
        if os.fspath(target) == os.fspath(book):
            raise OSError("the disk went away")
        return real_replace(source, target)

    workbook = FileWorkbook(book)
    workbook.append_rows("ContactLog", [CALL])
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="the disk went away"):
        workbook.save()
    assert book.read_bytes() == before
    assert not [name for name in listing(book.parent) if ".dunning-tmp-" in name]
    monkeypatch.setattr(os, "replace", real_replace)
    workbook.save()
    assert calamine_table(book, "ContactLog")[0][1] == "CAS03"


def test_a_save_keeps_the_version_it_replaced(book, tmp_path):
    before = book.read_bytes()
    workbook = FileWorkbook(book)
    workbook.replace_sheet("Worklist", [["Customer"]])
    workbook.save()
    assert (book.parent / ".dunning-backups" / "Client.1.xlsx").read_bytes() == before
    other = build_workbook(tmp_path / "NoBackup.xlsx", client="None kept")
    without = FileWorkbook(other, backups=0)
    without.replace_sheet("Worklist", [["Customer"]])
    without.save()
    assert not (tmp_path / ".dunning-backups" / "NoBackup.1.xlsx").exists()
    assert calamine_sheet(other, "Worklist") == [["Customer"]]


def test_an_error_newer_than_calamine_knows_is_named_not_a_traceback(tmp_path):
    """python-calamine refuses a whole sheet holding #SPILL! or #CALC! ("Unsupported cell
    error value"), which left PaymentPlans' reader a traceback and a table 'damaged': the
    error cells of that sheet are named instead (by cell: its headers cannot be read)."""
    from openpyxl.worksheet.table import Table
    from python_calamine import CalamineError

    path = _sheet_with_errors(tmp_path / "Spill.xlsx", "PaymentPlans",
                              [["Plan", "Amount", "Paid"], ["PP-1", 1.0, 0.0]],
                              {"B2": "#SPILL!", "C2": "#N/A"})
    with pytest.raises(CalamineError):  # what calamine alone does
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name("PaymentPlans").to_python()
    with FileWorkbook(path) as workbook, pytest.raises(DunningInputError) as caught:
        workbook.sheet_rows("PaymentPlans")
    assert [str(issue) for issue in caught.value.issues] == [
        "PaymentPlans!B2: the cell holds the error #SPILL!; correct it or clear it",
        "PaymentPlans!C2: the cell holds the error #N/A; correct it or clear it"]
    source = openpyxl.load_workbook(path)
    source.active.add_table(Table(displayName="Plans", ref="A1:C2"))
    source.create_sheet("Other")["A1"] = 1.0
    source.save(path)
    with FileWorkbook(path) as workbook, pytest.raises(DunningInputError) as caught:
        workbook.table("Plans")
    assert [issue.column_letter for issue in caught.value.issues] == ["B", "C"]
