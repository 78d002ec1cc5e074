"""Building a clean ledger from DataFrames, CSV exports and xlwings-shaped rows."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from datasets import CASSANDRA_TEST, CASSANDRA_TRAIN, HIGHRADIUS, IBM, read_dataset
from dunning.core.errors import DunningInputError
from dunning.core.ledger import LEDGER_COLUMNS, build_ledger, open_balance, single_currency

HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid"]


def rows(*body):
    return [HEADER, *body]


def test_xlwings_rows_with_datetimes_serials_and_blanks():
    ledger = build_ledger(rows(
        ["INV-1", "ACME", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 31), 100.0, None],
        [42.0, "ACME", 45292.0, 45322.0, 50.0, 20.0],  # serials, number as invoice no
        ["CN-1", "ACME", dt.datetime(2024, 1, 5), None, -10.0, None],  # credit note, no due
    ))
    frame = ledger.frame
    assert list(frame.columns) == list(LEDGER_COLUMNS)
    assert frame["invoice"].tolist() == ["INV-1", "42", "CN-1"]
    assert frame["invoice_date"].dt.date.tolist() == [
        dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 5)]
    assert frame["due_date"].dt.date.tolist()[2] == dt.date(2024, 1, 5)
    assert frame["open_amount"].tolist() == [100.0, 30.0, -10.0]
    assert frame["row"].tolist() == [2, 3, 4]


def test_whole_column_padding_is_trimmed_and_costs_no_issues():
    body = [[f"INV-{i}", "C1", 45292.0, 45322.0, 10.0, None] for i in range(5000)]
    padded = rows(*body) + [[None] * 6 for _ in range(1_048_576 - 5001)]
    ledger = build_ledger(padded)
    assert len(ledger) == 5000
    assert ledger.issues == ()


def test_trailing_empty_strings_are_padding_too():
    table = rows(["A", "C1", "2024-01-01", "2024-01-31", "5", ""]) + [[""] * 6] * 10
    assert len(build_ledger(table)) == 1


def test_blank_rows_inside_are_skipped_and_reported():
    ledger = build_ledger(rows(
        ["A", "C1", "2024-01-01", "2024-01-31", 5, None],
        [None] * 6,
        [None] * 6,
        ["B", "C1", "2024-01-01", "2024-01-31", 5, None],
    ))
    assert len(ledger) == 2
    skipped = [issue for issue in ledger.issues if issue.severity == "skipped"]
    assert [str(issue) for issue in skipped] == [
        "Invoices row 3: rows 3 to 4 are blank and left out"]


def test_aliases_and_text_amounts():
    table = pd.DataFrame({
        "Invoice #": ["007", "008", "009"],
        "customerID": ["C1", "C1", "C2"],
        "posting_date": ["2024-01-01"] * 3,
        "due_in_date": ["2024-01-31"] * 3,
        "InvoiceAmount": ["1,234.50", "(100.00)", "$ 99"],
        "Currency": ["usd", "usd", "usd"],
        "Disputed": ["No", "Yes", ""],
    })
    frame = build_ledger(table).frame
    assert frame["invoice"].tolist() == ["007", "008", "009"]
    assert frame["amount"].tolist() == [1234.5, -100.0, 99.0]
    assert frame["disputed"].tolist() == [False, True, False]
    assert frame["currency"].tolist() == ["USD"] * 3


def test_explicit_mapping_for_unusual_headers():
    table = [["Ref", "Debitor", "Belegdatum", "Faellig", "Betrag"],
             ["R1", "K1", "01.02.2024", "02.03.2024", "1.234,50"]]
    mapping = {"invoice": "Ref", "customer": "Debitor", "invoice_date": "Belegdatum",
               "due_date": "Faellig", "amount": "Betrag"}
    frame = build_ledger(table, mapping=mapping, dayfirst=True, decimal=",").frame
    assert frame.loc[0, "due_date"] == pd.Timestamp("2024-03-02")
    assert frame.loc[0, "amount"] == 1234.5


def test_missing_column_names_what_is_expected():
    with pytest.raises(DunningInputError, match="no column for the due date.*Due Date"):
        build_ledger([["Invoice No", "Customer", "Invoice Date", "Amount"], ["A", "C", 1, 2]])


def test_bad_cells_are_all_named_by_sheet_row_and_column():
    with pytest.raises(DunningInputError) as caught:
        build_ledger(rows(
            ["A", "C1", "2024-01-01", "someday", 5, None],
            ["B", "C1", "2024-01-01", "2024-01-31", None, None],
            ["C", None, "2024-01-01", "2024-01-31", "ten", None],
        ))
    messages = [str(issue) for issue in caught.value.issues]
    assert any(m.startswith("Invoices!D2 (Due Date): expected a date") for m in messages)
    assert "Invoices!E3 (Amount): missing amount" in messages
    assert any(m.startswith("Invoices!E4 (Amount): expected an amount") for m in messages)
    assert "Invoices!B4 (Customer): missing customer" in messages


def test_due_before_invoice_date_is_a_warning():
    ledger = build_ledger(rows(["A", "C1", "2024-02-01", "2024-01-01", 5, None]))
    assert [str(i) for i in ledger.issues] == [
        "Invoices!D2 (Due Date): due date is before the invoice date"]


def test_invoice_due_date_missing_is_an_error_but_not_for_a_credit_note():
    with pytest.raises(DunningInputError, match="D2 .*missing due date"):
        build_ledger(rows(["A", "C1", "2024-02-01", None, 5, None]))
    assert len(build_ledger(rows(["CN", "C1", "2024-02-01", None, -5, None]))) == 1


def test_open_balance_as_of_a_past_date():
    table = [["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Settled Date"],
             ["A", "C", "2024-01-01", "2024-01-31", 100, "2024-02-15"],
             ["B", "C", "2024-03-01", "2024-03-31", 50, None]]
    frame = build_ledger(table).frame
    assert open_balance(frame, "2024-02-14").tolist() == [100.0, 0.0]
    assert open_balance(frame, "2024-02-15").tolist() == [0.0, 0.0]
    assert open_balance(frame, "2024-03-01").tolist() == [0.0, 50.0]


def test_several_currencies_must_be_chosen():
    table = [["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Currency"],
             ["A", "C", "2024-01-01", "2024-01-31", 100, "USD"],
             ["B", "C", "2024-01-01", "2024-01-31", 100, "CAD"]]
    frame = build_ledger(table).frame
    with pytest.raises(DunningInputError, match="several currencies"):
        single_currency(frame)
    assert single_currency(frame, "cad")["invoice"].tolist() == ["B"]


def test_a_currency_not_held_is_named_by_where_it_came_from_not_as_a_column():
    table = [["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Currency"],
             ["A", "C", "2024-01-01", "2024-01-31", 100, "USD"],
             ["B", "C", "2024-01-01", "2024-01-31", 100, "CAD"]]
    frame = build_ledger(table).frame
    with pytest.raises(DunningInputError) as raised:
        single_currency(frame, " eur", origin="--currency")
    assert str(raised.value.issues[0]) == (
        "--currency EUR: no invoices in EUR; the ledger holds CAD, USD")
    with pytest.raises(DunningInputError) as raised:
        single_currency(frame.assign(currency=""), "EUR")
    assert str(raised.value.issues[0]) == (
        "currency EUR: no invoices in EUR; the ledger names no currency")


def test_ibm_dataset_as_it_is():
    frame = build_ledger(read_dataset(IBM), sheet="ibm").frame
    assert len(frame) == 2466
    first = frame.iloc[0]
    assert first["invoice"] == "0000611365"  # zero-padded text kept
    assert first["customer"] == "0379-NEVHP"
    assert first["invoice_date"] == pd.Timestamp("2013-01-02")  # M/D/YYYY read month first
    assert first["settled_date"] == pd.Timestamp("2013-01-15")
    assert (frame["open_amount"] == 0).all()  # every invoice settled
    assert frame["disputed"].sum() == (read_dataset(IBM)["Disputed"] == "Yes").sum()
    late = (frame["settled_date"] - frame["due_date"]).dt.days.clip(lower=0)
    assert late.tolist() == read_dataset(IBM)["DaysLate"].astype(int).tolist()
    assert frame["billing"].tolist() == read_dataset(IBM)["PaperlessBill"].tolist()


def test_highradius_dataset_as_it_is():
    source = read_dataset(HIGHRADIUS)
    ledger = build_ledger(source, sheet="open_items")
    frame = ledger.frame
    assert len(frame) == len(source) == 9700
    assert frame["invoice"].iloc[0] == "1930571429"  # float text "1930571429.0" cleaned
    assert frame["customer"].iloc[0] == "0200706844"
    assert frame["customer_name"].iloc[0] == "WINC co"
    assert set(frame["currency"]) == {"USD", "CAD"}
    assert frame["amount"].sum() == pytest.approx(source["total_open_amount"].astype(float).sum())
    zeros = [i for i in ledger.issues if "leading zeros" in i.message]
    assert zeros and all(i.severity == "warning" for i in zeros)


@pytest.mark.parametrize("name", [CASSANDRA_TRAIN, CASSANDRA_TEST])
def test_cassandra_dataset_as_it_is(name):
    source = read_dataset(name)
    ledger = build_ledger(source, sheet=name)
    frame = ledger.frame
    assert len(frame) == len(source)
    assert frame["invoice"].iloc[0] == "row 2"  # no invoice numbers in this set
    assert frame["invoice_date"].iloc[0] == pd.Timestamp(
        pd.to_datetime(source["Invoice_Date"].iloc[0], format="%d-%b-%y"))
    assert np.allclose(frame["open_amount"], source["Outstanding"].astype(float))
    assert (frame["open_amount"] > 0).any()  # partly paid items are open
    assert any("no invoice-number column" in i.message for i in ledger.issues)


# Values no invoice can hold: refused naming the cell, never a crash or a wrapped date -------


def test_a_due_date_of_9999_is_an_error_in_every_form_xlwings_and_calamine_give():
    with pytest.raises(DunningInputError) as caught:
        build_ledger(rows(
            ["A", "C1", dt.datetime(2024, 1, 1), dt.datetime(9999, 12, 31), 5.0, None],
            ["B", "C1", dt.date(2024, 1, 1), dt.date(9999, 12, 31), 5.0, None],
            ["C", "C1", 45292.0, 2958465.0, 5.0, None],
            ["D", "C1", 45292.0, 45322.0, 5.0, None],
        ))
    messages = [str(issue) for issue in caught.value.issues]
    expected = "expected a date from 1900-03-01 to 2200-12-31: this one cannot be an invoice's"
    assert messages == [
        f"Invoices!D2 (Due Date): {expected}; correct the cell (found '9999-12-31')",
        f"Invoices!D3 (Due Date): {expected}; correct the cell (found '9999-12-31')",
        f"Invoices!D4 (Due Date): {expected}; correct the cell (found 2958465.0)",
    ]


def test_a_negative_due_date_in_a_csv_is_an_error_not_a_crash():
    table = pd.DataFrame({"Invoice No": ["A1", "A2"], "Customer": ["C1", "C1"],
                          "Invoice Date": ["2024-01-01", "2024-01-01"],
                          "Due Date": ["-5", "2024-01-31"], "Amount": ["10", "10"]})
    with pytest.raises(DunningInputError) as caught:
        build_ledger(table, sheet="export.csv")
    assert [str(issue) for issue in caught.value.issues] == [
        "export.csv!D2 (Due Date): expected a date (a date cell, an Excel serial number, or "
        "text such as 2024-03-31) (found '-5')"]


def test_dates_outside_the_range_are_errors_in_any_date_column():
    table = [["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Settled Date"],
             ["A", "C", "1899-12-31", "2024-01-31", 100, "2300-01-01"]]
    with pytest.raises(DunningInputError) as caught:
        build_ledger(table)
    assert [(i.column_letter, i.row) for i in caught.value.issues] == [("C", 2), ("F", 2)]
    assert all("1900-03-01 to 2200-12-31" in i.message for i in caught.value.issues)


def test_a_hold_until_of_9999_is_refused_as_a_date_not_as_an_amount():
    table = [["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Hold Until"],
             ["A", "C", "2024-01-01", "2024-01-31", 100, dt.date(9999, 12, 31)]]
    with pytest.raises(DunningInputError) as caught:
        build_ledger(table)
    assert [str(issue) for issue in caught.value.issues] == [
        "Invoices!F2 (Hold Until): expected a date from 1900-03-01 to 2200-12-31: this one "
        "cannot be an invoice's; correct the cell (found '9999-12-31')"]


def test_amounts_no_money_can_be_are_errors_naming_the_cell():
    huge = "9" * 400
    with pytest.raises(DunningInputError) as caught:
        build_ledger(rows(
            ["A", "C1", 45292.0, 45322.0, 1e308, None],
            ["B", "C1", 45292.0, 45322.0, huge, None],
            ["C", "C1", 45292.0, 45322.0, 100.0, float("inf")],
            ["D", "C1", 45292.0, 45322.0, "NaN", None],
            ["E", "C1", 45292.0, 45322.0, 100.0, 20.0],
        ))
    bound = ("expected an amount smaller than 1,000,000,000,000,000 (10^15) either way: this "
             "one cannot be an invoice's; correct the cell")
    assert [str(issue) for issue in caught.value.issues] == [
        f"Invoices!E2 (Amount): {bound} (found 1e+308)",
        f"Invoices!E3 (Amount): {bound} (found '99999999999999999999... (400 characters)')",
        "Invoices!E5 (Amount): expected an amount such as 1234.50, 1,234.50 or (100.00) "
        "(found 'NaN')",
        f"Invoices!F4 (Paid): {bound} (found inf)",
    ]


def test_the_largest_amount_allowed_totals_exactly():
    ledger = build_ledger(rows(["A", "C1", 45292.0, 45322.0, 999_999_999_999_999.0, None],
                               ["B", "C1", 45292.0, 45322.0, "-999,999,999,999,999.00", None]))
    assert ledger.frame["open_amount"].sum() == 0.0


def test_handed_columns_build_the_ledger_a_frame_builds_and_are_let_go():
    from dunning.core.ledger import HandedColumns

    frame = pd.DataFrame({
        "Invoice No": pd.array(["0001", "0002", ""], dtype=pd.StringDtype("pyarrow")),
        "Customer": pd.array(["007", "C2", ""], dtype=pd.StringDtype("pyarrow")),
        "Invoice Date": pd.array(["31/01/2024", "15/02/2024", ""],
                                 dtype=pd.StringDtype("pyarrow")),
        "Due Date": pd.array(["29/02/2024", "", ""], dtype=pd.StringDtype("pyarrow")),
        "Amount": pd.array(["1,234.50", "(10)", ""], dtype=pd.StringDtype("pyarrow")),
    })
    released = []
    handed = HandedColumns(list(frame.columns), [frame[c].array for c in frame.columns],
                           let_go=lambda: released.append(1))
    built = build_ledger(handed, sheet="x.csv")
    expected = build_ledger(frame, sheet="x.csv")
    pd.testing.assert_frame_equal(built.frame, expected.frame)
    assert [str(i) for i in built.issues] == [str(i) for i in expected.issues]
    assert built.frame["invoice"].tolist() == ["0001", "0002"]  # leading zeros kept
    assert len(released) == 5 and handed.handed() == ([], [])  # each column let go once read
    with pytest.raises(ValueError):
        HandedColumns(["A"], [])
