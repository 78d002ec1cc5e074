"""`dunning import`: every vendor fixture into a fresh client workbook, read back with calamine;
a later export keeps the workbook in step and leaves the ContactLog byte for byte."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from dunning.app.importing import import_export, import_mapping
from dunning.cli import main
from dunning.core.errors import DunningInputError
from dunning.io.client_workbook import new_client_workbook
from dunning.io.xlsx import append_rows

EXPORTS = Path(__file__).parent / "data" / "exports"
AS_OF = dt.date(2026, 11, 30)

# What each fixture holds, added up by hand from the file: open balance per customer (as the
# workbook's Customer column will hold it) and the number of documents.
EXPECTED: dict[str, tuple[dict[str, float], int]] = {
    "qbo_open_invoices.csv": (
        {"Amy's Bird Sanctuary": 1489.00, "Bill's Windsurf Shop": 35.00, "Cool Cars": 694.00}, 5),
    "qbo_ar_aging_detail.csv": (
        {"Amy's Bird Sanctuary": 1489.00, "Bill's Windsurf Shop": 35.00, "Cool Cars": 694.00}, 5),
    "qbo_invoice_list.csv": (
        {"Amy's Bird Sanctuary": 1489.00, "Bill's Windsurf Shop": 85.00, "Cool Cars": 0.0}, 4),
    "qbd_open_invoices.csv": ({"Amy's Bird Sanctuary": 1489.00, "Bill's Windsurf Shop": 35.00}, 4),
    "qbd_ar_aging_detail.csv": (
        {"Amy's Bird Sanctuary": 239.00, "Bill's Windsurf Shop": 35.00, "Cool Cars": 694.00}, 4),
    "xero_aged_receivables_detail.csv": ({"Bayside Club": 2970.00, "City Agency": 1050.00}, 4),
    "xero_invoices_export.csv": ({"Bayside Club": 2970.00, "City Agency": 1050.00}, 5),
    "sage50_aged_debtors.csv": ({"ABS001": 1050.00, "BRO001": 1175.50}, 4),
    "sage50_aged_debtors_sectioned.csv": ({"ABS001": 1050.00, "BRO001": 1175.50}, 4),
    "sage_intacct_ar_aging.csv": ({"C-100": 5500.00, "C-200": 980.25}, 3),
    "freshbooks_invoice_details.csv": ({"Gotham Gym": 620.00, "Metro Bakery": 0.0}, 3),
    "zoho_books_invoices.csv": ({"4600001": 1770.00, "4600002": 100.00}, 3),
    "netsuite_open_invoices.csv": ({"Alpine Outfitters": 4125.00, "Cascade Cycles": 345.60}, 3),
    "sap_fbl5n.txt": ({"100200": 1000.00, "100300": 3400.50}, 3),
    "bc_aged_accounts_receivable.csv": ({"10000": 4600.00, "20000": 1250.75}, 3),
    "odoo_aged_receivable.csv": ({"Azure Interior": 2242.50, "Deco Addict": 2200.00}, 4),
    "erpnext_accounts_receivable.csv": ({"CUST-00001": 10500.00, "CUST-00002": 4000.00}, 6),
    "myob_aged_receivables_detail.csv": (
        {"Island Way Motel": 990.00, "Kookaburra Cafe, Noosa": 495.00}, 4),
}


def fresh_book(tmp_path: Path, name: str = "client.xlsx") -> Path:
    return new_client_workbook(tmp_path / name, "Test Client")


def invoices_read_back(book: Path) -> list[dict[str, object]]:
    """The Invoices table as an independent reader (calamine) sees it, blank rows left out."""
    reader = CalamineWorkbook.from_path(str(book), load_tables=True)
    table = reader.get_table_by_name("Invoices")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.to_python()]
    return [row for row in rows if row["Invoice No"] not in ("", None)]


def open_of(row: dict[str, object]) -> float:
    """Amount less Paid, as the template's Instructions define the open balance."""
    paid = row["Paid"] if isinstance(row["Paid"], (int, float)) else 0.0
    return round(float(row["Amount"]) - float(paid), 2)  # type: ignore[arg-type]


def balances(book: Path) -> tuple[dict[str, float], int]:
    rows = invoices_read_back(book)
    totals: dict[str, float] = {}
    for row in rows:
        customer = str(row["Customer"])
        totals[customer] = round(totals.get(customer, 0.0) + open_of(row), 2)
    return totals, len(rows)


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_each_vendor_export_lands_one_row_per_document_with_its_balances(tmp_path, fixture):
    book = fresh_book(tmp_path)
    result = import_export(EXPORTS / fixture, book, as_of=AS_OF)
    expected, count = EXPECTED[fixture]
    assert balances(book) == (pytest.approx(expected), count)
    assert len(result.new) == count and not result.updated and not result.settled
    numbers = [str(row["Invoice No"]) for row in invoices_read_back(book)]
    assert len(set(numbers)) == len(numbers)  # line items rolled up: one row per invoice


def test_every_fixture_is_listed_in_the_readme_and_tested():
    files = {path.name for path in EXPORTS.iterdir() if path.name != "README.md"}
    assert files == set(EXPECTED) | {"xero_aged_receivables_summary.csv"}
    readme = (EXPORTS / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in files)


def test_line_items_give_one_row_per_invoice_not_their_sum(tmp_path):
    """Xero's export repeats INV-0002's total on each of its two lines: 2,560.00, not 5,120.00."""
    book = fresh_book(tmp_path)
    import_export(EXPORTS / "xero_invoices_export.csv", book, as_of=AS_OF)
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["INV-0002"]["Amount"] == 2560.0
    assert open_of(rows["INV-0004"]) == 0.0
    assert rows["INV-0004"]["Settled Date"] == dt.date(2026, 11, 30)
    assert rows["INV-0002"]["Currency"] == "NZD"
    assert rows["CN-0003"]["Amount"] == -200.0  # a "Sales credit note", shown positive
    assert "INV-0011" not in rows  # a draft: nobody owes it


def test_business_central_excel_report_is_read_from_its_data_sheet(tmp_path):
    """Report 4402 writes print and pivot sheets first; the dataset is a later sheet."""
    source = EXPORTS / "bc_aged_accounts_receivable.csv"
    wb = openpyxl.Workbook()
    wb.active.title = "Aged Accounts Rec. (Print)"
    wb.active.append(["Aged Accounts Receivable"])
    wb.active.append(["Aged as of:", dt.datetime(2026, 11, 30)])
    wb.active.append(["No.", "Name", "Balance (LCY)", "Not Due", "Over 90 Days"])
    data = wb.create_sheet("CustomerAgingData")
    header, *lines = csv.reader(source.read_text(encoding="utf-8").splitlines())
    data.append(header)
    for cells in lines:  # as the report writes them: dates as dates, amounts as numbers
        data.append([dt.datetime.fromisoformat(cell) if header[i].endswith("Date") or
                     header[i].startswith("Period") else float(cell) if "Amount" in header[i]
                     else cell for i, cell in enumerate(cells)])
    wb.save(tmp_path / "aged.xlsx")
    book = fresh_book(tmp_path)
    import_export(tmp_path / "aged.xlsx", book, as_of=AS_OF)
    assert balances(book) == balances_of_csv(tmp_path, "bc_aged_accounts_receivable.csv")


def test_a_xero_credit_note_without_a_number_is_known_by_its_date(tmp_path):
    book = fresh_book(tmp_path)
    result = import_export(EXPORTS / "xero_aged_receivables_detail.csv", book)  # "As at ..."
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["Credit of 2026-11-05"]["Amount"] == -200.0
    assert any("no number" in issue.message for issue in result.issues)


def test_the_summary_export_is_refused_saying_why_and_nothing_is_written(tmp_path):
    book = fresh_book(tmp_path)
    before = book.read_bytes()
    with pytest.raises(DunningInputError, match="summary report .* Aged Receivables Detail"):
        import_export(EXPORTS / "xero_aged_receivables_summary.csv", book, as_of=AS_OF)
    assert book.read_bytes() == before


def test_sage_due_dates_come_from_the_customers_terms_with_a_warning(tmp_path):
    book = fresh_book(tmp_path)
    result = import_export(EXPORTS / "sage50_aged_debtors.csv", book, default_terms=14)
    assert any("no due dates" in issue.message for issue in result.issues)
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["10012"]["Due Date"] == dt.date(2026, 10, 29)  # 15 Oct + 14 days
    assert rows["CN004"]["Amount"] == -150.0


def test_sage_terms_from_the_customers_table_win(tmp_path):
    book = fresh_book(tmp_path)
    append_rows(book, "Customers", [{"Customer": "ABS001", "Name": "A1 Design Services",
                                      "Terms Days": 60}])
    result = import_export(EXPORTS / "sage50_aged_debtors.csv", book)
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["10012"]["Due Date"] == dt.date(2026, 12, 14)  # ABS001: 60 days
    assert rows["10007"]["Due Date"] == dt.date(2026, 9, 19)  # BRO001: the default 30
    assert result.new_customers == ["BRO001"]


def test_myob_due_dates_come_from_the_terms_printed_under_each_customer(tmp_path):
    book = fresh_book(tmp_path)
    import_export(EXPORTS / "myob_aged_receivables_detail.csv", book)  # "As of 30/11/2026"
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["00000123"]["Due Date"] == dt.date(2026, 11, 14)  # "0% 0 Net 30"
    assert rows["00000117"]["Due Date"] == dt.date(2026, 9, 11)  # "0% 0 Net 14"
    assert rows["00000135"]["Amount"] == -110.0  # -$110.00


def test_sap_amounts_dates_and_credits(tmp_path):
    book = fresh_book(tmp_path)
    import_export(EXPORTS / "sap_fbl5n.txt", book)  # "Open items at key date 30.11.2026"
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["1400000003"]["Amount"] == -250.0  # 250,00-
    assert rows["1800000015"]["Amount"] == 3400.5  # 3.400,50
    assert rows["1800000012"]["Due Date"] == dt.date(2026, 11, 14)  # 14.11.2026
    assert rows["1800000012"]["Currency"] == "EUR"


def xlsx_export(path: Path, source: Path) -> Path:
    """The same report as QuickBooks' Excel export: dates as dates, numbers as numbers."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    for line in source.read_text(encoding="utf-8").splitlines():
        cells = next(csv.reader([line])) if line else []
        row: list[object] = []
        for cell in cells:
            if re.fullmatch(r"\d\d/\d\d/\d{4}", cell):
                month, day, year = map(int, cell.split("/"))
                row.append(dt.datetime(year, month, day))
            elif re.fullmatch(r"-?\d+\.\d\d", cell.replace(",", "")):
                row.append(float(cell.replace(",", "")))
            else:
                row.append(cell or None)
        sheet.append(row)
    wb.save(path)
    return path


def test_an_xlsx_export_reads_like_its_csv(tmp_path):
    export = xlsx_export(tmp_path / "open.xlsx", EXPORTS / "qbo_open_invoices.csv")
    book = fresh_book(tmp_path)
    import_export(export, book)
    assert balances(book) == balances_of_csv(tmp_path, "qbo_open_invoices.csv")


def balances_of_csv(tmp_path: Path, fixture: str) -> tuple[dict[str, float], int]:
    book = fresh_book(tmp_path, "csv.xlsx")
    import_export(EXPORTS / fixture, book, as_of=AS_OF)
    return balances(book)


LATER_EXPORT = """A/R Aging Detail
Craig's Design and Landscaping Services
"As of December 15, 2026"

,Date,Transaction Type,Num,Customer,Due Date,Past Due,Amount,Open Balance
,11/10/2026,Invoice,1035,Amy's Bird Sanctuary,12/10/2026,5,"1,250.00",600.00
,11/20/2026,Invoice,1042,Cool Cars,12/20/2026,-5,694.00,694.00
,12/01/2026,Invoice,1050,Cool Cars,12/31/2026,-16,310.00,310.00
,11/02/2026,Credit Memo,1040,Bill's Windsurf Shop,11/02/2026,43,-50.00,-50.00
TOTAL,,,,,,,"$2,204.00","$1,554.00"
"""


def sheet_parts(book: Path) -> dict[str, str]:
    """Each sheet's name and its part in the package."""
    with zipfile.ZipFile(book) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets |= {rid: target for target, rid in
                re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    sheets = re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook)
    return {name: "xl/" + targets[rid].lstrip("/").removeprefix("xl/") for name, rid in sheets}


def test_a_later_export_updates_settles_appends_and_leaves_the_contact_log_alone(tmp_path):
    book = fresh_book(tmp_path)
    first = import_export(EXPORTS / "qbo_ar_aging_detail.csv", book)
    assert first.as_of == AS_OF
    assert main(["log", str(book), "--customer", "Cool Cars", "--outcome", "promise",
                 "--invoices", "1042", "--promise-date", "2026-12-10", "--promise-amount",
                 "694", "--note", "=call back Friday", "--user", "ann",
                 "--now", "2026-12-01T10:00:00+00:00"]) == 0
    part = sheet_parts(book)["ContactLog"]
    with zipfile.ZipFile(book) as archive:
        logged = archive.read(part)
    later = tmp_path / "aging-dec.csv"
    later.write_text(LATER_EXPORT, encoding="utf-8")

    second = import_export(later, book)

    assert (second.new, sorted(second.updated), sorted(second.settled)) == (
        ["1050"], ["1035"], ["1009", "1021"])
    assert sorted(second.unchanged) == ["1040", "1042"]
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert open_of(rows["1035"]) == 600.0
    for settled in ("1009", "1021"):
        assert open_of(rows[settled]) == 0.0
        assert rows[settled]["Settled Date"] == dt.date(2026, 12, 15)
    assert open_of(rows["1050"]) == 310.0
    with zipfile.ZipFile(book) as archive:
        assert archive.read(part) == logged  # byte for byte
    log = CalamineWorkbook.from_path(str(book), load_tables=True).get_table_by_name(
        "ContactLog").to_python()
    assert any(row[1] == "Cool Cars" and row[12] == "=call back Friday" for row in log)
    message = second.message()
    assert "1 new, 1 updated, 2 settled, 2 unchanged" in message
    assert "Settled: 1021, 1009" in message or "Settled: 1009, 1021" in message


def test_importing_the_same_export_twice_writes_nothing(tmp_path):
    book = fresh_book(tmp_path)
    import_export(EXPORTS / "sap_fbl5n.txt", book)
    before = book.read_bytes()
    again = import_export(EXPORTS / "sap_fbl5n.txt", book)
    assert again.unchanged and not again.changed
    assert book.read_bytes() == before
    assert "nothing was written" in again.message()


def test_settling_needs_a_date_and_without_one_nothing_is_written(tmp_path):
    book = fresh_book(tmp_path)
    import_export(EXPORTS / "netsuite_open_invoices.csv", book, as_of=AS_OF)
    shorter = tmp_path / "netsuite-later.csv"
    lines = (EXPORTS / "netsuite_open_invoices.csv").read_text(encoding="utf-8").splitlines()
    shorter.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    before = book.read_bytes()
    with pytest.raises(DunningInputError, match="--as-of"):
        import_export(shorter, book)
    assert book.read_bytes() == before
    result = import_export(shorter, book, as_of=dt.date(2026, 12, 5))
    assert result.settled == ["INV10058"]


def test_a_total_that_does_not_add_up_is_refused_naming_the_line(tmp_path):
    text = (EXPORTS / "qbo_open_invoices.csv").read_text(encoding="utf-8")
    broken = tmp_path / "edited.csv"
    broken.write_text(text.replace('"$1,489.00"', '"$1,498.00"'), encoding="utf-8")
    book = fresh_book(tmp_path)
    before = book.read_bytes()
    with pytest.raises(DunningInputError) as raised:
        import_export(broken, book)
    issue = raised.value.issues[0]
    assert (issue.sheet, issue.row, issue.column) == ("edited.csv", 9, "Open Balance")
    assert "Amy's Bird Sanctuary" in issue.message and "1,489.00" in issue.message
    assert book.read_bytes() == before


def test_a_bad_cell_names_file_line_and_column_and_nothing_is_written(tmp_path):
    text = (EXPORTS / "sage_intacct_ar_aging.csv").read_text(encoding="utf-8")
    broken = tmp_path / "intacct.csv"
    broken.write_text(text.replace("10/01/2026", "10/41/2026"), encoding="utf-8")
    book = fresh_book(tmp_path)
    before = book.read_bytes()
    with pytest.raises(DunningInputError) as raised:
        import_export(broken, book)
    assert str(raised.value.issues[0]).startswith("intacct.csv!D6 (Invoice date)")
    assert book.read_bytes() == before


def test_different_documents_under_one_number_are_refused_naming_both_lines(tmp_path):
    text = (EXPORTS / "xero_invoices_export.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[3] = lines[3].replace("INV-0010", "INV-0002")  # another date, same number
    broken = tmp_path / "xero.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DunningInputError, match="INV-0002 is on line 2 .* and on line 4"):
        import_export(broken, fresh_book(tmp_path), as_of=AS_OF)


def test_export_customers_named_by_name_land_on_the_workbooks_codes(tmp_path):
    book = fresh_book(tmp_path)
    assert main(["import", str(EXPORTS / "zoho_books_invoices.csv"), "--into", str(book)]) == 0
    shutil.copy(book, tmp_path / "keep.xlsx")
    netsuite = tmp_path / "ns.csv"
    netsuite.write_text("Date,Document Number,Name,Due Date,Amount,Amount Remaining\n"
                        "11/25/2026,INV-9,Zylker Ltd,12/25/2026,50.00,50.00\n", encoding="utf-8")
    result = import_export(netsuite, book, as_of=AS_OF)
    assert result.new == ["INV-9"] and result.new_customers == []
    rows = {row["Invoice No"]: row for row in invoices_read_back(book)}
    assert rows["INV-9"]["Customer"] == "4600001"


def test_map_and_header_row_when_the_guess_is_wrong(tmp_path):
    export = tmp_path / "odd.csv"
    export.write_text("Ledger dump\nRef,Who,Issued,Payable by,Sum\n"
                      "A-1,Kite Co,2026-11-01,2026-12-01,99.00\n", encoding="utf-8")
    book = fresh_book(tmp_path)
    with pytest.raises(DunningInputError, match="no header row found"):
        import_export(export, book)
    mapping = import_mapping({"Who": "customer", "Issued": "invoice_date",
                              "due_date": "Payable by", "Sum": "amount"})
    result = import_export(export, book, header_row=2, mapping=mapping)
    assert result.new == ["A-1"]
    assert balances(book) == ({"Kite Co": 99.0}, 1)


def test_the_command_prints_what_changed_and_refuses_bad_input_with_status_1(tmp_path, capsys):
    book = fresh_book(tmp_path)
    assert main(["import", str(EXPORTS / "qbo_open_invoices.csv"), "--into", str(book)]) == 0
    out = capsys.readouterr().out
    assert "5 new, 0 updated, 0 settled, 0 unchanged" in out
    assert main(["import", str(EXPORTS / "xero_aged_receivables_summary.csv"),
                 "--into", str(book)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: xero_aged_receivables_summary.csv row 6: this is a summary")
    assert main(["aging", str(book), "--as-of", "2026-11-30"]) == 0
    assert "2,218.00" in capsys.readouterr().out


def test_a_customer_that_differs_and_an_older_export_are_warned_about(tmp_path):
    book = fresh_book(tmp_path)
    import_export(EXPORTS / "netsuite_open_invoices.csv", book, as_of=dt.date(2026, 12, 5))
    shorter = tmp_path / "ns.csv"
    shorter.write_text("Date,Document Number,Name,Due Date,Amount,Amount Remaining\n"
                       "10/28/2026,INV10052,Someone Else,11/27/2026,845.60,345.60\n",
                       encoding="utf-8")
    settled = import_export(shorter, book, as_of=dt.date(2026, 12, 10))
    assert sorted(settled.settled) == ["INV10045", "INV10058"]
    assert any("Cascade Cycles's in the workbook but Someone Else's" in issue.message
               for issue in settled.issues)
    assert settled.new_customers == []  # only new invoices bring new customers
    older = import_export(shorter, book, as_of=dt.date(2026, 12, 1))
    assert any("before invoices the workbook already marks settled on 2026-12-10" in
               issue.message for issue in older.issues)
