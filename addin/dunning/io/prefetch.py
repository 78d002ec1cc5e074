"""A workbook's invoices read by fastexcel in a thread while the command imports pandas.

`dunning aging BOOK.xlsx` spends about a third of a second importing pandas before it
reads a cell; fastexcel reads a sheet in Rust without holding Python's lock, so the two
can run side by side on a second core. `start` begins the read the ledger will ask for
(the Invoices table, else the sheet `dunning.io.reading` would choose), importing
neither pandas nor numpy; `dunning.io.sheet_arrow` takes the result (`taken`) when it
asks for the same table or sheet of the same, unchanged file, and reads it itself
otherwise. Nothing is decided here: every rule of the fast path (`sheet_arrow`) and of
the file checks (`reading.check_workbook_file`) runs on the result as on its own read.
A file whose zip would unzip past the writer's bounds (`check_expansion`) is not read
here at all, nor is anything that is not a zip: the main path refuses those, with its
messages.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

INVOICES = "Invoices"
_READS: dict[Path, _Read] = {}


class _Read:
    """One read in its thread: the key ("table" or "sheet", name) and fastexcel's result."""

    def __init__(self, path: Path, sheet: str | None, table: str | None) -> None:
        self.path = path
        self.sheet = sheet
        self.table = table
        self.stamp = _stamp(path)
        self.key: tuple[str, str] | None = None
        self.result: tuple[object, object, object] | None = None
        self.thread = threading.Thread(target=self._run, name="dunning-prefetch", daemon=True)

    def _run(self) -> None:
        with contextlib.suppress(Exception):  # any failure: the main path reads it itself
            self._read()

    def _read(self) -> None:
        from dunning.io.xlsx.package import check_expansion

        with zipfile.ZipFile(self.path) as archive:  # bounds first, as the main path does
            check_expansion(self.path.name, archive.infolist())
        import fastexcel

        with _quiet_fastexcel():
            reader = fastexcel.read_excel(str(self.path))
            tables = reader.table_names() if self.sheet is None else []
            wanted = self.table or (INVOICES if INVOICES in tables else None)
            if wanted is not None:
                named = [name for name in tables if name.casefold() == wanted.casefold()]
                if named:
                    self.result = load(reader, "table", named[0], self.path)
                    self.key = ("table", named[0])
                return
            sheets = reader.sheet_names
            name = self.sheet or (INVOICES if INVOICES in sheets else sheets[0])
            self.result = load(reader, "sheet", name, self.path)
            self.key = ("sheet", name)


def load(reader: Any, kind: str, name: str,  # noqa: ANN401 - fastexcel's reader
         path: Path) -> tuple[object, object, object]:
    """fastexcel's (loaded object, Arrow batch, cell errors) for the `kind` ("table" or
    "sheet") named `name` of the workbook at `path`, each column of one kind or refused
    (strict). fastexcel names a sheet's Excel error cells among its cell errors, but gives
    a table's as nulls: for a table the third is its sheet's error cells as the sheet's
    XML holds them (`io.xlsx.error_cells`, read here, in the thread, as the rest is)."""
    if kind == "table":
        sheet = next((sheet for sheet in reader.sheet_names if name in reader.table_names(sheet)),
                     None)
        scan = _ErrorScan(path, sheet)  # (beside fastexcel: each lets go of Python's lock)
        loaded = reader.load_table(name, dtype_coercion="strict", schema_sample_rows=None)
        batch = loaded.to_arrow()
        return loaded, batch, scan.cells(loaded.sheet_name)
    loaded = reader.load_sheet(name, dtype_coercion="strict", schema_sample_rows=None)
    batch, errors = loaded.to_arrow_with_errors()
    return loaded, batch, errors


class _ErrorScan:
    """The error cells of a sheet (`io.xlsx.error_cells`), read in a thread of their own: the
    sheet's XML is inflated (about 0.1 s for 100,000 rows) while fastexcel reads the table."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        self.path = path
        self.sheet = sheet
        self.found: list[Any] | None = None
        self.thread = threading.Thread(target=self._run, name="dunning-error-cells",
                                       daemon=True)
        if sheet is not None:
            self.thread.start()

    def _run(self) -> None:
        from dunning.io.xlsx.error_cells import error_cells

        with contextlib.suppress(Exception):  # none found: `cells` reads them itself
            self.found = error_cells(self.path, self.sheet or "")

    def cells(self, sheet: str) -> list[Any]:
        """The error cells of `sheet` (the table's, as fastexcel found it)."""
        from dunning.io.xlsx.error_cells import error_cells

        if self.sheet is not None:
            self.thread.join()
        if sheet != self.sheet or self.found is None:
            return error_cells(self.path, sheet)
        return self.found


def read(path: Path, kind: str, name: str) -> tuple[object, object, object] | None:
    """The `kind` named `name` of the workbook at `path` as `load` gives it: the early read's
    result when it holds this one (`taken`), else read now; None when fastexcel refuses it
    (mixed columns, odd files: calamine's rows decide)."""
    early = taken(path, kind, name)
    if early is not None:
        return early
    with _quiet_fastexcel():
        try:
            import fastexcel

            return load(fastexcel.read_excel(str(path)), kind, name, path)
        except Exception:  # noqa: BLE001 - whatever fastexcel refuses, the old path reads
            return None


@contextlib.contextmanager
def _quiet_fastexcel() -> Iterator[None]:
    """fastexcel's "falling back to string" for an empty column is no news to a user."""
    log = logging.getLogger("fastexcel")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def start(source: str | Path, *, sheet: str | None = None, table: str | None = None) -> None:
    """Begin reading the invoices of the workbook at `source` in a thread (see the module
    docstring); nothing for a CSV export, a file that is not a zip, or one already begun."""
    path = Path(source).resolve()
    if path.suffix.lower() not in (".xlsx", ".xlsm") or path in _READS:
        return
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"PK\x03\x04":
                return
    except OSError:
        return
    read = _Read(path, sheet, table)
    _READS[path] = read
    read.thread.start()


def taken(path: Path, kind: str, name: str) -> tuple[object, object, object] | None:
    """fastexcel's (loaded object, Arrow batch, cell errors) for the `kind` ("table" or
    "sheet") named `name` of the file at `path`, when a read begun by `start` holds it and
    the file has not changed since; else None. Waits for that read to end either way."""
    read = _READS.pop(Path(path).resolve(), None)
    if read is None:
        return None
    read.thread.join()
    if read.key != (kind, name) or read.result is None or _stamp(read.path) != read.stamp:
        return None
    return read.result


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
