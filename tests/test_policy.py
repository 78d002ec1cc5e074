"""The dunning policy: who gets which reminder today, and why."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.core.contactlog import CONTACT_LOG_COLUMNS, CONTACT_LOG_HEADERS, contact_log_frame
from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.core.policy import (
    DEFAULT_STAGES,
    Policy,
    Stage,
    decide,
    describe_days,
    is_valid_email,
    parse_recipients,
    parse_time,
    parse_working_days,
    policy_from_settings,
)
from dunning.demo import SAMPLE_AS_OF, sample_customers, sample_invoices
from dunning.io.client_workbook import SETTINGS_ROWS, STAGE_ROWS
from dunning.sheets.customers import customers_frame
from dunning.sheets.settings import read_settings

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 11, 10, 0, tzinfo=UTC)  # a Wednesday; 11:00 in Berlin
TODAY = pd.Timestamp("2026-03-11")
HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Currency",
          "Disputed", "Written Off"]


def item(invoice, customer, days_past_due, amount=100.0, *, paid=None, currency="EUR",
         disputed="No", written_off="No", issued=None):
    """A ledger row whose due date lies `days_past_due` days before NOW's date."""
    due = TODAY - pd.Timedelta(days=days_past_due)
    issued = issued or min(due, TODAY) - pd.Timedelta(days=30)
    return [invoice, customer, issued.date(), due.date(), amount, paid, currency, disputed,
            written_off]


def ledger(*rows):
    return build_ledger([HEADER, *rows]).frame


def customers(*ids, **columns):
    """Customers with an address each; keyword lists override columns, one value per id."""
    table = {
        "customer": list(ids),
        "name": [f"{c} Ltd" for c in ids],
        "contact_name": ["Pat" for _ in ids],
        "email": [f"ap@{c.lower()}.example.com" for c in ids],
        "language": ["en" for _ in ids],
        "time_zone": ["" for _ in ids],
        "opt_out": [False for _ in ids],
        "do_not_contact": [False for _ in ids],
    }
    table.update(columns)
    return pd.DataFrame(table)


def contact(customer, when, outcome="sent", *, stage="", invoices="", promise_date=None,
            promise_amount=None):
    """One ContactLog row; `when` is days before NOW (a number) or a naive UTC timestamp."""
    stamp = NOW.replace(tzinfo=None) - pd.Timedelta(days=when) if isinstance(
        when, (int, float)) else pd.Timestamp(when)
    return {"timestamp": stamp, "customer": customer, "invoices": invoices, "channel": "email",
            "stage": stage, "subject": "", "message_id": "", "outcome": outcome,
            "promise_date": pd.Timestamp(promise_date) if promise_date else pd.NaT,
            "promise_amount": promise_amount, "next_action_date": pd.NaT, "user": "", "note": ""}


def log(*rows):
    frame = pd.DataFrame(list(rows), columns=list(CONTACT_LOG_COLUMNS))
    for name in ("timestamp", "promise_date", "next_action_date"):
        frame[name] = pd.to_datetime(frame[name])
    frame["promise_amount"] = frame["promise_amount"].astype(float)
    return frame


def run(rows, who=None, history=(), policy=None, now=NOW, plans=None, **keywords):
    frame = ledger(*rows)
    ids = sorted(set(frame["customer"]))
    return decide(frame, customers(*ids) if who is None else who, log(*history),
                  policy or Policy(), now, plans, **keywords)


def one(decisions, customer="A"):
    rows = decisions.customers[decisions.customers["customer"] == customer]
    assert len(rows) == 1
    return rows.iloc[0]


def reasons(decisions):
    return decisions.items.set_index("invoice")["reason"].to_dict()


# ------------------------------------------------------------------ stages


@pytest.mark.parametrize(("days", "previous", "action", "stage"), [
    (-5, None, "skip", ""),
    (-3, None, "send", "courtesy"),
    (0, None, "send", "courtesy"),
    (0, "courtesy", "skip", ""),
    (1, None, "send", "friendly"),
    (1, "courtesy", "send", "friendly"),
    (14, "friendly", "skip", ""),
    (15, "friendly", "send", "firm"),
    (40, None, "send", "friendly"),
    (40, "friendly", "send", "firm"),
    (40, "firm", "send", "final"),
    (40, "final", "skip", ""),
    (70, "final", "task", "handoff"),
    (70, "handoff", "skip", ""),
])
def test_stage_from_days_past_due_climbing_one_stage_per_run(days, previous, action, stage):
    history = [contact("A", 10, stage=previous, invoices="INV-1")] if previous else []
    decision = one(run([item("INV-1", "A", days)], history=history))
    assert (decision["action"], decision["stage"]) == (action, stage)
    assert decision["previous_stage"] == (previous or "")


def test_reasons_say_what_and_why_in_plain_words():
    history = [contact("A", 10, stage="firm", invoices="INV-7")]
    decision = one(run([item("INV-7", "A", 34)], history=history))
    assert decision["reason"] == "final notice: 34 days past due (INV-7)"

    climbing = one(run([item("INV-7", "A", 34)]))
    assert climbing["reason"] == ("friendly reminder: 34 days past due (INV-7); "
                                  "final notice is due, but stages climb one at a time (Start "
                                  "At Due Stage starts a backlog there)")
    courtesy = one(run([item("INV-8", "A", -3)]))
    assert courtesy["reason"] == "courtesy reminder: due in 3 days (INV-8)"
    early = one(run([item("INV-9", "A", -10)]))
    assert early["reason"] == ("not due for a reminder yet: INV-9 is due in 10 days; next: "
                               "courtesy reminder at 3 days before the due date (in 7 days)")
    done = one(run([item("INV-7", "A", 40)], history=[
        contact("A", 9, stage="final", invoices="INV-7")]))
    assert done["reason"] == ("final notice already sent on 2026-03-02; next: hand-off at "
                              "60 days past due (in 20 days)")


def test_the_hand_off_stage_is_a_task_and_sends_nothing():
    history = [contact("A", 20, stage="final", invoices="INV-1")]
    # No address, outside the window, on a weekend: a task for a person still stands.
    who = customers("A", email=[""], time_zone=["Asia/Tokyo"])
    saturday_night = dt.datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
    decision = one(run([item("INV-1", "A", 75)], who, history, now=saturday_night))
    assert decision["action"] == "task" and decision["stage"] == "handoff"
    assert decision["reason"] == ("hand-off: 78 days past due (INV-1); "
                                  "a person must take over, nothing is sent")
    again = one(run([item("INV-1", "A", 75)], who, [
        *history, contact("A", 1, stage="handoff", invoices="INV-1")]))
    assert again["action"] == "skip"
    assert again["reason"].startswith("hand-off task already logged on 2026-03-10; no further")


def test_the_last_stage_comes_from_sent_rows_about_items_still_open():
    rows = [item("INV-2", "A", 40)]
    # A final notice about an invoice since paid belongs to an earlier round: climb afresh.
    assert one(run(rows, history=[contact("A", 30, stage="final", invoices="INV-1")])
               )["stage"] == "friendly"
    # A failed send is not a stage reached; a sent row naming no invoice counts.
    assert one(run(rows, history=[contact("A", 30, "failed", stage="final", invoices="INV-2")])
               )["stage"] == "friendly"
    assert one(run(rows, history=[contact("A", 30, stage="firm")]))["stage"] == "final"
    # The latest sent row decides, whatever the order of the log.
    history = [contact("A", 10, stage="firm", invoices="INV-2"),
               contact("A", 20, stage="friendly", invoices="INV-2")]
    assert one(run(rows, history=history))["stage"] == "final"


def test_a_send_in_doubt_holds_the_customer_until_settled():
    rows = [item("INV-1", "A", 20), item("INV-2", "B", 20)]
    friendly = contact("A", 8, stage="friendly", invoices="INV-1")
    doubt = {"A": "A|firm|2026-03-10, since 2026-03-10 10:00 UTC"}
    decisions = run(rows, history=[friendly], in_doubt=doubt)
    held = one(decisions)
    assert held["action"] == "wait" and held["stage"] == "firm"  # not the next step, nor again
    assert "a send in doubt (A|firm|2026-03-10" in held["reason"] and "--settle" in held["reason"]
    assert one(decisions, "B")["action"] == "send"  # only the customer in doubt waits
    # No task either, days later, while it stands; once settled, the policy decides afresh.
    later = run([item("INV-1", "A", 70)], history=[friendly], in_doubt=doubt)
    assert one(later)["action"] == "wait"
    assert one(run(rows, history=[friendly]))["action"] == "send"


def test_an_address_refused_for_good_holds_the_customer_until_it_is_changed():
    """The caller's journal facts in, the verdict out: skipped with the address, the day and
    the cell to fix, while the Customers table gives that address (in any case); a changed
    address, a letter or a task stage is not held; other customers are not touched."""
    rows = [item("INV-1", "A", 20), item("INV-2", "B", 20)]
    refusal = rules.Refusal("AP@a.example.com", "2026-03-09", "AP@a.example.com refused: 550 "
                            "5.1.1 no such user", "A|friendly|2026-03-09",
                            "Customers!D2 (Contact Email)")
    decisions = run(rows, refused={"A": refusal})
    held = one(decisions)
    assert held["action"] == "skip" and held["refused"] == "AP@a.example.com"
    assert held["reason"].startswith("address refused: the mail server refused "
                                     "AP@a.example.com for good on 2026-03-09")
    assert "fix the e-mail address in Customers!D2 (Contact Email), or call" in held["reason"]
    assert "550 5.1.1 no such user" in held["reason"]
    assert one(decisions, "B")["action"] == "send" and one(decisions, "B")["refused"] == ""
    fixed = customers("A", "B", email=["accounts@a.example.com", "ap@b.example.com"])
    assert one(run(rows, who=fixed, refused={"A": refusal}))["action"] == "send"
    by_post = customers("A", "B", channel=["letter", ""], address_line_1=["1 Main St", ""])
    assert one(run(rows, who=by_post, refused={"A": refusal}))["refused"] == ""
    handoff = one(run([item("INV-1", "A", 70)],
                      history=[contact("A", 10, stage="final", invoices="INV-1")],
                      refused={"A": refusal}))
    assert handoff["action"] == "task" and handoff["refused"] == ""


def test_the_minimum_gap_between_two_messages():
    rows = [item("INV-1", "A", 20)]
    waiting = one(run(rows, history=[contact("A", 2, stage="friendly", invoices="INV-1")]))
    assert waiting["action"] == "wait" and waiting["stage"] == "firm"
    assert waiting["reason"] == ("waiting: the last reminder was sent 2 days ago, on "
                                 "2026-03-09; at least 5 days between reminders")
    today = one(run(rows, history=[contact("A", 0.1, stage="friendly", invoices="INV-1")]))
    assert today["reason"].startswith("waiting: the last reminder was sent today")
    # The gap counts calendar days: five days later any time of day will do.
    late = contact("A", "2026-03-06 23:59", stage="friendly", invoices="INV-1")
    assert one(run(rows, history=[late]))["action"] == "send"
    assert one(run(rows, history=[late], policy=Policy(min_gap_days=6)))["action"] == "wait"


def test_the_cap_on_messages_in_a_rolling_period():
    rows = [item("INV-1", "A", 45)]
    history = [contact("A", 28, stage="friendly"), contact("A", 20, stage="friendly"),
               contact("A", 10, stage="firm", invoices="INV-1")]
    capped = one(run(rows, history=history))
    assert capped["action"] == "wait" and capped["stage"] == "final"
    assert capped["reason"] == ("waiting: 3 reminders sent in the last 30 days, "
                                "the most allowed is 3")
    history[0] = contact("A", 30, stage="friendly")  # now outside the 30 days
    assert one(run(rows, history=history))["action"] == "send"
    assert one(run(rows, history=history, policy=Policy(cap_messages=2)))["action"] == "wait"


# ------------------------------------------------- one decision per customer


def test_one_decision_per_customer_escalated_by_its_most_overdue_item():
    rows = [item("INV-1", "A", 2, 100), item("INV-2", "A", 35, 250.5), item("INV-3", "A", -2, 10),
            item("INV-4", "B", 3, 40)]
    decisions = run(rows, history=[contact("A", 8, stage="firm", invoices="INV-2")])
    assert decisions.customers["customer"].tolist() == ["A", "B"]
    a = one(decisions)
    assert a["stage"] == "final" and a["driving_invoice"] == "INV-2"
    assert a["max_days_past_due"] == 35
    assert a["items"] == ["INV-2", "INV-1", "INV-3"]  # by due date
    assert a["total_by_currency"] == {"EUR": 360.5}
    assert a["email"] == "ap@a.example.com" and a["recipients"] == ("ap@a.example.com",)
    assert a["name"] == "A Ltd" and a["template"] == "final" and a["language"] == "en"
    assert one(decisions, "B")["stage"] == "friendly"


def test_items_below_the_tolerance_are_left_alone():
    decisions = run([item("INV-1", "A", 20, 4.99), item("INV-2", "A", 3, 5.00),
                     item("INV-0", "A", 2, 50.0), item("INV-3", "B", 20, 4.99),
                     item("INV-4", "C", 20, 5.00)])
    assert reasons(decisions) == {"INV-1": "below tolerance 5.00", "INV-2": "", "INV-0": "",
                                  "INV-3": "below tolerance 5.00",
                                  "INV-4": "net balance EUR 5.00 is not above tolerance 5.00"}
    assert one(decisions)["driving_invoice"] == "INV-2"
    assert one(decisions)["total_by_currency"] == {"EUR": 55.0}
    assert one(decisions, "B")["action"] == "skip"
    assert one(decisions, "B")["reason"] == "nothing to chase: below tolerance 5.00 (INV-3)"
    assert reasons(run([item("INV-1", "A", 20, 4.99)], policy=Policy(tolerance=0)))[
        "INV-1"] == ""


def test_credit_notes_are_shown_and_netted_per_currency():
    decisions = run([item("INV-1", "A", 20, 100), item("CN-1", "A", 5, -30),
                     item("INV-2", "A", 3, 80, currency="USD"),
                     item("INV-3", "B", 20, 100), item("CN-2", "B", 1, -98)])
    a = one(decisions)
    assert a["action"] == "send" and a["total_by_currency"] == {"EUR": 70.0, "USD": 80.0}
    assert set(a["items"]) == {"INV-1", "CN-1", "INV-2"}
    assert reasons(decisions)["CN-1"] == "credit, netted"
    items = decisions.items.set_index("invoice")
    assert items.loc["CN-1", "included"] and items.loc["CN-1", "open_balance"] == -30
    b = one(decisions, "B")
    assert b["action"] == "skip" and b["total_by_currency"] == {}
    assert b["reason"] == ("nothing to chase: net balance EUR 2.00 is not above tolerance "
                           "5.00 (INV-3, CN-2)")


def test_paid_and_not_yet_issued_items_are_not_considered():
    rows = [item("INV-1", "A", 20, 100, paid=100), item("INV-2", "B", 20, 100, paid=60),
            item("INV-3", "C", -40, 100, issued=TODAY + pd.Timedelta(days=5))]
    decisions = run(rows)
    assert decisions.customers["customer"].tolist() == ["B"]
    assert decisions.items["invoice"].tolist() == ["INV-2"]
    assert one(decisions, "B")["total_by_currency"] == {"EUR": 40.0}
    empty = run([item("INV-1", "A", 20, 100, paid=100)])
    assert empty.customers.empty and list(empty.customers.columns)[0] == "customer"


def test_disputed_and_written_off_items_are_not_chased():
    decisions = run([item("INV-1", "A", 40, disputed="Yes"), item("INV-2", "A", 5),
                     item("INV-3", "B", 40, disputed="Yes"), item("INV-4", "B", 50,
                                                                  disputed="Yes"),
                     item("INV-5", "C", 40, written_off="Yes")])
    a = one(decisions)
    assert a["action"] == "send" and a["items"] == ["INV-2"]
    assert a["reason"] == "friendly reminder: 5 days past due (INV-2)"
    assert reasons(decisions)["INV-1"] == "disputed"
    b = one(decisions, "B")
    assert b["action"] == "skip" and b["reason"] == "all open items are disputed (INV-4, INV-3)"
    assert one(decisions, "C")["reason"] == "nothing to chase: written off (INV-5)"


def test_a_dispute_in_the_contact_log_holds_until_a_later_entry_settles_it():
    rows = [item("INV-1", "A", 30), item("INV-2", "A", 20)]
    disputed = [contact("A", 6, "disputed", invoices="INV-1")]
    decisions = run(rows, history=disputed)
    assert reasons(decisions) == {"INV-1": "disputed", "INV-2": ""}
    everything = run(rows, history=[contact("A", 6, "disputed")])
    assert one(everything)["reason"] == "all open items are disputed (INV-1, INV-2)"
    # A customer-wide dispute does not reach invoices issued after it.
    later = run([*rows, item("INV-3", "A", 2, issued=TODAY - pd.Timedelta(days=3))],
                history=[contact("A", 6, "disputed")])
    assert one(later)["items"] == ["INV-3"]
    resolved = run(rows, history=[*disputed, contact("A", 2, "waiting for approval",
                                                     invoices="INV-1")])
    assert reasons(resolved)["INV-1"] == ""
    voicemail = run(rows, history=[*disputed, contact("A", 2, "left voicemail")])
    assert reasons(voicemail)["INV-1"] == "disputed"


def test_an_open_promise_to_pay_holds_until_its_date_has_passed():
    rows = [item("INV-1", "A", 30, 500), item("INV-2", "B", 30), item("INV-3", "B", 25)]
    promise = [contact("A", 3, "promised to pay", promise_date="2026-03-20",
                       promise_amount=500),
               contact("B", 3, "promised to pay", invoices="INV-2", promise_date="2026-03-11")]
    decisions = run(rows, history=promise)
    assert one(decisions)["action"] == "skip"
    assert one(decisions)["reason"] == "nothing to chase: promise to pay until 2026-03-20 (INV-1)"
    # On the promised day it still holds; it covers only the invoices it names.
    assert reasons(decisions)["INV-2"] == "promise to pay until 2026-03-11"
    assert one(decisions, "B")["items"] == ["INV-3"]
    assert decisions.broken_promises.empty


def test_a_broken_promise_resumes_chasing_and_is_reported():
    rows = [item("INV-1", "A", 10, 500), item("INV-2", "A", 5, 100)]
    promise = contact("A", 12, "promised to pay", promise_date="2026-03-05",
                      promise_amount=600)
    decisions = run(rows, history=[promise])
    a = one(decisions)
    assert a["action"] == "send" and a["items"] == ["INV-1", "INV-2"]
    assert a["reason"] == ("friendly reminder: 10 days past due (INV-1); "
                           "the promise to pay by 2026-03-05 was not kept")
    broken = decisions.broken_promises
    assert broken[["customer", "promise_amount", "open_balance"]].values.tolist() == [
        ["A", 600.0, 600.0]]
    assert broken.loc[0, "promise_date"] == pd.Timestamp("2026-03-05")
    assert broken.loc[0, "logged"] == pd.Timestamp("2026-02-27 10:00")
    # Once a reminder has gone out after the promised date, it is no longer news.
    chased = run(rows, history=[promise, contact("A", 2, stage="friendly", invoices="INV-1")])
    assert chased.broken_promises.empty
    # A later "payment sent" replaces the promise: chased again, but not reported as broken.
    claimed = run(rows, history=[promise, contact("A", 4, "payment sent")])
    assert one(claimed)["action"] == "send" and claimed.broken_promises.empty
    # Paid in full: nothing open, nothing broken.
    paid = run([item("INV-1", "A", 10, 500, paid=500), item("INV-2", "A", 5, 100, paid=100),
                item("INV-3", "B", 1)], history=[promise])
    assert paid.broken_promises.empty


def test_a_promise_for_part_of_the_balance_is_kept_once_that_part_is_paid():
    promise = dict(contact("A", 12, "promised to pay", invoices="INV-1",
                           promise_date="2026-03-05", promise_amount=200), open_balance=500.0)
    rows = [item("INV-1", "A", 10, 500, paid=200)]  # 200 of 500 paid since the promise
    decisions = run(rows, history=[promise])
    assert decisions.broken_promises.empty
    assert "not kept" not in one(decisions)["reason"]  # the other 300 is chased as usual
    short = run([item("INV-1", "A", 10, 500, paid=50)], history=[promise])
    assert short.broken_promises["customer"].tolist() == ["A"]


def test_a_payment_plan_being_kept_holds_the_customer():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30), item("INV-3", "C", 30)]
    plans = pd.DataFrame({"customer": ["A", "B", "C"], "status": ["active", "Kept", "missed"]})
    decisions = run(rows, plans=plans)
    assert one(decisions)["reason"] == "nothing to chase: payment plan being kept (INV-1)"
    assert one(decisions, "B")["action"] == "skip"
    assert one(decisions, "C")["action"] == "send"


def test_opt_out_and_do_not_contact_are_respected():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30), item("INV-3", "C", 30)]
    who = customers("A", "B", "C", opt_out=[True, False, False],
                    do_not_contact=[False, True, False])
    decisions = run(rows, who, history=[contact("C", 40, "opted out")])
    assert one(decisions)["reason"] == "opted out of reminders"
    assert one(decisions, "B")["reason"] == "marked do not contact in the Customers table"
    assert one(decisions, "C")["reason"] == "opted out of reminders"
    assert set(decisions.customers["action"]) == {"skip"}


def test_an_opt_out_on_a_duplicate_customer_row_holds():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30)]
    who = customers("A", "A", "B", "B", opt_out=[False, True, False, False],
                    do_not_contact=[False, False, False, True])
    decisions = run(rows, who)
    assert one(decisions)["reason"] == "opted out of reminders"
    assert one(decisions, "B")["reason"] == "marked do not contact in the Customers table"


def test_flags_given_as_text_are_read_not_cast():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30)]
    who = customers("A", "B", opt_out=["No", "Yes"], do_not_contact=[None, "no"])
    decisions = run(rows, who)
    assert one(decisions)["action"] == "send" and one(decisions, "B")["action"] == "skip"
    with pytest.raises(DunningInputError, match=r"Customers row 3 \(Opt Out\): expected Yes"):
        run(rows, customers("A", "B", opt_out=["No", "maybe"]))


# ------------------------------------------------------------- addresses


@pytest.mark.parametrize("address", [
    "ap@example.com", "first.last+tag@sub.example.co.uk", "o'brien@example.ie",
    "x@xn--bcher-kva.example", "A_B-C@EXAMPLE.ORG",
])
def test_valid_addresses(address):
    assert is_valid_email(address)


@pytest.mark.parametrize("address", [
    "", "ap", "ap@", "@example.com", "ap@example", "ap@@example.com", "ap@example..com",
    ".ap@example.com", "ap.@example.com", "a p@example.com", "Pat <ap@example.com>",
    "ap@example.com,b@example.com", "ap@example.com\r\nBcc: all@example.com",
    "ap@-example.com", "ap@example.c", "mailto:ap@example.com", "jürgen@example.de",
    "ap@exa_mple.com",
])
def test_invalid_addresses(address):
    assert not is_valid_email(address)


def test_several_addresses_separated_by_semicolons():
    assert parse_recipients(" a@x.com; b@y.org ;") == (("a@x.com", "b@y.org"), "")
    assert parse_recipients("a@x.com; a@x.com") == (("a@x.com",), "")
    assert parse_recipients("a@x.com; b@") == (
        (), "no valid email address: 'b@' is not an address (several must be separated by ';')")
    assert parse_recipients(None) == ((), "no email address in the Customers table")


def test_customers_without_a_usable_address_are_skipped_with_the_reason():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30), item("INV-3", "C", 30),
            item("INV-4", "D", 30), item("INV-5", "Z", 30)]
    who = customers("A", "B", "C", "D", email=["ap@a.example.com; boss@a.example.com", "",
                                              "ap@c.example.com\nBcc: x@evil.example",
                                              "ap at d"])
    decisions = run(rows, who)
    a = one(decisions)
    assert a["action"] == "send" and a["email"] == "ap@a.example.com, boss@a.example.com"
    assert one(decisions, "B")["reason"] == "no email address in the Customers table"
    assert one(decisions, "C")["reason"].startswith("no valid email address: 'ap@c.example.com")
    assert one(decisions, "D")["action"] == "skip"
    z = one(decisions, "Z")
    assert z["reason"] == "not in the Customers table, so no email address"
    assert z["name"] == "Z"  # from the ledger


# ------------------------------------------------------------------ timing


def test_the_send_window_is_in_the_customers_own_time_zone():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30), item("INV-3", "C", 30)]
    who = customers("A", "B", "C", time_zone=["Europe/Berlin", "america/new_york", ""])
    evening = dt.datetime(2026, 3, 11, 18, 40, tzinfo=UTC)
    decisions = run(rows, who, now=evening)
    a = one(decisions)
    assert a["action"] == "wait" and a["stage"] == "friendly"
    assert a["reason"] == ("waiting: 19:40 in Europe/Berlin is outside the send window "
                           "08:00-18:00")
    b = one(decisions, "B")
    assert b["action"] == "send" and b["time_zone"] == "America/New_York"
    c = one(decisions, "C")  # blank: the default zone, UTC
    assert c["action"] == "wait" and c["time_zone"] == "UTC"


@pytest.mark.parametrize(("hour", "minute", "action"), [
    (6, 59, "wait"), (7, 0, "send"), (16, 59, "send"), (17, 0, "wait"),
])
def test_the_window_includes_its_start_and_excludes_its_end(hour, minute, action):
    who = customers("A", time_zone=["Europe/Berlin"])
    now = dt.datetime(2026, 3, 11, hour, minute, tzinfo=UTC)
    assert one(run([item("INV-1", "A", 30)], who, now=now))["action"] == action


def test_working_days_in_the_customers_time_zone():
    rows = [item("INV-1", "A", 30), item("INV-2", "B", 30)]
    who = customers("A", "B", time_zone=["Asia/Tokyo", "America/New_York"])
    friday_evening = dt.datetime(2026, 3, 13, 20, 0, tzinfo=UTC)  # Saturday 05:00 in Tokyo
    decisions = run(rows, who, now=friday_evening)
    assert one(decisions)["reason"] == ("waiting: Saturday in Asia/Tokyo is not a working day "
                                        "(Mon-Fri)")
    assert one(decisions, "B")["action"] == "send"
    weekend_shop = Policy(working_days=frozenset({1, 2, 3, 4, 5}), window_start=dt.time(5))
    assert one(run(rows, who, now=friday_evening, policy=weekend_shop))["action"] == "send"


def test_an_unknown_time_zone_uses_the_default_and_says_so():
    who = customers("A", time_zone=["Mars/Olympus"])
    policy = Policy(default_time_zone="Europe/Berlin")
    decision = one(run([item("INV-1", "A", 30)], who, policy=policy))
    assert decision["action"] == "send" and decision["time_zone"] == "Europe/Berlin"
    assert decision["reason"].endswith(
        "; time zone 'Mars/Olympus' not recognised, used Europe/Berlin")


def test_the_run_date_is_nows_date_in_the_default_zone_unless_given():
    rows = [item("INV-1", "A", 0)]  # due 2026-03-11
    late_evening = dt.datetime(2026, 3, 11, 23, 30, tzinfo=UTC)
    tokyo = Policy(default_time_zone="Asia/Tokyo")
    assert run(rows, now=late_evening).as_of == dt.date(2026, 3, 11)
    decisions = run(rows, now=late_evening, policy=tokyo)
    assert decisions.as_of == dt.date(2026, 3, 12)
    assert one(decisions)["max_days_past_due"] == 1
    replay = run(rows, now=late_evening, as_of=dt.date(2026, 3, 1))
    assert one(replay)["max_days_past_due"] == -10
    with pytest.raises(ValueError, match="timezone-aware"):
        run(rows, now=dt.datetime(2026, 3, 11, 10))


def test_log_rows_after_the_run_are_ignored():
    rows = [item("INV-1", "A", 30)]
    future = contact("A", -1, stage="friendly", invoices="INV-1")
    assert one(run(rows, history=[future]))["action"] == "send"
    replay = run(rows, history=[contact("A", 3, stage="friendly", invoices="INV-1")],
                 as_of=dt.date(2026, 3, 1))
    assert one(replay)["previous_stage"] == ""


def test_frames_as_the_workbook_readers_build_them():
    table = pd.DataFrame([
        ["2026-03-01 09:15:00", "A", "INV-1, INV-2", "email", "Friendly", "Reminder", "<m@x>",
         "sent", None, None, None, "ann", ""],
        ["2026-03-02 16:00:00", "A", "INV-2", "phone", "", "", "", "Promised to pay",
         "2026-03-25", 80, None, "ann", "will pay"],
    ], columns=list(CONTACT_LOG_HEADERS[:-1]))  # a log from before the Open Balance column
    who = customers_frame(pd.DataFrame({
        "Customer": ["A"], "Name": ["Acme"], "Contact Email": ["ap@acme.example"],
        "Time Zone": ["Europe/Vienna"], "Opt Out": ["No"], "Do Not Contact": [None]}))
    frame = ledger(item("INV-1", "A", 20), item("INV-2", "A", 20, 80))
    decisions = decide(frame, who, contact_log_frame(table), Policy(), NOW)
    a = one(decisions)
    assert (a["action"], a["stage"], a["previous_stage"]) == ("send", "firm", "friendly")
    assert a["items"] == ["INV-1"] and a["name"] == "Acme"
    assert reasons(decisions)["INV-2"] == "promise to pay until 2026-03-25"


def test_missing_tables_mean_no_history_and_no_addresses():
    frame = ledger(item("INV-1", "A", 20))
    decisions = decide(frame, None, None, Policy(), NOW)
    assert one(decisions)["reason"] == "not in the Customers table, so no email address"
    nothing = decide(frame.iloc[:0], None, None, Policy(), NOW)
    assert nothing.customers.empty and nothing.items.empty and nothing.broken_promises.empty


# ------------------------------------------------------------ determinism


def test_the_order_of_the_inputs_does_not_matter():
    rows = [item(f"INV-{n}", f"C{n % 7}", n * 3 - 10, 10 + n) for n in range(30)]
    history = [contact(f"C{n % 7}", n + 1, stage="friendly", invoices=f"INV-{n}")
               for n in range(0, 30, 4)]
    first = run(rows, history=history)
    second = run(rows[::-1], history=history[::-1])
    assert first.customers["customer"].tolist() == sorted(first.customers["customer"])
    pd.testing.assert_frame_equal(first.customers, second.customers)
    pd.testing.assert_frame_equal(first.items.drop(columns="row"),
                                  second.items.drop(columns="row"))


def test_the_sample_workbook_gets_one_explained_decision_per_customer():
    frame = build_ledger(sample_invoices()).frame
    who = customers_frame(sample_customers())
    now = dt.datetime.combine(SAMPLE_AS_OF, dt.time(12), tzinfo=UTC)
    decisions = decide(frame, who, log(), Policy(), now)
    table = decisions.customers.set_index("customer")
    assert table.index.is_unique and (table["reason"] != "").all()
    assert table.loc["HPC08", "reason"] == "opted out of reminders"
    assert table.loc["GPO07", "reason"] == "marked do not contact in the Customers table"
    sent = table[table["action"] == "send"]
    assert not sent.empty and (sent["stage"].isin(["courtesy", "friendly"])).all()


# --------------------------------------------------------------- settings


def test_the_template_settings_give_the_default_policy():
    pairs = {name: value for name, value, _ in SETTINGS_ROWS}
    rows = [["Stage", "Days From Due", "Action", "Template"], *map(list, STAGE_ROWS)]
    assert read_settings(pairs).policy(rows) == Policy()
    assert policy_from_settings({}, None).stages == DEFAULT_STAGES


def test_settings_are_matched_loosely_and_read_from_any_cell_type():
    policy = read_settings({
        "minimum days between reminders": 7.0, "Tolerance amount": "EUR 10.00 ",
        "SEND WINDOW START": 0.375, "Send Window End": "6 pm", "Working Days": "Sun - Thu",
        "Default Time Zone": "asia/dubai", "Max Messages": "4", "Cap Days": 14,
    }).policy([["stage", "days from due", "action"], ["reminder", 7, ""], ["call", 21, "Task"],
               [None, None, None]])
    assert policy.min_gap_days == 7 and policy.tolerance == 10.0
    assert (policy.window_start, policy.window_end) == (dt.time(9), dt.time(18))
    assert policy.working_days == frozenset({6, 0, 1, 2, 3})
    assert policy.default_time_zone == "Asia/Dubai"
    assert (policy.cap_messages, policy.cap_days) == (4, 14)
    assert policy.stages == (Stage("reminder", 7, "email"), Stage("call", 21, "task"))


def test_unusable_settings_are_named():
    # The Settings are read (and refused) once, by dunning.sheets.settings; the Stages table
    # is read by the policy.
    with pytest.raises(DunningInputError) as raised:
        read_settings({
            "Minimum Days Between Reminders": "soon", "Send Window Start": "25:00",
            "Working Days": "weekdays", "Default Time Zone": "Berlin", "Tolerance Amount": -1,
        })
    text = str(raised.value)
    for expected in (
        "setting 'Minimum Days Between Reminders': expected a whole number",
        "setting 'Send Window Start': expected a time of day",
        "setting 'Working Days': expected days such as Mon-Fri",
        "setting 'Default Time Zone': expected a time zone name",
        "setting 'Tolerance Amount': expected an amount",
    ):
        assert expected in text
    with pytest.raises(DunningInputError) as raised:
        policy_from_settings({}, [["Stage", "Days From Due", "Action"],
                                  ["friendly", "one", "email"], ["firm", 15, "fax"],
                                  ["friendly", 20, "email"]])
    text = str(raised.value)
    for expected in (
        "Settings!G2 (Days From Due): expected a whole number of days",
        "Settings!H3 (Action): expected 'email', 'letter' or 'task'",
        "Settings!F4 (Stage): stage 'friendly' appears twice",
    ):
        assert expected in text
    with pytest.raises(DunningInputError, match="must end after it starts"):
        read_settings({"Send Window Start": "18:00", "Send Window End": "08:00"})


def test_the_policy_takes_typed_settings():
    policy = policy_from_settings({"min_gap_days": 7, "tolerance": 2.5, "cap_days": None,
                                   "window_end": dt.time(17, 30)})
    assert (policy.min_gap_days, policy.tolerance, policy.cap_days) == (7, 2.5, 30)
    assert policy.window_end == dt.time(17, 30) and policy.stages == DEFAULT_STAGES
    with pytest.raises(ValueError, match="send window must start before it ends"):
        policy_from_settings({"window_start": dt.time(18), "window_end": dt.time(8)})


@pytest.mark.parametrize(("value", "expected"), [
    ("08:00", dt.time(8)), ("8:30", dt.time(8, 30)), ("17.45", dt.time(17, 45)),
    ("6 pm", dt.time(18)), ("12am", dt.time(0)), (0.75, dt.time(18)), (9, dt.time(9)),
    (dt.time(7, 15), dt.time(7, 15)), (dt.datetime(1899, 12, 30, 8), dt.time(8)),
    ("24:00", None), ("noon", None), (30, None),
])
def test_times_of_day(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Mon-Fri", {0, 1, 2, 3, 4}), ("mon to sat", {0, 1, 2, 3, 4, 5}), ("Fri-Mon", {4, 5, 6, 0}),
    ("Mon, Wed; Friday", {0, 2, 4}), ("tu th", {1, 3}), ("t", set()), ("Mon-Fun", set()),
])
def test_working_days_text(text, expected):
    assert parse_working_days(text) == frozenset(expected)


def test_working_days_described():
    assert describe_days(frozenset({0, 1, 2, 3, 4})) == "Mon-Fri"
    assert describe_days(frozenset({0, 2, 3})) == "Mon, Wed, Thu"


def test_a_policy_checks_itself():
    with pytest.raises(ValueError, match="same day"):
        Policy(stages=(Stage("a", 1), Stage("b", 1)))
    with pytest.raises(ValueError, match="unknown time zone"):
        Policy(default_time_zone="Nowhere/Town")
    assert Policy(stages=(Stage("late", 30), Stage("early", 1))).stages[0].name == "early"


# ------------------------------------------------------------- properties

STAGE_NAMES = [stage.name for stage in DEFAULT_STAGES]
PAST_DUE = {stage.name for stage in DEFAULT_STAGES if stage.days_from_due > 0}

cases = st.lists(
    st.tuples(st.sampled_from("ABCDEF"), st.integers(-20, 90),
              st.sampled_from([-40.0, 0.0, 3.0, 5.0, 80.0, 1234.56]), st.booleans(),
              st.sampled_from(["EUR", "USD"])),
    min_size=1, max_size=25)
histories = st.lists(
    st.tuples(st.sampled_from("ABCDEF"), st.integers(0, 40), st.sampled_from(STAGE_NAMES),
              st.sampled_from(["sent", "sent", "failed", "disputed", "left voicemail"]),
              st.booleans()),
    max_size=12)


@settings(max_examples=60, deadline=None)
@given(cases, histories, st.integers(0, 23), st.integers(0, 6))
def test_properties_of_every_run(rows, history, hour, weekday):
    ledger_rows = [item(f"I{n}", customer, days, amount, disputed="Yes" if disputed else "No",
                        currency=currency)
                   for n, (customer, days, amount, disputed, currency) in enumerate(rows)]
    contacts = [contact(customer, ago + 0.5, outcome, stage=stage if outcome == "sent" else "",
                        invoices=f"I{ago % max(len(rows), 1)}" if named else "")
                for customer, ago, stage, outcome, named in history]
    now = NOW + dt.timedelta(days=weekday, hours=hour)
    decisions = run(ledger_rows, history=contacts, now=now)
    table, items = decisions.customers, decisions.items

    assert table["customer"].is_unique
    assert table["customer"].tolist() == sorted(table["customer"])
    assert set(table["customer"]) == set(items["customer"])
    owing = {customer for customer, _, amount, _, _ in rows if amount != 0}
    assert set(table["customer"]) == owing
    assert (table["reason"] != "").all()
    assert not items.loc[items["included"], "reason"].isin(["disputed"]).any()

    for decision in table.itertuples():
        chased = items[(items["customer"] == decision.customer) & items["included"]]
        totals = chased.groupby("currency")["open_balance"].sum().round(2).to_dict()
        assert decision.total_by_currency == totals
        assert all(total > 5.0 for total in totals.values())
        if decision.stage:
            order = STAGE_NAMES.index(decision.stage)
            previous = STAGE_NAMES.index(decision.previous_stage) if decision.previous_stage \
                else -1
            skipped = set(STAGE_NAMES[previous + 1:order]) & PAST_DUE
            assert order > previous and not skipped
        if decision.action == "send":
            assert now.weekday() < 5 and 8 <= now.hour < 18  # the default zone is UTC
            if pd.notna(decision.last_sent):
                assert (decisions.as_of - decision.last_sent).days >= 5


def test_stage_reached_by_days_alone():
    from dunning.core.policy import DEFAULT_STAGES, stage_reached

    names = {days: getattr(stage_reached(days), "name", None) for days in (-5, -3, 0, 1, 14, 15,
                                                                           59, 60, 400)}
    assert names == {-5: None, -3: "courtesy", 0: "courtesy", 1: "friendly", 14: "friendly",
                     15: "firm", 59: "final", 60: "handoff", 400: "handoff"}
    assert stage_reached(20, DEFAULT_STAGES[:2]).name == "friendly"


# ------------------------------------------------------------------- rules

from dataclasses import replace  # noqa: E402

from dunning.core import policy as rules  # noqa: E402

FRIENDLY, FIRM, FINAL, HANDOFF = (next(stage for stage in DEFAULT_STAGES if stage.name == name)
                                  for name in ("friendly", "firm", "final", "handoff"))
RULE_ORDER = [
    "held_by_dispute", "nothing_to_chase", "marked_do_not_contact", "opted_out",
    "on_hold", "held_by_a_send_in_doubt", "no_stage_to_act_on",
    "credits_cover_what_is_overdue", "below_the_minimum",
    "handed_to_a_person", "no_usable_address", "refused_for_good", "too_soon_after_the_last",
    "over_the_cap", "not_a_working_day", "a_public_holiday", "outside_the_send_window",
    "send_the_stage",
]


def case(**changes):
    """One customer due its firm reminder today, on a Wednesday at 10:00 UTC, nothing in the way."""
    sendable = rules.Case(
        customer="A", policy=Policy(), run_date=NOW.date(), local_now=NOW, zone="UTC",
        opt_out=False, do_not_contact=False, invoice="INV-1", days=20, stage=FIRM, due=FIRM,
        previous=FRIENDLY, previous_date=pd.Timestamp("2026-02-20"), address_problem="",
        last_sent=pd.Timestamp("2026-02-20"), recent=1, exclusions={})
    return replace(sendable, **changes)


def answering(a_case):
    return [rule.__name__ for rule in rules.RULES if rule(a_case) is not None]


def test_the_rules_are_asked_in_the_order_of_the_checks():
    assert [rule.__name__ for rule in rules.RULES] == RULE_ORDER
    assert all(rule.__doc__ and "\n" not in rule.__doc__.strip() for rule in rules.RULES)


NOTHING_CHASED = {"invoice": None, "stage": None, "due": None}
REFUSAL = rules.Refusal("a@example.com", "2026-03-09", "a@example.com refused: 550 no such user",
                        "A|firm|2026-03-09", "Customers!D2 (Contact Email)")


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, []),
    ({**NOTHING_CHASED, "exclusions": {"disputed": ["INV-1"]}},
     ["held_by_dispute", "nothing_to_chase"]),
    ({**NOTHING_CHASED, "exclusions": {"written off": ["INV-1"], "disputed": ["INV-2"]}},
     ["nothing_to_chase"]),
    ({"do_not_contact": True}, ["marked_do_not_contact"]),
    ({"opt_out": True}, ["opted_out"]),
    ({"doubt": "A|firm|2026-03-10"}, ["held_by_a_send_in_doubt"]),
    ({"stage": None, "previous": FIRM}, ["no_stage_to_act_on"]),
    ({"days": 70, "stage": HANDOFF, "due": HANDOFF, "previous": FINAL}, ["handed_to_a_person"]),
    ({"address_problem": "no email address in the Customers table"}, ["no_usable_address"]),
    ({"refused": REFUSAL}, ["refused_for_good"]),
    ({"last_sent": pd.Timestamp("2026-03-09")}, ["too_soon_after_the_last"]),
    ({"recent": 3}, ["over_the_cap"]),
    ({"local_now": dt.datetime(2026, 3, 14, 10, 0, tzinfo=UTC)}, ["not_a_working_day"]),
    ({"local_now": dt.datetime(2026, 3, 11, 18, 0, tzinfo=UTC)}, ["outside_the_send_window"]),
])
def test_each_rule_answers_only_its_own_case(changes, expected):
    """Send is the default, answering any email stage; every other rule answers one case."""
    a_case = case(**changes)
    sends = [] if a_case.stage is None or a_case.stage.action == "task" else ["send_the_stage"]
    assert answering(a_case) == expected + sends


def test_rules_called_alone_give_their_own_verdict():
    assert rules.send_the_stage(case()) == rules.Verdict(
        "send", "firm reminder: 20 days past due (INV-1)", FIRM)
    assert rules.held_by_dispute(case(**NOTHING_CHASED, exclusions={
        "disputed": [f"INV-{n}" for n in range(7)]})) == rules.Verdict(
        "skip", "all open items are disputed (INV-0, INV-1, INV-2, INV-3, INV-4 and 2 more)")
    assert rules.no_stage_to_act_on(case(stage=None, previous=FIRM)) == rules.Verdict(
        "skip", "firm reminder already sent on 2026-02-20; next: final notice at 30 days past "
                "due (in 10 days)")
    assert rules.too_soon_after_the_last(case(last_sent=pd.Timestamp("2026-03-09"))) == (
        rules.Verdict("wait", "waiting: the last reminder was sent 2 days ago, on 2026-03-09; "
                              "at least 5 days between reminders", FIRM))
    assert rules.handed_to_a_person(case(days=70, stage=HANDOFF, due=HANDOFF)).reason == (
        "hand-off: 70 days past due (INV-1); a person must take over, nothing is sent")
    assert rules.opted_out(case(do_not_contact=True)) is None
    assert rules.marked_do_not_contact(case(opt_out=True)) is None
    assert rules.held_by_dispute(case(exclusions={"disputed": ["INV-9"]})) is None  # one chased


def test_the_first_rule_that_answers_decides():
    everything = case(do_not_contact=True, opt_out=True, address_problem="no address",
                      last_sent=pd.Timestamp("2026-03-11"), recent=9,
                      local_now=dt.datetime(2026, 3, 15, 23, 0, tzinfo=UTC))
    assert answering(everything) == [
        "marked_do_not_contact", "opted_out", "no_usable_address", "too_soon_after_the_last",
        "over_the_cap", "not_a_working_day", "outside_the_send_window", "send_the_stage"]
    assert rules._decide(everything) == rules.Verdict(
        "skip", "marked do not contact in the Customers table")
    assert rules._decide(everything, rules.RULES[4:]) == rules.Verdict(
        "skip", "no address")
    with pytest.raises(ValueError, match="no rule decided for customer 'A'"):
        rules._decide(everything, ())


# Each pair below holds two checks at once; the earlier rule's reason must win.


def test_a_disputed_customer_who_opted_out_is_told_about_the_dispute():
    who = customers("A", "B", opt_out=[True, True], do_not_contact=[True, True])
    decisions = run([item("INV-1", "A", 30, disputed="Yes"), item("INV-2", "B", 30),
                     item("INV-3", "B", 40, written_off="Yes")], who,
                    history=[contact("B", 3, "disputed", invoices="INV-2")])
    assert one(decisions)["reason"] == "all open items are disputed (INV-1)"
    assert one(decisions, "B")["reason"] == (
        "nothing to chase: written off (INV-3); disputed (INV-2)")


def test_do_not_contact_comes_before_opted_out_and_opted_out_before_a_task():
    who = customers("A", "B", opt_out=[True, True], do_not_contact=[True, False])
    history = [contact(c, 20, stage="final", invoices=f"INV-{c}") for c in "AB"]
    decisions = run([item("INV-A", "A", 70), item("INV-B", "B", 70)], who, history=history)
    assert one(decisions)["reason"] == "marked do not contact in the Customers table"
    b = one(decisions, "B")
    assert (b["action"], b["stage"], b["reason"]) == ("skip", "", "opted out of reminders")


def test_a_stage_already_sent_comes_before_a_missing_address_and_a_task_before_both():
    who = customers("A", "B", email=["", ""])
    history = [contact("A", 1, stage="friendly", invoices="INV-A"),
               contact("B", 1, stage="final", invoices="INV-B")]
    decisions = run([item("INV-A", "A", 10), item("INV-B", "B", 70)], who, history=history)
    assert one(decisions)["reason"].startswith("friendly reminder already sent on ")
    assert one(decisions, "B")["action"] == "task"  # sent yesterday, no address: still a task


def test_a_missing_address_comes_before_waiting():
    who = customers("A", email=["ap at a"])
    saturday_night = dt.datetime(2026, 3, 14, 23, 0, tzinfo=UTC)
    decisions = run([item("INV-1", "A", 20)], who, now=saturday_night,
                    history=[contact("A", 4, stage="friendly", invoices="INV-1")])
    assert one(decisions)["reason"].startswith("no valid email address: 'ap at a'")


@pytest.mark.parametrize(("policy", "reason"), [
    (Policy(cap_messages=1), "waiting: the last reminder was sent 2 days ago, on 2026-03-12"),
    (Policy(cap_messages=1, min_gap_days=0), "waiting: 1 reminders sent in the last 30 days"),
    (Policy(min_gap_days=0), "waiting: Saturday in UTC is not a working day"),
    (Policy(min_gap_days=0, working_days=frozenset(range(7))),
     "waiting: 22:00 in UTC is outside the send window"),
])
def test_the_gap_comes_before_the_cap_the_cap_before_the_day_the_day_before_the_window(
        policy, reason):
    """Saturday 22:00, a reminder two days ago: each check the policy keeps fails at once."""
    saturday_night = dt.datetime(2026, 3, 14, 22, 0, tzinfo=UTC)
    history = [contact("A", -1, stage="friendly", invoices="INV-1")]  # Thursday 12 March
    decision = one(run([item("INV-1", "A", 20)], history=history, now=saturday_night,
                       policy=policy))
    assert (decision["action"], decision["stage"]) == ("wait", "firm")
    assert decision["reason"].startswith(reason)


def test_an_international_domain_is_a_valid_address_and_a_non_ascii_mailbox_is_not():
    from dunning.core.policy import is_valid_email

    assert is_valid_email("buchhaltung@müller.example")
    assert not is_valid_email("müller@example.com")  # would need SMTPUTF8
    assert not is_valid_email("a@-bad-.example")


# ------------------------------------------------------------ collector rules (issue 14)


def test_a_hold_lasts_through_its_day_and_names_its_reason():
    held = case(hold=rules.hold_text(pd.Timestamp("2026-03-11"), "audit"))
    assert answering(held)[0] == "on_hold"
    assert rules.on_hold(held) == rules.Verdict(
        "wait", "waiting: on hold until 2026-03-11, audit", FIRM)
    assert rules.on_hold(case()) is None


@pytest.mark.parametrize(("day", "holiday"), [
    (dt.date(2026, 12, 25), "FR"), (dt.date(2026, 7, 14), "FR"), (dt.date(2026, 7, 3), "US"),
    (dt.date(2026, 12, 28), "GB"),  # Boxing Day falls on a Saturday: Monday is the holiday
])
def test_public_holidays_come_from_the_holidays_package_on_simulated_days(day, holiday):
    moment = dt.datetime.combine(day, dt.time(10), tzinfo=UTC)
    verdict = rules.a_public_holiday(case(local_now=moment, run_date=day, country=holiday))
    assert verdict is not None and verdict.action == "wait"
    assert verdict.reason.startswith(f"waiting: {day:%Y-%m-%d} is a public holiday in {holiday}")
    day_after = moment + dt.timedelta(days=1 if day.weekday() < 4 else 3)
    assert rules.a_public_holiday(case(local_now=day_after, country=holiday)) is None
    assert rules.a_public_holiday(case(local_now=moment, country="")) is None


def test_the_minimum_is_per_currency_and_any_currency_at_it_sends():
    policy = Policy(minimum_overdue=(("EUR", 50.0), ("", 20.0)))
    assert policy.minimum_for("eur") == 50.0 and policy.minimum_for("GBP") == 20.0
    low = case(policy=policy, asked={"EUR": 49.99})
    assert rules.below_the_minimum(low).reason == (
        "below the minimum: EUR 49.99 overdue, the least a reminder asks for is EUR 50.00")
    assert rules.below_the_minimum(case(policy=policy, asked={"EUR": 50.0})) is None
    assert rules.below_the_minimum(case(policy=policy, asked={"EUR": 10.0, "USD": 25.0})) is None
    assert rules.below_the_minimum(case(asked={"EUR": 1.0})) is None  # no minimum set


@pytest.mark.parametrize(("text", "expected"), [
    ("50", (("", 50.0),)), (50, (("", 50.0),)), ("EUR 50; usd 60", (("EUR", 50.0), ("USD", 60.0))),
    ("25; GBP 40", (("", 25.0), ("GBP", 40.0))), ("", ()), (None, ()),
    ("EUR fifty", None), ("EUR 5; EUR 6", None), ("EURO 5", None),
])
def test_minimums_are_read_from_a_cell(text, expected):
    assert rules.parse_minimums(text) == expected


def test_start_at_due_stage_acts_on_the_stage_the_days_reached():
    stages = DEFAULT_STAGES
    assert rules._next_stage(stages, 311, -1) == (FRIENDLY, HANDOFF)
    assert rules._next_stage(stages, 311, -1, jump=True) == (HANDOFF, HANDOFF)
    last = list(stages).index(FIRM)
    assert rules._next_stage(stages, 40, last, jump=True) == (FINAL, FINAL)
    assert rules._next_stage(stages, 20, last, jump=True) == (None, FIRM)  # sent already


def test_a_reminder_logged_by_hand_counts_as_its_stage_sent():
    ledger = build_ledger([["Invoice", "Customer", "Invoice Date", "Due Date", "Amount"],
                           ["INV-1", "A", "2026-01-01", "2026-02-01", 100.0]])
    customers = pd.DataFrame({"customer": ["A"], "email": ["a@a.example"]})
    log = contact_log_frame(pd.DataFrame([{
        "Timestamp": dt.datetime(2026, 3, 2, 12), "Customer": "A", "Channel": "email",
        "Stage": "firm", "Outcome": "reminder sent"}], columns=list(CONTACT_LOG_HEADERS)))
    decided = decide(ledger, customers, log, Policy(), NOW).customers.iloc[0]
    assert (decided["previous_stage"], decided["stage"], decided["action"]) == (
        "firm", "final", "send")
    too_soon = decide(ledger, customers, log, Policy(min_gap_days=10), NOW).customers.iloc[0]
    assert too_soon["action"] == "wait"  # it counts for the gap as well


def test_stages_read_their_fee_currency_and_cc_and_name_bad_cells():
    header = ["Stage", "Days From Due", "Action", "Template", "Fee", "Fee Currency", "CC"]
    policy = policy_from_settings(None, [header, ["friendly", 1, "email", "", 10, "eur",
                                                  "am@acme.example; boss@acme.example"]])
    [stage] = policy.stages
    assert (stage.fee, stage.fee_currency, stage.cc) == (
        10.0, "EUR", ("am@acme.example", "boss@acme.example"))
    with pytest.raises(DunningInputError) as caught:
        policy_from_settings(None, [header, ["friendly", 1, "email", "", -5, "euro",
                                             "am@acme.example\nBcc: x@evil.example"]])
    assert [(issue.column, issue.column_letter) for issue in caught.value.issues] == [
        ("Fee", "J"), ("Fee Currency", "K"), ("CC", "L")]


def test_credits_already_due_that_cover_the_overdue_leave_nothing_to_ask_for():
    ledger = build_ledger([["Invoice", "Customer", "Invoice Date", "Due Date", "Amount"],
                           ["INV-1", "A", "2026-01-01", "2026-02-01", 100.0],
                           ["CN-1", "A", "2026-02-10", "2026-02-10", -150.0],
                           ["INV-2", "A", "2026-03-01", "2026-04-01", 900.0]])
    customers = pd.DataFrame({"customer": ["A"], "email": ["a@a.example"]})
    decided = decide(ledger, customers, None, Policy(), NOW).customers.iloc[0]
    assert decided["action"] == "skip"
    assert decided["reason"] == ("nothing overdue once credits are netted (-50.00 past due); "
                                 "the items not yet due are not chased")
    assert decided["overdue_by_currency"] == {"": -50.0}
