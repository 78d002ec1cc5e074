"""Recognising report exports in a grid of cells (dunning.core.exports), no files involved."""

from __future__ import annotations

import datetime as dt

import pytest

from dunning.core.errors import DunningInputError
from dunning.core.exports import EXPORT_FIELDS, HEADERS, recognise_export


def documents(export) -> dict[str, dict[str, object]]:
    return {row[0]: dict(zip(HEADERS, row, strict=True)) for row in export.rows[1:]}


QUICKBOOKS = [
    ["Open Invoices"],
    ["Acme Books"],
    ["As of November 30, 2026"],
    [],
    [None, "Date", "Transaction Type", "Num", "Due Date", "Amount", "Open Balance"],
    ["Kite Co"],
    [None, "10/15/2026", "Invoice", "7", "11/14/2026", "100.00", "60.00"],
    [None, "11/01/2026", "Credit Memo", "8", "11/01/2026", "25.00", "25.00"],
    ["Total for Kite Co", None, None, None, None, "$75.00", "$35.00"],
    ["Lamp Ltd"],
    [None, "11/03/2026", "Invoice", "9", "12/03/2026", "40.00", "40.00"],
    ["Total for Lamp Ltd", None, None, None, None, "$40.00", "$40.00"],
    ["TOTAL", None, None, None, None, "$115.00", "$75.00"],
    [],
    ["Accrual Basis Monday, November 30, 2026 09:12 AM"],
]


def test_titles_groups_totals_and_credit_memos():
    export = recognise_export(QUICKBOOKS, name="qb.csv")
    assert export.header_line == 5 and export.as_of == dt.date(2026, 11, 30)
    found = documents(export)
    assert list(found) == ["7", "8", "9"]
    assert found["7"]["Customer"] == "Kite Co" and found["9"]["Customer"] == "Lamp Ltd"
    assert (found["8"]["Amount"], found["8"]["Open Amount"]) == (-25.0, -25.0)
    assert export.lines == [7, 8, 11]
    assert export.open_items_only


def test_a_group_total_that_differs_is_an_error_naming_its_line_and_column():
    grid = [list(row) for row in QUICKBOOKS]
    grid[8][6] = "$36.00"
    with pytest.raises(DunningInputError) as raised:
        recognise_export(grid, name="qb.csv")
    [issue] = raised.value.issues
    assert (issue.row, issue.column_letter, issue.column) == (9, "G", "Open Balance")
    assert "the total for Kite Co says 36.00 but the rows above it add up to 35.00" in \
        issue.message


def test_the_report_total_is_checked_against_every_row():
    grid = [list(row) for row in QUICKBOOKS]
    grid[12][5] = "$116.00"
    with pytest.raises(DunningInputError, match="the report total says 116.00"):
        recognise_export(grid, name="qb.csv")


def test_line_items_roll_up_and_differing_amounts_are_added():
    grid = [["InvoiceNumber", "ContactName", "InvoiceDate", "DueDate", "Total", "LineAmount"],
            ["A1", "Kite", "2026-11-01", "2026-12-01", "300", "100"],
            ["A1", "Kite", "2026-11-01", "2026-12-01", "300", "200"],
            ["A2", "Kite", "2026-11-02", "2026-12-02", "10", "10"],
            ["A2", "Kite", "2026-11-02", "2026-12-02", "15", "15"]]
    found = documents(recognise_export(grid, name="x.csv"))
    assert found["A1"]["Amount"] == 300.0  # the invoice total, repeated on each line
    assert found["A2"]["Amount"] == 25.0  # line amounts: added


def test_different_documents_under_one_number_name_both_lines():
    grid = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"],
            ["A1", "Kite", "2026-11-01", "2026-12-01", "300"],
            ["A1", "Lamp", "2026-11-01", "2026-12-01", "300"]]
    with pytest.raises(DunningInputError,
                       match=r"A1 is on line 2 \(Kite, dated 2026-11-01\) and on line 3 "
                             r"\(Lamp, dated 2026-11-01\)"):
        recognise_export(grid, name="x.csv")


def test_sap_trailing_minus_decimal_comma_dotted_dates_and_star_subtotals():
    grid = [["Open items at key date 30.11.2026"], [],
            [None, "Account", "Document Number", "Document Date", "Net due date",
             "Amount in doc. curr."],
            [None, "100", "18", "01.02.2026", "03.04.2026", "1.250,00"],
            [None, "100", "14", "05.02.2026", "05.02.2026", "250,00-"],
            [None, "*", None, None, None, "1.000,00"],
            [None, "**", None, None, None, "1.000,00"]]
    export = recognise_export(grid, name="fbl5n.txt")
    found = documents(export)
    assert export.as_of == dt.date(2026, 11, 30)
    assert found["18"]["Due Date"] == dt.date(2026, 4, 3)
    assert (found["18"]["Amount"], found["14"]["Amount"]) == (1250.0, -250.0)
    grid[5][5] = "1.100,00"
    with pytest.raises(DunningInputError, match="the total for the account says 1,100.00"):
        recognise_export(grid, name="fbl5n.txt")


def test_aging_buckets_make_the_open_amount_and_total_beside_them_is_what_is_open():
    grid = [["Invoice Number", "Contact", "Invoice Date", "Due Date", "Current", "< 1 Month",
             "Older"],
            ["I1", "Kite", "2026-10-01", "2026-10-31", "0", "70", "30"]]
    found = documents(recognise_export(grid, name="x.csv"))
    assert found["I1"]["Open Amount"] == 100.0 and found["I1"]["Amount"] == 100.0


def test_no_due_dates_derive_from_terms_and_say_so():
    grid = [["A/C", "Ref", "Date", "Balance"],
            ["K1", "10", "01/10/2026", "50.00"], ["L1", "11", "15/10/2026", "20.00"],
            ["L1", "12", "16/10/2026", "-5.00"]]
    export = recognise_export(grid, name="sage.csv", terms={"K1": 14}, default_terms=30)
    found = documents(export)
    assert found["10"]["Due Date"] == dt.date(2026, 10, 15)
    assert found["11"]["Due Date"] == dt.date(2026, 11, 14)
    assert found["12"]["Due Date"] is None  # a credit: dated on its own date by the ledger
    assert any("no due dates" in issue.message for issue in export.issues)


def test_days_past_due_with_the_export_date_give_the_due_date():
    grid = [["As of 2026-11-30"], ["Num", "Customer", "Date", "Past Due", "Open Balance"],
            ["5", "Kite", "2026-10-01", "10", "20.00"]]
    found = documents(recognise_export(grid, name="x.csv"))
    assert found["5"]["Due Date"] == dt.date(2026, 11, 20)


def test_a_summary_is_refused_and_no_header_is_said_plainly():
    with pytest.raises(DunningInputError, match="summary report"):
        recognise_export([["Contact", "Current", "1 Month", "Older", "Total"],
                          ["Kite", "1", "2", "3", "6"]], name="s.csv")
    with pytest.raises(DunningInputError, match="no header row found .* --header-row"):
        recognise_export([["just"], ["some", "text"]], name="n.csv")
    with pytest.raises(DunningInputError, match="empty"):
        recognise_export([[None, ""], []], name="e.csv")


def test_header_row_and_mapping_override_the_guess():
    grid = [["Who", "Doc", "Issued", "Payable", "Sum"], ["Kite", "D1", "2026-11-01",
                                                          "2026-12-01", "9.50"]]
    export = recognise_export(grid, name="m.csv", header_row=1, mapping={
        "customer": "Who", "invoice": "Doc", "invoice_date": "Issued", "due_date": "Payable",
        "amount": "Sum"})
    assert documents(export)["D1"]["Amount"] == 9.5
    with pytest.raises(DunningInputError, match="--header-row 9 is outside the file"):
        recognise_export(grid, name="m.csv", header_row=9)
    with pytest.raises(DunningInputError, match="no such header"):
        recognise_export(grid, name="m.csv", header_row=1, mapping={"amount": "Nope"})


def test_every_wrong_map_entry_is_one_error_in_the_exports_words():
    grid = [["Ledger dump"], ["Who", "Doc", "Issued", "Payable", "Sum"]]
    with pytest.raises(DunningInputError) as raised:
        recognise_export(grid, name="m.csv", header_row=2,
                         mapping={"client": "Who", "due_date": "Net due"})
    assert [str(issue) for issue in raised.value.issues] == [
        "m.csv: unknown field 'client' in --map; fields are: "
        + ", ".join(EXPORT_FIELDS),
        "m.csv row 2: --map names 'Net due' for the due_date, but line 2 has no such header; "
        "headers are: Who, Doc, Issued, Payable, Sum"]
    with pytest.raises(DunningInputError) as raised:  # a blank line named as the header row
        recognise_export([["Title"], [], ["Kite"]], name="b.csv", header_row=2,
                         mapping={"amount": "Sum"})
    assert raised.value.issues[0].message.endswith("headers are: (none)")


def test_two_columns_with_one_header_warn_as_on_an_invoices_sheet():
    """The export's matcher is the ledger's: the first of two like-headed columns is used, and
    said (it had been taken silently)."""
    grid = [["Invoices"],
            ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "AMOUNT"],
            ["A1", "Kite", "2026-11-01", "2026-12-01", "300", "5"]]
    export = recognise_export(grid, name="x.csv")
    assert documents(export)["A1"]["Amount"] == 300.0
    [warning] = [issue for issue in export.issues if "two columns" in issue.message]
    assert (warning.severity, warning.sheet, warning.row) == ("warning", "x.csv", 2)
    assert warning.message == "two columns are headed 'Amount'; using column E for the amount"


def test_a_bad_amount_names_the_line_and_column():
    grid = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"],
            ["A1", "Kite", "2026-11-01", "2026-12-01", "ten"]]
    with pytest.raises(DunningInputError) as raised:
        recognise_export(grid, name="x.csv")
    assert str(raised.value.issues[0]).startswith("x.csv!E2 (Amount): expected an amount")


def test_a_paid_row_makes_the_export_more_than_open_items():
    grid = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Balance"],
            ["A1", "Kite", "2026-11-01", "2026-12-01", "10", "0"],
            ["A2", "Kite", "2026-11-01", "2026-12-01", "10", "10"]]
    assert not recognise_export(grid, name="x.csv").open_items_only


def test_an_unapplied_payment_without_a_number_is_a_credit_known_by_kind_and_date():
    grid = [["Date", "Transaction Type", "Num", "Customer", "Due Date", "Open Balance"],
            ["11/20/2026", "Payment", None, "Kite", None, "-40.00"],
            ["11/23/2026", "Invoice", "12", "Kite", "12/23/2026", "100.00"],
            ["11/25/2026", "Invoice", None, "Kite", "12/25/2026", "10.00"]]
    with pytest.raises(DunningInputError) as raised:
        recognise_export(grid, name="qb.csv")
    [issue] = raised.value.issues
    assert (issue.row, issue.column, issue.message) == (4, "Num", "missing invoice number")
    export = recognise_export(grid[:3], name="qb.csv")
    found = documents(export)
    assert found["Payment of 2026-11-20"]["Open Amount"] == -40.0
    assert any("no number" in note.message for note in export.issues)


def test_the_warning_about_unnumbered_items_quotes_the_first_such_item_and_counts_right():
    """Not a made-up example: the name the item got ("Credit Memo of 2026-11-05")."""
    grid = [["Date", "Transaction Type", "Num", "Customer", "Due Date", "Open Balance"],
            ["11/05/2026", "Credit Memo", None, "Kite", None, "-25.00"],
            ["11/23/2026", "Invoice", "12", "Kite", "12/23/2026", "100.00"]]
    [note] = [n for n in recognise_export(grid, name="qb.csv").issues if "no number" in n.message]
    assert note.message == ('1 payment or credit has no number; it is known by its kind and '
                            'date ("Credit Memo of 2026-11-05")')
    grid.insert(1, ["11/20/2026", "Payment", None, "Kite", None, "-40.00"])
    [note] = [n for n in recognise_export(grid, name="qb.csv").issues if "no number" in n.message]
    assert note.message == ('2 payments or credits have no number; each is known by its kind '
                            'and date ("Payment of 2026-11-20")')


def test_counts_in_import_warnings_take_the_singular_for_one():
    voided = [["InvoiceNumber", "ContactName", "InvoiceDate", "DueDate", "Total", "Status"],
              ["I1", "Kite", "21/10/2026", "15/11/2026", "10.00", "Awaiting Payment"],
              ["I2", "Kite", "22/10/2026", "16/11/2026", "20.00", "Draft"]]
    messages = [n.message for n in recognise_export(voided, name="xero.csv").issues]
    assert any(m.endswith("(nobody owes them): 1 line") for m in messages), messages
    split = [["Posting Date", "Party", "Voucher Type", "Voucher No", "Due Date",
              "Invoiced Amount", "Outstanding Amount"],
             ["2026-10-10", "C1", "Sales Invoice", "S4", "2026-11-09", "600.0", "400.0"],
             ["2026-10-10", "C1", "Sales Invoice", "S4", "2026-12-09", "600.0", "600.0"]]
    messages = [n.message for n in recognise_export(split, name="ar.csv").issues]
    assert any(m.endswith("numbered with its due date: 1 invoice") for m in messages), messages
    with pytest.raises(DunningInputError, match="which has 1 line$"):
        recognise_export([["Invoice No", "Customer", "Amount"]], name="x.csv", header_row=2)


def test_installments_under_one_number_are_one_row_each_known_by_due_date():
    """ERPNext 'based on payment terms': one invoice, a row per installment, its own due date."""
    grid = [["Posting Date", "Party", "Voucher Type", "Voucher No", "Due Date",
             "Invoiced Amount", "Outstanding Amount"],
            ["2026-10-10", "C1", "Sales Invoice", "S4", "2026-11-09", "600.0", "400.0"],
            ["2026-10-10", "C1", "Sales Invoice", "S4", "2026-12-09", "600.0", "600.0"],
            ["2026-10-11", "C1", "Sales Invoice", "S5", "2026-11-10", "50.0", "50.0"]]
    export = recognise_export(grid, name="ar.csv")
    found = documents(export)
    assert list(found) == ["S4 due 2026-11-09", "S4 due 2026-12-09", "S5"]
    assert (found["S4 due 2026-11-09"]["Open Amount"], found["S4 due 2026-12-09"]["Open Amount"]) \
        == (400.0, 600.0)
    assert any("installments" in issue.message for issue in export.issues)
    grid[2][0] = "2026-10-12"  # another posting date: two documents under one number
    with pytest.raises(DunningInputError, match="S4 is on line 2 .* and on line 3"):
        recognise_export(grid, name="ar.csv")


def test_drafts_and_voided_documents_are_left_out_and_said():
    grid = [["InvoiceNumber", "ContactName", "InvoiceDate", "DueDate", "Total", "Status"],
            ["I1", "Kite", "21/10/2026", "15/11/2026", "10.00", "Awaiting Payment"],
            ["I2", "Kite", "22/10/2026", "16/11/2026", "20.00", "Draft"],
            ["I3", "Kite", "23/10/2026", "17/11/2026", "30.00", "Voided"]]
    export = recognise_export(grid, name="xero.csv")
    assert list(documents(export)) == ["I1"]
    assert any("draft or voided" in issue.message and "2 lines" in issue.message
               for issue in export.issues)


ODOO = [
    [None, "Due Date", "Journal", "Account", "Exp. Date", "As of: 11/30/2026", "1 - 30",
     "Older", "Total"],
    ["Azure Interior", None, None, None, None, "10.00", "5.00", "0.00", "15.00"],
    ["INV/2026/00012", "11/07/2026", "INV", "121000", None, "0.00", "5.00", "0.00", "5.00"],
    ["INV/2026/00019", "12/21/2026", "INV", "121000", None, "10.00", "0.00", "0.00", "10.00"],
    ["Deco Addict", None, None, None, None, "0.00", "-3.00", "7.00", "4.00"],
    ["INV/2026/00005", "07/31/2026", "INV", "121000", None, "0.00", "0.00", "7.00", "7.00"],
    ["RINV/2026/00002", "11/10/2026", "INV", "121000", None, "0.00", "-3.00", "0.00", "-3.00"],
    ["Total", None, None, None, None, "10.00", "2.00", "7.00", "19.00"],
]


def test_odoo_partner_lines_carry_their_totals_and_head_their_entries():
    export = recognise_export(ODOO, name="odoo.csv")
    found = documents(export)
    assert export.as_of == dt.date(2026, 11, 30)  # from the "As of: 11/30/2026" column
    assert found["INV/2026/00019"]["Customer"] == "Azure Interior"  # not the Account 121000
    assert found["RINV/2026/00002"]["Open Amount"] == -3.0
    assert found["INV/2026/00005"]["Invoice Date"] == dt.date(2026, 7, 31)  # its due date
    grid = [list(row) for row in ODOO]
    grid[4][8] = "5.00"
    with pytest.raises(DunningInputError) as raised:
        recognise_export(grid, name="odoo.csv")
    [issue] = raised.value.issues
    assert (issue.row, issue.column) == (5, "Total")
    assert "the total for Deco Addict says 5.00 but the rows above it add up to 4.00" in \
        issue.message


def test_an_unlabelled_total_row_is_checked_against_the_report():
    """ERPNext's total row has no label when its first column is a date (frappe's add_total_row)."""
    grid = [["Posting Date", "Party", "Voucher No", "Due Date", "Outstanding Amount", "Currency"],
            ["2026-10-10", "C1", "S4", "2026-11-09", "400.0", "INR"],
            ["2026-10-11", "C2", "S5", "2026-11-10", "50.0", "INR"],
            [None, None, None, None, "450.0", "INR"]]
    assert len(documents(recognise_export(grid, name="ar.csv"))) == 2
    grid[3][4] = "460.0"
    with pytest.raises(DunningInputError, match="the report total says 460.00"):
        recognise_export(grid, name="ar.csv")


SAGE_SECTIONS = [
    ["Date: 30/11/2026", None, "Wizard Training Limited"],
    [None, None, "Aged Debtors Analysis (Detailed)"],
    ["No", "Type", "Date", "Ref", "Details", "Balance", "Future", "Current", "Period 1",
     "Period 2", "Period 3", "Older"],
    ["A/C:", "ABS001", "Name:", "A1 Design Services", "Contact:", "Jo Bloggs", "Tel:",
     "01234 567890"],
    ["12", "SI", "15/10/2026", "10012", "Consultancy", "1200.00", "0.00", "0.00", "1200.00",
     "0.00", "0.00", "0.00"],
    ["19", "SC", "02/11/2026", "CN004", "Returned goods", "-150.00", "0.00", "-150.00", "0.00",
     "0.00", "0.00", "0.00"],
    ["Turnover:", "1050.00", "Credit Limit:", "2000.00"],
    ["A/C: BRO001", None, "Name:", "Bronson Inc"],
    ["7", "SI", "20/08/2026", "10007", "Hardware", "875.50", "0.00", "0.00", "0.00", "0.00",
     "875.50", "0.00"],
    ["Turnover:", "875.50", "Credit Limit:", "1000.00"],
    ["Totals:", None, None, None, None, "1925.50", "0.00", "-150.00", "1200.00", "0.00",
     "875.50", "0.00"],
]


def test_sage_sections_headed_by_account_labels_and_a_final_totals_line():
    """Sage 50's printed aged debtors: a title line per customer ("A/C:", code, "Name:"...),
    its turnover and credit limit below, one "Totals:" for the report."""
    export = recognise_export(SAGE_SECTIONS, name="sage.csv", dayfirst=True)
    found = documents(export)
    assert list(found) == ["10012", "CN004", "10007"]
    assert [found[n]["Customer"] for n in found] == ["ABS001", "ABS001", "BRO001"]
    assert found["CN004"]["Amount"] == -150.0
    grid = [list(row) for row in SAGE_SECTIONS]
    grid[-1][5] = "1900.00"
    with pytest.raises(DunningInputError, match="says 1,900.00 but the rows above it add up "
                                                "to 875.50"):
        recognise_export(grid, name="sage.csv", dayfirst=True)


def test_sap_spreadsheet_export_with_customer_subtotal_rows():
    """FBL5N exported to a spreadsheet: a subtotal row per account holds only the account and
    its amount (no document number), US number and date formats as the user's settings."""
    grid = [["Account", "Document Number", "Assignment", "Document Type", "Document Date",
             "Net Due Date", "Arrears by Net Due Date", "Amount in Local Currency", "Text"],
            ["198609", "9974698958", "9974698958", "DG", "9/26/2025", "9/26/2025", "3",
             "-30,213.31", None],
            ["198609", "9974698901", "9974698901", "RV", "9/01/2025", "10/01/2025", "-2",
             "50,000.00", None],
            ["198609", None, None, None, None, None, None, "19,786.69", None],
            ["198700", "9974698999", "9974698999", "RV", "9/02/2025", "10/02/2025", "-3",
             "1,000.00", None],
            ["198700", None, None, None, None, None, None, "1,000.00", None]]
    found = documents(recognise_export(grid, name="fbl5n.csv"))
    assert list(found) == ["9974698958", "9974698901", "9974698999"]
    assert found["9974698958"]["Amount"] == -30213.31
    grid[3][7] = "19,000.00"
    with pytest.raises(DunningInputError, match="the total for customer 198609 says 19,000.00"):
        recognise_export(grid, name="fbl5n.csv")


def test_netsuite_summary_search_columns_are_read_without_their_sum_of():
    grid = [["Document Number", "Name", "Maximum of Date", "Maximum of Due Date/Receive By",
             "Sum of Amount Remaining"],
            ["INV10045", "Alpine Outfitters", "10/13/2026", "11/22/2026", "3,120.00"]]
    found = documents(recognise_export(grid, name="ns.csv"))
    assert found["INV10045"]["Due Date"] == dt.date(2026, 11, 22)
    assert found["INV10045"]["Open Amount"] == 3120.0


def test_quickbooks_online_sentence_case_headers_with_the_date_column_first():
    """QuickBooks Online's newer aging exports (as outsmith/qb-aging-converter reads the A/P one:
    "Date, Transaction type, Num, ... display name, Vendor, Due date, Past due, Amount, Open
    balance"), here for customers: no blank first column, bucket headings in the Date column."""
    grid = [["A/R Aging Detail Report"], ["Craig's Design and Landscaping Services"],
            ["As of November 30, 2026"], [],
            ["Date", "Transaction type", "Num", "Customer display name", "Customer", "Due date",
             "Past due", "Amount", "Open balance"],
            ["Current"],
            ["11/10/2026", "Invoice", "1035", "Amy's", "Amy's Bird Sanctuary", "12/10/2026",
             "-10", "1,250.00", "600.00"],
            ["Total for Current", "", "", "", "", "", "", "$1,250.00", "$600.00"],
            ["31 - 60 days past due"],
            ["09/20/2026", "Invoice", "1009", "Bill's", "Bill's Windsurf Shop", "10/20/2026", "41",
             "85.00", "85.00"],
            ["Total for 31 - 60 days past due", "", "", "", "", "", "", "$85.00", "$85.00"],
            ["TOTAL", "", "", "", "", "", "", "$1,335.00", "$685.00"]]
    export = recognise_export(grid, name="qbo.csv")
    found = documents(export)
    assert export.as_of == dt.date(2026, 11, 30)
    assert found["1035"]["Customer"] == "Amy's Bird Sanctuary"
    assert found["1035"]["Open Amount"] == 600.0


def odoo_17_lines() -> list[list[object]]:
    """Odoo 16+'s Aged Receivable unfolded, as account_reports' own test lists its lines
    (test_aged_receivable_report: Name, Expected Date, Not Due On, 1 - 30 ... Older, Total):
    a report line and a partner line carrying totals, entries with a blank Total, the same
    entry name once per receivable line (its installments), "Total partner_a", "Total Aged
    Receivable". Columns the test does not show are left out."""
    header = [None, "Expected Date", "Not Due On", "1 - 30", "31 - 60", "61 - 90", "91 - 120",
              "Older", "Total"]
    lines = [["Aged Receivable", None, 100, 100, 100, 600, 300, 100, 1300],
             ["partner_a", None, 100, 100, 100, 600, 300, 100, 1300]]
    for name, expected, bucket, amount in [
            ("INV/2016/00002", "01/01/2016", 7, 100), ("INV/2016/00002", "10/04/2016", 6, 100),
            ("INV/2016/00002", "10/05/2016", 6, 200), ("INV/2016/00001", "11/03/2016", 5, 500),
            ("INV/2016/00002", "11/03/2016", 5, 100), ("INV/2016/00002", "12/03/2016", 4, 100),
            ("INV/2016/00002", "01/02/2017", 3, 100), ("INV/2016/00002", "02/01/2017", 2, 100)]:
        row: list[object] = [name, expected, 0, 0, 0, 0, 0, 0, None]
        row[bucket] = amount
        lines.append(row)
    lines.append(["Total partner_a", None, 100, 100, 100, 600, 300, 100, 1300])
    lines.append(["Total Aged Receivable", None, 100, 100, 100, 600, 300, 100, 1300])
    return [header, *lines]


def test_odoo_17_report_and_partner_lines_installments_and_blank_entry_totals():
    export = recognise_export(odoo_17_lines(), name="odoo17.xlsx", as_of=dt.date(2017, 2, 1),
                              dayfirst=False)
    found = documents(export)
    assert sum(row["Open Amount"] for row in found.values()) == 1300
    assert found["INV/2016/00001"]["Open Amount"] == 500  # blank Total: its buckets
    assert found["INV/2016/00002 due 2016-10-05"]["Open Amount"] == 200
    assert {row["Customer"] for row in found.values()} == {"partner_a"}
    grid = odoo_17_lines()
    grid[-1][8] = 1400  # "Total Aged Receivable" is checked against every entry
    with pytest.raises(DunningInputError, match="the total for Aged Receivable says 1,400.00"):
        recognise_export(grid, name="odoo17.xlsx", as_of=dt.date(2017, 2, 1), dayfirst=False)
    grid = odoo_17_lines()
    grid.insert(-1, ["partner_b", None, 50, 50, 50, 300, 150, 50, 650])  # folded: no entries
    grid[-1] = ["Total Aged Receivable", None, 150, 150, 150, 900, 450, 150, 1950]
    with pytest.raises(DunningInputError, match="partner_b says 650.00 but the rows above it"):
        recognise_export(grid, name="odoo17.xlsx", as_of=dt.date(2017, 2, 1), dayfirst=False)
