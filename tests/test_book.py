"""`open_book`: a workbook's or CSV export's ledger, settings and as-of date, read once."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table

from dunning.cli import main
from dunning.core.errors import DunningInputError
from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS
from dunning.io.book import open_book, with_customer_names
from dunning.io.client_workbook import build_workbook
from dunning.io.workbook import FileWorkbook
from dunning.sheets.settings import Settings

GIVEN = dt.date(2026, 12, 15)
TODAY = dt.date(2028, 11, 23)  # what the caller's clock says; the tests' never matters
CSV_TEXT = ("Invoice No,Customer,Invoice Date,Due Date,Amount,Currency\n"
            "00017,C1,2026-01-05,2026-02-04,100.00,EUR\n"
            "00018,C2,2026-01-06,2026-02-05,40.00,USD\n")


def invoices(*rows):
    columns = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Currency"]
    return pd.DataFrame([list(row) for row in rows], columns=columns)


@pytest.fixture
def mixed(tmp_path):
    """A template workbook in two currencies, one item without a code, and no As Of Date."""
    rows = invoices(["1", "A", "2026-01-01", "2026-01-31", "100", "EUR"],
                    ["2", "A", "2026-01-02", "2026-02-01", "40", "USD"],
                    ["3", "B", "2026-01-03", "2026-02-02", "70", "EUR"])
    customers = pd.DataFrame({"Customer": ["A"], "Name": ["Acme GmbH"],
                              "Contact Email": ["ap@acme.example"]})
    return build_workbook(tmp_path / "Mixed.xlsx", client="Mixed", invoices=rows,
                          customers=customers)


@pytest.fixture
def csv_export(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the as-of date


def test_the_date_given_comes_first(book):
    assert open_book(book, as_of=GIVEN, today=TODAY).as_of == GIVEN


def test_else_the_workbooks_as_of_date_setting(book):
    assert open_book(book, today=TODAY).as_of == SAMPLE_AS_OF
    assert open_book(book).as_of == SAMPLE_AS_OF


def test_else_the_callers_today_and_none_without_one(mixed):
    assert open_book(mixed, currency="EUR", today=TODAY).as_of == TODAY
    assert open_book(mixed, currency="EUR").as_of is None
    assert open_book(mixed, currency="EUR", as_of=GIVEN, today=TODAY).as_of == GIVEN


def test_a_csv_export_has_no_settings_so_today_is_the_date(csv_export):
    found = open_book(csv_export, currency="EUR", today=TODAY)
    assert found.as_of == TODAY and found.settings == Settings()
    assert found.path == csv_export
    assert found.frame["invoice"].tolist() == ["00017"]  # read as text: leading zeros kept


# ------------------------------------------------------------------ workbook or CSV


def test_a_workbook_brings_its_settings_and_the_table_as_read(book):
    found = open_book(book, today=TODAY)
    assert found.path == book
    assert found.settings.client == "Sample"
    assert found.settings.company_name == SAMPLE_SETTINGS["Company Name"]
    assert found.settings.sender_email == SAMPLE_SETTINGS["Sender Email"]
    assert found.settings.as_of == SAMPLE_AS_OF
    assert len(found.frame) == 310 and "000105" in found.frame["invoice"].tolist()


def test_the_settings_shape_the_book(tmp_path):
    path = build_workbook(tmp_path / "Edges.xlsx", invoices=invoices(
        ["1", "A", "2026-01-01", "2026-01-31", "100", "EUR"]),
        settings={"Aging Basis": "invoice", "Bucket 1 Days": 15, "Bucket 2 Days": 45})
    settings = open_book(path).settings
    assert settings.aging_basis == "invoice" and settings.bucket_edges[:3] == (0, 15, 45)


def test_an_opened_workbook_may_be_given_instead_of_a_path(book):
    with FileWorkbook(book) as workbook:
        found = open_book(workbook, today=TODAY)
    assert found.path == book and found.as_of == SAMPLE_AS_OF and len(found.frame) == 310


def test_a_sheet_or_table_of_another_workbook(tmp_path):
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["Nothing to see"])
    export = workbook.create_sheet("Export")
    export.append(["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"])
    export.append(["E1", "C1", dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 4), 80.0])
    open_items = workbook.create_sheet("Open")
    open_items.append(["Doc No", "Client", "Date", "Due", "Total"])
    open_items.append(["T1", "C2", dt.datetime(2026, 1, 7), dt.datetime(2026, 2, 6), 25.0])
    open_items.add_table(Table(displayName="OpenItems", ref="A1:E2"))
    path = tmp_path / "Other.xlsx"
    workbook.save(path)
    from_sheet = open_book(path, sheet="Export", today=TODAY)
    assert from_sheet.frame["invoice"].tolist() == ["E1"] and from_sheet.as_of == TODAY
    from_table = open_book(path, table="OpenItems", today=TODAY)
    assert from_table.frame["invoice"].tolist() == ["T1"]
    assert from_table.frame["amount"].tolist() == [25.0]


def test_a_csv_has_no_sheets_or_tables_to_choose(csv_export):
    for option in ({"sheet": "Invoices"}, {"table": "Invoices"}):
        with pytest.raises(DunningInputError, match="export.csv is a CSV file: it has no "
                                                    "sheets or tables to choose"):
            open_book(csv_export, **option)


def test_the_ledgers_warnings_travel_with_the_book(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(CSV_TEXT.replace("C1", "Café").encode("cp1252"))
    found = open_book(path, currency="EUR", today=TODAY)
    assert any("read as Windows-1252" in issue.message and issue.severity == "warning"
               for issue in found.issues)
    assert found.frame["customer"].tolist() == ["Café"]


# ------------------------------------------------------------------ currencies


def test_several_currencies_must_be_narrowed_to_one(mixed, csv_export):
    for source in (mixed, csv_export):
        with pytest.raises(DunningInputError, match=r"several currencies \(EUR, USD\)"):
            open_book(source, today=TODAY)
    assert open_book(mixed, currency="usd").frame["invoice"].tolist() == ["2"]
    assert open_book(csv_export, currency="USD").frame["invoice"].tolist() == ["00018"]
    with pytest.raises(DunningInputError,
                       match="^currency GBP: no invoices in GBP; the ledger holds EUR, USD$"):
        open_book(mixed, currency="GBP")


@pytest.mark.parametrize("command", ["aging", "kpis"])
def test_a_currency_not_in_the_ledger_is_named_as_the_command_line_gave_it(
        mixed, command, capsys):
    """The code came from --currency, not from a column: the error says so and lists the
    currencies the ledger holds."""
    assert main([command, str(mixed), "--currency", "xyz", "--as-of", "2026-03-01"]) == 1
    err = capsys.readouterr().err
    assert "--currency XYZ: no invoices in XYZ; the ledger holds EUR, USD" in err
    assert "column Currency" not in err


def test_all_currencies_keeps_every_item(mixed):
    frame = open_book(mixed, all_currencies=True).frame
    assert frame["currency"].tolist() == ["EUR", "USD", "EUR"]


def test_an_item_without_a_code_counts_in_the_only_currency(tmp_path):
    path = build_workbook(tmp_path / "One.xlsx", invoices=invoices(
        ["1", "A", "2026-01-01", "2026-01-31", "100", "EUR"],
        ["2", "A", "2026-01-02", "2026-02-01", "40", ""]))
    assert open_book(path).frame["invoice"].tolist() == ["1", "2"]
    assert open_book(path, currency="eur").frame["invoice"].tolist() == ["1", "2"]


# ------------------------------------------------------------------ customer names


def test_names_come_from_the_customers_table(book):
    frame = open_book(book).frame
    names = dict(zip(frame["customer"], frame["customer_name"], strict=False))
    assert names["ALP01"] == "Alpenholz Baubedarf GmbH"
    assert names["JOI10"] == "Juniper & Oak Interiors LLC"


def test_a_customer_missing_from_the_table_keeps_its_id(mixed):
    frame = open_book(mixed, all_currencies=True).frame
    assert frame["customer_name"].tolist() == ["Acme GmbH", "Acme GmbH", "B"]


def test_a_name_in_the_invoices_is_kept():
    frame = pd.DataFrame({"customer": ["A", "B"], "customer_name": ["Acme (as invoiced)", "B"]})
    table = pd.DataFrame({"Customer": ["A", " B "], "Name": ["Acme GmbH", "Beta BV"]})
    named = with_customer_names(frame, table)
    assert named["customer_name"].tolist() == ["Acme (as invoiced)", "Beta BV"]
    assert with_customer_names(frame, None) is frame
    assert with_customer_names(frame, table[["Customer"]]) is frame  # no Name column


def test_a_customer_id_typed_as_a_number_finds_its_name(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Invoices"
    sheet.append(["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"])
    sheet.append(["1", 1001, dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 4), 100.0])
    customers = workbook.create_sheet("Customers")
    customers.append(["Customer", "Name", "Contact Email"])
    customers.append([1001, "Acme GmbH", "ap@acme.example"])
    customers.add_table(Table(displayName="Customers", ref="A1:C2"))
    path = tmp_path / "Numbers.xlsx"
    workbook.save(path)
    frame = open_book(path, today=TODAY).frame
    assert frame["customer"].tolist() == ["1001"]
    assert frame["customer_name"].tolist() == ["Acme GmbH"]
