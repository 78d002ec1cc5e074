"""Thirty days of reminder runs under every fault: the log stays exact across days.

A generated client workbook (`build_workbook`: 100 customers, one to four invoices each,
due dates spread so that stages fall due all month long) is sent to once or twice a day
for thirty simulated days: `now` is advanced day by day and given to the run, which reads
no clock. The mail server is a real loopback SMTP server (`smtp_server.LoopbackSmtp`)
that, at random (seeded), refuses some addresses, answers 451, drops the connection before
a message is stored or after it is stored (a send in doubt), or is down. Runs are
interrupted at random, as a kill would: an exception that nothing catches (`Killed`, a
BaseException) raised from the progress callback after a message, or from the save,
before or after it writes; or the workbook is opened in Excel during the run, so the save
is refused; or the journal's disk fills after a few records (ENOSPC), which stops the
sends and the save. An operator settles some sends in doubt each day, looking in the server's
mailbox as a person looks in the Sent folder; the others stay in doubt for days.

Checked every day:
- no customer receives two messages for one stage (the ledger is fixed: every climb is
  the same climb), and no two messages to a customer are closer than the minimum gap;
- every message the server stored has exactly one "sent" ContactLog row, with its
  invoices, subject and balance, once a run has finished and saved (a message still in
  doubt has none until it is settled);
- every send in doubt is reported by every run that finishes (and gives exit status 2)
  until it is settled;
- an address the server refused for good is never tried again (the workbook's addresses
  do not change, and nobody settles a refusal as not sent), and the runs after it name
  the customer in a warning;
- the workbook always opens whole (python-calamine reads every table).
A last healthy run settles everything and the log is then exact for every message.

The book is 300 customers and 30 days (about 40 seconds; SIM_CUSTOMERS=500 for a bigger
one). A second test kills a real `dunning remind` process with SIGKILL on seven days:
twice while the server holds the reply to a message it has stored (an intent with no
outcome), twice after a random delay (starting up, sending or saving), and three times
inside the save: halfway through writing the new file, after the backup just before the
rename, and just after the rename. It checks the same invariants after each.
"""

import datetime as dt
import email
import email.header
import email.policy
import errno
import os
import random
import socket
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

pytest.importorskip("cryptography", reason="the loopback SMTP server makes its certificate "
                    "with the cryptography package (pip install '.[test]')")

from dunning import cli  # noqa: E402
from dunning.app import remind  # noqa: E402
from dunning.core.errors import DunningInputError  # noqa: E402
from dunning.demo import SAMPLE_SETTINGS  # noqa: E402
from dunning.io.client_workbook import build_workbook  # noqa: E402
from dunning.io.workbook import FileWorkbook  # noqa: E402
from dunning.mail.journal import Journal  # noqa: E402
from smtp_server import TEST_PASSWORD, LoopbackSmtp  # noqa: E402

SEED = 20261203
CUSTOMERS = int(os.environ.get("SIM_CUSTOMERS", "300"))  # SIM_CUSTOMERS=500: a bigger book
DAYS = 30
START = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone.utc)  # a Monday, in the window
MIN_GAP = 5  # the default Minimum Days Between Reminders
FAULTS = ("healthy", "healthy", "refuse", "451", "drop before storing", "drop after storing",
          "down")
INTERRUPTIONS = ("none", "none", "none", "kill after a message", "kill before the save",
                 "kill after the save", "opened in Excel", "journal disk full")


class Killed(BaseException):
    """The run stops here, as if killed: nothing in Dunning catches it."""


def generated_book(path: Path, rng: random.Random, count: int = CUSTOMERS) -> Path:
    customers, invoices = [], []
    number = 0
    for n in range(1, count + 1):
        customer = f"C{n:03d}"
        customers.append({"Customer": customer, "Name": f"Customer {n} Ltd",
                          "Contact Name": "Pat", "Contact Email": f"ap{n:03d}@example.test",
                          "Language": "en", "Time Zone": "", "Opt Out": "No",
                          "Do Not Contact": "No"})
        for _ in range(rng.randint(1, 4)):
            number += 1
            due = START.date() + dt.timedelta(days=rng.randint(-45, 25))
            invoices.append({
                "Invoice No": f"INV-{number:05d}", "Customer": customer,
                "Invoice Date": (due - dt.timedelta(days=30)).isoformat(),
                "Due Date": due.isoformat(), "Amount": f"{rng.randint(100, 90_000) / 100:.2f}",
                "Paid": "0", "Currency": "EUR", "Disputed": "No", "Settled Date": "",
                "Written Off": "No", "Notes": ""})
    return build_workbook(path, client="Generated", invoices=pd.DataFrame(invoices),
                          customers=pd.DataFrame(customers), settings=SAMPLE_SETTINGS)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: the mail server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def contact_log(path: Path) -> list[dict]:
    """The ContactLog as an independent reader sees it; every table must read."""
    workbook = CalamineWorkbook.from_path(str(path), load_tables=True)
    for name in workbook.table_names:
        workbook.get_table_by_name(name).to_python()
    found = workbook.get_table_by_name("ContactLog")
    return [dict(zip(found.columns, row, strict=True)) for row in found.to_python()
            if any(cell not in ("", None) for cell in row)]


class Mailbox:
    """The server's messages, each parsed once into the few fields the checks read (the email
    package's header parsing was most of this test's time when done every day)."""

    def __init__(self, server: LoopbackSmtp) -> None:
        self.server, self._parsed = server, []

    def messages(self) -> list[dict[str, str]]:
        received = self.server.messages
        for item in received[len(self._parsed):]:
            message = email.message_from_bytes(item.data, policy=email.policy.compat32)
            plain = next(part for part in message.walk()
                         if part.get_content_type() == "text/plain")
            self._parsed.append({
                "Message-ID": message["Message-ID"].strip(),
                "Subject": str(email.header.make_header(email.header.decode_header(
                    message["Subject"]))).replace("\r\n", ""),
                "X-Dunning-Key": "".join(message["X-Dunning-Key"].split()),
                "body": plain.get_payload(decode=True).decode(
                    plain.get_content_charset() or "utf-8")})
        return list(self._parsed)


def in_doubt(book: Path) -> dict[str, str]:
    """The journal's sends in doubt: key -> Message-ID."""
    return {r["key"]: r["message_id"] for r in Journal.read(remind.journal_path(book)).in_doubt()}


class Day:
    """One simulated day's run under one fault and one interruption."""

    def __init__(self, book: Path, server: LoopbackSmtp, rng: random.Random,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.book, self.server, self.rng, self.monkeypatch = book, server, rng, monkeypatch
        self.mailbox = Mailbox(server)

    def set_faults(self, kind: str) -> None:
        faults, stored = self.server.faults, len(self.server.messages)
        faults.refuse, faults.temporary_failures = frozenset(), 0
        faults.drop_after = faults.drop_in_data = None
        if kind == "refuse":
            faults.refuse = frozenset(f"ap{self.rng.randint(1, CUSTOMERS):03d}@example.test"
                                      for _ in range(5))
        elif kind == "451":
            faults.temporary_failures = self.rng.randint(1, 6)
        elif kind == "drop before storing":
            faults.drop_after = stored + self.rng.randint(0, 4)
            self.server._state.dropped = 0  # the server drops once per day, not once for all
        elif kind == "drop after storing":
            faults.drop_in_data = stored + self.rng.randint(1, 4)

    def run(self, now: dt.datetime, fault: str, interruption: str):
        """The run's report, or None when it was interrupted or could not start."""
        settings = self.server.settings(port=closed_port()) if fault == "down" else \
            self.server.settings()
        owner = self.book.parent / f"~${self.book.name}"
        after = self.rng.randint(1, 6)

        def progress(done: int, total: int) -> None:
            if interruption == "kill after a message" and done >= min(after, total):
                raise Killed
            if interruption == "opened in Excel":
                owner.write_bytes(bytes([3]) + b"ana" + b" " * 50)

        real_save = FileWorkbook.save

        def save(workbook: FileWorkbook) -> None:
            if interruption == "kill before the save":
                raise Killed
            real_save(workbook)
            if interruption == "kill after the save":
                raise Killed

        real_append, records = Journal._append, []

        def append(journal: Journal, data: bytes) -> None:  # full after a few sends' records
            records.extend([data] if b'"event": "planned"' not in data else [])
            if interruption == "journal disk full" and len(records) > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_append(journal, data)

        self.monkeypatch.setattr(FileWorkbook, "save", save)
        self.monkeypatch.setattr(Journal, "_append", append)
        try:
            report = remind.send(self.book, now=now, smtp=settings, progress=progress)
        except Killed:
            return None
        except DunningInputError as error:  # the server is down: nothing was sent
            assert fault == "down" and "nothing was sent" in str(error.issues[0]), error.issues
            return None
        except OSError as error:  # the disk filled before any message went: nothing was sent
            assert interruption == "journal disk full" and error.errno == errno.ENOSPC
            return None
        finally:
            self.monkeypatch.setattr(FileWorkbook, "save", real_save)
            self.monkeypatch.setattr(Journal, "_append", real_append)
            owner.unlink(missing_ok=True)
        if interruption == "opened in Excel" and report.sent:
            assert report.unsaved and "Sent, not yet logged" in report.summary()
        if report.stopped:
            assert interruption == "journal disk full" and report.unsaved
            assert all(f"sent {r.key}: {r.customer}, " in report.summary() for r in report.sent)
        return report

    def settle_some(self, now: dt.datetime, share: float) -> None:
        """The operator checks the mailbox for some sends in doubt and settles them."""
        stored = {m["Message-ID"] for m in self.mailbox.messages()}
        for key, message_id in in_doubt(self.book).items():
            if self.rng.random() < share:
                remind.settle(self.book, key, "sent" if message_id in stored else "not sent",
                              now=now)


def check_deliveries(mailbox: Mailbox) -> None:
    """No customer gets two messages for one stage, nor two closer than the minimum gap."""
    keys = [m["X-Dunning-Key"] for m in mailbox.messages()]
    steps = [tuple(key.split("|")[:2]) for key in keys]
    assert len(steps) == len(set(steps)), "a customer received one stage twice"
    days: dict[str, list[dt.date]] = {}
    for key in keys:
        customer, _, day = key.split("|")
        days.setdefault(customer, []).append(dt.date.fromisoformat(day))
    for customer, sent in days.items():
        gaps = [(b - a).days for a, b in zip(sorted(sent), sorted(sent)[1:], strict=False)]
        assert all(gap >= MIN_GAP for gap in gaps), (customer, sorted(sent))


def check_log(book: Path, mailbox: Mailbox, *, allow_doubt: bool = True) -> None:
    """Every stored message has exactly one sent row, whole; a message in doubt may have none."""
    rows = contact_log(book)
    sent = {}
    for row in rows:
        if row["Outcome"] == "sent":
            assert row["Message-ID"] not in sent, f"{row['Message-ID']} logged twice"
            sent[row["Message-ID"]] = row
    doubted = set(in_doubt(book).values()) if allow_doubt else set()
    for message in mailbox.messages():
        row = sent.get(message["Message-ID"])
        if row is None:
            assert message["Message-ID"] in doubted, f"{message['X-Dunning-Key']} not logged"
            continue
        assert row["Subject"] == message["Subject"]
        assert row["Customer"] == message["X-Dunning-Key"].split("|")[0]
        assert isinstance(row["Open Balance"], float) and row["Open Balance"] > 0
        body = message["body"]
        invoices = [number.strip() for number in row["Invoices"].split(",")]
        assert invoices and all(number in body for number in invoices)
    stored = {m["Message-ID"] for m in mailbox.messages()}
    assert set(sent) <= stored  # nothing is logged as sent that the server does not hold


def test_thirty_days_of_runs_under_faults_keep_the_log_exact(tmp_path, monkeypatch,
                                                             no_backoff, capsys):
    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    # The kills here are a process's, not a power cut's: what was written is kept by the
    # operating system without fsync, so the journal's fsync per record (a third of the run
    # time) is skipped; the SIGKILL test below keeps it.
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    rng = random.Random(SEED)
    book = generated_book(tmp_path / "Generated.xlsx", rng)
    happened: set[str] = set()
    with LoopbackSmtp(tmp_path / "certs") as server:
        day = Day(book, server, rng, monkeypatch)
        for number in range(DAYS):
            morning = START + dt.timedelta(days=number)
            fault = rng.choice(FAULTS)
            day.set_faults(fault)
            report = None
            for attempt in range(1 + (rng.random() < 0.4)):  # sometimes a rerun that day
                interruption = rng.choice(INTERRUPTIONS)
                report = day.run(morning + dt.timedelta(hours=2 * attempt), fault, interruption)
                happened |= {fault, interruption}
                contact_log(book)  # the workbook opens whole after every run, killed or not
                check_deliveries(day.mailbox)
                refused = server.refused
                assert len(refused) == len(set(refused)), "a refused address was tried again"
                if report is not None and refused:
                    held = {w.message.split(":", 1)[0] for w in report.warnings
                            if "for good" in w.message}
                    if held:
                        happened.add("refused address held")
            if report is not None and not report.unsaved:
                check_log(book, day.mailbox)
                doubts = in_doubt(book)
                assert {d["key"] for d in report.doubts} == set(doubts)
                if doubts:
                    status = cli._remind_status(type("Args", (), {"book": book})(), report)
                    err = capsys.readouterr().err
                    assert status == 2
                    assert all(f"--settle '{key}=sent'" in err for key in doubts)
                    happened.add("reported in doubt")
            day.settle_some(morning + dt.timedelta(hours=6), share=0.3)
        # The last day: the server is healthy, the operator settles everything, two runs.
        day.set_faults("healthy")
        end = START + dt.timedelta(days=DAYS, hours=1)
        day.run(end, "healthy", "none")
        day.settle_some(end, share=1.0)
        final = day.run(end + dt.timedelta(hours=1), "healthy", "none")
        assert final is not None and not final.doubts and not final.unsaved
        check_deliveries(day.mailbox)
        check_log(book, day.mailbox, allow_doubt=False)
        assert len(server.messages) > CUSTOMERS  # the month went by: stages were climbed
    assert happened >= set(FAULTS) | set(INTERRUPTIONS) | {"reported in doubt",
                                                           "refused address held"}, happened


KILLABLE = """
import os, sys, time
from dunning.io.xlsx import atomic

moment, marker = os.environ["KILL_AT"], os.environ["KILL_MARKER"]
real_save = atomic.save


def pause():  # the parent sees the marker and sends SIGKILL while we wait here
    open(marker, "w").close()
    time.sleep(120)


class HalfWay:
    def __init__(self, out):
        self.out, self.written = out, 0

    def write(self, data):
        self.written += len(data)
        if self.written > 20_000:
            self.out.flush()
            pause()
        return self.out.write(data)

    def __getattr__(self, name):
        return getattr(self.out, name)


def save(path, write, verify, **options):
    def writing(out):
        write(HalfWay(out) if moment == "writing" else out)

    def stage(name):
        if name == moment:
            pause()

    return real_save(path, writing, verify, **{**options, "on_stage": stage})


atomic.save = save
from dunning.cli import main

sys.exit(main(sys.argv[1:]))
"""
"""`dunning remind` run by a child that stops at a moment of the save (KILL_AT: "writing",
"backup-made", "replaced") and says so (KILL_MARKER), to be killed there for real."""

KILLS = ("held reply", "writing", "held reply", "backup-made", "random delay", "replaced",
         "random delay")
"""Where each day's run is killed; the held replies come on busy days, while several
messages are still to go."""


def test_runs_killed_by_sigkill_at_random_points_lose_nothing_and_send_nothing_twice(
        tmp_path, monkeypatch, no_backoff):
    """A real `dunning remind` process, killed with SIGKILL: while the server holds a stored
    message's reply (an intent with no outcome), after a random delay (starting up, sending,
    saving), or inside the save. The next runs, in process, must find everything in order."""
    import signal
    import subprocess
    import sys
    import time

    from dunning.io.xlsx.atomic import leftover_temps

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("SIGKILL is POSIX")
    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    rng = random.Random(SEED + 1)
    book = generated_book(tmp_path / "Killed.xlsx", rng, count=60)
    marker = tmp_path / "paused"
    with LoopbackSmtp(tmp_path / "certs") as server:
        day = Day(book, server, rng, monkeypatch)
        settings = server.settings()
        held = saves = 0
        for number, how in enumerate(KILLS):
            morning = START + dt.timedelta(weeks=number)  # Mondays, at least MIN_GAP apart
            server.arrived.clear()
            server._released.clear()
            server.faults.hold_at = len(server.messages) + rng.randint(1, 5) \
                if how == "held reply" else None
            marker.unlink(missing_ok=True)
            env = {**os.environ, "SSL_CERT_FILE": settings.cafile,
                   "DUNNING_SMTP_PASSWORD": TEST_PASSWORD, "KILL_AT": how,
                   "KILL_MARKER": str(marker)}
            before = len(server.messages)
            child = subprocess.Popen(
                [sys.executable, "-c", KILLABLE, "remind", str(book), "--now",
                 morning.isoformat(), "--smtp-host", settings.host, "--smtp-port",
                 str(settings.port), "--smtp-user", settings.user, "--silent"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if how == "held reply":
                assert server.arrived.wait(60), "the held message never arrived"
                held += 1
            elif how == "random delay":
                time.sleep(rng.uniform(0.5, 4.0))
            else:
                deadline = time.monotonic() + 120
                while not marker.exists() and child.poll() is None:
                    assert time.monotonic() < deadline, f"the save never reached {how}"
                    time.sleep(0.01)
                assert marker.exists(), f"the run ended before {how}"
                assert how != "writing" or len(server.messages) > before  # after sending
                if how == "writing":
                    assert leftover_temps(book)  # a half-written new file beside the book
                saves += 1
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            server.faults.hold_at = None
            server.release()
            contact_log(book)  # whole, whatever the moment of the kill
            check_deliveries(day.mailbox)
            report = day.run(morning + dt.timedelta(hours=1), "healthy", "none")
            assert report is not None and not report.unsaved
            assert not leftover_temps(book)  # the next save cleared a killed save's file
            if how == "held reply":  # the intent without an outcome is in doubt, and said so
                assert report.doubts and {d["key"] for d in report.doubts} == set(in_doubt(book))
            if how in ("writing", "backup-made"):  # the kill lost the save: rows recovered
                assert report.recovered >= len(server.messages) - before  # (and settled ones)
            check_log(book, day.mailbox)
            day.settle_some(morning + dt.timedelta(hours=2), share=1.0)
        final = day.run(START + dt.timedelta(weeks=len(KILLS)), "healthy", "none")
        assert final is not None and not final.doubts
        check_deliveries(day.mailbox)
        check_log(book, day.mailbox, allow_doubt=False)
        assert held == 2 and saves == 3 and day.mailbox.messages()
