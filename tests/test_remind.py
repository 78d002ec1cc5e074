"""The reminder run end to end: a real workbook, the real yagmail client, a real SMTP server.

The sample client workbook is the input; reminders go to an aiosmtpd server on
127.0.0.1 with STARTTLS and AUTH; the ContactLog and Outbox are read back with
calamine, an independent reader.
"""

import datetime as dt

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

pytest.importorskip("cryptography", reason="the loopback SMTP server makes its certificate "
                    "with the cryptography package (pip install '.[test]')")

from dunning.app import remind  # noqa: E402
from dunning.cli import main  # noqa: E402
from dunning.core.errors import DunningInputError  # noqa: E402
from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS, sample_customers, sample_invoices
from dunning.io.client_workbook import build_workbook
from dunning.mail.journal import Journal  # noqa: E402
from smtp_server import TEST_PASSWORD, LoopbackSmtp  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)  # a Monday, in the window


def table(path, name):
    workbook = CalamineWorkbook.from_path(str(path), load_tables=True)
    found = workbook.get_table_by_name(name)
    return [dict(zip(found.columns, row, strict=True)) for row in found.to_python()
            if any(cell not in ("", None) for cell in row)]


def sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_dry_run_writes_drafts_and_outbox_and_leaves_the_workbook_alone(book, tmp_path):
    before = book.read_bytes()
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    assert book.read_bytes() == before
    sends = report.decisions.customers.query("action == 'send'")
    assert len(report.drafts) == len(sends) == len(report.messages) > 0
    outbox = report.outbox.read_text(encoding="utf-8-sig").splitlines()
    assert outbox[0].startswith("Customer,Name,To,Action,Stage")
    assert len(outbox) == 1 + len(report.decisions.customers)
    assert {p.suffix for p in report.drafts} == {".eml"}


def test_send_delivers_logs_and_a_second_run_sends_nothing(book, server):
    report = remind.send(book, now=NOW, smtp=server.settings())
    expected = report.decisions.customers.query("action == 'send'")
    assert [r.outcome for r in report.results] == ["sent"] * len(expected)
    assert server.connections == 1
    received = {m.message["X-Dunning-Key"]: m for m in server.messages}
    for decision in expected.itertuples():
        message = received[f"{decision.customer}|{decision.stage}|2026-11-23"]
        assert message.recipients == (decision.email,)
        assert message.message["Message-ID"] in {r.message_id for r in report.results}
    logged = table(book, "ContactLog")
    sent_rows = [row for row in logged if row["Outcome"] == "sent"]
    assert sorted(r["Customer"] for r in sent_rows) == sorted(expected["customer"])
    assert all(r["Channel"] == "email" and r["Message-ID"] for r in sent_rows)
    assert all(r["Next Action Date"] == dt.date(2026, 11, 28) for r in sent_rows)  # 5-day gap
    assert all(r["User"].startswith("dunning") and r["Subject"] for r in sent_rows)
    asked = {m.customer: m.totals for m in report.messages}
    assert all(r["Open Balance"] == asked[r["Customer"]]["EUR"] for r in sent_rows)
    outbox = sheet(book, "Outbox")
    assert outbox[0][:5] == ["Customer", "Name", "To", "Action", "Stage"]
    assert {row[9] for row in outbox[1:] if row[3] == "send"} == {"sent"}
    assert all(isinstance(row[7], float) for row in outbox[1:])  # totals a sheet can add up
    from openpyxl import load_workbook

    shown = load_workbook(book)["Outbox"]
    assert shown["H2"].number_format == "#,##0.00" and shown.freeze_panes == "A2"
    assert shown["A1"].font.b and shown.column_dimensions["A"].width >= len("Customer")
    assert str(outbox[0][-1]).endswith(f"made {NOW:%Y-%m-%d %H:%M} UTC")

    again = remind.send(book, now=NOW + dt.timedelta(hours=1), smtp=server.settings())
    assert len(server.messages) == len(expected)  # nothing twice
    assert all(r.outcome == "already sent" for r in again.results) or not again.results
    assert len(table(book, "ContactLog")) == len(logged)


def test_log_rows_lost_in_a_crash_are_recovered_from_the_journal(book, server):
    original = book.read_bytes()
    report = remind.send(book, now=NOW, smtp=server.settings())
    sent = [r for r in report.results if r.outcome == "sent"]
    assert sent
    book.write_bytes(original)  # as if the run died after sending, before saving the log
    remind.send(book, now=NOW, smtp=server.settings())
    assert len(server.messages) == len(sent)
    logged = {row["Message-ID"] for row in table(book, "ContactLog") if row["Outcome"] == "sent"}
    assert logged == {r.message_id for r in sent}


def test_a_send_in_doubt_is_settled_by_the_contact_log(book, server):
    report = remind.send(book, now=NOW, smtp=server.settings())
    first = report.results[0]
    with Journal(remind.journal_path(book), clock=lambda: NOW) as journal:
        journal.intend(first.key, first.message_id)  # a later attempt broken off mid-send
        assert journal.state(first.key) == "in doubt"
    remind.send(book, now=NOW, smtp=server.settings())
    with Journal(remind.journal_path(book), clock=lambda: NOW) as journal:
        assert journal.state(first.key) == "sent"


def test_refuses_to_send_while_the_workbook_is_open(book, server):
    (book.parent / f"~${book.name}").write_bytes(bytes([3]) + b"ana" + b" " * 50)
    with pytest.raises(DunningInputError, match="is open in Excel by ana; close it"):
        remind.send(book, now=NOW, smtp=server.settings())
    assert server.messages == []


def test_refused_recipients_are_logged_as_failures_and_the_run_goes_on(tmp_path, book,
                                                                        monkeypatch):
    from smtp_server import Faults

    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    with LoopbackSmtp(tmp_path / "certs2", faults=Faults(refuse={"a.roux@example.com"})) as srv:
        report = remind.send(book, now=NOW, smtp=srv.settings())
        outcomes = {r.customer: r.outcome for r in report.results}
        assert outcomes["CAS03"] == "failed"
        assert sum(o == "sent" for o in outcomes.values()) == len(outcomes) - 1
        failed = [r for r in table(book, "ContactLog") if r["Outcome"] == "failed"]
        assert [r["Customer"] for r in failed] == ["CAS03"]
        assert failed[0]["Note"]


def test_outside_the_send_window_nothing_goes(book, server):
    night = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
    report = remind.send(book, now=night, smtp=server.settings())
    waiting = report.decisions.customers.query("action == 'wait'")
    assert server.messages == [] and report.messages == []
    reasons = sorted(waiting["reason"])
    assert "waiting: 03:00 in Europe/Paris is outside the send window 08:00-18:00" in reasons
    # 02:00 UTC on Monday is still Sunday evening in Los Angeles
    assert "waiting: Sunday in America/Los_Angeles is not a working day (Mon-Fri)" in reasons


def test_cli_remind_dry_run_and_send(book, server, tmp_path, capsys, monkeypatch):
    drafts = tmp_path / "drafts"
    assert main(["remind", str(book), "--dry-run", "--drafts", str(drafts),
                 "--now", NOW.isoformat()]) == 0
    assert "reminder(s) to send" in capsys.readouterr().out
    assert server.messages == []
    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)  # trust the test server's CA
    status = main(["remind", str(book), "--now", NOW.isoformat(), "--smtp-host", "127.0.0.1",
                   "--smtp-port", str(server.port), "--smtp-user", settings.user, "--silent"])
    assert status == 0, capsys.readouterr().err
    assert len(server.messages) == len(list(drafts.glob("*.eml")))


def test_a_run_refused_for_want_of_a_mail_server_leaves_nothing_behind(
        book, server, capsys, monkeypatch):
    """The sample's Settings name no SMTP Host: the run is refused (exit 1) before anything is
    sent, and leaves neither the workbook changed nor an empty journal beside it; a later run
    given the server sends, journals and logs as ever."""
    before = book.read_bytes()
    assert main(["remind", str(book), "--now", NOW.isoformat()]) == 1
    assert "Error: Settings: no mail server" in capsys.readouterr().err
    assert not remind.journal_path(book).exists()
    assert book.read_bytes() == before
    assert [p.name for p in book.parent.iterdir() if p != book and (
        p.name.startswith(book.stem) or "dunning" in p.name)] == []  # no drafts, no backups
    assert main(["remind", str(book), "--now", NOW.isoformat(),
                 *smtp_args(server, monkeypatch)]) == 0, capsys.readouterr().err
    sent = [row for row in table(book, "ContactLog") if row["Outcome"] == "sent"]
    assert len(sent) == len(server.messages) > 0
    journal = Journal.read(remind.journal_path(book))
    assert {r["message_id"] for r in journal.entries() if r["event"] == "sent"} == {
        row["Message-ID"] for row in sent}


def test_workbook_templates_override_the_built_in_ones_and_are_sandboxed(book, tmp_path):
    from dunning.io.xlsx import append_rows

    append_rows(book, "Templates", [{
        "Stage": "friendly", "Language": "fr",
        "Subject": "Relevé {{ customer }} – {{ total }}",
        "Text": "Bonjour {{ contact_name }},\n{{ items_table }}\n{{ opt_out_line }}",
        "HTML": "",
    }])
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    french = next(m for m in report.messages if m.customer == "CAS03")
    assert french.subject.startswith("Relevé CAS03 – EUR 22")  # what is overdue, not all open
    assert "Templates row 2" in french.template
    english = next(m for m in report.messages if m.customer == "IDL09")
    assert english.template.startswith("built-in")

    append_rows(book, "Templates", [{"Stage": "firm", "Language": "en",
                                     "Subject": "{{ ''.__class__.__mro__ }}", "Text": "x",
                                     "HTML": ""}])
    with pytest.raises(DunningInputError, match="Templates"):
        remind.preview(book, tmp_path / "drafts2", now=NOW)


def test_a_workbook_without_a_sender_can_be_previewed_but_not_sent(tmp_path, server):
    path = tmp_path / "New.xlsx"
    build_workbook(path, client="New", invoices=sample_invoices(), customers=sample_customers(),
                   as_of=SAMPLE_AS_OF)
    report = remind.preview(path, tmp_path / "drafts", now=NOW)
    assert report.messages and "Sender Email is not set" in report.summary()
    with pytest.raises(DunningInputError, match="Sender Email"):
        remind.send(path, now=NOW, smtp=server.settings())
    assert server.messages == []


def test_a_send_in_doubt_can_be_settled_from_the_command_line(book, server, capsys):
    report = remind.send(book, now=NOW, smtp=server.settings())
    first = report.results[0]
    with Journal(remind.journal_path(book), clock=lambda: NOW) as journal:
        journal.intend(first.key, first.message_id)
    assert main(["remind", str(book), "--settle", f"{first.key}=not sent"]) == 0
    assert f"Settled {first.key} as not sent." in capsys.readouterr().out
    with Journal(remind.journal_path(book), clock=lambda: NOW) as journal:
        assert journal.state(first.key) is None  # sendable again
    assert main(["remind", str(book), "--settle", "nobody|firm|2026-11-23=sent"]) == 1
    assert "has no message" in capsys.readouterr().err


def test_late_payment_charges_show_from_the_chosen_stage_on(tmp_path):
    path = tmp_path / "Charges.xlsx"
    settings = {**SAMPLE_SETTINGS, "Late Payment Charges": "EU", "Charges From Stage": "Firm"}
    build_workbook(path, client="Sample", invoices=sample_invoices(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF, settings=settings)
    first_run = remind.preview(path, tmp_path / "drafts", now=NOW).messages
    assert {message.stage for message in first_run} == {"friendly"}  # stages climb one by one
    assert not any(message.charges for message in first_run)  # Firm is not reached yet
    from_friendly = {**settings, "Charges From Stage": "Friendly"}
    build_workbook(path, client="Sample", invoices=sample_invoices(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF, settings=from_friendly)
    shown = remind.preview(path, tmp_path / "drafts2", now=NOW).messages
    assert shown and all(message.charges for message in shown)
    english = [message for message in shown if message.language == "en"]
    assert english and all("2011/7/EU" in message.text for message in english)
    # A debt that falls due in a half-year whose rate is not published yet is refused.
    invoices = sample_invoices()
    owed = invoices[invoices["Paid"] < invoices["Amount"]].iloc[[0]].assign(
        **{"Invoice No": "INV-2027-0001", "Invoice Date": dt.date(2026, 12, 10),
           "Due Date": dt.date(2027, 1, 10), "Paid": 0.0, "Settled Date": None})
    build_workbook(path, client="Sample", invoices=pd.concat([invoices, owed]),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF, settings=from_friendly)
    later = dt.datetime(2027, 2, 3, 10, tzinfo=dt.timezone.utc)
    with pytest.raises(DunningInputError, match="no EU reference rate for the half-year starting"
                       " 01 January 2027"):  # never a made-up rate
        remind.preview(path, tmp_path / "drafts-later", now=later)


def test_uk_charges_on_a_ledger_without_pounds_say_why_none_show(tmp_path):
    path = tmp_path / "Euro.xlsx"
    build_workbook(path, client="Sample", invoices=sample_invoices(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF,
                   settings={**SAMPLE_SETTINGS, "Late Payment Charges": "UK"})
    report = remind.preview(path, tmp_path / "drafts", now=NOW)
    assert not any(message.charges for message in report.messages)
    assert "applies to GBP invoices only, and none are open" in report.summary()


def test_a_run_gives_a_months_notice_of_a_rate_not_yet_in_the_table(tmp_path):
    path = tmp_path / "Charges.xlsx"
    build_workbook(path, client="Sample", invoices=sample_invoices(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF,
                   settings={**SAMPLE_SETTINGS, "Late Payment Charges": "EU"})
    calm = remind.preview(path, tmp_path / "d1", now=NOW)  # 23 November: 39 days ahead
    assert not any("rates update" in str(issue) for issue in calm.warnings)
    soon = dt.datetime(2026, 12, 10, 10, tzinfo=dt.timezone.utc)  # 22 days before 1 January
    report = remind.preview(path, tmp_path / "d2", now=soon)
    notices = [str(issue) for issue in report.warnings if "rates update" in str(issue)]
    assert notices and "2027" in notices[0]


class Agrees:
    """The person at the keyboard in Excel, who says yes to sending."""

    def __init__(self):
        self.alerts, self.questions = [], []

    def alert(self, title, message):
        self.alerts.append((title, message))

    def confirm(self, title, question):
        self.questions.append(question)
        return True

    def ask(self, title, prompt, default=""):
        return None

    def open(self, target):
        pass


def test_the_ribbons_send_sends_and_records_what_dunning_remind_does(tmp_path, server,
                                                                     monkeypatch, capsys):
    from dunning.excel import ribbon
    from dunning.excel.live import ExcelWorkbook
    from fake_excel import FakeBook

    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)  # trust the test server's CA
    smtp = {"SMTP Host": "127.0.0.1", "SMTP Port": server.port, "SMTP User": settings.user}
    books = []
    for host in ("command", "ribbon"):  # the same workbook, each with its own journal
        path = tmp_path / host / "Client.xlsx"
        path.parent.mkdir()
        books.append(build_workbook(path, client="Sample", invoices=sample_invoices(),
                                    customers=sample_customers(), as_of=SAMPLE_AS_OF,
                                    settings={**SAMPLE_SETTINGS, **smtp}))
    by_command, by_ribbon = books
    assert main(["remind", str(by_command), "--now", NOW.isoformat(), "--silent"]) == 0
    sent_by_command = list(server.messages)
    excel, ui = FakeBook(by_ribbon), Agrees()
    result = ribbon.dispatch("send", ExcelWorkbook(excel), ui, NOW)
    assert result is not None, ui.alerts
    assert ui.questions and ui.alerts == [("Send reminders", result.message)]
    sent_by_ribbon = server.messages[len(sent_by_command):]

    def delivered(received):
        return sorted((m.message["X-Dunning-Key"], m.recipients, m.message["Message-ID"],
                       m.message["Subject"], m.message.get_body(("plain",)).get_content())
                      for m in received)

    assert sent_by_command and delivered(sent_by_ribbon) == delivered(sent_by_command)
    assert result.message == capsys.readouterr().out.strip()  # the same summary

    def cells(rows):
        return [["" if cell is None else cell for cell in row] for row in rows
                if any(cell not in ("", None) for cell in row)]

    assert cells(excel.sheets["Outbox"].rows()) == cells(sheet(by_command, "Outbox"))
    logged = excel.table_rows("ContactLog")
    in_excel = [dict(zip(logged[0], row, strict=True)) for row in logged[1:]]
    wanted = ("Customer", "Outcome", "Stage", "Message-ID", "Subject", "Next Action Date")
    def shown(value):  # Excel gives every date back as a datetime, calamine a date cell as a date
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            value = value.date()
        return str(value)

    assert sorted(tuple(shown(row[k]) for k in wanted) for row in in_excel) == sorted(
        tuple(shown(row[k]) for k in wanted) for row in table(by_command, "ContactLog"))


def test_a_success_after_a_same_day_failure_is_logged_and_not_sent_again(
        book, tmp_path, monkeypatch, no_backoff):
    from smtp_server import Faults

    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    faults = Faults(temporary_failures=10_000)  # every DATA answered 451
    with LoopbackSmtp(tmp_path / "certs3", faults=faults) as srv:
        first = remind.send(book, now=NOW, smtp=srv.settings())
        outcomes = [r.outcome for r in first.results]
        assert "failed" in outcomes and set(outcomes) <= {"failed", "not attempted"}
        failed = [r for r in table(book, "ContactLog") if r["Outcome"] == "failed"]
        assert len(failed) == outcomes.count("failed")
        faults.temporary_failures = 0  # the server is healthy again
        rerun = remind.send(book, now=NOW + dt.timedelta(hours=1), smtp=srv.settings())
        assert {r.outcome for r in rerun.results} == {"sent"}
        sent = [r for r in table(book, "ContactLog") if r["Outcome"] == "sent"]
        assert sorted(r["Message-ID"] for r in sent) == sorted(r.message_id for r in first.results)
        assert all(r["Invoices"] and r["Subject"] for r in sent)
        delivered = len(srv.messages)
        next_day = remind.send(book, now=NOW + dt.timedelta(days=1), smtp=srv.settings())
        assert not next_day.messages and len(srv.messages) == delivered  # nothing twice


def smtp_args(server, monkeypatch):
    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)  # trust the test server's CA
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user",
            settings.user, "--silent"]


def test_a_send_in_doubt_holds_the_customer_and_is_reported_every_day_until_settled(
        book, tmp_path, monkeypatch, capsys):
    from smtp_server import Faults

    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    with LoopbackSmtp(tmp_path / "certs4", faults=Faults(drop_in_data=1)) as srv:
        first = remind.send(book, now=NOW, smtp=srv.settings())  # stored, then dropped
        doubt = next(r for r in first.results if r.outcome == "in doubt")
        assert [d["key"] for d in first.doubts] == [doubt.key]
        stored = len(srv.messages)
        tomorrow = (NOW + dt.timedelta(days=1)).isoformat()
        assert main(["remind", str(book), "--dry-run", "--drafts", str(tmp_path / "d"),
                     "--now", tomorrow]) == 0  # the preview says so too
        out, err = capsys.readouterr()
        assert f"--settle '{doubt.key}=sent'" in err and f"  {doubt.key} (since" in out
        assert not list((tmp_path / "d").glob(f"*{doubt.customer}*"))
        for days in (1, 6, 12):  # nobody settles it; later stages fall due meanwhile
            day = NOW + dt.timedelta(days=days)
            assert main(["remind", str(book), "--now", day.isoformat(),
                         *smtp_args(srv, monkeypatch)]) == 2
            err = capsys.readouterr().err
            assert f"--settle '{doubt.key}=sent'" in err and "in doubt since" in err
            to_doubted = [m for m in srv.messages[stored:]
                          if m.message["X-Dunning-Key"].startswith(doubt.customer + "|")]
            assert to_doubted == []
        assert main(["remind", str(book), "--settle", f"{doubt.key}=sent"]) == 0
        later = NOW + dt.timedelta(days=13)
        remind.send(book, now=later, smtp=srv.settings())
        rows = [r for r in table(book, "ContactLog") if r["Message-ID"] == doubt.message_id]
        assert [r["Outcome"] for r in rows] == ["sent"]
        assert rows[0]["Invoices"] and rows[0]["Subject"] and rows[0]["Open Balance"]
        with Journal(remind.journal_path(book), clock=lambda: later) as journal:
            assert journal.in_doubt() == []


def test_sent_then_the_save_is_refused_logs_whole_rows_later_and_sends_nothing_twice(
        book, server):
    owner = book.parent / f"~${book.name}"

    def excel_opens_it(done, total):  # someone opens the workbook mid-run
        owner.write_bytes(bytes([3]) + b"ana" + b" " * 50)

    report = remind.send(book, now=NOW, smtp=server.settings(), progress=excel_opens_it)
    assert report.unsaved and "open in Excel by ana" in report.unsaved
    assert report.sent and "Sent, not yet logged" in report.summary()
    assert all(f"sent {r.key}" in report.summary() for r in report.sent)
    assert not table(book, "ContactLog")  # nothing saved
    owner.unlink()
    delivered = len(server.messages)
    for days in (1, 6):  # the next run, and one after the minimum gap
        remind.send(book, now=NOW + dt.timedelta(days=days), smtp=server.settings())
    keys = [m.message["X-Dunning-Key"] for m in server.messages]
    assert keys[:delivered] == [r.key for r in report.sent]
    again = [k.split("|")[:2] for k in keys[delivered:]]
    assert not any(pair in again for pair in (k.split("|")[:2] for k in keys[:delivered]))
    rows = {r["Message-ID"]: r for r in table(book, "ContactLog") if r["Outcome"] == "sent"}
    asked = {m.message_id: m for m in report.messages}
    for result in report.sent:
        row, message = rows[result.message_id], asked[result.message_id]
        assert row["Invoices"] == ", ".join(message.invoices)
        assert row["Subject"] == message.subject and row["Stage"] == message.stage
        assert row["Next Action Date"] == dt.date(2026, 11, 28)
        assert row["Open Balance"] == message.totals["EUR"]
        assert row["Timestamp"] == NOW.replace(tzinfo=None)  # when it was sent


def test_the_command_line_says_sent_not_logged_with_its_own_status(book, server, monkeypatch,
                                                                  capsys):
    from dunning.io.workbook import FileWorkbook

    def disk_full(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileWorkbook, "save", disk_full)
    status = main(["remind", str(book), "--now", NOW.isoformat(), *smtp_args(server, monkeypatch)])
    out, err = capsys.readouterr()
    assert status == 4, err
    assert "Sent, not yet logged" in out and "nothing will be sent twice" in err
    assert server.messages and all(m.message["X-Dunning-Key"] in out for m in server.messages)


def many_invoices_book(path, count=2_500):
    """One customer owing `count` small invoices, all past due on NOW."""
    customers = sample_customers().iloc[[1]]  # BRW02, in English, Europe/London
    invoices = pd.DataFrame([{
        "Invoice No": f"INV-2026-{n:06d}", "Customer": customers.iloc[0]["Customer"],
        "Invoice Date": "2026-09-01", "Due Date": "2026-10-01", "Amount": "10.00", "Paid": "0",
        "Currency": "EUR", "Disputed": "No", "Settled Date": "", "Written Off": "No",
        "Notes": ""} for n in range(count)])
    return build_workbook(path, client="Sample", invoices=invoices, customers=customers,
                          as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)


def test_a_long_invoice_list_is_logged_in_a_form_that_fits_and_kept_whole_elsewhere(
        tmp_path, server):
    path = many_invoices_book(tmp_path / "Many.xlsx")
    preview = remind.preview(path, tmp_path / "drafts", now=NOW)
    (message,) = preview.messages
    assert len(message.invoices) == 2_500
    assert len(", ".join(message.invoices)) > 32_767  # one cell could not hold them joined
    draft = preview.drafts[0].read_text(encoding="utf-8", errors="replace")
    assert "INV-2026-002499" in draft.replace("=\n", "")  # the draft lists every invoice
    report = remind.send(path, now=NOW, smtp=server.settings())
    assert [r.outcome for r in report.results] == ["sent"]
    (row,) = [r for r in table(path, "ContactLog") if r["Outcome"] == "sent"]
    assert row["Invoices"].startswith("INV-2026-000000, INV-2026-000001")
    assert row["Invoices"].endswith(" and 2,480 more") and len(row["Invoices"]) < 1_000
    outbox = sheet(path, "Outbox")
    assert outbox[1][5] == row["Invoices"]
    with Journal(remind.journal_path(path), clock=lambda: NOW) as journal:
        planned = journal.planned(message.key)
    assert planned["invoices"] == list(message.invoices)  # the full list, in the journal
    assert planned["row"]["Invoices"] == row["Invoices"]


def test_a_row_that_cannot_fit_is_refused_before_anything_is_sent(book, server, monkeypatch):
    real = remind.planned_rows

    def with_a_huge_subject(*args, **kwargs):
        rows = real(*args, **kwargs)
        first = next(iter(rows))
        rows[first] = {**rows[first], "Subject": "x" * 40_000}
        return rows

    monkeypatch.setattr(remind, "planned_rows", with_a_huge_subject)
    with pytest.raises(DunningInputError, match="40,000 characters in one cell.*nothing was sent"):
        remind.send(book, now=NOW, smtp=server.settings())
    assert server.messages == []


def test_the_outbox_report_never_carries_a_formula(tmp_path):
    import csv

    customers = sample_customers()
    invoices = sample_invoices()
    risky = ['=HYPERLINK("http://x.example","click")', "+1+1", "@INV-11", "-2+3"]
    paid = pd.to_numeric(invoices["Paid"], errors="coerce").fillna(0)
    owed = invoices.index[paid < pd.to_numeric(invoices["Amount"])]
    owing = list(dict.fromkeys(invoices.loc[owed, "Customer"]))
    for customer, name in zip(owing, ["=cmd|' /C calc'!A0", "@SUM(1+1)"], strict=False):
        customers.loc[customers["Customer"] == customer, "Name"] = name
    for index, number in zip(owed, risky, strict=False):
        invoices.loc[index, "Invoice No"] = number
    path = build_workbook(tmp_path / "Risky.xlsx", client="Sample", invoices=invoices,
                          customers=customers, as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)
    report = remind.preview(path, tmp_path / "drafts", now=NOW)
    with report.outbox.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells
    listed = [cell for cell in cells if any(number in cell for number in risky)]
    assert {cell[:1] for cell in listed if cell.startswith("'")} == {"'"}
    assert any(cell.startswith("'") for cell in listed)


def test_a_refused_address_is_held_on_later_days_until_it_is_changed_in_the_workbook(
        tmp_path, monkeypatch, capsys):
    """A 550 for one address: refused and logged on day 1 (status 2); the same day's rerun
    and the next days try nothing more at that address, say so once each (customer,
    address, the cell to fix) and end 0; the worklist puts the customer up for a call; the
    refusal settled as not sent tries it once more; the address edited in its cell (as a
    person does in Excel) is written to at the next run."""
    import re

    from openpyxl import load_workbook

    from dunning.app.actions import worklist
    from smtp_server import Faults

    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    path = build_workbook(tmp_path / "Client.xlsx", client="Sample", invoices=sample_invoices(),
                          customers=sample_customers(), as_of=SAMPLE_AS_OF,
                          settings=SAMPLE_SETTINGS)
    with LoopbackSmtp(tmp_path / "certs5", faults=Faults(refuse={"a.roux@example.com"})) as srv:
        def run(days, *more):  # NOW is a Monday: days 0-4 are working days, in the window
            moment = NOW + dt.timedelta(days=days)
            return main(["remind", str(path), "--now", moment.isoformat(),
                         *smtp_args(srv, monkeypatch), *more])

        def warned(err):
            lines = [line for line in err.splitlines()
                     if "refused a.roux@example.com for good" in line]
            assert len(lines) == 1, err  # once a run, naming the customer and the address
            assert lines[0].startswith("Warning: CAS03: no reminder sent")
            return lines[0]

        assert run(0) == 2
        assert "CAS03: failed" in capsys.readouterr().err
        assert srv.refused == ["a.roux@example.com"]
        failed = [r for r in table(path, "ContactLog") if r["Outcome"] == "failed"]
        assert [r["Customer"] for r in failed] == ["CAS03"] and "550" in failed[0]["Note"]
        for days in (0, 1, 2):  # the same day's rerun, then the next two days
            status = run(days)
            out, err = capsys.readouterr()
            assert status == 0, err
            line = warned(err)
            assert srv.refused == ["a.roux@example.com"]  # not tried again
            assert "address refused" in out  # the summary counts it among the skipped
        key = re.search(r"--settle '(CAS03\|[^=]+)=not sent'", line).group(1)
        cell = re.search(r"fix the e-mail address in Customers!([A-Z]+[0-9]+) \(Contact Email\)",
                         line).group(1)
        outbox = {row[0]: row for row in sheet(path, "Outbox")}
        assert outbox["CAS03"][3] == "skip" and outbox["CAS03"][8].startswith("address refused")
        ranked = worklist(path, now=NOW + dt.timedelta(days=2), write=False).data
        called = ranked.set_index("customer").loc["CAS03"]
        assert called["reason"].startswith("call instead: the mail server refused "
                                           "a.roux@example.com") and called["hand_off"] > 0

        assert main(["remind", str(path), "--settle", f"{key}=not sent"]) == 0  # try it again
        assert run(3) == 2 and srv.refused == ["a.roux@example.com"] * 2
        capsys.readouterr()
        assert run(3) == 0 and srv.refused == ["a.roux@example.com"] * 2  # held again

        edited = load_workbook(path)  # the accountant fixes the cell the warning named
        assert edited["Customers"][cell].value == "a.roux@example.com"
        edited["Customers"][cell].value = "anne.roux@example.com"
        edited.save(path)
        capsys.readouterr()
        assert run(4) == 0, capsys.readouterr().err
        to_cas03 = [m for m in srv.messages if m.message["X-Dunning-Key"].startswith("CAS03|")]
        assert [m.recipients for m in to_cas03] == [("anne.roux@example.com",)]
        assert srv.refused == ["a.roux@example.com"] * 2


def test_only_an_address_refused_at_rcpt_is_held_and_its_last_outcome_decides(tmp_path):
    """A 5xx to the sender or the message is not the address's fault: it holds nobody (every
    customer would be held for one bad Sender Email). A later send, or the refusal settled as
    not sent, lifts a hold; the cell is named where the address is kept."""
    journal_file = tmp_path / "Book.xlsx.dunning-journal.jsonl"
    with Journal(journal_file, clock=lambda: NOW) as journal:
        for customer, to in (("A", "a@x.example"), ("B", "b@x.example"), ("C", "c@x.example"),
                             ("D", "d@x.example")):
            key = f"{customer}|friendly|2026-11-20"
            journal.plan(key, f"<{customer}>", row={}, invoices=[], to=to)
            journal.intend(key, f"<{customer}>")
            refused = [to] if customer != "B" else []  # B: 554 to the message, not the address
            journal.failed(key, f"<{customer}>", "550 no such user", True, refused=refused)
        journal.plan("C|friendly|2026-11-21", "<C2>", row={}, invoices=[], to="c@x.example")
        journal.intend("C|friendly|2026-11-21", "<C2>")
        journal.sent("C|friendly|2026-11-21", "<C2>")  # went out later (the mailbox was fixed)
        journal.resolve("D|friendly|2026-11-20", "not sent", note="try it again")
        found = remind.refusals(journal, {"A": "Customers!D2 (Contact Email)"})
    assert set(found) == {"A"}
    assert found["A"] == remind.Refusal("a@x.example", "2026-11-20", "550 no such user",
                                        "A|friendly|2026-11-20", "Customers!D2 (Contact Email)")


def test_a_full_disk_while_journaling_stops_the_sends_and_lists_what_went(
        book, server, monkeypatch, capsys):
    """ENOSPC on the journal's record of the second message accepted: the run stops there
    (status 4, the workbook left as it was), lists the two that went (customer, stage,
    address), and the next runs send nothing twice: the one whose outcome went unrecorded is
    in doubt until settled, the rest go."""
    import errno
    import os

    journal_file = remind.journal_path(book)
    real_write = os.write
    recorded = []

    def full_disk(fd, data):
        if (journal_file.exists() and os.fstat(fd).st_ino == journal_file.stat().st_ino
                and b'"event": "sent"' in bytes(data)):
            recorded.append(fd)
            if len(recorded) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    before = book.read_bytes()
    monkeypatch.setattr(os, "write", full_disk)
    status = main(["remind", str(book), "--now", NOW.isoformat(), *smtp_args(server, monkeypatch)])
    monkeypatch.setattr(os, "write", real_write)
    out, err = capsys.readouterr()
    assert status == 4, err
    assert book.read_bytes() == before
    went = server.messages
    assert len(went) == 2
    assert "No space left on device" in out and "nothing will be sent twice" in out
    assert "nothing will be sent twice" in err and "not attempted" in err
    for message in went:
        customer, stage, _ = message.message["X-Dunning-Key"].split("|")
        assert (f"sent {message.message['X-Dunning-Key']}: {customer}, {stage}, "
                f"to {message.recipients[0]} ") in out
    unrecorded = went[1].message["X-Dunning-Key"]
    assert f"--settle '{unrecorded}=sent'" in err  # in doubt: its outcome was not recorded

    later = NOW + dt.timedelta(hours=1)
    assert main(["remind", str(book), "--now", later.isoformat(),
                 *smtp_args(server, monkeypatch)]) == 2  # the doubt stands until settled
    keys = [m.message["X-Dunning-Key"] for m in server.messages]
    assert len(keys) == len(set(keys)) > 2  # the rest went, nothing twice
    assert main(["remind", str(book), "--settle", f"{unrecorded}=sent"]) == 0
    assert main(["remind", str(book), "--now", (later + dt.timedelta(hours=1)).isoformat(),
                 *smtp_args(server, monkeypatch)]) == 0
    assert [m.message["X-Dunning-Key"] for m in server.messages] == keys
    logged = {r["Message-ID"] for r in table(book, "ContactLog") if r["Outcome"] == "sent"}
    assert logged == {m.message["Message-ID"] for m in server.messages}


def test_a_private_servers_ca_is_named_by_the_setting_or_the_option_without_ssl_cert_file(
        tmp_path, server, monkeypatch, capsys):
    """The SMTP CA File setting (with the server in Settings) or --smtp-ca-file (with the
    server on the command line) is the only trust the run needs: SSL_CERT_FILE is unset."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    settings = server.settings()
    from dunning.io.workbook import FileWorkbook

    in_settings = {**SAMPLE_SETTINGS, "SMTP Host": "127.0.0.1", "SMTP Port": server.port,
                   "SMTP User": settings.user}
    path = build_workbook(tmp_path / "Private.xlsx", client="Sample", invoices=sample_invoices(),
                          customers=sample_customers(), as_of=SAMPLE_AS_OF,
                          settings=in_settings)
    workbook = FileWorkbook(path)  # the row the README says to add: the template leaves it out
    workbook.append_rows("Settings", [{"Setting": "SMTP CA File", "Value": settings.cafile}])
    workbook.save()
    assert main(["remind", str(path), "--now", NOW.isoformat(), "--silent"]) == 0
    assert server.messages and "not trusted" not in capsys.readouterr().err
    sent = len(server.messages)

    plain = build_workbook(tmp_path / "Plain.xlsx", client="Sample", invoices=sample_invoices(),
                           customers=sample_customers(), as_of=SAMPLE_AS_OF,
                           settings=SAMPLE_SETTINGS)
    options = ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user",
               settings.user, "--silent"]
    run = ["remind", str(plain), "--now", NOW.isoformat(), *options]
    assert main(run) == 1  # the system's store does not know the test CA
    assert "set SMTP CA File" in capsys.readouterr().err and len(server.messages) == sent
    assert main([*run, "--smtp-ca-file", str(tmp_path / "missing.pem")]) == 1
    assert "SMTP CA File" in capsys.readouterr().err and len(server.messages) == sent
    assert main([*run, "--smtp-ca-file", settings.cafile]) == 0
    assert len(server.messages) == 2 * sent


def test_any_failure_of_the_save_after_sending_says_what_went_and_logs_it_later(
        book, server, monkeypatch, capsys):
    """Not only a locked workbook or a full disk: whatever stops the save once mails went
    out gives status 4 and the list of what was sent, and the next run logs it whole."""
    from dunning.io.workbook import FileWorkbook

    real = FileWorkbook.save

    def broken(self):
        raise RuntimeError("the writer tripped")

    monkeypatch.setattr(FileWorkbook, "save", broken)
    status = main(["remind", str(book), "--now", NOW.isoformat(), *smtp_args(server, monkeypatch)])
    out, err = capsys.readouterr()
    assert status == 4, err
    assert "unexpected problem: RuntimeError: the writer tripped" in out
    keys = [m.message["X-Dunning-Key"] for m in server.messages]
    assert keys and all(f"sent {key}" in out for key in keys)
    monkeypatch.setattr(FileWorkbook, "save", real)
    later = main(["remind", str(book), "--now", (NOW + dt.timedelta(hours=1)).isoformat(),
                  *smtp_args(server, monkeypatch)])
    assert later == 0, capsys.readouterr().err
    assert len(server.messages) == len(keys)  # nothing twice
    rows = [r for r in table(book, "ContactLog") if r["Outcome"] == "sent"]
    assert sorted(r["Message-ID"] for r in rows) == sorted(
        m.message["Message-ID"] for m in server.messages)
    assert all(r["Invoices"] and r["Subject"] and r["Open Balance"] for r in rows)
