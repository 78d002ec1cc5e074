"""Making file changes survive a crash: the one piece every writer of Dunning's files shares."""

from __future__ import annotations

import os
from pathlib import Path


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
