"""Read invoice tables from workbooks and CSV exports, values only and fast.

Workbooks are read with calamine (a Rust reader): it returns cell values, the
cached results of formulas included, about ten times faster than openpyxl, and
it never changes the file. A workbook's invoices are its `Invoices` table when
it has one (the template's), otherwise a sheet with the header in its first
row. CSV files are read as text so that invoice numbers keep leading zeros and
dates keep the format the ledger builder infers.

What a file is, is judged by its content, not its name, and before anything
reads it (`check_workbook_file`, `read_csv_text`): Dunning reads .xlsx and
.xlsm workbooks and CSV text (UTF-8 is best). An .xls, .xlsb or .ods file (or one renamed
.xlsx), a password-protected workbook, a damaged one, or a zip whose parts would
unzip past the bounds of `dunning.io.xlsx.package.check_expansion` is refused with
a `DunningInputError` that says what the file is and what to do.

CSV text is decoded by this rule: a byte-order mark decides (UTF-8, UTF-16 as
Excel's "Unicode Text" writes it, UTF-32); without one, UTF-16 is recognised by
its pattern of zero bytes, then UTF-8 is tried, then Windows-1252 (which is what
Excel's plain "CSV" writes on Western Windows, and reads Latin-1 text the same),
with a warning that says so. The separator is the one the header row holds
most of: comma, semicolon or tab.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import functools
import io
import mmap
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError

from dunning.core.errors import DunningInputError, Issue
from dunning.core.ledger import HandedColumns, Ledger, build_ledger
from dunning.io.workbook import FileWorkbook, Workbook, name_value_pairs, opened, table_frame
from dunning.io.xlsx.errors import TEXT_NOT_WORKBOOK

INVOICE_TABLE = "Invoices"
READABLE = "Dunning reads .xlsx and .xlsm workbooks and .csv exports"
SAVE_AS_XLSX = "open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)"
WORKBOOK_NAMES = (".xlsx", ".xlsm")

_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF = 4096
_HEAD = 1 << 16
_ARROW_TEXT = pd.StringDtype("pyarrow")


def read_invoices(
    source: str | Path | Workbook,
    *,
    sheet: str | None = None,
    table: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
) -> Ledger:
    """The ledger of a workbook or CSV file.

    In a workbook, `table` names an Excel Table and `sheet` a sheet whose first
    row holds the headers; with neither, the `Invoices` table is used if there
    is one, else the `Invoices` sheet, else the first sheet.
    """
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".csv":
        path = Path(source)
        if not path.exists():
            raise DunningInputError([Issue(f"no such file: {path}")])
        notes: list[Issue] = []
        ledger = build_ledger(_handed(read_csv_text(path, notes=notes)), mapping=mapping,
                              dayfirst=dayfirst, decimal=decimal, sheet=path.name)
        _release_arrow_memory()
        return dataclasses.replace(ledger, issues=(*notes, *ledger.issues)) if notes else ledger
    fast = _sheet_ledger(source, sheet, table, mapping, dayfirst, decimal)
    if fast is not None:
        return fast
    rows, sheet_name, header_row, first_column = read_table_rows(source, sheet=sheet,
                                                                 table=table)
    return build_ledger(rows, mapping=mapping, dayfirst=dayfirst, decimal=decimal,
                        sheet=sheet_name, header_row=header_row, first_column=first_column)


def _handed(frame: pd.DataFrame) -> HandedColumns:
    """A frame's columns handed to the ledger builder, with no frame left holding them."""
    return HandedColumns(list(frame.columns),
                         [frame.iloc[:, index].array for index in range(frame.shape[1])],
                         let_go=_release_arrow_memory)


def _release_arrow_memory() -> None:
    """Hand the memory of the Arrow text let go back to the system, so the ledger is not
    built up on top of it (Arrow's allocator keeps freed memory for reuse; so does the C
    library's, for the parsers' numpy arrays: on Linux `malloc_trim` returns it)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (Windows, macOS, musl)."""
    import ctypes
    import ctypes.util

    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (AttributeError, OSError):
        return None


def _sheet_ledger(source: str | Path | Workbook, sheet: str | None, table: str | None,
                  mapping: Mapping[str, str] | None, dayfirst: bool | None,
                  decimal: str) -> Ledger | None:
    """The ledger of a workbook file's invoice table or sheet read as Arrow columns
    (`sheet_arrow`), when that path can read them as calamine would; else None."""
    if isinstance(source, FileWorkbook):
        path = source.path
    elif isinstance(source, (str, Path)):
        path = Path(source)
    else:  # a book open in Excel: its values come from Excel
        return None
    if path.suffix.lower() not in WORKBOOK_NAMES or (table is not None and sheet is not None):
        return None
    from dunning.io.sheet_arrow import sheet_frame, table_arrow_frame  # (not for a CSV)

    _check(source)
    with opened(source) as workbook, _damage_told(workbook):
        tables = workbook.table_names() if sheet is None else []
        sheets = workbook.sheet_names()
    wanted = table or (INVOICE_TABLE if INVOICE_TABLE in tables else None)
    if wanted is not None:  # the template's way: an Excel table
        named = [name for name in tables if name.casefold() == wanted.casefold()]
        found = table_arrow_frame(path, named[0]) if named else None
        if found is None:
            return None
        frame, sheet_name, header_row, first_column = found
        return build_ledger(frame, mapping=mapping, dayfirst=dayfirst, decimal=decimal,
                            sheet=sheet_name, header_row=header_row, first_column=first_column)
    name = sheet or _default_sheet(sheets)
    frame = sheet_frame(path, name) if name in sheets else None
    if frame is None:
        return None
    return build_ledger(frame, mapping=mapping, dayfirst=dayfirst, decimal=decimal, sheet=name,
                        header_row=1)


def read_csv_text(path: Path, *, notes: list[Issue] | None = None) -> pd.DataFrame:
    """A CSV export as text, decoded and split as the module docstring says.

    A workbook given a .csv name is refused, saying what it is. When the text had
    to be read as Windows-1252, a warning saying so is added to `notes`.
    """
    fast = _utf8_csv_file(path)
    if fast is not None:
        return fast
    raw, text, encoding = _text_file(path, "a CSV text file")
    if encoding == "cp1252" and notes is not None:
        notes.append(Issue(
            f"{path.name} is not UTF-8: it was read as Windows-1252 (Excel's plain CSV); if "
            "letters such as ä or é look wrong, save it again as CSV UTF-8",
            severity="warning"))
    if not text or text.isspace():  # (text.strip() would copy a large file once more)
        raise DunningInputError([Issue(f"{path.name} is empty: expected a header row and "
                                       "invoice rows")])
    header = _first_line(text)
    separator = _separator(header)
    if encoding in ("utf-8", "utf-8-sig"):  # Arrow reads the bytes; the text is let go
        del text
        fast = _arrow_csv(raw[3:] if encoding == "utf-8-sig" else raw, header, separator)
        text = raw.decode(encoding) if fast is None else ""
    else:
        fast = _arrow_csv(text.encode("utf-8"), header, separator)
    if fast is not None:
        return fast
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=separator)
    except pd.errors.ParserError as error:
        raise DunningInputError([Issue(f"{path.name} cannot be read as CSV: {error}")]) from None


def _separator(header: str) -> str:
    """The one of comma, semicolon and tab the header row holds most of (comma for none)."""
    counts = {mark: header.count(mark) for mark in (",", ";", "\t")}
    return max(counts, key=lambda mark: counts[mark]) if any(counts.values()) else ","


def _utf8_csv_file(path: Path) -> pd.DataFrame | None:
    """A UTF-8 CSV file read by Arrow from the file itself, or None for the full path.

    The file's text is never held in Python (a 57 MB export was held twice, as bytes and
    as text, before Arrow read it): its start is sniffed as `_text_file` sniffs it, Arrow
    checks that every cell is UTF-8 while it reads, and the cells are searched for zero
    bytes. Anything else (another encoding, a binary file, an empty one, a header longer
    than the start read, bytes that are not UTF-8) returns None, and `read_csv_text`
    reads, decodes or refuses the file as before, with its messages.
    """
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
        whole = not handle.read(1)
    if _binary_kind(path, head[:_SNIFF]) is not None:
        return None
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if encoding not in (None, "utf-8-sig") or (
            encoding is None and _utf16_by_pattern(head[:_SNIFF]) is not None):
        return None
    try:
        start = codecs.getincrementaldecoder("utf-8")().decode(
            head[3:] if encoding else head, final=whole)
    except UnicodeDecodeError:
        return None
    lines = start.splitlines()
    if "\x00" in start or start.isspace() or not lines or (len(lines) < 2 and not whole):
        return None
    header = lines[0]
    table = _arrow_csv(path, header, _separator(header))
    if table is None or any(_holds_zero_byte(table[name].array) for name in table.columns):
        return None
    return table


def _holds_zero_byte(column: object) -> bool:
    """Whether an Arrow text column's characters include NUL (which marks a binary file)."""
    import numpy as np

    for chunk in column.__arrow_array__().chunks:  # type: ignore[attr-defined]
        text = chunk.buffers()[2]
        if text is not None and text.size and not np.frombuffer(text, dtype=np.uint8).all():
            return True
    return False


def _first_line(text: str) -> str:
    """`text.splitlines()[0]`, without splitting a million lines to keep one."""
    size = 65_536
    while True:
        lines = text[:size].splitlines()
        if len(lines) > 1 or size >= len(text):
            return lines[0] if lines else ""
        size *= 4


def _arrow_csv(data: bytes | Path, header: str, separator: str) -> pd.DataFrame | None:
    """The CSV read by Arrow's multi-threaded C++ reader into Arrow-backed text columns.

    Every cell stays text, as with pandas' own reader (`dtype=str`, no NA values), so the
    ledger's rules (leading zeros, day-first inference, decimal comma refusal) see what the
    file holds; the columns stay in Arrow's memory, a fraction of a million Python strings.
    A file Arrow cannot split as pandas would (repeated headers, which pandas renames, rows
    of other lengths, stray quotes) returns None, and pandas' reader reads or refuses it as
    before, with its messages.
    """
    try:
        import pyarrow as pa
        from pyarrow import csv as arrow_csv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    names = next(csv.reader([header], delimiter=separator), [])
    if not names or len(set(names)) != len(names):
        return None
    try:
        table = arrow_csv.read_csv(
            str(data) if isinstance(data, Path) else pa.py_buffer(data),
            parse_options=arrow_csv.ParseOptions(delimiter=separator, newlines_in_values=True),
            convert_options=arrow_csv.ConvertOptions(
                column_types={name: pa.large_string() for name in names},  # pandas' own
                strings_can_be_null=False, null_values=[], quoted_strings_can_be_null=False),
            memory_pool=pa.system_memory_pool())  # (returned to the system when let go)
    except (pa.ArrowInvalid, pa.ArrowKeyError, pa.ArrowTypeError, ValueError):
        return None
    if table.column_names != names:
        return None
    pa.default_memory_pool().release_unused()  # the reader's blocks, kept by the allocator
    return pd.DataFrame({
        index: pd.Series(pd.arrays.ArrowStringArray(table.column(index)), copy=False)
        for index in range(table.num_columns)}).set_axis(names, axis=1)


def _decoded(path: Path, raw: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (see the module docstring)."""
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    encoding = encoding or _utf16_by_pattern(raw[:_SNIFF]) or "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise DunningInputError([Issue(
                f"{path.name} is damaged {encoding.upper().replace('-SIG', '')} text "
                f"({error.reason} at byte {error.start}); save it again as CSV UTF-8")]) from None
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as error:
            raise DunningInputError([Issue(
                f"{path.name} is neither UTF-8 nor Windows-1252 text ({error.reason} at byte "
                f"{error.start}); save it again as CSV UTF-8")]) from None
    if "\x00" in text:
        raise DunningInputError([Issue(
            f"{path.name} is not a CSV text file (it holds zero bytes, as binary files do); "
            f"{READABLE}")])
    return text, encoding


def _utf16_by_pattern(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-ASCII text has a zero byte in every other place."""
    pairs = len(head) // 2
    if pairs < 2 or b"\x00" not in head:
        return None
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if odd >= pairs * 0.3 and even <= pairs * 0.02:
        return "utf-16-le"
    if even >= pairs * 0.3 and odd <= pairs * 0.02:
        return "utf-16-be"
    return None


def check_workbook_file(path: Path) -> None:
    """Refuse a file that is not an .xlsx or .xlsm workbook Dunning can read, before it is read.

    The content decides: an .xls renamed .xlsx is an .xls, an .xlsx renamed .xls
    is an .xlsx (to be given back its name). A zip whose parts would unzip past
    the bounds of `check_expansion` is refused here too, before calamine opens it.
    A folder is refused as one; a file that is not there is left to the caller, which says so.
    """
    if path.is_dir():
        raise DunningInputError([Issue(
            f"{path.name} is a folder, not a workbook file: name the workbook (.xlsx, .xlsm) "
            "itself")])
    if not path.is_file():
        return
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF)
    kind = _binary_kind(path, head)
    suffix = path.suffix.lower()
    if kind is None:
        raise DunningInputError([Issue(
            f"{path.name} {TEXT_NOT_WORKBOOK}" if head else
            f"{path.name} is empty (0 bytes), not a workbook; get a fresh copy of the workbook")])
    if kind == _XLSX:
        if suffix not in WORKBOOK_NAMES:
            raise DunningInputError([Issue(
                f"{path.name} is an Excel workbook (.xlsx) despite its {suffix or 'missing'} "
                "extension: rename it to .xlsx and retry")])
        return
    despite = f" despite its {suffix} name" if suffix in WORKBOOK_NAMES else ""
    raise DunningInputError([Issue(f"{path.name} is {kind}{despite}; {_advice_for(kind)}")])


_XLSX = "an Excel workbook (.xlsx)"
_XLS = "an Excel 97-2003 workbook (.xls)"
_ENCRYPTED = "a password-protected (encrypted) workbook"


def _advice_for(kind: str, *, csv: bool = False) -> str:
    if kind == _XLSX and csv:
        return "give it its .xlsx name"
    if kind == _ENCRYPTED:
        return ("Dunning cannot read an encrypted workbook: open it in Excel, remove the "
                "password (File > Info > Protect Workbook > Encrypt with Password) and save it "
                "as .xlsx")
    if kind.startswith("damaged"):
        return "open it in Excel (which may repair it) and save it as .xlsx, or get a fresh copy"
    return f"{READABLE}: {SAVE_AS_XLSX}" + (" or CSV UTF-8" if csv else "")


def _binary_kind(path: Path, head: bytes) -> str | None:
    """What a binary file is (`_XLSX` for a workbook Dunning reads), None for text or nothing."""
    if head.startswith(_OLE_MAGIC):
        return _compound_file_kind(path)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    if head.startswith(b"PK"):
        return "damaged: it starts like a workbook (a zip archive) but is not one"
    if b"\x00" in head and _utf16_by_pattern(head) is None and not head.startswith(
            (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return "a binary file, not a workbook or CSV text"
    return None


def _zip_kind(path: Path) -> str:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return ("damaged: it starts like a workbook (a zip archive) but is not a whole one "
                f"({error})")
    with archive:
        infos = archive.infolist()
        from dunning.io.xlsx.package import check_expansion  # (not loaded to read a CSV)

        check_expansion(path.name, infos)
        names = {info.filename.lower(): info for info in infos}
        mimetype = names.get("mimetype")
        if mimetype is not None and mimetype.file_size < 256:
            kind = archive.read(mimetype).decode("ascii", "replace").strip()
            if kind.startswith("application/vnd.oasis.opendocument.spreadsheet"):
                return "an OpenDocument spreadsheet (.ods)"
            if kind.startswith("application/vnd.oasis.opendocument"):
                return "an OpenDocument document, not a spreadsheet"
        if any(info.flag_bits & 0x1 for info in infos):
            return _ENCRYPTED
        if "[content_types].xml" not in names:
            return "a zip archive, not a workbook"
        if "xl/workbook.bin" in names:
            return "an Excel binary workbook (.xlsb)"
        if not any(name.startswith("xl/") for name in names):
            return "an Office document, not a workbook"
    return _XLSX


def _compound_file_kind(path: Path) -> str:
    """An OLE2 compound file: an encrypted OOXML workbook, an .xls, or some other old document."""
    names = _compound_stream_names(path, ("EncryptedPackage", "Workbook", "Book"))
    if "EncryptedPackage" in names:
        return _ENCRYPTED
    if names:
        return _XLS
    return "an old-format Office file (an OLE2 compound file), not a workbook"


def _compound_stream_names(path: Path, wanted: tuple[str, ...]) -> set[str]:
    """Which of the `wanted` streams an OLE2 compound file's directory lists.

    Directory entries are 128-byte records at 128-byte boundaries (every sector
    size is a multiple of 128): the name in UTF-16LE, then at byte 64 its length in
    bytes with the terminating zero, and at byte 66 the type, 2 for a stream.
    """
    found: set[str] = set()
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for name in wanted:
            entry = (name + "\x00").encode("utf-16-le")
            length = len(entry).to_bytes(2, "little")
            start = data.find(entry)
            while start >= 0:
                if (start % 128 == 0 and data[start + 64:start + 66] == length
                        and data[start + 66] == 2):
                    found.add(name)
                    break
                start = data.find(entry, start + 1)
    return found


def read_table_rows(
    source: str | Path | Workbook, *, sheet: str | None = None, table: str | None = None
) -> tuple[list[list[object]], str, int, int]:
    """Rows of a table or sheet, header first; the sheet's name; the header's row number and
    the sheet column (from 1) of the first column, so messages name the sheet's cells."""
    _check(source)
    with opened(source) as workbook, _damage_told(workbook):
        return _table_rows(workbook, sheet, table)


def _table_rows(workbook: Workbook, sheet: str | None,
                table: str | None) -> tuple[list[list[object]], str, int, int]:
    if sheet is None:
        tables = workbook.table_names()
        name = table or (INVOICE_TABLE if INVOICE_TABLE in tables else None)
        if name is not None:
            found = workbook.table(name)
            if found is None:
                raise DunningInputError([Issue(
                    f"{workbook.name} has no table named {name!r}; tables: "
                    f"{', '.join(tables) or 'none'}")])
            return ([list(found.columns), *found.rows], found.sheet, found.header_row,
                    found.first_column)
    sheets = workbook.sheet_names()
    sheet_name = sheet or _default_sheet(sheets)
    if sheet_name not in sheets:
        raise DunningInputError([Issue(
            f"{workbook.name} has no sheet named {sheet_name!r}; sheets: {', '.join(sheets)}")])
    return workbook.sheet_rows(sheet_name), sheet_name, 1, 1  # (refused if it holds an error)


def read_table_frame(source: str | Path | Workbook, table: str) -> pd.DataFrame | None:
    """An Excel table's values as a DataFrame (its headers as columns), None if it is absent."""
    _check(source)
    with opened(source) as workbook, _damage_told(workbook):
        return table_frame(workbook, table)


def read_name_value_table(source: str | Path | Workbook, table: str) -> dict[str, object]:
    """A two-column table (such as Settings) as a dict of its first column to its second."""
    _check(source)
    with opened(source) as workbook, _damage_told(workbook):
        return name_value_pairs(workbook, table)


def _default_sheet(names: list[str]) -> str:
    return INVOICE_TABLE if INVOICE_TABLE in names else names[0]


def _check(source: str | Path | Workbook) -> None:
    """`check_workbook_file` for a workbook file, given by path or opened; not for a book in
    Excel, whose values come from Excel itself."""
    if isinstance(source, (str, Path)):
        path = Path(source)
    elif isinstance(source, FileWorkbook):
        path = source.path
    else:
        return
    if path.suffix.lower() != ".csv":
        check_workbook_file(path)


@contextmanager
def _damage_told(workbook: Workbook) -> Iterator[None]:
    """A workbook that calamine finds damaged while reading it (a part holding more than it
    declares, broken XML) is refused naming the file, not left as a traceback."""
    try:
        yield
    except CalamineError as error:
        raise DunningInputError([Issue(
            f"{workbook.name} is damaged and cannot be read ({type(error).__name__}: {error}); "
            f"{_advice_for('damaged')}")]) from error


def read_text(path: Path, *, notes: list[Issue] | None = None) -> str:
    """A text export's characters, decoded by the module docstring's rule (for report exports
    whose title lines a CSV reader cannot take as a header: `dunning.io.export_files`)."""
    _, text, encoding = _text_file(path, "a text export")
    if encoding == "cp1252" and notes is not None:
        notes.append(Issue(f"{path.name} is not UTF-8: it was read as Windows-1252",
                           severity="warning"))
    return text


def _text_file(path: Path, expected: str) -> tuple[bytes, str, str]:
    """The file's bytes, its decoded text and the encoding used; a workbook or other binary
    file given a text name is refused, saying what it is instead of `expected`."""
    raw = path.read_bytes()
    kind = _binary_kind(path, raw[:_SNIFF])
    if kind is not None:
        raise DunningInputError([Issue(
            f"{path.name} is {kind}, not {expected}; {_advice_for(kind, csv=True)}")])
    text, encoding = _decoded(path, raw)
    return raw, text, encoding
