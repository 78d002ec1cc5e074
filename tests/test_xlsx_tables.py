"""Excel Tables: their parts parsed, rows laid out by header, grown refs, and the appender."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest
import xlsxwriter
from openpyxl.worksheet.table import Table as OpenpyxlTable
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import cells
from dunning.io.xlsx.package import Package
from dunning.io.xlsx.refs import Area
from dunning.io.xlsx.styles import Styles
from dunning.io.xlsx.tables import (
    Appender,
    TableColumn,
    parse_table,
    resized_xml,
    rows_in_column_order,
    style_for,
    table_name,
)
from dunning.io.xlsx.worksheet import Worksheet
from test_xlsx_package import written

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TABLE = "xl/tables/table1.xml"
PREFIXED = (
    '<x:table xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="1" '
    'name="T_1" displayName="Log" ref="B2:D6" totalsRowCount="1">'
    '<x:autoFilter ref="B2:D5"><x:filterColumn colId="0"/></x:autoFilter>'
    '<x:sortState ref="B3:D5"><x:sortCondition ref="C3:C5"/></x:sortState>'
    '<x:tableColumns count="3"><x:tableColumn id="1" name="Line_x000a_Break"/>'
    '<x:tableColumn id="2" name="A &amp; B"/><x:tableColumn id="3" name="Big">'
    '<x:calculatedColumnFormula array="1">Log[[#This Row],[A &amp; B]]&gt;1'
    "</x:calculatedColumnFormula></x:tableColumn></x:tableColumns></x:table>"
)


class Opened:
    """One sheet and one table of a workbook file, parsed, and a way to write them back."""

    def __init__(self, path, sheet="ContactLog", table=TABLE):
        self.path = path
        self.parts = corpus.members(path)
        self.sheet_part = corpus.sheet_part(path, sheet)
        self.sheet = Worksheet(self.parts[self.sheet_part].decode(), sheet)
        self.table = parse_table(self.parts[table].decode(), table)
        self.styles = Styles(self.parts["xl/styles.xml"].decode())

    def appender(self, others=()):
        return Appender(self.sheet, self.table, self.styles, list(others), date1904=False)

    def save_as(self, target, ref):
        package = Package(self.path)
        package.write(self.sheet_part, self.sheet.text)
        package.write(self.table.part, resized_xml(self.table, Area.parse(ref).max_row
                                                   - self.table.totals_rows))
        if self.styles.changed:
            package.write("xl/styles.xml", self.styles.text())
        result = written(package, target)
        package.close()
        return result


def log_rows(path, sheet="ContactLog"):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_an_xlsxwriter_table_part(tmp_path):
    table = Opened(corpus.build_xlsxwriter(tmp_path / "rich.xlsx")).table
    assert (table.name, table.area, table.kind) == ("ContactLog", Area.parse("A1:F4"), "worksheet")
    assert (table.header_rows, table.totals_rows, table.data_first, table.data_last) == (1, 1, 2, 3)
    assert [column.name for column in table.columns] == corpus.CONTACT_HEADERS
    assert table.columns[4] == TableColumn("Fee", "ContactLog[[#This Row],[Amount]]*0.1")
    assert table.columns[3].formula is None  # a totals formula is not a calculated column


def test_an_openpyxl_table_part(tmp_path):
    table = Opened(corpus.build_openpyxl(tmp_path / "book.xlsx")).table
    assert (table.name, str(table.area), table.totals_rows, table.data_last) == (
        "ContactLog", "A1:F3", 0, 3)
    assert all(column.formula is None for column in table.columns)


def test_names_formulas_and_prefixes_are_decoded():
    table = parse_table(PREFIXED, "xl/tables/table9.xml")
    assert table.name == "Log" and table_name(PREFIXED) == "Log"  # displayName, not name
    assert [column.name for column in table.columns] == ["Line\nBreak", "A & B", "Big"]
    assert table.columns[2] == TableColumn("Big", "Log[[#This Row],[A & B]]>1", array=True)
    assert (table.data_first, table.data_last) == (3, 5)


def test_query_tables_and_tables_without_a_header():
    xml = ('<table xmlns="m" displayName="Q" ref="A1:B3" tableType="queryTable" '
           'headerRowCount="0"><tableColumns count="2"><tableColumn id="1" name="a"/>'
           '<tableColumn id="2" name="b"/></tableColumns></table>')
    table = parse_table(xml, "p")
    assert (table.kind, table.header_rows, table.data_first, table.data_last) == (
        "queryTable", 0, 1, 3)
    assert table_name('<table xmlns="m" name="OnlyName" ref="A1:B2"/>') == "OnlyName"


def test_a_resized_part_grows_ref_filter_and_sort():
    grown = resized_xml(parse_table(PREFIXED, "p"), 9)
    root = ET.fromstring(grown)
    assert root.get("ref") == "B2:D10"  # the totals row stays the last row
    assert root.find(f"{MAIN}autoFilter").get("ref") == "B2:D9"  # data only
    assert root.find(f"{MAIN}sortState").get("ref") == "B3:D9"
    assert grown.replace('"B2:D10"', '"B2:D6"').replace('"B2:D9"', '"B2:D5"').replace(
        '"B3:D9"', '"B3:D5"') == PREFIXED  # nothing else changes


def test_a_sort_state_that_did_not_reach_the_last_row_stays():
    xml = PREFIXED.replace('<x:sortState ref="B3:D5">', '<x:sortState ref="B3:D4">')
    root = ET.fromstring(resized_xml(parse_table(xml, "p"), 9))
    assert root.find(f"{MAIN}sortState").get("ref") == "B3:D4"


def test_no_autofilter_is_invented():
    xml = ('<table xmlns="m" displayName="T" ref="A1:B3" headerRowCount="1">'
           '<tableColumns count="2"><tableColumn id="1" name="a"/>'
           '<tableColumn id="2" name="b"/></tableColumns></table>')
    grown = resized_xml(parse_table(xml, "p"), 5)
    assert grown == xml.replace('ref="A1:B3"', 'ref="A1:B5"')


def test_a_resized_table_reads_back_in_openpyxl(tmp_path):
    opened = Opened(corpus.build_xlsxwriter(tmp_path / "rich.xlsx"))
    result = opened.save_as(tmp_path / "resized.xlsx", "A1:F6")
    table = openpyxl.load_workbook(result)["ContactLog"].tables["ContactLog"]
    assert (table.ref, table.autoFilter.ref, table.totalsRowCount) == ("A1:F6", "A1:F5", 1)


COLUMNS = [TableColumn("Date"), TableColumn("Customer"), TableColumn("Fee", "[@Amount]*0.1")]


def test_rows_are_laid_out_by_header_without_case():
    rows = [{"customer": "C1", "DATE": dt.date(2024, 1, 2)}, ["2024-01-03", "C2", None], {}]
    assert rows_in_column_order("Log", COLUMNS, rows, "Sheet") == [
        [dt.date(2024, 1, 2), "C1", None], ["2024-01-03", "C2", None], [None, None, None]]


def test_every_bad_row_is_reported_at_once():
    rows = [{"Custmer": "C1", "Note": "x"}, ["only one"], "a string", {"Fee": 3}, [1, 2, 3]]
    with pytest.raises(DunningInputError) as raised:
        rows_in_column_order("Log", COLUMNS, rows, "Sheet")
    messages = [issue.message for issue in raised.value.issues]
    assert messages == [
        "row 1 to append names 'Custmer', 'Note', which are not columns of table Log; "
        "its columns are Date, Customer, Fee",
        "row 2 to append has 1 values; table Log has 3 columns (Date, Customer, Fee)",
        "row 3 to append is a str, not a mapping or a list",
        "row 4 to append gives a value for Fee, which the table calculates; leave it out",
        "row 5 to append gives a value for Fee, which the table calculates; leave it out",
    ]
    assert {issue.sheet for issue in raised.value.issues} == {"Sheet"}
    assert raised.value.issues[3].column == "Fee"


def test_the_appender_fills_grows_and_moves_the_totals_row(tmp_path):
    opened = Opened(corpus.build_xlsxwriter(tmp_path / "rich.xlsx"))
    appender = opened.appender()
    assert appender.first_free_row() == 4
    values = [[dt.date(2024, 4, 1), "C3", "=not a formula", 10.0, None, "n"]] * 2
    result = appender.append(values)
    assert (result.first_row, result.last_row, result.ref, result.rows) == (4, 5, "A1:F6", 2)
    assert appender.moved_formulas
    text = opened.sheet.text
    assert '<c r="E5" s="' in text and "<f>ContactLog[[#This Row],[Amount]]*0.1</f>" in text
    totals = re.search(r'<row r="6".*?</row>', text).group(0)
    assert "SUBTOTAL(109,ContactLog[Amount])" in totals and "<v>" not in totals.split('r="D6"')[1]
    result_path = opened.save_as(tmp_path / "appended.xlsx", result.ref)
    rows = log_rows(result_path)
    assert rows[3][:4] == rows[4][:4] == [dt.date(2024, 4, 1), "C3", "=not a formula", 10.0]
    assert rows[5][0] == "Total"
    assert openpyxl.load_workbook(result_path)["ContactLog"]["C4"].quotePrefix


def test_an_empty_last_data_row_is_filled_first(tmp_path):
    path = tmp_path / "template.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Log")
    sheet.add_table("A1:C3", {"name": "Log", "data": [["C1", 1]], "columns": [
        {"header": "Customer"}, {"header": "Amount"},
        {"header": "Twice", "formula": "=[@Amount]*2"}]})
    book.close()
    opened = Opened(path, "Log")
    assert opened.appender().first_free_row() == 3  # row 3 holds only the calculated formula
    result = opened.appender().append([["C2", 2, None]])
    assert (result.first_row, result.ref) == (3, "A1:C3")
    assert [row[:2] for row in log_rows(opened.save_as(tmp_path / "out.xlsx", result.ref), "Log")
            ] == [["Customer", "Amount"], ["C1", 1.0], ["C2", 2.0]]


def merged_below(path):
    book = corpus.build_openpyxl(path)
    loaded = openpyxl.load_workbook(book)
    loaded["ContactLog"].merge_cells("B5:C5")
    loaded["ContactLog"].add_table(OpenpyxlTable(displayName="Below", ref="E7:F8"))
    loaded["ContactLog"]["E7"], loaded["ContactLog"]["F7"] = "x", "y"
    loaded.save(book)
    return book


def test_the_appender_refuses_to_grow_over_merged_cells_and_other_tables(tmp_path):
    opened = Opened(merged_below(tmp_path / "book.xlsx"))
    before = opened.sheet.text
    with pytest.raises(DunningInputError) as raised:
        opened.appender([Area.parse("E7:F8")]).append([[None, "C", None, None, None, None]] * 5)
    messages = [issue.message for issue in raised.value.issues]
    assert messages == ["table ContactLog needs to grow into this cell, which is not empty; "
                        "move what is below the table, then retry"] * 2 + [
        "table ContactLog would grow over merged cells B5:C5",
        "table ContactLog would grow into another table at E7:F8"]
    assert [(i.row, i.column_letter) for i in raised.value.issues[:2]] == [(7, "E"), (7, "F")]
    assert opened.sheet.text == before  # nothing was changed
    assert opened.appender().append([[None, "C", None, None, None, None]]).ref == "A1:F4"


def test_a_totals_formula_with_cell_references_cannot_move(tmp_path):
    opened = Opened(corpus.build_xlsxwriter(tmp_path / "rich.xlsx"))
    opened.sheet.text = opened.sheet.text.replace("SUBTOTAL(109,ContactLog[Amount])", "SUM(D2:D3)")
    with pytest.raises(DunningInputError, match="has a formula with cell references") as raised:
        opened.appender().append([[None, "C3", None, 1.0, None, None]])
    assert (raised.value.issues[0].row, raised.value.issues[0].column_letter) == (4, "D")


def test_values_that_need_another_style(tmp_path):
    styles = Opened(corpus.build_openpyxl(tmp_path / "book.xlsx")).styles
    date = style_for(styles, cells.encode(dt.date(2024, 1, 2)), 0)
    assert styles.is_date(date) and date != 0
    assert style_for(styles, cells.encode(dt.date(2024, 1, 2)), 1) == 1  # already a date
    quoted = style_for(styles, cells.encode("=x"), 0)
    assert quoted not in (0, date) and 'quotePrefix="1"' in styles.text()
    assert style_for(styles, cells.encode("plain"), 0) == 0
    assert style_for(styles, cells.encode(5), 2) == 2


def bottom_table(path):
    """A table whose last data row is the last row a sheet has."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Log")
    sheet.add_table("A1048574:B1048576", {"name": "Log", "columns": [
        {"header": "Customer"}, {"header": "Note"}]})
    sheet.write_string("A1048575", "x")
    sheet.write_string("A1048576", "y")
    book.close()
    return path


def test_a_table_at_the_bottom_of_the_sheet_cannot_grow(tmp_path):
    opened = Opened(bottom_table(tmp_path / "bottom.xlsx"), "Log")
    assert opened.appender().first_free_row() == 1_048_577
    with pytest.raises(DunningInputError, match="Log"):
        opened.appender().append([["z", None]])  # today: row 1048577, ref A1048574:B1048577
