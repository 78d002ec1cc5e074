"""The Customers table's postal columns and channel (dunning.sheets.addresses)."""

import pandas as pd
import pytest

from dunning.core.errors import DunningInputError
from dunning.sheets.addresses import address_lines, addresses_frame


def test_street_lines_then_postcode_and_city_then_country():
    table = pd.DataFrame({"Customer": ["C1", "C2", ""], "Address": ["Main St 1\nFloor 2", None, ""],
                          "Postal Code": ["12345", None, None], "City": ["Berlin", None, None],
                          "Country": ["Germany", None, None], "Channel": ["Letter", "", None]})
    frame = addresses_frame(table)
    assert frame["customer"].tolist() == ["C1", "C2"]
    assert frame["address"].tolist() == [("Main St 1", "Floor 2", "12345 Berlin", "Germany"), ()]
    assert frame["channel"].tolist() == ["letter", "email"]


def test_a_table_without_the_columns_reads_as_email_without_addresses():
    frame = addresses_frame(pd.DataFrame({"Customer": ["C1"], "Contact Email": ["a@b.example"]}))
    assert frame.to_dict("records") == [{"customer": "C1", "address": (), "channel": "email"}]
    assert addresses_frame(None).empty


def test_an_unknown_channel_is_named_by_its_cell():
    with pytest.raises(DunningInputError) as raised:
        addresses_frame(pd.DataFrame({"Customer": ["C1", "C2"], "Channel": ["email", "fax"]}))
    [issue] = raised.value.issues
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("Customers", 3, "Channel", "fax")
    assert "expected email or letter" in issue.message


def test_an_address_cell_splits_on_line_breaks_and_semicolons():
    assert address_lines("12 Quay Street; Bristol BS1 4DJ\r\nUnited Kingdom") == (
        "12 Quay Street", "Bristol BS1 4DJ", "United Kingdom")
    assert address_lines("") == ()
