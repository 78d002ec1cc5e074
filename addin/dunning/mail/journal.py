"""The send journal: what was about to be sent and what became of it, one JSON line per event.

A reminder must never reach a customer twice. The SMTP conversation and the
ContactLog write cannot be one transaction, so every send is bracketed here:
an "intent" record is written and fsync'd before the conversation starts, and
an outcome ("sent", "failed" or "doubt") after it ends. A key whose last record
is an intent (the run was killed or lost power mid-send) is "in doubt": the
message may or may not have gone out, so it is never resent automatically;
`resolve` settles it once someone has checked.

The file is append-only JSON lines (the lead keeps it beside the workbook as
`BOOK.dunning-journal.jsonl`). A crash can tear the last line; such a line is
ignored with a `JournalWarning`, and the next record starts on a fresh line.
The file is locked while a `Journal` is open (flock on POSIX, msvcrt on
Windows), so two runs on the same workbook cannot both send; the operating
system drops the lock when a process dies, even by SIGKILL. A journal a run created and
wrote nothing to is removed as it closes (a run refused before its first send leaves no
file behind), under the lock and only when the path still names that file.

Each record is stamped with the time from the `clock` the caller gives (the
command line passes the computer's clock; a replay or a test passes its own),
since nothing below the command line reads the clock.

Before a message is handed to the mail server, the run also writes a "planned"
record: the ContactLog row that will be written if it is sent, the full list of
its invoices and the address it goes to. A planned record does not change the
key's state; it lets a later run write the log row whole when this run sent the
message but could not save the workbook (it was opened in Excel, the disk was
full, the run was killed), and tell a changed address from the one that failed.

`Journal.read` gives the records of a journal without locking or writing it
(for a preview, which must not wait for, or stop, a send under way).

A record the file cannot take (a full disk) raises `JournalWriteError` and is not counted:
the state stays what the records taken say (an intent without its outcome is in doubt),
so the caller must stop sending.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from dunning.io import names_open_file
from dunning.io.durability import sync_folder, try_lock

State = Literal["sent", "failed", "in doubt"]
EVENTS: tuple[str, ...] = ("intent", "sent", "failed", "doubt", "resolved", "planned")
RESOLUTIONS: tuple[str, ...] = ("sent", "not sent", "failed")


class JournalWarning(UserWarning):
    """A line of the journal that is not a complete record (usually a write torn by a crash)."""


class JournalWriteError(OSError):
    """A record could not be written (a full disk, a lost network drive): nothing more may be
    sent, since a send not recorded first could be repeated. Its `filename` is the journal."""


class JournalBusyError(RuntimeError):
    """Another run holds the journal: sending now could send the same reminder twice."""


class Journal:
    """The idempotency journal of one workbook; open it, send, close it (or use `with`).

    Args:
        path: the JSON lines file; created (with its parent folder entry fsync'd) if missing.
        clock: gives the moment (timezone-aware) each record is stamped with.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 clock: Callable[[], dt.datetime]) -> None:
        self._fd: int | None = None
        self._clock = clock
        self.path = Path(path)
        self.warnings: list[str] = []
        self._records: list[dict] = []
        self._last: dict[str, dict] = {}
        self._planned: dict[str, dict] = {}
        self._created = False
        for _ in range(_OPEN_TRIES):
            self._created = not self.path.exists()
            flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
            self._fd = os.open(self.path, flags, 0o600)
            try:
                _lock(self._fd, self.path)
                if names_open_file(self.path, self._fd):
                    break
            except BaseException:
                os.close(self._fd)
                self._fd = None
                raise
            # the run that had it removed it empty as it closed: this file is no longer the
            # journal, so records written to it would be lost; open the journal again
            os.close(self._fd)
            self._fd = None
        else:
            raise JournalBusyError(f"{self.path} keeps being replaced by another dunning run; "
                                   "wait for it to finish")
        try:
            if self._created:
                sync_folder(self.path.parent)
            self._load(_read_all(self._fd))
        except BaseException:
            os.close(self._fd)
            self._fd = None
            raise

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Journal:
        """The journal's records as they stand, read without the lock; it cannot be written."""
        journal = cls.__new__(cls)
        journal._fd, journal._clock, journal.path = None, _no_clock, Path(path)
        journal.warnings, journal._records, journal._last, journal._planned = [], [], {}, {}
        if journal.path.exists():
            journal._load(journal.path.read_bytes(), repair=False)
        return journal

    # Public API

    def state(self, key: str) -> State | None:
        """Where `key` stands: "sent", "failed", "in doubt", or None (never tried, or settled
        as not sent)."""
        record = self._last.get(key)
        return None if record is None else _state_of(record)

    def latest(self, key: str) -> dict | None:
        """The record that decides the state of `key` (with its time, error, permanence)."""
        record = self._last.get(key)
        return None if record is None else dict(record)

    def in_doubt(self) -> list[dict]:
        """The deciding record of every key in doubt, oldest first."""
        return [dict(record) for record in self._last.values() if _state_of(record) == "in doubt"]

    def plan(self, key: str, message_id: str, *, row: dict, invoices: list[str],
             to: str) -> None:
        """Record the log row a send of `key` will write, before the send (module docstring)."""
        self._write({"event": "planned", "key": key, "message_id": message_id, "row": row,
                     "invoices": list(invoices), "to": to})

    def planned(self, key: str) -> dict | None:
        """The latest planned record of `key` (its log row, invoices and address), or None."""
        record = self._planned.get(key)
        return None if record is None else dict(record)

    def intend(self, key: str, message_id: str) -> None:
        """Record that the SMTP conversation for `key` is about to start."""
        self._write({"event": "intent", "key": key, "message_id": message_id})

    def sent(self, key: str, message_id: str) -> None:
        """Record that the server accepted the message."""
        self._write({"event": "sent", "key": key, "message_id": message_id})

    def failed(self, key: str, message_id: str, error: str, permanent: bool,
               refused: Sequence[str] = ()) -> None:
        """Record that the server refused it (permanent) or could not take it now (temporary);
        `refused`: the recipients it refused for good at RCPT (the addresses' own fault)."""
        record = {"event": "failed", "key": key, "message_id": message_id,
                  "error": error, "permanent": bool(permanent)}
        if refused:
            record["refused"] = list(refused)
        self._write(record)

    def doubt(self, key: str, message_id: str, error: str) -> None:
        """Record that the conversation broke after the message was handed over."""
        self._write({"event": "doubt", "key": key, "message_id": message_id, "error": error})

    def resolve(self, key: str, outcome: str, note: str = "") -> None:
        """Settle a key by hand or from the ContactLog: "sent", "not sent" (send it again on
        the next run) or "failed" (a permanent failure)."""
        if outcome not in RESOLUTIONS:
            raise ValueError(f"resolve expects one of {', '.join(RESOLUTIONS)}; got {outcome!r}")
        earlier = self._last.get(key, {})
        record = {"event": "resolved", "key": key, "message_id": earlier.get("message_id", ""),
                  "outcome": outcome}
        if outcome == "failed":
            record["permanent"] = True
        if note:
            record["note"] = note
        self._write(record)

    def entries(self) -> list[dict]:
        """Every complete record, oldest first."""
        return [dict(record) for record in self._records]

    def close(self) -> None:
        """Release the file and its lock; a journal this run created and wrote nothing to is
        removed first (a run refused before its first send leaves nothing behind).

        It is removed while the lock is held, so no other run can have written to it; one
        that opened it meanwhile finds, once it holds the lock, that the file is no longer the
        journal and opens it afresh (`__init__`). A journal with content, or one that was there
        before this run, is never removed. (Windows does not remove an open file: there the
        empty journal stays, harmless.)
        """
        if self._fd is None:
            return
        try:
            if (self._created and os.fstat(self._fd).st_size == 0
                    and names_open_file(self.path, self._fd)):
                self.path.unlink()
        except OSError:
            pass  # an empty journal left in place is harmless; its lock is released below
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # Private API

    def _load(self, content: bytes, *, repair: bool = True) -> None:
        lines = content.split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = _parse(line)
            if record is None:
                self._warn(number, line, last=number == len(lines))
                continue
            self._remember(record)
        if repair and content and not content.endswith(b"\n"):
            self._append(b"\n")  # the next record must not be glued to a torn fragment

    def _warn(self, number: int, line: bytes, *, last: bool) -> None:
        why = "a write cut short by a crash" if last else "not a complete journal record"
        text = (f"{self.path}: line {number} ignored ({why}): "
                f"{line[:60].decode('utf-8', 'replace')!r}")
        self.warnings.append(text)
        warnings.warn(text, JournalWarning, stacklevel=4)

    def _write(self, record: dict) -> None:
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        moment = self._clock().astimezone(dt.timezone.utc)
        stamped = {"time": moment.isoformat(timespec="milliseconds"), **record}
        try:
            self._append(json.dumps(stamped, ensure_ascii=True).encode("ascii") + b"\n")
        except OSError as error:  # the record may be torn or lost: `_load` copes with either
            raise JournalWriteError(error.errno, error.strerror or str(error),
                                    str(self.path)) from error
        self._remember(stamped)

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)

    def _remember(self, record: dict) -> None:
        self._records.append(record)
        if record["event"] == "planned":  # a plan is not an outcome: the state stays
            self._planned[record["key"]] = record
        else:
            self._last[record["key"]] = record


_OPEN_TRIES = 10
"""How often opening the journal starts again when the file opened was removed meanwhile."""


def _no_clock() -> dt.datetime:
    raise ValueError("a journal read with Journal.read cannot be written")


def _parse(line: bytes) -> dict | None:
    """A record from one line, or None when the line is torn or foreign."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if (not isinstance(record, dict) or not isinstance(record.get("key"), str)
            or record.get("event") not in EVENTS):
        return None
    if record["event"] == "resolved" and record.get("outcome") not in RESOLUTIONS:
        return None
    return record


def _state_of(record: dict) -> State | None:
    event = record["event"]
    if event == "resolved":
        outcome = record["outcome"]
        return None if outcome == "not sent" else outcome
    if event in ("intent", "doubt"):
        return "in doubt"
    return event


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _lock(fd: int, path: Path) -> None:
    """Hold an exclusive lock on the journal for as long as it is open."""
    if not try_lock(fd):
        raise JournalBusyError(
            f"{path} is in use by another dunning run; wait for it to finish "
            "(two runs at once could send the same reminder twice)"
        )

