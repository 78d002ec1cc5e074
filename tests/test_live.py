"""The workbook open in Excel behind the `Workbook` interface, on the stand-in for xlwings' Book.

tests/fake_excel.py holds a real workbook's values as xlwings passes them; the same file is
read by the file host (`FileWorkbook`), so each test can hold the two hosts side by side.
tests/test_ribbon.py runs the buttons on it; here each method of `ExcelWorkbook` is taken alone.
"""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table

from dunning.core.errors import DunningInputError
from dunning.excel import live
from dunning.excel.live import ExcelWorkbook, cell_value, cells_by_header
from dunning.io.workbook import FileWorkbook
from dunning.render.sheet_layout import SheetLayout
from fake_excel import CellError, FakeBook, Formula

LOGGED = dt.datetime(2026, 11, 23, 10, 30)


@pytest.fixture
def excel(book):
    return FakeBook(book)


@pytest.fixture
def offset_book(tmp_path):
    """A workbook whose Notes table starts at C3 below a title, and a sheet starting at B2."""
    workbook = openpyxl.Workbook()
    log = workbook.active
    log.title = "Log"
    log["A1"] = "Notes on calls"
    for column, header in zip("CDE", ["Date", " Customer ", "Note"], strict=True):
        log[f"{column}3"] = header
    log.add_table(Table(displayName="Notes", ref="C3:E4"))
    other = workbook.create_sheet("Other")
    other["B2"] = "x"
    other["C4"] = 5
    path = tmp_path / "Offset.xlsx"
    workbook.save(path)
    return FakeBook(path)


def same_value(cell):
    """A cell as either reader gives it: calamine spells blanks "" and dates as dates, the
    stand-in (as xlwings) None and datetimes."""
    if cell in ("", None):
        return None
    if isinstance(cell, dt.date) and not isinstance(cell, dt.datetime):
        return dt.datetime(cell.year, cell.month, cell.day)
    return cell


def values(rows):
    return [[same_value(cell) for cell in row] for row in rows]


def test_the_book_has_a_name_and_a_path_once_saved(book, excel):
    workbook = ExcelWorkbook(excel)
    assert workbook.name == "Client.xlsx" and workbook.path == book
    excel.name, excel.fullname = "Book1", "Book1"  # a new book, never saved
    assert workbook.path is None


def test_every_table_reads_as_the_file_host_reads_it(book, excel):
    live = ExcelWorkbook(excel)
    with FileWorkbook(book) as file:
        assert live.table_names() == file.table_names()
        assert live.sheet_names() == file.sheet_names()
        for name in file.table_names():
            ours, theirs = live.table(name), file.table(name)
            assert (ours.name, ours.sheet, ours.header_row, ours.columns) == (
                theirs.name, theirs.sheet, theirs.header_row, theirs.columns), name
            assert values(ours.rows) == values(theirs.rows), name


def test_tables_are_found_without_regard_to_case_and_absent_ones_are_none(excel):
    workbook = ExcelWorkbook(excel)
    assert workbook.table("contactlog").name == "ContactLog"
    assert workbook.table("Nope") is None


def test_a_table_below_a_title_knows_its_header_row_and_trims_its_headers(offset_book):
    found = ExcelWorkbook(offset_book).table("Notes")
    assert (found.sheet, found.header_row) == ("Log", 3)
    assert found.columns == ["Date", "Customer", "Note"]
    assert found.rows == [[None, None, None]]


def test_sheet_rows_keep_the_sheets_row_and_column_positions(offset_book):
    rows = ExcelWorkbook(offset_book).sheet_rows("Other")
    assert len(rows) == 4
    assert rows[1][1] == "x" and rows[3][2] == 5.0
    assert rows[0] == []


def test_appending_fills_the_empty_tables_blank_row_then_grows_it(excel):
    workbook = ExcelWorkbook(excel)
    workbook.append_rows("ContactLog", [{"Timestamp": LOGGED, "Customer": "CAS03",
                                         "Channel": "phone", "Outcome": "voicemail"}])
    rows = excel.table_rows("ContactLog")
    assert len(rows) == 2
    logged = dict(zip(rows[0], rows[1], strict=True))
    assert (logged["Timestamp"], logged["Customer"], logged["Outcome"]) == (
        LOGGED, "CAS03", "voicemail")
    workbook.append_rows("ContactLog", [{"customer": "ALP01"}, {"CUSTOMER": "BRW02"}])
    rows = excel.table_rows("ContactLog")
    assert [row[rows[0].index("Customer")] for row in rows[1:]] == ["CAS03", "ALP01", "BRW02"]


def test_appending_writes_below_a_table_that_starts_anywhere(offset_book):
    workbook = ExcelWorkbook(offset_book)
    workbook.append_rows("Notes", [{"Note": "first", "Customer": "A", "Date": LOGGED}])
    workbook.append_rows("Notes", [{"Customer": "B", "Note": "second"}])
    sheet = offset_book.sheets["Log"]
    assert sheet.cells[(4, 3)] == LOGGED and sheet.cells[(4, 4)] == "A"
    assert sheet.cells[(5, 4)] == "B" and sheet.cells[(5, 5)] == "second"
    assert (5, 3) not in sheet.cells and (5, 1) not in sheet.cells
    assert workbook.table("Notes").rows == [[LOGGED, "A", "first"], [None, "B", "second"]]


def test_text_is_appended_as_text_never_as_a_formula_or_number(excel):
    workbook = ExcelWorkbook(excel)
    workbook.append_rows("ContactLog", [{"Customer": "00123", "Note": "=1+1",
                                         "Subject": "+49 30 1234"}])
    rows = excel.table_rows("ContactLog")
    logged = dict(zip(rows[0], rows[-1], strict=True))
    assert (logged["Customer"], logged["Note"], logged["Subject"]) == (
        "00123", "=1+1", "+49 30 1234")
    assert not any(isinstance(cell, Formula) for row in rows for cell in row)


def test_frame_values_go_in_as_plain_cells(excel):
    ExcelWorkbook(excel).append_rows("ContactLog", [{
        "Customer": np.str_("CAS03"), "Promise Amount": np.float64(250.5),
        "Promise Date": pd.Timestamp("2026-12-01"), "Open Balance": float("nan")}])
    rows = excel.table_rows("ContactLog")
    logged = dict(zip(rows[0], rows[-1], strict=True))
    assert logged["Customer"] == "CAS03" and type(logged["Customer"]) is str
    assert logged["Promise Amount"] == 250.5 and type(logged["Promise Amount"]) is float
    assert logged["Promise Date"] == dt.datetime(2026, 12, 1)
    assert logged["Open Balance"] is None


def test_the_same_rows_appended_on_both_hosts_give_the_same_table(book, excel):
    rows = [{"Timestamp": LOGGED, "Customer": "CAS03", "Channel": "phone",
             "Outcome": "promised to pay", "Promise Date": dt.date(2026, 12, 1),
             "Promise Amount": 250.0, "Note": "=HYPERLINK(\"x\")"},
            {"Customer": "ALP01", "Channel": "email", "Invoices": "000105"}]
    ExcelWorkbook(excel).append_rows("ContactLog", rows)
    with FileWorkbook(book) as file:
        file.append_rows("ContactLog", rows)
        file.save()
        on_file = file.table("ContactLog")
    assert values(excel.table_rows("ContactLog")) == values([on_file.columns, *on_file.rows])


def test_unknown_tables_and_headers_are_refused_and_nothing_is_written(excel):
    workbook = ExcelWorkbook(excel)
    before = excel.table_rows("ContactLog")
    with pytest.raises(DunningInputError, match="no table named 'Nope'"):
        workbook.append_rows("Nope", [{"Customer": "A"}])
    with pytest.raises(DunningInputError, match="'Colour', which is not a column of table "
                                                "ContactLog"):
        workbook.append_rows("ContactLog", [{"Customer": "A"}, {"Colour": "red"}])
    workbook.append_rows("ContactLog", [])
    assert excel.table_rows("ContactLog") == before


def test_an_owned_sheet_is_cleared_and_written_from_a1(offset_book):
    workbook = ExcelWorkbook(offset_book)
    workbook.replace_sheet("Other", [["Customer", "Open", "Action"], ["A"],
                                     [np.str_("B"), np.int64(3), "=call"]])
    sheet = offset_book.sheets["Other"]
    assert sheet.rows() == [["Customer", "Open", "Action"], ["A", None, None],
                            ["B", 3.0, "=call"]]
    assert (4, 3) not in sheet.cells  # the old cells are gone
    workbook.replace_sheet("Other", [["Only"]])
    assert sheet.rows() == [["Only"]]


def test_a_missing_sheet_is_added_after_the_last(offset_book):
    workbook = ExcelWorkbook(offset_book)
    workbook.replace_sheet("Worklist", [["Customer"], ["A"]])
    workbook.replace_sheet("Empty", [])
    assert workbook.sheet_names() == ["Log", "Other", "Worklist", "Empty"]
    assert offset_book.sheets["Worklist"].rows() == [["Customer"], ["A"]]
    assert offset_book.sheets["Empty"].cells == {}


class RecordingWindow:
    """Excel's ActiveWindow as COM shows it: what was set on it, in order."""

    def __init__(self) -> None:
        self.__dict__["log"] = []

    def __setattr__(self, name: str, value: object) -> None:
        self.log.append((name, value))


def frozen_layout(rows: int, columns: int) -> SheetLayout:
    return SheetLayout(rows=[["Customer", "Open"], ["A", 1.0]], kinds=[[None, None]] * 2,
                       widths=[], freeze=(rows, columns))


def test_panes_are_frozen_through_the_window_in_desktop_excel_on_windows(offset_book,
                                                                         monkeypatch):
    """Desktop Excel freezes panes per window: the sheet is made active, its window's split
    set and frozen, and the sheet the user was on made active again."""
    window, activated = RecordingWindow(), []
    offset_book.app = SimpleNamespace(api=SimpleNamespace(ActiveWindow=window))
    for sheet in offset_book.sheets:
        sheet.activate = lambda sheet=sheet: activated.append(sheet.name)
    monkeypatch.setattr(type(offset_book.sheets), "active",
                        property(lambda sheets: sheets[0]), raising=False)
    monkeypatch.setattr(live, "sys", SimpleNamespace(platform="win32"))
    ExcelWorkbook(offset_book).replace_sheet("Other", [["Customer", "Open"], ["A", 1]],
                                             layout=frozen_layout(3, 1))
    assert window.log == [("FreezePanes", False), ("SplitColumn", 1), ("SplitRow", 3),
                          ("FreezePanes", True)]
    assert activated == ["Other", "Log"]
    monkeypatch.setattr(live, "sys", SimpleNamespace(platform="darwin"))
    window.log.clear()
    ExcelWorkbook(offset_book).replace_sheet("Other", [["Customer", "Open"], ["A", 1]],
                                             layout=frozen_layout(3, 1))
    assert window.log == []  # Excel for Mac: nothing sets panes, the sheet is still written


def test_panes_are_frozen_by_xlwings_where_its_engine_can(offset_book):
    """xlwings' remote engines have Sheet.freeze_panes: the frozen cells are named as a range."""
    asked: list[str] = []
    sheet = offset_book.sheets["Other"]
    sheet.freeze_panes = SimpleNamespace(freeze_at=asked.append)
    workbook = ExcelWorkbook(offset_book)
    for rows, columns in ((3, 0), (2, 1), (0, 2)):
        workbook.replace_sheet("Other", [["Customer", "Open"], ["A", 1]],
                               layout=frozen_layout(rows, columns))
    assert asked == ["1:3", "A1:A2", "A:B"]


def test_a_table_is_made_over_an_owned_sheets_rows_and_resized_as_they_grow(offset_book):
    workbook = ExcelWorkbook(offset_book)
    rows = [["As Of", "DSO", None, "Dunning, as of 2026-11-23"], [dt.datetime(2026, 10, 31), 50.0]]
    workbook.replace_sheet("History", rows, table="History")
    made = workbook.table("History")  # the headers stop at the first empty one: the note
    assert (made.sheet, made.header_row, made.columns) == ("History", 1, ["As Of", "DSO"])
    assert made.rows == [[dt.datetime(2026, 10, 31), 50.0]]
    assert offset_book.sheets["History"].tables[0].style == "TableStyleLight9"
    longer = [*rows, [dt.datetime(2026, 11, 23), 48.5]]
    workbook.replace_sheet("History", longer, table="History")
    assert len(offset_book.sheets["History"].tables) == 1
    assert workbook.table("History").rows[-1] == [dt.datetime(2026, 11, 23), 48.5]
    workbook.replace_sheet("History", [rows[0]], table="History")  # no rows: one blank row
    assert workbook.table("History").rows == [[None, None]]


def test_a_table_on_an_owned_sheet_keeps_its_headers_or_nothing_is_written(offset_book):
    workbook = ExcelWorkbook(offset_book)
    before = offset_book.sheets["Log"].rows()
    with pytest.raises(DunningInputError, match="must be 'Date', the name of column 1 of table "
                                                "Notes") as raised:
        workbook.replace_sheet("Log", [[], [], [None, None, "Day", "Customer", "Note"]])
    assert raised.value.issues[0].column_letter == "C" and raised.value.issues[0].row == 3
    assert offset_book.sheets["Log"].rows() == before
    with pytest.raises(DunningInputError, match="already has a table named Notes on another"):
        workbook.replace_sheet("Other", [["A", "B"]], table="notes")
    assert offset_book.sheets["Other"].cells[(2, 2)] == "x"


def drawn_charts():
    from dunning.io import Chart, Series

    return [
        Chart("column", "Aging (EUR)", (Series("Open amount EUR", "Charts!$B$5:$B$10",
                                                "Charts!$A$5:$A$10"),), (4, 0, 13, 17)),
        Chart("bar", "Largest (EUR)", (Series("Overdue EUR", "Charts!$C$13:$C$20",
                                              "Charts!$B$13:$B$20"),), (13, 0, 22, 17)),
        Chart("line", "DSO over time (EUR)",
              (Series("DSO", "'KPI History'!$E$2:$E$4", "'KPI History'!$A$2:$A$4"),
               Series("Best Possible DSO", "'KPI History'!$F$2:$F$4",
                      "'KPI History'!$A$2:$A$4")),
              (4, 17, 13, 34), number_format="0", category_format="yyyy-mm-dd"),
    ]


def test_charts_are_drawn_in_the_open_book_over_the_ranges_they_name(offset_book):
    from fake_excel import COLUMN_POINTS, ROW_POINTS

    offset_book.sheets.add("KPI History", after=offset_book.sheets[1])
    workbook = ExcelWorkbook(offset_book)
    workbook.replace_sheet("Charts", [["Charts"]])
    workbook.set_charts("Charts", drawn_charts())
    aging, largest, dso = offset_book.sheets["Charts"].charts
    assert [c.name for c in (aging, largest, dso)] == [f"Dunning chart {n}" for n in (1, 2, 3)]
    assert [c.chart_type for c in (aging, largest, dso)] == [
        "column_clustered", "bar_clustered", "line_markers"]
    assert (aging.source.address, aging.x_values.address) == ("Charts!B5:B10", "Charts!A5:A10")
    assert (aging.left, aging.top, aging.width, aging.height) == (
        4 * COLUMN_POINTS, 0, 9 * COLUMN_POINTS, 17 * ROW_POINTS)  # columns E:M, rows 1-17
    assert [s.name for s in aging.series] == ["Open amount EUR"] and aging.plot_by == "columns"
    assert aging.title == "Aging (EUR)" and aging.value_axis.number_format == "#,##0"
    assert largest.category_axis.reverse_order and not aging.category_axis.reverse_order
    assert (dso.source.address, dso.x_values.address) == (
        "KPI History!E2:F4", "KPI History!A2:A4")  # the two series side by side, one block
    assert [s.name for s in dso.series] == ["DSO", "Best Possible DSO"]
    assert (dso.value_axis.number_format, dso.category_axis.number_format) == ("0", "yyyy-mm-dd")
    assert dso.top == 17 * ROW_POINTS


def test_drawing_again_replaces_dunnings_charts_and_keeps_the_users(offset_book):
    offset_book.sheets.add("KPI History", after=offset_book.sheets[1])
    workbook = ExcelWorkbook(offset_book)
    workbook.replace_sheet("Charts", [["Charts"]])
    sheet = offset_book.sheets["Charts"]
    theirs = sheet.charts.add(source=sheet.range((1, 1)), name="Chart 1")
    workbook.set_charts("Charts", drawn_charts())
    workbook.set_charts("Charts", drawn_charts()[:1])
    assert [chart.name for chart in sheet.charts] == ["Chart 1", "Dunning chart 1"]
    assert sheet.charts[0] is theirs


def test_series_the_open_book_cannot_draw_as_one_block_are_refused(offset_book):
    from dunning.io import Chart, Series

    workbook = ExcelWorkbook(offset_book)
    apart = Chart("line", "Apart", (Series("a", "Other!$A$1:$A$3"), Series("b", "Other!$C$1:$C$3")),
                  (0, 0, 5, 5))
    with pytest.raises(ValueError, match="series 2 is not the column beside the one before"):
        workbook.set_charts("Other", [apart])


def test_save_leaves_the_saving_to_the_user(book, excel):
    before = book.read_bytes()
    workbook = ExcelWorkbook(excel)
    workbook.replace_sheet("Worklist", [["Customer"]])
    workbook.save()
    assert book.read_bytes() == before
    assert excel.sheets["Worklist"].rows() == [["Customer"]]


def test_the_selected_row_of_a_table_by_its_headers(offset_book):
    workbook = ExcelWorkbook(offset_book)
    workbook.append_rows("Notes", [{"Customer": "A", "Note": "called"}])
    offset_book.select("Log", 4, 5)
    assert workbook.selected_row() == {"Date": None, "Customer": "A", "Note": "called"}


def test_the_selected_row_outside_a_table_is_read_by_row_1(offset_book):
    workbook = ExcelWorkbook(offset_book)
    offset_book.select("Other", 2)
    assert workbook.selected_row() == {}  # row 1 of Other is blank: it names no value
    workbook.replace_sheet("Other", [["Customer", None, "Amount"], ["C1", "skip", 10.0]])
    offset_book.select("Other", 2, 3)
    assert workbook.selected_row() == {"Customer": "C1", "Amount": 10.0}
    offset_book.select("Other", 1)
    with pytest.raises(DunningInputError, match="select a row below the headers first"):
        workbook.selected_row()


def test_cell_values_as_xlwings_must_receive_them():
    assert cell_value(None) is None and cell_value(True) is True
    assert type(cell_value(np.int64(3))) is int and type(cell_value(np.bool_(True))) is bool
    assert cell_value(dt.date(2026, 11, 23)) == dt.date(2026, 11, 23)
    assert cell_value(LOGGED) == LOGGED
    assert cell_value(np.float64("nan")) is None
    assert cell_value(np.str_("00123")) == "'00123"


def test_a_missing_date_goes_in_as_a_blank_cell(excel):
    assert cell_value(pd.NaT) is None
    ExcelWorkbook(excel).append_rows("ContactLog", [{"Customer": "A", "Promise Date": pd.NaT}])
    rows = excel.table_rows("ContactLog")
    assert dict(zip(rows[0], rows[-1], strict=True))["Promise Date"] is None


def test_a_numpy_datetime_goes_in_as_a_date():
    assert cell_value(np.datetime64("2026-11-23T10:00:00.000000000")) == dt.datetime(
        2026, 11, 23, 10)


def test_cells_by_header_takes_the_first_name_present_and_filled():
    row = {"Customer": "", "Cust": "C1", "Amount": 10.0}
    assert cells_by_header(row, "customer", "CUST") == "C1"
    assert cells_by_header(row, "amount") == 10.0
    assert cells_by_header(row, "Name") is None


def test_the_stand_in_reads_the_file_it_was_given(book):
    """The stand-in is only useful while it shows the file's values."""
    fake = FakeBook(book)
    assert Path(fake.fullname) == book
    header = fake.table_rows("Invoices")[0]
    assert header[:2] == ["Invoice No", "Customer"] and len(fake.table_rows("Invoices")) == 311


def _book_with_errors(path, rows=2):
    """A Notes table (Date, Customer, Note, Amount) at A1 on sheet Log holding a formula's
    cached #DIV/0! in an Amount and a #NUM! in a Date (Excel's t="e" cells), and the
    text "#N/A" typed in a Note; a sheet Plans holding #N/A in F3 and typed "#REF!" in A2."""
    workbook = openpyxl.Workbook()
    log = workbook.active
    log.title = "Log"
    log.append(["Date", "Customer", "Note", "Amount"])
    for number in range(rows):
        log.append([LOGGED, f"C{number}", "called", float(number)])
    log["C2"], log["C2"].data_type = "#N/A", "s"  # typed text, not an error (openpyxl
    # would store a string spelled as an error as one)
    log.add_table(Table(displayName="Notes", ref=f"A1:D{rows + 1}"))
    for ref, error in (("D3", "#DIV/0!"), ("A2", "#NUM!")):
        log[ref].value, log[ref].data_type = error, "e"
    plans = workbook.create_sheet("Plans")
    plans.append(["Plan", "Customer", "Amount"])
    plans.append(["text", "C1", 5.0])
    plans["A2"], plans["A2"].data_type = "#REF!", "s"
    plans["F3"].value, plans["F3"].data_type = "#N/A", "e"
    workbook.save(path)
    return path


@pytest.mark.filterwarnings("ignore:File may not be readable")
def test_error_cells_in_the_open_book_are_named_as_the_file_host_names_them(tmp_path):
    """xlwings gives an error cell as None (a blank): read with err_to_str, then told from
    typed text such as "#N/A" by a second read of only the cells that read as an error's
    text. The messages are the file host's, word for word; typed text stays text."""
    path = _book_with_errors(tmp_path / "Errors.xlsx")
    excel = FakeBook(path)
    assert excel.sheets["Log"].range((3, 4)).value == [[None]]  # what xlwings gives
    ours, theirs = ExcelWorkbook(excel), FileWorkbook(path)
    for read in (lambda book: book.table("Notes"), lambda book: book.sheet_rows("Plans")):
        with pytest.raises(DunningInputError) as live_error:
            read(ours)
        with pytest.raises(DunningInputError) as file_error:
            read(theirs)
        assert [str(i) for i in live_error.value.issues] == [
            str(i) for i in file_error.value.issues]
    assert [str(i) for i in live_error.value.issues] == [
        "Plans!F3: the cell holds the error #N/A; correct it or clear it"]
    assert [str(i) for i in file_error.value.issues] == [
        "Plans!F3: the cell holds the error #N/A; correct it or clear it"]
    with pytest.raises(DunningInputError) as caught:
        ours.table("Notes")
    assert [str(i) for i in caught.value.issues] == [
        "Log!A2 (Date): the cell holds the error #NUM!; correct it or clear it",
        "Log!D3 (Amount): the cell holds the error #DIV/0!; correct it or clear it"]
    # an error xlwings has no name for comes through COM as its integer code, both reads
    # (calamine cannot read a file holding one: "Unsupported cell error value '#SPILL!'")
    excel.sheets["Log"].cells[(2, 1)] = CellError("#SPILL!")
    assert excel.sheets["Log"].range((2, 1)).options(err_to_str=True).value == [[-2146826243]]
    with pytest.raises(DunningInputError) as caught:
        ours.table("Notes")
    assert str(caught.value.issues[0]) == (
        "Log!A2 (Date): the cell holds the error #SPILL!; correct it or clear it")


def test_typed_error_text_reads_as_text_and_the_error_check_costs_one_read(tmp_path):
    """A big table is read in one block, as before (err_to_str); only a cell reading as an
    error's text brings a second read, of the block spanning such cells, not of each cell."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Log"
    sheet.append(["Date", "Customer", "Note"])
    for number in range(5000):
        sheet.append([LOGGED, f"C{number}", "called"])
    for row in (12, 4002):
        sheet.cell(row, 3).value, sheet.cell(row, 3).data_type = "#N/A", "s"
    sheet.add_table(Table(displayName="Notes", ref="A1:C5001"))
    sheet["D9"] = 1.0  # beside the table: a plain sheet read has nothing to check
    path = tmp_path / "Typed.xlsx"
    workbook.save(path)
    excel = FakeBook(path)
    found = ExcelWorkbook(excel).table("Notes")
    assert found.rows[10][2] == "#N/A" and found.rows[4000][2] == "#N/A"
    assert excel.sheets["Log"].reads == [("Log!A1:C5001", True), ("Log!C12:C4002", False)]
    excel.sheets["Log"].reads.clear()
    sheet_read = ExcelWorkbook(excel).sheet_rows("Log")
    assert sheet_read[11][2] == "#N/A" and len(excel.sheets["Log"].reads) == 2
    excel.sheets["Log"].cells[(12, 3)] = excel.sheets["Log"].cells[(4002, 3)] = "called"
    excel.sheets["Log"].reads.clear()
    ExcelWorkbook(excel).table("Notes")
    assert excel.sheets["Log"].reads == [("Log!A1:C5001", True)]
