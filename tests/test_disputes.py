"""Disputes per invoice: opened, resolved, reopened, and the same pauses as the policy."""

import datetime as dt

import pandas as pd
import pytest

from dunning.core.contactlog import CONTACT_LOG_HEADERS, contact_log_frame
from dunning.core.disputes import (
    DISPUTE_COLUMNS,
    dispute_register,
    open_disputes,
)
from dunning.core.ledger import build_ledger
from dunning.core.policy import Policy, decide

AS_OF = dt.date(2026, 3, 11)
NOW = dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.timezone.utc)
HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Currency",
          "Disputed", "Written Off"]


def item(invoice, customer, amount=100.0, *, paid=None, disputed="No", written_off="No",
         issued=dt.date(2026, 1, 5)):
    return [invoice, customer, issued, issued + dt.timedelta(days=30), amount, paid, "EUR",
            disputed, written_off]


def ledger(*rows):
    return build_ledger([HEADER, *rows]).frame


def row(customer, when, outcome, invoices="", note="", **extra):
    """A ContactLog row keyed by the table's headers; `when` is ISO text (UTC)."""
    values = dict.fromkeys(CONTACT_LOG_HEADERS)
    values.update({"Timestamp": dt.datetime.fromisoformat(when), "Customer": customer,
                   "Invoices": invoices, "Channel": "phone", "Outcome": outcome, "Note": note})
    values.update(extra)
    return values


def log(*rows):
    return contact_log_frame(pd.DataFrame(list(rows)))


def register(frame, *rows, as_of=AS_OF, **keywords):
    return dispute_register(log(*rows), frame, as_of, **keywords).set_index("invoice")


def test_opened_resolved_and_reopened_with_a_new_date():
    frame = ledger(item("A1", "A"))
    disputes = register(frame,
                        row("A", "2026-02-01T09:00", "disputed", "A1", "wrong price"),
                        row("A", "2026-02-03T09:00", "disputed", "A1", "called again"),
                        row("A", "2026-02-10T09:00", "dispute resolved", "A1", "credit agreed"))
    assert list(dispute_register(log(), frame, AS_OF).columns) == list(DISPUTE_COLUMNS)
    first = disputes.loc["A1"]
    assert (first["status"], first["opened"], first["resolved"]) == (
        "resolved", pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-10"))
    assert (first["reason"], first["age_days"], first["closed_by"]) == (
        "wrong price", 9.0, "dispute resolved")
    assert (first["source"], first["open_balance"]) == ("contact log", 100.0)
    reopened = register(frame,
                        row("A", "2026-02-01T09:00", "disputed", "A1", "wrong price"),
                        row("A", "2026-02-10T09:00", "dispute resolved", "A1"),
                        row("A", "2026-03-01T09:00", "disputed", "A1", "")).loc["A1"]
    assert (reopened["status"], reopened["opened"], reopened["age_days"]) == (
        "open", pd.Timestamp("2026-03-01"), 10.0)
    assert pd.isna(reopened["resolved"]) and reopened["reason"] == ""
    assert reopened["closed_by"] == ""


def test_rows_naming_several_invoices_apply_to_each():
    frame = ledger(item("A2", "A", 250), item("A3", "A"), item("A4", "A"))
    disputes = register(frame,
                        row("A", "2026-02-05T09:00", "disputed", "A2; A3", "not delivered"),
                        row("A", "2026-02-06T09:00", "disputed", "A4, A9"),
                        row("A", "2026-02-20T09:00", "dispute resolved", "A3"))
    assert list(disputes.index) == ["A2", "A3", "A4", "A9"]
    assert list(disputes["status"]) == ["open", "resolved", "open", "open"]
    assert disputes.loc["A2", "reason"] == disputes.loc["A3", "reason"] == "not delivered"
    assert (disputes.loc["A2", "age_days"], disputes.loc["A3", "age_days"]) == (34.0, 15.0)
    assert pd.isna(disputes.loc["A9", "open_balance"])   # the ledger has no A9: shown, not lost
    assert list(open_disputes(disputes.reset_index())["invoice"]) == ["A2", "A4"]


def test_a_row_naming_no_invoice_applies_to_what_the_customer_had_by_then():
    frame = ledger(item("B1", "B"), item("B2", "B"),
                   item("B3", "B", issued=dt.date(2026, 2, 20)))
    disputes = register(frame, row("B", "2026-02-01T09:00", "disputed", note="all wrong"),
                        row("B", "2026-02-15T09:00", "promised to pay", "B2",
                            **{"Promise Date": dt.date(2026, 3, 20)}))
    assert list(disputes.index) == ["B1", "B2"]
    assert disputes.loc["B1", "status"] == "open"
    # the policy reads a later promise as the end of the dispute, and so does the register
    assert (disputes.loc["B2", "status"], disputes.loc["B2", "closed_by"]) == (
        "resolved", "promised to pay")


def test_the_ledger_flag_holds_a_dispute_open():
    frame = ledger(item("F1", "F", disputed="Yes"), item("F2", "F", disputed="Yes"),
                   item("F3", "F", disputed="Yes"))
    disputes = register(frame, row("F", "2026-03-01T09:00", "disputed", "F2", "late"),
                        row("F", "2026-02-01T09:00", "disputed", "F3"),
                        row("F", "2026-02-02T09:00", "dispute resolved", "F3"))
    assert list(disputes["status"]) == ["open"] * 3
    assert list(disputes["source"]) == ["ledger flag", "both", "ledger flag"]
    assert pd.isna(disputes.loc["F1", "opened"]) and pd.isna(disputes.loc["F1", "age_days"])
    assert (disputes.loc["F2", "opened"], disputes.loc["F2", "age_days"]) == (
        pd.Timestamp("2026-03-01"), 10.0)
    # the log's dispute on F3 ended; what holds it now is the flag, whose start is unknown
    assert pd.isna(disputes.loc["F3", "opened"]) and pd.isna(disputes.loc["F3", "resolved"])


def test_paid_invoices_keep_their_status_but_are_not_open_disputes():
    frame = ledger(item("P1", "P", paid=100), item("P2", "P", written_off="Yes"))
    disputes = register(frame, row("P", "2026-02-01T09:00", "disputed", "P1, P2"))
    assert list(disputes["status"]) == ["open", "open"]
    assert list(disputes["open_balance"]) == [0.0, 100.0]
    assert list(disputes["written_off"]) == [False, True]
    assert open_disputes(disputes.reset_index()).empty
    assert len(open_disputes(disputes.reset_index(), chased_only=False)) == 2


def test_rows_after_the_as_of_date_are_ignored():
    frame = ledger(item("A1", "A"))
    rows = (row("A", "2026-02-01T09:00", "disputed", "A1"),
            row("A", "2026-03-12T09:00", "dispute resolved", "A1"))
    assert register(frame, *rows).loc["A1", "status"] == "open"
    assert register(frame, *rows, as_of=dt.date(2026, 3, 12)).loc["A1", "status"] == "resolved"
    assert register(frame, *rows, as_of=dt.date(2026, 1, 31)).empty


def test_the_policy_pauses_as_disputed_exactly_the_open_disputes():
    frame = ledger(
        item("A1", "A"), item("A2", "A", 250), item("A3", "A"), item("A4", "A", paid=100),
        item("A5", "A", disputed="Yes"), item("A6", "A"), item("A7", "A", disputed="Yes"),
        item("B1", "B"), item("B2", "B"), item("B3", "B", issued=dt.date(2026, 2, 20)),
        item("C1", "C"), item("C2", "C"), item("W1", "W", disputed="Yes", written_off="Yes"),
        item("N1", "N"), item("N2", "N", amount=-40.0))
    rows = log(
        row("A", "2026-02-01T09:00", "disputed", "A1", "wrong price"),
        row("A", "2026-02-10T09:00", "dispute resolved", "A1"),
        row("A", "2026-03-01T09:00", "disputed", "A1"),              # reopened
        row("A", "2026-02-05T09:00", "disputed", "A2; A3"),
        row("A", "2026-02-20T09:00", "dispute resolved", "A3"),
        row("A", "2026-01-15T09:00", "disputed", "A4"),               # since paid
        row("A", "2026-02-01T09:00", "disputed", "A6"),
        row("A", "2026-02-08T09:00", "payment sent", "A6"),           # ends it for the policy
        row("A", "2026-02-01T09:00", "disputed", "A7"),
        row("A", "2026-02-02T09:00", "dispute resolved", "A7"),        # the flag still holds
        row("B", "2026-02-01T09:00", "disputed"),                      # names none
        row("B", "2026-02-15T09:00", "promised to pay", "B2",
            **{"Promise Date": dt.date(2026, 3, 20)}),
        row("C", "2026-02-01T09:00", "disputed", "C1"),                # same moment: the row
        row("C", "2026-02-01T09:00", "waiting for approval"),          # naming C1 wins
        row("C", "2026-02-01T09:00", "waiting for approval", "C2"),
        row("C", "2026-02-01T09:00", "disputed"),                      # ...over this one
        row("N", "2026-02-01T09:00", "disputed", "N2"),                # a disputed credit note
        row("A", "2026-03-11T09:00", "disputed", "A3"),                # reopened today
    )
    decisions = decide(frame, None, rows, Policy(), NOW)
    paused = set(decisions.items.loc[decisions.items["reason"] == "disputed", "invoice"])
    disputes = dispute_register(rows, frame, decisions.as_of)
    assert paused == set(open_disputes(disputes)["invoice"]) == {
        "A1", "A2", "A3", "A5", "A7", "B1", "C1", "N2"}
    by_invoice = disputes.set_index("invoice")
    assert by_invoice.loc["A6", "closed_by"] == "payment sent"
    assert by_invoice.loc["C2", "status"] == "resolved"
    assert by_invoice.loc["A3", "opened"] == pd.Timestamp("2026-03-11")


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_log_rows_are_dated_in_the_policy_s_zone(zone):
    frame = ledger(item("A1", "A"))
    rows = log(row("A", "2026-03-01T20:00", "disputed", "A1"))   # 2 March in Auckland
    opened = dispute_register(rows, frame, AS_OF, time_zone=zone)["opened"][0]
    assert opened == pd.Timestamp("2026-03-01" if zone == "UTC" else "2026-03-02")
