"""`sync_folder`: a rename is only on disk once its folder is synced, and the writers do so."""

import errno
import os
import stat
from pathlib import Path

import pytest

from dunning.io import durability
from dunning.io.durability import sync_folder
from dunning.io.workbook import FileWorkbook

posix_only = pytest.mark.skipif(os.name != "posix", reason="folders are synced on POSIX only")


class Recorder:
    """Every fsync and close, with what each descriptor was when it was synced."""

    def __init__(self, monkeypatch, *, fail_fsync=None):
        self.events: list[tuple[str, int, object]] = []
        real_fsync, real_close = os.fsync, os.close

        def fsync(fd):
            info = os.fstat(fd)
            self.events.append(("fsync", fd, (info.st_dev, info.st_ino, info.st_mode)))
            if fail_fsync is not None and stat.S_ISDIR(info.st_mode):
                raise OSError(fail_fsync, os.strerror(fail_fsync))
            return real_fsync(fd)

        def close(fd):
            self.events.append(("close", fd, None))
            return real_close(fd)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "close", close)

    def folder_syncs(self, folder: Path) -> list[int]:
        """Positions of the fsyncs of `folder` itself among the events."""
        info = folder.stat()
        return [i for i, (kind, _, what) in enumerate(self.events)
                if kind == "fsync" and what[:2] == (info.st_dev, info.st_ino)]


@posix_only
def test_the_folder_itself_is_synced_and_its_descriptor_closed(tmp_path, monkeypatch):
    recorder = Recorder(monkeypatch)
    sync_folder(tmp_path)
    [position] = recorder.folder_syncs(tmp_path)
    kind, fd, (_, _, mode) = recorder.events[position]
    assert stat.S_ISDIR(mode)
    assert ("close", fd, None) in recorder.events[position + 1:]


@posix_only
def test_the_descriptor_is_closed_when_the_sync_fails(tmp_path, monkeypatch):
    recorder = Recorder(monkeypatch, fail_fsync=errno.EIO)
    with pytest.raises(OSError) as caught:
        sync_folder(tmp_path)
    assert caught.value.errno == errno.EIO
    [position] = recorder.folder_syncs(tmp_path)
    fd = recorder.events[position][1]
    assert ("close", fd, None) in recorder.events[position + 1:]


@posix_only
def test_a_missing_folder_is_an_error_not_silence(tmp_path):
    with pytest.raises(FileNotFoundError):
        sync_folder(tmp_path / "gone")


def test_windows_commits_renames_itself_so_nothing_is_opened(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sync_folder opened the folder on Windows")

    monkeypatch.setattr(durability.os, "name", "nt")
    monkeypatch.setattr(durability.os, "open", refuse)
    assert sync_folder(tmp_path / "not even there") is None


@posix_only
def test_a_workbook_save_syncs_its_folder_after_the_rename(book, monkeypatch):
    """The new file is flushed before it takes the workbook's name, and the folder holding
    that name is synced after: a crash at any moment leaves one whole version on disk."""
    real_replace = os.replace

    def replace(source, target):
        recorder.events.append(("replace", -1, (Path(source), Path(target))))
        return real_replace(source, target)

    recorder = Recorder(monkeypatch)
    monkeypatch.setattr(os, "replace", replace)
    workbook = FileWorkbook(book)
    workbook.replace_sheet("Worklist", [["Customer"], ["CAS03"]])
    workbook.save()

    [swap] = [i for i, (kind, _, what) in enumerate(recorder.events)
              if kind == "replace" and what[1] == book]
    temp = recorder.events[swap][2][0]
    assert temp.parent == book.parent and temp.name.startswith(f"{book.name}.dunning-tmp-")
    file_syncs = [i for i, (kind, _, what) in enumerate(recorder.events)
                  if kind == "fsync" and stat.S_ISREG(what[2])]
    assert file_syncs and min(file_syncs) < swap  # the new version was flushed first
    assert any(position > swap for position in recorder.folder_syncs(book.parent))


def test_one_holder_of_a_lock_at_a_time(tmp_path):
    import os

    from dunning.io.durability import try_lock

    path = tmp_path / "held"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    second = os.open(path, os.O_RDWR)
    try:
        assert try_lock(first) is True
        assert try_lock(second) is False  # busy while the first holds it
        os.close(first)
        first = -1
        assert try_lock(second) is True  # closing drops the lock
    finally:
        for fd in (first, second):
            if fd >= 0:
                os.close(fd)
