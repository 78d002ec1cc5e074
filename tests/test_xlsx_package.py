"""The workbook as a zip of parts: lazy reads, raw copies of untouched parts, the unzip bound."""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.io.xlsx import UnsupportedWorkbookError
from dunning.io.xlsx import package as package_module
from dunning.io.xlsx.package import Package, check_expansion, rels_part, resolve

DATES = [(2019, 4, 5, 6, 7, 8), (2021, 12, 31, 23, 59, 58), (1999, 1, 2, 3, 4, 6)]


def written(package, path):
    """Write `package`, with its pending edits, to the new file `path`."""
    with open(path, "wb") as out:
        package.write_to(out)
    return Path(path)


def rezipped(source, path, *, dates=None, method=zipfile.ZIP_DEFLATED, seekable=True):
    """`source`'s members zipped again into `path`, with the given member dates (cycled)."""
    parts = corpus.members(source)
    buffer = io.BytesIO()
    target = buffer if seekable else _Unseekable(buffer)
    with zipfile.ZipFile(target, "w", method) as archive:
        for index, (name, data) in enumerate(parts.items()):
            stamp = dates[index % len(dates)] if dates else (2020, 1, 1, 0, 0, 0)
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = method
            info.external_attr = 0o640 << 16
            archive.writestr(info, data)
    Path(path).write_bytes(buffer.getvalue())
    return Path(path)


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in, so it writes data descriptors."""

    def __init__(self, buffer):
        self.buffer = buffer

    def writable(self):
        return True

    def write(self, data):
        return self.buffer.write(data)

    def tell(self):
        return self.buffer.tell()

    def seekable(self):
        return False


def infos(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info for info in archive.infolist()}


@pytest.fixture
def rich(tmp_path):
    return corpus.build_xlsxwriter(tmp_path / "rich.xlsm")


def test_parts_are_found_without_case_and_read(rich):
    package = Package(rich)
    try:
        assert package.find("/XL/Workbook.XML") == "xl/workbook.xml"
        assert package.has("[content_types].xml") and not package.has("xl/missing.xml")
        assert package.read("xl/vbaProject.bin") == corpus.vba_project_bytes()
        assert package.read_text("customXml/item1.xml").startswith("<dunning ")
        with pytest.raises(KeyError):
            package.read("xl/missing.xml")
        package.write("XL/WORKBOOK.xml", "<edited/>")  # edits the member, whatever the case
        assert package.read("xl/workbook.xml") == b"<edited/>"
        assert "XL/WORKBOOK.xml" not in package.names()
        assert package.names() == list(corpus.members(rich))
    finally:
        package.close()


def test_an_unedited_package_is_copied_byte_for_byte(rich, tmp_path):
    package = Package(rich)
    copy = written(package, tmp_path / "copy.xlsm")
    package.close()
    assert corpus.raw_members(copy) == corpus.raw_members(rich)  # compressed bytes, in order
    assert list(corpus.raw_members(copy)) == list(corpus.raw_members(rich))
    before, after = infos(rich), infos(copy)
    for name, info in before.items():
        kept = after[name]
        assert (kept.CRC, kept.compress_type, kept.date_time, kept.external_attr) == (
            info.CRC, info.compress_type, info.date_time, info.external_attr), name
    with zipfile.ZipFile(copy) as archive:
        assert archive.testzip() is None


def test_only_edited_parts_change_and_readers_see_the_edit(rich, tmp_path):
    package = Package(rich)
    strings = package.read_text("xl/sharedStrings.xml")
    package.write("xl/sharedStrings.xml", strings.replace("Far below", "Far &amp; away"))
    edited = written(package, tmp_path / "edited.xlsm")
    package.close()
    before, after = corpus.raw_members(rich), corpus.raw_members(edited)
    assert [name for name in before if before[name] != after[name]] == ["xl/sharedStrings.xml"]
    rows = CalamineWorkbook.from_path(str(edited)).get_sheet_by_name("ContactLog").to_python()
    assert rows[9][7] == "Far & away"
    with zipfile.ZipFile(edited) as archive:
        assert archive.testzip() is None


def test_added_and_removed_parts(rich, tmp_path):
    package = Package(rich)
    package.write("/customXml/item2.xml", b"<new/>")
    package.remove("xl/slicers/slicer1.xml")
    package.remove("xl/not-there.xml")  # nothing to remove: no error
    assert not package.has("xl/slicers/slicer1.xml")
    assert package.names()[-1] == "customXml/item2.xml"
    result = written(package, tmp_path / "changed.xlsm")
    package.close()
    members = corpus.members(result)
    assert members["customXml/item2.xml"] == b"<new/>"
    assert "xl/slicers/slicer1.xml" not in members
    assert list(members)[:-1] == [name for name in corpus.members(rich)
                                  if name != "xl/slicers/slicer1.xml"]
    assert infos(result)["customXml/item2.xml"].date_time == (1980, 1, 1, 0, 0, 0)


def test_a_removed_part_written_again_comes_back(rich):
    package = Package(rich)
    try:
        package.remove("xl/styles.xml")
        package.write("xl/styles.xml", b"<styleSheet/>")
        assert package.read("xl/styles.xml") == b"<styleSheet/>"
        assert package.names().count("xl/styles.xml") == 1
    finally:
        package.close()


def test_member_dates_are_kept_and_the_output_is_reproducible(rich, tmp_path):
    dated = rezipped(rich, tmp_path / "dated.xlsm", dates=DATES)
    outputs = []
    for run in range(2):
        package = Package(dated)
        package.write("xl/workbook.xml", package.read("xl/workbook.xml") + b"\n")
        outputs.append(written(package, tmp_path / f"out{run}.xlsm").read_bytes())
        package.close()
    assert outputs[0] == outputs[1]  # no clock is read
    before, after = infos(dated), infos(tmp_path / "out0.xlsm")
    assert {name: info.date_time for name, info in after.items()} == {
        name: info.date_time for name, info in before.items()}
    assert after["xl/workbook.xml"].external_attr == 0o640 << 16


def test_members_with_data_descriptors_are_copied_raw(rich, tmp_path):
    streamed = rezipped(rich, tmp_path / "streamed.xlsm", seekable=False)
    assert all(info.flag_bits & 0x08 for info in infos(streamed).values())
    package = Package(streamed)
    copy = written(package, tmp_path / "copy.xlsm")
    package.close()
    assert corpus.raw_members(copy) == corpus.raw_members(streamed)
    assert not any(info.flag_bits & 0x08 for info in infos(copy).values())
    assert corpus.members(copy) == corpus.members(rich)


def test_stored_members_stay_stored(rich, tmp_path):
    stored = rezipped(rich, tmp_path / "stored.xlsm", method=zipfile.ZIP_STORED)
    package = Package(stored)
    package.write("xl/workbook.xml", package.read("xl/workbook.xml"))
    copy = written(package, tmp_path / "copy.xlsm")
    package.close()
    methods = {name: info.compress_type for name, info in infos(copy).items()}
    assert methods.pop("xl/workbook.xml") == zipfile.ZIP_DEFLATED  # edited: deflated
    assert set(methods.values()) == {zipfile.ZIP_STORED}
    assert corpus.members(copy) == corpus.members(rich)


def test_non_ascii_member_names_survive(tmp_path):
    path = tmp_path / "names.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/Grüße €.png", corpus.png_bytes())
        archive.writestr("docs/plain.txt", b"x" * 100)
    package = Package(path)
    package.write("docs/plain.txt", b"y")
    copy = written(package, tmp_path / "copy.xlsx")
    package.close()
    assert corpus.members(copy) == {"xl/media/Grüße €.png": corpus.png_bytes(),
                                    "docs/plain.txt": b"y"}


def zip_bomb(path, size):
    """A real workbook with one extra part of `size` zero bytes (it deflates ~1000 times)."""
    book = corpus.build_openpyxl(path)
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(size))
    return book


def test_a_part_that_unzips_too_many_times_its_size_is_refused(tmp_path):
    book = zip_bomb(tmp_path / "bomb.xlsx", 2 << 20)
    with pytest.raises(UnsupportedWorkbookError) as raised:
        Package(book)
    message = str(raised.value)
    assert str(book) in message and "xl/media/zeros.bin" in message
    assert "more than 100 times is refused" in message


def test_the_ratio_bound_spares_small_parts(tmp_path):
    book = zip_bomb(tmp_path / "small.xlsx", 1 << 20)  # compresses as well, but only 1 MiB
    Package(book).close()


def test_lowered_limits_are_read_at_each_call(tmp_path, monkeypatch):
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    sizes = {name: info.file_size for name, info in infos(book).items()}
    largest = max(sizes, key=sizes.get)
    monkeypatch.setattr(package_module, "MAX_PART_SIZE", sizes[largest] - 1)
    with pytest.raises(UnsupportedWorkbookError, match=f"part {largest} would unzip to"):
        Package(book)
    monkeypatch.setattr(package_module, "MAX_PART_SIZE", 1 << 30)
    monkeypatch.setattr(package_module, "MAX_TOTAL_SIZE", sum(sizes.values()) - 1)
    with pytest.raises(UnsupportedWorkbookError, match="unzipped size of all the parts"):
        Package(book)
    monkeypatch.setattr(package_module, "MAX_TOTAL_SIZE", sum(sizes.values()))
    Package(book).close()  # exactly at the bound is allowed


def test_the_ratio_bound_with_lowered_limits(monkeypatch):
    monkeypatch.setattr(package_module, "RATIO_FROM", 100)
    monkeypatch.setattr(package_module, "MAX_RATIO", 10)

    def member(name, size, packed):
        info = zipfile.ZipInfo(name)
        info.file_size, info.compress_size = size, packed
        return info

    check_expansion("book.xlsx", [member("a.xml", 1000, 100), member("b.xml", 100, 1)])
    with pytest.raises(UnsupportedWorkbookError, match="c.xml would unzip to 1,001 bytes"):
        check_expansion("book.xlsx", [member("c.xml", 1001, 100)])
    with pytest.raises(UnsupportedWorkbookError, match="infinitely many times") as raised:
        check_expansion("book.xlsx", [member("d.xml", 101, 0)])
    assert raised.value.issues[0].sheet == "book.xlsx"


def open_handles(path):
    folder = Path("/proc/self/fd")
    return [fd for fd in folder.iterdir() if os.path.realpath(fd) == str(path)]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_refused_package_closes_its_file(tmp_path):
    book = zip_bomb(tmp_path / "bomb.xlsx", 2 << 20)
    with pytest.raises(UnsupportedWorkbookError) as raised:
        Package(book)
    assert open_handles(book.resolve()) == [], raised.value  # closed while the error is held


def patched(path, signature, offset, data):
    """`path` with `data` written at `offset` into every record with `signature`."""
    raw = bytearray(path.read_bytes())
    start = raw.find(signature)
    while start >= 0:
        raw[start + offset : start + offset + len(data)] = data
        start = raw.find(signature, start + 1)
    path.write_bytes(bytes(raw))
    return path


def small_zip(path, names=("a.xml", "b.xml"), method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as archive:
        for name in names:
            archive.writestr(name, b"<x/>" * 10)
    return path


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_bytes(b"not a zip"), "not a zip"),
        (lambda p: small_zip(p, ("xl/styles.xml", "XL/Styles.xml")), "XL/Styles.xml twice"),
        (lambda p: patched(small_zip(p), b"PK\x01\x02", 8, struct.pack("<H", 1)), "encrypted"),
        (lambda p: small_zip(p, method=zipfile.ZIP_BZIP2), "unknown compression in a.xml"),
        (lambda p: patched(small_zip(p), b"PK\x03\x04", 0, b"PK\x07\x07"), "damaged zip member"),
    ],
    ids=["not-zip", "twice", "encrypted", "bzip2", "damaged"],
)
def test_damaged_or_odd_zips_are_refused_naming_the_file(tmp_path, make, message):
    path = tmp_path / "odd.xlsx"
    make(path)
    with pytest.raises(UnsupportedWorkbookError, match=message) as raised:
        Package(path)
    assert raised.value.issues[0].sheet == str(path)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_refused_member_closes_the_file(tmp_path):
    path = patched(small_zip(tmp_path / "odd.xlsx"), b"PK\x01\x02", 8, struct.pack("<H", 1))
    with pytest.raises(UnsupportedWorkbookError, match="encrypted") as raised:
        Package(path)
    # While the error is still held (a caller reporting it), the file must already be closed,
    # as it is when the expansion bound refuses it: on Windows an open handle blocks the file.
    assert open_handles(path.resolve()) == [], raised.value


def test_a_source_truncated_after_opening_is_refused(tmp_path):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:  # stored, larger than any read-ahead
        archive.writestr("a.xml", random.Random(1).randbytes(200_000))
    package = Package(path)
    try:
        offset = package.members["a.xml"].data_offset
        os.truncate(path, offset + 2)
        with pytest.raises(UnsupportedWorkbookError, match="truncated inside a.xml"):
            package.write_to(io.BytesIO())
    finally:
        package.close()


def test_relationship_targets_resolve_to_part_names():
    assert resolve("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("xl/worksheets/sheet1.xml", "../tables/table1.xml") == "xl/tables/table1.xml"
    assert resolve("xl/workbook.xml", "/xl/styles.xml") == "xl/styles.xml"
    assert resolve("xl/workbook.xml", "../customXml/item1.xml") == "customXml/item1.xml"
    assert resolve("", "xl/workbook.xml") == "xl/workbook.xml"
    assert rels_part("xl/workbook.xml") == "xl/_rels/workbook.xml.rels"
    assert rels_part("xl/worksheets/sheet2.xml") == "xl/worksheets/_rels/sheet2.xml.rels"
    assert rels_part("") == "_rels/.rels"
