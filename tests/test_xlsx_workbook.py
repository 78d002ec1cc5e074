"""workbook.xml and its bookkeeping: sheets, defined names, relationships, content types."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.io.xlsx import UnsupportedWorkbookError
from dunning.io.xlsx.package import Package
from dunning.io.xlsx.workbook import (
    CALC_CHAIN_REL,
    MAIN_NS,
    STRICT_NS,
    WORKSHEET_TYPE,
    WorkbookPart,
    add_content_type_override,
    add_relationship,
    check_sheet_name,
    read_rels,
    remove_content_type_override,
    remove_relationships,
)
from test_xlsx_package import written

NEW_SHEET = f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'
CHAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"


def rewritten(path, edit):
    """`path` with its members replaced by `edit(members)` (a dict of name -> bytes)."""
    parts = edit(corpus.members(path))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def strict_copy(path):
    """An openpyxl workbook with the Strict Open XML namespace, as Excel's "Strict" save has."""

    def edit(parts):
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            MAIN_NS.encode(), STRICT_NS.encode())
        return parts

    return rewritten(corpus.build_openpyxl(path), edit)


def with_chartsheet(path):
    """Data, a chart sheet, Tail; a global and a Tail-local defined name; app.xml by xlsxwriter."""
    book = xlsxwriter.Workbook(str(path))
    data = book.add_worksheet("Data")
    data.write_column(0, 0, [1, 2, 3])
    chart = book.add_chart({"type": "line"})
    chart.add_series({"values": "=Data!$A$1:$A$3"})
    book.add_chartsheet("Chart").set_chart(chart)
    book.add_worksheet("Tail").write("B2", 7)
    book.define_name("Global", "=Data!$A$1")
    book.define_name("Tail!Here", "=Tail!$B$2")
    book.close()
    return path


def opened(path):
    package = Package(path)
    return package, WorkbookPart(package)


def children(xml):
    return [element.tag.split("}")[1] for element in ET.fromstring(xml)]


@pytest.mark.parametrize("maker", ["xlsxwriter", "openpyxl"])
def test_sheets_are_listed_with_their_parts(tmp_path, maker):
    if maker == "xlsxwriter":
        path = corpus.build_xlsxwriter(tmp_path / "book.xlsx")
    else:
        path = corpus.build_openpyxl(tmp_path / "book.xlsx")  # absolute targets: /xl/...
    package, book = opened(path)
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert [entry.name for entry in book.sheets()] == names
    assert [entry.part for entry in book.sheets()] == [corpus.sheet_part(path, n) for n in names]
    assert [entry.sheet_id for entry in book.sheets()] == list(range(1, len(names) + 1))
    assert {entry.kind for entry in book.sheets()} == {"worksheet"}
    assert book.styles_part() == "xl/styles.xml" and book.part == "xl/workbook.xml"
    package.close()


def test_sheet_lookup_ignores_case_and_decodes_names(tmp_path):
    path = tmp_path / "names.xlsx"
    made = openpyxl.Workbook()
    made.active.title = "R&D <Q1>"
    made.create_sheet("Übersicht")
    made.save(path)
    package, book = opened(path)
    assert book.sheet("r&d <q1>").name == "R&D <Q1>"
    assert book.sheet("ÜBERSICHT").part == corpus.sheet_part(path, "Übersicht")
    assert book.sheet("Ubersicht") is None
    assert book.sheet("Missing") is None
    package.close()


def test_chart_sheets_are_told_apart(tmp_path):
    package, book = opened(with_chartsheet(tmp_path / "charts.xlsx"))
    kinds = [(entry.name, entry.kind, entry.part) for entry in book.sheets()]
    assert kinds == [("Data", "worksheet", "xl/worksheets/sheet1.xml"),
                     ("Chart", "chartsheet", "xl/chartsheets/sheet1.xml"),
                     ("Tail", "worksheet", "xl/worksheets/sheet2.xml")]
    package.close()


def test_the_date_system(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    package, book = opened(path)
    assert not book.date1904
    package.close()
    loaded = openpyxl.load_workbook(path)
    loaded.epoch = CALENDAR_MAC_1904
    loaded.save(path)
    package, book = opened(path)
    assert book.date1904
    package.close()


def test_strict_open_xml_is_refused(tmp_path):
    package = Package(strict_copy(tmp_path / "strict.xlsx"))
    with pytest.raises(UnsupportedWorkbookError, match="Strict Open XML"):
        WorkbookPart(package)
    package.close()


def test_a_package_without_a_workbook_part_is_refused(tmp_path):
    def edit(parts):
        parts["_rels/.rels"] = re.sub(rb"<Relationship [^>]*officeDocument\"[^>]*/>", b"",
                                      parts["_rels/.rels"])
        return parts

    package = Package(rewritten(corpus.build_openpyxl(tmp_path / "book.xlsx"), edit))
    with pytest.raises(UnsupportedWorkbookError, match="has no workbook part"):
        WorkbookPart(package)
    package.close()


def test_an_added_sheet_is_registered_everywhere(tmp_path):
    path = with_chartsheet(tmp_path / "charts.xlsx")
    package, book = opened(path)
    ids = {rel.id for rel in book.rels}
    entry = book.add_worksheet("New & Old", NEW_SHEET)
    assert (entry.name, entry.sheet_id, entry.part) == ("New & Old", 4, "xl/worksheets/sheet3.xml")
    assert entry.rel_id not in ids and entry.rel_id in {rel.id for rel in book.rels}
    assert book.sheet("new & old") == entry
    result = written(package, tmp_path / "added.xlsx")
    package.close()
    parts = corpus.members(result)
    assert b'PartName="/xl/worksheets/sheet3.xml"' in parts["[Content_Types].xml"]
    assert WORKSHEET_TYPE.encode() in parts["[Content_Types].xml"]
    titles = re.findall(rb"<vt:lpstr>(.*?)</vt:lpstr>", parts["docProps/app.xml"])
    assert titles == [b"Worksheets", b"Charts", b"Named Ranges",  # the heading pairs
                      b"Data", b"Tail", b"New &amp; Old", b"Chart", b"Global", b"Tail!Here"]
    assert b"<vt:i4>3</vt:i4>" in parts["docProps/app.xml"]  # three worksheets now
    assert CalamineWorkbook.from_path(str(result)).sheet_names == [
        "Data", "Chart", "Tail", "New & Old"]
    loaded = openpyxl.load_workbook(result)
    assert loaded.sheetnames[-1] == "New & Old"


def test_defined_names_keep_pointing_where_they_did(tmp_path):
    package, book = opened(with_chartsheet(tmp_path / "charts.xlsx"))
    book.add_worksheet("Aging", NEW_SHEET)
    book.request_full_calculation()
    result = written(package, tmp_path / "names.xlsx")
    package.close()
    loaded = openpyxl.load_workbook(result)
    assert loaded.defined_names["Global"].attr_text == "Data!$A$1"
    assert loaded["Tail"].defined_names["Here"].attr_text == "Tail!$B$2"
    assert "Here" not in loaded["Aging"].defined_names


def test_sheet_names_excel_refuses(tmp_path):
    for name in ["", "x" * 32, "a/b", "a\\b", "a?", "a*", "a:b", "[a]", "'quoted", "end'",
                 "History", "history"]:
        with pytest.raises(UnsupportedWorkbookError, match="Excel does not allow") as raised:
            check_sheet_name(name, "Book.xlsx")
        assert raised.value.issues[0].sheet == "Book.xlsx"
    for name in ["x" * 31, "Aging 2024", "it's", "Histories", "R&D"]:
        check_sheet_name(name, "Book.xlsx")


def test_sheet_names_with_control_characters_are_refused_before_writing():
    with pytest.raises(UnsupportedWorkbookError, match="Excel does not allow"):
        check_sheet_name("Bell\x07", "Book.xlsx")


def test_an_existing_name_is_not_added_twice(tmp_path):
    package, book = opened(corpus.build_openpyxl(tmp_path / "book.xlsx"))
    with pytest.raises(ValueError, match="exists"):
        book.add_worksheet("WORKLIST", NEW_SHEET)
    assert package.edited == {}
    package.close()


def without_calc_pr(parts):
    parts["xl/workbook.xml"] = re.sub(rb"<calcPr[^>]*/>", b"", parts["xl/workbook.xml"])
    return parts


def test_full_calculation_is_requested_once(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")  # openpyxl already asks for it
    package, book = opened(path)
    book.request_full_calculation()
    assert package.edited == {}
    package.close()

    def plain(parts):
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b' fullCalcOnLoad="1"', b"")
        return parts

    package, book = opened(rewritten(path, plain))
    book.request_full_calculation()
    text = package.read_text("xl/workbook.xml")
    assert '<calcPr calcId="124519" fullCalcOnLoad="1"/>' in text
    package.close()


@pytest.mark.parametrize("names", [True, False])
def test_a_missing_calc_pr_goes_where_the_schema_wants_it(tmp_path, names):
    def edit(parts):
        parts = without_calc_pr(parts)
        if not names:
            parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"<definedNames/>", b"")
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"</workbook>", b"<oleSize ref=\"A1:B2\"/></workbook>")
        return parts

    path = rewritten(corpus.build_openpyxl(tmp_path / "book.xlsx"), edit)
    package, book = opened(path)
    book.request_full_calculation()
    order = children(package.read("xl/workbook.xml"))
    before = ["sheets", "definedNames"] if names else ["sheets"]
    assert order[order.index("sheets"):] == [*before, "calcPr", "oleSize"]
    result = written(package, tmp_path / "calc.xlsx")
    package.close()
    assert openpyxl.load_workbook(result).calculation.fullCalcOnLoad is True


def test_prefixed_workbook_xml(tmp_path):
    """Some tools write every element with a prefix (x:workbook); edits keep to it."""

    def prefixed(parts):
        text = without_calc_pr(parts)["xl/workbook.xml"].decode()
        text = text.replace(f'xmlns="{MAIN_NS}"', f'xmlns:x="{MAIN_NS}"')
        text = re.sub(r"<(/?)(?![?!])(\w+)(?=[\s/>])", r"<\1x:\2", text)
        parts["xl/workbook.xml"] = text.encode()
        return parts

    path = rewritten(corpus.build_openpyxl(tmp_path / "book.xlsx"), prefixed)
    package, book = opened(path)
    assert book.prefix == "x:" and [entry.name for entry in book.sheets()] == [
        "ContactLog", "Worklist"]
    book.add_worksheet("Aging", NEW_SHEET)
    book.request_full_calculation()
    text = package.read_text("xl/workbook.xml")
    assert '<x:sheet xmlns:r="' in text and '<x:calcPr fullCalcOnLoad="1"/>' in text
    result = written(package, tmp_path / "prefixed.xlsx")
    package.close()
    assert CalamineWorkbook.from_path(str(result)).sheet_names == [
        "ContactLog", "Worklist", "Aging"]


def with_calc_chain(parts):
    chain = f'<calcChain xmlns="{MAIN_NS}"><c r="A1" i="1"/></calcChain>'
    parts["xl/calcChain.xml"] = chain.encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId9" Type="{CALC_CHAIN_REL}" Target="calcChain.xml"/>'
        "</Relationships>".encode())
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/calcChain.xml" ContentType="{CHAIN_TYPE}"/></Types>'.encode())
    return parts


def test_dropping_the_calc_chain_removes_part_relationship_and_type(tmp_path):
    path = rewritten(corpus.build_openpyxl(tmp_path / "book.xlsx"), with_calc_chain)
    package, book = opened(path)
    book.drop_calc_chain()
    assert CALC_CHAIN_REL not in {rel.type for rel in book.rels}
    result = written(package, tmp_path / "nochain.xlsx")
    package.close()
    parts = corpus.members(result)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in parts["[Content_Types].xml"]
    assert b"/xl/worksheets/sheet1.xml" in parts["[Content_Types].xml"]  # others stay
    assert openpyxl.load_workbook(result).sheetnames == ["ContactLog", "Worklist"]


def test_relationships_get_free_ids_and_are_removed_by_type(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")  # workbook rels rId1..rId4
    package = Package(path)
    first = add_relationship(package, "xl/workbook.xml", "urn:type:a", "a.xml")
    second = add_relationship(package, "xl/workbook.xml", "urn:type:a", "b&c.xml")
    assert (first, second) == ("rId5", "rId6")
    rels = read_rels(package, "xl/workbook.xml")
    assert [(rel.id, rel.target) for rel in rels][-2:] == [("rId5", "a.xml"), ("rId6", "b&c.xml")]
    remove_relationships(package, "xl/workbook.xml", "urn:type:a")
    assert [rel.id for rel in read_rels(package, "xl/workbook.xml")] == [
        "rId1", "rId2", "rId3", "rId4"]
    new = add_relationship(package, "xl/worksheets/sheet2.xml", "urn:type:b", "../x.xml")
    assert new == "rId1"  # a part without relationships gets its .rels part
    assert package.has("xl/worksheets/_rels/sheet2.xml.rels")
    package.close()


def test_a_new_relationship_id_skips_the_ids_in_use(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    package = Package(path)
    rels = package.read_text("xl/_rels/workbook.xml.rels").replace('Id="rId4"', 'Id="rId5"')
    package.write("xl/_rels/workbook.xml.rels", rels)
    ids = {rel.id for rel in read_rels(package, "xl/workbook.xml")}
    new = add_relationship(package, "xl/workbook.xml", "urn:type:a", "a.xml")
    assert ids == {"rId1", "rId2", "rId3", "rId5"}
    assert new == "rId6"  # rId5, the count plus one, is taken
    package.close()


def test_content_type_overrides(tmp_path):
    package = Package(corpus.build_openpyxl(tmp_path / "book.xlsx"))
    add_content_type_override(package, "xl/extra.xml", "application/x-test+xml")
    types = package.read_text("[Content_Types].xml")
    assert '<Override PartName="/xl/extra.xml" ContentType="application/x-test+xml"/>' in types
    remove_content_type_override(package, "XL/Extra.xml")  # part names compare without case
    assert package.read_text("[Content_Types].xml").count("/xl/extra.xml") == 0
    before = package.read("[Content_Types].xml")
    remove_content_type_override(package, "xl/never.xml")
    assert package.read("[Content_Types].xml") == before
    assert len(ET.fromstring(before)) > 3
    package.close()
