"""Logging calls, promises and disputes into the workbook's ContactLog, and reading the log back."""

import datetime as dt

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from dunning.cli import main
from dunning.core.contactlog import Contact, contact_log_frame, log_row, outcome_code
from dunning.core.errors import DunningInputError
from dunning.demo import SAMPLE_AS_OF, sample_customers, sample_invoices
from dunning.io.client_workbook import build_workbook
from dunning.sheets.customers import customers_frame

NOW = dt.datetime(2026, 11, 23, 10, 30, 15, 123456)


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "client.xlsx"
    build_workbook(path, client="Test", invoices=sample_invoices(), customers=sample_customers(),
                   as_of=SAMPLE_AS_OF)
    return path


def logged_rows(path):
    workbook = CalamineWorkbook.from_path(str(path), load_tables=True)
    return workbook.get_table_by_name("ContactLog").to_python()


def open_of(path, invoice):
    """Amount less Paid of one invoice, as the Invoices table holds it."""
    table = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name("Invoices")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.to_python()]
    [row] = [row for row in rows if row["Invoice No"] == invoice]
    return row["Amount"] - (row["Paid"] or 0)


def test_shorthand_outcomes():
    assert outcome_code("promise") == "promised to pay"
    assert outcome_code("Left Voicemail") == "left voicemail"
    with pytest.raises(DunningInputError, match="unknown outcome 'maybe'"):
        outcome_code("maybe")


def test_a_promise_needs_its_date_and_only_a_promise_has_one():
    with pytest.raises(DunningInputError, match="needs its date"):
        log_row(Contact("C1", "phone", "promise", NOW))
    with pytest.raises(DunningInputError, match="belongs to the outcome"):
        log_row(Contact("C1", "phone", "voicemail", NOW, promise_date=dt.date(2026, 12, 1)))
    with pytest.raises(DunningInputError, match="unknown channel 'fax'"):
        log_row(Contact("C1", "fax", "voicemail", NOW))


def test_a_promise_is_for_whole_cents_above_zero_from_the_day_it_is_made():
    def promise(amount=100.0, day=dt.date(2026, 12, 1)):
        return log_row(Contact("C1", "phone", "promise", NOW, promise_date=day,
                               promise_amount=amount))

    assert promise()["Promise Amount"] == 100.0
    for amount in (0.0, -50.0, 10.005):
        with pytest.raises(DunningInputError, match="more than zero, in whole cents"):
            promise(amount)
    with pytest.raises(DunningInputError, match="is before the day of the contact"):
        promise(day=NOW.date() - dt.timedelta(days=1))


def test_promises_and_resolutions_must_fit_the_ledger(book, capsys):
    base = ["log", str(book), "--customer", "CAS03"]
    assert main([*base, "--outcome", "promise", "--promise-date", "2099-12-01",
                 "--promise-amount", "99999999"]) == 1
    assert "is more than the" in capsys.readouterr().err
    assert main([*base, "--outcome", "resolved", "--invoices", "INV-2026-0125"]) == 1
    assert "has no open dispute to resolve" in capsys.readouterr().err
    assert main([*base, "--outcome", "dispute", "--invoices", "INV-2026-0125"]) == 0
    assert main([*base, "--outcome", "resolved", "--invoices", "INV-2026-0125"]) == 0


def test_a_dispute_names_its_invoices():
    with pytest.raises(DunningInputError, match="needs the invoices it is about"):
        log_row(Contact("C1", "phone", "dispute", NOW, note="wrong price"))
    with pytest.raises(DunningInputError, match="needs the invoices it is about"):
        log_row(Contact("C1", "phone", "resolved", NOW))
    assert log_row(Contact("C1", "phone", "resolved", NOW, invoices=("A",)))["Outcome"] == (
        "dispute resolved")


def test_a_log_without_the_later_open_balance_column_still_reads():
    headers = [h for h in log_row(Contact("x", "phone", "voicemail", NOW)) if h != "Open Balance"]
    row = list(log_row(Contact("C1", "phone", "voicemail", NOW)).values())[:-1]
    log = contact_log_frame(pd.DataFrame([row], columns=headers))
    assert log.loc[0, "customer"] == "C1" and pd.isna(log.loc[0, "open_balance"])


def test_row_has_the_table_headers_in_order_and_whole_seconds():
    row = log_row(Contact("C1", "Phone", "dispute", NOW, invoices=("A", "B"), note="n"))
    assert list(row)[:4] == ["Timestamp", "Customer", "Invoices", "Channel"]
    assert row["Timestamp"] == NOW.replace(microsecond=0)
    assert row["Invoices"] == "A, B" and row["Channel"] == "phone"
    assert row["Outcome"] == "disputed"


def test_log_command_appends_a_promise_that_reads_back(book, capsys):
    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "promise",
                 "--promise-date", "2099-12-01", "--promise-amount", "500",
                 "--invoices", "INV-2026-0125", "--user", "ana", "--note", "=1+1"]) == 0
    assert "Logged 'promised to pay' for CAS03 in the ContactLog." in capsys.readouterr().out
    [row] = logged_rows(book)
    assert row[1:4] == ["CAS03", "INV-2026-0125", "phone"]
    assert row[7:10] == ["promised to pay", dt.date(2099, 12, 1), 500.0]
    assert row[11:13] == ["ana", "=1+1"]  # a formula-like note stays text
    assert row[13] == pytest.approx(open_of(book, "INV-2026-0125"))  # the balance promised on
    log = contact_log_frame(pd.DataFrame(logged_rows(book), columns=list(log_row(
        Contact("x", "phone", "voicemail", NOW)))))
    assert log.loc[0, "promise_date"] == pd.Timestamp("2099-12-01")
    assert log.loc[0, "outcome"] == "promised to pay"


def test_log_command_refuses_an_unknown_customer_and_writes_nothing(book, capsys):
    before = book.read_bytes()
    assert main(["log", str(book), "--customer", "NOBODY", "--outcome", "voicemail"]) == 1
    assert "no customer 'NOBODY'" in capsys.readouterr().err
    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "dispute",
                 "--invoices", "NOPE-1"]) == 1
    assert "customer CAS03 has no invoice NOPE-1" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_log_command_finds_the_customer_by_name_in_any_case(book):
    assert main(["log", str(book), "--customer", "castellane logistique sarl",
                 "--outcome", "dispute", "--invoices", "INV-2026-0125"]) == 0
    [row] = logged_rows(book)
    assert row[1] == "CAS03"


def test_log_command_refuses_a_workbook_open_in_excel(book, capsys):
    owner = book.parent / f"~${book.name}"
    owner.write_bytes(bytes([3]) + b"ana" + b" " * 50)
    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "voicemail"]) == 1
    assert "ana" in capsys.readouterr().err
    assert logged_rows(book) == [] or all(not any(r) for r in logged_rows(book))


def test_contact_log_timestamps_from_serials_and_text():
    table = pd.DataFrame([[46349.4375, "C1", "", "phone", "", "", "", "Sent", None, None, None,
                           "", "", None],
                          ["2026-11-23 10:30", "C2", "", "email", "Firm", "", "", "sent", None,
                           None, None, "", "", None]], columns=list(log_row(
                              Contact("x", "phone", "voicemail", NOW))))
    log = contact_log_frame(table)
    assert log["timestamp"].tolist() == [pd.Timestamp("2026-11-23 10:30"),
                                         pd.Timestamp("2026-11-23 10:30")]
    assert log["outcome"].tolist() == ["sent", "sent"] and log.loc[1, "stage"] == "firm"


def _log_table(**cells):
    """A two-row ContactLog table, the second row's cells as given."""
    headers = list(log_row(Contact("x", "phone", "voicemail", NOW)))
    first = {**dict.fromkeys(headers), "Timestamp": NOW, "Customer": "C1", "Outcome": "sent"}
    return pd.DataFrame([first, {**first, "Customer": "C2", **cells}], columns=headers)


@pytest.mark.parametrize(("header", "value", "found"), [
    ("Timestamp", dt.datetime(9999, 12, 31), "'9999-12-31'"),  # calamine's date cell
    ("Timestamp", 2958465.0, "2958465.0"),  # xlwings' serial number of it
    ("Timestamp", "9999-12-31 10:00", "'9999-12-31 10:00'"),
    ("Timestamp", -5.0, "-5.0"),
    ("Timestamp", "next Tuesday", "'next Tuesday'"),
    ("Promise Date", dt.date(9999, 12, 31), "'9999-12-31'"),
    ("Next Action Date", "1899-12-31", "'1899-12-31'"),
    ("Promise Amount", 1e308, "1e+308"),
    ("Promise Amount", "9" * 400, "'99999999999999999999... (400 characters)'"),
    ("Open Balance", float("inf"), "inf"),
])
def test_a_log_cell_no_date_or_amount_can_be_is_refused_naming_it(header, value, found):
    """Never wrapped round (9999-12-31 once read as 1816-03-29) nor read as a blank."""
    with pytest.raises(DunningInputError) as caught:
        contact_log_frame(_log_table(**{header: value}))
    [issue] = caught.value.issues
    assert str(issue).startswith(f"ContactLog row 3 ({header}): expected ")
    assert "1900-03-01 to 2200-12-31" in issue.message or "10^15" in issue.message
    assert str(issue).endswith(f"(found {found})")


def test_the_last_and_first_log_days_read_and_keep_their_time():
    log = contact_log_frame(_log_table(**{"Timestamp": "2200-12-31 23:59",
                                          "Promise Date": dt.date(1900, 3, 1)}))
    assert log.loc[1, "timestamp"] == pd.Timestamp("2200-12-31 23:59")
    assert log.loc[1, "promise_date"] == pd.Timestamp("1900-03-01")


def test_a_9999_log_date_in_a_real_workbook_is_one_error_line(book, capsys):
    """The worklist and the reminder run read the log: each names the cell and writes nothing."""
    from openpyxl import load_workbook

    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "promise",
                 "--promise-date", "2026-12-10", "--promise-amount", "100",
                 "--now", "2026-11-23T10:00+00:00"]) == 0
    edited = load_workbook(book)
    edited["ContactLog"]["A2"].value = dt.datetime(9999, 12, 31)
    edited.save(book)
    before = book.read_bytes()
    capsys.readouterr()
    for command in (["worklist", str(book), "--print-only"], ["worklist", str(book)],
                    ["remind", str(book), "--dry-run", "--drafts", str(book.parent / "d")]):
        assert main([*command, "--as-of", "2026-11-23"]) == 1, command
        err = capsys.readouterr().err
        assert err.count("Error: ") == 1 and "Traceback" not in err, command
        assert "ContactLog!A2 (Timestamp)" in err and "9999-12-31" in err, command
        assert book.read_bytes() == before


def test_customers_table_flags_are_checked():
    table = pd.DataFrame({"Customer": ["C1", "C2"], "Contact Email": ["a@example.com", ""],
                          "Opt Out": ["Yes", "perhaps"]})
    with pytest.raises(DunningInputError, match=r"Customers row 3 \(Opt Out\): expected Yes or No"):
        customers_frame(table)
    table.loc[1, "Opt Out"] = "No"
    frame = customers_frame(table)
    assert frame["opt_out"].tolist() == [True, False]
    assert frame["email"].tolist() == ["a@example.com", ""]


def test_customers_dates_and_numbers_out_of_range_say_the_range():
    table = pd.DataFrame({"Customer": ["C1"], "Contact Email": ["a@example.com"],
                          "Hold Until": [dt.date(9999, 12, 31)], "Credit Limit": [1e308]})
    with pytest.raises(DunningInputError) as caught:
        customers_frame(table)
    assert [str(issue) for issue in caught.value.issues] == [
        "Customers row 2 (Credit Limit): expected a number smaller than 1,000,000,000,000,000 "
        "(10^15) either way (found 1e+308)",
        "Customers row 2 (Hold Until): expected a date from 1900-03-01 to 2200-12-31 "
        "(found '9999-12-31')"]


def test_an_invoice_list_too_long_for_a_cell_names_the_first_and_counts_the_rest():
    from dunning.core.contactlog import CELL_LIMIT, invoice_list

    assert invoice_list(["INV-1", "INV-2"]) == "INV-1, INV-2"
    many = [f"INV-{n:05d}" for n in range(5_000)]
    text = invoice_list(many)
    assert len(text) <= CELL_LIMIT
    assert text == ", ".join(many[:20]) + " and 4,980 more"
    assert invoice_list(many, limit=30) == "INV-00000 and 4,999 more"


def test_a_log_row_survives_the_journal_as_json():
    import json

    from dunning.core.contactlog import row_from_record, row_record

    row = log_row(Contact(customer="C1", channel="email", outcome="sent",
                          timestamp=dt.datetime(2026, 11, 23, 11, 0, 5), invoices=("A", "B"),
                          stage="firm", subject="Reminder", message_id="<m@x>",
                          next_action_date=dt.date(2026, 11, 28), open_balance=12.5))
    assert row_from_record(json.loads(json.dumps(row_record(row)))) == row


def previewed_action(book, tmp_path, customer, capsys):
    """What the next reminder preview does for `customer` (the Outbox's Action and Reason)."""
    drafts = tmp_path / "drafts"
    assert main(["remind", str(book), "--dry-run", "--drafts", str(drafts),
                 "--now", "2026-11-23T10:00+01:00"]) == 0
    capsys.readouterr()
    import csv

    with (drafts / "outbox.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    [row] = [row for row in rows if row["Customer"] == customer]
    return row["Action"], row["Reason"]


def test_log_refuses_what_only_the_run_records_and_a_send_without_its_stage(
        book, tmp_path, capsys):
    base = ["log", str(book), "--customer", "DIJ04", "--as-of", "2026-11-20"]
    before = book.read_bytes()
    assert main([*base, "--outcome", "sent"]) == 1
    assert capsys.readouterr().err == ("Error: --stage: a reminder sent by hand needs its "
                                       "stage, so that the reminders climb on from it\n")
    for outcome, why in (("failed", "a message the mail server refused"),
                         ("promise broken", "a promise to pay whose date passed unpaid")):
        assert main([*base, "--outcome", outcome, "--stage", "firm"]) == 1
        assert capsys.readouterr().err == (
            f"Error: --outcome: '{outcome}' is recorded by the reminder run itself ({why}), "
            "not logged by hand\n")
    assert main([*base, "--outcome", "handed off"]) == 1
    assert "Error: --stage: a hand-off needs the stage it was made at, one whose action is " \
           "task (here: handoff)" in capsys.readouterr().err
    assert main([*base, "--outcome", "handed off", "--stage", "firm"]) == 1
    assert "not at 'firm'" in capsys.readouterr().err
    assert main([*base, "--outcome", "sent", "--stage", "handoff"]) == 1  # a task: handed off
    assert ("Error: --stage: a reminder is sent at a stage that sends one (here: courtesy, "
            "friendly, firm, final), not at 'handoff'") in capsys.readouterr().err
    assert main([*base, "--outcome", "hold", "--next-action", "2026-11-19"]) == 1
    assert ("Error: --next-action: a hold lasts until a day from the contact's on "
            "(2026-11-20), not 2026-11-19, which is past") in capsys.readouterr().err
    assert book.read_bytes() == before  # nothing logged, so nothing holds DIJ04
    assert previewed_action(book, tmp_path, "DIJ04", capsys)[0] == "send"


def test_a_reminder_sent_by_hand_is_logged_with_its_stage_and_holds_the_next(
        book, tmp_path, capsys):
    assert main(["log", str(book), "--customer", "DIJ04", "--outcome", "sent",
                 "--stage", "Firm", "--channel", "email", "--as-of", "2026-11-20"]) == 0
    assert "Logged 'reminder sent' for DIJ04" in capsys.readouterr().out
    [row] = logged_rows(book)
    assert (row[1], row[3], row[4], row[7]) == ("DIJ04", "email", "firm", "reminder sent")
    action, reason = previewed_action(book, tmp_path, "DIJ04", capsys)
    assert action == "wait" and "3 days ago" in reason


def test_a_file_handed_off_by_hand_at_a_task_stage_stops_the_reminders(
        book, tmp_path, capsys):
    assert main(["log", str(book), "--customer", "DIJ04", "--outcome", "handed off",
                 "--stage", "handoff", "--note", "passed to Inkasso Nord",
                 "--as-of", "2026-11-20"]) == 0
    [row] = logged_rows(book)
    assert (row[4], row[7]) == ("handoff", "handed off")
    action, reason = previewed_action(book, tmp_path, "DIJ04", capsys)
    assert action == "skip" and "no further stage" in reason


def test_a_refusal_names_the_option_the_value_came_from_not_a_column(book, capsys):
    base = ["log", str(book), "--customer", "DIJ04", "--as-of", "2026-11-20"]
    for options, expected in (
            (["--outcome", "dispute"], "--invoices: a dispute needs the invoices it is about"),
            (["--outcome", "resolved"],
             "--invoices: resolving a dispute needs the invoices it is about"),
            (["--outcome", "maybe"], "--outcome: unknown outcome 'maybe': expected one of "
                                     "left voicemail,"),
            (["--outcome", "voicemail", "--channel", "fax"], "--channel: unknown channel 'fax'"),
            (["--outcome", "promise"], "--promise-date: a promise to pay needs its date"),
            (["--outcome", "promise", "--promise-date", "2026-12-01", "--promise-amount",
              "99999999"], "--promise-amount: the promised 99,999,999.00 is more than"),
            (["--outcome", "hold"], "--next-action: a hold needs the date it lasts until"),
            (["--outcome", "reminder", "--stage", "later"], "--stage: no stage named 'later'"),
    ):
        assert main([*base, *options]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"Error: {expected}") and "column" not in err, (options, err)
        if "unknown outcome" in err:  # the list is what a person may log
            listed = err.split("expected one of ")[1]
            assert "reminder sent" in listed and not {"failed", "promise broken"} & set(
                listed.split(" (or ")[0].split(", "))


def test_the_timestamp_is_kept_in_utc_without_a_zone(book, capsys):
    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "voicemail",
                 "--now", "2026-11-23T10:00+01:00"]) == 0
    [row] = logged_rows(book)
    assert row[0] == dt.datetime(2026, 11, 23, 9, 0)  # as the README and Instructions say


def test_a_payment_plan_agreed_is_logged_only_for_a_plan_in_the_sheet(book, capsys):
    base = ["log", str(book), "--customer", "CAS03", "--outcome", "plan",
            "--as-of", "2026-11-23"]
    before = book.read_bytes()
    assert main(base) == 1
    assert capsys.readouterr().err == (
        "Error: --outcome: customer CAS03 has no running payment plan in the PaymentPlans "
        "sheet: make the plan first with `dunning plan` (or the Payment plan button), which "
        "logs 'payment plan agreed' itself\n")
    assert book.read_bytes() == before  # nothing logged
    assert main(["plan", str(book), "--customer", "CAS03", "--instalments", "3",
                 "--start", "2026-12-15", "--as-of", "2026-11-23"]) == 0
    capsys.readouterr()
    [made] = logged_rows(book)
    assert main([*base, "--invoices", made[2].split(", ")[-1]]) == 0  # one the plan covers
    assert "Logged 'payment plan agreed' for CAS03" in capsys.readouterr().out
    covered = made[2].split(", ")
    invoices = sample_invoices()
    outside = [number for number in invoices.loc[invoices["Customer"] == "CAS03", "Invoice No"]
               if number not in covered]
    assert outside  # CAS03's paid invoices, which the plan leaves out: no plan agreed for them
    assert main([*base, "--invoices", outside[0]]) == 1
    assert f"has no running payment plan covering {outside[0]}" in capsys.readouterr().err
    assert main(["log", str(book), "--customer", "DIJ04", "--outcome", "plan",
                 "--as-of", "2026-11-23"]) == 1  # CAS03's plan is not DIJ04's
    assert "customer DIJ04 has no running payment plan in" in capsys.readouterr().err


def test_a_reminder_sent_by_hand_takes_its_stages_channel_unless_told(book, capsys):
    """A reminder at an email stage was an e-mail; a call is logged as a phone call."""
    assert main(["log", str(book), "--customer", "DIJ04", "--outcome", "sent", "--stage",
                 "firm", "--as-of", "2026-11-20"]) == 0
    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "voicemail",
                 "--as-of", "2026-11-20"]) == 0
    assert main(["log", str(book), "--customer", "JOI10", "--outcome", "handed off",
                 "--stage", "handoff", "--as-of", "2026-11-20"]) == 0
    assert [(row[1], row[3]) for row in logged_rows(book)] == [
        ("DIJ04", "email"), ("CAS03", "phone"), ("JOI10", "phone")]
