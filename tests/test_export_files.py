"""Export files read into grids (dunning.io.export_files): CSV, tab text, .xlsx, refusals."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from dunning.core.errors import DunningInputError
from dunning.io.export_files import read_export_grid


def test_csv_with_title_lines_is_read_line_by_line(tmp_path):
    path = tmp_path / "qb.csv"
    path.write_text('Open Invoices\n"As of November 30, 2026"\n\n,Num,Amount\n,1,"1,250.00"\n',
                    encoding="utf-8")
    assert read_export_grid(path) == [["Open Invoices"], ["As of November 30, 2026"], [],
                                      ["", "Num", "Amount"], ["", "1", "1,250.00"]]


def test_tab_separated_sap_text_keeps_its_decimal_commas(tmp_path):
    path = tmp_path / "fbl5n.txt"
    path.write_bytes("Key date 30.11.2026\n\tAccount\tAmount\n\t100\t1.250,00\n".encode("cp1252"))
    notes: list = []
    grid = read_export_grid(path, notes=notes)
    assert grid[2] == ["", "100", "1.250,00"]


def test_windows_1252_text_is_read_and_said(tmp_path):
    path = tmp_path / "sage.csv"
    path.write_bytes("A/C,Name\nK1,Caf\xe9 M\xfcller\n".encode("latin-1"))
    notes: list = []
    assert read_export_grid(path, notes=notes)[1] == ["K1", "Café Müller"]
    assert notes and "Windows-1252" in notes[0].message


def test_an_xlsx_export_gives_values_from_its_first_filled_sheet(tmp_path):
    path = tmp_path / "report.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Blank"
    sheet = book.create_sheet("Report")
    sheet.append(["Open Invoices"])
    sheet.append(["Num", "Date", "Amount"])
    sheet.append(["1", dt.datetime(2026, 11, 1), 12.5])
    book.save(path)
    grid = read_export_grid(path)
    assert grid[0][0] == "Open Invoices"
    assert grid[2][:3] == ["1", dt.date(2026, 11, 1), 12.5]


def test_missing_empty_and_binary_files_are_refused_by_name(tmp_path):
    with pytest.raises(DunningInputError, match="no such file"):
        read_export_grid(tmp_path / "none.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DunningInputError, match="empty.csv is empty"):
        read_export_grid(empty)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(DunningInputError, match="old.xls"):
        read_export_grid(old)


def test_an_xlsx_export_is_read_from_the_sheet_that_holds_its_table(tmp_path):
    """Business Central's Excel reports put print and pivot sheets before the data sheet."""
    path = tmp_path / "aged.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Aged Accounts Rec. (Print)"
    book.active.append(["Aged Accounts Receivable"])
    book.active.append(["Aged as of:", dt.datetime(2026, 11, 30)])
    data = book.create_sheet("CustomerAgingData")
    data.append(["CustomerNumber", "CustomerName", "DocumentType", "DocumentNo",
                 "RemainingAmount", "DueDate"])
    data.append(["10000", "Cannon", "Invoice", "103001", 5000, dt.datetime(2026, 11, 11)])
    book.save(path)
    grid = read_export_grid(path)
    assert grid[0][0] == "CustomerNumber" and grid[1][3] == "103001"
