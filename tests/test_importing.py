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
from export_oracle import (
    ALONE,
    Cell,
    FixtureDisagrees,
    Heading,
    Layout,
    Reading,
    Skip,
    Total,
    first,
    read_export,
)

EXPORTS = Path(__file__).parent / "data" / "exports"
AS_OF = dt.date(2026, 11, 30)

# Each fixture as a person reading it would describe it; tests/export_oracle.py reads the file
# by this description alone (csv and string handling, nothing of Dunning's) to give the open
# balance and number of documents per customer (as the workbook's Customer column holds it),
# first checking its sums against the file's own total lines.
QBO_FOOTER = Skip(first(r"Accrual Basis .*"))  # the basis and print time, after the TOTAL line
LAYOUTS: dict[str, Layout] = {
    "qbo_open_invoices.csv": Layout(  # lines 1-4: title, company, "As of ...", blank
        header_line=5, balance="Open Balance", rows=(
            QBO_FOOTER,
            Total(first("TOTAL"), of="report", columns=("Amount", "Open Balance")),
            Total(first("Total for (?P<name>.+)"), of="section",
                  columns=("Amount", "Open Balance")),
            Heading(ALONE, customer=0)),  # a customer's name alone on its line heads its invoices
        credit=Cell("Transaction Type", "Credit Memo")),  # credit memos are shown positive
    "qbo_ar_aging_detail.csv": Layout(
        header_line=5, customer="Customer", balance="Open Balance", rows=(
            QBO_FOOTER,
            Total(first("TOTAL"), of="report", columns=("Amount", "Open Balance")),
            Total(first("Total for (?P<name>.+)"), of="section",
                  columns=("Amount", "Open Balance")),
            Heading(ALONE))),  # an aging bucket ("1 - 30 days past due"); credits negative
    "qbo_invoice_list.csv": Layout(  # paid invoices too, with an Open Balance of 0.00
        header_line=5, customer="Customer", balance="Open Balance", rows=(
            Total(first("TOTAL"), of="report", columns=("Amount", "Open Balance")),)),
    "qbd_open_invoices.csv": Layout(  # no title; group names in the unheaded first column
        balance="Open Balance", rows=(
            Total(first("TOTAL"), of="report"),
            Total(first("Total (?P<name>.+)"), of="section"),
            Heading(ALONE, customer=0))),
    "qbd_ar_aging_detail.csv": Layout(
        customer="Name", balance="Open Balance", rows=(
            Total(first("TOTAL"), of="report"),
            Total(first("Total (?P<name>.+)"), of="section"),
            Heading(ALONE))),  # an aging bucket ("1 - 30")
    "xero_aged_receivables_detail.csv": Layout(  # 4 title lines and a blank before the headings
        header_line=6, balance="Total", rows=(
            Total(first("Total"), of="report"),
            Total(first("Total (?P<name>.+)"), of="section"),
            Heading(ALONE, customer=0))),  # the contact; a credit note may have no number
    "xero_invoices_export.csv": Layout(  # one line per line item
        customer="ContactName", balance="InvoiceAmountDue", lines_of=("InvoiceNumber",),
        credit=Cell("Type", "Sales credit note"),  # shown positive
        leave_out=Cell("Status", "Draft")),
    "sage50_aged_debtors.csv": Layout(  # 3 "Date:/Time:/Report Date:" lines and a blank
        header_line=5, customer="A/C", balance="Balance", rows=(
            Total(first("Totals:"), of="report"),)),  # SC credits are negative
    "sage50_aged_debtors_sectioned.csv": Layout(
        header_line=5, balance="Balance", rows=(
            Heading(first("A/C:"), customer=1),  # "A/C:,ABS001,Name:,...,Tel:,..."
            Skip(first("Turnover:")),  # turnover and credit limit under each section
            Total(first("Totals:"), of="report"))),
    "sage_intacct_ar_aging.csv": Layout(  # title, company, "As of", blank
        header_line=5, customer="Customer ID", balance="Total due", rows=(
            Total(first("Total"), of="report"),)),
    "freshbooks_invoice_details.csv": Layout(  # one line per line item
        customer="Client Name", balance="Line Total", lines_of=("Invoice #",), lines_add=True,
        settled=Cell("Date Paid", ".+"),  # no open column: a paid invoice owes nothing
        leave_out=Cell("Invoice Status", "draft")),
    "zoho_books_invoices.csv": Layout(  # one line per item, the invoice's Balance on each
        customer="Customer ID", balance="Balance", lines_of=("Invoice Number",)),
    "netsuite_open_invoices.csv": Layout(customer="Name", balance="Amount Remaining"),
    "sap_fbl5n.txt": Layout(  # tab-separated after a title, a blank, the key date, a blank
        header_line=5, delimiter="\t", decimal_comma=True,  # 3.400,50 and 250,00-
        customer="Account", balance="Amount in doc. curr.", rows=(
            Total(Cell("St", r"\*"), of="section"),  # each account's subtotal
            Total(Cell("St", r"\*\*"), of="report"))),
    "bc_aged_accounts_receivable.csv": Layout(  # the report's dataset; credit memos negative
        customer="CustomerNumber", balance="RemainingAmount"),
    "odoo_aged_receivable.csv": Layout(  # entries named in the unheaded first column
        balance="Total", rows=(
            Total(first("Total"), of="report"),
            Heading(Cell("Due Date", ""), customer=0, total="Total"))),  # partner line + totals
    "erpnext_accounts_receivable.csv": Layout(  # each payment-term instalment is its own item
        customer="Party", balance="Outstanding Amount", lines_of=("Voucher No", "Due Date"),
        rows=(Total(Cell("Voucher No", ""), of="report",  # the unlabelled total line
                    columns=("Invoiced Amount", "Paid Amount", "Outstanding Amount")),)),
    "myob_aged_receivables_detail.csv": Layout(  # title lines with "As of", "Created:", blank
        header_line=6, balance="Total Due", rows=(
            Total(Cell("Date", "Grand Total:"), of="report"),
            Total(Cell("Date", "Total:"), of="section"),
            Skip(first(r"CUS\d+")), Skip(first(r"\(\d\d\) [\d ]+")),  # card ID, phone
            Skip(first(r"\d+% \d+ Net \d+")),  # the terms
            Heading(ALONE, customer=0))),  # the customer's name opens its block
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


def per_customer(book: Path) -> tuple[dict[str, float], dict[str, int]]:
    """The workbook's open balance and number of invoices per customer."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in invoices_read_back(book):
        customer = str(row["Customer"])
        totals[customer] = round(totals.get(customer, 0.0) + open_of(row), 2)
        counts[customer] = counts.get(customer, 0) + 1
    return totals, counts


def read_fixture(fixture: str) -> Reading:
    return read_export(EXPORTS / fixture, LAYOUTS[fixture])


def assert_matches(book: Path, reading: Reading) -> None:
    got_balances, got_counts = per_customer(book)
    assert got_balances == reading.balances  # to the cent: both are rounded to 2 places
    assert got_counts == reading.counts


@pytest.mark.parametrize("fixture", sorted(LAYOUTS))
def test_each_vendor_export_lands_one_row_per_document_with_its_balances(tmp_path, fixture):
    reading = read_fixture(fixture)  # the file's own total lines have checked this reading
    book = fresh_book(tmp_path)
    result = import_export(EXPORTS / fixture, book, as_of=AS_OF)
    assert_matches(book, reading)
    count = sum(reading.counts.values())
    assert len(result.new) == count and not result.updated and not result.settled
    numbers = [str(row["Invoice No"]) for row in invoices_read_back(book)]
    assert len(set(numbers)) == len(numbers)  # line items rolled up: one row per invoice


def test_the_independent_reading_is_checked_by_the_files_own_totals(tmp_path):
    """A total line its lines do not add up to, or a description that fits no line, is caught."""
    unchecked = {name for name in LAYOUTS if read_fixture(name).totals_checked == 0}
    assert unchecked == {"bc_aged_accounts_receivable.csv", "freshbooks_invoice_details.csv",
                         "netsuite_open_invoices.csv", "xero_invoices_export.csv",
                         "zoho_books_invoices.csv"}  # the exports that carry no totals
    text = (EXPORTS / "qbd_open_invoices.csv").read_text(encoding="utf-8")
    edited = tmp_path / "qbd_open_invoices.csv"
    edited.write_text(text.replace("Total Bill's Windsurf Shop,,,,,,,,,35.00",
                                   "Total Bill's Windsurf Shop,,,,,,,,,135.00"), encoding="utf-8")
    with pytest.raises(FixtureDisagrees, match="line 9: Open Balance total 135.00, but its lines"
                                               " add up to 35.00"):
        read_export(edited, LAYOUTS["qbd_open_invoices.csv"])
    wrong = Layout(customer="Name", balance="Amount Remaining",
                   rows=(Total(first("TOTAL"), of="report"),))
    with pytest.raises(FixtureDisagrees, match="no line matches"):
        read_export(EXPORTS / "netsuite_open_invoices.csv", wrong)


def test_every_fixture_is_listed_in_the_readme_and_tested():
    files = {path.name for path in EXPORTS.iterdir() if path.name != "README.md"}
    assert files == set(LAYOUTS) | {"xero_aged_receivables_summary.csv"}
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
    assert_matches(book, read_fixture("bc_aged_accounts_receivable.csv"))


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
    assert_matches(book, read_fixture("qbo_open_invoices.csv"))


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
    with pytest.raises(DunningInputError, match="--as-of") as raised:
        import_export(shorter, book)
    assert book.read_bytes() == before
    result = import_export(shorter, book, as_of=dt.date(2026, 12, 5))
    assert result.settled == ["INV10058"]
    assert str(raised.value.issues[0].message).startswith(
        "1 invoice (INV10058) is settled by this export")  # one: singular


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


def test_a_folder_named_like_a_workbook_is_refused_as_a_folder_and_nothing_is_written(
        tmp_path, capsys):
    """`import folder.xlsx` says it is a folder, as `aging folder.xlsx` does, not "no such
    file"; the same for a folder given as the workbook to import into."""
    book = fresh_book(tmp_path)
    before = book.read_bytes()
    folder = tmp_path / "export.xlsx"
    folder.mkdir()
    assert main(["import", str(folder), "--into", str(book)]) == 1
    err = capsys.readouterr().err
    assert "export.xlsx is a folder, not a workbook file" in err
    assert "no such file" not in err
    assert main(["aging", str(folder)]) == 1
    assert "export.xlsx is a folder, not a workbook file" in capsys.readouterr().err
    assert book.read_bytes() == before
    assert main(["import", str(EXPORTS / "qbo_open_invoices.csv"), "--into", str(folder)]) == 1
    assert "export.xlsx is a folder, not a workbook file" in capsys.readouterr().err
