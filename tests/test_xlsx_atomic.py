"""Atomic saving: a crash at any moment leaves one whole version; backups rotate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import xlsx_corpus as corpus
from dunning.io.xlsx import WorkbookEdit, WorkbookLockedError, append_rows, atomic, locks

WRITER = """
import os, signal, sys, time
from dunning.io.xlsx import WorkbookEdit

path, crash_at = sys.argv[1], sys.argv[2]

def stage(name):
    if name == crash_at:
        os.kill(os.getpid(), signal.SIGKILL)

with WorkbookEdit(path, backups=2, _on_stage=stage) as book:
    book.append_rows("ContactLog", [{"Customer": "NEW", "Note": "x" * 50}] * 25)
    print("saving", flush=True)
    started = time.perf_counter()
print(time.perf_counter() - started, flush=True)
"""
STAGES = ["temp-written", "temp-verified", "backup-made", "replaced"]
PAUSING_WRITER = """
import sys
from dunning.io.xlsx import WorkbookEdit

def stage(name):
    if name == "temp-written":
        print("paused", flush=True)
        sys.stdin.readline()

with WorkbookEdit(sys.argv[1], _on_stage=stage) as book:
    book.append_rows("ContactLog", [{"Customer": "PAUSED"}])
"""


def contact_rows(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ContactLog").to_python()
    return sum(1 for row in rows if row[1])


def run_writer(path: Path, crash_at: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), crash_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("stage", STAGES)
def test_killed_at_each_stage_leaves_one_whole_version(tmp_path: Path, stage: str) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    old = contact_rows(book)
    process = run_writer(book, stage)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    expected = old + 25 if stage == "replaced" else old
    assert contact_rows(book) == expected
    leftovers = list(tmp_path.glob("book.xlsx.dunning-tmp-*"))
    assert len(leftovers) == (0 if stage == "replaced" else 1)
    process = run_writer(book, "never")  # the next run is not disturbed by the leftovers
    process.wait(timeout=60)
    assert process.returncode == 0
    assert contact_rows(book) == expected + 25
    assert not list(tmp_path.glob("book.xlsx.dunning-tmp-*"))  # and removes them
    assert not (tmp_path / "book.xlsx.dunning-lock").exists()


def test_killed_at_random_moments_while_saving(tmp_path: Path) -> None:
    book = corpus.build_xlsxwriter(tmp_path / "big.xlsx", invoices=30_000)
    process = run_writer(book, "never")
    output = process.communicate(timeout=60)[0].decode().split()
    save_seconds = float(output[-1])
    count = contact_rows(book)
    rng = random.Random(4)
    outcomes = set()
    for _ in range(10):
        process = run_writer(book, "never")
        assert process.stdout is not None and process.stdout.readline().strip() == b"saving"
        time.sleep(rng.uniform(0.0, 1.2) * save_seconds)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        found = contact_rows(book)
        assert found in (count, count + 25), found
        outcomes.add(found - count)
        count = found
    assert not list(tmp_path.glob("*.dunning-tmp-*")) or 0 in outcomes


def test_backups_rotate(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    versions = [book.read_bytes()]
    for _ in range(4):
        append_rows(book, "ContactLog", [{"Customer": "C"}], backups=3)
        versions.append(book.read_bytes())
    folder = tmp_path / ".dunning-backups"
    assert sorted(path.name for path in folder.iterdir()) == [
        "book.1.xlsx",
        "book.2.xlsx",
        "book.3.xlsx",
    ]
    assert (folder / "book.1.xlsx").read_bytes() == versions[-2]
    assert (folder / "book.3.xlsx").read_bytes() == versions[-4]
    append_rows(book, "ContactLog", [{"Customer": "C"}], backups=1)
    assert sorted(path.name for path in folder.iterdir()) == ["book.1.xlsx"]


def test_failed_check_leaves_the_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    before = book.read_bytes()
    edit = WorkbookEdit(book).open()
    edit.append_rows("ContactLog", [{"Customer": "C"}])
    edit.package.write("xl/styles.xml", b"<broken")
    with pytest.raises(Exception, match="failed its check"):
        edit.save()
    assert book.read_bytes() == before
    assert not list(tmp_path.glob("*.dunning-tmp-*"))


def test_workbook_changed_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    edit = WorkbookEdit(book).open()
    edit.append_rows("ContactLog", [{"Customer": "C"}])
    replacement = corpus.build_openpyxl(tmp_path / "other.xlsx").read_bytes() + b""
    os.utime(book, ns=(0, 0))
    book.write_bytes(replacement)
    with pytest.raises(Exception, match="changed while Dunning was writing"):
        edit.save()
    assert book.read_bytes() == replacement


def test_leftovers_of_a_killed_save_are_removed_and_nothing_else(tmp_path: Path) -> None:
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    other = corpus.build_openpyxl(tmp_path / "other.xlsx")
    leftover = tmp_path / "book.xlsx.dunning-tmp-0a1b2c3d"
    leftover.write_bytes(book.read_bytes())  # a whole new version, as a kill before the move
    (tmp_path / "book.xlsx.dunning-lock").write_bytes(b"")  # the killed run's lock file
    kept = [
        "other.xlsx.dunning-tmp-0a1b2c3d",  # another workbook's save
        "Xbook.xlsx.dunning-tmp-0a1b2c3d",
        "book.xlsx.dunning-tmp-0a1b2c3d.xlsx",
        "book.xlsx.dunning-tmp-0A1B2C3D",
        "book.xlsx.dunning-tmp-0a1b2c3",
        "book.xlsx.dunning-tmp-",
        "book.xlsx.dunning-tmp-notes.txt",
        "book.dunning-tmp-0a1b2c3d",
    ]
    for name in kept:
        (tmp_path / name).write_bytes(b"not Dunning's")
    (tmp_path / "book.xlsx.dunning-tmp-deadbeef").mkdir()
    before = {path.name for path in tmp_path.iterdir()}
    append_rows(book, "ContactLog", [{"Customer": "C"}], backups=0)
    after = {path.name for path in tmp_path.iterdir()}
    assert before - after == {leftover.name, "book.xlsx.dunning-lock"}
    assert after - before == set()
    assert all((tmp_path / name).read_bytes() == b"not Dunning's" for name in kept)
    assert contact_rows(book) == 4 and contact_rows(other) == 3  # with the header


def test_a_save_in_progress_keeps_its_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a run holding the workbook's lock cleans up, and a save holds it throughout."""
    book = corpus.build_openpyxl(tmp_path / "book.xlsx")
    other = corpus.build_openpyxl(tmp_path / "other.xlsx")
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSING_WRITER, str(book)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        assert process.stdout.readline().strip() == b"paused"
        [temp] = atomic.leftover_temps(book)  # the paused save's new version, not yet moved
        written = temp.read_bytes()
        append_rows(other, "ContactLog", [{"Customer": "OTHER"}])  # another book's save
        assert temp.read_bytes() == written
        monkeypatch.setattr(locks, "LOCK_WAIT", 0.3)
        before = book.read_bytes()
        with pytest.raises(WorkbookLockedError, match="being saved by another Dunning run"):
            append_rows(book, "ContactLog", [{"Customer": "SECOND"}])
        assert temp.read_bytes() == written and book.read_bytes() == before
    finally:
        process.communicate(b"go on\n", timeout=60)
    assert process.returncode == 0, process.stderr
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("ContactLog").to_python()
    assert rows[-1][1] == "PAUSED"
    assert contact_rows(other) == 4  # header, two rows, OTHER
    assert not list(tmp_path.glob("*.dunning-tmp-*"))
    assert not list(tmp_path.glob("*.dunning-lock"))
