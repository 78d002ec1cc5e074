"""The worksheet functions' arguments, converted one by one as each xlwings runtime passes them.

tests/test_functions.py calls the functions themselves; here each conversion is taken
alone: ranges as lists of rows (tuples from COM), dates as datetimes or serial numbers,
blanks as None, whole-column references, error cells, and the as-of date with the
`today` its caller reads.
"""

import datetime as dt

import pandas as pd
import pytest

from dunning.core.errors import DunningInputError
from dunning.excel import arguments as cells
from dunning.excel.arguments import CellError
from dunning.sheets.settings import Settings
from test_functions import (
    EXCEL_ROWS,
    HAND_AS_OF,
    HAND_HEADER,
    HAND_ROWS,
    as_com,
    com_error,
    com_time,
    padded,
    serial,
)

TODAY = dt.date(2030, 1, 2)  # what the caller's clock says; never the test machine's
MIDNIGHT = pd.Timestamp(2024, 3, 31)


# ------------------------------------------------------------------ ranges of rows


def test_rows_of_plain_values_come_back_as_given():
    rows = cells.table_rows(HAND_ROWS)
    assert rows == HAND_ROWS
    assert all(converted is given for converted, given in zip(rows, HAND_ROWS, strict=True))


def test_a_whole_column_reference_is_trimmed_to_its_last_filled_row():
    rows = [HAND_HEADER, HAND_ROWS[1], [None] * len(HAND_HEADER), HAND_ROWS[2]]
    trimmed = cells.table_rows(padded(rows))
    assert len(padded(rows)) == EXCEL_ROWS
    assert trimmed == rows  # the blank row between two invoices stays


def test_com_rows_arrive_as_tuples_with_zone_stamped_dates():
    trimmed = cells.table_rows(tuple(padded(list(as_com(HAND_ROWS)))))
    assert len(trimmed) == len(HAND_ROWS)
    assert [list(row) for row in trimmed] == HAND_ROWS
    dates = [row[2] for row in trimmed[1:]]
    assert all(type(day) is dt.datetime and day.tzinfo is None for day in dates)


def test_error_cells_are_each_named_by_cell_and_header():
    rows = [["Customer", "Due Date", "Amount"],
            ["A", "#N/A", 10.0],
            ["B", dt.datetime(2024, 1, 31), com_error("#VALUE!")],
            ["#REF!", dt.datetime(2024, 1, 31), 5.0]]
    with pytest.raises(DunningInputError) as caught:
        cells.table_rows(rows)
    assert [str(issue) for issue in caught.value.issues] == [
        "B2 (Due Date): the cell holds the error #N/A; correct it or clear it",
        "C3 (Amount): the cell holds the error #VALUE!; correct it or clear it",
        "A4 (Customer): the cell holds the error #REF!; correct it or clear it"]


def test_an_error_in_the_header_row_is_named_by_its_cell_alone():
    with pytest.raises(DunningInputError) as caught:
        cells.table_rows([["Customer", "#NAME?"], ["A", 1.0]])
    [issue] = caught.value.issues
    assert (issue.row, issue.column_letter, issue.column) == (1, "B", None)


@pytest.mark.parametrize(("value", "said"), [
    (None, "invoices: the range is empty"),
    ([], "invoices: the range is empty"),
    ((), "invoices: the range is empty"),
    (42.0, "invoices: expected a table with its header row"),
    (["Customer", "Amount"], "invoices: expected a table with its header row"),  # one row
])
def test_what_is_not_a_table_is_refused(value, said):
    with pytest.raises(CellError, match=f"^{said}"):
        cells.table_rows(value)


# ------------------------------------------------------------------ single cells


def test_plain_cell_undoes_what_com_does_to_values():
    assert cells.plain_cell(com_time(dt.datetime(2026, 6, 30))) == dt.datetime(2026, 6, 30)
    assert type(cells.plain_cell(com_time(dt.datetime(2026, 6, 30)))) is dt.datetime
    plus_two = dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert cells.plain_cell(plus_two) == dt.datetime(2026, 1, 1, 9, 30)  # the time shown
    for code, text in cells.XL_ERROR_CODES.items():
        assert cells.plain_cell(cells.COM_ERROR_BASE + code) == text
    assert cells.plain_cell(5) == 5 and cells.plain_cell(True) is True
    assert cells.plain_cell(None) is None and cells.plain_cell("x") == "x"


def test_single_takes_a_value_or_a_one_cell_range():
    assert cells.single(5.0, "x") == 5.0
    assert cells.single([[5.0]], "x") == 5.0
    assert cells.single(((5.0,),), "x") == 5.0
    assert cells.single([5.0], "x") == 5.0
    assert cells.single([[com_error("#N/A")]], "x") == "#N/A"
    with pytest.raises(CellError, match="^days: expected one cell, got a range of 3 cells$"):
        cells.single([[1.0, 2.0, 3.0]], "days")


# ------------------------------------------------------------------ the as-of date


def test_as_of_date_needs_the_callers_today():
    with pytest.raises(TypeError, match="today"):
        cells.as_of_date(None)  # type: ignore[call-arg]


@pytest.mark.parametrize("blank", [None, "", "   ", [[None]], [[""]]])
def test_a_blank_as_of_date_is_the_default_else_today(blank):
    assert cells.as_of_date(blank, today=TODAY) == pd.Timestamp(TODAY)
    assert cells.as_of_date(blank, today=TODAY, default=dt.date(2025, 5, 5)) == pd.Timestamp(
        2025, 5, 5)


@pytest.mark.parametrize("value", [
    serial(MIDNIGHT),  # 45382.0, as TODAY() or a computed date arrives
    serial(MIDNIGHT) + 0.75,  # six in the evening
    dt.datetime(2024, 3, 31, 17, 30),
    com_time(dt.datetime(2024, 3, 31)),
    dt.date(2024, 3, 31),
    pd.Timestamp("2024-03-31 08:00"),
    "2024-03-31",
    [[dt.datetime(2024, 3, 31)]],
])
def test_a_given_as_of_date_is_that_day_at_midnight(value):
    assert cells.as_of_date(value, today=TODAY) == MIDNIGHT


@pytest.mark.parametrize(("value", "said"), [
    ("#N/A", "as_of: the cell holds the error #N/A; correct it or clear it"),
    (com_error("#DIV/0!"), "as_of: the cell holds the error #DIV/0!; correct it or clear it"),
    (True, "as_of: expected a date (a date cell, a serial number such as 45382, or text such "
           "as 2024-03-31), found True"),
    ("soon", "as_of: expected a date (a date cell, a serial number such as 45382, or text such "
             "as 2024-03-31), found 'soon'"),
    ([[HAND_AS_OF], [HAND_AS_OF]], "as_of: expected one cell, got a range of 2 cells"),
])
def test_a_bad_as_of_date_is_named(value, said):
    with pytest.raises(CellError) as caught:
        cells.as_of_date(value, today=TODAY)
    assert str(caught.value) == said


def test_a_required_date_has_no_default():
    with pytest.raises(CellError, match="^start: the cell is empty; expected a date"):
        cells.required_date(None, "start")
    assert cells.required_date(serial(MIDNIGHT), "start") == MIDNIGHT


def test_look_back_is_the_days_up_to_the_as_of_date():
    assert cells.look_back(serial(MIDNIGHT), 30.0, today=TODAY) == (
        pd.Timestamp(2024, 3, 1), MIDNIGHT)
    start, end = cells.look_back(None, None, today=TODAY)
    assert end == pd.Timestamp(TODAY) and (end - start).days == 365
    with pytest.raises(CellError, match="^days: expected a whole number"):
        cells.look_back(None, 7.5, today=TODAY)


# ------------------------------------------------------------------ other scalars


def test_numbers_from_cells_or_text():
    assert cells.number_value(1234.5, "x") == 1234.5
    assert cells.number_value("1,234.50", "x") == 1234.5
    assert cells.number_value([[None]], "x", default=90) == 90.0
    with pytest.raises(CellError, match="^x: the cell holds the error #NUM!"):
        cells.number_value(com_error("#NUM!"), "x")
    assert cells.whole_number(None, "days", 365) == 365
    assert cells.whole_number(30.0, "days", 365) == 30
    with pytest.raises(CellError, match="^months: expected 2 or more, found 1$"):
        cells.whole_number(1.0, "months", 12, minimum=2)


@pytest.mark.parametrize(("value", "expected"), [
    (None, True), ("", True), (True, True), (False, False), (1.0, True), (0.0, False),
    ("Yes", True), ("no", False), ("FALSE", False), ([["TRUE"]], True),
])
def test_flags(value, expected):
    assert cells.flag(value, "by_customer", default=True) is expected


def test_a_bad_flag_is_named():
    with pytest.raises(CellError, match="^by_customer: expected TRUE or FALSE, found 'maybe'$"):
        cells.flag("maybe", "by_customer", default=False)


def test_optional_text_such_as_an_id_typed_as_a_number():
    assert cells.optional_text(1001.0, "customer") == "1001"
    assert cells.optional_text(10.5, "customer") == "10.5"
    assert cells.optional_text(" eur ", "currency") == "eur"
    assert cells.optional_text([[None]], "currency") is None
    with pytest.raises(CellError, match="^currency: the cell holds the error #N/A"):
        cells.optional_text(com_error("#N/A"), "currency")


def test_numbers_in_order_drop_trailing_blanks_but_not_inner_ones():
    assert cells.numbers_in_order([[4000.0], ["3,500"], [None], [None]], "sales") == [4000.0,
                                                                                     3500.0]
    assert cells.numbers_in_order(((1.0, 2.0),), "sales") == [1.0, 2.0]
    with pytest.raises(CellError, match="^sales: value 2 is empty"):
        cells.numbers_in_order([[1.0], [None], [3.0]], "sales")
    with pytest.raises(CellError, match="^sales: the range is empty"):
        cells.numbers_in_order([[None], [""]], "sales")
    assert cells.number_or_numbers(None, "days", 30.0) == 30.0
    assert cells.number_or_numbers([[31.0], [28.0]], "days", 30.0) == [31.0, 28.0]


def test_a_cell_or_range_as_a_grid_and_back_in_its_shape():
    assert cells.grid(5.0) == [[5.0]]
    assert cells.grid([1.0, 2.0]) == [[1.0, 2.0]]  # one row passed flat
    assert cells.grid(((com_error("#N/A"),), (2.0,))) == [["#N/A"], [2.0]]
    assert cells.shaped([7], [[5.0]]) == 7
    assert cells.shaped([1, 2, 3, 4], [[0, 0], [0, 0]]) == [[1, 2], [3, 4]]


# ------------------------------------------------------------------ workbook tables


def test_the_settings_table_with_or_without_its_header_row():
    assert cells.settings_from_table(None) == Settings()
    with_header = [["Setting", "Value"], ["As Of Date", serial(MIDNIGHT)],
                   ["Aging Basis", "invoice"], ["Bucket 1 Days", 15.0], [None, None]]
    expected = Settings(as_of=dt.date(2024, 3, 31), aging_basis="invoice", bucket_edges=(0, 15))
    assert cells.settings_from_table(padded(with_header, 2000)) == expected
    assert cells.settings_from_table(with_header[1:]) == expected
    with pytest.raises(CellError, match="^settings: expected the Settings table"):
        cells.settings_from_table([["As Of Date"], [45382.0]])


def test_the_stages_table():
    rows = [["Stage", "Action", "Days From Due"], ["reminder", "email", 7.0],
            [None, None, None], ["call", "task", "21"]]
    assert cells.stages_from_table(rows) == [("reminder", 7.0), ("call", 21.0)]
    with pytest.raises(CellError, match=r"^stages row 2 \(Days From Due\): expected a number"):
        cells.stages_from_table([["Stage", "Days From Due"], ["reminder", "a week"]])
    with pytest.raises(CellError, match="^stages: the Stages table has no stages$"):
        cells.stages_from_table([["Stage", "Days From Due"], [None, None]])
    assert cells.stage_for(10.0, [("reminder", 7.0), ("call", 21.0)]) == "reminder"
    assert cells.stage_for(3.0, [("reminder", 7.0)]) == ""


def test_invoice_frame_picks_one_customer_by_id_or_name_and_one_currency():
    header = ["Invoice No", "Customer", "Customer Name", "Invoice Date", "Due Date", "Amount",
              "Currency"]
    rows = [header,
            ["1", "C1", "Acme GmbH", serial(MIDNIGHT), serial(MIDNIGHT) + 30, 100.0, "EUR"],
            ["2", "C1", "Acme GmbH", serial(MIDNIGHT), serial(MIDNIGHT) + 30, 40.0, "USD"],
            ["3", "C2", "Beta", serial(MIDNIGHT), serial(MIDNIGHT) + 30, 70.0, "EUR"]]
    assert cells.invoice_frame(rows, "eur", "C1")["invoice"].tolist() == ["1"]
    assert cells.invoice_frame(rows, "EUR", "acme gmbh")["invoice"].tolist() == ["1"]
    assert cells.invoice_frame(rows, "EUR")["invoice"].tolist() == ["1", "3"]
    with pytest.raises(DunningInputError, match="several currencies"):
        cells.invoice_frame(rows)
    with pytest.raises(CellError, match="^invoices: the first row holds values"):
        cells.invoice_frame(rows[1:])


# ------------------------------------------------------------------ a Range argument


class StandInRange:
    """A sheet range as classic xlwings hands it to a UDF taking `TABLE_CONVERTER`: it knows
    its place and size for free and counts every cell whose value it is asked for."""

    def __init__(self, sheet: "StandInSheet", row: int, height: int, width: int) -> None:
        self.sheet, self.row, self.shape = sheet, row, (height, width)

    def resize(self, height: int, width: int) -> "StandInRange":
        return StandInRange(self.sheet, self.row, height, width)

    @property
    def last_cell(self) -> "StandInRange":
        return StandInRange(self.sheet, self.row + self.shape[0] - 1, 1, self.shape[1])

    @property
    def raw_value(self) -> object:
        height, width = self.shape
        self.sheet.cells_read += height * width
        grid = tuple(tuple(self.sheet.cell(self.row + r, c) for c in range(width))
                     for r in range(height))
        return grid[0][0] if height == width == 1 else grid


class StandInSheet:
    """The values of a sheet from row 1, and a used range that may run past them (formatting)."""

    def __init__(self, rows: list[list[object]], used_rows: int | None = None) -> None:
        self.rows, self.cells_read = rows, 0
        self.used_rows = len(rows) if used_rows is None else used_rows

    def cell(self, row: int, column: int) -> object:
        return self.rows[row - 1][column] if row <= len(self.rows) else None

    @property
    def used_range(self) -> StandInRange:
        return StandInRange(self, 1, self.used_rows, len(self.rows[0]))

    def whole_columns(self) -> StandInRange:
        return StandInRange(self, 1, EXCEL_ROWS, len(self.rows[0]))


def test_a_whole_column_range_is_read_only_down_to_the_used_rows():
    sheet = StandInSheet(as_com(HAND_ROWS))
    rows = cells.table_rows(sheet.whole_columns())
    assert rows == cells.table_rows(as_com(padded(HAND_ROWS)))  # what the raw values give
    assert sheet.cells_read == len(HAND_ROWS) * len(HAND_HEADER)  # not 1,048,576 rows' worth


def test_a_used_range_past_the_values_costs_only_those_rows_and_loses_nothing():
    sheet = StandInSheet(as_com(HAND_ROWS), used_rows=len(HAND_ROWS) + 40)  # formatted below
    assert cells.table_rows(sheet.whole_columns()) == cells.table_rows(as_com(HAND_ROWS))
    assert sheet.cells_read == (len(HAND_ROWS) + 40) * len(HAND_HEADER)


def test_a_table_range_smaller_than_the_used_range_is_read_whole():
    sheet = StandInSheet(as_com(HAND_ROWS), used_rows=5_000)
    table = StandInRange(sheet, 1, len(HAND_ROWS), len(HAND_HEADER))
    assert cells.table_rows(table) == cells.table_rows(as_com(HAND_ROWS))
    assert sheet.cells_read == len(HAND_ROWS) * len(HAND_HEADER)


def test_a_range_on_an_empty_sheet_is_an_empty_table():
    sheet = StandInSheet([[None] * 3], used_rows=0)
    with pytest.raises(CellError, match="the range is empty"):
        cells.table_rows(StandInRange(sheet, 1, EXCEL_ROWS, 3))
    assert sheet.cells_read == 0


def test_values_that_are_no_range_pass_as_they_are():
    rows = as_com(HAND_ROWS)
    assert cells.used_values(rows) is rows
    assert not cells.is_range(rows)


@pytest.mark.parametrize("stray", [1, 100, 30_000, 49_999])
def test_a_value_far_down_the_padding_is_kept_with_every_row_above_it(stray):
    """One blank row inside the table and one value in the padding: counting the padding in
    place must not let the one make up for the other (a count of the whole list alone would
    drop the value here)."""
    header = ["Invoice No", "Amount"]
    table = [header, ["I1", 1.0], [None, None], ["I2", 2.0], ["I3", 3.0]]
    padding = [[None, None] for _ in range(50_000)]
    padding[stray - 1] = [None, 5.0]
    rows = cells.table_rows(table + padding)
    assert len(rows) == len(table) + stray and rows[-1] == [None, 5.0]


def test_a_worksheet_function_builds_the_ledger_without_warnings_but_refuses_errors():
    from dunning.core.ledger import build_ledger

    rows = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"],
            ["I1", "C1", MIDNIGHT, MIDNIGHT - pd.Timedelta(days=5), 100.0],  # due before issue
            ["I1", "C1", MIDNIGHT, MIDNIGHT, 50.0]]                          # a repeated number
    full = build_ledger(rows, sheet=None)
    assert {issue.severity for issue in full.issues} == {"warning"}
    quiet = build_ledger(rows, sheet=None, warnings=False)
    assert quiet.issues == ()
    pd.testing.assert_frame_equal(quiet.frame, full.frame)
    pd.testing.assert_frame_equal(cells.invoice_frame(rows), full.frame)
    with pytest.raises(DunningInputError, match="expected an amount"):
        build_ledger([*rows, ["I3", "C1", MIDNIGHT, MIDNIGHT, "lots"]], warnings=False)


@pytest.mark.parametrize("inside", [0, 1, 4095, 4096, 10_000])
def test_blank_rows_inside_the_table_do_not_fool_the_padding_search(inside):
    header = ["Invoice No", "Amount"]
    rows = [header, ["I1", 1.0], *([[None, None]] * inside), ["I2", 2.0]]
    whole = rows + [[None, None]] * 50_000
    assert cells.table_rows(whole) == rows
    assert cells.table_rows(rows + [["", ""]] * 9_000 + [[None, " "]]) == rows
