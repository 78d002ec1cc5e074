"""Owned sheets: every cell replaced, the template's look kept, an owned table resized."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx.package import Package
from dunning.io.xlsx.sheets import NEW_SHEET, replace_cells, resize_owned_table
from dunning.io.xlsx.styles import Styles
from dunning.io.xlsx.tables import parse_table
from dunning.io.xlsx.worksheet import Worksheet
from test_xlsx_package import written

ROWS = [
    ["Customer", "Open", "Action"],
    ["C1", 1250.5, "=call now"],
    ["C2", dt.date(2024, 5, 31), None],
    ["C3", 7, "write"],
]


def template(path):
    """An owned sheet as a template formats it: a bold header, a styled first data row."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Worklist")
    sheet.set_column(0, 2, 18)
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["Customer", "Open", "Action"], bold)
    sheet.write_row(1, 0, ["old", 1, "old action"])
    sheet.set_row(1, 22, book.add_format({"italic": True}))
    sheet.write_number(1, 1, 1, book.add_format({"num_format": "#,##0.00"}))
    sheet.write_row(2, 0, ["older", 2, "x"], book.add_format({"font_color": "red"}))
    sheet.write_string(9, 5, "far away")
    book.close()
    return path


class Owned:
    def __init__(self, path, name="Worklist"):
        self.path, self.name = path, name
        self.parts = corpus.members(path)
        self.part = corpus.sheet_part(path, name)
        self.sheet = Worksheet(self.parts[self.part].decode(), name)
        self.styles = Styles(self.parts["xl/styles.xml"].decode())

    def style(self, ref):
        found = re.search(rf'<c r="{ref}"(?: s="(\d+)")?', self.sheet.text)
        return int(found.group(1) or 0) if found else None

    def save_as(self, target):
        package = Package(self.path)
        package.write(self.part, self.sheet.text)
        if self.styles.changed:
            package.write("xl/styles.xml", self.styles.text())
        result = written(package, target)
        package.close()
        return result


def test_every_cell_is_replaced_and_the_template_look_kept(tmp_path):
    owned = Owned(template(tmp_path / "owned.xlsx"))
    header, body = [owned.style(f"{c}1") for c in "ABC"], [owned.style(f"{c}2") for c in "ABC"]
    height = re.search(r'<row r="2"[^>]*\sht="([\d.]+)"', owned.sheet.text).group(1)
    assert replace_cells(owned.sheet, ROWS, owned.styles, date1904=False) == "A1:C4"
    assert [owned.style(f"{c}1") for c in "ABC"] == header
    assert owned.style("A3") == owned.style("A4") == body[0]  # row 2's style, not row 3's
    assert owned.style("B4") == body[1]
    assert owned.style("B3") != body[1] and owned.styles.is_date(owned.style("B3"))
    text = owned.sheet.text
    assert "<cols>" in text and '<dimension ref="A1:C4"/>' in text
    for number in (2, 3, 4):  # the template row's height and row style
        assert re.search(rf'<row r="{number}" s="\d+" customFormat="1" ht="{height}"', text)
    assert not re.search(r'<row r="1"[^>]*ht=', text)
    result = owned.save_as(tmp_path / "replaced.xlsx")
    rows = CalamineWorkbook.from_path(str(result)).get_sheet_by_name("Worklist").to_python()
    assert rows == [["Customer", "Open", "Action"], ["C1", 1250.5, "=call now"],
                    ["C2", dt.date(2024, 5, 31), ""], ["C3", 7.0, "write"]]
    loaded = openpyxl.load_workbook(result)["Worklist"]
    assert loaded["C2"].quotePrefix and loaded["C2"].data_type == "s"
    assert loaded["A1"].font.b and loaded["A2"].font.i and not loaded["A2"].font.b
    assert loaded["B4"].number_format == "#,##0.00" and loaded["F10"].value is None


def test_the_dimension_shrinks_to_what_was_written(tmp_path):
    owned = Owned(template(tmp_path / "owned.xlsx"))
    assert '<dimension ref="A1:F10"/>' in owned.sheet.text
    assert replace_cells(owned.sheet, [["a"], ["b", "c", None, "d"]], owned.styles,
                         date1904=False) == "A1:D2"
    assert '<dimension ref="A1:D2"/>' in owned.sheet.text
    assert replace_cells(owned.sheet, [], owned.styles, date1904=False) == ""
    assert '<dimension ref="A1"/>' in owned.sheet.text
    assert "<row" not in owned.sheet.text


def test_bad_values_are_all_named_and_nothing_is_replaced(tmp_path):
    owned = Owned(template(tmp_path / "owned.xlsx"))
    before = owned.sheet.text
    with pytest.raises(DunningInputError) as raised:
        replace_cells(owned.sheet, [["a", "b\x00"], [object(), 2, float("inf")]], owned.styles,
                      date1904=False)
    places = [(i.sheet, i.row, i.column_letter) for i in raised.value.issues]
    assert places == [("Worklist", 1, "B"), ("Worklist", 2, "A"), ("Worklist", 2, "C")]
    assert owned.sheet.text == before


def test_dates_follow_the_workbook_date_system():
    sheet = Worksheet(NEW_SHEET, "Aging")
    replace_cells(sheet, [[dt.date(1904, 1, 2)]], Styles(None), date1904=True)
    assert "<v>1</v>" in sheet.text
    replace_cells(sheet, [[dt.date(2024, 1, 2)]], Styles(None), date1904=False)
    assert "<v>45293</v>" in sheet.text


def test_the_new_sheet_template_is_a_plain_worksheet():
    root = ET.fromstring(NEW_SHEET)
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert root.tag == f"{main}worksheet"
    assert [child.tag.removeprefix(main) for child in root] == [
        "dimension", "sheetViews", "sheetFormatPr", "sheetData", "pageMargins"]
    sheet = Worksheet(NEW_SHEET, "Aging")
    assert replace_cells(sheet, [["Customer", "Total"], ["C1", 10]], Styles(None),
                         date1904=False) == "A1:B2"
    assert '<c r="B2"><v>10</v></c>' in sheet.text
    ET.fromstring(sheet.text)


def owned_table(path, ref="A1:C2", totals=False):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Worklist")
    columns = [{"header": "Customer"}, {"header": "Open"}, {"header": "Action"}]
    if totals:
        columns[0]["total_string"] = "Total"
    sheet.add_table(ref, {"name": "Work", "columns": columns, "total_row": totals})
    book.close()
    part = "xl/tables/table1.xml"
    return parse_table(corpus.members(path)[part].decode(), part)


def test_an_owned_table_is_resized_to_the_rows_written(tmp_path):
    table = owned_table(tmp_path / "owned.xlsx")
    grown = ET.fromstring(resize_owned_table(table, ROWS, "Worklist"))
    assert grown.get("ref") == "A1:C4"
    only_header = ET.fromstring(resize_owned_table(table, ROWS[:1], "Worklist"))
    assert only_header.get("ref") == "A1:C2"  # a table keeps one data row


def test_an_owned_table_that_does_not_start_at_a1(tmp_path):
    table = owned_table(tmp_path / "owned.xlsx", ref="B3:D4")
    rows = [["title"], [], [None, "Customer", "Open", "Action"], [None, "C1", 1, "call"]]
    assert ET.fromstring(resize_owned_table(table, rows, "Worklist")).get("ref") == "B3:D4"
    with pytest.raises(DunningInputError) as raised:
        resize_owned_table(table, ROWS, "Worklist")  # the headers are on row 1, not 3
    assert [(i.row, i.column_letter) for i in raised.value.issues] == [(3, "B"), (3, "C"), (3, "D")]


def test_owned_table_headers_must_match(tmp_path):
    table = owned_table(tmp_path / "owned.xlsx")
    with pytest.raises(DunningInputError) as raised:
        resize_owned_table(table, [["Customer", "Balance"]], "Worklist")
    issues = raised.value.issues
    assert [(i.column_letter, i.value) for i in issues] == [("B", "Balance"), ("C", None)]
    assert "must be 'Open', the name of column 2 of table Work" in issues[0].message


def test_an_owned_table_with_a_totals_row_is_refused(tmp_path):
    table = owned_table(tmp_path / "owned.xlsx", ref="A1:C3", totals=True)
    with pytest.raises(DunningInputError, match="table Work on an owned sheet has a totals row"):
        resize_owned_table(table, ROWS, "Worklist")
