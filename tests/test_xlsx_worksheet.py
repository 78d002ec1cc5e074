"""A worksheet part as text: finding and splicing rows, the dimension, and ranges that follow."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.io.xlsx.package import Package
from dunning.io.xlsx.refs import Area
from dunning.io.xlsx.rows import RawCell, Row
from dunning.io.xlsx.worksheet import Worksheet
from test_xlsx_package import written

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_of(rows_xml, tail="", prefix=""):
    declared = f'xmlns{":" + prefix[:-1] if prefix else ""}="{MAIN}"'
    p = prefix
    return Worksheet(f'<{p}worksheet {declared}><{p}dimension ref="A1:C13"/>'
                     f"<{p}sheetData>{rows_xml}</{p}sheetData>{tail}</{p}worksheet>", "S")


def numbered(*numbers, prefix=""):
    p = prefix
    return "".join(f'<{p}row r="{n}"><{p}c r="A{n}"><{p}v>{n}</{p}v></{p}c></{p}row>'
                   for n in numbers)


def value_row(number, value, prefix=""):
    p = prefix
    row = Row.new(number, p)
    row.cells[2] = RawCell(2, f'<{p}c r="B{number}"><{p}v>{value}</{p}v></{p}c>')
    return row


def row_numbers(sheet):
    root = ET.fromstring(sheet.text)
    return [int(row.get("r")) for row in root.iter(f"{{{MAIN}}}row")]


def test_rows_are_found_by_number():
    sheet = sheet_of(numbered(1, 2, 3, 5, 8, 13))
    assert sorted(sheet.rows(1, 100)) == [1, 2, 3, 5, 8, 13]
    assert sorted(sheet.rows(4, 7)) == [5]
    assert sorted(sheet.rows(6, 7)) == [] and sorted(sheet.rows(14, 99)) == []
    assert sheet.rows(8, 8)[8].cells[1].xml == '<c r="A8"><v>8</v></c>'


def test_rows_without_numbers_are_counted():
    sheet = sheet_of('<row><c><v>1</v></c></row><row/><row r="7"><c r="B7"><v>7</v></c></row>'
                     "<row><c><v>8</v></c></row>")
    assert sorted(sheet.rows(1, 100)) == [1, 2, 7, 8]
    assert sheet.rows(8, 8)[8].cells[1].xml == '<c r="A8"><v>8</v></c>'


def test_rows_of_a_large_sheet_match_an_independent_reader(tmp_path):
    path = corpus.build_xlsxwriter(tmp_path / "big.xlsx", invoices=5_000)
    part = corpus.sheet_part(path, "Invoices")
    sheet = Worksheet(corpus.members(path)[part].decode(), "Invoices")
    found = sheet.rows(2_500, 2_502)
    assert sorted(found) == [2_500, 2_501, 2_502]
    values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Invoices").to_python()
    for number, row in found.items():
        amount = re.search(r"<v>(.*?)</v>", row.cells[4].xml).group(1)
        assert float(amount) == values[number - 1][3] == 100 + number - 1


def test_replacing_rows_splices_them_in_order():
    sheet = sheet_of(numbered(1, 2, 3, 5, 8, 13))
    sheet.replace_rows(4, 9, {4: value_row(4, 40), 6: value_row(6, 60)})  # 5 and 8 go
    assert row_numbers(sheet) == [1, 2, 3, 4, 6, 13]
    sheet.replace_rows(14, 15, {15: value_row(15, 150)})  # after the last row
    sheet.replace_rows(10, 12, {11: value_row(11, 110)})  # into a gap
    sheet.replace_rows(0, 0, {})  # nothing there, nothing given: nothing changes
    assert row_numbers(sheet) == [1, 2, 3, 4, 6, 11, 13, 15]
    assert sheet.rows(11, 11)[11].cells[2].xml == '<c r="B11"><v>110</v></c>'


def test_everything_outside_the_rows_replaced_stays_as_written():
    tail = '<mergeCells count="1"><mergeCell ref="C3:D4"/></mergeCells>'
    sheet = sheet_of(numbered(1, 2, 3), tail)
    before = sheet.text
    sheet.replace_rows(2, 2, {2: value_row(2, 20)})
    start = before.index('<row r="2"')
    end = before.index('<row r="3"')
    assert sheet.text[:start] == before[:start]
    assert sheet.text[-len(before) + end :] == before[end:]


def test_replace_all_rows_and_an_empty_sheet_data():
    sheet = Worksheet(f'<worksheet xmlns="{MAIN}"><sheetData/><pageMargins left="1"/></worksheet>',
                      "E")
    assert "<sheetData></sheetData>" in sheet.text and sheet.rows(1, 10) == {}
    sheet.replace_all_rows(value_row(1, 1).xml("") + value_row(2, 2).xml(""))
    assert row_numbers(sheet) == [1, 2]
    assert sheet.text.endswith('</sheetData><pageMargins left="1"/></worksheet>')
    sheet.replace_all_rows("")
    assert row_numbers(sheet) == []
    with pytest.raises(ValueError, match="sheet N has no <sheetData>"):
        Worksheet(f'<worksheet xmlns="{MAIN}"/>', "N")


def test_prefixed_sheets():
    sheet = sheet_of(numbered(1, 4, prefix="x:"), prefix="x:")
    assert sheet.prefix == "x:" and sorted(sheet.rows(1, 9)) == [1, 4]
    sheet.replace_rows(2, 3, {2: value_row(2, 9, "x:")})
    assert [int(row.get("r")) for row in ET.fromstring(sheet.text).iter(f"{{{MAIN}}}row")] == [
        1, 2, 4]
    sheet.set_dimension(Area.parse("A1:D20"))
    assert '<x:dimension ref="A1:D20"/>' in sheet.text


def test_the_dimension_widens_or_is_set():
    sheet = sheet_of(numbered(1))
    sheet.set_dimension(Area.parse("B2:E20"))
    assert '<dimension ref="A1:E20"/>' in sheet.text  # widened from A1:C13
    sheet.set_dimension(Area.parse("B2:C3"), extend=False)
    assert '<dimension ref="B2:C3"/>' in sheet.text
    sheet.set_dimension(None, extend=False)
    assert '<dimension ref="A1"/>' in sheet.text
    plain = Worksheet(f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>', "P")
    before = plain.text
    plain.set_dimension(Area.parse("A1:B2"))  # no <dimension>: none is invented
    assert plain.text == before


def test_merged_cells_and_formulas():
    tail = ('<mergeCells count="2"><mergeCell ref="C3:D4"/><mergeCell ref="A9:B9"/></mergeCells>'
            '<conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
            "<formula>A1&gt;1</formula></cfRule></conditionalFormatting>")
    sheet = sheet_of(numbered(1), tail)
    assert sheet.merged_areas() == [Area.parse("C3:D4"), Area.parse("A9:B9")]
    assert not sheet.has_formulas()  # a rule's formula is not a cell formula
    sheet.replace_rows(2, 2, {2: Row(2, '<row r="2">', {1: RawCell(1, '<c r="A2"><f>A1</f></c>')})})
    assert sheet.has_formulas()


def ranges_book(path):
    """Validations, conditional formats (classic and Excel 2010), a sparkline, ignored errors."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Log")
    sheet.write_row(0, 0, ["Customer", "Amount", "Score", "Note"])
    for row in range(1, 5):
        sheet.write_row(row, 0, [f"C{row}", row * 10, row, "x"])
    sheet.data_validation("A2:A5", {"validate": "length", "criteria": "<=", "value": 40})
    sheet.data_validation("G2:G5", {"validate": "integer", "criteria": ">", "value": 0})
    sheet.conditional_format("B2:B5", {"type": "cell", "criteria": ">", "value": 20})
    sheet.conditional_format("C2:C5", {"type": "data_bar", "data_bar_2010": True})
    sheet.add_sparkline("D5", {"range": "Log!B2:B5"})
    sheet.ignore_errors({"number_stored_as_text": "A2:A5"})
    book.close()
    return path


def test_ranges_ending_on_the_last_row_grow_and_others_stay(tmp_path):
    path = ranges_book(tmp_path / "ranges.xlsx")
    part = corpus.sheet_part(path, "Log")
    sheet = Worksheet(corpus.members(path)[part].decode(), "Log")
    data_before = sheet.text[: sheet.text.index("</sheetData>")]
    sheet.grow_ranges(last_row=5, new_last_row=7, min_col=1, max_col=4)
    text = sheet.text
    assert text[: text.index("</sheetData>")] == data_before
    assert re.search(r'<dataValidation [^>]*sqref="A2:A7"', text)  # classic validation
    assert re.search(r'<dataValidation [^>]*sqref="G2:G5"', text)  # beside the table
    assert '<conditionalFormatting sqref="B2:B7">' in text
    assert '<conditionalFormatting sqref="C2:C7">' in text
    assert "<xm:sqref>C2:C7</xm:sqref>" in text  # its Excel 2010 twin in the extLst
    assert "<xm:sqref>D5</xm:sqref>" in text and "<xm:f>Log!B2:B5</xm:f>" in text  # sparkline
    assert re.search(r'<ignoredError sqref="A2:A7"', text)
    package = Package(path)
    package.write(part, text)
    result = written(package, tmp_path / "grown.xlsx")
    package.close()
    assert CalamineWorkbook.from_path(str(result)).get_sheet_by_name("Log").to_python()[4] == [
        "C4", 40.0, 4.0, "x"]
