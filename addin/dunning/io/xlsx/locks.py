"""Is the workbook open in Excel or LibreOffice? Read their owner files to say who has it.

Excel keeps `~$NAME.xlsx` beside an open workbook: byte 0 is the length of the
user name, the name follows in the ANSI code page, padded with spaces to byte 55,
where a 2-byte length and the name in UTF-16LE follow (165 bytes in all; the
layout LibreOffice documents in svl/source/misc/msodocumentlockfile.cxx).
LibreOffice keeps `.~lock.NAME.xlsx#`, one CSV line `name,sysuser,host,time,url;`
with `\\` escaping `,` `;` and `\\`. Writing under an open workbook would be lost
when its user saves, or would fail on Windows; so the writer refuses, and says
who to ask. An owner file left by a crash gives the same refusal, and the
message says to delete it when nobody has the workbook open.

Dunning's own runs take `book_lock` while they save: an exclusive lock (flock
on POSIX, msvcrt on Windows) on `NAME.xlsx.dunning-lock` beside the workbook,
which the operating system drops when a process dies, even by SIGKILL. The file
is removed when the save ends; one left by a killed run is simply locked again.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dunning.io.durability import try_lock
from dunning.io.xlsx.errors import WorkbookLockedError, locked

LOCK_MARK = ".dunning-lock"
LOCK_WAIT = 30.0  # seconds a save waits for another Dunning run saving the same workbook


@dataclass(frozen=True)
class Owner:
    """Who holds a workbook open, as far as the owner file tells."""

    program: str
    user: str | None
    lock_file: Path


def excel_owner_name(data: bytes) -> str | None:
    """The user name in an Excel owner file, or None when it cannot be read."""
    if not data:
        return None
    length = data[0]
    if 0 < length <= 52 and len(data) >= 57:
        for start in (55, 54):  # Excel and PowerPoint; Word puts it at 54
            wide = int.from_bytes(data[start : start + 2], "little")
            if 0 < wide <= 52 and len(data) >= start + 2 + 2 * wide:
                name = data[start + 2 : start + 2 + 2 * wide].decode("utf-16-le", "replace")
                if name.strip() and "\x00" not in name:
                    return name.strip()
    if 0 < length < len(data):
        return data[1 : 1 + length].decode("cp1252", "replace").strip() or None
    return None


def libreoffice_owner_name(text: str) -> str | None:
    """The user (and host) in a LibreOffice lock file, or None."""
    fields: list[str] = []
    current = ""
    escaped = False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",;":
            fields.append(current)
            current = ""
            if char == ";":
                break
        else:
            current += char
    user = next((field.strip() for field in fields[:2] if field.strip()), None)
    host = fields[2].strip() if len(fields) > 2 else ""
    if user and host:
        return f"{user} on {host}"
    return user


def find_owner(path: Path) -> Owner | None:
    """The owner file of `path`, if Excel or LibreOffice has one beside it."""
    excel = path.with_name(f"~${path.name}")
    if excel.exists():
        try:
            user = excel_owner_name(excel.read_bytes()[:256])
        except OSError:
            user = None
        return Owner("Excel", user, excel)
    office = path.with_name(f".~lock.{path.name}#")
    if office.exists():
        try:
            user = libreoffice_owner_name(office.read_text("utf-8", "replace"))
        except OSError:
            user = None
        return Owner("LibreOffice", user, office)
    return None


def check_not_open(path: Path) -> None:
    """Raise WorkbookLockedError if the workbook is open or cannot be opened for writing."""
    owner = find_owner(path)
    if owner is not None:
        who = f"by {owner.user}" if owner.user else "by someone"
        raise locked(
            str(path),
            f"is open in {owner.program} {who}; close it there and retry (if nobody has it "
            f"open, delete the leftover file {owner.lock_file.name})",
            owner=owner.user,
        )
    probe_writable(path)


def probe_writable(path: Path) -> None:
    """Open the file for writing without changing it: Windows refuses while Excel has it."""
    try:
        with open(path, "r+b"):
            pass
    except PermissionError as error:
        raise sharing_violation(path) from error


def sharing_violation(path: Path) -> WorkbookLockedError:
    return locked(
        str(path),
        "cannot be written: it is open in another program (or read-only); close it and retry",
    )


def lock_path(path: Path) -> Path:
    return path.with_name(f"{path.name}{LOCK_MARK}")


@contextlib.contextmanager
def book_lock(path: Path, *, wait: float | None = None) -> Iterator[bool]:
    """Hold Dunning's lock on workbook `path`; yields True, or False where the file
    system cannot lock (then nothing that relies on the lock may be done).

    Waits up to `wait` seconds (`LOCK_WAIT`) for another run saving the same
    workbook, then raises WorkbookLockedError.
    """
    lock = lock_path(path)
    deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        try:
            held = try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if held is None:  # no locking here (some network shares): go on, unlocked
            os.close(fd)
            yield False
            return
        if held and _still_named(fd, lock):
            break
        os.close(fd)  # busy, or the holder removed the file as we opened it: try again
        if time.monotonic() >= deadline:
            raise locked(
                str(path),
                "is being saved by another Dunning run; wait for it to finish and retry "
                f"(if no Dunning run is going, delete the leftover file {lock.name})",
            )
        time.sleep(0.05)
    try:
        yield True
    finally:
        _release(fd, lock)


def _still_named(fd: int, lock: Path) -> bool:
    """Is the locked file still the one called `lock`? (POSIX lets a holder unlink it.)"""
    if os.name == "nt":
        return True  # Windows cannot delete a file someone has open
    return names_open_file(lock, fd)


def names_open_file(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (not removed, not replaced by
    another file since it was opened)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _release(fd: int, lock: Path) -> None:
    if os.name == "nt":
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)
        with contextlib.suppress(OSError):  # refused while another run has it open
            lock.unlink()
    else:
        with contextlib.suppress(OSError):
            lock.unlink()  # while still locked, so a waiting run sees it is gone
        os.close(fd)
