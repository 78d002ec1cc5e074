"""Issues located to the sheet, row and column, and the error that carries all of them."""

import dataclasses

import pytest
from openpyxl.utils import get_column_letter

from dunning.core.errors import PLACE, DunningInputError, Issue, TablePlace, column_letter, place_of


@pytest.mark.parametrize(("place", "location"), [
    ({}, ""),
    ({"sheet": "Invoices"}, "Invoices"),
    ({"row": 14}, "row 14"),
    ({"sheet": "Invoices", "row": 14}, "Invoices row 14"),
    ({"row": 14, "column_letter": "C"}, "C14"),
    ({"sheet": "Invoices", "row": 14, "column_letter": "C"}, "Invoices!C14"),
    ({"sheet": "Invoices", "row": 14, "column_letter": "C", "column": "Due Date"},
     "Invoices!C14 (Due Date)"),
    ({"sheet": "Customers", "row": 3, "column": "Opt Out"}, "Customers row 3 (Opt Out)"),
    ({"sheet": "Settings", "column": "Value"}, "Settings (Value)"),
    ({"column": "Amount"}, "column Amount"),
    ({"sheet": "bad.csv", "row": 2, "column_letter": "E", "column": "Amount"},
     "bad.csv!E2 (Amount)"),
])
def test_the_location_says_as_much_as_is_known(place, location):
    assert Issue("wrong", **place).location == location


def test_the_text_names_the_place_then_the_problem_then_the_value():
    issue = Issue("expected a date", sheet="Invoices", row=14, column="Due Date",
                  column_letter="C", value="next week")
    assert str(issue) == "Invoices!C14 (Due Date): expected a date (found 'next week')"
    assert str(Issue("the file is empty")) == "the file is empty"
    assert str(Issue("expected a number", value=0)) == "expected a number (found 0)"
    assert str(Issue("expected a number", row=2, value="")) == "row 2: expected a number " \
                                                                "(found '')"
    assert str(Issue("missing due date", row=3, value=None)) == "row 3: missing due date"


def test_an_issue_is_an_error_unless_told_and_cannot_be_changed():
    issue = Issue("x")
    assert issue.severity == "error"
    assert Issue("x", severity="warning").severity == "warning"
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.row = 3  # type: ignore[misc]
    assert Issue("x", row=2) == Issue("x", row=2) and len({Issue("x"), Issue("x")}) == 1


def test_the_error_carries_every_issue_and_shows_each_on_its_own_line():
    issues = [Issue("expected an amount", sheet="Invoices", row=2, column_letter="E",
                    column="Amount", value="ten"),
              Issue("missing due date", sheet="Invoices", row=3, column_letter="D",
                    column="Due Date")]
    error = DunningInputError(issues)
    assert isinstance(error, ValueError)
    assert error.issues == issues
    assert str(error).splitlines() == [
        "Invoices!E2 (Amount): expected an amount (found 'ten')",
        "Invoices!D3 (Due Date): missing due date"]
    issues.append(Issue("added later"))
    assert len(error.issues) == 2  # the error keeps its own list


def test_a_long_list_is_cut_with_the_count_of_the_rest():
    issues = [Issue(f"problem {number}", row=number) for number in range(1, 26)]
    error = DunningInputError(issues)
    lines = str(error).splitlines()
    assert len(lines) == 21 and lines[19] == "row 20: problem 20"
    assert lines[-1] == "... and 5 more"
    assert len(error.issues) == 25  # all of them are still there to print or count
    assert str(DunningInputError(issues[:20])).splitlines()[-1] == "row 20: problem 20"
    assert str(DunningInputError(issues[:3], limit=1)).splitlines() == [
        "row 1: problem 1", "... and 2 more"]


def test_an_error_without_issues_still_says_something():
    error = DunningInputError([])
    assert str(error) == "invalid input" and error.issues == []


def test_raised_and_caught_as_a_value_error():
    with pytest.raises(ValueError, match=r"^Settings \(Value\): setting 'Aging Basis'"):
        raise DunningInputError([Issue("setting 'Aging Basis': expected 'due' or 'invoice'",
                                       sheet="Settings", column="Value")])


@pytest.mark.parametrize(("index", "letter"), [
    (0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA"),
    (16383, "XFD"),  # Excel's last column
])
def test_column_letters(index, letter):
    assert column_letter(index) == letter


def test_column_letters_agree_with_openpyxl_for_every_excel_column():
    assert all(column_letter(index) == get_column_letter(index + 1) for index in range(16384))


@pytest.mark.parametrize("first_column", [1, 2, 3, 26, 27, 700])
def test_a_tables_letters_count_from_its_first_sheet_column(first_column):
    for index in (0, 1, 4, 25, 26, 700):
        assert column_letter(index, first_column) == get_column_letter(first_column + index)


def test_a_table_place_names_the_sheet_row_and_letter_of_a_body_cell():
    place = TablePlace("Clients", header_row=4, first_column=3)  # a table at C4
    assert (place.row(0), place.letter(0), place.letter(3)) == (5, "C", "F")
    assert TablePlace("Customers").letter(3) is None  # a frame without its place: no letter
    frame = type("Frame", (), {"attrs": {PLACE: place}})()
    assert place_of(frame, "Customers") == place
    assert place_of(None, "Customers") == TablePlace("Customers")


def test_a_table_place_makes_the_issue_for_a_body_cell():
    place = TablePlace("Clients", header_row=4, first_column=3)  # a table at C4
    issue = place.cell_issue("expected a date", position=2, header="Hold Until",
                             headers=["Customer", "Contact Email", "Hold Until"], value="soon")
    assert str(issue).startswith("Clients!E7 (Hold Until)")
    assert (issue.row, issue.column_letter, issue.value) == (7, "E", "soon")
