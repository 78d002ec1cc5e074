"""The cells of a worksheet that hold an Excel error (#DIV/0!, #N/A...), read from its XML.

The readers cannot tell them from blanks: calamine's rows give an error cell as "", and
fastexcel's table columns as a null, so a formula's cached `#DIV/0!` in an Amount would
read as a missing amount, and in an optional column as nothing at all. In the sheet's XML
an error cell is `<c r="E7" t="e"><f>1/0</f><v>#DIV/0!</v></c>`: this module finds those.

The part is streamed, never held whole unless it holds one: a 100,000-row sheet (56 MB of
XML) is inflated and searched for the attribute's value in about a tenth of a second, and
only a part where it occurs is parsed cell by cell. A cell element without its `r`
reference (optional in the format, which few writers use) is placed by counting, as
readers do. A part that is missing or broken gives no cells: the reader that reads the
values says what is wrong with it.

A picture placed in a cell, or a linked data type (Stocks, Geography), is stored as an
error too (`<c t="e" vm="1"><v>#VALUE!</v></c>`, its value kept in the rich-value parts
that `vm` points to): Excel shows no error there, so neither is one named here; every
reader reads such a cell as a blank.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

from dunning.io.xlsx.package import rels_part, resolve
from dunning.io.xlsx.refs import split_cell

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = "/officeDocument"
_CHUNK = 1 << 20
_REACH = 64 << 10
"""Bytes from a `t="e"` to its value's "#" at most: a formula of 8,192 characters (Excel's
limit), each escaped as up to 6 (&quot;), and the cell's other attributes."""
_HINTS = (b'"e"', b"'e'")
_ERROR_CELL = re.compile(
    rb"""<(?:[\w.-]+:)?c\b(?=[^>]*?\st\s*=\s*["']e["'])([^>]*?)(/?)>""")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_RICH_VALUE = re.compile(rb"\svm\s*=")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\b[^>]*>([^<]*)<")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c\s*>")


@dataclass(frozen=True, order=True)
class ErrorCell:
    """A cell holding an Excel error: its sheet row and column (from 1) and the error's text."""

    row: int
    column: int
    error: str


def sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip part of the sheet named `sheet`, through the workbook's relationships."""
    workbook = _workbook_part(archive)
    root = ElementTree.fromstring(archive.read(workbook))
    rid = next((element.get(_REL) for element in root.iter(f"{_MAIN}sheet")
                if element.get("name") == sheet), None)
    if rid is None:
        return None
    rels = ElementTree.fromstring(archive.read(rels_part(workbook)))
    target = next((element.get("Target") for element in rels.iter(_PACKAGE_REL)
                   if element.get("Id") == rid), None)
    return None if target is None else resolve(workbook, target)


def _workbook_part(archive: zipfile.ZipFile) -> str:
    """The workbook's main part, as the package's relationships name it (xl/workbook.xml)."""
    try:
        rels = ElementTree.fromstring(archive.read("_rels/.rels"))
    except KeyError:
        return "xl/workbook.xml"
    return next((resolve("", element.get("Target") or "") for element in rels.iter(_PACKAGE_REL)
                 if (element.get("Type") or "").endswith(_OFFICE_DOCUMENT)), "xl/workbook.xml")


def error_cells(path: Path, sheet: str) -> list[ErrorCell]:
    """Every cell of the sheet named `sheet` that holds an Excel error, in row then column
    order; none when the sheet has none, or its part cannot be found or read."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet)
            if part is None or not _may_hold_errors(archive, part):
                return []
            data = archive.read(part)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        return []
    return sorted(_cells(data))


def _may_hold_errors(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether the part holds the value of a `t="e"` attribute anywhere (read in chunks).

    Every error value starts with "#", which numbers, dates and most text never hold: a
    chunk without one (found at memchr's speed) is passed over without the slower search
    for the attribute's value, which holds Python's lock; a chunk with one is searched
    from `_REACH` bytes before it, as far as a cell's attribute can be from its value."""
    before = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            if b"#" in chunk:
                window = before + chunk
                if any(hint in window for hint in _HINTS):
                    return True
            before = (before + chunk)[-_REACH:] if len(chunk) < _REACH else chunk[-_REACH:]
    return False


def _cells(data: bytes) -> list[ErrorCell]:
    found: list[ErrorCell] = []
    for match in _ERROR_CELL.finditer(data):
        if match.group(2) or _RICH_VALUE.search(match.group(1)):  # no value, or a picture's
            continue
        reference = _CELL_REF.search(match.group(1))
        if reference is None:
            return _counted_cells(data)
        end = _CELL_END.search(data, match.end())
        value = _VALUE.search(data, match.end(), end.start() if end else len(data))
        if value is None or not value.group(1).strip():
            continue
        try:
            row, column = split_cell(reference.group(1).decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return _counted_cells(data)
        found.append(ErrorCell(row, column, _text(value.group(1))))
    return found


def _counted_cells(data: bytes) -> list[ErrorCell]:
    """The error cells of a part some of whose cells or rows carry no reference: each row
    is the one after the last unless it says, each cell the one after the last in its row."""
    found: list[ErrorCell] = []
    row = 0
    try:
        for _, element in ElementTree.iterparse(io.BytesIO(data)):
            if element.tag != f"{_MAIN}row":
                continue
            row = int(element.get("r") or row + 1)
            column = 0
            for cell in element.iter(f"{_MAIN}c"):
                reference = cell.get("r")
                column = split_cell(reference)[1] if reference else column + 1
                value = cell.find(f"{_MAIN}v")
                if (cell.get("t") == "e" and cell.get("vm") is None and value is not None
                        and (value.text or "").strip()):
                    found.append(ErrorCell(row, column, value.text.strip()))
            element.clear()
    except (ElementTree.ParseError, ValueError):
        return found
    return found


def _text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", "replace").strip(), {"&quot;": '"', "&apos;": "'"})
