"""A table need not start at A1: every message about one of its cells names the sheet cell.

Real .xlsx files made with XlsxWriter hold the client's tables at an offset (C4 and the
like, on sheets not named for them), and are read through both hosts: the file
(`FileWorkbook`, calamine, and the fastexcel path for Invoices) and the open book
(`ExcelWorkbook` over the `fake_excel` stand-in, which holds the values openpyxl reads).
The cell each message names is worked out here from where the table was written.
"""

import datetime as dt

import pytest
import xlsxwriter

from dunning.core.contactlog import CONTACT_LOG_HEADERS, contact_log_frame
from dunning.core.errors import DunningInputError, column_letter
from dunning.core.plans import HEADERS as PLAN_HEADERS
from dunning.core.plans import plans_from_rows
from dunning.core.policy import policy_from_settings
from dunning.excel.live import ExcelWorkbook
from dunning.io import reading, sheet_arrow
from dunning.io.book import open_book
from dunning.io.reading import read_invoices, read_table_frame
from dunning.io.workbook import FileWorkbook
from dunning.render.sandbox import TemplateSet
from dunning.sheets.customers import customers_frame
from dunning.sheets.reference_rates import reference_rates_from_rows
from fake_excel import FakeBook

DAY = dt.datetime(2026, 3, 2)
INVOICE_HEADERS = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"]


def _corner(corner: str) -> tuple[int, int]:
    """(row, column), both from 0, of a cell such as "C4" (one or two letters)."""
    letters = corner.rstrip("0123456789")
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return int(corner[len(letters):]) - 1, number - 1


def _cell(corner: str, row: int, column: int) -> str:
    """The sheet cell of a table's body row `row` and column `column` (both from 0), the
    table's header being at `corner`."""
    top, left = _corner(corner)
    return f"{column_letter(left + column)}{top + 2 + row}"


def _write(path, tables):
    """`tables`: {name: (sheet, corner, header, body)}; several tables may share a sheet."""
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheets = {}
    for name, (sheet_name, corner, header, body) in tables.items():
        if sheet_name not in sheets:
            sheets[sheet_name] = book.add_worksheet(sheet_name)
            sheets[sheet_name].write_string(0, 0, f"{sheet_name}, kept by hand")  # a title
        sheet = sheets[sheet_name]
        top, left = _corner(corner)
        for c, title in enumerate(header):
            sheet.write_string(top, left + c, title)
        for r, values in enumerate(body, start=1):
            for c, value in enumerate(values):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(top + r, left + c, value, dates)
                elif value is not None:
                    sheet.write(top + r, left + c, value)
        sheet.add_table(top, left, top + len(body), left + len(header) - 1, {
            "name": name, "columns": [{"header": title} for title in header]})
    book.close()
    return path


def _invoices(**bad):
    """Five invoices; `bad` puts {(body row, header): value} into them."""
    body = [[f"INV-{i}", "C1", DAY, DAY + dt.timedelta(days=30), 100.0 + i] for i in range(5)]
    for (row, header), value in bad.get("cells", {}).items():
        body[row][INVOICE_HEADERS.index(header)] = value
    return ("Ledger", "C4", INVOICE_HEADERS, body)


@pytest.fixture(params=["file", "open book"])
def host(request):
    """Opens a path as the workbook the actions get: the file, or the book open in Excel."""
    if request.param == "file":
        return FileWorkbook
    return lambda path: ExcelWorkbook(FakeBook(path))


def _errors(read):
    with pytest.raises(DunningInputError) as caught:
        read()
    return [(issue.sheet, f"{issue.column_letter}{issue.row}", issue.column)
            for issue in caught.value.issues if issue.severity == "error"]


# ------------------------------------------------------------------------------ Invoices


@pytest.mark.parametrize("path_taken", ["fastexcel", "calamine"])
def test_a_bad_invoice_cell_of_a_table_at_c4_is_named_by_its_sheet_cell(tmp_path, monkeypatch,
                                                                       path_taken):
    cells = {(2, "Amount"): 1e16, (3, "Due Date"): dt.datetime(2300, 1, 1)}  # (out of range)
    path = _write(tmp_path / "book.xlsx", {"Invoices": _invoices(cells=cells)})
    if path_taken == "fastexcel":
        pytest.importorskip("fastexcel")
        monkeypatch.setattr(reading, "read_table_rows", _refused)
    else:
        monkeypatch.setattr(sheet_arrow, "table_arrow_frame", lambda *args: None)
    found = _errors(lambda: read_invoices(path))
    assert found == [("Ledger", _cell("C4", 3, 3), "Due Date"),
                     ("Ledger", _cell("C4", 2, 4), "Amount")]
    assert [cell for _, cell, _ in found] == ["F8", "G7"]  # not D8 and E7: from the sheet's A


def test_text_in_an_amount_or_date_column_is_named_by_its_sheet_cell(tmp_path, host):
    """A mixed column leaves the file to calamine's rows; the open book gives its own."""
    path = _write(tmp_path / "book.xlsx", {
        "Invoices": _invoices(cells={(2, "Amount"): "lots", (0, "Invoice Date"): "someday"})})
    with _opened(host, path) as workbook:
        found = _errors(lambda: read_invoices(workbook))
    assert found == [("Ledger", "E5", "Invoice Date"), ("Ledger", "G7", "Amount")]


def test_the_message_reads_as_the_sheet_shows_the_cell(tmp_path):
    path = _write(tmp_path / "book.xlsx", {"Invoices": _invoices(cells={(2, "Amount"): "lots"})})
    with pytest.raises(DunningInputError) as caught:
        read_invoices(path)
    assert str(caught.value).startswith("Ledger!G7 (Amount): expected an amount")


# ------------------------------------------------------------- Customers and ContactLog


def test_a_bad_customers_cell_is_named_on_the_sheet_that_holds_the_table(tmp_path, host):
    header = ["Customer", "Name", "Contact Email", "Opt Out", "Credit Limit"]
    body = [["C1", "One", "a@one.example", "No", 100.0],
            ["C2", "Two", "b@two.example", "perhaps", "lots"]]
    path = _write(tmp_path / "book.xlsx", {"Customers": ("Clients", "C4", header, body)})
    with _opened(host, path) as workbook:
        found = _errors(lambda: customers_frame(read_table_frame(workbook, "Customers")))
    assert found == [("Clients", "F6", "Opt Out"), ("Clients", "G6", "Credit Limit")]


def test_a_bad_contact_log_date_is_named_by_its_sheet_cell(tmp_path, host):
    first = dict.fromkeys(CONTACT_LOG_HEADERS)
    rows = [{**first, "Timestamp": DAY, "Customer": "C1", "Outcome": "sent",
             "Promise Date": "next week"},
            {**first, "Timestamp": "yesterday", "Customer": "C1", "Outcome": "sent"}]
    body = [[row[header] for header in CONTACT_LOG_HEADERS] for row in rows]
    path = _write(tmp_path / "book.xlsx", {
        "ContactLog": ("Log", "C4", list(CONTACT_LOG_HEADERS), body)})
    with _opened(host, path) as workbook:
        found = _errors(lambda: contact_log_frame(read_table_frame(workbook, "ContactLog")))
    promise = CONTACT_LOG_HEADERS.index("Promise Date")
    assert found == [("Log", "C6", "Timestamp"), ("Log", _cell("C4", 0, promise), "Promise Date")]
    assert found[1][1] == "K5"


def test_tables_at_a1_keep_their_cells(tmp_path, host):
    header = ["Customer", "Contact Email", "Opt Out"]
    path = _write(tmp_path / "book.xlsx", {
        "Customers": ("Customers", "A1", header, [["C1", "a@one.example", "maybe"]])})
    with _opened(host, path) as workbook:
        found = _errors(lambda: customers_frame(read_table_frame(workbook, "Customers")))
    assert found == [("Customers", "C2", "Opt Out")]


# ----------------------------------- PaymentPlans, Stages, Settings, Rates and Templates


def test_a_payment_plans_table_lower_down_is_read_from_its_header(tmp_path, host):
    good = ["PP-1", "C1", "INV-1", 1, DAY, 50.0, "EUR", 0.0, ""]
    bad = ["PP-1", "C1", "", 2, "whenever", -5.0, "EUR", 0.0, ""]
    path = _write(tmp_path / "book.xlsx", {
        "Plans": ("PaymentPlans", "C4", PLAN_HEADERS, [good, bad])})
    with _opened(host, path) as workbook:
        found = _errors(lambda: plans_from_rows(workbook.sheet_rows("PaymentPlans")))
    assert found == [("PaymentPlans", "G6", "Due Date"), ("PaymentPlans", "H6", "Amount")]
    good_only = _write(tmp_path / "good.xlsx", {
        "Plans": ("PaymentPlans", "C4", PLAN_HEADERS, [good])})
    with _opened(host, good_only) as workbook:
        plans = plans_from_rows(workbook.sheet_rows("PaymentPlans"))
    assert plans["row"].tolist() == [5] and plans["plan"].tolist() == ["PP-1"]


def test_a_bad_stage_is_named_where_the_stages_table_sits(tmp_path, host):
    header = ["Stage", "Days From Due", "Action", "Template"]
    body = [["friendly", 3, "email", ""], ["firm", "soon", "email", ""]]
    path = _write(tmp_path / "book.xlsx", {"Stages": ("Policy", "H3", header, body)})
    with _opened(host, path) as workbook:
        found = _errors(lambda: policy_from_settings(None, read_table_frame(workbook, "Stages")))
    assert found == [("Policy", "I5", "Days From Due")]


def test_a_bad_setting_is_named_by_its_value_cell(tmp_path, host):
    settings = [["As Of Date", DAY], ["Aging Basis", "sideways"]]
    path = _write(tmp_path / "book.xlsx", {
        "Invoices": _invoices(), "Settings": ("Settings", "C4", ["Setting", "Value"], settings)})
    with _opened(host, path) as workbook:
        found = _errors(lambda: open_book(workbook))
    assert found == [("Settings", "D6", "Value")]


def test_a_bad_reference_rate_is_named_by_its_sheet_cell(tmp_path, host):
    header = ["Regime", "Effective From", "Rate %", "Source"]
    body = [["uk", "2040-01-01", "high", ""], ["us", "2040-07-01", 2.0, ""]]
    path = _write(tmp_path / "book.xlsx", {"ReferenceRates": ("Settings", "M10", header, body)})
    with _opened(host, path) as workbook:
        frame = read_table_frame(workbook, "ReferenceRates")
    found = _errors(lambda: reference_rates_from_rows(frame, sheet="ReferenceRates"))
    assert found == [("Settings", "O11", "Rate %"), ("Settings", "M12", "Regime")]


TEMPLATE_HEADERS = ["Stage", "Language", "Subject", "Text", "HTML"]


def test_a_bad_template_language_is_named_by_its_sheet_cell(tmp_path, host):
    body = [["friendly", "en", "Hello", "Text", ""], ["firm", "english!", "Hi", "Text", ""]]
    path = _write(tmp_path / "book.xlsx", {"Templates": ("Letters", "B2", TEMPLATE_HEADERS,
                                                         body)})
    with _opened(host, path) as workbook:
        found = _errors(lambda: TemplateSet.from_rows(read_table_frame(workbook, "Templates")))
    assert found == [("Letters", _cell("B2", 1, 1), "Language")]
    assert found[0][1] == "C4"


def test_a_blank_template_stage_of_a_table_at_c4_is_named_by_its_sheet_cell(tmp_path, host):
    body = [["friendly", "en", "Hello", "Text", ""], ["", "de", "Hallo", "Text", ""],
            ["firm", "en", "Hi {{ nobody }}", "Text", ""], ["friendly", "EN", "Hi", "T", ""]]
    path = _write(tmp_path / "book.xlsx", {"Templates": ("Templates", "C4", TEMPLATE_HEADERS,
                                                         body)})
    with _opened(host, path) as workbook:
        frame = read_table_frame(workbook, "Templates")
    with pytest.raises(DunningInputError) as caught:
        TemplateSet.from_rows(frame)
    shown = str(caught.value).splitlines()
    assert shown[0] == ("Templates!C6 (Stage): Stage is blank; expected a stage name such as "
                        "friendly")
    assert shown[1].startswith("Templates!E7 (Subject): template for stage 'firm'")
    assert shown[2].startswith("Templates!C8 (Stage): template for stage 'friendly'")
    assert shown[2].endswith("already defined by Templates!C5; keep one")
    assert [(issue.sheet, f"{issue.column_letter}{issue.row}") for issue in
            caught.value.issues] == [("Templates", _cell("C4", row, column))
                                     for row, column in ((1, 0), (2, 2), (3, 0))]


# ------------------------------------------------------------------------------ helpers


def _refused(*args, **kwargs):
    raise AssertionError("the fast path should have read this table")


class _held:
    """A context for a workbook that needs no closing (the open book)."""

    def __init__(self, workbook):
        self.workbook = workbook

    def __enter__(self):
        return self.workbook

    def __exit__(self, *exc):
        return None


def _opened(host, path):
    return host(path) if host is FileWorkbook else _held(host(path))
