"""Making file changes survive a crash, and keeping two runs apart: the pieces every writer
of Dunning's files shares (the workbook writer, the send journal, the drafts)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

_BUSY = {errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK, errno.EDEADLK}


def sync_folder(folder: Path) -> None:
    """Make a new or renamed directory entry in `folder` durable.

    After an fsync of a file and a rename, the rename itself is only on disk once
    the folder is synced (POSIX). Windows has no directory handles for this and
    commits renames itself, so there it does nothing.
    """
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def try_lock(fd: int) -> bool | None:
    """Lock `fd` without waiting: True when locked, False when busy, None when unsupported.

    flock on POSIX, msvcrt on Windows; the operating system drops the lock when the
    process ends, even by SIGKILL, so a killed run never leaves a lock behind.
    """
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        return False if error.errno in _BUSY else None
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: a temporary file beside it, flushed to disk,
    renamed over it, the folder synced. A crash leaves the old file or the new one."""
    import contextlib
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                         suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    sync_folder(path.parent)
