"""LibreOffice, an independent reader, opens written workbooks and shows the new rows.

LibreOffice runs are slow (seconds each), so one module-level fixture writes every
workbook first and converts them all in a single run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.io.xlsx import WorkbookEdit
from libreoffice import soffice_path

pytestmark = pytest.mark.skipif(
    soffice_path() is None, reason="LibreOffice (soffice) is not installed"
)
TRICKY = ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1)", "\t=1"]
FORMULA_LIKE = ["=cmd", "+1", "-x"]
RUNS = 5


def rows_to_append() -> list[dict[str, object]]:
    return [
        {
            "Date": dt.date(2024, 4, day + 1),
            "Customer": f"NEW{day}",
            "Stage": "Final notice",
            "Amount": 10.0 * (day + 1),
            "Note": text,
        }
        for day, text in enumerate(TRICKY)
    ]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lo")
    made = folder / "made"
    made.mkdir()
    sources = {
        "xlsxwriter": corpus.build_xlsxwriter(made / "xlsxwriter.xlsm"),
        "openpyxl": corpus.build_openpyxl(made / "openpyxl.xlsx"),
    }
    libre = corpus.libreoffice_convert(
        [corpus.build_openpyxl(made / "libreoffice.xlsx")], folder / "converted"
    )[0]
    sources["libreoffice"] = libre
    books = {}
    for name, source in sources.items():
        book = folder / f"{name}{source.suffix}"
        shutil.copy(source, book)
        with WorkbookEdit(book) as edit:
            edit.append_rows("ContactLog", rows_to_append())
            edit.replace_sheet("Worklist", [["Customer", "Open"], ["C1", 12.5], ["=C2", 3]])
            edit.replace_sheet("Aging", [["Customer", "Total"], ["C1", 100]])
        books[name] = book
    for run in range(RUNS):  # nightly runs on the LibreOffice-made book, each its own save
        book = folder / "repeated.xlsx"
        if run == 0:
            shutil.copy(libre, book)
        rows = [{"Customer": f"R{run}", "Note": text} for text in FORMULA_LIKE]
        with WorkbookEdit(book) as edit:
            edit.append_rows("ContactLog", rows)
        if run == 0:
            books["repeated-once"] = shutil.copy(book, folder / "repeated-once.xlsx")
    books["repeated"] = book
    return books


@pytest.fixture(scope="module")
def sheets(
    written: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], list[list[str]]]:
    found = corpus.libreoffice_sheets_csv(list(written.values()), tmp_path_factory.mktemp("csv"))
    return {key: list(csv.reader(io.StringIO(text))) for key, text in found.items()}


@pytest.mark.parametrize("name", ["xlsxwriter", "openpyxl", "libreoffice"])
def test_libreoffice_shows_the_appended_rows(sheets: dict, name: str) -> None:
    log = sheets[(name, "ContactLog")]
    customers = [row[1] for row in log]
    assert customers[3:8] == [f"NEW{day}" for day in range(5)]
    notes = [row[5] for row in log[3:8]]
    assert notes == TRICKY  # literal text, never computed
    assert [row[0] for row in log[3:5]] == ["2024-04-01", "2024-04-02"]


def test_libreoffice_computes_calculated_column_and_moved_totals(sheets: dict) -> None:
    log = sheets[("xlsxwriter", "ContactLog")]
    assert [row[4] for row in log[3:8]] == ["1", "2", "3", "4", "5"]
    total = next(row for row in log if row[0] == "Total")
    assert total[3] == str(120 + 80 + 150)


@pytest.mark.parametrize("name", ["xlsxwriter", "openpyxl", "libreoffice"])
def test_libreoffice_shows_owned_sheets(sheets: dict, name: str) -> None:
    assert sheets[(name, "Worklist")][:3] == [["Customer", "Open"], ["C1", "12.5"], ["=C2", "3"]]
    assert sheets[(name, "Aging")][:2] == [["Customer", "Total"], ["C1", "100"]]


@pytest.mark.parametrize("name", ["xlsxwriter", "openpyxl", "libreoffice"])
def test_calamine_reads_them_back(written: dict[str, Path], name: str) -> None:
    book = CalamineWorkbook.from_path(str(written[name]))
    log = book.get_sheet_by_name("ContactLog").to_python()
    assert [row[1] for row in log[3:8]] == [f"NEW{day}" for day in range(5)]
    assert [row[5] for row in log[3:8]] == TRICKY
    assert log[3][0] == dt.date(2024, 4, 1)
    assert book.get_sheet_by_name("Aging").to_python() == [["Customer", "Total"], ["C1", 100.0]]


def test_nightly_runs_add_no_styles_and_stay_text(sheets: dict, written: dict[str, Path]) -> None:
    once = corpus.members(written["repeated-once"])["xl/styles.xml"]
    assert corpus.members(written["repeated"])["xl/styles.xml"] == once
    log = sheets[("repeated", "ContactLog")]
    assert [row[5] for row in log[3 : 3 + 3 * RUNS]] == FORMULA_LIKE * RUNS
    assert [row[1] for row in log[3 : 3 + 3 * RUNS : 3]] == [f"R{run}" for run in range(RUNS)]
    loaded = openpyxl.load_workbook(written["repeated"])["ContactLog"]
    for row in range(4, 4 + 3 * RUNS):
        assert loaded.cell(row, 6).quotePrefix and loaded.cell(row, 6).data_type == "s"
