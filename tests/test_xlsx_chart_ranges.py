"""Chart series over a table's columns grow when rows are appended, in an Excel-made workbook
(XlsxWriter's table37.xlsx reference file) and in Dunning's own owned tables."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

import libreoffice
import xlsx_corpus as corpus
from dunning.io.xlsx import WorkbookEdit, append_rows
from dunning.io.xlsx.chart_ranges import grow_series
from dunning.io.xlsx.charts import Chart, Series
from dunning.io.xlsx.package import Package

EXCEL_MADE = Path(__file__).parent / "data" / "xlsxwriter" / "table37.xlsx"
NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}


def formulas(path: Path) -> list[str]:
    root = etree.fromstring(corpus.members(path)["xl/charts/chart1.xml"])
    return [f.text for f in root.iterfind(".//c:f", NS)]


@pytest.fixture
def excel_made(tmp_path):
    path = tmp_path / "table37.xlsx"
    shutil.copy(EXCEL_MADE, path)
    return path


def test_an_excel_made_chart_on_a_table_grows_with_an_append(excel_made):
    assert formulas(excel_made) == ["Sheet1!$B$1", "Sheet1!$A$2:$A$6", "Sheet1!$B$2:$B$6"]
    before = corpus.raw_members(excel_made)
    append_rows(excel_made, "Table1", [[6, 30], [7, 35]])
    # the header (series name) stays; both data columns reach the new last row
    assert formulas(excel_made) == ["Sheet1!$B$1", "Sheet1!$A$2:$A$8", "Sheet1!$B$2:$B$8"]
    after = corpus.raw_members(excel_made)
    assert after["xl/drawings/drawing1.xml"] == before["xl/drawings/drawing1.xml"]
    assert after["xl/theme/theme1.xml"] == before["xl/theme/theme1.xml"]
    rows = CalamineWorkbook.from_path(str(excel_made)).get_sheet_by_name("Sheet1").to_python()
    assert rows[-1] == [7.0, 35.0]
    etree.fromstring(corpus.members(excel_made)["xl/charts/chart1.xml"])


def test_only_whole_data_columns_of_that_table_grow(excel_made):
    package = Package(excel_made)
    try:
        text = package.read_text("xl/charts/chart1.xml")
        text = text.replace("<c:f>Sheet1!$B$1</c:f>", "<c:f>Sheet1!$B$3:$B$6</c:f>", 1)
        package.write("xl/charts/chart1.xml", text.replace(
            "Sheet1!$A$2:$A$6", "(Sheet1!$A$2:$A$6,Other!$A$2:$A$6)"))
        grown = grow_series(package, "sheet1", first_row=2, last_row=6, min_col=1, max_col=2,
                            new_last_row=9)
        found = re.findall(r"<c:f>(.*?)</c:f>", package.read_text("xl/charts/chart1.xml"))
    finally:
        package.close()
    assert grown == 2
    assert found == ["Sheet1!$B$3:$B$6", "(Sheet1!$A$2:$A$9,Other!$A$2:$A$6)",
                     "Sheet1!$B$2:$B$9"]


def test_a_chart_on_an_owned_table_grows_when_the_table_is_rewritten(tmp_path):
    path = tmp_path / "book.xlsx"
    shutil.copy(Path(__file__).resolve().parents[1] / "workbook_templates" /
                "Dunning-Client.xlsx", path)
    chart = Chart("line", "DSO", (Series("DSO", "Hist!$B$2:$B$3", "Hist!$A$2:$A$3"),),
                  (4, 0, 10, 12))
    rows = [["Day", "DSO"], ["d1", 50.0], ["d2", 52.0]]
    with WorkbookEdit(path) as edit:
        edit.replace_sheet("Hist", rows, table="History")
    with WorkbookEdit(path) as edit:
        edit.replace_sheet("Plot", [["chart below"]])
        edit.set_charts("Plot", [chart])
    with WorkbookEdit(path) as edit:
        edit.replace_sheet("Hist", [*rows, ["d3", 55.0], ["d4", 51.0]], table="History")
    assert formulas(path) == ["Hist!$A$2:$A$5", "Hist!$B$2:$B$5"]
    table = next(v for k, v in corpus.members(path).items() if k.startswith("xl/tables/")
                 and b'name="History"' in v)
    assert b'ref="A1:B5"' in table


@pytest.mark.skipif(libreoffice.soffice_path() is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_grown_workbook(excel_made, tmp_path):
    append_rows(excel_made, "Table1", [[6, 30]])
    [converted] = corpus.libreoffice_convert([excel_made], tmp_path / "out", "ods")
    assert converted.stat().st_size > 0


def test_a_chart_reference_splits_into_its_sheet_rows_and_columns():
    from dunning.io.xlsx.chart_ranges import split_range

    assert split_range("KPIHistory!$E$2:$F$9") == ("KPIHistory", 2, 5, 9, 6)
    assert split_range("'Bob''s KPIs'!$AA$3") == ("Bob's KPIs", 3, 27, 3, 27)
    with pytest.raises(ValueError, match="not a range reference"):
        split_range("E2:F9")
