"""Finding the cells of a sheet that hold an Excel error, in its XML, where readers see blanks.

The reference is Excel itself (XlsxWriter's comparison files, saved by Excel: see
tests/data/xlsxwriter/README.md); python-calamine, the reader Dunning reads values with,
shows that those cells read as "" (the gap this module fills), and fastexcel's sheet
errors place them independently.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from dunning.io.xlsx import error_cells as module
from dunning.io.xlsx.error_cells import ErrorCell, error_cells, sheet_part

DATA = Path(__file__).parent / "data" / "xlsxwriter"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _calamine_cell(path: Path, sheet: str, row: int, column: int) -> object:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)
    return rows[row - 1][column - 1]


def _book(path: Path, sheet_data: str, *, sheet: str = "Data", prefix: str = "") -> Path:
    """A minimal .xlsx whose one sheet holds `sheet_data` (the XML inside <sheetData>)."""
    colon = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<{colon}worksheet {xmlns}="{MAIN}"><{colon}sheetData>{sheet_data}'
            f'</{colon}sheetData></{colon}worksheet>'),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_every_error_excel_saved_is_found_where_calamine_reads_a_blank():
    path = DATA / "formula_results01.xlsx"
    found = error_cells(path, "Sheet1")
    assert found == [ErrorCell(5, 1, "#DIV/0!"), ErrorCell(6, 1, "#N/A"), ErrorCell(7, 1, "#NAME?"),
                     ErrorCell(8, 1, "#NULL!"), ErrorCell(9, 1, "#NUM!"), ErrorCell(10, 1, "#REF!"),
                     ErrorCell(11, 1, "#VALUE!"), ErrorCell(12, 1, "#DIV/0!")]
    assert all(_calamine_cell(path, "Sheet1", cell.row, 1) == "" for cell in found)
    assert _calamine_cell(path, "Sheet1", 1, 1) == 2  # (a formula's number is read as it is)


def test_fastexcel_places_the_same_cells():
    fastexcel = pytest.importorskip("fastexcel")
    path = DATA / "formula_results01.xlsx"
    loaded = fastexcel.read_excel(str(path)).load_sheet(
        "Sheet1", header_row=None, dtypes="string", schema_sample_rows=None)
    _, errors = loaded.to_arrow_with_errors()
    placed = {(row + 1, column + 1) for row, column in (e.position for e in errors.errors)}
    assert placed == {(cell.row, cell.column) for cell in error_cells(path, "Sheet1")}


def test_a_picture_placed_in_a_cell_is_no_error():
    """Excel keeps a picture in a cell as #VALUE! with value metadata (vm): it shows the
    picture, not an error, and every reader reads the cell as a blank."""
    path = DATA / "embed_image01.xlsx"
    with zipfile.ZipFile(path) as archive:
        assert b't="e" vm="1"' in archive.read("xl/worksheets/sheet1.xml")
    assert _calamine_cell(path, "Sheet1", 1, 1) == ""
    assert error_cells(path, "Sheet1") == []


def test_cells_without_references_are_placed_by_counting(tmp_path):
    """`r` is optional on rows and cells: each is the one after the last (as calamine counts)."""
    path = _book(tmp_path / "bare.xlsx",
                 '<row><c t="inlineStr"><is><t>Amount</t></is></c><c><v>1</v></c></row>'
                 '<row><c><v>5</v></c><c t="e"><v>#N/A</v></c></row>'
                 '<row r="5"><c r="C5" t="e"><v>#REF!</v></c><c t="e"><v>#NUM!</v></c></row>')
    assert error_cells(path, "Data") == [ErrorCell(2, 2, "#N/A"), ErrorCell(5, 3, "#REF!"),
                                         ErrorCell(5, 4, "#NUM!")]
    assert _calamine_cell(path, "Data", 2, 2) == ""
    assert _calamine_cell(path, "Data", 2, 1) == 5


def test_prefixed_elements_quotes_and_values_less_cells(tmp_path):
    path = _book(tmp_path / "prefixed.xlsx",
                 "<x:row r='1'><x:c r='A1' t='e'><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c>"
                 '<x:c r="B1" s="3" t = "e" /><x:c r="C1" t="e"><x:v></x:v></x:c>'
                 '<x:c r="D1" t="s"><x:v>0</x:v></x:c></x:row>', prefix="x")
    assert error_cells(path, "Data") == [ErrorCell(1, 1, "#DIV/0!")]


def test_a_sheet_without_errors_is_searched_but_never_parsed(tmp_path, monkeypatch):
    def parsed(data):
        raise AssertionError("a sheet holding no error cell was parsed")

    monkeypatch.setattr(module, "_cells", parsed)
    text = '<row r="1"><c r="A1" t="inlineStr"><is><t>e</t></is></c><c r="B1"><v>1</v></c></row>'
    assert error_cells(_book(tmp_path / "clean.xlsx", text * 500), "Data") == []


def test_a_hint_across_a_chunk_boundary_is_not_missed(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "_CHUNK", 7)  # `t="e"` split between reads
    path = _book(tmp_path / "small.xlsx", '<row r="9"><c r="B9" t="e"><v>#N/A</v></c></row>')
    assert error_cells(path, "Data") == [ErrorCell(9, 2, "#N/A")]


def test_a_value_far_behind_its_attribute_is_found_across_chunks(tmp_path, monkeypatch):
    """The "#" of the value may come chunks after `t="e"` (a long formula between them)."""
    monkeypatch.setattr(module, "_CHUNK", 64)
    formula = "&quot;x&quot;&amp;" * 200 + "1/0"  # (escaped text, 3,600 bytes)
    path = _book(tmp_path / "far.xlsx",
                 f'<row r="2"><c r="C2" t="e"><f>{formula}</f><v>#DIV/0!</v></c></row>')
    assert error_cells(path, "Data") == [ErrorCell(2, 3, "#DIV/0!")]
    assert _calamine_cell(path, "Data", 2, 3) == ""


def test_no_sheet_or_no_workbook_gives_no_cells(tmp_path):
    path = _book(tmp_path / "book.xlsx", '<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>')
    assert error_cells(path, "Other") == []
    text = tmp_path / "text.xlsx"
    text.write_text("Invoice,Amount\n", encoding="utf-8")
    assert error_cells(text, "Data") == []
    with zipfile.ZipFile(path) as archive:
        assert sheet_part(archive, "Data") == "xl/worksheets/sheet1.xml"
        assert sheet_part(archive, "Other") is None
