"""Reading workbook and CSV files: what is refused, before anything is read, and what is read.

Every refusal names the file (and the cell, where it is one), says what to do, is a
`DunningInputError` (so the command line prints `Error: ...` and exits 1) and leaves
the folder as it was. Fixtures are real files: workbooks written by openpyxl and the
template, .xls and .ods converted by LibreOffice where it is installed, and crafted
bytes (a compound file, a zip) where no tool is needed.
"""

import datetime as dt
import os
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import dunning.io.workbook
from dunning.cli import main
from dunning.core.errors import DunningInputError
from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS, sample_customers
from dunning.io.client_workbook import build_workbook
from dunning.io.reading import read_csv_text, read_invoices
from dunning.io.xlsx import UnsupportedWorkbookError, append_rows
from dunning.io.xlsx import package as xlsx_package

HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"]
READABLE = "Dunning reads .xlsx and .xlsm workbooks and .csv exports"
SAVE_AS = "open it in Excel or LibreOffice and save it as .xlsx"


def sheet_workbook(path: Path, *body: list) -> Path:
    """A workbook with an Invoices sheet (header in row 1), dates as real date cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Invoices"
    sheet.append(HEADER)
    for row in body:
        sheet.append(row)
    book.save(path)
    return path


def good_rows() -> list[list]:
    return [["A1", "C1", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 31), 100.0],
            ["A2", "C2", dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 2), 50.0]]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def refused(source: Path, capsys, *argv: str) -> str:
    """Run `dunning aging SOURCE`, which must print one error and exit 1 touching nothing."""
    before = snapshot(source.parent)
    assert main(["aging", str(source), *argv]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert snapshot(source.parent) == before
    lines = captured.err.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), captured.err
    return captured.err


# 1-3: cells no invoice can hold --------------------------------------------------------------


def test_a_9999_due_date_cell_is_an_error_not_over_120_days(tmp_path, capsys):
    path = sheet_workbook(tmp_path / "book.xlsx", *good_rows(),
                          ["A3", "C1", dt.datetime(2024, 1, 1), dt.datetime(9999, 12, 31), 10.0])
    with pytest.raises(DunningInputError) as caught:
        read_invoices(path)
    assert [str(issue) for issue in caught.value.issues] == [
        "Invoices!D4 (Due Date): expected a date from 1900-03-01 to 2200-12-31: this one "
        "cannot be an invoice's; correct the cell (found '9999-12-31')"]
    assert "Invoices!D4 (Due Date)" in refused(path, capsys, "--as-of", "2024-06-30")


def test_a_9999_due_date_in_the_templates_invoices_table(tmp_path, capsys):
    invoices = pd.DataFrame([
        {"Invoice No": "INV-1", "Customer": "FHV06", "Invoice Date": "2025-11-01",
         "Due Date": "2025-12-01", "Amount": "100"},
        {"Invoice No": "INV-2", "Customer": "FHV06", "Invoice Date": "2025-11-01",
         "Due Date": "9999-12-31", "Amount": "100"},
    ])
    path = tmp_path / "Client.xlsx"
    build_workbook(path, client="Sample", invoices=invoices, customers=sample_customers(),
                   as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)
    error = refused(path, capsys)
    assert "Invoices!D" in error and "(Due Date): expected a date from 1900-03-01" in error


def test_a_due_date_of_minus_5_in_a_csv_is_an_error_naming_the_cell(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                    "A1,C1,2024-01-01,-5,10\n", encoding="utf-8")
    assert refused(path, capsys) == (
        "Error: export.csv!D2 (Due Date): expected a date (a date cell, an Excel serial "
        "number, or text such as 2024-03-31) (found '-5')\n")


def test_huge_amounts_are_errors_not_infinite_totals(tmp_path, capsys):
    path = sheet_workbook(tmp_path / "book.xlsx", *good_rows(),
                          ["A3", "C1", dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1), 1e308])
    error = refused(path, capsys, "--as-of", "2024-06-30")
    assert "Invoices!E4 (Amount): expected an amount smaller than 1,000,000,000,000,000" in error
    csv = tmp_path / "export.csv"
    csv.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                   f"A1,C1,2024-01-01,2024-02-01,{'9' * 400}\n", encoding="utf-8")
    error = refused(csv, capsys, "--as-of", "2024-06-30")
    assert "export.csv!E2 (Amount): expected an amount smaller than" in error
    assert "inf" not in error


# 4: what unzipping may cost ------------------------------------------------------------------


def padded_workbook(path: Path, padding: bytes) -> Path:
    """A real workbook whose sheet1.xml carries `padding` inside an XML comment."""
    source = sheet_workbook(path.with_name("plain.xlsx"), *good_rows())
    with zipfile.ZipFile(source) as plain:
        parts = [(info, plain.read(info)) for info in plain.infolist()]
    source.unlink()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as padded:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet1.xml":
                cut = data.index(b">", data.index(b"<worksheet")) + 1
                data = data[:cut] + b"<!--" + padding + b"-->" + data[cut:]
            padded.writestr(info.filename, data)
    return path


@pytest.fixture
def no_calamine(monkeypatch):
    """Fail the test if calamine is asked to open anything: refusals come before reading."""
    class Refused:
        @staticmethod
        def from_path(*args, **kwargs):
            raise AssertionError("calamine opened a file that should have been refused")

    monkeypatch.setattr(dunning.io.workbook, "CalamineWorkbook", Refused)


def test_a_part_that_unzips_over_100_times_its_size_is_refused_unread(tmp_path, capsys,
                                                                      no_calamine):
    path = padded_workbook(tmp_path / "bomb.xlsx", b" " * 5_000_000)  # 5 MB -> about 5 KB
    assert path.stat().st_size < 50_000
    with pytest.raises(UnsupportedWorkbookError) as caught:
        read_invoices(path)
    message = str(caught.value)
    assert message.startswith("bomb.xlsx: the part xl/worksheets/sheet1.xml would unzip to ")
    assert "more than 100 times is refused" in message
    assert "Error: bomb.xlsx: the part xl/worksheets/sheet1.xml" in refused(path, capsys)


def test_the_writer_refuses_the_same_part_before_reading_it(tmp_path):
    path = padded_workbook(tmp_path / "bomb.xlsx", b" " * 5_000_000)
    before = snapshot(tmp_path)
    with pytest.raises(UnsupportedWorkbookError, match="the part xl/worksheets/sheet1.xml"):
        append_rows(path, "Invoices", [["A9", "C1", dt.date(2024, 1, 1), dt.date(2024, 2, 1), 5]])
    assert snapshot(tmp_path) == before


def test_a_part_larger_than_the_size_limit_is_refused(tmp_path, monkeypatch, no_calamine):
    # Incompressible enough to pass the ratio rule; the limit is lowered to stay small.
    padding = os.urandom(1_500_000).hex().encode()  # 3 MB that zips to about 1.6 MB
    path = padded_workbook(tmp_path / "big.xlsx", padding)
    monkeypatch.setattr(xlsx_package, "MAX_PART_SIZE", 2_000_000)
    with pytest.raises(UnsupportedWorkbookError, match=r"sheet1\.xml would unzip to 3,.* bytes, "
                                                       r"more than the 2,000,000 allowed"):
        read_invoices(path)
    with pytest.raises(UnsupportedWorkbookError, match="more than the 2,000,000 allowed"):
        append_rows(path, "Invoices", [])
    monkeypatch.setattr(xlsx_package, "MAX_PART_SIZE", 1 << 30)
    monkeypatch.setattr(xlsx_package, "MAX_TOTAL_SIZE", 2_000_000)
    with pytest.raises(UnsupportedWorkbookError, match="all the parts to .* more than the "
                                                       "2,000,000 allowed"):
        read_invoices(path)


def test_ordinary_workbooks_pass_the_bounds(tmp_path, book):
    assert len(read_invoices(book)) > 0
    padded = padded_workbook(tmp_path / "padded.xlsx", b" " * 900_000)  # small parts: no ratio
    assert len(read_invoices(padded)) == 2


def test_a_part_holding_more_than_it_declares_is_refused_as_damaged(tmp_path, capsys):
    path = padded_workbook(tmp_path / "liar.xlsx", b" " * 100_000)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        real = struct.pack("<L", archive.getinfo("xl/worksheets/sheet1.xml").file_size)
    assert data.count(real) == 2  # the local header and the central directory
    path.write_bytes(bytes(data).replace(real, struct.pack("<L", 5000)))
    with pytest.raises(DunningInputError, match="liar.xlsx is damaged and cannot be read"):
        read_invoices(path)
    refused(path, capsys)


# 5: files of other kinds, known by their content ---------------------------------------------


def compound_file(streams: list[str]) -> bytes:
    """A minimal but valid OLE2 compound file (512-byte sectors) holding `streams`, 4 KB each."""
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    size = 4096
    per_stream = size // 512
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    difat = [0] + [free] * 108
    struct.pack_into("<109I", header, 76, *difat)
    fat = [fat_sector, end]
    for index in range(len(streams)):
        first = 2 + index * per_stream
        fat += [*range(first + 1, first + per_stream), end]
    fat += [free] * (128 - len(fat))
    entries = bytearray()

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int,
              length: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        record = bytearray(128)
        record[0:len(encoded)] = encoded
        struct.pack_into("<HBB", record, 64, len(encoded), kind, 1)
        struct.pack_into("<III", record, 68, left, right, child)
        struct.pack_into("<IQ", record, 116, start, length)
        return bytes(record)

    entries += entry("Root Entry", 5, no_stream, no_stream, 1 if streams else no_stream, end, 0)
    for index, name in enumerate(streams):  # a right-leaning chain is a valid red-black tree
        right = index + 2 if index + 1 < len(streams) else no_stream
        entries += entry(name, 2, no_stream, right, no_stream, 2 + index * per_stream, size)
    entries += bytes(512 - len(entries) % 512) if len(entries) % 512 else b""
    assert len(entries) == 512, "one directory sector is enough for these tests"
    data = bytes(header) + struct.pack("<128I", *fat) + bytes(entries)
    return data + b"".join(bytes([65 + i]) * size for i in range(len(streams)))


def test_the_crafted_compound_files_are_real_ones():
    olefile = pytest.importorskip("olefile", reason="olefile (from oletools) checks the bytes")
    ole = olefile.OleFileIO(compound_file(["EncryptionInfo", "EncryptedPackage"]))
    assert sorted(ole.listdir()) == [["EncryptedPackage"], ["EncryptionInfo"]]
    assert ole.openstream("EncryptedPackage").read() == b"B" * 4096


@pytest.mark.parametrize(("name", "streams", "said"), [
    ("old.xls", ["Workbook"], "is an Excel 97-2003 workbook (.xls); "),
    ("old.xlsx", ["Workbook"], "is an Excel 97-2003 workbook (.xls) despite its .xlsx name; "),
    ("older.xls", ["Book"], "is an Excel 97-2003 workbook (.xls); "),
    ("secret.xlsx", ["EncryptionInfo", "EncryptedPackage"],
     "is a password-protected (encrypted) workbook despite its .xlsx name; Dunning cannot "
     "read an encrypted workbook: open it in Excel, remove the password"),
    ("letter.xlsx", ["WordDocument"], "is an old-format Office file (an OLE2 compound file)"),
])
def test_compound_files_are_named_for_what_they_are(tmp_path, capsys, no_calamine, name,
                                                    streams, said):
    path = tmp_path / name
    path.write_bytes(compound_file(streams))
    with pytest.raises(DunningInputError) as caught:
        read_invoices(path)
    assert str(caught.value).startswith(f"{name} {said}")
    if "Excel 97-2003" in said:
        assert str(caught.value).endswith(f"{READABLE}: {SAVE_AS} (Excel Workbook)")
    assert refused(path, capsys).startswith(f"Error: {name} {said}")


def crafted_zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(("name", "parts", "said"), [
    ("data.ods", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                  "content.xml": b"<x/>"}, "is an OpenDocument spreadsheet (.ods); "),
    ("data.xlsx", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                   "content.xml": b"<x/>"},
     "is an OpenDocument spreadsheet (.ods) despite its .xlsx name; "),
    ("text.xlsx", {"mimetype": b"application/vnd.oasis.opendocument.text"},
     "is an OpenDocument document, not a spreadsheet despite its .xlsx name"),
    ("binary.xlsb", {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"},
     "is an Excel binary workbook (.xlsb); "),
    ("letter.xlsx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"},
     "is an Office document, not a workbook"),
    ("photos.xlsx", {"a.jpg": b"\xff\xd8"}, "is a zip archive, not a workbook"),
])
def test_zip_files_that_are_no_xlsx_are_named(tmp_path, capsys, no_calamine, name, parts, said):
    path = crafted_zip(tmp_path / name, parts)
    with pytest.raises(DunningInputError) as caught:
        read_invoices(path)
    assert str(caught.value).startswith(f"{name} {said}")
    assert READABLE in str(caught.value)
    refused(path, capsys)


def test_other_files_given_as_workbooks(tmp_path, capsys, no_calamine, book):
    cases = {
        "empty.xlsx": (b"", "empty.xlsx is empty (0 bytes), not a workbook"),
        "export.xlsx": (b"Invoice No,Customer\nA1,C1\n",
                        "export.xlsx is a text file, not an Excel workbook: if it is a CSV "
                        "export, name it .csv"),
        "cut.xlsx": (book.read_bytes()[:2000],
                     "cut.xlsx is damaged: it starts like a workbook (a zip archive) but is not "
                     "a whole one"),
        "named.xls": (book.read_bytes(),
                      "named.xls is an Excel workbook (.xlsx) despite its .xls extension: "
                      "rename it to .xlsx and retry"),
        "noise.xlsx": (bytes(range(256)) * 4,
                       "noise.xlsx is a binary file, not a workbook or CSV text"),
    }
    for name, (data, said) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DunningInputError) as caught:
            read_invoices(path)
        assert str(caught.value).startswith(said), name
        assert refused(path, capsys).startswith(f"Error: {said}"), name


def test_a_workbook_given_a_csv_name_is_refused_saying_what_it_is(tmp_path, capsys, book):
    workbook_csv = tmp_path / "export.csv"
    shutil.copy(book, workbook_csv)
    assert refused(workbook_csv, capsys) == (
        "Error: export.csv is an Excel workbook (.xlsx), not a CSV text file; give it its "
        ".xlsx name\n")
    xls_csv = tmp_path / "old.csv"
    xls_csv.write_bytes(compound_file(["Workbook"]))
    assert refused(xls_csv, capsys).startswith(
        "Error: old.csv is an Excel 97-2003 workbook (.xls), not a CSV text file; "
        f"{READABLE}: {SAVE_AS} (Excel Workbook) or CSV UTF-8")


# CSV text in the encodings Excel writes -------------------------------------------------------


CSV_TEXT = ("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
            "A1,Zürich Café AG,2024-01-01,2024-01-31,10\n")


@pytest.mark.parametrize(("encoding", "separator"), [
    ("utf-16", "\t"),  # Excel's "Unicode Text": UTF-16LE with a BOM, tab separated
    ("utf-16", ","),
    ("utf-16-be", ","),  # with the BOM written below
    ("utf-16-le", ","),  # no BOM: known by its zero bytes
    ("utf-16-be", ";"),
    ("utf-8-sig", ";"),
    ("utf-32", ","),
])
def test_unicode_csv_exports_are_read(tmp_path, encoding, separator):
    path = tmp_path / "export.csv"
    text = CSV_TEXT.replace(",", separator)
    data = text.encode(encoding)
    if encoding == "utf-16-be" and separator == ",":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    ledger = read_invoices(path)
    assert ledger.frame["customer"].tolist() == ["Zürich Café AG"]
    assert ledger.frame["amount"].tolist() == [10.0]
    assert ledger.issues == ()


def test_a_windows_1252_csv_is_read_with_a_warning(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(CSV_TEXT.replace(",", ";").encode("cp1252"))
    ledger = read_invoices(path)
    assert ledger.frame["customer"].tolist() == ["Zürich Café AG"]
    assert [str(issue) for issue in ledger.issues] == [
        "export.csv is not UTF-8: it was read as Windows-1252 (Excel's plain CSV); if letters "
        "such as ä or é look wrong, save it again as CSV UTF-8"]
    assert main(["aging", str(path), "--as-of", "2024-06-30"]) == 0
    assert "Warning: export.csv is not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(("data", "said"), [
    (CSV_TEXT.encode("utf-8").replace(b"Z\xc3\xbc", b"Z\x81"),
     "export.csv is neither UTF-8 nor Windows-1252 text"),
    (b"\xff\xfe" + CSV_TEXT.encode("utf-16-le")[:-1], "export.csv is damaged UTF-16 text"),
    (b"Invoice No,Customer\x00\x00\x00,Amount\n\x00\x01", "export.csv is a binary file"),
    (b"", "export.csv is empty"),
])
def test_unreadable_csv_text_is_refused_clearly(tmp_path, capsys, data, said):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(DunningInputError, match=f"^{said}"):
        read_csv_text(path)
    refused(path, capsys)


# Real .xls and .ods files, made by LibreOffice -----------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """ok.xls and ok.ods, converted by LibreOffice from a good workbook."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: it makes the real .xls and .ods")
    folder = tmp_path_factory.mktemp("converted")
    source = sheet_workbook(folder / "ok.xlsx", *good_rows())
    profile = folder / "profile"
    for kind in ("xls", "ods"):
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--norestore", "--convert-to", kind, "--outdir", str(folder),
                        str(source)], capture_output=True, timeout=180, check=False)
    made = {kind: folder / f"ok.{kind}" for kind in ("xls", "ods")}
    missing = [str(path.name) for path in made.values() if not path.exists()]
    if missing:
        pytest.skip(f"LibreOffice did not convert the workbook to {', '.join(missing)}")
    shutil.rmtree(profile, ignore_errors=True)
    return made


@pytest.mark.parametrize(("kind", "name", "said"), [
    ("xls", "old.xls", "old.xls is an Excel 97-2003 workbook (.xls); "),
    ("xls", "renamed.xlsx", "renamed.xlsx is an Excel 97-2003 workbook (.xls) despite its "
                            ".xlsx name; "),
    ("ods", "data.ods", "data.ods is an OpenDocument spreadsheet (.ods); "),
    ("ods", "renamed.xlsx", "renamed.xlsx is an OpenDocument spreadsheet (.ods) despite its "
                            ".xlsx name; "),
])
def test_real_xls_and_ods_files_are_refused_saying_what_to_do(tmp_path, capsys, converted,
                                                              no_calamine, kind, name, said):
    path = tmp_path / name
    shutil.copy(converted[kind], path)
    expected = f"{said}{READABLE}: {SAVE_AS} (Excel Workbook)"
    with pytest.raises(DunningInputError) as caught:
        read_invoices(path)
    assert str(caught.value) == expected
    assert refused(path, capsys) == f"Error: {expected}\n"
    # and the commands that read the Customers table say the same, not "not in the table"
    before = snapshot(tmp_path)
    assert main(["log", str(path), "--customer", "C1", "--outcome", "voicemail"]) == 1
    assert f"Error: {expected}" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_arrow_reads_a_csv_export_as_pandas_own_reader_did(tmp_path, monkeypatch):
    """The Arrow reader is only faster: the same ledger, warnings and messages as before."""
    from dunning.io import reading

    path = tmp_path / "export.csv"
    path.write_text(
        "Invoice No;Customer;Invoice Date;Due Date;Amount;Paid;Disputed\n"
        "0042;007;31.01.2024;01.03.2024;\"1,234.50\";;Yes\n"
        "0043; 007 ;15.02.2024;16.03.2024;(100.00);;\n"
        ";;;;;;\n"
        "I-9;C\u00e9;29.02.2024;;-50;;no\n"
        "I-10;C2;01.03.2024;31.03.2024;EUR 12.00;12;x\n", encoding="utf-8")
    fast = read_invoices(path)
    monkeypatch.setattr(reading, "_arrow_csv", lambda *args: None)
    slow = read_invoices(path)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert [str(issue) for issue in fast.issues] == [str(issue) for issue in slow.issues]
    assert list(fast.frame["invoice"]) == ["0042", "0043", "I-9", "I-10"]
    bad = tmp_path / "bad.csv"
    bad.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                   "1,A,2024-01-31,2024-02-29,1.234,50\n", encoding="utf-8")
    monkeypatch.undo()
    with pytest.raises(DunningInputError) as fast_error:
        read_invoices(bad)
    monkeypatch.setattr(reading, "_arrow_csv", lambda *args: None)
    with pytest.raises(DunningInputError) as slow_error:
        read_invoices(bad)
    assert [str(i) for i in fast_error.value.issues] == [str(i) for i in slow_error.value.issues]


@pytest.mark.parametrize("data", [
    CSV_TEXT.encode("utf-8"),
    b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"),  # Excel's CSV UTF-8 starts with a BOM
    CSV_TEXT.replace("\n", "\r\n").encode("utf-8"),
    CSV_TEXT.replace(",", ";").encode("utf-8"),
    ("Invoice No,Customer,Invoice Date,Due Date,Amount," + "x" * 70_000 + "\n"  # long header
     "A1,C,2024-01-01,2024-01-31,10,\n").encode("utf-8"),
])
def test_a_utf8_file_read_by_arrow_from_disk_reads_as_the_decoded_text_did(tmp_path, data):
    """The file is never held in Python as bytes and text: the same frame either way."""
    from dunning.io import reading

    path = tmp_path / "export.csv"
    path.write_bytes(data)
    fast = read_csv_text(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reading, "_utf8_csv_file", lambda _path: None)
        slow = read_csv_text(path)
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize(("data", "said"), [
    (b"Invoice No,Customer,Amount\n" + b"A1,C,10\n" * 1000 + b"A2,C\x00,10\n",  # NUL late
     "export.csv is not a CSV text file"),
    (b"Invoice No,Customer,Amount\nA1,Z\xfcrich,10\n", None),  # Windows-1252: read, warned
])
def test_a_file_the_disk_path_cannot_promise_is_read_or_refused_as_before(tmp_path, data, said):
    from dunning.io import reading

    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert reading._utf8_csv_file(path) is None
    if said is None:
        notes: list = []
        assert read_csv_text(path, notes=notes)["Customer"].tolist() == ["Zürich"]
        assert "Windows-1252" in str(notes[0])
        return
    with pytest.raises(DunningInputError, match=f"^{said}"):
        read_csv_text(path)


def test_customer_ids_that_differ_only_by_leading_zeros_are_told_from_a_csv(tmp_path):
    """Arrow's own distinct ids (a CSV export) give the warning a list of rows gives."""
    from dunning.core.ledger import build_ledger

    path = tmp_path / "export.csv"
    path.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                    "1,007,2024-01-01,2024-01-31,10\n2,7,2024-01-01,2024-01-31,10\n"
                    "3,0,2024-01-01,2024-01-31,10\n4,07,2024-01-01,2024-01-31,10\n"
                    "5,007,2024-01-01,2024-01-31,10\n6,00,2024-01-01,2024-01-31,10\n",
                    encoding="utf-8")
    told = [str(issue) for issue in read_invoices(path).issues if "leading zeros" in str(issue)]
    assert len(told) == 1 and "customer ids 007 and 07 and 7 differ only" in told[0]
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    by_rows = build_ledger(rows, sheet="export.csv").issues
    assert told == [str(issue) for issue in by_rows if "leading zeros" in str(issue)]


# Excel error cells (a formula's cached #DIV/0!) in tables and sheets -----------------------------

ERROR_SAID = "the cell holds the error {}; correct it or clear it"


def with_error_cells(path: Path, sheet: str, cells: dict[str, str]) -> Path:
    """The workbook with each cell holding its Excel error, as Excel stores one: `t="e"`."""
    book = openpyxl.load_workbook(path)
    for ref, error in cells.items():
        book[sheet][ref].value = error
        book[sheet][ref].data_type = "e"
    book.save(path)
    with zipfile.ZipFile(path) as archive:  # (the XML as the brief shows it, in every part)
        xml = b"".join(archive.read(name) for name in archive.namelist()
                       if name.startswith("xl/worksheets/"))
    assert all(re.search(f'<c r="{ref}"[^>]* t="e"><v>{re.escape(error)}</v></c>'.encode(), xml)
               for ref, error in cells.items())
    return path


def calamine_value(path: Path, table: str, row: int, header: str) -> object:
    """What calamine's table rows hold for body row `row` (from 0) of column `header`."""
    from python_calamine import CalamineWorkbook

    found = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(table)
    return found.to_python()[row][list(found.columns).index(header)]


def errors_said(capsys, argv: list[str]) -> list[str]:
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and not captured.out
    return captured.err.splitlines()


def invoices_table(path: Path, rows: list[list], *, sheet: str = "Invoices",
                   corner: str = "A1") -> Path:
    """A workbook whose Invoices table (header HEADER + Notes) has its header at `corner`."""
    from openpyxl.utils.cell import coordinate_from_string, get_column_letter
    from openpyxl.worksheet.table import Table

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    letters, top = coordinate_from_string(corner)
    left = openpyxl.utils.column_index_from_string(letters)
    for r, values in enumerate([[*HEADER, "Notes"], *rows]):
        for c, value in enumerate(values):
            ws.cell(top + r, left + c, value)
    end = f"{get_column_letter(left + len(HEADER))}{top + len(rows)}"
    ws.add_table(Table(displayName="Invoices", ref=f"{corner}:{end}"))
    book.save(path)
    return path


def test_an_error_in_an_invoices_table_is_named_not_read_as_missing(tmp_path, capsys):
    rows = [[*row, None] for row in good_rows()] + [
        ["A3", "C1", dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 31), 75.0, "ok"]]
    path = with_error_cells(invoices_table(tmp_path / "book.xlsx", rows), "Invoices",
                            {"E3": "#DIV/0!", "F2": "#N/A"})
    assert calamine_value(path, "Invoices", 1, "Amount") == ""  # the gap: read as a blank
    assert calamine_value(path, "Invoices", 0, "Notes") == ""
    before = snapshot(tmp_path)
    assert errors_said(capsys, ["aging", str(path), "--as-of", "2024-06-30"]) == [
        f"Error: Invoices!F2 (Notes): {ERROR_SAID.format('#N/A')}",  # an optional column too
        f"Error: Invoices!E3 (Amount): {ERROR_SAID.format('#DIV/0!')}"]
    assert snapshot(tmp_path) == before
    assert errors_said(capsys, ["kpis", str(path), "--as-of", "2024-06-30"])[0].startswith(
        "Error: Invoices!F2 (Notes): the cell holds the error #N/A")


def test_an_error_in_a_table_away_from_a1_is_named_where_it_sits(tmp_path, capsys):
    rows = [[*row, None] for row in good_rows()]
    path = with_error_cells(invoices_table(tmp_path / "book.xlsx", rows, sheet="Ledger",
                                           corner="C4"), "Ledger", {"F6": "#VALUE!"})
    assert errors_said(capsys, ["aging", str(path), "--as-of", "2024-06-30"]) == [
        f"Error: Ledger!F6 (Due Date): {ERROR_SAID.format('#VALUE!')}"]
    with pytest.raises(DunningInputError) as caught:
        read_invoices(path)
    assert [(i.sheet, i.row, i.column_letter, i.column) for i in caught.value.issues] == [
        ("Ledger", 6, "F", "Due Date")]


def test_an_error_outside_the_table_is_not_the_tables(tmp_path, capsys):
    rows = [[*row, None] for row in good_rows()]
    path = with_error_cells(invoices_table(tmp_path / "book.xlsx", rows), "Invoices",
                            {"H2": "#N/A", "A9": "#REF!"})
    assert main(["aging", str(path), "--as-of", "2024-06-30"]) == 0
    assert "C1" in capsys.readouterr().out


def test_an_error_on_a_plain_invoice_sheet_is_named_the_same_way(tmp_path, capsys):
    path = with_error_cells(sheet_workbook(tmp_path / "book.xlsx", *good_rows()), "Invoices",
                            {"D3": "#NAME?"})
    assert errors_said(capsys, ["aging", str(path), "--as-of", "2024-06-30"]) == [
        f"Error: Invoices!D3 (Due Date): {ERROR_SAID.format('#NAME?')}"]


@pytest.mark.parametrize(("sheet", "cell", "error", "argv", "said"), [
    ("Customers", "I2", "#N/A", ["aging"], "Customers!I2 (Credit Limit)"),
    ("Settings", "B3", "#REF!", ["aging"], "Settings!B3 (Value)"),
    ("Settings", "G3", "#DIV/0!", ["remind", "--dry-run"], "Settings!G3 (Days From Due)"),
    ("ContactLog", "M2", "#VALUE!", ["remind", "--dry-run"], "ContactLog!M2 (Note)"),
])
def test_errors_in_the_client_workbooks_other_tables_are_named(tmp_path, capsys, book, sheet,
                                                               cell, error, argv, said):
    path = with_error_cells(book, sheet, {cell: error})
    before = snapshot(tmp_path)
    lines = errors_said(capsys, [argv[0], str(path), *argv[1:], "--as-of", "2026-11-23"])
    assert lines == [f"Error: {said}: {ERROR_SAID.format(error)}"]
    assert snapshot(tmp_path) == before


# A text file given a workbook's name, in every command that reads one ---------------------------

TEXT_SAID = "is a text file, not an Excel workbook: if it is a CSV export, name it .csv"
EXPORT_TEXT = ("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
            "A1,C1,2024-01-01,2024-01-31,100\n")


@pytest.mark.parametrize("argv", [
    ["aging", "{}"], ["kpis", "{}"], ["remind", "{}", "--dry-run"], ["refresh", "{}"],
    ["worklist", "{}", "--print-only"], ["report", "{}"], ["statement", "{}", "--customer", "C1"],
    ["log", "{}", "--customer", "C1", "--outcome", "called"],
    ["plan", "{}", "--customer", "C1", "--instalments", "2", "--start", "2024-07-01"],
    ["import", "{}", "--into", "{book}"], ["import", "{book}", "--into", "{}"],
    ["rates", "update", "--book", "{}", "--from-file", "{rates}/ecb_mrr_fr.csv",
     "{rates}/boe_iudbedr.csv"],
])
@pytest.mark.parametrize("name", ["Invoices.xlsx", "Invoices.xlsm"])
def test_a_text_file_named_as_a_workbook_is_said_to_be_text(tmp_path, capsys, book, argv, name):
    text = tmp_path / name
    text.write_text(EXPORT_TEXT, encoding="utf-8")
    rates = Path(__file__).parent / "data" / "rates"
    args = [part.format(text, book=book, rates=rates) for part in argv]
    before = snapshot(tmp_path)
    assert errors_said(capsys, [*args, "--as-of", "2024-06-30"]) == [f"Error: {name} {TEXT_SAID}"]
    assert snapshot(tmp_path) == before


def test_text_that_is_no_csv_named_xlsx_is_text_too_and_a_real_csv_is_read(tmp_path, capsys,
                                                                            book):
    notes = tmp_path / "notes.xlsx"
    notes.write_text("just some notes\nnothing here\n", encoding="utf-8")
    for argv in (["aging", str(notes)], ["import", str(notes), "--into", str(book)]):
        assert errors_said(capsys, [*argv, "--as-of", "2024-06-30"]) == [
            f"Error: notes.xlsx {TEXT_SAID}"]
    export = tmp_path / "Invoices.csv"
    export.write_text(EXPORT_TEXT, encoding="utf-8")
    assert main(["aging", str(export), "--as-of", "2024-06-30"]) == 0
    assert "C1" in capsys.readouterr().out
    assert main(["import", str(export), "--into", str(book), "--as-of", "2024-06-30"]) == 0
    assert "1 new" in capsys.readouterr().out


def test_a_folder_of_workbooks_names_the_text_one(tmp_path, capsys, book):
    (tmp_path / "Other.xlsx").write_text(EXPORT_TEXT, encoding="utf-8")
    out = tmp_path / "out" / "Portfolio.xlsx"
    out.parent.mkdir()
    assert main(["portfolio", str(tmp_path), "--out", str(out), "--as-of", "2026-11-23"]) in (0, 1)
    assert f"Other.xlsx: could not be read: Other.xlsx {TEXT_SAID}" in capsys.readouterr().err


def test_the_writer_says_the_same_of_text_named_xlsx(tmp_path):
    text = tmp_path / "Invoices.xlsx"
    text.write_text(EXPORT_TEXT, encoding="utf-8")
    with pytest.raises(UnsupportedWorkbookError, match=f"Invoices.xlsx: {TEXT_SAID}$"):
        append_rows(text, "Invoices", [])
