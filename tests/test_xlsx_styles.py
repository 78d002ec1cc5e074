"""Cell styles of real styles.xml parts: date detection, and variants reused before added."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest

import xlsx_corpus as corpus
from dunning.io.xlsx.package import Package
from dunning.io.xlsx.styles import DATE_FORMAT, DATETIME_FORMAT, Styles, is_date_format
from test_xlsx_package import written

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def styles_of(path):
    return Styles(corpus.members(path)["xl/styles.xml"].decode())


def cell_style(path, sheet, ref):
    text = corpus.members(path)[corpus.sheet_part(path, sheet)].decode()
    found = re.search(rf'<c r="{ref}"(?: s="(\d+)")?', text)
    return int(found.group(1) or 0)


def cell_xfs(xml):
    return ET.fromstring(xml).find(f"{MAIN}cellXfs")


@pytest.mark.parametrize(
    "code", ["mm:ss", "[h]:mm", "[mm]:ss", "h:mm AM/PM", "[$-409]dddd, mmmm d, yyyy",
             'd "de" mmmm', "yyyy;@", "m/d/yy h:mm", "[Blue]dd.mm.yyyy"])
def test_date_and_time_codes(code):
    assert is_date_format(code)


@pytest.mark.parametrize(
    "code", ["General", "general", "0.00E+00", '#,##0 "days"', "\\d0", "_(* #,##0_)", "@",
             "[Red][<=100]0", "[$€-407] #,##0.00", "0;yyyy", "#,##0.00 [$USD]", '"hms"0'])
def test_codes_that_are_not_dates(code):
    assert not is_date_format(code)


def test_dates_in_an_xlsxwriter_workbook(tmp_path):
    path = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    styles = styles_of(path)
    date, money = cell_style(path, "Invoices", "C2"), cell_style(path, "Invoices", "D2")
    assert styles.number_format(date) == 164 and styles.is_date(date)  # custom yyyy-mm-dd
    assert styles.number_format(money) == 165 and not styles.is_date(money)  # custom #,##0.00
    assert not styles.is_date(0)
    assert styles.number_format(99) == 0 and not styles.is_date(-1)  # no such style


def test_a_date_variant_is_added_once_and_readers_see_it(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    styles = styles_of(path)
    money = cell_style(path, "ContactLog", "D2")
    count = len(cell_xfs(styles.xml))
    variant = styles.variant(money, number_format=DATE_FORMAT)
    assert variant == count and styles.changed
    assert styles.variant(money, number_format=DATE_FORMAT) == variant  # once per save
    assert styles.is_date(variant) and not styles.is_date(money)
    text = styles.text()
    assert cell_xfs(text).get("count") == str(count + 1) == str(len(cell_xfs(text)))
    before = styles.xml
    outside = re.compile(r"<cellXfs\b.*</cellXfs>", re.S)
    assert outside.sub("", text) == outside.sub("", before)  # nothing else changes
    package = Package(path)
    sheet = corpus.sheet_part(path, "ContactLog")
    package.write("xl/styles.xml", text)
    restyled = re.sub(r'<c r="D2" s="\d+"', f'<c r="D2" s="{variant}"', package.read_text(sheet))
    package.write(sheet, restyled)
    result = written(package, tmp_path / "dated.xlsx")
    package.close()
    cell = openpyxl.load_workbook(result)["ContactLog"]["D2"]
    assert cell.is_date and cell.value == dt.datetime(1900, 4, 29)  # 120 as a date


def test_styles_an_earlier_tool_made_are_reused(tmp_path):
    path = tmp_path / "made.xlsx"
    made = openpyxl.Workbook()
    sheet = made.active
    sheet["A1"], sheet["B1"] = "=text", dt.datetime(2024, 1, 2, 3, 4)
    sheet["A1"].data_type, sheet["A1"].quotePrefix = "s", True
    sheet["B1"].number_format = "m/d/yy h:mm"  # built-in 22
    made.save(path)
    styles = styles_of(path)
    quoted, stamped = cell_style(path, "Sheet", "A1"), cell_style(path, "Sheet", "B1")
    assert styles.variant(0, quote_prefix=True) == quoted
    assert styles.variant(quoted, quote_prefix=True) == quoted
    assert styles.number_format(stamped) == DATETIME_FORMAT
    assert not styles.changed


def test_a_variant_keeps_what_made_the_style(tmp_path):
    path = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    styles = styles_of(path)
    bold = cell_style(path, "Worklist", "A1")  # bold on a coloured fill
    variant = styles.variant(bold, quote_prefix=True)
    added = cell_xfs(styles.text())[variant]
    original = cell_xfs(styles.xml)[bold]
    assert added.get("quotePrefix") == "1"
    assert {k: v for k, v in added.attrib.items() if k != "quotePrefix"} == original.attrib
    both = styles.variant(bold, number_format=DATE_FORMAT, quote_prefix=True)
    assert both not in (bold, variant)
    assert cell_xfs(styles.text())[both].get("fillId") == original.get("fillId")


def test_without_styles_the_style_is_kept():
    for xml in (None, '<styleSheet xmlns="x"><cellXfs count="0"/></styleSheet>'):
        styles = Styles(xml)
        assert styles.variant(3, number_format=DATE_FORMAT) == 3
        assert styles.variant(0, quote_prefix=True) == 0
        assert not styles.changed and not styles.is_date(3)


def test_an_unknown_style_index_varies_the_default_style():
    styles = Styles('<styleSheet xmlns="x"><cellXfs count="2"><xf numFmtId="0" fontId="0"/>'
                    '<xf numFmtId="0" fontId="7"/></cellXfs></styleSheet>')
    variant = styles.variant(42, quote_prefix=True)
    assert variant == 2
    assert '<xf numFmtId="0" fontId="0" quotePrefix="1"/>' in styles.text()


# ---------------------------------------------------------------- owned-sheet styles


def test_cell_styles_are_added_beside_the_existing_ones_and_reused(tmp_path):
    from dunning.io.xlsx.styles import CellStyle

    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    xml = corpus.members(path)["xl/styles.xml"].decode()
    styles = Styles(xml)
    before = [ET.tostring(xf) for xf in cell_xfs(xml)]
    money = styles.style(CellStyle("#,##0.00"))
    header = styles.style(CellStyle(bold=True, fill="DDEBF7"))
    euro = styles.style(CellStyle('#,##0.00 "EUR"'))
    assert styles.style(CellStyle("#,##0.00")) == money
    text = styles.text()
    root = ET.fromstring(text)
    after = list(root.find(f"{MAIN}cellXfs"))
    assert [ET.tostring(xf) for xf in after[: len(before)]] == before  # nothing moved
    assert int(root.find(f"{MAIN}cellXfs").get("count")) == len(after)
    assert after[money].get("numFmtId") == "4"  # the built-in #,##0.00
    codes = {f.get("numFmtId"): f.get("formatCode") for f in root.iter(f"{MAIN}numFmt")}
    assert codes[after[euro].get("numFmtId")] == '#,##0.00 "EUR"'
    fonts = list(root.find(f"{MAIN}fonts"))
    assert int(root.find(f"{MAIN}fonts").get("count")) == len(fonts)
    assert fonts[int(after[header].get("fontId"))].find(f"{MAIN}b") is not None
    # a second run over the written styles adds nothing
    again = Styles(text)
    assert again.style(CellStyle('#,##0.00 "EUR"')) == euro
    assert again.style(CellStyle(bold=True, fill="DDEBF7")) == header
    assert not again.changed


def test_a_styles_part_without_number_formats_gets_its_list(tmp_path):
    from dunning.io.xlsx.styles import CellStyle

    xml = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<fonts count="1"><font/></fonts><fills count="2"><fill/><fill/></fills>'
           '<borders count="1"><border/></borders><cellXfs count="1"><xf numFmtId="0"/>'
           "</cellXfs></styleSheet>")
    styles = Styles(xml)
    index = styles.style(CellStyle("0.0%"))
    root = ET.fromstring(styles.text())
    assert root[0].tag == f"{MAIN}numFmts"
    assert root[0][0].get("formatCode") == "0.0%"
    assert list(root.find(f"{MAIN}cellXfs"))[index].get("numFmtId") == root[0][0].get("numFmtId")
