"""Appending rows to an Excel Table: only the table's sheet and part change, byte for byte."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import WorkbookEdit, append_rows

BOOKKEEPING = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}
ROW = {
    "Date": dt.date(2024, 4, 1),
    "Customer": "C3",
    "Stage": "Final notice",
    "Amount": 10.0,
    "Note": "left a message",
}


@pytest.fixture(params=["xlsx", "xlsm", "openpyxl"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "openpyxl":
        return corpus.build_openpyxl(tmp_path / "openpyxl.xlsx")
    return corpus.build_xlsxwriter(tmp_path / f"rich.{request.param}")


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    assert list(before) == [name for name in after if name in before], "member order changed"
    return {name for name in set(before) | set(after) if before.get(name) != after.get(name)}


def test_untouched_parts_are_byte_identical(book: Path, tmp_path: Path) -> None:
    original = tmp_path / "original"
    shutil.copy(book, original)
    log = corpus.sheet_part(book, "ContactLog")
    result = append_rows(book, "ContactLog", [ROW, ROW])
    assert (result.first_row, result.last_row) == (4, 5)
    before, after = corpus.members(original), corpus.members(book)
    assert changed(before, after) <= {log, "xl/tables/table1.xml"} | BOOKKEEPING
    raw_before, raw_after = corpus.raw_members(original), corpus.raw_members(book)
    untouched = set(before) - changed(before, after)
    assert {name for name in untouched if raw_before[name] != raw_after[name]} == set()
    with zipfile.ZipFile(book) as archive:
        assert archive.testzip() is None


def test_rich_parts_survive(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsm")
    before = corpus.members(book)
    append_rows(book, "ContactLog", [ROW])
    after = corpus.members(book)
    for name in (
        "xl/vbaProject.bin",
        "customUI/customUI14.xml",
        "customXml/item1.xml",
        "xl/slicers/slicer1.xml",
        "xl/charts/chart1.xml",
        "xl/media/image1.png",
        "xl/drawings/vmlDrawing2.vml",
        "xl/comments1.xml",
        "_rels/.rels",
        "xl/sharedStrings.xml",
        corpus.sheet_part(book, "Invoices"),
    ):
        assert after[name] == before[name], name
    assert b"macroEnabled" in after["[Content_Types].xml"]
    assert b"customUI14.xml" in after["_rels/.rels"]


def test_table_grows_and_totals_row_moves(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    result = append_rows(book, "ContactLog", [ROW, dict(ROW, Customer="C4")])
    assert result.ref == "A1:F6"
    parts = corpus.members(book)
    table = parts["xl/tables/table1.xml"].decode()
    assert 'ref="A1:F6"' in table and '<autoFilter ref="A1:F5"/>' in table
    sheet = parts[corpus.sheet_part(book, "ContactLog")].decode()
    assert '<c r="A6"' in sheet and "SUBTOTAL(109,ContactLog[Amount])" in sheet
    totals = re.search(r'<row r="6".*?</row>', sheet).group(0)
    assert "<v>" not in totals.split("SUBTOTAL")[1].split("</c>")[0]  # stale total dropped
    fee = re.search(r'<c r="E5"[^>]*>(.*?)</c>', sheet).group(1)
    assert fee == "<f>ContactLog[[#This Row],[Amount]]*0.1</f>"
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert rows[3][:4] == [dt.date(2024, 4, 1), "C3", "Final notice", 10.0]
    assert rows[4][1] == "C4" and rows[5][0] == "Total"
    assert 'fullCalcOnLoad="1"' in parts["xl/workbook.xml"].decode()


def test_styles_follow_the_last_data_row(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    styles_before = corpus.members(book)["xl/styles.xml"]
    append_rows(book, "ContactLog", [ROW])
    parts = corpus.members(book)
    sheet = parts[corpus.sheet_part(book, "ContactLog")].decode()

    def style(ref: str) -> str | None:
        found = re.search(rf'<c r="{ref}"(?: s="(\d+)")?', sheet)
        return found.group(1)

    for column in "ABCDEF":
        assert style(f"{column}4") == style(f"{column}3"), column
    assert parts["xl/styles.xml"] == styles_before


def test_validation_and_formatting_ranges_grow(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    append_rows(book, "ContactLog", [ROW, ROW, ROW])
    sheet = corpus.members(book)[corpus.sheet_part(book, "ContactLog")].decode()
    assert 'sqref="B2:B6"' in sheet  # classic validation
    assert '<conditionalFormatting sqref="D2:D6">' in sheet
    assert "<xm:sqref>C2:C6</xm:sqref>" in sheet  # Excel 2010 validation in extLst
    invoices = corpus.members(book)[corpus.sheet_part(book, "Invoices")].decode()
    assert "<xm:sqref>F2</xm:sqref>" in invoices  # sparkline location untouched


def test_text_is_literal_and_never_a_formula(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    tricky = [
        '=HYPERLINK("http://evil.example","click")',
        "+1",
        "-2",
        "@SUM(A1)",
        "\t=1",
        "\r\n=2",
        "_x0041_ literal",
        "  spaced  ",
        "a < b & c",
    ]
    append_rows(book, "ContactLog", [dict(ROW, Note=text) for text in tricky])
    sheet = corpus.members(book)[corpus.sheet_part(book, "ContactLog")].decode()
    new_rows = sheet[sheet.index('<row r="4"') :]
    assert "<f>" not in new_rows and "<f " not in new_rows
    notes = [
        row[5]
        for row in CalamineWorkbook.from_path(str(book))
        .get_sheet_by_name("ContactLog")
        .to_python()[3:]
    ]
    assert notes == tricky
    styles = corpus.members(book)["xl/styles.xml"].decode()
    assert 'quotePrefix="1"' in styles


def test_control_characters_are_refused_naming_the_cell(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    before = book.read_bytes()
    with pytest.raises(DunningInputError) as raised:
        append_rows(book, "ContactLog", [ROW, dict(ROW, Note="bell\x07here")])
    issue = raised.value.issues[0]
    assert (issue.sheet, issue.row, issue.column, issue.column_letter) == (
        "ContactLog",
        5,
        "Note",
        "F",
    )
    assert "U+0007" in str(raised.value)
    assert book.read_bytes() == before


def test_unknown_headers_are_named(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    with pytest.raises(DunningInputError, match="'Amout'.*its columns are Date, Customer"):
        append_rows(book, "ContactLog", [{"Date": dt.date(2024, 1, 1), "Amout": 3}])
    with pytest.raises(DunningInputError, match="has 2 values; table ContactLog has 6 columns"):
        append_rows(book, "ContactLog", [["a", "b"]])
    with pytest.raises(DunningInputError, match="no table named 'Contacts'.*ContactLog"):
        append_rows(book, "Contacts", [ROW])


def test_calculated_column_cannot_be_given(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    with pytest.raises(DunningInputError, match="Fee, which the table calculates"):
        append_rows(book, "ContactLog", [dict(ROW, Fee=3)])


def test_lists_and_header_case(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    append_rows(
        book,
        "contactlog",
        [
            [dt.datetime(2024, 5, 1, 9, 30), "C9", "x", 1, 2, None],
            {"customer": "C10", "AMOUNT": True},
        ],
    )
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert rows[3][:5] == [dt.datetime(2024, 5, 1, 9, 30), "C9", "x", 1.0, 2.0]
    assert rows[4][1] == "C10" and rows[4][3] is True


def test_dates_get_a_date_format_when_the_column_has_none(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    append_rows(book, "ContactLog", [dict(ROW, Note=dt.date(2024, 6, 30))])
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert rows[3][5] == dt.date(2024, 6, 30)


def test_cells_beside_the_table_stay_where_they_are(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    result = append_rows(book, "ContactLog", [ROW] * 12)
    assert result.ref == "A1:F16"
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert rows[0][7] == "Beside the table" and rows[9][7] == "Far below"
    assert rows[9][1] == "C3" and rows[15][0] == "Total"


def test_refuses_over_a_cell_inside_the_table_columns(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    loaded = openpyxl.load_workbook(book)
    loaded["ContactLog"]["C6"] = "in the way"
    loaded.save(book)
    with pytest.raises(DunningInputError) as raised:
        append_rows(book, "ContactLog", [ROW] * 3)
    assert [(issue.row, issue.column_letter) for issue in raised.value.issues] == [(6, "C")]
    append_rows(book, "ContactLog", [ROW] * 2)  # rows 4-5 are free


def test_an_empty_template_row_is_filled_first(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    loaded = openpyxl.Workbook()
    sheet = loaded.active
    sheet.title = "Log"
    sheet.append(["Date", "Customer", "Note"])
    sheet["A2"].number_format = "yyyy-mm-dd"
    sheet.add_table(Table(displayName="ContactLog", ref="A1:C2"))
    loaded.save(path)
    result = append_rows(path, "ContactLog", [{"Date": dt.date(2024, 1, 5), "Customer": "C1"}])
    assert (result.first_row, result.last_row, result.ref) == (2, 2, "A1:C2")
    result = append_rows(path, "ContactLog", [{"Customer": "C2"}])
    assert (result.first_row, result.ref) == (3, "A1:C3")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Log").to_python()
    assert rows[1][:2] == [dt.date(2024, 1, 5), "C1"] and rows[2][1] == "C2"


def test_several_edits_save_once(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    with WorkbookEdit(book, backups=0) as edit:
        edit.append_rows("ContactLog", [ROW])
        edit.append_rows("ContactLog", [dict(ROW, Customer="second")])
        edit.replace_sheet("Worklist", [["Customer", "Open", "Action"], ["C1", 1, "call"]])
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert [row[1] for row in rows[3:6]] == ["C3", "second", ""]
    assert not (tmp_path / ".dunning-backups").exists()
    assert not list(tmp_path.glob("*.dunning-tmp-*"))


def test_no_edit_leaves_the_file_alone(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    before = book.stat().st_mtime_ns
    with WorkbookEdit(book) as edit:
        assert "ContactLog" in edit.tables()
    assert book.stat().st_mtime_ns == before


def test_calc_chain_is_dropped_when_formula_cells_move(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    parts = corpus.members(book)
    chain_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
    parts["xl/calcChain.xml"] = (
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="D4" i="2"/><c r="E2"/><c r="E3"/></calcChain>'
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdChain" Type="{chain_type}" Target="calcChain.xml"/>'
        "</Relationships>".encode(),
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    append_rows(book, "ContactLog", [ROW])
    after = corpus.members(book)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert rows[3][1] == "C3"


def test_dates_in_a_1904_workbook(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "mac.xlsx")
    loaded = openpyxl.load_workbook(book)
    loaded.epoch = CALENDAR_MAC_1904
    loaded.save(book)
    append_rows(book, "ContactLog", [ROW])
    reread = openpyxl.load_workbook(book)
    assert reread["ContactLog"]["A4"].value.date() == dt.date(2024, 4, 1)


def test_appending_nothing_changes_nothing(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    before = book.read_bytes()
    result = append_rows(book, "ContactLog", [])
    assert result.rows == 0 and book.read_bytes() == before


FORMULA_LIKE = ["=cmd", "+1", "-x"]


def cell_xfs_count(book: Path) -> int:
    styles = corpus.members(book)["xl/styles.xml"].decode()
    return int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
@pytest.mark.parametrize("maker", ["xlsxwriter", "openpyxl"])
def test_nightly_runs_reuse_one_quote_prefix_style(tmp_path: Path, maker: str) -> None:
    if maker == "xlsxwriter":
        book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    else:
        book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    counts, styles_after = [cell_xfs_count(book)], []
    for run in range(5):  # five nightly runs, each its own open and save
        rows = [dict(ROW, Customer=text, Stage=f"run {run}", Note=text) for text in FORMULA_LIKE]
        append_rows(book, "ContactLog", rows)
        counts.append(cell_xfs_count(book))
        styles_after.append(corpus.members(book)["xl/styles.xml"])
    assert counts == [counts[0]] + [counts[0] + 1] * 5
    assert styles_after[1:] == styles_after[:1] * 4  # not even rewritten after the first run
    assert styles_after[0].decode().count('quotePrefix="1"') == 1  # one xf for all such cells
    loaded = openpyxl.load_workbook(book)["ContactLog"]
    new_rows = list(loaded.iter_rows(min_row=4, max_row=3 + 5 * len(FORMULA_LIKE)))
    assert [row[1].value for row in new_rows] == FORMULA_LIKE * 5
    for row in new_rows:
        for cell in (row[1], row[5]):
            assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
        assert not row[2].quotePrefix  # "run N" is plain text
    notes = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert [row[5] for row in notes[3 : 3 + 15]] == FORMULA_LIKE * 5


def test_a_quote_prefix_style_xlsxwriter_made_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "quoted.xlsx"
    made = xlsxwriter.Workbook(str(path))
    sheet = made.add_worksheet("Log")
    sheet.write_string("E1", "=already text", made.add_format({"quote_prefix": True}))
    columns = [{"header": name} for name in ("Customer", "Stage", "Note")]
    sheet.add_table("A1:C2", {"name": "ContactLog", "columns": columns})
    made.close()
    styles_before = corpus.members(path)["xl/styles.xml"]
    assert styles_before.count(b'quotePrefix="1"') == 1 and cell_xfs_count(path) == 2
    append_rows(path, "ContactLog", [{"Customer": "C1", "Note": text} for text in FORMULA_LIKE])
    assert corpus.members(path)["xl/styles.xml"] == styles_before
    sheet_xml = corpus.members(path)[corpus.sheet_part(path, "Log")].decode()
    assert re.search(r'<c r="C2" s="1" t="inlineStr">', sheet_xml)
    loaded = openpyxl.load_workbook(path)["Log"]
    assert [loaded.cell(row, 3).value for row in (2, 3, 4)] == FORMULA_LIKE
    assert all(loaded.cell(row, 3).quotePrefix for row in (2, 3, 4))
    assert not loaded["A2"].quotePrefix
