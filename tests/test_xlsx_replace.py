"""Replacing the cells of a sheet Dunning owns, and creating it when it is missing."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import replace_sheet

WORKLIST = [
    ["Customer", "Open", "Action"],
    ["C1", 1250.5, "=call now"],
    ["C2", dt.date(2024, 5, 31), None],
]


def read(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_replace_keeps_every_other_part(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsm")
    original = tmp_path / "original"
    shutil.copy(book, original)
    result = replace_sheet(book, "Worklist", WORKLIST)
    assert (result.ref, result.created) == ("A1:C3", False)
    before, after = corpus.members(original), corpus.members(book)
    edited = {corpus.sheet_part(book, "Worklist"), "xl/styles.xml"}
    assert {name for name in before if before[name] != after[name]} <= edited
    assert read(book, "Worklist") == [
        ["Customer", "Open", "Action"],
        ["C1", 1250.5, "=call now"],
        ["C2", dt.date(2024, 5, 31), ""],
    ]
    sheet = after[corpus.sheet_part(book, "Worklist")].decode()
    assert "<f>" not in sheet and "old action" not in sheet
    assert "<cols>" in sheet  # the template's column widths stay
    header = re.search(r'<c r="A1" s="(\d+)"', sheet).group(1)
    old_header = re.search(
        r'<c r="A1" s="(\d+)"', before[corpus.sheet_part(book, "Worklist")].decode()
    ).group(1)
    assert header == old_header


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_missing_sheet_is_created_with_its_bookkeeping(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    original = tmp_path / "original"
    shutil.copy(book, original)
    result = replace_sheet(book, "Aging", [["Customer", "Total"], ["C1", 10], ["Total", 10]])
    assert result.created
    before, after = corpus.members(original), corpus.members(book)
    added = set(after) - set(before)
    assert len(added) == 1 and added.pop().startswith("xl/worksheets/sheet")
    allowed = {
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/app.xml",
    }
    assert {name for name in before if before[name] != after[name]} <= allowed
    assert b"<vt:lpstr>Aging</vt:lpstr>" in after["docProps/app.xml"]
    assert read(book, "Aging") == [["Customer", "Total"], ["C1", 10.0], ["Total", 10.0]]
    assert CalamineWorkbook.from_path(str(book)).sheet_names[-1] == "Aging"
    loaded = openpyxl.load_workbook(book)  # an independent reader accepts the new sheet
    assert loaded["Aging"]["A2"].value == "C1"


def test_create_in_an_openpyxl_workbook(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    replace_sheet(book, "Outbox", [["To", "Subject"], ["a@example.com", "Reminder"]])
    replace_sheet(book, "Outbox", [["To", "Subject"]])
    assert read(book, "Outbox") == [["To", "Subject"]]


def test_owned_table_is_resized_and_its_headers_checked(tmp_path: Path) -> None:
    path = tmp_path / "owned.xlsx"
    loaded = openpyxl.Workbook()
    sheet = loaded.active
    sheet.title = "Worklist"
    sheet.append(["Customer", "Open", "Action"])
    sheet.append(["x", 1, "y"])
    sheet.add_table(Table(displayName="WorklistTable", ref="A1:C2"))
    loaded.save(path)
    replace_sheet(path, "Worklist", WORKLIST)
    table = corpus.members(path)["xl/tables/table1.xml"].decode()
    assert 'ref="A1:C3"' in table
    with pytest.raises(DunningInputError, match="must be 'Open'"):
        replace_sheet(path, "Worklist", [["Customer", "Balance", "Action"]])


def test_bad_values_name_their_cells(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    with pytest.raises(DunningInputError) as raised:
        replace_sheet(book, "Worklist", [["a", "b"], ["ok", "\x00"], [object(), float("inf")]])
    places = [(issue.row, issue.column_letter) for issue in raised.value.issues]
    assert places == [(2, "B"), (3, "A"), (3, "B")]


def test_sheet_names_excel_refuses(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    with pytest.raises(DunningInputError, match="Excel does not allow"):
        replace_sheet(book, "Aging/2024", [["x"]])
