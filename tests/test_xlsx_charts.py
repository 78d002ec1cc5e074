"""Native charts as parts: chart XML that parses and names its ranges, drawings wired by rels
and content types, reruns that reuse their parts, and drawings of others left alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import WorkbookEdit
from dunning.io.xlsx.charts import C_NS, Chart, Series, chart_xml, drawing_xml
from ooxml_schema import chart_errors, chart_parts, drawing_errors, invalid_parts

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_templates" / "Dunning-Client.xlsx"
NS = {"c": C_NS}
AGING = Chart("column", "Aging & more", (Series("EUR", "Data!$B$2:$B$7", "Data!$A$2:$A$7"),),
              (3, 0, 10, 15))
TREND = Chart("line", "DSO", (Series("DSO", "'My Data'!$C$2:$C$9", "'My Data'!$A$2:$A$9"),
                              Series("Best", "'My Data'!$D$2:$D$9", "'My Data'!$A$2:$A$9")),
              (3, 16, 10, 30), number_format="0")


@pytest.mark.parametrize("chart", [AGING, TREND, Chart("bar", "Top", AGING.series, (0, 0, 1, 1))])
def test_chart_xml_is_well_formed_and_names_its_ranges(chart):
    root = etree.fromstring(chart_xml(chart).encode())
    assert root.tag == f"{{{C_NS}}}chartSpace"
    series = root.findall(".//c:ser", NS)
    assert [s.findtext("c:val/c:numRef/c:f", namespaces=NS) for s in series] == [
        item.values for item in chart.series]
    assert [s.findtext("c:cat/c:strRef/c:f", namespaces=NS) for s in series] == [
        item.categories for item in chart.series]
    assert [s.findtext("c:tx/c:v", namespaces=NS) for s in series] == [
        item.name for item in chart.series]
    plot = root.find("c:chart/c:plotArea", NS)
    kind = {"line": "lineChart", "column": "barChart", "bar": "barChart"}[chart.kind]
    assert plot.find(f"c:{kind}", NS) is not None
    # both axes exist and cross each other, as the schema requires
    ids = [e.get("val") for e in plot.findall(f"c:{kind}/c:axId", NS)]
    assert ids == [plot.find("c:catAx/c:axId", NS).get("val"),
                   plot.find("c:valAx/c:axId", NS).get("val")]
    assert "".join(root.find("c:chart/c:title", NS).itertext()) == chart.title


DATED = Chart("line", "CEI", (Series("CEI", "KPIHistory!$F$2:$F$9", "KPIHistory!$A$2:$A$9"),),
              (0, 0, 8, 14), number_format="0%", category_format="yyyy-mm-dd",
              connect_gaps=True)
MANY = Chart("bar", "Ten <largest> & \"more\"",
             tuple(Series(f"S{i}", f"Data!${c}$2:${c}$11", "Data!$A$2:$A$11")
                   for i, c in enumerate("BCDEFG")), (0, 20, 12, 40), number_format="#,##0.00")


@pytest.mark.parametrize("chart", [AGING, TREND, DATED, MANY,
                                   Chart("bar", "Top", AGING.series, (0, 0, 1, 1))])
def test_every_kind_of_chart_part_validates_against_the_ooxml_schema(chart):
    """ISO/IEC 29500-4's dml-chart.xsd: element order, required children, value types."""
    assert chart_errors(chart_xml(chart)) == []
    assert drawing_errors(drawing_xml([chart, AGING], ["rId1", "rId2"])) == []


def test_the_schema_check_can_fail():
    broken = chart_xml(AGING).replace("<c:plotArea>", "<c:plotArea><c:nonsense/>", 1)
    assert broken != chart_xml(AGING) and chart_errors(broken)


def test_drawing_places_each_chart_in_its_cells():
    root = etree.fromstring(drawing_xml([AGING, TREND], ["rId1", "rId2"]).encode())
    anchors = root.findall("{*}twoCellAnchor")
    assert [(a.findtext("{*}from/{*}col"), a.findtext("{*}to/{*}row")) for a in anchors] == [
        ("3", "15"), ("3", "30")]
    refs = [a.find(".//c:chart", NS).get(f"{{{corpus_rel()}}}id") for a in anchors]
    assert refs == ["rId1", "rId2"]


def corpus_rel() -> str:
    return "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "book.xlsx"
    shutil.copy(TEMPLATE, path)
    return path


def draw(path, charts, sheet="Data"):
    with WorkbookEdit(path) as edit:
        edit.replace_sheet(sheet, [["Bucket", "Amount"], ["Current", 10], ["1-30", 20]])
        edit.set_charts(sheet, charts)


def test_charts_are_written_as_parts_with_rels_and_content_types(book):
    before = corpus.raw_members(book)
    draw(book, [AGING, AGING])
    assert len(chart_parts(book)) == 2 and invalid_parts(book) == {}
    parts = corpus.members(book)
    assert {"xl/drawings/drawing1.xml", "xl/charts/chart1.xml", "xl/charts/chart2.xml",
            "xl/drawings/_rels/drawing1.xml.rels"} <= set(parts)
    types = parts["[Content_Types].xml"].decode()
    assert 'PartName="/xl/drawings/drawing1.xml"' in types
    assert types.count("drawingml.chart+xml") == 2
    sheet = parts[corpus.sheet_part(book, "Data")].decode()
    assert "<drawing " in sheet and sheet.index("<drawing ") < sheet.index("</worksheet>")
    for name in parts:
        if name.endswith((".xml", ".rels")):
            etree.fromstring(parts[name])  # every part parses
    # the parts the edit did not need are byte for byte as they were
    after = corpus.raw_members(book)
    untouched = [name for name in before if name.startswith(("xl/worksheets/sheet3",
                                                             "xl/tables/", "xl/theme/"))]
    assert untouched and all(after[name] == before[name] for name in untouched)
    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Data").to_python()[1] == [
        "Current", 10.0]


def test_a_rerun_rewrites_the_same_parts(book):
    draw(book, [AGING, TREND])
    first = set(corpus.members(book))
    draw(book, [TREND, AGING])
    parts = corpus.members(book)
    assert set(parts) == first
    assert b"'My Data'!$C$2:$C$9" in parts["xl/charts/chart1.xml"]
    assert parts[corpus.sheet_part(book, "Data")].count(b"<drawing ") == 1


def test_a_drawing_dunning_did_not_make_is_refused(tmp_path):
    path = tmp_path / "theirs.xlsx"
    shutil.copy(Path(__file__).parent / "data" / "xlsxwriter" / "table37.xlsx", path)
    before = path.read_bytes()
    with pytest.raises(DunningInputError, match="drawings Dunning did not make"), \
            WorkbookEdit(path) as edit:
        edit.set_charts("Sheet1", [AGING])
    assert path.read_bytes() == before


def test_charts_no_longer_drawn_lose_their_parts(book):
    draw(book, [AGING, TREND, AGING])
    draw(book, [TREND])
    parts = corpus.members(book)
    assert "xl/charts/chart1.xml" in parts
    assert not {"xl/charts/chart2.xml", "xl/charts/chart3.xml"} & set(parts)
    assert parts["[Content_Types].xml"].count(b"drawingml.chart+xml") == 1
    assert parts["xl/drawings/_rels/drawing1.xml.rels"].count(b"<Relationship ") == 1
