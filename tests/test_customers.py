"""The Customers table read into typed values: who to write to, and who must not be written to."""

import numpy as np
import pandas as pd
import pytest

from dunning.core.errors import DunningInputError
from dunning.demo import sample_customers
from dunning.io.client_workbook import build_workbook
from dunning.io.workbook import FileWorkbook
from dunning.sheets.customers import CUSTOMER_HEADERS, CUSTOMERS_TABLE, customers_frame

COLUMNS = list(CUSTOMER_HEADERS.values())


def test_the_sample_workbooks_table_reads_as_the_sample_text_does(book):
    with FileWorkbook(book) as workbook:
        from_cells = customers_frame(workbook.table(CUSTOMERS_TABLE).frame())
    from_text = customers_frame(sample_customers())
    pd.testing.assert_frame_equal(from_cells, from_text, check_dtype=False)
    assert list(from_cells.columns) == COLUMNS and len(from_cells) == 10


def test_flags_are_booleans_and_numbers_are_floats(book):
    with FileWorkbook(book) as workbook:
        frame = customers_frame(workbook.table(CUSTOMERS_TABLE).frame()).set_index("customer")
    assert frame["opt_out"].dtype == bool and frame["do_not_contact"].dtype == bool
    assert frame.index[frame["opt_out"]].tolist() == ["HPC08"]
    assert frame.index[frame["do_not_contact"]].tolist() == ["GPO07"]
    assert frame.loc["ALP01", "credit_limit"] == 40000.0
    assert frame.loc["JOI10", "terms_days"] == 60.0
    assert frame.loc["CAS03", "email"] == "a.roux@example.com"
    assert frame.loc["DIJ04", "language"] == "nl"


def test_values_as_excel_cells_hold_them():
    table = pd.DataFrame({
        "Customer": [" C1 ", 1001.0, "C3"],
        "Contact Email": ["a@example.com", None, ""],
        "Language": ["DE", None, "Fr"],
        "Opt Out": [True, 0.0, "yes"],
        "Do Not Contact": [None, "No", 1.0],
        "Credit Limit": ["1,234.50", 5000.0, None],
        "Terms Days": [30.0, "14", np.nan],
    }, dtype=object)
    frame = customers_frame(table)
    assert frame["customer"].tolist() == ["C1", "1001", "C3"]  # an id typed as a number
    assert frame["email"].tolist() == ["a@example.com", "", ""]
    assert frame["language"].tolist() == ["de", "", "fr"]
    assert frame["opt_out"].tolist() == [True, False, True]
    assert frame["do_not_contact"].tolist() == [False, False, True]  # blank: contact allowed
    assert frame["credit_limit"].tolist()[:2] == [1234.5, 5000.0]
    assert np.isnan(frame["credit_limit"].iloc[2])
    assert frame["terms_days"].tolist()[:2] == [30.0, 14.0]


def test_optional_columns_may_be_left_out():
    frame = customers_frame(pd.DataFrame({"Customer": ["C1"], "Contact Email": ["a@x.example"]}))
    assert list(frame.columns) == COLUMNS
    row = frame.iloc[0]
    assert (row["name"], row["time_zone"], row["opt_out"], row["do_not_contact"]) == (
        "", "", False, False)
    assert np.isnan(row["credit_limit"]) and np.isnan(row["terms_days"])


def test_rows_without_a_customer_are_left_out():
    frame = customers_frame(pd.DataFrame({"Customer": ["", "C2", None, "  "],
                                          "Contact Email": ["lost@x.example", "b@x.example",
                                                            "", ""]}))
    assert frame["customer"].tolist() == ["C2"]
    assert frame.index.tolist() == [0]


def test_no_table_or_the_templates_empty_one_is_no_customers(tmp_path):
    assert customers_frame(None).empty and list(customers_frame(None).columns) == COLUMNS
    empty = build_workbook(tmp_path / "Empty.xlsx", client="New")
    with FileWorkbook(empty) as workbook:
        table = workbook.table(CUSTOMERS_TABLE).frame()
    assert len(table) == 1  # the template's one blank row
    assert customers_frame(table).empty


def test_the_two_columns_a_reminder_needs_must_be_there():
    with pytest.raises(DunningInputError) as caught:
        customers_frame(pd.DataFrame({"Name": ["Acme"]}))
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row) == ("Customers", 1)
    assert issue.message == "the Customers table lacks the columns Customer, Contact Email"
    with pytest.raises(DunningInputError, match="lacks the columns Contact Email$"):
        customers_frame(pd.DataFrame({"Customer": ["C1"]}))


def test_every_bad_flag_and_number_is_named_by_row_column_and_value():
    table = pd.DataFrame({"Customer": ["C1", "C2", "C3"],
                          "Contact Email": ["a@x.example", "b@x.example", "c@x.example"],
                          "Opt Out": ["No", "maybe", "Yes"],
                          "Do Not Contact": ["perhaps", "No", "No"],
                          "Credit Limit": ["lots", 10.0, 20.0],
                          "Terms Days": [30.0, 30.0, "30 days"]})
    with pytest.raises(DunningInputError) as caught:
        customers_frame(table)
    found = [(issue.row, issue.column, issue.value, issue.message)
             for issue in caught.value.issues]
    assert found == [(3, "Opt Out", "maybe", "expected Yes or No"),
                     (2, "Do Not Contact", "perhaps", "expected Yes or No"),
                     (2, "Credit Limit", "lots", "expected a number"),
                     (4, "Terms Days", "30 days", "expected a number")]
    assert all(issue.sheet == "Customers" for issue in caught.value.issues)
    assert str(caught.value.issues[0]) == "Customers row 3 (Opt Out): expected Yes or No " \
                                          "(found 'maybe')"


def test_billing_cc_hold_and_country_columns_are_read_and_checked():
    table = pd.DataFrame({"Customer": ["A", "B"], "Contact Email": ["a@a.example", "b@b.example"],
                          "Billing Email": ["bill@a.example", None],
                          "CC Email": ["x@a.example; y@a.example", None],
                          "Hold Until": ["2026-12-01", None], "Hold Reason": ["audit", None],
                          "Country": ["fr", None]})
    frame = customers_frame(table)
    assert frame.loc[0, "billing_email"] == "bill@a.example"
    assert frame.loc[0, "country"] == "FR" and frame.loc[1, "country"] == ""
    assert pd.Timestamp(frame.loc[0, "hold_until"]) == pd.Timestamp("2026-12-01")
    named = customers_frame(table.assign(Country=["France", "United Kingdom"]))
    assert named["country"].tolist() == ["FR", "GB"]  # the address's country name works too
    bad = table.assign(Country=["Narnia", "XX"], **{"Hold Until": ["soon", None]})
    with pytest.raises(DunningInputError) as caught:
        customers_frame(bad)
    assert sorted((issue.row, issue.column) for issue in caught.value.issues) == [
        (2, "Country"), (2, "Hold Until"), (3, "Country")]
