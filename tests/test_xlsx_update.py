"""Setting cells in rows of an Excel Table (WorkbookEdit.update_cells): only those cells change."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import WorkbookEdit


def log_rows(path: Path) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ContactLog").to_python()


@pytest.fixture(params=["xlsxwriter", "openpyxl"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "openpyxl":
        return corpus.build_openpyxl(tmp_path / "openpyxl.xlsx")
    return corpus.build_xlsxwriter(tmp_path / "rich.xlsx")


def test_named_cells_change_and_the_rest_of_the_row_and_book_do_not(book, tmp_path):
    original = tmp_path / "original.xlsx"
    shutil.copy(book, original)
    with WorkbookEdit(book) as edit:
        count = edit.update_cells("ContactLog", {3: {"Note": "=paid in full", "Amount": 81.5},
                                                 2: {"Date": dt.date(2024, 3, 5)}})
    assert count == 3
    before, after = log_rows(original), log_rows(book)
    assert after[2][5] == "=paid in full" and after[2][3] == 81.5  # text stays text
    assert after[1][0] == dt.date(2024, 3, 5)  # a date keeps a date format
    assert after[2][:3] == before[2][:3] and after[1][1:] == before[1][1:]
    part = corpus.sheet_part(book, "ContactLog")
    old, new = corpus.raw_members(original), corpus.raw_members(book)
    untouched = [name for name in old if name != part and old[name] == new.get(name)]
    assert set(old) - set(untouched) <= {part, "xl/workbook.xml", "xl/styles.xml",
                                         "docProps/app.xml", "[Content_Types].xml"}


def test_none_empties_a_cell(book):
    with WorkbookEdit(book) as edit:
        edit.update_cells("ContactLog", {2: {"Note": None}})
    assert log_rows(book)[1][5] in ("", None)


def test_rows_outside_the_table_unknown_headers_and_formulas_are_refused(book):
    before = book.read_bytes()
    with pytest.raises(DunningInputError, match="row 9 is not a data row"), \
            WorkbookEdit(book) as edit:
        edit.update_cells("ContactLog", {9: {"Note": "x"}})
    with pytest.raises(DunningInputError, match="no column 'Nope'"), WorkbookEdit(book) as edit:
        edit.update_cells("ContactLog", {2: {"Nope": "x"}})
    assert book.read_bytes() == before


def test_a_calculated_column_is_not_overwritten(tmp_path):
    book = corpus.build_xlsxwriter(tmp_path / "rich.xlsx")
    with pytest.raises(DunningInputError, match="calculated"), WorkbookEdit(book) as edit:
        edit.update_cells("ContactLog", {2: {"Fee": 1.0}})


def test_nothing_to_update_writes_nothing(book):
    before = book.read_bytes()
    with WorkbookEdit(book) as edit:
        assert edit.update_cells("ContactLog", {}) == 0
    assert book.read_bytes() == before
