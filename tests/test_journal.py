"""The send journal: states from records, durability, torn lines and the lock against two runs."""

import datetime as dt
import json
import os

import pytest

from dunning.mail.journal import Journal, JournalBusyError, JournalWarning, JournalWriteError

WHEN = dt.datetime(2026, 11, 23, 9, 30, 15, 250000, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def CLOCK() -> dt.datetime:  # noqa: N802 - a constant clock, named as one
    return WHEN


@pytest.fixture
def path(tmp_path):
    return tmp_path / "Book.xlsx.dunning-journal.jsonl"


def test_states_follow_the_last_record(path):
    with Journal(path, clock=CLOCK) as journal:
        assert journal.state("C1|friendly|2026-11-23") is None
        journal.intend("C1|friendly|2026-11-23", "<a@x>")
        assert journal.state("C1|friendly|2026-11-23") == "in doubt"
        journal.sent("C1|friendly|2026-11-23", "<a@x>")
        assert journal.state("C1|friendly|2026-11-23") == "sent"
        journal.intend("C2|firm|2026-11-23", "<b@x>")
        journal.failed("C2|firm|2026-11-23", "<b@x>", "550 5.1.1 mailbox unavailable", True)
        assert journal.state("C2|firm|2026-11-23") == "failed"
        assert journal.latest("C2|firm|2026-11-23")["permanent"] is True
        journal.intend("C3|final|2026-11-23", "<c@x>")
        journal.doubt("C3|final|2026-11-23", "<c@x>", "Connection unexpectedly closed")
        assert journal.state("C3|final|2026-11-23") == "in doubt"


def test_records_survive_reopening_in_order(path):
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K1", "<1@x>")
        journal.sent("K1", "<1@x>")
        journal.intend("K2", "<2@x>")
        journal.failed("K2", "<2@x>", "451 try later", False)
    with Journal(path, clock=CLOCK) as journal:
        assert journal.state("K1") == "sent"
        assert journal.state("K2") == "failed"
        assert journal.latest("K2")["permanent"] is False
        assert [(e["event"], e["key"]) for e in journal.entries()] == [
            ("intent", "K1"), ("sent", "K1"), ("intent", "K2"), ("failed", "K2")]
        assert all(e["time"].endswith("+00:00") for e in journal.entries())
    lines = path.read_text(encoding="ascii").splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["intent", "sent", "intent", "failed"]


def test_every_record_is_fsynced_before_the_call_returns(path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def counting_fsync(fd):
        synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    with Journal(path, clock=CLOCK) as journal:
        before = len(synced)
        journal.intend("K", "<k@x>")
        assert len(synced) == before + 1 and synced[-1] == path.stat().st_size
        journal.sent("K", "<k@x>")
        assert len(synced) == before + 2 and synced[-1] == path.stat().st_size


def test_a_torn_last_line_is_ignored_with_a_warning_and_writing_goes_on(path):
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K1", "<1@x>")
        journal.sent("K1", "<1@x>")
        journal.intend("K2", "<2@x>")
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"time": "2026-11-23T10:00:00+00:00", "event": "se')  # the crash
    with pytest.warns(JournalWarning, match="line 4 ignored .*cut short by a crash"), \
            Journal(path, clock=CLOCK) as journal:
        assert journal.state("K1") == "sent"
        assert journal.state("K2") == "in doubt"
        journal.sent("K2", "<2@x>")
    with pytest.warns(JournalWarning, match="line 4 ignored"), \
            Journal(path, clock=CLOCK) as journal:
        assert journal.state("K2") == "sent"
        assert len(journal.entries()) == 4


def test_foreign_or_broken_lines_in_the_middle_never_break_reading(path):
    path.write_bytes(
        b'{"time": "t", "event": "intent", "key": "K1", "message_id": "<1@x>"}\n'
        b"\x00\x00\x00\n"
        b'["not", "a", "record"]\n'
        b'{"event": "resolved", "key": "K1", "outcome": "maybe"}\n'
        b'{"time": "t", "event": "sent", "key": "K1", "message_id": "<1@x>"}\n'
    )
    with pytest.warns(JournalWarning) as caught, Journal(path, clock=CLOCK) as journal:
        assert journal.state("K1") == "sent"
    assert len(caught) == 3
    assert len(journal.warnings) == 3


def test_resolve_settles_doubt(path):
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K1", "<1@x>")
        journal.intend("K2", "<2@x>")
        journal.intend("K3", "<3@x>")
        journal.resolve("K1", "sent", note="found in the ContactLog")
        journal.resolve("K2", "not sent")
        journal.resolve("K3", "failed")
        with pytest.raises(ValueError, match="resolve expects one of sent, not sent, failed"):
            journal.resolve("K3", "maybe")
    with Journal(path, clock=CLOCK) as journal:
        assert journal.state("K1") == "sent"
        assert journal.latest("K1")["note"] == "found in the ContactLog"
        assert journal.state("K2") is None
        assert journal.state("K3") == "failed"
        assert journal.latest("K3")["permanent"] is True
        assert journal.latest("K2")["message_id"] == "<2@x>"


def test_a_second_run_cannot_open_the_journal_while_the_first_holds_it(path):
    first = Journal(path, clock=CLOCK)
    try:
        with pytest.raises(JournalBusyError, match="in use by another dunning run"):
            Journal(path, clock=CLOCK)
    finally:
        first.close()
    with Journal(path, clock=CLOCK) as again:
        assert again.entries() == []


def test_a_closed_journal_refuses_to_write(path):
    journal = Journal(path, clock=CLOCK)
    journal.close()
    with pytest.raises(ValueError, match="is closed"):
        journal.intend("K", "<k@x>")


def test_keys_and_texts_outside_ascii_round_trip(path):
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("Müller & Söhne|firm|2026-11-23", "<m@x>")
        journal.failed("Müller & Söhne|firm|2026-11-23", "<m@x>", "550 Empfänger unbekannt", True)
    assert path.read_bytes().isascii()
    with Journal(path, clock=CLOCK) as journal:
        record = journal.latest("Müller & Söhne|firm|2026-11-23")
        assert record["error"] == "550 Empfänger unbekannt"


def test_records_are_stamped_by_the_clock_the_caller_gives(path):
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K1", "<1@x>")
        assert [e["time"] for e in journal.entries()] == ["2026-11-23T08:30:15.250+00:00"]


def test_a_planned_row_does_not_change_the_state_and_survives_reopening(path):
    row = {"Customer": "C1", "Invoices": "A, B", "Timestamp": "2026-11-23T10:00:00"}
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K1", "<1@x>")
        journal.failed("K1", "<1@x>", "550 no such mailbox", True)
        journal.plan("K1", "<1@x>", row=row, invoices=["A", "B"], to="c1@example.com")
        assert journal.state("K1") == "failed" and journal.latest("K1")["event"] == "failed"
        journal.plan("K2", "<2@x>", row=row, invoices=["A"], to="c2@example.com")
        assert journal.state("K2") is None  # planned only: never tried
        journal.intend("K2", "<2@x>")
    with Journal(path, clock=CLOCK) as journal:
        planned = journal.planned("K1")
        assert planned["row"] == row and planned["invoices"] == ["A", "B"]
        assert planned["to"] == "c1@example.com"
        assert [r["key"] for r in journal.in_doubt()] == ["K2"]


def test_reading_a_journal_takes_no_lock_and_writes_nothing(path):
    assert Journal.read(path).entries() == [] and not path.exists()  # not even created
    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K", "<k@x>")
        seen = Journal.read(path)  # while a run holds the lock: a preview does not wait
        assert seen.state("K") == "in doubt" and [r["key"] for r in seen.in_doubt()] == ["K"]
        with pytest.raises(ValueError, match="closed"):
            seen.sent("K", "<k@x>")
    torn = path.read_bytes() + b'{"event": "se'
    path.write_bytes(torn)
    with pytest.warns(JournalWarning):
        Journal.read(path)
    assert path.read_bytes() == torn  # a reader leaves even a torn line alone


def test_a_record_the_disk_cannot_take_raises_naming_the_journal_and_is_not_counted(
        path, monkeypatch):
    """ENOSPC at the flush: a JournalWriteError (an OSError, so every caller's handling of one
    holds) naming the file; the state stays what the records that were taken say."""
    import errno

    with Journal(path, clock=CLOCK) as journal:
        journal.intend("K", "<k@x>")
        real_fsync = os.fsync

        def full_disk(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fsync", full_disk)
        with pytest.raises(JournalWriteError) as caught:
            journal.sent("K", "<k@x>")
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert isinstance(caught.value, OSError) and caught.value.errno == errno.ENOSPC
        assert caught.value.filename == str(path)
        assert journal.state("K") == "in doubt"  # never "sent" on a record it may not hold


def test_a_journal_a_run_created_and_left_empty_is_removed_as_it_closes(path):
    """A run refused before its first send (no mail server, a bad template) leaves no file."""
    with Journal(path, clock=CLOCK) as journal:
        assert path.exists() and journal.entries() == []
    assert not path.exists()
    with Journal(path, clock=CLOCK) as journal:  # one with content stays, and reads back
        journal.intend("K", "<k@x>")
    with Journal(path, clock=CLOCK) as journal:  # reopened, nothing more written: kept whole
        assert journal.state("K") == "in doubt"
    assert Journal.read(path).state("K") == "in doubt"


def test_an_empty_journal_found_on_opening_is_left_in_place(path):
    path.write_bytes(b"")  # not this run's to remove
    Journal(path, clock=CLOCK).close()
    assert path.exists()


def test_a_run_that_opened_the_journal_as_another_removed_it_records_in_the_new_one(
        path, monkeypatch):
    """The second run opens the file, the first closes and removes it (empty), then the second
    takes the lock: it must not write into the removed file, where its records would be lost
    to every later run, but into the journal on disk."""
    from dunning.mail import journal as journal_module

    first = Journal(path, clock=CLOCK)
    real_lock = journal_module._lock
    calls = []

    def lock_once_the_first_has_closed(fd, where):
        calls.append(fd)
        if len(calls) == 1:
            first.close()  # between the second's open and its lock
            assert not path.exists()
        real_lock(fd, where)

    monkeypatch.setattr(journal_module, "_lock", lock_once_the_first_has_closed)
    with Journal(path, clock=CLOCK) as second:
        second.intend("K", "<k@x>")
        assert Journal.read(path).state("K") == "in doubt"  # on disk, where the next run looks
    assert len(calls) == 2 and Journal.read(path).state("K") == "in doubt"
