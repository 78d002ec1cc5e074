"""A1 references: letters and numbers both ways, areas, and growing validation ranges."""

from __future__ import annotations

import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple, get_column_letter

from dunning.io.xlsx.refs import (
    MAX_COL,
    MAX_ROW,
    Area,
    cell_name,
    col_name,
    col_number,
    grow_sqref,
    split_cell,
)


@pytest.mark.parametrize("number", [1, 2, 25, 26, 27, 52, 53, 702, 703, 16_383, MAX_COL])
def test_column_letters_agree_with_openpyxl(number):
    letters = col_name(number)
    assert letters == get_column_letter(number)
    assert col_number(letters) == column_index_from_string(letters) == number
    assert col_number(letters.lower()) == number


def test_the_last_cell_of_a_sheet():
    assert (MAX_ROW, MAX_COL) == (1_048_576, 16_384)
    assert col_name(MAX_COL) == "XFD"
    assert cell_name(MAX_ROW, MAX_COL) == "XFD1048576"
    assert split_cell("XFD1048576") == (MAX_ROW, MAX_COL)
    assert split_cell("$XFD$1048576") == (MAX_ROW, MAX_COL)


@pytest.mark.parametrize("ref", ["A1", "B7", "$B$7", "$C4", "D$9", "AA10", "zz300", "XFD1"])
def test_split_cell_agrees_with_openpyxl(ref):
    assert split_cell(ref) == coordinate_to_tuple(ref.replace("$", "").upper())


def test_cell_names_round_trip():
    for row, col in [(1, 1), (7, 2), (100, 27), (65_536, 256), (MAX_ROW, 703)]:
        assert split_cell(cell_name(row, col)) == (row, col)


@pytest.mark.parametrize(
    "ref", ["", "A", "7", "1A", "AAAA1", "A1:B2", "Sheet1!A1", " A1", "A1 ", "A-1", "$$A1", "A1.5"]
)
def test_bad_references_are_refused(ref):
    with pytest.raises(ValueError, match="not a cell reference"):
        split_cell(ref)


@pytest.mark.parametrize("ref", ["XFE1", "A1048577", "A0", "ZZZ1"])
def test_references_beyond_the_sheet_are_refused(ref):
    with pytest.raises(ValueError):
        split_cell(ref)


def test_areas_parse_normalise_and_print():
    assert Area.parse("A1:F20") == Area(1, 1, 20, 6)
    assert Area.parse("$B$2:$D$9") == Area(2, 2, 9, 4)
    assert Area.parse("F20:A1") == Area(1, 1, 20, 6)  # corners in any order
    assert Area.parse("C1:A3") == Area(1, 1, 3, 3)
    assert Area.parse("C4") == Area(4, 3, 4, 3)
    assert str(Area.parse("F20:A1")) == "A1:F20"
    assert str(Area.parse("C4:C4")) == "C4"  # a one-cell area prints as a cell
    assert str(Area(1, 1, MAX_ROW, MAX_COL)) == "A1:XFD1048576"
    for bad in ("A:A", "1:1", "A1:B2:C3", "Sheet1!A1:B2"):
        with pytest.raises(ValueError):
            Area.parse(bad)


def test_area_rows_union_and_overlap():
    table = Area.parse("B2:D5")
    assert table.with_rows(2, 9) == Area.parse("B2:D9")
    assert table.union(Area.parse("A7")) == Area.parse("A2:D7")
    assert table.union(Area.parse("C3")) == table
    assert table.intersects(Area.parse("D5:E6"))  # shares a corner
    assert table.intersects(Area.parse("A1:Z99"))  # contains it
    assert not table.intersects(Area.parse("E2:E5"))  # just right of it
    assert not table.intersects(Area.parse("B6:D6"))  # just below it
    assert not Area.parse("B6:D6").intersects(table)


def test_grow_sqref_extends_only_ranges_ending_on_the_last_row_within_the_columns():
    grown = grow_sqref(
        "A2:A5 B2:B5 H2:H5 C5 D3:D4 A2:G5", last_row=5, new_last_row=8, min_col=1, max_col=6
    )
    assert grown.split() == ["A2:A8", "B2:B8", "H2:H5", "C5:C8", "D3:D4", "A2:G5"]


def test_grow_sqref_keeps_what_is_not_a_plain_area():
    sqref = "A:A 2:2 Names B2:B5"
    grown = grow_sqref(sqref, last_row=5, new_last_row=6, min_col=1, max_col=3)
    assert grown == "A:A 2:2 Names B2:B6"
    assert grow_sqref("", last_row=5, new_last_row=6, min_col=1, max_col=3) == ""
