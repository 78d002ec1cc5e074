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


def _export(path, errors=None):
    """An .xlsx open-invoices report (a title, an 'As of' line, a header on row 3, two
    invoices and a total) with `errors` ({"E5": "#N/A"}) stored as Excel stores a formula's
    cached error (t="e"); a second sheet holds an error the import never reads."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Report"
    sheet.append(["Open Invoices"])
    sheet.append(["As of November 30, 2026"])
    sheet.append(["Num", "Customer", "Date", "Due Date", "Amount"])
    sheet.append(["1001", "Acme", dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 31), 100.0])
    sheet.append(["1002", "Acme", dt.datetime(2026, 10, 5), dt.datetime(2026, 11, 4), 50.0])
    sheet.append(["Total", None, None, None, 150.0])
    for ref, error in (errors or {}).items():
        sheet[ref].value, sheet[ref].data_type = error, "e"
    notes = book.create_sheet("Notes")
    notes["A1"], notes["A1"].data_type = "#REF!", "e"
    book.save(path)
    return path


def test_an_excel_error_in_an_xlsx_export_is_named_and_nothing_is_imported(tmp_path, capsys):
    """calamine reads an error cell as a blank: an #N/A amount would import a balance of
    nothing, a #REF! date a missing one. Every error cell of the sheet read is named as Excel
    names another file's cell ([file]sheet!cell), data rows by their header, the total line
    and the title lines too (the total is checked, the 'As of' line dates the export); the
    unread sheet's error is not named. The workbook is left as it was."""
    from python_calamine import CalamineWorkbook

    from dunning.cli import main
    from dunning.io.client_workbook import new_client_workbook

    good = new_client_workbook(tmp_path / "good.xlsx", "Test Client")
    assert main(["import", str(_export(tmp_path / "fine.xlsx")), "--into", str(good)]) == 0
    book = new_client_workbook(tmp_path / "client.xlsx", "Test Client")
    before = book.read_bytes()
    export = _export(tmp_path / "qb.xlsx", {"E5": "#N/A", "C4": "#REF!", "E6": "#DIV/0!",
                                            "B2": "#NAME?"})
    rows = CalamineWorkbook.from_path(str(export)).get_sheet_by_name("Report").to_python()
    assert rows[4][4] == ""  # what calamine alone gives for the #N/A amount
    capsys.readouterr()
    assert main(["import", str(export), "--into", str(book)]) != 0
    told = capsys.readouterr().err
    for line in ("[qb.xlsx]Report!B2: the cell holds the error #NAME?; correct it or clear it",
                 "[qb.xlsx]Report!C4 (Date): the cell holds the error #REF!",
                 "[qb.xlsx]Report!E5 (Amount): the cell holds the error #N/A",
                 "[qb.xlsx]Report!E6 (Amount): the cell holds the error #DIV/0!"):
        assert line in told
    assert "Notes" not in told and "Traceback" not in told
    assert book.read_bytes() == before
    with pytest.raises(DunningInputError) as caught:
        read_export_grid(export)
    assert [(i.sheet, i.row, i.column_letter) for i in caught.value.issues] == [
        ("[qb.xlsx]Report", 2, "B"), ("[qb.xlsx]Report", 4, "C"), ("[qb.xlsx]Report", 5, "E"),
        ("[qb.xlsx]Report", 6, "E")]


def test_an_error_calamine_cannot_read_in_an_export_is_named_too(tmp_path):
    """#SPILL! (newer than python-calamine knows) makes calamine refuse the whole sheet: the
    export is refused naming the cell, in the file, not as a traceback."""
    export = _export(tmp_path / "spill.xlsx", {"E4": "#SPILL!"})
    with pytest.raises(DunningInputError) as caught:
        read_export_grid(export)
    assert str(caught.value.issues[0]) == (
        "[spill.xlsx]Report!E4: the cell holds the error #SPILL!; correct it or clear it")
