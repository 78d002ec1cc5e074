"""The workbook file as a zip of parts: read lazily, written back with untouched parts copied raw.

An untouched part is copied as its compressed bytes, straight from the old file
into the new one: it is neither inflated nor deflated again, so a 100,000-row
Invoices sheet costs a file copy, and every part the writer did not edit is
byte-identical afterwards, compressed and uncompressed. Only edited and new parts
are deflated. The zip structures (local headers, central directory) are written
here because `zipfile` has no way to add a member from its compressed bytes.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dunning.io.xlsx.errors import unsupported

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_LIMIT = 0xFFFFFFFF
_MAX_MEMBERS = 0xFFFF
_CHUNK = 1 << 20
_FAST_ABOVE = 4 << 20
_UTF8_FLAG = 0x800
_DESCRIPTOR_FLAG = 0x08

MAX_PART_SIZE = 1 << 30
"""No part of a workbook may unzip to more than 1 GiB (a million-row invoice sheet is ~300 MB)."""
MAX_TOTAL_SIZE = 2 << 30
"""Nor all its parts together to more than 2 GiB."""
MAX_RATIO = 100
"""A part larger than `RATIO_FROM` may unzip to at most 100 times its zipped size..."""
RATIO_FROM = 1 << 20
"""...(1 MiB): real sheets compress 5 to 30 times; a zip bomb compresses a thousand times."""


def check_expansion(name: str, infos: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse a workbook whose parts would cost too much to unzip, before any part is read.

    The sizes are those the zip's directory declares. They can be trusted as
    bounds: both readers, zipfile here and calamine's Rust zip, stop with an
    error when a part holds more than it declares. The limits are the module's
    constants, read at each call (so a test can lower them). Raises
    `UnsupportedWorkbookError` naming the file (`name`) and the part.
    """
    total = 0
    for info in infos:
        size, packed = info.file_size, info.compress_size
        total += size
        if size > MAX_PART_SIZE:
            reason = f"would unzip to {size:,} bytes, more than the {MAX_PART_SIZE:,} allowed"
        elif size > RATIO_FROM and size > MAX_RATIO * packed:
            ratio = f"{size / packed:,.0f} times" if packed else "infinitely many times"
            reason = (f"would unzip to {size:,} bytes from {packed:,} ({ratio} its zipped "
                      f"size; more than {MAX_RATIO} times is refused)")
        elif total > MAX_TOTAL_SIZE:
            reason = (f"brings the unzipped size of all the parts to {total:,} bytes, more "
                      f"than the {MAX_TOTAL_SIZE:,} allowed")
        else:
            continue
        raise unsupported(name, (
            f"the part {info.filename} {reason}, so it is not unzipped: the file is damaged "
            "or was made to exhaust memory. If the workbook is genuine, open it in Excel, "
            "save it again as .xlsx and retry"))


@dataclass(frozen=True)
class Member:
    """One zip member of the source file and where its compressed bytes start."""

    info: zipfile.ZipInfo
    data_offset: int


@dataclass(frozen=True)
class Written:
    """What was written for one member: enough to write its central directory record."""

    info: zipfile.ZipInfo
    offset: int
    crc: int
    compressed_size: int
    size: int
    method: int
    raw: bool


class Package:
    """The parts of one workbook file, with pending edits kept in memory until `write_to`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._zip: zipfile.ZipFile | None = None
        try:
            try:
                self._zip = zipfile.ZipFile(self._file)
            except zipfile.BadZipFile:
                raise unsupported(
                    str(path), "is not a valid .xlsx/.xlsm file (not a zip)"
                ) from None
            check_expansion(str(path), self._zip.infolist())
            self.members: dict[str, Member] = {}
            self._by_lower: dict[str, str] = {}
            for info in self._zip.infolist():
                self._add_member(info)
        except BaseException:
            # Every refusal (and any other failure) closes the file before it is
            # reported: on Windows an open handle would keep the workbook busy.
            self.close()
            raise
        self.edited: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self.order: list[str] = list(self.members)

    def _add_member(self, info: zipfile.ZipInfo) -> None:
        if info.filename in self.members or info.filename.lower() in self._by_lower:
            raise unsupported(str(self.path), f"has the zip member {info.filename} twice")
        if info.flag_bits & 0x1:
            raise unsupported(str(self.path), "has encrypted zip members")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise unsupported(str(self.path), f"uses an unknown compression in {info.filename}")
        self._file.seek(info.header_offset)
        header = _LOCAL_HEADER.unpack(self._file.read(_LOCAL_HEADER.size))
        if header[0] != b"PK\x03\x04":
            raise unsupported(str(self.path), f"has a damaged zip member {info.filename}")
        offset = info.header_offset + _LOCAL_HEADER.size + header[10] + header[11]
        self.members[info.filename] = Member(info, offset)
        self._by_lower[info.filename.lower()] = info.filename

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self._file.close()

    # Public API ------------------------------------------------------------

    def find(self, name: str) -> str | None:
        """The member name of part `name`, matched without case as OPC part names are."""
        name = name.lstrip("/")
        if name in self.edited:
            return name
        found = self._by_lower.get(name.lower())
        return None if found is None or found in self.removed else found

    def has(self, name: str) -> bool:
        return self.find(name) is not None

    def read(self, name: str) -> bytes:
        """The current content of part `name` (the edited version if it was edited)."""
        found = self.find(name)
        if found is None:
            raise KeyError(name)
        if found in self.edited:
            return self.edited[found]
        return self._zip.read(found)

    def read_text(self, name: str) -> str:
        return self.read(name).decode("utf-8")

    def write(self, name: str, data: bytes | str) -> None:
        """Replace (or add) part `name`; it is deflated when the package is written."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        found = self.find(name) or name.lstrip("/")
        self.edited[found] = data
        self.removed.discard(found)
        if found not in self.order:
            self.order.append(found)

    def remove(self, name: str) -> None:
        found = self.find(name)
        if found is not None:
            self.edited.pop(found, None)
            self.removed.add(found)

    def names(self) -> list[str]:
        """Member names the written package will hold, in order."""
        return [name for name in self.order if name not in self.removed]

    def raw_bytes(self, name: str) -> bytes:
        """The compressed bytes of a source member, as stored in the file."""
        member = self.members[name]
        self._file.seek(member.data_offset)
        return self._file.read(member.info.compress_size)

    def write_to(self, out: BinaryIO) -> list[Written]:
        """Write the whole package to `out`: raw copies for untouched parts.

        Raises `UnsupportedWorkbookError` naming the workbook file when the result
        would need Zip64 (more than 65,535 parts, or a part or offset past 4 GB).
        """
        names = self.names()
        if len(names) > _MAX_MEMBERS:
            raise self._too_many(len(names), names[_MAX_MEMBERS])
        written = []
        for name in names:
            if name in self.edited:
                written.append(self._write_new(out, name, self.edited[name]))
            else:
                written.append(self._copy_raw(out, self.members[name]))
        self._write_central_directory(out, written)
        return written

    # Private API -----------------------------------------------------------

    def _copy_raw(self, out: BinaryIO, member: Member) -> Written:
        info = member.info
        offset = out.tell()
        out.write(self._local_header(info, info.CRC, info.compress_size, info.file_size))
        self._file.seek(member.data_offset)
        remaining = info.compress_size
        while remaining:
            chunk = self._file.read(min(_CHUNK, remaining))
            if not chunk:
                raise unsupported(str(self.path), f"is truncated inside {info.filename}")
            out.write(chunk)
            remaining -= len(chunk)
        return Written(
            info, offset, info.CRC, info.compress_size, info.file_size, info.compress_type, raw=True
        )

    def _write_new(self, out: BinaryIO, name: str, data: bytes) -> Written:
        source = self.members.get(name)
        # A rewritten part keeps its member's date (a new one takes 1980-01-01, zip's epoch):
        # the writer reads no clock, and the same edit gives the same bytes.
        stamp = source.info.date_time if source is not None else (1980, 1, 1, 0, 0, 0)
        info = zipfile.ZipInfo(name, stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        if source is not None:
            info.external_attr = source.info.external_attr
            info.create_system = source.info.create_system
        # A big edited sheet is deflated at the fast level: level 6 would triple the
        # time for about a fifth less size.
        level = 6 if len(data) < _FAST_ABOVE else 1
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        offset = out.tell()
        out.write(self._local_header(info, crc, len(packed), len(data)))
        out.write(packed)
        return Written(info, offset, crc, len(packed), len(data), zipfile.ZIP_DEFLATED, raw=False)

    def _local_header(self, info: zipfile.ZipInfo, crc: int, compressed: int, size: int) -> bytes:
        if compressed >= _LIMIT or size >= _LIMIT:
            raise unsupported(
                str(self.path),
                f"the part {info.filename} is larger than 4 GB; such workbooks are not supported",
            )
        name = info.filename.encode("utf-8")
        dostime, dosdate = _dos_time(info)
        return (
            _LOCAL_HEADER.pack(
                b"PK\x03\x04",
                20,
                0,
                _flags(info),
                info.compress_type,
                dostime,
                dosdate,
                crc,
                compressed,
                size,
                len(name),
                0,
            )
            + name
        )

    def _write_central_directory(self, out: BinaryIO, written: list[Written]) -> None:
        start = out.tell()
        for item in written:
            info = item.info
            if item.offset >= _LIMIT:
                raise unsupported(
                    str(self.path),
                    f"the part {info.filename} would start past 4 GB, making a workbook larger "
                    "than 4 GB; such workbooks are not supported",
                )
            name = info.filename.encode("utf-8")
            dostime, dosdate = _dos_time(info)
            out.write(
                _CENTRAL_HEADER.pack(
                    b"PK\x01\x02",
                    20,
                    info.create_system,
                    20,
                    0,
                    _flags(info),
                    item.method,
                    dostime,
                    dosdate,
                    item.crc,
                    item.compressed_size,
                    item.size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    info.external_attr,
                    item.offset,
                )
            )
            out.write(name)
        size = out.tell() - start
        if len(written) > _MAX_MEMBERS:
            raise self._too_many(len(written), written[_MAX_MEMBERS].info.filename)
        out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, len(written), len(written), size, start, 0))

    def _too_many(self, count: int, first_extra: str) -> Exception:
        return unsupported(
            str(self.path),
            f"would have {count:,} parts, more than the 65,535 a workbook can hold "
            f"(the first part past them is {first_extra}); not supported",
        )


def _flags(info: zipfile.ZipInfo) -> int:
    flags = info.flag_bits & ~_DESCRIPTOR_FLAG
    try:
        info.filename.encode("ascii")
    except UnicodeEncodeError:
        flags |= _UTF8_FLAG
    return flags


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    year, month, day, hour, minute, second = info.date_time
    year = max(1980, year)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def resolve(source_part: str, target: str) -> str:
    """The part name a relationship `target` of `source_part` points to."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target))


def rels_part(part: str) -> str:
    """The relationships part of `part` (`xl/workbook.xml` -> `xl/_rels/workbook.xml.rels`)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")
