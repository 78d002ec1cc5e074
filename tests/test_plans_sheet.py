"""A PaymentPlans sheet laid out by its user keeps its layout through `dunning plan` and
`dunning refresh`, on the file and in the open book.

The sample workbook gets a PaymentPlans sheet made with openpyxl as a user would make it in
Excel: a bold title in A1 and a note in A2, the plans' header in row 3 (from column A, or
from C with a note left of the block), a note right of the block, and in one variant the
plans as an Excel Table. The written file is read back by calamine (and once by LibreOffice),
the open book is the `fake_excel` stand-in holding the same workbook's values.
"""

import datetime as dt

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from dunning.app import actions
from dunning.cli import main
from dunning.core.errors import DunningInputError
from dunning.core.plans import BLOCK_WIDTH, HEADERS, plans_from_rows, plans_place
from dunning.excel.live import ExcelWorkbook
from dunning.io.workbook import FileWorkbook
from fake_excel import FakeBook

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)
STAMP = "--now=2026-11-23T11:00:00+00:00"
TITLE = "Payment plans agreed with customers"
HAND_PLAN = ["PP-EMA05-20261201", "EMA05", "", 1, dt.datetime(2026, 12, 1), 250.0, "EUR", 0.0,
             ""]
"""A plan typed by hand, naming no invoices (its Paid is the sheet's)."""


def _column(letters: str) -> int:
    return ord(letters) - 64


def _user_sheet(path, corner="A3", *, table=False, plans=(), headers=HEADERS):
    """The PaymentPlans sheet a user laid out: title, note, header at `corner`, notes beside."""
    top, left = int(corner[1:]), _column(corner[0])
    book = load_workbook(path)
    sheet = book.create_sheet("PaymentPlans")
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = "kept by the credit team; do not sort"
    sheet.column_dimensions["A"].width = 30
    for index, header in enumerate(headers):
        sheet.cell(top, left + index, header)
    for offset, values in enumerate(plans, start=1):
        for index, value in enumerate(values):
            sheet.cell(top + offset, left + index, value)
    right = left + len(HEADERS) + 3  # beyond the plans, the gap and Dunning's stamp
    sheet.cell(top + 1, right, "note right of the plans")
    if left > 2:
        sheet.cell(top + 2, 1, "note left of the plans")
    if table:
        last = top + max(1, len(plans))
        ref = f"{corner}:{chr(64 + left + len(HEADERS) - 1)}{last}"
        sheet.add_table(Table(displayName="Plans", ref=ref))
    book.save(path)
    return top, left, right


def _rows(path):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("PaymentPlans").to_python()


def _cell(rows, row, column):
    """The value at a sheet cell (row and column from 1) of rows read from A1."""
    if row > len(rows) or column > len(rows[row - 1]):
        return ""
    return rows[row - 1][column - 1]


def _plans(rows):
    plans = plans_from_rows(rows)
    return sorted(plans[["plan", "customer", "instalment", "amount", "currency"]]
                  .itertuples(index=False, name=None)), plans


def _plan(path, customer="CAS03", count="3"):
    return main(["plan", str(path), "--customer", customer, "--instalments", count,
                 "--every", "monthly", "--start", "2026-12-15", STAMP])


@pytest.mark.parametrize("corner", ["A3", "C3"])
def test_plan_and_refresh_keep_the_title_the_notes_and_the_header_where_the_user_put_them(
        book, corner, capsys):
    top, left, right = _user_sheet(book, corner, plans=[HAND_PLAN])
    before = _rows(book)
    assert _plan(book) == 0, capsys.readouterr().err
    written = _rows(book)
    assert written[:top - 1] == [row[:len(written[0])] for row in before[:top - 1]]
    assert _cell(written, 1, 1) == TITLE
    assert [_cell(written, top, left + i) for i in range(len(HEADERS))] == HEADERS
    stamp = left + BLOCK_WIDTH - 1  # the last of the columns check_block_free guards
    assert str(_cell(written, top, stamp)).startswith("Dunning, as of ")
    assert _cell(written, top + 1, right) == "note right of the plans"
    if left > 2:
        assert _cell(written, top + 2, 1) == "note left of the plans"
    found, plans = _plans(written)
    assert plans_place(plans) == (top, left)
    assert plans["plan"].tolist() == ["PP-EMA05-20261201"] + ["PP-CAS03-20261215"] * 3
    assert plans["row"].tolist() == list(range(top + 1, top + 5))  # appended below the first
    assert main(["refresh", str(book), STAMP]) == 0, capsys.readouterr().err
    refreshed = _rows(book)
    assert refreshed[:top - 1] == written[:top - 1]
    assert _cell(refreshed, top + 1, right) == "note right of the plans"
    again, judged = _plans(refreshed)
    assert again == found and plans_place(judged) == (top, left)
    assert set(judged["status"]) == {"upcoming"} and judged["row"].max() == top + 4
    title = load_workbook(book)["PaymentPlans"]
    assert title["A1"].font.bold and title["A1"].font.size == 14  # the cell was not rewritten
    if left > 2:
        assert title.column_dimensions["A"].width == 30  # nor its column, beside the block
    assert title.freeze_panes == f"A{top + 1}"  # the header stays in view


def test_plans_in_an_excel_table_lower_down_stay_that_table_resized_over_them(book, capsys):
    top, left, _ = _user_sheet(book, "C4", table=True, plans=[HAND_PLAN])
    assert _plan(book) == 0, capsys.readouterr().err
    assert main(["refresh", str(book), STAMP]) == 0, capsys.readouterr().err
    workbook = CalamineWorkbook.from_path(str(book), load_tables=True)
    assert "Plans" in workbook.table_names
    table = workbook.get_table_by_name("Plans")
    assert table.sheet == "PaymentPlans" and list(table.columns) == HEADERS
    assert table.start == (top, left - 1)  # its first body cell, from 0: still C5
    assert [row[0] for row in table.to_python()] == ["PP-CAS03-20261215"] * 3 + [
        "PP-EMA05-20261201"]
    ref = load_workbook(book)["PaymentPlans"].tables["Plans"].ref
    assert ref == "C4:K8"
    assert _cell(_rows(book), 1, 1) == TITLE


def test_a_sheet_dunning_laid_out_from_a1_is_rewritten_whole_as_before(book, capsys):
    assert _plan(book) == 0, capsys.readouterr().err
    rows = _rows(book)
    assert rows[0][:len(HEADERS)] == HEADERS
    _, plans = _plans(rows)
    assert plans_place(plans) is None  # written from A1, the whole sheet replaced
    assert plans_place(plans_from_rows([])) is None


class _Answers:
    """The ribbon's questions answered from a script; its messages kept."""

    def __init__(self, *answers):
        self.answers, self.alerts = list(answers), []

    def ask(self, title, prompt, default=""):
        return self.answers.pop(0)

    def alert(self, title, message):
        self.alerts.append((title, message))


def test_the_ribbons_buttons_on_the_open_book_keep_the_layout_too(book, tmp_path, monkeypatch):
    from dunning.excel import ribbon

    monkeypatch.setattr(ribbon, "LOG_FILE", tmp_path / "ribbon.log")
    top, left, right = _user_sheet(book, "C3", plans=[HAND_PLAN])
    excel = FakeBook(book)
    sheet = excel.sheets["PaymentPlans"]
    sheet.looks[(1, 1)] = {"bold": True}  # the title's look, as Excel would hold it
    excel.select("Customers", 1 + [row[0] for row in excel.table_rows("Customers")]
                 .index("CAS03"))
    ui = _Answers("3", "monthly", "2026-12-15", "")
    assert ribbon.dispatch("payment_plan", ExcelWorkbook(excel), ui, NOW) is not None, ui.alerts
    assert ribbon.dispatch("refresh", ExcelWorkbook(excel), ui, NOW) is not None, ui.alerts
    rows = sheet.rows()
    assert rows[0][0] == TITLE and rows[1][0].startswith("kept by the credit team")
    assert sheet.looks[(1, 1)] == {"bold": True}
    assert rows[top + 1][0] == "note left of the plans"
    assert rows[top][right - 1] == "note right of the plans"
    assert rows[top - 1][left - 1:left - 1 + len(HEADERS)] == HEADERS
    _, plans = _plans(rows)
    assert plans_place(plans) == (top, left) and len(plans) == 4
    assert set(plans["status"]) == {"upcoming"}
    assert sheet.looks[(top, left)].get("bold")  # the header styled where it is
    assert 1 not in sheet.widths and sheet.widths[left] > 0  # column A's width left alone


def test_the_open_book_resizes_the_plans_table_where_it_is(book):
    top, left, _ = _user_sheet(book, "C4", table=True, plans=[HAND_PLAN])
    excel = FakeBook(book)
    request = actions.PlanRequest("CAS03", 3, "monthly", dt.date(2026, 12, 15))
    actions.payment_plan(ExcelWorkbook(excel), request, now=NOW)
    actions.refresh(ExcelWorkbook(excel), now=NOW)
    [table] = excel.sheets["PaymentPlans"].tables
    assert table.range.address == "PaymentPlans!C4:K8"
    body = table.range.value[1:]
    assert [row[0] for row in body] == ["PP-CAS03-20261215"] * 3 + ["PP-EMA05-20261201"]
    assert {row[-1] for row in body} == {"upcoming"}
    assert excel.sheets["PaymentPlans"].rows()[0][0] == TITLE


def test_a_bad_cell_in_the_users_block_is_named_and_nothing_is_written(book, capsys):
    bad = [*HAND_PLAN[:4], "someday", *HAND_PLAN[5:]]
    _user_sheet(book, "C3", plans=[bad])
    before = book.read_bytes()
    assert _plan(book) == 1
    error = capsys.readouterr().err
    assert "PaymentPlans" in error and "G4" in error and "Due Date" in error
    assert book.read_bytes() == before


def test_a_cell_of_the_users_in_the_columns_dunning_writes_is_named_and_nothing_written(
        book, capsys):
    """A column of the user's right beside Status, or a note under the empty column, would
    be lost: the plan is refused naming each such cell, on the file and in the open book."""
    _user_sheet(book, "C3", plans=[HAND_PLAN])
    workbook = load_workbook(book)
    sheet = workbook["PaymentPlans"]
    sheet["L3"], sheet["L4"] = "Agreed By", "Ana"
    sheet["M9"] = "a note under the stamp"
    workbook.save(book)
    before = book.read_bytes()
    assert _plan(book) == 1
    error = capsys.readouterr().err
    assert "PaymentPlans!L3" in error and "'Agreed By'" in error and "PaymentPlans!M9" in error
    assert book.read_bytes() == before
    assert main(["refresh", str(book), STAMP]) == 1
    assert "PaymentPlans!L4" in capsys.readouterr().err and book.read_bytes() == before
    excel = FakeBook(book)
    request = actions.PlanRequest("CAS03", 3, "monthly", dt.date(2026, 12, 15))
    with pytest.raises(DunningInputError) as caught:
        actions.payment_plan(ExcelWorkbook(excel), request, now=NOW)
    assert [(i.row, i.column_letter) for i in caught.value.issues] == [(3, "L"), (4, "L"),
                                                                         (9, "M")]
    assert excel.sheets["PaymentPlans"].cells[(3, 12)] == "Agreed By"


def test_a_plans_table_whose_headers_dunning_cannot_keep_is_refused_whole(book):
    """The plans are written in Dunning's column order: a table in another order cannot keep
    its column names, and the writers refuse it naming the header cell."""
    swapped = [HAND_PLAN[1], HAND_PLAN[0], *HAND_PLAN[2:]]
    _user_sheet(book, "C3", table=True, plans=[swapped],
                headers=["Customer", "Plan", *HEADERS[2:]])
    before = book.read_bytes()
    request = actions.PlanRequest("CAS03", 3, "monthly", dt.date(2026, 12, 15))
    for host in (lambda: book, lambda: ExcelWorkbook(FakeBook(book))):
        with pytest.raises(DunningInputError) as caught:
            actions.payment_plan(host(), request, now=NOW)
        first = caught.value.issues[0]
        assert (first.sheet, first.row, first.column_letter) == ("PaymentPlans", 3, "C")
        assert "'Customer'" in first.message
    assert book.read_bytes() == before


def test_libreoffice_reads_the_rewritten_sheet_in_place(book, capsys):
    from libreoffice import recalculated_values, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    _, _, right = _user_sheet(book, "C3", plans=[HAND_PLAN])
    assert _plan(book) == 0, capsys.readouterr().err
    note = f"PaymentPlans!{chr(64 + right)}4"
    values = recalculated_values(book, {"title": "PaymentPlans!A1", "header": "PaymentPlans!C3",
                                        "first": "PaymentPlans!C4", "last": "PaymentPlans!F7",
                                        "note": note, "left": "PaymentPlans!A5"})
    assert values == {"title": TITLE, "header": "Plan", "first": "PP-EMA05-20261201",
                      "last": 3, "note": "note right of the plans",
                      "left": "note left of the plans"}


def test_file_and_open_book_write_the_same_block(book, tmp_path):
    _user_sheet(book, "C3", plans=[HAND_PLAN])
    other = tmp_path / "copy.xlsx"
    other.write_bytes(book.read_bytes())
    request = actions.PlanRequest("CAS03", 3, "monthly", dt.date(2026, 12, 15))
    with FileWorkbook(book) as workbook:
        actions.payment_plan(workbook, request, now=NOW)
    excel = FakeBook(other)
    actions.payment_plan(ExcelWorkbook(excel), request, now=NOW)
    on_file = [row[:13] for row in _rows(book)[2:7]]
    in_book = [[("" if cell is None else cell) for cell in row[:13]]
               for row in excel.sheets["PaymentPlans"].rows()[2:7]]
    assert [[_plain(cell) for cell in row] for row in on_file] == [
        [_plain(cell) for cell in row] for row in in_book]


def _plain(cell):
    """A value as both readers give it: dates as dates, numbers as floats."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, int) and not isinstance(cell, bool):
        return float(cell)
    return cell


# ---------------------------------------------------- the writer's block, on its own


def test_the_writer_replaces_only_the_blocks_columns_and_keeps_the_rest_byte_for_byte(tmp_path):
    import re
    import zipfile

    import xlsxwriter

    from dunning.io.report_styles import sheet_format
    from dunning.io.xlsx.edit import WorkbookEdit
    from dunning.render.sheet_layout import list_layout

    path = tmp_path / "owned.xlsx"
    made = xlsxwriter.Workbook(str(path))
    sheet = made.add_worksheet("Owned")
    sheet.set_column(0, 15, 20)
    sheet.write_string(0, 0, "Title", made.add_format({"bold": True}))
    sheet.write_formula(5, 0, "=1+1", None, 2)
    for row, text in ((2, "Old header"), (3, "old"), (8, "old lower")):
        sheet.write_string(row, 2, text)
    sheet.write_string(3, 13, "beside")
    made.close()

    def part():
        with zipfile.ZipFile(path) as archive:
            return archive.read("xl/worksheets/sheet1.xml").decode()

    def row_xml(text, number):
        return re.search(rf'<row r="{number}".*?</row>', text).group(0)

    before = part()
    layout = list_layout([["H1", "H2"], ["a", 1.5]], [None, "money"], "stamp")
    with WorkbookEdit(path) as edit:
        edit.replace_sheet("Owned", layout.rows, layout=sheet_format(layout), at=(3, 3))
    after = part()
    assert row_xml(after, 1) == row_xml(before, 1)  # above the block: as written
    assert "<f>1+1</f>" in row_xml(after, 6)  # a formula left of the block is kept
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Owned").to_python()
    assert rows[0][0] == "Title" and rows[5][0] == 2
    assert rows[2][2:6] == ["H1", "H2", "", "stamp"] and rows[3][2:4] == ["a", 1.5]
    assert rows[3][13] == "beside" and len(rows) == 6  # beside kept; the old C9 is gone
    widths = [(int(lo), int(hi)) for lo, hi in re.findall(r'<col min="(\d+)" max="(\d+)"', after)]
    assert widths == [(1, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 16)]  # the range cut round it
    assert 'width="20.' in re.search(r'<col min="7" max="16"[^>]*>', after).group(0)
    assert 'ySplit="3"' in after  # the header, in row 3, stays in view


def test_the_writer_refuses_to_cut_a_formula_that_fills_cells_beside_the_block(tmp_path):
    import xlsxwriter

    from dunning.io.xlsx.edit import WorkbookEdit

    path = tmp_path / "owned.xlsx"
    made = xlsxwriter.Workbook(str(path))
    sheet = made.add_worksheet("Owned")
    sheet.write_array_formula("C5:H5", "{=1+1}")  # starts in the block, fills G and H beside
    made.close()
    before = path.read_bytes()
    with pytest.raises(DunningInputError) as caught, WorkbookEdit(path) as edit:
        edit.replace_sheet("Owned", [["H1", "H2", None, "stamp"], ["a", 1]], at=(3, 3))
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column_letter) == ("Owned", 5, "C")
    assert "C5:H5" in issue.message and "C to F" in issue.message
    assert path.read_bytes() == before
