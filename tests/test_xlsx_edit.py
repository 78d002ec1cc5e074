"""`WorkbookEdit`: which files it edits, how it finds tables and sheets, and its one save."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.core.errors import DunningInputError
from dunning.io.xlsx import UnsupportedWorkbookError, WorkbookEdit
from dunning.io.xlsx.edit import check_kind
from test_xlsx_workbook import rewritten, strict_copy, with_chartsheet

ROW = {"Customer": "C9", "Note": "called"}


@pytest.mark.parametrize(
    "name,message",
    [
        ("old.xls", "Excel 97-2003 workbook"),
        ("binary.xlsb", r"Excel binary workbook \(.xlsb\)"),
        ("BINARY.XLSB", "Excel binary workbook"),
        ("data.ods", "OpenDocument spreadsheet"),
        ("export.csv", "is a CSV file"),
        ("archive.zip", "is not an .xlsx or .xlsm workbook"),
        ("noext", "is not an .xlsx or .xlsm workbook"),
    ],
)
def test_other_kinds_are_refused_before_anything_is_read(tmp_path, name, message):
    path = tmp_path / name  # not even created: the name alone decides
    with pytest.raises(UnsupportedWorkbookError, match=message) as raised:
        check_kind(path)
    assert raised.value.issues[0].sheet == str(path)


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xltx", ".xltm", ".XLSX"])
def test_workbooks_and_templates_are_accepted(tmp_path, suffix):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx").rename(tmp_path / f"book{suffix}")
    check_kind(path)
    with WorkbookEdit(path, backups=0) as book:
        assert book.sheet_names() == ["ContactLog", "Worklist"]
        book.append_rows("ContactLog", [ROW])
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ContactLog").to_python()[3][
        1] == "C9"


def test_a_missing_workbook_is_an_input_error_not_an_unsupported_one(tmp_path):
    with pytest.raises(DunningInputError, match="workbook not found") as raised:
        check_kind(tmp_path / "gone.xlsx")
    assert not isinstance(raised.value, UnsupportedWorkbookError)


def test_a_password_protected_workbook_is_refused(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    source = corpus.build_openpyxl(tmp_path / "plain.xlsx")
    path = tmp_path / "secret.xlsx"
    with open(source, "rb") as plain, open(path, "wb") as out:
        ooxml.OOXMLFile(plain).encrypt("secret", out)
    with pytest.raises(UnsupportedWorkbookError, match="password-protected"):
        check_kind(path)
    with pytest.raises(UnsupportedWorkbookError, match="saved as .xlsx"):
        WorkbookEdit(path).open()


def test_a_strict_workbook_is_refused_and_closed(tmp_path):
    path = strict_copy(tmp_path / "strict.xlsx")
    edit = WorkbookEdit(path)
    with pytest.raises(UnsupportedWorkbookError, match="Strict Open XML"):
        edit.open()
    assert edit._package is None  # the file is not left open


def test_tables_are_found_on_every_sheet(tmp_path):
    path = tmp_path / "tables.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("One").add_table("A1:B3", {"name": "Contacts"})
    second = book.add_worksheet("Two")
    second.add_table("A1:B2", {"name": "Promises"})
    second.add_table("D1:E2", {"name": "Disputes"})
    book.close()
    lazy = WorkbookEdit(path)
    assert sorted(lazy.tables()) == ["Contacts", "Disputes", "Promises"]  # opens by itself
    lazy.close()
    with WorkbookEdit(path) as edit:
        tables = edit.tables()
        assert {name: (entry.name, part) for name, (entry, part) in tables.items()} == {
            "Contacts": ("One", "xl/tables/table1.xml"),
            "Promises": ("Two", "xl/tables/table2.xml"),
            "Disputes": ("Two", "xl/tables/table3.xml"),
        }
        with pytest.raises(DunningInputError,
                           match=r"no table named 'Promise' \(its tables: Contacts, Disputes, "
                                 r"Promises\)"):
            edit.append_rows("Promise", [["a", "b"]])
        result = edit.append_rows("promises", [["a", "b"], ["c", "d"]])  # found without case
    assert (result.sheet, result.table, result.first_row, result.ref) == (
        "Two", "Promises", 2, "A1:B3")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Two").to_python()
    assert [row[:2] for row in rows] == [["Column1", "Column2"], ["a", "b"], ["c", "d"]]


def test_a_workbook_without_tables_says_so(tmp_path):
    path = with_chartsheet(tmp_path / "charts.xlsx")
    with WorkbookEdit(path) as edit:
        assert edit.tables() == {}
        with pytest.raises(DunningInputError, match=r"its tables: none"):
            edit.append_rows("ContactLog", [ROW])


def test_a_query_table_is_not_appended_to(tmp_path):
    def as_query(parts):
        parts["xl/tables/table1.xml"] = parts["xl/tables/table1.xml"].replace(
            b'displayName="ContactLog"', b'displayName="ContactLog" tableType="queryTable"')
        return parts

    path = rewritten(corpus.build_openpyxl(tmp_path / "book.xlsx"), as_query)
    before = path.read_bytes()
    with (pytest.raises(DunningInputError, match="filled by an external query \\(queryTable\\)"),
          WorkbookEdit(path) as edit):
        edit.append_rows("ContactLog", [ROW])
    assert path.read_bytes() == before


def test_a_chart_sheet_is_not_replaced(tmp_path):
    path = with_chartsheet(tmp_path / "charts.xlsx")
    with (pytest.raises(DunningInputError, match="Chart is a chartsheet, not a worksheet"),
          WorkbookEdit(path) as edit):
        edit.replace_sheet("chart", [["x"]])


def test_an_error_inside_the_block_saves_nothing(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    before = path.read_bytes()
    edit = WorkbookEdit(path)
    with pytest.raises(RuntimeError), edit:
        edit.append_rows("ContactLog", [ROW])
        edit.replace_sheet("Aging", [["Customer"]])
        raise RuntimeError("stop")
    assert path.read_bytes() == before
    assert edit._package is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_several_edits_one_save_one_backup(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    original = path.read_bytes()
    stages = []
    with WorkbookEdit(path, backups=2, _on_stage=stages.append) as edit:
        first = edit.replace_sheet("Aging", [["Customer", "Total"], ["C1", 10]])
        again = edit.replace_sheet("aging", [["Customer", "Total"], ["C2", 20]])
        appended = edit.append_rows("ContactLog", [ROW, ROW])
    assert (first.created, again.created, again.sheet) == (True, False, "Aging")
    assert (appended.first_row, appended.last_row) == (4, 5)
    assert stages == ["temp-written", "temp-verified", "backup-made", "replaced"]
    backups = sorted((tmp_path / ".dunning-backups").iterdir())
    assert [p.name for p in backups] == ["book.1.xlsx"]
    assert backups[0].read_bytes() == original
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["ContactLog", "Worklist", "Aging"]
    assert book.get_sheet_by_name("Aging").to_python() == [["Customer", "Total"], ["C2", 20.0]]


def test_saving_again_without_edits_writes_nothing(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    edit = WorkbookEdit(path, backups=0).open()
    edit.append_rows("ContactLog", [ROW])
    assert edit.save() == path
    after = path.read_bytes(), path.stat().st_mtime_ns
    assert edit.save() == path  # reopens, finds nothing to do
    assert (path.read_bytes(), path.stat().st_mtime_ns) == after
    edit.close()


def without_full_calc(parts):
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    return parts


@pytest.mark.parametrize("recalculate", [True, False])
def test_recalculation_on_open_is_asked_for_only_when_wanted(tmp_path, recalculate):
    path = rewritten(corpus.build_openpyxl(tmp_path / "book.xlsx"), without_full_calc)
    workbook_xml = corpus.members(path)["xl/workbook.xml"]
    with WorkbookEdit(path, recalculate=recalculate, full_check=False) as edit:
        edit.append_rows("ContactLog", [ROW])
    after = corpus.members(path)["xl/workbook.xml"]
    assert (b'fullCalcOnLoad="1"' in after) is recalculate
    assert (after == workbook_xml) is not recalculate
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def test_paths_may_be_strings(tmp_path):
    path = corpus.build_openpyxl(tmp_path / "book.xlsx")
    with WorkbookEdit(str(path), backups=0) as edit:
        assert isinstance(edit.path, Path)
        edit.replace_sheet("Worklist", [["Customer", "Open", "Action"]])
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Worklist").to_python() == [
        ["Customer", "Open", "Action"]]
