"""Refusing workbooks that are open elsewhere, and files the writer does not edit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import (
    UnsupportedWorkbookError,
    WorkbookLockedError,
    append_rows,
    find_owner,
    locks,
    replace_sheet,
)

ROW = {"Customer": "C1"}


def excel_owner_file(user: str) -> bytes:
    """An owner file laid out as Excel writes it (165 bytes)."""
    data = bytes([len(user)]) + user.encode("cp1252")
    data = data.ljust(55, b" ")
    data += len(user).to_bytes(2, "little") + user.encode("utf-16-le")
    return data.ljust(165, b" ")


def test_excel_owner_file_names_the_user(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "Book.xlsx")
    before = book.read_bytes()
    (tmp_path / "~$Book.xlsx").write_bytes(excel_owner_file("Zoë Accountant"))
    with pytest.raises(WorkbookLockedError) as raised:
        append_rows(book, "ContactLog", [ROW])
    assert raised.value.owner == "Zoë Accountant"
    message = str(raised.value)
    assert "open in Excel by Zoë Accountant" in message and "~$Book.xlsx" in message
    assert isinstance(raised.value, DunningInputError)
    assert book.read_bytes() == before
    assert not (tmp_path / ".dunning-backups").exists()


def test_unreadable_owner_file_still_refuses(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "Book.xlsx")
    (tmp_path / "~$Book.xlsx").write_bytes(b"")
    with pytest.raises(WorkbookLockedError, match="open in Excel by someone"):
        replace_sheet(book, "Worklist", [["x"]])


def test_libreoffice_lock_file_names_user_and_host(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "Book.xlsx")
    lock = tmp_path / ".~lock.Book.xlsx#"
    lock.write_text(",Ann\\, Collections,ann-laptop,23.11.2026 09:30,file:///home/ann;", "utf-8")
    with pytest.raises(WorkbookLockedError, match="LibreOffice by Ann, Collections on ann-laptop"):
        append_rows(book, "ContactLog", [ROW])
    owner = find_owner(book)
    assert owner is not None and owner.program == "LibreOffice"
    lock.unlink()
    append_rows(book, "ContactLog", [ROW])


def test_owner_name_parsers() -> None:
    assert locks.excel_owner_name(excel_owner_file("J. Smith")) == "J. Smith"
    assert locks.excel_owner_name(b"\x03Bob") == "Bob"
    assert locks.libreoffice_owner_name("Name,sysuser,host,time,url;") == "Name on host"
    assert locks.libreoffice_owner_name(",sysuser,,time,url;") == "sysuser"


def test_sharing_violation_is_reported_as_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = corpus.build_openpyxl(tmp_path / "Book.xlsx")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(locks, "open", refuse, raising=False)
    with pytest.raises(WorkbookLockedError, match="open in another program"):
        append_rows(book, "ContactLog", [ROW])


def test_sharing_violation_at_the_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = corpus.build_openpyxl(tmp_path / "Book.xlsx")
    before = book.read_bytes()
    real_replace = os.replace

    def replace(source: str, target: str) -> None:
        if Path(target) == book:
            raise PermissionError(13, "sharing violation")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WorkbookLockedError):
        append_rows(book, "ContactLog", [ROW])
    assert book.read_bytes() == before
    assert not list(tmp_path.glob("*.dunning-tmp-*"))


@pytest.mark.parametrize(
    "name,message",
    [
        ("old.xls", "Excel 97-2003"),
        ("binary.xlsb", "binary workbook"),
        ("data.ods", "OpenDocument"),
    ],
)
def test_other_formats_are_refused(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(UnsupportedWorkbookError, match=message):
        append_rows(path, "ContactLog", [ROW])


def test_encrypted_or_disguised_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(UnsupportedWorkbookError, match="password-protected"):
        append_rows(path, "ContactLog", [ROW])
    path.write_bytes(b"not a zip at all")  # text: said to be text, as the readers say it
    with pytest.raises(UnsupportedWorkbookError, match="secret.xlsx: is a text file, not an "
                                                       "Excel workbook: if it is a CSV export"):
        append_rows(path, "ContactLog", [ROW])
    path.write_bytes(b"\x00\x01 neither text nor a zip")
    with pytest.raises(UnsupportedWorkbookError, match="not a zip"):
        append_rows(path, "ContactLog", [ROW])


def test_dunnings_own_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "Book.xlsx")
    with locks.book_lock(book) as held:
        assert held and (tmp_path / "Book.xlsx.dunning-lock").exists()
        with (
            pytest.raises(WorkbookLockedError, match="another Dunning run"),
            locks.book_lock(book, wait=0.2),
        ):
            pass
        with locks.book_lock(tmp_path / "Other.xlsx", wait=0) as other:
            assert other  # each workbook has its own lock
    assert not (tmp_path / "Book.xlsx.dunning-lock").exists()
    with locks.book_lock(book, wait=0) as held:  # free again
        assert held
