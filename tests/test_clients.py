"""Finding a firm's client workbooks in a folder: nested folders in, locks, temps, backups and
Dunning's own Portfolio out."""

import datetime as dt

import pytest

from dunning.app.clients import client_workbooks, is_dunning_output
from dunning.core.errors import DunningInputError
from dunning.core.portfolio import roll_up
from dunning.demo import SAMPLE_AS_OF
from dunning.io.portfolio_book import write_portfolio


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


def test_a_missing_folder_is_refused_by_name(tmp_path):
    with pytest.raises(DunningInputError, match="is not a folder"):
        client_workbooks(tmp_path / "missing")
