"""A workbook's invoices read in a thread while pandas imports: the same ledger, or none taken."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from dunning.io import prefetch
from dunning.io.reading import read_invoices

pytest.importorskip("fastexcel")

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_templates" / "Dunning-Client.xlsx"
HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"]


def _sheet_book(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Invoices")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for r in range(1, 21):
        day = dt.datetime(2026, 1, r)
        sheet.write_row(r, 0, [f"{r:04d}", f"C{r % 3}"])
        sheet.write_datetime(r, 2, day, dates)
        sheet.write_datetime(r, 3, day + dt.timedelta(days=30), dates)
        sheet.write_number(r, 4, 10.0 * r)
    book.close()
    return path


def _client_book(path: Path) -> Path:
    from dunning.io.xlsx import append_rows

    shutil.copy(TEMPLATE, path)
    append_rows(path, "Invoices", [
        {"Invoice No": f"{i:04d}", "Customer": f"C{i % 3}", "Invoice Date": dt.datetime(2026, 1, i),
         "Due Date": dt.datetime(2026, 2, i), "Amount": 5.0 * i} for i in range(1, 21)])
    return path


@pytest.mark.parametrize(("make", "key"), [(_sheet_book, ("sheet", "Invoices")),
                                           (_client_book, ("table", "Invoices"))])
def test_the_early_read_is_taken_and_gives_the_same_ledger(tmp_path, make, key):
    path = make(tmp_path / "book.xlsx")
    alone = read_invoices(path)
    prefetch.start(path)
    read = prefetch._READS[path.resolve()]
    read.thread.join()
    assert read.key == key and read.result is not None
    early = read_invoices(path)  # takes the early read
    assert path.resolve() not in prefetch._READS
    pd.testing.assert_frame_equal(early.frame, alone.frame)
    assert [str(i) for i in early.issues] == [str(i) for i in alone.issues]


def test_the_early_read_of_a_table_holds_its_sheets_error_cells(tmp_path, capsys):
    """fastexcel reads a table's error cell as a blank: the early read also reads the sheet's
    error cells (beside fastexcel), and the command names them as the rows' path does."""
    from dunning.cli import main
    from dunning.core.errors import DunningInputError
    from dunning.io.xlsx.error_cells import ErrorCell
    from dunning.io.xlsx.refs import split_cell

    path = _client_book(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as archive:  # (Invoices!E4's number becomes a cached #DIV/0!)
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(name for name, data in parts.items()
                 if name.startswith("xl/worksheets/") and b'r="E4"' in data)
    parts[sheet] = re.sub(rb'<c r="E4"([^>]*?)(?: t="n")?><v>[^<]*</v></c>',
                          rb'<c r="E4"\1 t="e"><f>1/0</f><v>#DIV/0!</v></c>', parts[sheet])
    assert b"<v>#DIV/0!</v>" in parts[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(DunningInputError) as alone:
        read_invoices(path)
    prefetch.start(path)
    read = prefetch._READS[path.resolve()]
    read.thread.join()
    assert read.key == ("table", "Invoices")
    assert read.result[2] == [ErrorCell(*split_cell("E4"), "#DIV/0!")]
    with pytest.raises(DunningInputError) as early:
        read_invoices(path)
    assert str(early.value) == str(alone.value) == (
        "Invoices!E4 (Amount): the cell holds the error #DIV/0!; correct it or clear it")
    assert main(["aging", str(path), "--as-of", "2026-03-31"]) == 1
    assert capsys.readouterr().err == f"Error: {alone.value}\n"


def test_a_read_of_another_sheet_or_a_changed_file_is_not_taken(tmp_path):
    path = _sheet_book(tmp_path / "book.xlsx")
    prefetch.start(path)
    assert prefetch.taken(path, "sheet", "Other") is None  # (and the read is let go)
    prefetch.start(path)
    prefetch._READS[path.resolve()].thread.join()
    os.utime(path, ns=(1, 1))
    assert prefetch.taken(path, "sheet", "Invoices") is None
    assert prefetch.taken(path, "sheet", "Invoices") is None  # nothing begun: nothing taken


def test_nothing_is_read_early_from_a_csv_a_non_zip_or_a_zip_past_the_bounds(tmp_path,
                                                                             monkeypatch):
    text = tmp_path / "export.csv"
    text.write_text("Invoice No\n1\n", encoding="utf-8")
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_text("Invoice No\n1\n", encoding="utf-8")
    for path in (text, renamed):
        prefetch.start(path)
        assert path.resolve() not in prefetch._READS
    from dunning.io.xlsx import package

    monkeypatch.setattr(package, "MAX_PART_SIZE", 10)  # (the bounds are read at each call)
    path = _sheet_book(tmp_path / "bomb.xlsx")
    prefetch.start(path)
    read = prefetch._READS.pop(path.resolve())
    read.thread.join()
    assert read.result is None  # refused by the bounds before fastexcel opened it


def test_the_command_line_starts_the_read_without_importing_pandas_first():
    code = ("import sys; from dunning.io import prefetch; "
            "print('pandas' in sys.modules, 'numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=dict(os.environ))
    assert done.stdout.split() == ["False", "False"]
