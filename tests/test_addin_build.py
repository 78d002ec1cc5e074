"""Dunning.xlam, the Excel add-in, built on Linux from text sources (issue 6).

Excel cannot run here, so the built file is read back by independent readers instead:
oletools' olevba and olefile (the VBA project and its compound file), LibreOffice (which
opens the add-in and imports its VBA project as Basic modules), lxml with Microsoft's
customUI 2009 schema (the ribbon), and the zip/OPC structure checked part by part. That
the VBA compiles (issue 11) is checked with the MS-VBAL grammar for ANTLR4 (antlr4-vba),
which parses every module as 64-bit and 32-bit Windows and the Mac compile it, and with
[MS-VBAL]'s reserved words, which no parameter may be named with (tests/vba_grammar.py).
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import random
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest

import vba_grammar
from libreoffice import soffice_path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_addin.py"
MACROS = ROOT / "macros"
CUSTOM_UI = ROOT / "addin" / "customUI14.xml"
SCHEMA = Path(__file__).parent / "data" / "customUI14.xsd"
CUI = "{http://schemas.microsoft.com/office/2009/07/customui}"
XSD = "{http://www.w3.org/2001/XMLSchema}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
BUTTON_IDS = ("refresh", "worklist", "report", "preview", "send", "log_contact",
              "payment_plan", "statement", "new_workbook", "help")
ATTRIBUTE = re.compile(r"^\s*Attribute [\w.]+ = ")
CALLBACK = re.compile(r"^(on[A-Z]\w*|get[A-Z]\w*|loadImage)$")
OLETOOLS = "oletools (olevba, olefile) reads the VBA project back; pip install oletools"
LXML = "lxml validates the ribbon against Microsoft's schema; pip install lxml"
GRAMMAR = ("antlr4-vba (the MS-VBAL grammar for ANTLR4 with its generated Python parser) "
           "checks the VBA syntax; pip install antlr4-vba")
MODULES = {"ThisWorkbook", "Sheet1", "DunningRibbon", "DunningFunctions", "xlwings",
           "Dictionary"}


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_addin", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


builder = load_builder()


def build(out: Path) -> Path:
    """Runs the build script as a user would."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("addin") / "Dunning.xlam")


@pytest.fixture(scope="module")
def vba_code(addin: Path) -> dict[str, str]:
    """Module file name ("DunningRibbon.bas") -> source, as olevba extracts it."""
    olevba = pytest.importorskip("oletools.olevba", reason=OLETOOLS)
    parser = olevba.VBA_Parser(str(addin))
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def without_attributes(code: str) -> list[str]:
    """Source lines without VBA's Attribute lines, line endings and trailing blanks."""
    lines = code.replace("\r\n", "\n").split("\n")
    lines = [line.rstrip() for line in lines if not ATTRIBUTE.match(line)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def ribbon() -> ElementTree.Element:
    return ElementTree.parse(CUSTOM_UI).getroot()


# ------------------------------------------------------------------ the package


def test_two_builds_give_the_same_bytes(addin: Path, tmp_path: Path):
    again = build(tmp_path / "again.xlam")
    assert again.read_bytes() == addin.read_bytes()
    with zipfile.ZipFile(addin) as archive:
        assert {info.date_time for info in archive.infolist()} == {builder.ZIP_DATE}


def test_add_in_content_types_and_relationships(addin: Path):
    with zipfile.ZipFile(addin) as archive:
        names = archive.namelist()
        parts = {name: archive.read(name) for name in names}
    assert names[0] == "[Content_Types].xml"
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{CT}Override")}
    defaults = {d.get("Extension"): d.get("ContentType") for d in types.iter(f"{CT}Default")}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    for name in names[1:]:  # every part has a content type
        assert f"/{name}" in overrides or name.rsplit(".", 1)[-1] in defaults, name

    root = relationships(parts["_rels/.rels"])
    assert root["http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"] \
        == "customUI/customUI14.xml"
    assert root["http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                "officeDocument"] == "xl/workbook.xml"
    book = relationships(parts["xl/_rels/workbook.xml.rels"])
    assert book["http://schemas.microsoft.com/office/2006/relationships/vbaProject"] \
        == "vbaProject.bin"
    targets = list(root.values()) + [f"xl/{target}" for target in book.values()]
    assert all(target in parts for target in targets), targets
    assert parts["customUI/customUI14.xml"] == CUSTOM_UI.read_bytes()
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert workbook.find(f"{main}workbookPr").get("codeName") == "ThisWorkbook"


def relationships(xml: bytes) -> dict[str, str]:
    """Relationship type -> target (each type appears once in these parts)."""
    found = [(r.get("Type"), r.get("Target"))
             for r in ElementTree.fromstring(xml).iter(f"{RELS}Relationship")]
    assert len({kind for kind, _ in found}) == len(found)
    return dict(found)


# ------------------------------------------------------------------ the VBA project


def test_olevba_reads_back_every_module_as_written(vba_code: dict[str, str]):
    assert set(vba_code) == {"ThisWorkbook.cls", "Sheet1.cls", "DunningRibbon.bas",
                             "DunningFunctions.bas", "xlwings.bas", "Dictionary.cls"}
    sources = sorted(MACROS.glob("*.bas")) + [MACROS / "ThisWorkbook.cls"]
    assert len(sources) >= 2
    for source in sources:
        expected = without_attributes(source.read_text(encoding="cp1252"))
        assert without_attributes(vba_code[source.name]) == expected, source.name
    assert without_attributes(vba_code["Sheet1.cls"]) == []


def test_the_embedded_xlwings_module_is_xlwings_own(vba_code: dict[str, str]):
    """xlwings' VBA for custom add-ins, licence kept, reading xlwings' own settings."""
    installed = (builder.xlwings_dir() / "xlwings_custom_addin.bas").read_text("cp1252")
    embedded = vba_code["xlwings.bas"]
    changed = [(a, b) for a, b in zip(without_attributes(installed),
                                      without_attributes(embedded), strict=True) if a != b]
    assert changed == [('Public Const PROJECT_NAME As String = "myaddin"',
                        'Public Const PROJECT_NAME As String = "xlwings"')]
    assert "xlwings is distributed under a BSD 3-clause license" in embedded
    assert f"Public Const XLWINGS_VERSION As String = \"{builder.xlwings_version()}\"" in embedded
    assert "Public Function RunPython(PythonCommand As String)" in embedded
    dictionary = (builder.xlwings_dir() / "addin" / "Dictionary.cls").read_text("cp1252")
    assert without_attributes(vba_code["Dictionary.cls"]) == \
        without_attributes(builder.class_source(dictionary))


def test_worksheet_functions_are_generated_with_xlwings_own_code(vba_code: dict[str, str]):
    """The wrappers Import Functions would write, and a description for each function."""
    from dunning.excel import functions as udfs

    names = sorted(name for name in dir(udfs) if name.isupper()
                   and callable(getattr(udfs, name)) and getattr(udfs, name).__doc__)
    code = vba_code["DunningFunctions.bas"].replace("\r\n", "\n")
    declared = re.findall(r"^Function (\w+)\(", code, re.M)
    assert sorted(declared) == names
    assert 'DSO = XLPy.CallUDF("dunning.udfs", "DSO", Array(invoices, as_of, days, currency_), ' \
           "ActiveWorkbook, Application.Caller)" in code
    described = re.findall(r'^    Describe "(\w+)", "Dunning", _$', code, re.M)
    assert described == sorted(declared)
    assert "Public Sub RegisterDunningFunctions()" in code
    assert "RegisterDunningFunctions" in vba_code["ThisWorkbook.cls"]
    assert max(len(line) for line in code.splitlines()) < 1024  # VBA's line limit


def test_every_ribbon_callback_is_a_public_sub(vba_code: dict[str, str]):
    public = {name for code in vba_code.values()
              for name in re.findall(r"^Public Sub (\w+)\(", code, re.M)}
    callbacks = {value for element in ribbon().iter() for attr, value in element.attrib.items()
                 if CALLBACK.match(attr)}
    assert callbacks and callbacks <= public, callbacks - public
    assert all(re.fullmatch(r"[A-Za-z]\w*", name) for name in callbacks)  # not Module.Sub
    ribbon_bas = vba_code["DunningRibbon.bas"].replace("\r\n", "\n")
    assert re.search(r"^Public Sub DunningRibbonAction\(control As Object\)$", ribbon_bas, re.M)
    assert "RunPython \"import dunning.ribbon; dunning.ribbon.run('\" & actionId & \"')\"" \
        in ribbon_bas


def test_vba_project_streams_follow_ms_ovba(addin: Path):
    olefile = pytest.importorskip("olefile", reason=OLETOOLS)
    olevba = pytest.importorskip("oletools.olevba", reason=OLETOOLS)
    with zipfile.ZipFile(addin) as archive:
        data = archive.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data)
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
    project = ole.openstream("PROJECT").read().decode("cp1252")
    fields = dict(re.findall(r'^(CMG|DPB|GC|ID|Name)="([^"]*)"\r$', project, re.M))
    assert fields["Name"] == "Dunning" and fields["ID"] == builder.PROJECT_ID
    assert builder.decrypt(fields["CMG"]) == bytes(4)  # not protected
    assert builder.decrypt(fields["DPB"]) == bytes(1)  # no password
    assert builder.decrypt(fields["GC"]) == b"\xff"  # visible
    directory = bytes(olevba.decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    records = dir_records(directory)
    assert records[0x0004] == [b"Dunning"]  # PROJECTNAME
    assert records[0x0003] == [struct.pack("<H", 1252)]  # PROJECTCODEPAGE
    assert records[0x000F] == [struct.pack("<H", 6)]  # PROJECTMODULES
    assert len(records[0x0019]) == 6 and 0x000D not in records  # modules, no references
    assert set(records[0x0031]) == {bytes(4)}  # every module's source at offset 0
    assert_red_black_trees(ole)


def dir_records(directory: bytes) -> dict[int, list[bytes]]:
    """The dir stream's records by id ([MS-OVBA] 2.3.4.2)."""
    found: dict[int, list[bytes]] = {}
    at = 0
    while at < len(directory):
        record, size = struct.unpack_from("<HI", directory, at)
        size = 6 if record == 0x0009 else size  # PROJECTVERSION: Reserved, then 6 bytes
        found.setdefault(record, []).append(directory[at + 6:at + 6 + size])
        at += 6 + size
    assert 0x0010 in found  # the terminator, reached exactly at the end
    return found


def assert_red_black_trees(ole) -> None:
    """Each storage's children form a valid red-black tree in [MS-CFB] name order."""
    entries = ole.direntries

    def walk(sid: int) -> tuple[list[str], int]:
        if sid == 0xFFFFFFFF:
            return [], 1
        entry = entries[sid]
        left, left_black = walk(entry.sid_left)
        right, right_black = walk(entry.sid_right)
        assert left_black == right_black, entry.name
        if entry.color == 0:  # red: children must be black
            for child in (entry.sid_left, entry.sid_right):
                assert child == 0xFFFFFFFF or entries[child].color == 1, entry.name
        return left + [entry.name] + right, left_black + entry.color

    for entry in entries:
        if entry is not None and entry.sid_child != 0xFFFFFFFF:
            assert entries[entry.sid_child].color == 1
            order, _ = walk(entry.sid_child)
            assert order == sorted(order, key=lambda name: (len(name), name.upper()))


def test_obfuscation_matches_what_excel_writes():
    """The decryption reads the CMG/DPB/GC Excel saved in xlwings' own add-in template."""
    olefile = pytest.importorskip("olefile", reason=OLETOOLS)
    template = builder.xlwings_dir() / "quickstart_addin_ribbon.xlam"
    if not template.exists():
        pytest.skip(f"{template.name} is not in this xlwings version")
    with zipfile.ZipFile(template) as archive:
        project = olefile.OleFileIO(archive.read("xl/vbaProject.bin")).openstream("PROJECT")
        text = project.read().decode("cp1252")
    fields = dict(re.findall(r'^(CMG|DPB|GC|ID)="([^"]*)"\r$', text, re.M))
    assert builder.decrypt(fields["CMG"], fields["ID"]) == bytes(4)
    assert builder.decrypt(fields["DPB"], fields["ID"]) == bytes(1)
    assert builder.decrypt(fields["GC"], fields["ID"]) == b"\xff"
    for seed in range(256):
        assert builder.decrypt(builder.encrypt(b"\x01\x02", seed=seed)) == b"\x01\x02"


def test_compression_round_trips_through_olevba():
    olevba = pytest.importorskip("oletools.olevba", reason=OLETOOLS)
    text = (builder.xlwings_dir() / "xlwings_custom_addin.bas").read_bytes()
    noise = random.Random(6).randbytes(4096)
    for data in (b"", b"a", b"abcabcabcabc", bytes(10_000), text, text[:4096], text[:4097],
                 noise + text[:5000]):
        compressed = builder.compress(data)
        assert bytes(olevba.decompress_stream(bytearray(compressed))) == data, len(data)
    assert len(builder.compress(text)) < len(text) / 2
    with pytest.raises(ValueError, match="incompressible"):
        builder.compress(noise[:4000])  # raw chunks hold exactly 4096 bytes


def test_sources_the_build_refuses(tmp_path: Path):
    (tmp_path / "Wrong.bas").write_text('Attribute VB_Name = "Other"\r\n', encoding="cp1252")
    with pytest.raises(ValueError, match="must be Attribute VB_Name"):
        builder.macro_modules(tmp_path)
    with pytest.raises(ValueError, match="code page 1252"):
        builder.Module("M", "module", 'x = "\u2212"').stored()


# ------------------------------------------------------------------ the VBA compiles (issue 11)


def project_modules(vba_code: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, kind, source) of every module read back from the built add-in."""
    return [(Path(file).stem, "module" if file.endswith(".bas") else "class", code)
            for file, code in sorted(vba_code.items())]


@pytest.mark.parametrize("platform", sorted(vba_grammar.PLATFORMS))
def test_every_module_parses_with_the_ms_vbal_grammar(vba_code: dict[str, str], platform: str):
    """Each module as 64-bit Windows, 32-bit Windows or the Mac compiles it: no syntax error."""
    pytest.importorskip("antlr4_vba.vbaParser", reason=GRAMMAR)
    modules = project_modules(vba_code)
    assert {name for name, _, _ in modules} == MODULES
    constants = vba_grammar.PLATFORMS[platform]
    problems = [f"module {name} ({platform}) {problem}" for name, kind, code in modules
                for problem in vba_grammar.syntax_errors(kind, code, constants)]
    assert problems == []
    for name, kind, code in modules:  # the parameter scan reads what the grammar reads
        prepared = vba_grammar.grammar_source(kind, code, constants).text
        assert [p.name for p in vba_grammar.parameters(prepared)] == \
            vba_grammar.grammar_parameters(kind, code, constants), name


def test_no_parameter_is_named_with_a_reserved_word(vba_code: dict[str, str]):
    """[MS-VBAL] 3.3.5.2: in every declaration of every module, in every #If branch."""
    found = {name: vba_grammar.parameters(code) for name, _, code in project_modules(vba_code)}
    problems = [f"module {name}: {problem}" for name, _, code in project_modules(vba_code)
                for problem in vba_grammar.reserved_parameters(code)]
    assert problems == []
    assert len(found["xlwings"]) > 50 and len(found["Dictionary"]) > 10  # the scan sees them
    assert {p.procedure for p in found["xlwings"]} >= {"Function RunPython",
                                                      "Declare XLPyDLLActivateAuto"}
    assert [p.name for p in found["DunningFunctions"] if p.procedure == "Function CEI"] == \
        ["invoices", "start", "end_", "currency_"]


def test_worksheet_function_arguments_keep_their_python_names_where_vba_allows(
        vba_code: dict[str, str]):
    """Only names VBA reserves change, by an underscore; the wizard's texts follow them."""
    from dunning.excel import functions as udfs

    code = vba_code["DunningFunctions.bas"].replace("\r\n", "\n")
    signatures = dict(re.findall(r"^Function (\w+)\((.*)\)$", code, re.M))
    assert signatures["CEI"] == "invoices, start, end_, Optional currency_"
    assert signatures["DSO"] == "invoices, Optional as_of, Optional days, Optional currency_"
    described = re.findall(r"^    ' (\w+)\((.*)\)\n    Describe \"\1\", \"Dunning\", _\n"
                           r"        \".*\", _\n        Array\( _\n"
                           r"((?:        \".*\"(?:, _|\))\n)+)", code, re.M)
    assert sorted(name for name, _, _ in described) == sorted(signatures)
    for name, arguments, descriptions in described:
        vba_names = [a.removeprefix("Optional ") for a in signatures[name].split(", ")]
        assert arguments.split(", ") == vba_names, name  # the comment names the arguments
        assert descriptions.count("\n") == len(vba_names), name  # one text per argument
        python_names = list(inspect.signature(getattr(udfs, name)).parameters)
        assert len(python_names) == len(vba_names), name
        for python, vba in zip(python_names, vba_names, strict=True):
            assert vba == python or (vba == python + "_"
                                     and python.lower() in vba_grammar.RESERVED), (name, vba)


OLD_CEI = """Attribute VB_Name = "DunningFunctions"
#Const App = "Microsoft Excel" 'Adjust when using outside of Excel
Function CEI(invoices, start, end, Optional currency)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        CEI = XLPy.CallUDF("dunning.udfs", "CEI", Array(invoices, start, end, currency), _
            ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        CEI = XLPy.CallUDF("dunning.udfs", "CEI", Array(invoices, start, end, currency))
        Exit Function
    #End If
failed:
    CEI = Err.Description
End Function
"""
"""The wrapper xlwings generated for CEI before issue 11 (one line continued here)."""


def test_the_reserved_word_check_finds_what_the_vba_compiler_refuses():
    """The same check fails on the wrappers as they were, and on other declarations."""
    problems = vba_grammar.reserved_parameters(OLD_CEI)
    assert problems == [
        "line 3: Function CEI parameter 'end' is a reserved identifier ([MS-VBAL] 3.3.5.2 "
        "statement-keyword)",
        "line 3: Function CEI parameter 'currency' is a reserved identifier ([MS-VBAL] "
        "3.3.5.2 reserved-type-identifier)"]
    renamed = OLD_CEI.replace("end,", "end_,").replace("end)", "end_)") \
        .replace("currency)", "currency_)")
    assert vba_grammar.reserved_parameters(renamed) == []
    assert vba_grammar.reserved_parameters(
        'Attribute VB_Name = "M"\nPrivate Declare PtrSafe Function F Lib "x" (ByVal _\n'
        "    string As LongPtr) As Long\nSub G(ParamArray date())\nEnd Sub\n") == [
        "line 2: Declare F parameter 'string' is a reserved identifier ([MS-VBAL] 3.3.5.2 "
        "reserved-name)",
        "line 4: Sub G parameter 'date' is a reserved identifier ([MS-VBAL] 3.3.5.2 "
        "reserved-name)"]


def test_the_grammar_finds_what_the_vba_compiler_refuses():
    """Syntax errors, with the module's line, on the platform whose branch has them."""
    pytest.importorskip("antlr4_vba.vbaParser", reason=GRAMMAR)
    renamed = OLD_CEI.replace("end,", "end_,").replace("end)", "end_)") \
        .replace("currency)", "currency_)")
    errors = vba_grammar.syntax_errors("module", OLD_CEI, vba_grammar.PLATFORMS["Win64"])
    assert errors and errors[0].line == 3 and "end" in errors[0].message, errors
    assert vba_grammar.syntax_errors("module", renamed, vba_grammar.PLATFORMS["Win64"]) == []
    assert vba_grammar.syntax_errors(
        "module", OLD_CEI.replace("end,", "end_,").replace("end)", "end_)"), {})[0].line == 3

    mac_only = ('Attribute VB_Name = "M"\nSub S()\n    #If Mac Then\n    If x Then\n'
                "    #Else\n    x = 1\n    #End If\nEnd Sub\n")  # If without End If on a Mac
    found = {platform: [problem.line for problem in vba_grammar.syntax_errors(
        "module", mac_only, constants)] for platform, constants in vba_grammar.PLATFORMS.items()}
    assert found["Win64"] == found["Win32"] == [] and found["Mac"] == [8]

    in_class = ('Attribute VB_Name = "C"\nAttribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-'
                '08002B3371B5}"\nAttribute VB_GlobalNameSpace = False\nAttribute VB_Creatable '
                "= False\nAttribute VB_PredeclaredId = False\nAttribute VB_Exposed = False\n"
                "Attribute VB_TemplateDerived = False\nAttribute VB_Customizable = False\n"
                "Option Explicit\n\nPublic Property Get Size() As Long\n    Size = = 1\n"
                "End Property\n")
    errors = vba_grammar.syntax_errors("class", in_class, {})
    assert errors and {error.line for error in errors} == {12}, errors  # the module's lines
    assert "Size = = 1" in errors[0].text
    assert vba_grammar.syntax_errors("class", in_class.replace("= = 1", "= 1"), {}) == []


def test_conditional_compilation_keeps_what_each_platform_compiles():
    source = "\n".join([
        '#Const Flavour = "b" \' a comment',
        "#If VBA7 And Not Mac Then",
        "windows",
        "#ElseIf Mac Or (Win16 And Win32) Then",
        "    #If MAC_OFFICE_VERSION >= 15 Then",
        "mac 2016",
        "    #Else",
        "mac 2011",
        "    #End If",
        "#Else",
        "vba6",
        "#End If",
        '#If Flavour = "b" And Not Flavour <> "b" Then',
        "b",
        "#End If",
        "#If Win64 Then",
        "#Const Flavour = \"c\"",
        "#End If",
        '#If Flavour = "c" Then',
        "c",
        "#End If",
    ])

    def kept(constants: dict[str, object]) -> list[tuple[int, str]]:
        lines = vba_grammar.resolve_conditional_compilation(source, constants).split("\n")
        assert len(lines) == source.count("\n") + 1  # line numbers stay
        return [(number, line) for number, line in enumerate(lines, start=1) if line]

    platforms = vba_grammar.PLATFORMS
    assert kept(platforms["Win64"]) == [(3, "windows"), (14, "b"), (20, "c")]
    assert kept(platforms["Win32"]) == [(3, "windows"), (14, "b")]
    assert kept(platforms["Mac"]) == [(6, "mac 2016"), (14, "b")]
    assert kept({"Mac": True}) == [(8, "mac 2011"), (14, "b")]
    assert kept({}) == [(11, "vba6"), (14, "b")]
    for broken, message in [("#Else\n", "without #If"), ("#If Mac Then\n", "without #End If"),
                            ("#If Mac\n#End If", "Then"), ('#If "x" Then\n#End If', "string"),
                            ('#If Mac = "x" Then\n#End If', "type mismatch"),
                            ("#If (Mac Then\n#End If", r"missing \)")]:
        with pytest.raises(vba_grammar.VbaSourceError, match=message):
            vba_grammar.resolve_conditional_compilation(broken, platforms["Mac"])


def test_the_reserved_words_are_the_specifications():
    """The builder's list is [MS-VBAL] 3.3.5.2's, as tests/vba_grammar.py has it by kind."""
    assert frozenset(vba_grammar.RESERVED) == builder.VBA_RESERVED
    assert {"currency", "end", "date", "string", "rem", "attribute", "decimal", "empty"} \
        <= builder.VBA_RESERVED
    assert not {"name", "error", "mid", "object", "property", "range"} & builder.VBA_RESERVED


def test_python_names_become_vba_names():
    assert builder.vba_identifier("as_of") == "as_of"
    assert builder.vba_identifier("currency") == "currency_"
    assert builder.vba_identifier("End") == "End_"
    assert builder.vba_identifier("days", taken={"DAYS"}) == "days_"
    assert builder.vba_identifier("_private") == "private_"
    assert builder.vba_identifier("größe") == "gro_e"
    assert builder.vba_identifier("__") == "arg"
    for word in vba_grammar.RESERVED:
        name = builder.vba_identifier(word)
        assert vba_grammar.LATIN_IDENTIFIER.fullmatch(name) and name.lower() not in \
            vba_grammar.RESERVED, word


def test_parameters_are_renamed_in_the_signature_and_the_body():
    """As generate_vba_wrapper writes a function, and a ParamArray sub, with placeholders."""
    def p(index: int) -> str:
        return f"__dunning_parameter_{index}__"

    generated = "\n".join([
        f"Function CEI({p(0)}, {p(1)}, Optional {p(2)})",
        f'    CEI = XLPy.CallUDF("dunning.udfs", "CEI", Array({p(0)}, {p(1)}, {p(2)}))',
        "failed:",
        "    CEI = Err.Description",
        "End Function",
        "",
        f"Sub LOG_ALL({p(3)}, ParamArray {p(4)}())",
        "    Dim argsArray() As Variant",
        f"    argsArray = Array({p(3)})",
        f"    ReDim Preserve argsArray(0 to UBound({p(4)}) - LBound({p(4)}) + 1)",
        f"    For k = LBound({p(4)}) To UBound({p(4)})",
        f"        argsArray(1 + k - LBound({p(4)})) = {p(4)}(k)",
        "    Next k",
        '    XLPy.CallUDF "dunning.udfs", "LOG_ALL", argsArray',
        "End Sub",
    ])
    vba, signatures = builder.vba_parameters(generated, ["invoices", "err", "end", "cei",
                                                         "k"])
    assert signatures == {"CEI": ["invoices", "err_", "end_"], "LOG_ALL": ["cei", "k_"]}
    assert vba.splitlines()[0] == "Function CEI(invoices, err_, Optional end_)"
    assert "Array(invoices, err_, end_)" in vba and "Array(cei)" in vba
    assert "argsArray(1 + k - LBound(k_)) = k_(k)" in vba and "__dunning" not in vba
    assert vba_grammar.reserved_parameters('Attribute VB_Name = "M"\n' + vba) == []
    with pytest.raises(RuntimeError, match="outside a procedure's signature"):
        builder.vba_parameters(f"x = {p(0)}", ["x"])


def test_module_names_are_checked_against_the_project_and_each_other(tmp_path: Path):
    def modules(*names: str) -> list:
        return [builder.Module(name, "module", f'Attribute VB_Name = "{name}"')
                for name in names]

    builder.check_module_names(modules(*sorted(MODULES)))
    (tmp_path / "Dunning.bas").write_text('Attribute VB_Name = "Dunning"\r\n', encoding="cp1252")
    with pytest.raises(ValueError, match='the name of the VBA project "Dunning"'):
        builder.vba_project_bin(builder.macro_modules(tmp_path))  # what issue 11 found
    for names, message in [(("dunning",), "VBA project"), (("Tools", "TOOLS"), 'module "Tools"'),
                           (("Currency",), "reserved"), (("_x",), "a letter"),
                           (("M" * 32,), "at most 30")]:
        with pytest.raises(ValueError, match=message):
            builder.check_module_names(modules(*names))


# ------------------------------------------------------------------ the ribbon


def customui_schema():
    """Microsoft's customUI14.xsd, loadable by libxml2.

    Microsoft's schema re-declares, in some extensions, attributes the base type already
    has (CT_ButtonRegular adds AG_Enabled and AG_Image again, CT_Menu itemSize, CT_ComboBox
    sizeString). .NET accepts that; libxml2 refuses the schema ("Duplicate attribute use").
    Those repeats are dropped here, which changes no element, attribute or type.
    """
    etree = pytest.importorskip("lxml.etree", reason=LXML)
    tree = etree.parse(str(SCHEMA))
    root = tree.getroot()
    groups = {group.get("name"): group for group in root.iter(f"{XSD}attributeGroup")
              if group.get("name")}
    types = {kind.get("name"): kind for kind in root.iter(f"{XSD}complexType")}

    def declarations(node) -> list:
        if node.tag == f"{XSD}attribute":
            return [node]
        if node.tag == f"{XSD}attributeGroup":
            group = groups[node.get("ref")] if node.get("ref") else node
            return [d for child in group for d in declarations(child)]
        return []

    def names(type_name: str) -> set[str]:
        kind = types[type_name]
        own = {d.get("name") for child in kind for d in declarations(child)}
        content = kind.find(f"{XSD}complexContent")
        if content is None:
            return own
        derivation = content[0]
        local = [d for child in derivation for d in declarations(child)]
        inherited = names(derivation.get("base"))
        if derivation.tag == f"{XSD}restriction":
            return inherited - {d.get("name") for d in local if d.get("use") == "prohibited"}
        return inherited | {d.get("name") for d in local}

    for extension in root.iter(f"{XSD}extension"):
        seen = names(extension.get("base"))
        for child in list(extension):
            declared = declarations(child)
            keep = [d for d in declared if d.get("name") not in seen]
            seen |= {d.get("name") for d in declared}
            if len(keep) < len(declared):
                at = extension.index(child)
                extension.remove(child)
                for offset, declaration in enumerate(keep):
                    extension.insert(at + offset, copy.deepcopy(declaration))
    return etree.XMLSchema(tree)


def test_ribbon_validates_against_microsofts_customui_2009_schema(addin: Path):
    etree = pytest.importorskip("lxml.etree", reason=LXML)
    schema = customui_schema()
    with zipfile.ZipFile(addin) as archive:
        packaged = etree.fromstring(archive.read("customUI/customUI14.xml"))
    assert schema.validate(packaged), schema.error_log
    wrong = ribbon()  # the schema does check: a button size it does not know is refused
    next(wrong.iter(f"{CUI}button")).set("size", "huge")
    assert not schema.validate(etree.fromstring(ElementTree.tostring(wrong)))


def test_ribbon_has_the_issue_buttons_and_one_generic_callback():
    buttons = list(ribbon().iter(f"{CUI}button"))
    assert tuple(button.get("id") for button in buttons) == BUTTON_IDS
    assert {button.get("onAction") for button in buttons} == {"DunningRibbonAction"}
    for button in buttons:
        assert re.fullmatch(r"[a-z][a-z_]*", button.get("id"))  # safe in the Python call
        assert button.get("imageMso") and button.get("label")
        assert button.get("screentip") and button.get("supertip")
    assert ribbon().find(f"{CUI}ribbon/{CUI}tabs/{CUI}tab").get("label") == "Dunning"


def test_every_button_has_a_python_action():
    from dunning.excel import ribbon as actions  # the dispatcher RunPython calls

    assert set(BUTTON_IDS) <= set(actions.BUTTONS)
    assert callable(actions.run)


# ------------------------------------------------------------------ LibreOffice


def libreoffice_convert(addin: Path, outdir: Path, target: str) -> Path:
    """Opens the add-in in LibreOffice headless and saves it as `target`.

    LibreOffice's type detection does not recognise the add-in content type (xlwings'
    own .xlam templates are refused the same way), so the Excel 2007-365 filter is named.
    """
    done = subprocess.run([soffice_path(), f"-env:UserInstallation={(outdir / 'p').as_uri()}",
                           "--headless", "--infilter=Calc MS Excel 2007 XML",
                           "--convert-to", target, "--outdir", str(outdir), str(addin)],
                          capture_output=True, text=True, timeout=240)
    converted = outdir / f"{addin.stem}.{target}"
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    return converted


needs_libreoffice = pytest.mark.skipif(soffice_path() is None,
                                       reason="LibreOffice (soffice) is not installed")


@needs_libreoffice
def test_libreoffice_opens_the_add_in_and_saves_it_as_xlsx(addin: Path, tmp_path: Path):
    converted = libreoffice_convert(addin, tmp_path, "xlsx")
    with zipfile.ZipFile(converted) as archive:
        book = archive.read("xl/workbook.xml").decode()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = archive.read("xl/sharedStrings.xml").decode()
    assert 'name="Dunning"' in book
    assert "<c r=\"B2\"" in sheet and builder.xlwings_version() in strings


@needs_libreoffice
def test_libreoffice_imports_every_vba_module(addin: Path, tmp_path: Path,
                                              vba_code: dict[str, str]):
    """LibreOffice's own MS-OVBA reader finds the project, each module and its kind."""
    converted = libreoffice_convert(addin, tmp_path, "ods")
    kinds = {}
    with zipfile.ZipFile(converted) as archive:
        for name in archive.namelist():
            match = re.fullmatch(r"Basic/Dunning/(\w+)\.xml", name)
            if match and match[1] != "script-lb":
                module = ElementTree.fromstring(archive.read(name))
                kind = module.get("{http://openoffice.org/2000/script}moduleType")
                kinds[match[1]] = kind
                text = module.text.split("\n", 2)[2]  # after LibreOffice's two header lines
                if kind == "class":
                    text = text.split("\n", 1)[1]  # and "Option ClassModule"
                ours = next(code for file, code in vba_code.items() if Path(file).stem
                            == match[1])
                assert without_attributes(text) == without_attributes(ours), match[1]
    assert kinds == {"ThisWorkbook": "document", "Sheet1": "document", "DunningRibbon": "normal",
                     "DunningFunctions": "normal", "xlwings": "normal", "Dictionary": "class"}
