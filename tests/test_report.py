"""Aging and KPI reports: text for the terminal, and rows for the Aging and KPIs sheets."""

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from dunning.core.aging import bucket_labels
from dunning.core.kpis import NotDefined
from dunning.core.ledger import build_ledger
from dunning.core.ledger_kpis import all_kpis
from dunning.io.workbook import FileWorkbook
from dunning.render.report import (
    KPI_LABELS,
    KPI_UNITS,
    aging_report,
    aging_rows,
    kpi_report,
    kpi_rows,
)

AS_OF = dt.date(2024, 3, 31)
HEADER = ["Invoice No", "Customer", "Customer Name", "Invoice Date", "Due Date", "Amount",
          "Paid", "Currency", "Settled Date"]
ROWS = [
    HEADER,
    ["I1", "A", "Acme Ltd", dt.datetime(2024, 1, 10), dt.datetime(2024, 2, 9), 1000.0, 1000.0,
     "EUR", dt.datetime(2024, 2, 19)],
    ["I2", "A", "Acme Ltd", dt.datetime(2024, 2, 15), dt.datetime(2024, 3, 16), 1234.5, None,
     "EUR", None],  # 15 days past due
    ["I3", "B", "Beta BV", dt.datetime(2024, 3, 20), dt.datetime(2024, 4, 19), 300.0, None,
     "EUR", None],  # current
    ["C1", "B", "Beta BV", dt.datetime(2024, 3, 25), dt.datetime(2024, 3, 25), -50.0, None,
     "EUR", None],  # an unapplied credit note, 6 days old
    ["N1", "B", "Beta BV", dt.datetime(2024, 3, 26), dt.datetime(2024, 3, 26), -0.004, None,
     "EUR", None],  # a rounding residue: never "-0.00"
    ["U1", "C", "Gamma Inc", dt.datetime(2023, 10, 1), dt.datetime(2023, 10, 31), 70.0, None,
     "USD", None],  # 152 days past due
]


@pytest.fixture(scope="module")
def ledger():
    return build_ledger(ROWS).frame


@pytest.fixture(scope="module")
def euros(ledger):
    return ledger[ledger["currency"] == "EUR"]


def line(text, start):
    return next(row for row in text.splitlines() if row.startswith(start)).split()


def test_aging_report_shows_names_counts_and_amounts_to_the_cent(euros):
    text = aging_report(euros, AS_OF)
    lines = text.splitlines()
    assert lines[0] == "Aging by customer as of 2024-03-31 (days past due), amounts in EUR"
    assert lines[1].split() == ["Customer", "Name", "Items", *" ".join(bucket_labels()).split(),
                                "Total"]
    assert line(text, "A ") == ["A", "Acme", "Ltd", "1", "0.00", "1,234.50", "0.00", "0.00",
                                "0.00", "0.00", "1,234.50"]
    assert line(text, "B ") == ["B", "Beta", "BV", "2", "300.00", "-50.00", "0.00", "0.00",
                                "0.00", "0.00", "250.00"]  # the credit note is 6 days old
    assert line(text, "Total") == ["Total", "3", "300.00", "1,184.50", "0.00", "0.00", "0.00",
                                   "0.00", "1,484.50"]
    assert "-0.00" not in text


def test_a_credit_balance_carries_its_minus(euros):
    credit_only = euros[euros["invoice"] == "C1"]
    assert line(aging_report(credit_only, AS_OF), "B ")[-1] == "-50.00"


def test_names_are_left_out_when_the_source_has_none():
    frame = build_ledger([["Customer", "Invoice Date", "Due Date", "Amount"],
                          ["A", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 31), 5.0]]).frame
    text = aging_report(frame, AS_OF)
    assert text.splitlines()[0] == "Aging by customer as of 2024-03-31 (days past due)"  # no code
    assert text.splitlines()[1].split()[:2] == ["Customer", "Items"]
    assert line(text, "A ") == ["A", "1", "0.00", "0.00", "5.00", "0.00", "0.00", "0.00", "5.00"]


def test_aging_report_follows_the_basis_and_the_buckets(euros):
    text = aging_report(euros, AS_OF, edges=(0, 15), basis="invoice")
    assert text.splitlines()[0] == ("Aging by customer as of 2024-03-31 (days since invoice "
                                    "date), amounts in EUR")
    assert text.splitlines()[1].split() == ["Customer", "Name", "Items", "Current", "1-15",
                                            "Over", "15", "Total"]
    assert line(text, "A ")[-2:] == ["1,234.50", "1,234.50"]  # I2 is 45 days old


def test_kpi_report_is_one_line_per_kpi_with_its_unit(euros):
    text = kpi_report(euros, AS_OF, days=90)
    lines = text.splitlines()
    assert lines[0] == ("Receivables KPIs as of 2024-03-31 (period: the 90 days to that date), "
                        "amounts in EUR")
    values = all_kpis(euros, AS_OF, days=90)
    assert len(lines) == 1 + len(values)
    assert set(values) == set(KPI_LABELS) == set(KPI_UNITS)
    shown = {KPI_LABELS[name].strip(): row for name, row in zip(values, lines[1:], strict=True)}
    assert shown["Open receivables"].endswith("  1,484.50")
    assert shown["of which past due"].endswith("  1,184.50")
    assert shown["Open items"].endswith("  3")
    assert shown["Average days to pay"].endswith("  40.0 days")  # I1: 10 Jan to 19 Feb
    assert shown["Past due"].endswith("  79.8%")  # 1,184.50 of 1,484.50
    assert shown["Receivables turnover"].endswith(" times")
    assert shown["Recovery cost ratio"].endswith("  not defined: no collection costs recorded")
    assert all(row.startswith("  ") for row in lines[1:])


def test_kpi_report_counts_the_period_it_is_given(euros):
    year = kpi_report(euros, AS_OF)
    assert "(period: the 365 days to that date)" in year.splitlines()[0]
    assert line(year, "  Invoices settled in the period")[-1] == "1"
    assert line(kpi_report(euros, AS_OF, days=30), "  Invoices settled in the period")[-1] == "0"


def test_aging_rows_are_one_block_per_currency_in_code_order(ledger):
    rows = aging_rows(ledger, AS_OF)
    header = ["Customer", "Name", "Items", *bucket_labels(), "Total"]
    assert rows[0] == ["Aging by customer as of 2024-03-31 (days past due)"]
    assert rows[1:4] == [[], ["Currency: EUR"], header]
    assert rows[4] == ["A", "Acme Ltd", 1, 0.0, 1234.5, 0.0, 0.0, 0.0, 0.0, 1234.5]
    assert rows[5] == ["B", "Beta BV", 2, 300.0, -50.0, 0.0, 0.0, 0.0, 0.0, 250.0]
    assert rows[6] == ["Total", "", 3, 300.0, 1184.5, 0.0, 0.0, 0.0, 0.0, 1484.5]
    assert rows[7:10] == [[], ["Currency: USD"], header]
    assert rows[10] == ["C", "Gamma Inc", 1, 0.0, 0.0, 0.0, 0.0, 0.0, 70.0, 70.0]
    assert rows[11][0] == "Total" and len(rows) == 12
    assert all(type(cell) is int for cell in (rows[4][2], rows[6][2]))
    assert all(type(cell) is float for row in rows[4:7] for cell in row[3:])


def test_aging_rows_without_currency_codes_are_one_block_of_amounts():
    frame = build_ledger([["Customer", "Invoice Date", "Due Date", "Amount"],
                          ["A", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 31), 5.0]]).frame
    rows = aging_rows(frame, AS_OF, edges=(0, 30), basis="invoice")
    assert rows[0] == ["Aging by customer as of 2024-03-31 (days since invoice date)"]
    assert rows[1:4] == [[], ["Amounts"], ["Customer", "Name", "Items", "Current", "1-30",
                                            "Over 30", "Total"]]
    assert rows[4] == ["A", "A", 1, 0.0, 0.0, 5.0, 5.0]


def test_kpi_rows_give_numbers_units_and_what_is_not_defined(ledger, euros):
    rows = kpi_rows(ledger, AS_OF, days=90)
    assert rows[0] == ["Receivables KPIs as of 2024-03-31 (period: the 90 days to that date)"]
    assert rows[1:4] == [[], ["Currency: EUR"], ["KPI", "Value", "Unit"]]
    values = all_kpis(euros, AS_OF, days=90)
    eur = rows[4:4 + len(values)]
    assert [row[0] for row in eur] == [KPI_LABELS[name].strip() for name in values]
    assert [row[2] for row in eur] == [KPI_UNITS[name] for name in values]
    by_label = {row[0]: row[1] for row in eur}
    assert by_label["of which current"] == 300.0
    assert by_label["DSO"] == round(float(values["dso"]), 4)
    assert by_label["Recovery cost ratio"] == "not defined: no collection costs recorded"
    usd = rows[4 + len(values):]
    assert usd[:3] == [[], ["Currency: USD"], ["KPI", "Value", "Unit"]]
    assert {row[0]: row[1] for row in usd[3:]}["DSO"] == str(
        NotDefined("no credit sales in the period"))


def test_the_rows_go_onto_a_sheet_and_read_back_as_written(book, ledger):
    workbook = FileWorkbook(book)
    aging, kpis = aging_rows(ledger, AS_OF), kpi_rows(ledger, AS_OF, days=90)
    workbook.replace_sheet("Aging", aging)
    workbook.replace_sheet("KPIs", kpis)
    workbook.save()
    reader = CalamineWorkbook.from_path(str(book))

    def back(rows):
        width = max(len(row) for row in rows)
        return [[("" if cell is None else cell) for cell in row] + [""] * (width - len(row))
                for row in rows]

    def read(name):
        return reader.get_sheet_by_name(name).to_python(skip_empty_area=False)

    assert read("Aging") == back([[float(c) if type(c) is int else c for c in row]
                                  for row in aging])
    assert read("KPIs") == back([[float(c) if type(c) is int else c for c in row]
                                 for row in kpis])


def test_the_aging_report_is_laid_out_as_pandas_to_string_laid_it_out():
    """The table is aligned without DataFrame.to_string (slow for 2,000 customers), the same
    text: ids left, cells right, tabs and line breaks in names shown escaped."""
    import pandas as pd

    from dunning.render.report import _text_table

    index = ["A", "Beta\tBV", "C\n1", "Total"]
    columns = [("Name", ["Acme Ltd", "x\ry", "", ""]), ("Items", ["1", "22", "3", "26"]),
               ("Current", ["1,234.50", "-0.01", "0.00", "1,234.49"])]
    frame = pd.DataFrame({name: cells for name, cells in columns}, index=index, dtype=object)
    assert _text_table(index, columns) == frame.to_string()


def test_the_titles_name_the_one_currency_and_only_one(ledger, euros):
    """A ledger of one currency (as --currency leaves it; a blank code is that currency)
    says it; a ledger without codes says nothing of one."""
    dollars = ledger[ledger["currency"] == "USD"]
    assert aging_report(dollars, AS_OF).splitlines()[0].endswith("), amounts in USD")
    assert kpi_report(dollars, AS_OF).splitlines()[0].endswith("), amounts in USD")
    blank_one = euros.assign(currency=["EUR", "", "EUR", "", ""])
    assert aging_report(blank_one, AS_OF).splitlines()[0].endswith(", amounts in EUR")
    no_codes = euros.assign(currency="")
    assert aging_report(no_codes, AS_OF).splitlines()[0].endswith("(days past due)")
    assert kpi_report(no_codes, AS_OF).splitlines()[0].endswith("days to that date)")


def test_the_customer_column_has_its_header_and_the_layout_is_otherwise_pandas():
    from dunning.render.report import _text_table

    columns = [("Items", ["1", "22"]), ("Total", ["5.00", "1,234.50"])]
    plain = _text_table(["A", "Total"], columns).splitlines()
    headed = _text_table(["A", "Total"], columns, index_header="Customer").splitlines()
    assert headed[0] == "Customer" + plain[0][len("Total"):]
    assert [row[len("Customer"):] for row in headed[1:]] == [row[len("Total"):]
                                                             for row in plain[1:]]
    long_ids = _text_table(["CUSTOMER-0001"], [("Items", ["1"])], index_header="Customer")
    assert long_ids.splitlines() == ["Customer      Items", "CUSTOMER-0001     1"]
