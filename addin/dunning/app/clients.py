"""A firm's folder of client workbooks: which files in it (and below) are clients' books.

`dunning portfolio` and `dunning remind-all` take a folder; both find the clients here,
in one order (by path), so a run's log and the portfolio list clients alike.
Left out: lock and temp files (Excel's `~$NAME`, LibreOffice's `.~lock.NAME#`, the
writer's `NAME.dunning-tmp-…`), anything in a hidden folder (the writer's
`.dunning-backups`, version control), and Dunning's own output (a Portfolio workbook,
marked as such in its document properties, and any path given in `skip`).
A client's book saved as .xls, .xlsb or .ods is found too, though Dunning cannot read it: its
run and the portfolio then name it with what to do (save it as .xlsx) instead of
leaving that client out without a word.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

from dunning.core.errors import DunningInputError, Issue
from dunning.io.portfolio_book import OUTPUT_MARK

CLIENT_SUFFIXES = (".xlsx", ".xlsm")
UNREADABLE_SUFFIXES = (".xls", ".xlsb", ".ods")
"""Workbooks a client's book may have been saved as, which Dunning refuses by name."""


def client_workbooks(folder: str | Path, *, skip: Iterable[str | Path] = ()) -> list[Path]:
    """The client workbooks in `folder` and its subfolders, sorted by path."""
    root = Path(folder)
    if not root.is_dir():
        raise DunningInputError([Issue(f"{root} is not a folder: give the folder that holds "
                                       "the client workbooks")])
    skipped = {Path(p).resolve() for p in skip}
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (path.suffix.lower() not in CLIENT_SUFFIXES + UNREADABLE_SUFFIXES
                or not path.is_file()
                or any(part.startswith((".", "~$")) for part in relative.parts)
                or ".dunning-tmp-" in path.name or path.resolve() in skipped
                or is_dunning_output(path)):
            continue
        found.append(path)
    return found


def is_dunning_output(path: Path) -> bool:
    """A workbook Dunning wrote for the firm (a Portfolio), not a client's own book."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml") if "docProps/core.xml" in \
                archive.namelist() else b""
    except (OSError, zipfile.BadZipFile, KeyError):
        return False  # not readable: the caller reports it as a client it could not read
    return OUTPUT_MARK.encode() in core


def no_clients(folder: str | Path) -> DunningInputError:
    """The refusal when a folder holds no client workbook."""
    return DunningInputError([Issue(f"{folder} holds no client workbooks (.xlsx, .xlsm), "
                                    "in it or below")])
