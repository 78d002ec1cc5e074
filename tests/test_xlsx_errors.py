"""Why a workbook could not be written: each refusal is an input error that names the file."""

from __future__ import annotations

import io

import pytest

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError, Issue
from dunning.io.xlsx import UnsupportedWorkbookError, WorkbookEdit, WorkbookLockedError
from dunning.io.xlsx import package as package_module
from dunning.io.xlsx.errors import locked, unsupported
from dunning.io.xlsx.package import Package
from test_xlsx_locks import excel_owner_file
from test_xlsx_workbook import strict_copy


def test_locked_names_the_file_and_keeps_the_owner():
    error = locked("/books/Client.xlsx", "is open in Excel by Ann", owner="Ann")
    assert isinstance(error, WorkbookLockedError) and isinstance(error, DunningInputError)
    assert error.owner == "Ann"
    assert error.issues == [Issue("is open in Excel by Ann", sheet="/books/Client.xlsx")]
    assert str(error) == "/books/Client.xlsx: is open in Excel by Ann"
    assert locked("Client.xlsx", "is open").owner is None


def test_unsupported_names_the_file():
    error = unsupported("Client.xlsb", "is an Excel binary workbook")
    assert isinstance(error, UnsupportedWorkbookError) and isinstance(error, DunningInputError)
    assert not isinstance(error, WorkbookLockedError)  # "close it and retry" would be wrong
    assert [issue.sheet for issue in error.issues] == ["Client.xlsb"]
    assert str(error) == "Client.xlsb: is an Excel binary workbook"


def binary(path):
    path = path.with_suffix(".xlsb")
    path.write_bytes(b"PK\x03\x04")
    return path


def not_a_zip(path):
    path.write_bytes(b"not a zip")
    return path


def open_in_excel(path):
    corpus.build_openpyxl(path)
    (path.parent / f"~${path.name}").write_bytes(excel_owner_file("Ann"))
    return path


@pytest.mark.parametrize(
    "make,kind",
    [
        (binary, UnsupportedWorkbookError),
        (not_a_zip, UnsupportedWorkbookError),
        (strict_copy, UnsupportedWorkbookError),
        (open_in_excel, WorkbookLockedError),
    ],
    ids=["xlsb", "not-zip", "strict", "open-in-excel"],
)
def test_refusals_while_opening_name_the_workbook(tmp_path, make, kind):
    path = make(tmp_path / "Client.xlsx")
    with pytest.raises(kind) as raised:
        WorkbookEdit(path).open()
    assert [issue.sheet for issue in raised.value.issues] == [str(path)]
    assert str(raised.value).startswith(f"{path}: ")


def test_a_part_too_large_to_write_names_the_workbook(tmp_path, monkeypatch):
    path = corpus.build_openpyxl(tmp_path / "Client.xlsx")
    package = Package(path)
    monkeypatch.setattr(package_module, "_LIMIT", 1000)  # stands for 4 GB
    package.write("xl/worksheets/sheet1.xml", b"<worksheet/>" + b" " * 2000)
    try:
        with pytest.raises(UnsupportedWorkbookError, match="larger than 4 GB") as raised:
            package.write_to(io.BytesIO())
    finally:
        package.close()
    assert raised.value.issues[0].sheet == str(path)
