"""Sending through the real yagmail client to a real SMTP server on 127.0.0.1 (STARTTLS + AUTH).

Every test uses `tests/smtp_server.py`: aiosmtpd with a certificate made for the
test, one account, and faults injected on the server side (refused recipients,
451, dropped connections, a reply held while the client is killed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("cryptography", reason="the test SMTP server makes its certificate with it")

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import keyring.errors  # noqa: E402

from dunning.app.remind import smtp_from_settings  # noqa: E402
from dunning.mail.journal import Journal  # noqa: E402
from dunning.mail.smtp import (  # noqa: E402
    FAILING_BUDGET,
    MAX_FAILURES_IN_A_ROW,
    PASSWORD_VARIABLE,
    RETRY_BUDGET,
    MailerError,
    Outgoing,
    SmtpSettings,
    send_messages,
    smtp_password,
)
from dunning.sheets.settings import read_settings  # noqa: E402
from smtp_server import TEST_PASSWORD, TEST_USER, Faults, LoopbackSmtp, build_email  # noqa: E402

TESTS = Path(__file__).resolve().parent
WHEN = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)


def CLOCK() -> dt.datetime:  # noqa: N802 - a constant clock, named as one
    return WHEN


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in this process, so no test reads or writes the real one."""

    priority = 1

    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.broken = broken

    def get_password(self, service, username):
        if self.broken:
            raise keyring.errors.KeyringLocked("the keyring is locked")
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    original = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(original)


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(**options) -> LoopbackSmtp:
        faults = Faults(**options.pop("faults", {}))
        server = LoopbackSmtp(tmp_path / f"certs{len(servers)}", faults=faults, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "Book.xlsx.dunning-journal.jsonl"


def batch(count: int, **email_options) -> list[Outgoing]:
    return [Outgoing(f"C{n}|friendly|2026-11-23", f"C{n}", build_email(n, **email_options))
            for n in range(count)]


def send(outgoing, settings, journal_path, **options):
    options.setdefault("password", TEST_PASSWORD)
    options.setdefault("sleep", lambda seconds: None)
    with Journal(journal_path, clock=CLOCK) as journal:
        return send_messages(outgoing, settings, journal, **options)


def outcomes(results) -> list[str]:
    return [result.outcome for result in results]


def message_ids(server: LoopbackSmtp) -> Counter:
    return Counter(str(received.message["Message-ID"]) for received in server.messages)


def assert_no_password_written(folder: Path, password: str = TEST_PASSWORD) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


# Arrival, unchanged, over one connection


def test_messages_arrive_unchanged_over_one_authenticated_starttls_connection(serve, tmp_path,
                                                                              journal_path):
    server = serve()
    outgoing = batch(20)
    ticks = []
    results = send(outgoing, server.settings(), journal_path,
                   progress=lambda done, total: ticks.append((done, total)))

    assert outcomes(results) == ["sent"] * 20
    assert [r.attempts for r in results] == [1] * 20
    assert server.connections == 1
    assert server.logins == [TEST_USER]
    assert ticks == [(n, 20) for n in range(1, 21)]
    assert len(server.messages) == 20
    for item, received in zip(outgoing, server.messages, strict=True):
        original, arrived = item.email, received.message
        assert received.mail_from == TEST_USER
        assert received.recipients == (str(original["To"]),)
        for header in ("Message-ID", "Subject", "From", "To", "X-Dunning-Key"):
            assert str(arrived[header]) == str(original[header])
        for part in ("plain", "html"):
            assert (arrived.get_body((part,)).get_content()
                    == original.get_body((part,)).get_content())
        assert arrived.get_content_type() == "multipart/alternative"
    with Journal(journal_path, clock=CLOCK) as journal:
        assert all(journal.state(item.key) == "sent" for item in outgoing)
        assert [e["message_id"] for e in journal.entries() if e["event"] == "sent"] == [
            item.message_id for item in outgoing]
    assert_no_password_written(tmp_path)


def test_implicit_tls_works_too(serve, journal_path):
    server = serve(security="tls")
    assert outcomes(send(batch(3), server.settings(), journal_path)) == ["sent"] * 3
    assert server.connections == 1 and server.logins == [TEST_USER]


def test_a_login_that_is_not_an_address_is_used_as_it_is(serve, journal_path):
    server = serve(user="apikey")
    assert outcomes(send(batch(2), server.settings(), journal_path)) == ["sent", "sent"]
    assert server.logins == ["apikey"]  # yagmail alone would log in as apikey@gmail.com


def test_plain_smtp_to_localhost_needs_no_login(serve, journal_path):
    server = serve(security="none")
    results = send(batch(2), server.settings(user=""), journal_path, password=None)
    assert outcomes(results) == ["sent", "sent"]
    assert server.logins == []


# Idempotency


def test_a_second_run_with_the_same_journal_sends_nothing_and_does_not_connect(serve,
                                                                               journal_path):
    server = serve()
    send(batch(5), server.settings(), journal_path)
    again = send(batch(5), server.settings(), journal_path)
    assert outcomes(again) == ["already sent"] * 5
    assert [r.attempts for r in again] == [0] * 5
    assert len(server.messages) == 5
    assert server.connections == 1


CHILD = """
import json, os, signal, sys

from dunning.mail.journal import Journal
from dunning.mail.smtp import Outgoing, SmtpSettings, send_messages
from smtp_server import build_email
from test_smtp import CLOCK

config = json.loads(sys.argv[1])
outgoing = [Outgoing(f"C{n}|friendly|2026-11-23", f"C{n}", build_email(n))
            for n in range(config["count"])]

def progress(done, total):
    if done == config.get("kill_after"):
        os.kill(os.getpid(), signal.SIGKILL)

with Journal(config["journal"], clock=CLOCK) as journal:
    results = send_messages(outgoing, SmtpSettings(**config["smtp"]), journal, progress=progress)
print(json.dumps([result.outcome for result in results]))
"""


def child_run(tmp_path, settings, journal_path, **config) -> subprocess.Popen:
    """The sender in its own process; the password reaches it through the environment only."""
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    config.update(smtp=dataclasses.asdict(settings), journal=str(journal_path))
    env = {**os.environ, PASSWORD_VARIABLE: TEST_PASSWORD,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, str(script), json.dumps(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> tuple[int, list[str]]:
    out, err = process.communicate(timeout=60)
    return process.returncode, (json.loads(out) if process.returncode == 0 else [err])


needs_sigkill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


@needs_sigkill
def test_a_run_killed_between_two_sends_and_restarted_sends_each_message_once(serve, tmp_path,
                                                                              journal_path):
    server = serve()
    code, _ = finished(child_run(tmp_path, server.settings(), journal_path, count=4, kill_after=2))
    assert code == -signal.SIGKILL
    assert len(server.messages) == 2

    code, restarted = finished(child_run(tmp_path, server.settings(), journal_path, count=4))
    assert code == 0, restarted
    assert restarted == ["already sent", "already sent", "sent", "sent"]
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(4)}
    assert_no_password_written(tmp_path)


@needs_sigkill
def test_a_run_killed_mid_conversation_leaves_that_message_in_doubt_never_resent(
        serve, tmp_path, journal_path):
    server = serve(faults={"hold_at": 2})  # the server holds its reply to the second message
    process = child_run(tmp_path, server.settings(), journal_path, count=4)
    assert server.arrived.wait(30), "the second message never arrived"
    process.kill()
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    server.release()

    code, restarted = finished(child_run(tmp_path, server.settings(), journal_path, count=4))
    assert code == 0, restarted
    assert restarted == ["already sent", "in doubt", "sent", "sent"]
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(4)}

    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.state("C1|friendly|2026-11-23") == "in doubt"
        journal.resolve("C1|friendly|2026-11-23", "sent", note="seen in the Sent folder")
    third = send(batch(4), server.settings(), journal_path)
    assert outcomes(third) == ["already sent"] * 4
    assert len(server.messages) == 4
    assert_no_password_written(tmp_path)


def test_a_doubtful_send_is_reported_with_advice_and_not_repeated(serve, journal_path):
    server = serve(faults={"drop_in_data": 2})  # message 2 is stored, then the line goes dead
    results = send(batch(4), server.settings(), journal_path)
    assert outcomes(results) == ["sent", "in doubt", "sent", "sent"]
    assert "not resent automatically" in results[1].error
    again = send(batch(4), server.settings(), journal_path)
    assert outcomes(again) == ["already sent", "in doubt", "already sent", "already sent"]
    assert "settle it as sent or not sent" in again[1].error
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(4)}


# Failures


def full_disk_at(monkeypatch, journal_path, event: str, nth: int) -> None:
    """ENOSPC from the `nth` write of a journal record of `event` (the disk fills then)."""
    import errno

    real_write, seen = os.write, []

    def write(fd, data):
        if (journal_path.exists() and os.fstat(fd).st_ino == journal_path.stat().st_ino
                and f'"event": "{event}"'.encode() in bytes(data)):
            seen.append(fd)
            if len(seen) >= nth:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize(("event", "expected", "doubted"), [
    ("intent", ["sent", "not attempted", "not attempted", "not attempted"], []),
    ("sent", ["sent", "sent", "not attempted", "not attempted"], ["C1|friendly|2026-11-23"]),
    ("failed", ["sent", "failed", "not attempted", "not attempted"], ["C1|friendly|2026-11-23"]),
])
def test_a_journal_that_cannot_be_written_stops_the_batch_with_every_result(
        serve, journal_path, monkeypatch, event, expected, doubted):
    """The second message's record is refused (a full disk): nothing more goes, and what went
    is in the results; a message whose outcome the journal could not take is in doubt (its
    intent was flushed first), so no later run sends it blindly."""
    from dunning.mail.journal import JournalWriteError
    from dunning.mail.smtp import SendingStopped

    refused = frozenset({"customer1@example.test"} if event == "failed" else ())
    server = serve(faults={"refuse": refused})
    nth = 1 if event == "failed" else 2
    full_disk_at(monkeypatch, journal_path, event, nth)
    with pytest.raises(SendingStopped) as stopped:
        send(batch(4), server.settings(), journal_path)
    monkeypatch.undo()
    assert isinstance(stopped.value.error, JournalWriteError)
    assert stopped.value.error.filename == str(journal_path)
    assert outcomes(stopped.value.results) == expected
    assert len(server.messages) == expected.count("sent")
    assert "could not be written (No space left on device)" in stopped.value.results[-1].error
    if doubted:
        assert "the next run reports it in doubt" in stopped.value.results[1].error
    with Journal(journal_path, clock=CLOCK) as journal:
        assert [record["key"] for record in journal.in_doubt()] == doubted
        assert journal.state("C0|friendly|2026-11-23") == "sent"
        assert journal.state("C2|friendly|2026-11-23") is None  # never begun: the next run



def test_refused_recipients_are_recorded_as_permanent_failures_and_the_others_go(serve,
                                                                                journal_path):
    refused = {"customer1@example.test", "customer3@example.test"}
    server = serve(faults={"refuse": frozenset(refused)})
    results = send(batch(5), server.settings(), journal_path)

    assert outcomes(results) == ["sent", "failed", "sent", "failed", "sent"]
    assert [r.permanent for r in results] == [False, True, False, True, False]
    assert "550" in results[1].error and "customer1@example.test" in results[1].error
    assert [received.recipients for received in server.messages] == [
        ("customer0@example.test",), ("customer2@example.test",), ("customer4@example.test",)]
    assert server.connections == 1
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.state("C1|friendly|2026-11-23") == "failed"
        assert journal.latest("C1|friendly|2026-11-23")["permanent"] is True
        assert journal.latest("C1|friendly|2026-11-23")["refused"] == ["customer1@example.test"]

    again = send(batch(5), server.settings(), journal_path)
    assert outcomes(again) == ["already sent", "failed before", "already sent", "failed before",
                               "already sent"]
    assert server.connections == 1
    retried = send(batch(5), server.settings(), journal_path, retry_failed=True)
    assert outcomes(retried) == ["already sent", "failed", "already sent", "failed",
                                 "already sent"]
    assert len(server.messages) == 3


def test_a_dropped_connection_is_reopened_and_the_batch_goes_on(serve, journal_path):
    server = serve(faults={"drop_after": 2})
    sleeps = []
    results = send(batch(5), server.settings(), journal_path, sleep=sleeps.append, backoff=0.25)
    assert outcomes(results) == ["sent"] * 5
    assert [r.attempts for r in results] == [1, 1, 2, 1, 1]
    assert sleeps == [0.25]
    assert server.connections == 2
    assert [received.connection for received in server.messages] == [1, 1, 2, 2, 2]
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(5)}


def test_a_server_lost_for_good_mid_batch_leaves_the_rest_for_the_next_run(serve, journal_path):
    server = serve(faults={"drop_after": 2, "max_connections": 1})
    sleeps = []
    results = send(batch(5), server.settings(), journal_path, retries=2, sleep=sleeps.append)
    assert outcomes(results) == ["sent", "sent", "failed", "not attempted", "not attempted"]
    assert results[2].permanent is False and "cannot connect" in results[2].error
    assert "connection was lost earlier in this run" in results[3].error
    assert sleeps == [1.0, 2.0]
    server.faults.max_connections = None
    again = send(batch(5), server.settings(), journal_path)
    assert outcomes(again) == ["already sent", "already sent", "sent", "sent", "sent"]
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(5)}


def test_a_451_is_retried_with_backoff_then_sent(serve, journal_path):
    server = serve(faults={"temporary_failures": 2})
    sleeps = []
    results = send(batch(3), server.settings(), journal_path, sleep=sleeps.append, backoff=0.5)
    assert outcomes(results) == ["sent"] * 3
    assert [r.attempts for r in results] == [3, 1, 1]
    assert sleeps == [0.5, 1.0]
    assert server.connections == 1
    assert len(server.messages) == 3


def test_temporary_failures_that_outlast_the_retries_are_tried_again_next_run(serve,
                                                                             journal_path):
    server = serve(faults={"temporary_failures": 3})
    sleeps = []
    results = send(batch(2), server.settings(), journal_path, retries=2, sleep=sleeps.append)
    assert outcomes(results) == ["failed", "sent"]
    assert results[0].permanent is False and results[0].attempts == 3
    assert results[0].error.startswith("451")
    assert sleeps == [1.0, 2.0]
    again = send(batch(2), server.settings(), journal_path)
    assert outcomes(again) == ["sent", "already sent"]
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(2)}


def test_a_server_that_answers_451_to_every_message_is_given_up_on_for_the_run(serve,
                                                                              journal_path):
    server = serve(faults={"always_temporary": True})
    sleeps = []
    results = send(batch(200), server.settings(), journal_path, sleep=sleeps.append)
    assert (MAX_FAILURES_IN_A_ROW, RETRY_BUDGET) == (10, 60.0)
    # 4 + 4 + 2 attempts: the tenth 451 in a row ends the run's tries, not 200 x 7 s of waits
    assert outcomes(results) == ["failed"] * 3 + ["not attempted"] * 197
    assert [r.attempts for r in results[:4]] == [4, 4, 2, 0]
    assert sleeps == [1.0, 2.0, 4.0, 1.0, 2.0, 4.0, 1.0]
    assert server.data_commands == 10 and server.messages == []
    assert all(not r.permanent for r in results)
    assert results[2].error.startswith("451") and "this run stopped trying 127.0.0.1:" in \
        results[2].error and "10 temporary failures in a row" in results[2].error
    assert "10 temporary failures in a row; last: 451" in results[3].error
    assert results[-1].error.endswith("the next run sends it")
    with Journal(journal_path, clock=CLOCK) as journal:
        assert [journal.state(f"C{n}|friendly|2026-11-23") for n in range(4)] == [
            "failed", "failed", "failed", None]
        assert {e["key"] for e in journal.entries()} == {
            f"C{n}|friendly|2026-11-23" for n in range(3)}  # no intent for the rest

    server.faults.always_temporary = False
    again = send(batch(200), server.settings(), journal_path)
    assert outcomes(again) == ["sent"] * 200
    assert message_ids(server) == {f"<reminder-{n}.dunning@example.test>": 1 for n in range(200)}


def test_the_run_stops_waiting_once_its_retry_budget_is_spent(serve, journal_path):
    server = serve(faults={"always_temporary": True})
    sleeps = []
    results = send(batch(5), server.settings(), journal_path, sleep=sleeps.append,
                   max_failures_in_a_row=100, retry_budget=10)
    assert outcomes(results) == ["failed", "failed", "not attempted", "not attempted",
                                 "not attempted"]
    assert sleeps == [1.0, 2.0, 4.0, 1.0, 2.0]  # a wait of 4 more would pass the 10 s
    assert [r.attempts for r in results] == [4, 3, 0, 0, 0]
    assert "retry budget of 10 s of waiting is spent (10 s waited)" in results[1].error
    assert "retry budget" in results[2].error and "the next run sends it" in results[2].error
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.state("C2|friendly|2026-11-23") is None


def test_a_server_whose_attempts_each_take_long_to_fail_is_given_up_on_in_time(serve,
                                                                           journal_path):
    """Attempts that each run into a 50 s timeout (a stopwatch that moves 50 s per
    attempt): the run stops once 120 s went in failing, not after ten such timeouts."""
    server = serve(faults={"always_temporary": True})
    ticks = iter(range(0, 10_000, 25))  # read at an attempt's start and at its failure

    results = send(batch(50), server.settings(), journal_path, stopwatch=lambda: next(ticks))
    assert FAILING_BUDGET == 120.0
    assert outcomes(results) == ["failed", "failed"] + ["not attempted"] * 48
    assert [r.attempts for r in results[:3]] == [4, 1, 0]  # 5 attempts x 25 s = 125 s
    assert "125 s spent in attempts that failed, past the run's 120 s" in results[1].error
    assert "the next run sends it" in results[2].error
    assert server.data_commands == 5
    with pytest.raises(ValueError, match="failing_budget must not be negative"):
        send(batch(1), server.settings(), journal_path, failing_budget=-1)


def test_a_message_accepted_in_between_starts_the_count_of_failures_again(serve,
                                                                         journal_path):
    server = serve(faults={"temporary_failures": 2})

    def two_more_451s(done, total):
        server.faults.temporary_failures = 2

    results = send(batch(4), server.settings(), journal_path, progress=two_more_451s,
                   max_failures_in_a_row=3)
    assert outcomes(results) == ["sent"] * 4  # 2 failures, then a send, each time
    assert [r.attempts for r in results] == [3] * 4


def test_the_limits_on_retrying_are_checked(journal_path):
    settings = SmtpSettings("127.0.0.1")
    with pytest.raises(ValueError, match="max_failures_in_a_row must be at least 1"):
        send(batch(1), settings, journal_path, max_failures_in_a_row=0)
    with pytest.raises(ValueError, match="retry_budget and failing_budget must not be negative"):
        send(batch(1), settings, journal_path, retry_budget=-1)


def test_a_wrong_password_is_a_clear_error_and_nothing_is_marked_sent(serve, tmp_path,
                                                                     journal_path):
    server = serve()
    wrong = "not-the-password-31d7"
    with pytest.raises(MailerError) as raised:
        send(batch(3), server.settings(), journal_path, password=wrong)
    message = str(raised.value)
    assert "refused the login of user 'dunning@example.test'" in message
    assert "535" in message
    assert PASSWORD_VARIABLE in message and "keyring" in message
    assert wrong not in message
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.entries() == []
    assert server.messages == []
    assert_no_password_written(tmp_path, wrong)


def test_an_untrusted_certificate_stops_before_anything_is_sent(serve, journal_path):
    server = serve()
    with pytest.raises(MailerError, match="certificate of 127.0.0.1:.* is not trusted.*set "
                       "SMTP CA File in the Settings sheet"):
        send(batch(2), server.settings(cafile=""), journal_path)
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.entries() == []
    assert server.logins == [] and server.messages == []


def test_an_unreachable_server_is_retried_then_reported_with_nothing_sent(journal_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    sleeps = []
    settings = SmtpSettings("127.0.0.1", port, user=TEST_USER, timeout=5)
    with pytest.raises(MailerError, match=rf"cannot connect to 127.0.0.1:{port}.*tried 3 times"):
        send(batch(2), settings, journal_path, retries=2, sleep=sleeps.append)
    assert sleeps == [1.0, 2.0]
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.entries() == []


# The SMTP CA File setting


def settings_sheet(server: LoopbackSmtp, **values) -> SmtpSettings:
    """The SMTP settings a Settings sheet naming this server gives."""
    smtp = smtp_from_settings(read_settings({
        "SMTP Host": "127.0.0.1", "SMTP Port": server.port, "SMTP Security": server.security,
        "SMTP User": TEST_USER, **values}))
    assert smtp is not None
    return smtp


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_the_smtp_ca_file_setting_trusts_a_server_with_its_own_ca(serve, journal_path,
                                                                  monkeypatch, security):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = serve(security=security)
    trusting = settings_sheet(server, **{"SMTP CA File": f" {server.cafile} "})
    assert trusting.cafile == str(server.cafile)
    assert outcomes(send(batch(2), trusting, journal_path)) == ["sent", "sent"]

    without = settings_sheet(server)
    assert without.cafile == ""
    with pytest.raises(MailerError) as raised:
        send(batch(1), without, journal_path.with_name("another.jsonl"))
    message = str(raised.value)
    assert "is not trusted" in message and "set SMTP CA File in the Settings sheet" in message
    assert len(server.messages) == 2 and server.logins == [TEST_USER]


def test_a_ca_file_that_signed_another_server_is_named(serve, journal_path):
    server, other = serve(), serve()
    with pytest.raises(MailerError) as raised:
        send(batch(1), server.settings(cafile=str(other.cafile)), journal_path)
    assert f"SMTP CA File {str(other.cafile)!r} does not hold the certificate authority" in \
        str(raised.value)
    assert server.messages == []


def test_an_unusable_smtp_ca_file_is_named_before_anything_is_sent(tmp_path, journal_path):
    (tmp_path / "notes.txt").write_text("ask IT for the certificate\n", encoding="utf-8")
    (tmp_path / "ca.der").write_bytes(bytes(range(256)))
    (tmp_path / "broken.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", encoding="ascii")
    expected = {
        "missing.pem": "does not exist; give the full path",
        "(this folder)": "is not a file;",
        "notes.txt": "is not a PEM bundle of certificates",
        "ca.der": "is not a PEM bundle of certificates",
        "broken.pem": "is not a PEM bundle of certificates",
        "nul\0.pem": "is not a file name",
    }
    for name, words in expected.items():
        path = str(tmp_path if name == "(this folder)" else tmp_path / name)
        settings = SmtpSettings("127.0.0.1", user=TEST_USER, cafile=path)
        with pytest.raises(MailerError) as raised:
            send(batch(1), settings, journal_path)
        issues = [issue.message for issue in raised.value.issues]
        assert issues == [issues[0]] and issues[0].startswith(f"SMTP CA File {path!r} "), issues
        assert words in issues[0] and "leave it blank" in issues[0], issues
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.entries() == []


# Settings and the password


def test_plain_smtp_is_refused_for_a_host_that_is_not_local(journal_path):
    settings = SmtpSettings("smtp.example.com", 25, security="none", user=TEST_USER)
    with pytest.raises(MailerError, match="allowed only to localhost.*not to 'smtp.example.com'"):
        send(batch(1), settings, journal_path)
    with Journal(journal_path, clock=CLOCK) as journal:
        assert journal.entries() == []
    for host in ("localhost", "127.0.0.1", "::1", "[::1]", "LOCALHOST"):
        SmtpSettings(host, 25, security="none").check()


def test_unusable_settings_are_named_together():
    with pytest.raises(MailerError) as raised:
        SmtpSettings(" ", 0, security="ssl", timeout=0, cafile="/nowhere/ca.pem").check()
    issues = [issue.message for issue in raised.value.issues]
    assert len(issues) == 5
    assert any("must be one of tls, starttls, none; got 'ssl'" in text for text in issues)


def test_the_password_comes_from_the_environment_first_then_the_keyring(memory_keyring):
    settings = SmtpSettings("smtp.example.com", user="ar@example.com")
    memory_keyring.set_password("dunning", "ar@example.com", "from-keyring")
    assert smtp_password(settings, env={}) == "from-keyring"
    assert smtp_password(settings, env={PASSWORD_VARIABLE: "from-env"}) == "from-env"


def test_a_missing_password_says_both_ways_to_give_it(memory_keyring):
    settings = SmtpSettings("smtp.example.com", user="ar@example.com")
    with pytest.raises(MailerError) as raised:
        smtp_password(settings, env={})
    message = str(raised.value)
    assert PASSWORD_VARIABLE in message
    assert "keyring under service 'dunning' and user 'ar@example.com'" in message
    assert "never read from the workbook" in message
    keyring.set_keyring(MemoryKeyring(broken=True))
    with pytest.raises(MailerError, match="keyring could not be read: the keyring is locked"):
        smtp_password(settings, env={})


def test_the_batch_finds_its_password_in_the_environment_or_the_keyring(
        serve, tmp_path, monkeypatch, memory_keyring):
    server = serve()
    monkeypatch.setenv(PASSWORD_VARIABLE, TEST_PASSWORD)
    assert outcomes(send(batch(1), server.settings(), journal_path=tmp_path / "a.jsonl",
                         password=None)) == ["sent"]
    monkeypatch.delenv(PASSWORD_VARIABLE)
    memory_keyring.set_password("dunning", TEST_USER, TEST_PASSWORD)
    assert outcomes(send(batch(1), server.settings(), journal_path=tmp_path / "b.jsonl",
                         password=None)) == ["sent"]
    memory_keyring.set_password("dunning", TEST_USER, "stale-keyring-password")
    with pytest.raises(MailerError, match="check the password in the system keyring"):
        send(batch(1), server.settings(), tmp_path / "c.jsonl", password=None)
    assert_no_password_written(tmp_path)


def test_an_email_without_message_id_is_a_programming_error(journal_path):
    email = build_email(1)
    del email["Message-ID"]
    with pytest.raises(ValueError, match="without a Message-ID"):
        send([Outgoing("K", "C1", email)], SmtpSettings("127.0.0.1"), journal_path)
