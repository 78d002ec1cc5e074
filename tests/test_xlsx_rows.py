"""Rows of a sheet part: parsed cell by cell, rebuilt with every other byte as written."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import xlsxwriter

import xlsx_corpus as corpus
from dunning.io.xlsx.rows import RawCell, Row, parse_row

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW = (
    '<row r="3" spans="1:3" ht="20" customHeight="1" s="2" customFormat="1" hidden="1" '
    'x14ac:dyDescent="0.25"><c r="A3" s="1"><v>1</v></c>'
    '<c r="C3" t="inlineStr"><is><t>a &lt; b</t></is></c><c r="D3" s="4"/>'
    '<c r="E3"><f>A3*2</f><v>2</v></c></row>'
)


def parsed(xml, prefix=""):
    """The row element as an XML parser reads it (namespaces declared around it)."""
    declared = f'xmlns{":" + prefix[:-1] if prefix else ""}="{MAIN}"'
    wrapper = f'<sheetData {declared} xmlns:x14ac="urn:x14ac">{xml}</sheetData>'
    return ET.fromstring(wrapper)[0]


def test_parse_row_keeps_each_cell_as_written():
    row = parse_row(ROW, 3, "")
    assert row.number == 3 and sorted(row.cells) == [1, 3, 4, 5]
    assert row.cells[3].xml == '<c r="C3" t="inlineStr"><is><t>a &lt; b</t></is></c>'
    assert [row.cells[col].style for col in (1, 3, 4, 5)] == [1, 0, 4, 0]
    assert [row.cells[col].has_content("") for col in (1, 3, 4, 5)] == [True, True, False, True]
    assert [row.cells[col].has_formula("") for col in (1, 3, 4, 5)] == [False, False, False, True]


def test_an_unedited_row_is_rebuilt_byte_for_byte_except_its_spans():
    rebuilt = parse_row(ROW, 3, "").xml("")
    assert rebuilt == ROW.replace('spans="1:3"', 'spans="1:5"')  # spans follow the cells
    element = parsed(rebuilt)
    assert [cell.get("r") for cell in element] == ["A3", "C3", "D3", "E3"]


def test_cells_without_a_reference_are_numbered_as_the_schema_says():
    row = parse_row('<row><c><v>1</v></c><c t="s"><v>0</v></c><c r="E2"/><c><v>6</v></c></row>',
                    2, "")
    assert sorted(row.cells) == [1, 2, 5, 6]
    assert [parsed(cell.xml).get("r") for cell in row.cells.values()] == ["A2", "B2", "E2", "F2"]


def test_a_self_closed_row_has_no_cells_and_closes_when_rebuilt():
    row = parse_row('<row r="4" spans="1:2" ht="30" customHeight="1"/>', 4, "")
    assert row.cells == {}
    assert row.xml("") == '<row r="4" ht="30" customHeight="1"></row>'


def test_prefixed_rows():
    xml = ('<x:row r="1"><x:c r="B1"><x:v>1</x:v></x:c>'
           '<x:c r="C1" t="inlineStr"><x:is><x:t>c</x:t></x:is></x:c></x:row>')
    row = parse_row(xml, 1, "x:")
    assert sorted(row.cells) == [2, 3] and row.cells[3].has_content("x:")
    assert not row.cells[2].has_content("")  # the prefix must be given to be found
    assert row.xml("x:") == xml
    assert [cell.text for cell in parsed(row.xml("x:"), "x:").iter(f"{{{MAIN}}}t")] == ["c"]


def test_moving_a_row_renumbers_its_cells_and_keeps_formulas_as_written():
    moved = parse_row(ROW, 3, "").moved_to(9)
    element = parsed(moved.xml(""))
    assert element.get("r") == "9"
    assert [cell.get("r") for cell in element] == ["A9", "C9", "D9", "E9"]
    assert element.find(f"{{{MAIN}}}c[@r='E9']/{{{MAIN}}}f").text == "A3*2"
    assert moved.cells[4].xml == '<c r="D9" s="4"/>'


def test_a_new_row_copies_the_look_not_the_state_of_the_row_above():
    like = parse_row(ROW, 3, "")
    tag = Row.new(7, "", like=like).tag
    assert tag.startswith('<row r="7" ')
    element = parsed(Row.new(7, "", like=like).xml(""))
    assert element.get("r") == "7" and len(element) == 0
    assert (element.get("ht"), element.get("customHeight")) == ("20", "1")
    assert (element.get("s"), element.get("customFormat")) == ("2", "1")
    assert "x14ac:dyDescent" in tag
    assert element.get("hidden") is None and element.get("spans") is None
    assert Row.new(7, "x:").xml("x:") == '<x:row r="7"></x:row>'


def test_spans_follow_the_cells_and_go_with_the_last_one():
    row = parse_row(ROW, 3, "")
    row.cells.clear()
    assert "spans" not in row.xml("")
    row.cells[2] = RawCell(2, '<c r="B3"><v>5</v></c>')
    row.cells[9] = RawCell(9, '<c r="I3"><v>6</v></c>')
    assert 'spans="2:9"' in row.xml("")
    assert re.findall(r'r="(\w+)"', row.xml("")) == ["3", "B3", "I3"]


@pytest.mark.parametrize("maker", ["xlsxwriter", "openpyxl"])
def test_rows_of_real_sheets(tmp_path, maker):
    if maker == "xlsxwriter":
        path = tmp_path / "rows.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("ContactLog")
        sheet.write_row(0, 0, corpus.CONTACT_HEADERS)
        sheet.write_row(1, 0, ["2024-03-01", "C1", None, 120.0])
        sheet.write_formula(1, 4, "=D2*0.1", None, 12)
        sheet.set_row(1, 30)
        book.close()
    else:
        path = corpus.build_openpyxl(tmp_path / "rows.xlsx")
    text = corpus.members(path)[corpus.sheet_part(path, "ContactLog")].decode()
    xml = re.search(r'<row r="2".*?</row>', text, re.S).group(0)
    row = parse_row(xml, 2, "")
    assert {1, 2, 4, 5} <= set(row.cells) and row.cells[2].has_content("")
    assert row.cells[5].has_formula("") == (maker == "xlsxwriter")
    assert parsed(row.moved_to(12).xml("")).get("r") == "12"
    own_spans = f'spans="{min(row.cells)}:{max(row.cells)}"'
    assert row.xml("") == re.sub(r'spans="[^"]*"', own_spans, xml)  # only spans may narrow
