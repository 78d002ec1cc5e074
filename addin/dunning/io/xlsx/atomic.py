"""Saving without ever leaving a broken workbook: temp file, check, backup, atomic rename.

The new file is written beside the old one (same folder, so the rename cannot
cross file systems), flushed to disk, reopened and checked, and only then moved
over the old name with `os.replace`, which swaps the name in one step. A crash
before the rename leaves the old file (and a stray temp file, named after the
workbook with `.dunning-tmp-` and 8 hex digits so it is recognisable and never
mistaken for a workbook); a crash after it leaves the new one. Backups are plain
copies in a `.dunning-backups` folder beside the workbook: `NAME.1.xlsx` is the
version just replaced, `NAME.2.xlsx` the one before, up to the number asked for.

A save holds the workbook's lock (`locks.book_lock`) from before its temp file
exists until after it is gone, and first removes the temp files a killed save of
the same workbook left. Only names made by `temp_path` for this workbook are
removed, and only under the lock, so the temp file of a save still running (which
holds the lock) is never touched, nor the temp files of other workbooks.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from dunning.io.durability import sync_folder
from dunning.io.xlsx.errors import unsupported
from dunning.io.xlsx.locks import book_lock, sharing_violation

BACKUP_FOLDER = ".dunning-backups"
TEMP_MARK = ".dunning-tmp-"
_TOKEN_BYTES = 4
_TOKEN = re.compile(f"[0-9a-f]{{{2 * _TOKEN_BYTES}}}")
Stage = Callable[[str], None]


def temp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}{TEMP_MARK}{secrets.token_hex(_TOKEN_BYTES)}")


def leftover_temps(path: Path) -> list[Path]:
    """The temp files `temp_path` made for `path` that are still there, and nothing else."""
    start = os.path.normcase(f"{path.name}{TEMP_MARK}")
    found = []
    with os.scandir(path.parent) as entries:
        for entry in entries:
            name = os.path.normcase(entry.name)
            if (
                name.startswith(start)
                and _TOKEN.fullmatch(name[len(start) :])
                and entry.is_file(follow_symlinks=False)
            ):
                found.append(Path(entry.path))
    return sorted(found)


def remove_leftovers(path: Path) -> list[Path]:
    """Remove the temp files of killed saves of `path`; call only holding its lock.

    Best effort: a leftover that cannot be listed or removed does not stop the save.
    """
    removed = []
    with contextlib.suppress(OSError):
        for temp in leftover_temps(path):
            with contextlib.suppress(OSError):
                temp.unlink()
                removed.append(temp)
    return removed


def backup_path(path: Path, number: int) -> Path:
    return path.parent / BACKUP_FOLDER / f"{path.stem}.{number}{path.suffix}"


def save(
    path: Path,
    write: Callable[[BinaryIO], None],
    verify: Callable[[Path], None],
    *,
    backups: int = 1,
    before_replace: Callable[[], None] = lambda: None,
    on_stage: Stage | None = None,
) -> None:
    """Write the new version of `path` with `write`, check it with `verify`, swap it in.

    `on_stage` is a test hook: it is called with "temp-written", "temp-verified",
    "backup-made" and "replaced", so a test can kill the process at each point.
    """
    stage = on_stage or (lambda _name: None)
    with book_lock(path) as held:
        if held:
            remove_leftovers(path)
        temp = temp_path(path)
        try:
            with open(temp, "xb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            stage("temp-written")
            verify(temp)
            stage("temp-verified")
            before_replace()
            keep_backup(path, backups)
            stage("backup-made")
            try:
                os.replace(temp, path)
            except PermissionError as error:
                raise sharing_violation(path) from error
            stage("replaced")
            sync_folder(path.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def keep_backup(path: Path, count: int) -> None:
    """Copy the current file to backup 1, shifting older backups up to `count`."""
    if count <= 0:
        return
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    for number in range(count, 1, -1):
        older = backup_path(path, number - 1)
        if older.exists():
            os.replace(older, backup_path(path, number))
    extra = count + 1
    while backup_path(path, extra).exists():
        backup_path(path, extra).unlink()
        extra += 1
    shutil.copy2(path, backup_path(path, 1))


def check_package(
    temp: Path, names: list[str], xml_parts: Iterable[str], *, full: bool = True
) -> None:
    """Check a written package: its member list, every CRC (when `full`), and edited XML.

    Edited parts are read once (which checks their CRC) and run through expat
    for well-formedness without building a tree, so checking a 20 MB sheet is fast.
    """
    edited = set(xml_parts)
    try:
        with zipfile.ZipFile(temp) as archive:
            if archive.namelist() != names:
                raise ValueError("the written zip does not list the expected parts")
            for name in names:
                if name in edited:
                    parser = expat.ParserCreate()
                    parser.Parse(archive.read(name), True)
                elif full:
                    with archive.open(name) as member:
                        while member.read(1 << 20):
                            pass
    except (zipfile.BadZipFile, expat.ExpatError, ValueError, KeyError) as error:
        raise unsupported(
            str(temp),
            f"failed its check after writing ({error}); the workbook was left unchanged",
        ) from error
