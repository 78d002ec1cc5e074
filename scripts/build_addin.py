"""Build Dunning.xlam, the Excel add-in, from text sources: no Excel needed, any OS.

    python scripts/build_addin.py [--out build/Dunning.xlam]

The add-in is a zip of XML parts (a minimal workbook with the add-in content type), the
ribbon (addin/customUI14.xml) and a VBA project, xl/vbaProject.bin. The VBA project is
written here from [MS-OVBA] and [MS-CFB]: module streams compressed with the MS-OVBA
algorithm, the dir stream, PROJECT, PROJECTwm, and _VBA_PROJECT with version 0xFFFF and
no performance cache, so that Excel compiles the project from source when it opens it
(the route xlwings' own quickstart add-ins take). Its modules:

* macros/*.bas and macros/ThisWorkbook.cls: Dunning's own VBA (the ribbon callback, in
  module DunningRibbon: a module may not be named Dunning, the project's name);
* xlwings: the VBA module of the installed xlwings package (xlwings_custom_addin.bas,
  BSD licence header kept), so that RunPython and the worksheet functions work without
  the xlwings add-in. PROJECT_NAME is set to "xlwings", so settings are read where
  xlwings keeps them: the workbook's xlwings.conf sheet or file, then
  %USERPROFILE%/.xlwings/xlwings.conf, which `xlwings config create` writes;
* Dictionary: xlwings' copy of VBA-Dictionary (MIT), which that module needs on a Mac;
* DunningFunctions: the wrappers xlwings' Import Functions would write for dunning.udfs,
  generated with xlwings' own generate_vba_wrapper, plus the Function Wizard texts. A
  Python parameter whose name VBA reserves (`currency`, `end`) or cannot spell gets a VBA
  name of its own (`currency_`, `end_`); arguments reach Python by position, so only the
  VBA changes.

Module names are checked against the project's name and each other (VBA compares names
case-insensitively and refuses such clashes).

The embedded xlwings VBA names the xlwings DLL and AppleScript of one xlwings version, so
the add-in works with that version of the Python package: build it where Dunning is
installed, or install the xlwings version the add-in names (its Dunning sheet says which).

The same sources give the same bytes: zip entries in a fixed order with a fixed date,
the VBA project's GUID and obfuscation seed fixed, no timestamps in the compound file.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import struct
import subprocess
import sys
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
MACROS = ROOT / "macros"
CUSTOM_UI = ROOT / "addin" / "customUI14.xml"
DEFAULT_OUT = ROOT / "build" / "Dunning.xlam"

PROJECT_NAME = "Dunning"
PROJECT_DOC = "Dunning: receivables collections for Excel"
PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "dunning/Dunning.xlam")).upper() + "}"
CODEPAGE = 1252
ENCODING = "cp1252"
SHEET_NAME = "Dunning"
UDF_MODULE = "dunning.udfs"
PRELOAD = ("pandas", "numpy", "dunning.excel.arguments", "dunning.core.ledger_kpis",
           "dunning.core.aging")
"""Imported before sys.platform is set to win32 for dunning.udfs, as tests/test_functions.py
does."""
XLWINGS_CONFIG_NAME = "xlwings"  # config sheet/file name the embedded xlwings module reads
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

DOCUMENT_BASES = {
    "ThisWorkbook": "0{00020819-0000-0000-C000-000000000046}",  # Excel's Workbook class
    "Sheet1": "0{00020820-0000-0000-C000-000000000046}",  # Excel's Worksheet class
}
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind ("module", "class" or "document") and stored source."""

    name: str
    kind: str
    source: str

    def stored(self) -> bytes:
        """The source as the module stream keeps it: CRLF lines in the project's code page."""
        text = self.source.replace("\r\n", "\n").replace("\r", "\n")
        text = text if text.endswith("\n") else text + "\n"
        try:
            return text.replace("\n", "\r\n").encode(ENCODING)
        except UnicodeEncodeError as error:
            bad = text[error.start:error.end]
            raise ValueError(f"VBA module {self.name}: {bad!r} is not in code page "
                             f"{CODEPAGE}; VBA source must be Windows-1252 text") from None


# ------------------------------------------------------------------ VBA names

VBA_RESERVED = frozenset([
    # statement keywords
    "call", "case", "close", "const", "declare", "defbool", "defbyte", "defcur", "defdate",
    "defdbl", "defint", "deflng", "deflnglng", "deflngptr", "defobj", "defsng", "defstr",
    "defvar", "dim", "do", "else", "elseif", "end", "endif", "enum", "erase", "event", "exit",
    "for", "friend", "function", "get", "global", "gosub", "goto", "if", "implements", "input",
    "let", "lock", "loop", "lset", "next", "on", "open", "option", "print", "private", "public",
    "put", "raiseevent", "redim", "resume", "return", "rset", "seek", "select", "set", "static",
    "stop", "sub", "type", "unlock", "wend", "while", "with", "write",
    # marker keywords
    "any", "as", "byref", "byval", "each", "in", "new", "shared", "until", "withevents",
    "optional", "paramarray", "preserve", "spc", "tab", "then", "to",
    # operator identifiers
    "addressof", "and", "eqv", "imp", "is", "like", "mod", "not", "or", "typeof", "xor",
    # reserved names
    "abs", "cbool", "cbyte", "ccur", "cdate", "cdbl", "cdec", "cint", "clng", "clnglng",
    "clngptr", "csng", "cstr", "cvar", "cverr", "date", "debug", "doevents", "fix", "int",
    "len", "lenb", "me", "pset", "scale", "sgn", "string",
    # special forms
    "array", "circle", "inputb", "lbound", "ubound",
    # reserved type identifiers
    "boolean", "byte", "currency", "double", "integer", "long", "longlong", "longptr", "single",
    "variant",
    # literal identifiers
    "true", "false", "nothing", "empty", "null",
    # rem keyword
    "rem",
    # reserved for implementation use
    "attribute", "lineinput", "vb_base", "vb_control", "vb_creatable", "vb_customizable",
    "vb_description", "vb_exposed", "vb_ext_key", "vb_globalnamespace", "vb_helpid",
    "vb_invoke_func", "vb_invoke_property", "vb_invoke_propertyput", "vb_invoke_propertyputref",
    "vb_memberflags", "vb_name", "vb_predeclaredid", "vb_procdata", "vb_templatederived",
    "vb_usermemid", "vb_vardescription", "vb_varhelpid", "vb_varmemberflags", "vb_varprocdata",
    "vb_varusermemid",
    # future reserved
    "cdecl", "decimal", "defdec",
])
"""[MS-VBAL] 3.3.5.2 reserved-identifier, lower-cased: statement keywords, marker keywords,
operator identifiers, reserved names, special forms, reserved type identifiers, literal
identifiers, the rem keyword, reserved-for-implementation-use and future-reserved (a word
of two kinds is listed under the first). None may name a parameter, variable or module;
tests/vba_grammar.py lists them by kind as the specification spells them."""

VBA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}")
"""[MS-VBAL] 3.3.5.1 Latin-identifier: a letter, then letters, digits and underscores."""
MODULE_NAME_LIMIT = 31  # the VBA editor refuses longer module names


def vba_identifier(name: str, taken: Iterable[str] = ()) -> str:
    """`name` as a VBA identifier: spelled with ASCII letters, digits and underscores,
    starting with a letter, and neither a reserved word nor one of `taken` (any case);
    otherwise changed as little as possible, by appending underscores (`currency_`)."""
    spelled = "".join(char for char in unicodedata.normalize("NFKD", name)
                      if not unicodedata.combining(char))  # accents dropped: é -> e
    candidate = re.sub(r"[^A-Za-z0-9_]", "_", spelled).lstrip("_0123456789") or "arg"
    candidate = candidate[:250]
    used = {word.lower() for word in taken}
    while candidate.lower() in VBA_RESERVED or candidate.lower() in used:
        candidate += "_"
    return candidate


def check_module_names(modules: Sequence[Module], project: str = PROJECT_NAME) -> None:
    """Refuses module names VBA would: not an identifier, too long, reserved, or the name of
    the project or of another module (VBA compares names case-insensitively)."""
    seen = {project.lower(): f'the VBA project "{project}"'}
    for module in modules:
        if not VBA_NAME.fullmatch(module.name) or len(module.name) > MODULE_NAME_LIMIT:
            raise ValueError(f'VBA module "{module.name}": a module name is a letter, then '
                             f"at most {MODULE_NAME_LIMIT - 1} letters, digits or underscores")
        if module.name.lower() in VBA_RESERVED:
            raise ValueError(f'VBA module "{module.name}": a reserved word in VBA')
        if module.name.lower() in seen:
            raise ValueError(f'VBA module "{module.name}" has the name of '
                             f"{seen[module.name.lower()]}: VBA refuses the clash (names "
                             "are compared ignoring case); rename the module")
        seen[module.name.lower()] = f'module "{module.name}"'


# ------------------------------------------------------------------ MS-OVBA compression


def compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1 compression: a CompressedContainer of 4096-byte chunks."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        out += _compress_chunk(data[start:start + 4096])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    seen: dict[bytes, list[int]] = {}
    pos = 0
    while pos < len(chunk):
        flag_at, flags = len(body), 0
        body.append(0)
        for bit in range(8):
            if pos >= len(chunk):
                break
            offset, length = _match(chunk, pos, seen)
            if length:
                body += _copy_token(pos, offset, length).to_bytes(2, "little")
                flags |= 1 << bit
            else:
                body.append(chunk[pos])
                length = 1
            for p in range(pos, pos + length):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += length
        body[flag_at] = flags
    if len(body) > 4096:  # incompressible: stored raw, which only a full chunk can be
        if len(chunk) < 4096:
            raise ValueError("incompressible data at the end of a VBA stream")
        return (0x3FFF).to_bytes(2, "little") + chunk
    return (0xB000 | (len(body) - 1)).to_bytes(2, "little") + bytes(body)


def _match(chunk: bytes, pos: int, seen: dict[bytes, list[int]]) -> tuple[int, int]:
    """The spec's Matching: the longest earlier match in the chunk, nearest on a tie."""
    best, best_at = 0, -1
    limit = len(chunk) - pos
    for candidate in reversed(seen.get(chunk[pos:pos + 3], ())):
        length = _common_length(chunk, candidate, pos, limit)
        if length > best:
            best, best_at = length, candidate
            if best == limit:
                break
    if best < 3:
        return 0, 0
    return pos - best_at, min(best, _max_length(pos))


def _common_length(data: bytes, a: int, b: int, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if data[a:a + mid] == data[b:b + mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _bit_count(pos: int) -> int:
    return max((pos - 1).bit_length(), 4)


def _max_length(pos: int) -> int:
    return (0xFFFF >> _bit_count(pos)) + 3


def _copy_token(pos: int, offset: int, length: int) -> int:
    bits = _bit_count(pos)
    return ((offset - 1) << (16 - bits)) | (length - 3)


# ------------------------------------------------------------------ MS-OVBA data encryption


def encrypt(data: bytes, project_id: str = PROJECT_ID, seed: int = 0x55) -> str:
    """[MS-OVBA] 2.4.3.2 Data Encryption (the CMG, DPB and GC values), as hex."""
    version, key = 2, sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ key])
    state = [key, out[2], out[1]]  # UnencryptedByte1, EncryptedByte1, EncryptedByte2
    ignored = bytes((seed & 6) // 2)  # fixed ignored bytes keep the output reproducible
    for byte in ignored + struct.pack("<I", len(data)) + data:
        encrypted = byte ^ ((state[2] + state[0]) & 0xFF)
        out.append(encrypted)
        state = [byte, encrypted, state[1]]
    return out.hex().upper()


def decrypt(text: str, project_id: str = PROJECT_ID) -> bytes:
    """[MS-OVBA] 2.4.3.3 Data Decryption, to check `encrypt` (and read Excel's values)."""
    raw = bytes.fromhex(text)
    seed, version_enc, key_enc = raw[:3]
    if seed ^ version_enc != 2 or seed ^ key_enc != sum(project_id.encode("ascii")) & 0xFF:
        raise ValueError("not encrypted for this project")
    state, plain = [seed ^ key_enc, key_enc, version_enc], bytearray()
    for encrypted in raw[3:]:
        byte = encrypted ^ ((state[2] + state[0]) & 0xFF)
        plain.append(byte)
        state = [byte, encrypted, state[1]]
    skip = (seed & 6) // 2
    length = struct.unpack("<I", plain[skip:skip + 4])[0]
    return bytes(plain[skip + 4:skip + 4 + length])


# ------------------------------------------------------------------ VBA project streams


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text_records(mbcs_id: int, unicode_id: int, text: str) -> bytes:
    return _record(mbcs_id, text.encode(ENCODING)) + _record(unicode_id,
                                                            text.encode("utf-16-le"))


def dir_stream(modules: Sequence[Module]) -> bytes:
    """The dir stream ([MS-OVBA] 2.3.4.2), uncompressed: project, no references, modules."""
    info = b"".join([
        _record(0x0001, struct.pack("<I", 1)),  # SYSKIND: 32-bit Windows
        _record(0x0002, struct.pack("<I", 0x0409)),  # LCID
        _record(0x0014, struct.pack("<I", 0x0409)),  # LCIDINVOKE
        _record(0x0003, struct.pack("<H", CODEPAGE)),
        _record(0x0004, PROJECT_NAME.encode(ENCODING)),
        _text_records(0x0005, 0x0040, PROJECT_DOC),
        _record(0x0006, b"") + _record(0x003D, b""),  # no help file
        _record(0x0007, struct.pack("<I", 0)),  # HELPCONTEXT
        _record(0x0008, struct.pack("<I", 0)),  # LIBFLAGS
        struct.pack("<HIIH", 0x0009, 4, 1, 0),  # VERSION 1.0
        _text_records(0x000C, 0x003C, ""),  # CONSTANTS
    ])
    header = _record(0x000F, struct.pack("<H", len(modules))) + _record(0x0013, b"\xff\xff")
    body = b"".join(_module_record(module) for module in modules)
    return info + header + body + struct.pack("<HI", 0x0010, 0)


def _module_record(module: Module) -> bytes:
    kind = 0x0021 if module.kind == "module" else 0x0022
    return b"".join([
        _text_records(0x0019, 0x0047, module.name),
        _text_records(0x001A, 0x0032, module.name),  # stream name
        _text_records(0x001C, 0x0048, ""),  # docstring
        _record(0x0031, struct.pack("<I", 0)),  # source at offset 0: no p-code
        _record(0x001E, struct.pack("<I", 0)),  # help context
        _record(0x002C, b"\xff\xff"),  # cookie
        struct.pack("<HI", kind, 0),
        struct.pack("<HI", 0x002B, 0),
    ])


def project_stream(modules: Sequence[Module]) -> bytes:
    """The PROJECT stream ([MS-OVBA] 2.3.1): unprotected, visible, no password."""
    kinds = {"document": "Document={}/&H00000000", "module": "Module={}", "class": "Class={}"}
    visible = encrypt(b"\xff")
    lines = [f'ID="{PROJECT_ID}"']
    lines += [kinds[module.kind].format(module.name) for module in modules]
    lines += [f'Name="{PROJECT_NAME}"', 'HelpContextID="0"',
              f'Description="{PROJECT_DOC}"', 'VersionCompatible32="393222000"',
              f'CMG="{encrypt(bytes(4))}"', f'DPB="{encrypt(bytes(1))}"',
              f'GC="{visible}"', "",
              "[Host Extender Info]",
              "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000", "",
              "[Workspace]"]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def projectwm_stream(modules: Sequence[Module]) -> bytes:
    """PROJECTwm: each module name in the code page and in UTF-16."""
    names = b"".join(module.name.encode(ENCODING) + b"\x00"
                     + module.name.encode("utf-16-le") + b"\x00\x00" for module in modules)
    return names + b"\x00\x00"


VBA_PROJECT_STREAM = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)
"""_VBA_PROJECT: version 0xFFFF and no performance cache, so Excel compiles from source."""


def vba_project_bin(modules: Sequence[Module]) -> bytes:
    """The whole vbaProject.bin compound file."""
    check_module_names(modules)
    streams = {
        "PROJECT": project_stream(modules),
        "PROJECTwm": projectwm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.stored())
    return compound_file(streams)


# ------------------------------------------------------------------ MS-CFB compound file

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[int] | None = None
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM
    black: bool = True
    start: int = END_OF_CHAIN
    size: int = 0


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 [MS-CFB] file holding `streams` ("STORAGE/NAME" paths), no timestamps."""
    entries = _directory(streams)
    mini = bytearray()
    mini_fat: list[int] = []
    for entry in entries:
        if entry.kind == 2 and len(entry.data) < MINI_CUTOFF:
            entry.start, entry.size = _append_chain(mini, mini_fat, entry.data, MINI_SECTOR)
    sectors = bytearray()
    fat: list[int] = []
    for entry in entries:
        if entry.kind == 2 and len(entry.data) >= MINI_CUTOFF:
            entry.start, entry.size = _append_chain(sectors, fat, entry.data, SECTOR)
    root = entries[0]
    root.start, root.size = _append_chain(sectors, fat, bytes(mini), SECTOR)
    root.size = len(mini_fat) * MINI_SECTOR
    mini_fat_bytes = _pack_ids(mini_fat, SECTOR)
    mini_fat_start, _ = _append_chain(sectors, fat, mini_fat_bytes, SECTOR)
    directory = b"".join(_pack_entry(entry) for entry in entries)
    directory += _pack_unused_entries(-len(entries) % (SECTOR // 128))
    directory_start, _ = _append_chain(sectors, fat, directory, SECTOR)
    fat_count = _fat_sector_count(len(fat))
    fat_start = len(fat)
    fat += [FAT_SECTOR] * fat_count
    sectors += _pack_ids(fat, SECTOR * fat_count)
    header = _header(fat_start, fat_count, directory_start,
                     mini_fat_start if mini_fat else END_OF_CHAIN,
                     len(mini_fat_bytes) // SECTOR)
    return header + bytes(sectors)


def _directory(streams: dict[str, bytes]) -> list[_Entry]:
    entries = [_Entry("Root Entry", 5, children=[])]
    storages: dict[str, int] = {"": 0}
    for path in sorted(streams):
        *folders, name = path.split("/")
        parent = ""
        for folder in folders:
            key = f"{parent}/{folder}" if parent else folder
            if key not in storages:
                storages[key] = len(entries)
                entries[storages[parent]].children.append(len(entries))
                entries.append(_Entry(folder, 1, children=[]))
            parent = key
        entries[storages[parent]].children.append(len(entries))
        entries.append(_Entry(name, 2, data=streams[path]))
    for entry in entries:
        if entry.children:
            entry.child = _red_black_tree(entries, entry.children)
    return entries


def _name_key(entry: _Entry) -> tuple[int, str]:
    """[MS-CFB] 2.6.4 order: shorter names first, then by upper-cased name."""
    return len(entry.name), entry.name.upper()


def _red_black_tree(entries: list[_Entry], ids: list[int]) -> int:
    """Siblings as a balanced tree; the deepest level red when it is not full."""
    ordered = sorted(ids, key=lambda i: _name_key(entries[i]))
    depths: dict[int, int] = {}

    def build(low: int, high: int, depth: int) -> int:
        if low > high:
            return NO_STREAM
        mid = (low + high) // 2
        node = ordered[mid]
        depths[node] = depth
        entries[node].left = build(low, mid - 1, depth + 1)
        entries[node].right = build(mid + 1, high, depth + 1)
        return node

    root = build(0, len(ordered) - 1, 0)
    deepest = max(depths.values())
    if len(ordered) != 2 ** (deepest + 1) - 1:
        for node, depth in depths.items():
            entries[node].black = depth != deepest
    return root


def _append_chain(area: bytearray, fat: list[int], data: bytes, size: int) -> tuple[int, int]:
    """Appends data as a chain of sectors of `size`; returns (first sector, data length)."""
    if not data:
        return END_OF_CHAIN, 0
    count = -(-len(data) // size)
    first = len(fat)
    fat += list(range(first + 1, first + count)) + [END_OF_CHAIN]
    area += data.ljust(count * size, b"\x00")
    return first, len(data)


def _pack_ids(ids: list[int], length: int) -> bytes:
    padded = ids + [FREE] * (-len(ids) % (SECTOR // 4))
    return struct.pack(f"<{len(padded)}I", *padded).ljust(length, b"\xff") if ids else b""


def _fat_sector_count(data_sectors: int) -> int:
    count = 1
    while count * (SECTOR // 4) < data_sectors + count:
        count += 1
    if count > 109:
        raise ValueError("compound file too large for a header-only DIFAT")
    return count


def _pack_entry(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le") + b"\x00\x00"
    if len(name) > 64:
        raise ValueError(f"compound file name too long: {entry.name}")
    return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), entry.kind,
                       1 if entry.black else 0, entry.left, entry.right, entry.child,
                       bytes(16), 0, 0, 0, entry.start if entry.kind != 1 else 0,
                       entry.size)


def _pack_unused_entries(count: int) -> bytes:
    unused = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NO_STREAM, NO_STREAM,
                         NO_STREAM, bytes(16), 0, 0, 0, 0, 0)
    return unused * count


def _header(fat_start: int, fat_count: int, directory_start: int, mini_fat_start: int,
            mini_fat_count: int) -> bytes:
    difat = list(range(fat_start, fat_start + fat_count)) + [FREE] * (109 - fat_count)
    return struct.pack("<8s16sHHHHH6sIIIIIIIII109I", bytes.fromhex("D0CF11E0A1B11AE1"),
                       bytes(16), 0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6), 0, fat_count,
                       directory_start, 0, MINI_CUTOFF, mini_fat_start, mini_fat_count,
                       END_OF_CHAIN, 0, *difat)


# ------------------------------------------------------------------ the VBA sources


def xlwings_dir() -> Path:
    """The installed xlwings package, whose VBA the add-in embeds."""
    import xlwings

    return Path(xlwings.__file__).parent


def xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


def xlwings_module() -> Module:
    """xlwings' VBA for custom add-ins, reading its settings where xlwings keeps them."""
    source = (xlwings_dir() / "xlwings_custom_addin.bas").read_text(encoding=ENCODING)
    old = 'Public Const PROJECT_NAME As String = "myaddin"'
    if source.count(old) != 1:
        raise ValueError(f"xlwings {xlwings_version()}: {old!r} not found once in "
                         "xlwings_custom_addin.bas; check the embedding still applies")
    new = f'Public Const PROJECT_NAME As String = "{XLWINGS_CONFIG_NAME}"'
    return Module("xlwings", "module", source.replace(old, new))


def dictionary_module() -> Module:
    """VBA-Dictionary (MIT), which the xlwings module uses on a Mac instead of Scripting."""
    source = (xlwings_dir() / "addin" / "Dictionary.cls").read_text(encoding=ENCODING)
    return Module("Dictionary", "class", class_source(source))


def class_source(exported: str) -> str:
    """An exported .cls as VBA stores it: no VERSION/BEGIN header, with VB_Base."""
    lines = exported.replace("\r\n", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Attribute VB_Name"))
    out: list[str] = []
    for line in lines[start:]:
        out.append(line)
        if line.startswith("Attribute VB_Name"):
            out.append(f'Attribute VB_Base = "{CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed"):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    return "\n".join(out)


def document_source(name: str, code: str = "") -> str:
    """A document module (ThisWorkbook, Sheet1) as VBA stores it."""
    attributes = [f'Attribute VB_Name = "{name}"',
                  f'Attribute VB_Base = "{DOCUMENT_BASES[name]}"',
                  "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
                  "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
                  "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
    return "\n".join(attributes) + "\n" + code


def macro_modules(macros: Path = MACROS) -> list[Module]:
    """macros/*.bas, each named by its Attribute VB_Name, which must match the file name."""
    modules = []
    for path in sorted(macros.glob("*.bas")):
        source = path.read_text(encoding=ENCODING)
        first = source.splitlines()[0] if source else ""
        if first != f'Attribute VB_Name = "{path.stem}"':
            raise ValueError(f"{path}: the first line must be Attribute VB_Name = "
                             f'"{path.stem}"')
        modules.append(Module(path.stem, "module", source))
    return modules


def document_modules(macros: Path = MACROS) -> list[Module]:
    """ThisWorkbook (code from macros/ThisWorkbook.cls when present) and Sheet1."""
    this = macros / "ThisWorkbook.cls"
    code = this.read_text(encoding=ENCODING) if this.exists() else ""
    return [Module("ThisWorkbook", "document", document_source("ThisWorkbook", code)),
            Module("Sheet1", "document", document_source("Sheet1"))]


# ------------------------------------------------------------------ the worksheet functions

# Runs in a child process: xlwings' classic (Windows) UDF code imports pywin32, which is
# stubbed where it is missing, and dunning.udfs picks its Windows options ("raw" tables)
# from sys.platform, which is set to win32 while it is imported. Each parameter that
# becomes a VBA parameter is handed to generate_vba_wrapper as a placeholder, which the
# generator writes wherever the name goes (signature, Array(...), ParamArray handling);
# `vba_parameters` then puts the VBA names in. Python sees only the positions.
_WRAPPER_SCRIPT = r'''
import io, json, sys, types
if not sys.platform.startswith("win"):
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["win32com"].client = sys.modules["win32com.client"]
    sys.modules["win32com.client"].Dispatch = lambda *args, **kwargs: None
    sys.modules["pythoncom"].CoInitialize = lambda: None
import importlib
for name in sys.argv[3:]:  # imported under the real platform first
    importlib.import_module(name)
import xlwings
import xlwings.udfs as classic
xlwings.func, xlwings.arg, xlwings.ret = classic.xlfunc, classic.xlarg, classic.xlret
real, sys.platform = sys.platform, "win32"
try:
    module = importlib.import_module(sys.argv[1])
finally:
    sys.platform = real
parameters = []
for name in sorted(dir(module)):
    info = getattr(getattr(module, name), "__xlfunc__", None)
    for arg in info["args"] if info else ():
        if not arg["vba"] and arg["name"] != "caller":  # xlwings passes caller itself
            parameters.append(arg["name"])
            arg["name"] = f"__dunning_parameter_{len(parameters) - 1}__"
vba = io.StringIO()
classic.generate_vba_wrapper(sys.argv[1], module, vba, types.SimpleNamespace(Name=sys.argv[2]))
described = []
for name in sorted(dir(module)):
    info = getattr(getattr(module, name), "__xlfunc__", None)
    if info:
        described.append({"name": info["name"], "category": info["category"],
                          "doc": info["ret"]["doc"],
                          "args": [a["doc"] for a in info["args"] if not a["vba"]]})
print(json.dumps({"vba": vba.getvalue(), "parameters": parameters, "functions": described}))
'''


def udf_wrappers(module_name: str = UDF_MODULE, addin_name: str = "Dunning.xlam") -> dict:
    """The VBA Import Functions would write for `module_name`, with VBA parameter names
    (`vba_parameters`), and each function's texts."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "addin"),
                                                      env.get("PYTHONPATH")]))
    command = [sys.executable, "-c", _WRAPPER_SCRIPT, module_name, addin_name, *PRELOAD]
    done = subprocess.run(command,
                          capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"generating the function wrappers failed:\n{done.stderr}")
    generated = json.loads(done.stdout)
    vba, signatures = vba_parameters(generated["vba"], generated["parameters"])
    return {"vba": vba, "signatures": signatures, "functions": generated["functions"]}


_PLACEHOLDER = re.compile(r"__dunning_parameter_(\d+)__")
_PROCEDURE = re.compile(r"^(?:Function|Sub) (\w+)\(")
_END_PROCEDURE = re.compile(r"^End (?:Function|Sub)\b")
_VBA_TOKEN = re.compile(r'"(?:[^"]|"")*"|\'.*|([A-Za-z_]\w*)')  # strings, comments, names


def vba_parameters(vba: str, originals: Sequence[str]) -> tuple[str, dict[str, list[str]]]:
    """Puts a VBA name for each Python parameter into wrappers generated with placeholders.

    VBA reserves words that Python does not ([MS-VBAL] 3.3.5.2: `currency`, `end`, `date`,
    `string`...), and a Python name may not spell a VBA identifier at all (`_x`, `größe`).
    Each name is kept where VBA accepts it and otherwise changed as little as possible
    (`vba_identifier`): never to a reserved word, another parameter of the procedure, or a
    name its body uses (the function itself, Array, Application, Err...). Returns the VBA
    and each procedure's parameter names in order, for the Function Wizard texts.
    """
    lines = vba.split("\n")
    names: dict[int, str] = {}
    signatures: dict[str, list[str]] = {}
    starts = [n for n, line in enumerate(lines) if _PROCEDURE.match(line.strip())]
    for start in starts:
        end = next(n for n in range(start, len(lines)) if _END_PROCEDURE.match(lines[n].strip()))
        block = lines[start:end + 1]
        header = next(n for n, line in enumerate(block) if not line.endswith(" _"))
        used = {token for line in block if not line.lstrip().startswith("#")
                for token in _VBA_TOKEN.findall(line)
                if token and not _PLACEHOLDER.fullmatch(token)}
        signature = signatures.setdefault(_PROCEDURE.match(block[0].strip())[1], [])
        for index in map(int, _PLACEHOLDER.findall(" ".join(block[:header + 1]))):
            names[index] = vba_identifier(originals[index], used | set(signature))
            signature.append(names[index])
    unnamed = set(range(len(originals))) - set(names)
    if unnamed or {int(index) for index in _PLACEHOLDER.findall(vba)} - set(names):
        raise RuntimeError("generate_vba_wrapper wrote a parameter outside a procedure's "
                           f"signature ({sorted(originals[i] for i in unnamed)}); check "
                           "that the renaming still applies to this xlwings version")
    return _PLACEHOLDER.sub(lambda match: names[int(match[1])], vba), signatures


def functions_module(wrappers: dict) -> Module:
    """DunningFunctions: the wrappers, and RegisterDunningFunctions for the Function Wizard."""
    lines = ['Attribute VB_Name = "DunningFunctions"',
             f"' Generated by scripts/build_addin.py from {UDF_MODULE} with xlwings "
             f"{xlwings_version()}'s",
             "' generate_vba_wrapper: the code Import Functions would write. Do not edit;",
             "' rebuild the add-in instead.",
             "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel",
             wrappers["vba"].rstrip("\n"), "",
             "Public Sub RegisterDunningFunctions()",
             "    ' Category, description and argument help in Excel's Insert Function dialog.",
             "    #If Mac Then",
             "        Exit Sub ' worksheet functions run only on Windows",
             "    #End If",
             "    On Error Resume Next ' never stop the add-in from loading over a description"]
    for function in wrappers["functions"]:
        lines += _describe_call(function, wrappers["signatures"].get(function["name"], []))
    lines += ["End Sub", "",
              "Private Sub Describe(ByVal functionName As String, ByVal category As String, _",
              "                     ByVal description As String, ByVal arguments As Variant)",
              "    Application.MacroOptions _",
              "        Macro:=\"'\" & ThisWorkbook.Name & \"'!\" & functionName, _",
              "        Description:=description, Category:=category, _",
              "        ArgumentDescriptions:=arguments",
              "End Sub"]
    return Module("DunningFunctions", "module", "\n".join(lines))


def _vba_string(text: str) -> str:
    return '"' + " ".join(text.split())[:255].replace('"', '""') + '"'


def _describe_call(function: dict, parameters: Sequence[str]) -> list[str]:
    """The Describe call for one function, after a comment naming its arguments as the
    Function Wizard shows them (the VBA names), in the order of the descriptions."""
    named = f"    ' {function['name']}({', '.join(parameters)})"
    head = (f"    Describe {_vba_string(function['name'])}, "
            f"{_vba_string(function['category'])}, _")
    args = [f"        {_vba_string(doc)}" for doc in function["args"]]
    body = [f"        {_vba_string(function['doc'])}, _", "        Array( _"]
    body += [arg + ", _" for arg in args[:-1]] + [arg + ")" for arg in args[-1:]]
    if not args:
        body = [f"        {_vba_string(function['doc'])}, Array()"]
    return [named, head, *body]


def all_modules(wrappers: dict, macros: Path = MACROS) -> list[Module]:
    """Every module of the add-in's VBA project, in a fixed order."""
    return [*document_modules(macros), *macro_modules(macros), functions_module(wrappers),
            xlwings_module(), dictionary_module()]


# ------------------------------------------------------------------ the package parts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
ADDIN_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _relationships(rels: Iterable[tuple[str, str, str]]) -> str:
    items = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
                    for rid, kind, target in rels)
    return f'{XML_HEAD}<Relationships xmlns="{PKG_REL}">{items}</Relationships>'


def content_types() -> str:
    overrides = {
        "/xl/workbook.xml": ADDIN_TYPE,
        "/xl/worksheets/sheet1.xml": f"{SML}.worksheet+xml",
        "/xl/styles.xml": f"{SML}.styles+xml",
        "/xl/vbaProject.bin": VBA_TYPE,
        "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
        "/docProps/app.xml":
            "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    }
    items = "".join(f'<Override PartName="{part}" ContentType="{kind}"/>'
                    for part, kind in overrides.items())
    return (f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/>{items}</Types>')


def workbook_xml() -> str:
    return (f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<workbookPr codeName="ThisWorkbook"/><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>")


def sheet_xml(rows: Sequence[tuple[str, str]]) -> str:
    """The add-in's one sheet: what it is and what it was built with (inline strings)."""
    cells = []
    for number, row in enumerate(rows, start=1):
        values = "".join(f'<c r="{column}{number}" t="inlineStr"><is><t>{escape(value)}'
                         "</t></is></c>" for column, value in zip("AB", row, strict=True))
        cells.append(f'<row r="{number}">{values}</row>')
    return (f'{XML_HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<sheetPr codeName="Sheet1"/><dimension ref="A1:B{len(rows)}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" width="24" '
            'customWidth="1"/><col min="2" max="2" width="60" customWidth="1"/></cols>'
            f'<sheetData>{"".join(cells)}</sheetData></worksheet>')


STYLES = (f'{XML_HEAD}<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
          '<name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill>'
          '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
          '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
          '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0"'
          ' fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
          'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
          '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')

CORE = (f'{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
        '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>Dunning</dc:title><dc:subject>Receivables collections</dc:subject>"
        "<dc:creator>Dunning</dc:creator></cp:coreProperties>")

APP = (f'{XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
       'extended-properties"><Application>Microsoft Excel</Application></Properties>')


def build_info() -> list[tuple[str, str]]:
    return [("Dunning add-in", "The Excel ribbon and worksheet functions of Dunning."),
            ("Built with xlwings", xlwings_version()),
            ("Needs", f"Python with dunning and xlwings {xlwings_version()} installed"),
            ("Python is found from", "xlwings.conf: Interpreter_Win / Interpreter_Mac "
                                     "(xlwings config create writes it)")]


def package_parts(vba_project: bytes, custom_ui: bytes) -> list[tuple[str, bytes]]:
    """Every part of the .xlam, in the order they are zipped."""
    root_rels = _relationships([("rId1", f"{REL}/officeDocument", "xl/workbook.xml"),
                                ("rId2", f"{PKG_REL}/metadata/core-properties",
                                 "docProps/core.xml"),
                                ("rId3", f"{REL}/extended-properties", "docProps/app.xml"),
                                ("rId4", UI_REL, "customUI/customUI14.xml")])
    book_rels = _relationships([("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                ("rId2", f"{REL}/styles", "styles.xml"),
                                ("rId3", VBA_REL, "vbaProject.bin")])
    text = {
        "[Content_Types].xml": content_types(),
        "_rels/.rels": root_rels,
        "docProps/core.xml": CORE,
        "docProps/app.xml": APP,
        "xl/workbook.xml": workbook_xml(),
        "xl/_rels/workbook.xml.rels": book_rels,
        "xl/worksheets/sheet1.xml": sheet_xml(build_info()),
        "xl/styles.xml": STYLES,
    }
    parts = [(name, value.encode("utf-8")) for name, value in text.items()]
    return parts + [("xl/vbaProject.bin", vba_project),
                    ("customUI/customUI14.xml", custom_ui)]


def zip_parts(parts: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip with fixed dates and attributes, so equal parts give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def build(out: Path = DEFAULT_OUT, macros: Path = MACROS, custom_ui: Path = CUSTOM_UI) -> Path:
    """Writes the add-in to `out` (atomically) and returns its path."""
    modules = all_modules(udf_wrappers(), macros)
    data = zip_parts(package_parts(vba_project_bin(modules), custom_ui.read_bytes()))
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the add-in (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    path = build(args.out)
    print(f"wrote {path} (xlwings {xlwings_version()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
