"""Finding a firm's client workbooks in a folder: nested folders in, locks, temps, backups and
Dunning's own Portfolio out."""

import datetime as dt

import pytest

from dunning.app.clients import client_workbooks, is_dunning_output
from dunning.core.errors import DunningInputError
from dunning.core.portfolio import roll_up
from dunning.demo import SAMPLE_AS_OF
from dunning.io.portfolio_book import write_portfolio
from test_reading import compound_file, crafted_zip


def test_client_workbooks_are_found_below_and_the_rest_left_out(tmp_path, book):
    data = book.read_bytes()
    for name in ("A.xlsx", "sub/B.xlsm", "sub/deeper/C.xlsx", "~$A.xlsx", ".~lock.A.xlsx#",
                 ".dunning-backups/A.1.xlsx", ".git/D.xlsx", "A.xlsx.dunning-tmp-0a1b2c3d",
                 "notes.txt", "export.csv"):
        path = tmp_path / "firm" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    root = tmp_path / "firm"
    found = [p.relative_to(root).as_posix() for p in client_workbooks(root)]
    assert found == ["A.xlsx", "sub/B.xlsm", "sub/deeper/C.xlsx"]
    assert [p.name for p in client_workbooks(root, skip=[root / "A.xlsx"])] == ["B.xlsm",
                                                                                "C.xlsx"]


def test_a_portfolio_is_dunnings_own_output_and_never_a_client(tmp_path, book):
    out = tmp_path / "Anything.xlsx"
    write_portfolio(out, roll_up([], SAMPLE_AS_OF), as_of=SAMPLE_AS_OF,
                    made=dt.datetime(2026, 11, 23, 9))
    assert is_dunning_output(out) and not is_dunning_output(book)
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert not is_dunning_output(tmp_path / "broken.xlsx")  # reported as unreadable instead
    assert [p.name for p in client_workbooks(tmp_path)] == ["Client.xlsx", "broken.xlsx"]


def test_a_book_saved_as_xls_or_ods_is_named_with_what_to_do_not_left_out(tmp_path, book,
                                                                             capsys):
    """A client whose book was saved in a format Dunning cannot read is not silently dropped:
    the portfolio counts it as unread and remind-all names it with the way out."""
    from dunning.cli import main

    folder = tmp_path / "firm"
    folder.mkdir()
    book.rename(folder / "Good.xlsx")
    (folder / "Old.xls").write_bytes(compound_file(["Workbook"]))
    crafted_zip(folder / "Open.ods", {"mimetype": b"application/vnd.oasis.opendocument."
                                                  b"spreadsheet", "content.xml": b"<x/>"})
    assert [p.name for p in client_workbooks(folder)] == ["Good.xlsx", "Old.xls", "Open.ods"]
    assert main(["portfolio", str(folder), "--out", str(tmp_path / "P.xlsx"),
                 "--as-of", "2026-11-23", "--now", "2026-11-23T09:00+00:00"]) == 0
    assert "2 could not be read: Old.xls, Open.ods" in capsys.readouterr().out
    status = main(["remind-all", str(folder), "--dry-run", "--now", "2026-11-23T09:00+00:00"])
    said = capsys.readouterr()
    assert status != 0 and "Traceback" not in said.err
    text = said.out + said.err
    assert "Old.xls is an Excel 97-2003 workbook (.xls)" in text and "save it as .xlsx" in text
    assert "Open.ods is an OpenDocument spreadsheet (.ods)" in text


def test_a_missing_folder_is_refused_by_name(tmp_path):
    with pytest.raises(DunningInputError, match="is not a folder"):
        client_workbooks(tmp_path / "missing")
