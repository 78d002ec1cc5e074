"""Promises to pay: kept, partly kept, broken or pending, judged from the ledger's balances."""

import datetime as dt

import pandas as pd
import pytest

from dunning.core.contactlog import Contact, contact_log_frame, log_row
from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.core.promises import (
    PROMISE_COLUMNS,
    invoice_names,
    latest_promise_by_customer,
    promise_outcomes,
)

AS_OF = dt.date(2026, 3, 11)
HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Settled Date",
          "Currency"]


def ledger(*rows):
    """Rows (invoice, customer, amount, paid, settled[, currency]), issued 1 Jan 2026."""
    body = [[invoice, customer, dt.date(2026, 1, 1), dt.date(2026, 1, 31), amount, paid,
             settled, rest[0] if rest else "EUR"]
            for invoice, customer, amount, paid, settled, *rest in rows]
    return build_ledger([HEADER, *body]).frame


def promise(customer, logged, promise_date, *, invoices=(), amount=None, balance=None,
            outcome="promise"):
    """A ContactLog row as `dunning log` writes it; `logged` is an ISO date or datetime."""
    return log_row(Contact(
        customer=customer, channel="phone", outcome=outcome,
        timestamp=dt.datetime.fromisoformat(logged), invoices=tuple(invoices),
        promise_date=None if promise_date is None else dt.date.fromisoformat(promise_date),
        promise_amount=amount, open_balance=balance))


def log(*rows):
    """The log frame the way the workbook reader makes it."""
    return contact_log_frame(pd.DataFrame(list(rows)))


def judged(frame, *rows, as_of=AS_OF, **keywords):
    return promise_outcomes(log(*rows), frame, as_of, **keywords)


def one(outcomes):
    assert len(outcomes) == 1
    return outcomes.iloc[0]


PART_PAID = ledger(("A1", "A", 1000, 400, None))  # 400 paid after the promise, still open


def test_a_part_payment_on_a_still_open_invoice_counts_when_the_balance_was_recorded():
    row = one(judged(PART_PAID, promise("A", "2026-02-01T10:30", "2026-03-01", invoices=["A1"],
                                        balance=1000.0)))
    assert list(judged(PART_PAID, promise("A", "2026-02-01", "2026-03-01")).columns) == list(
        PROMISE_COLUMNS)
    assert (row["balance_then"], row["balance_now"], row["paid"]) == (1000.0, 600.0, 400.0)
    assert row["promised"] == 1000.0           # no amount given: the balance then
    assert row["status"] == "partly kept"
    assert row["days_overdue"] == 10
    assert not row["estimated"]
    assert row["logged"] == pd.Timestamp("2026-02-01 10:30")


def test_an_old_row_without_a_balance_is_judged_from_the_ledger_estimate():
    # Without the recorded balance the ledger cannot see a part payment: its date is unknown,
    # so the estimate is today's open amount and nothing looks paid.
    row = one(judged(PART_PAID, promise("A", "2026-02-01", "2026-03-01", invoices=["A1"])))
    assert row["estimated"]
    assert (row["balance_then"], row["balance_now"], row["paid"]) == (600.0, 600.0, 0.0)
    assert row["status"] == "broken"
    # A settlement after the promise is visible to the estimate: the item counts in full before.
    settled = ledger(("C1", "C", 250, None, dt.date(2026, 2, 20)), ("C2", "C", 80, None, None))
    row = one(judged(settled, promise("C", "2026-02-10", "2026-02-28")))
    assert (row["balance_then"], row["balance_now"], row["paid"]) == (330.0, 80.0, 250.0)
    assert (row["promised"], row["status"], row["days_overdue"]) == (330.0, "partly kept", 11)


def test_kept_when_the_promised_amount_is_paid_whenever_that_was():
    frame = ledger(("B1", "B", 300, 120, None), ("B2", "B", 50, None, None))
    early = one(judged(frame, promise("B", "2026-03-01", "2026-03-31", amount=120,
                                      balance=350)))
    assert (early["paid"], early["status"], early["days_overdue"]) == (120.0, "kept", 0)
    short = one(judged(frame, promise("B", "2026-03-01", "2026-03-31", amount=120.01,
                                      balance=350)))
    assert short["status"] == "pending"  # a cent short is not kept


def test_broken_when_nothing_was_paid_after_the_date():
    frame = ledger(("B1", "B", 300, None, None))
    row = one(judged(frame, promise("B", "2026-02-15", "2026-03-05", invoices=["B1"],
                                    amount=300, balance=300)))
    assert (row["paid"], row["status"], row["days_overdue"]) == (0.0, "broken", 6)


@pytest.mark.parametrize(("promise_date", "grace", "status"), [
    ("2026-03-11", 0, "pending"),     # the promise date itself is still in time (as the policy)
    ("2026-03-10", 0, "broken"),
    ("2026-03-08", 3, "pending"),
    ("2026-03-07", 3, "broken"),
])
def test_pending_until_the_date_and_grace_days_pass(promise_date, grace, status):
    frame = ledger(("B1", "B", 300, None, None))
    row = one(judged(frame, promise("B", "2026-03-01", promise_date, balance=300),
                     grace_days=grace))
    assert row["status"] == status
    assert row["days_overdue"] == (0 if status == "pending" else
                                   (pd.Timestamp(AS_OF) - pd.Timestamp(promise_date)).days)


def test_amounts_add_up_to_the_cent():
    frame = ledger(("A1", "A", 1234.56, 234.57, None), ("A2", "A", 0.3, 0.1, None),
                   ("A3", "A", -100.1, None, None))   # a credit note, netted
    row = one(judged(frame, promise("A", "2026-02-01", "2026-02-20", amount=1000,
                                    balance=1134.76)))
    assert row["balance_now"] == 900.09
    assert row["paid"] == 234.67          # 234.57 + 0.10, not 234.67000000000002
    assert row["paid"] == round(row["balance_then"] - row["balance_now"], 2)


def test_a_promise_for_more_than_was_owed_is_kept_once_that_is_cleared():
    frame = ledger(("A1", "A", 800, 800, dt.date(2026, 3, 1)))
    row = one(judged(frame, promise("A", "2026-02-01", "2026-03-05", invoices=["A1"],
                                    amount=1000)))
    assert (row["balance_then"], row["paid"], row["status"]) == (800.0, 800.0, "kept")


def test_a_payment_on_the_logging_day_counts_as_after_the_promise():
    frame = ledger(("A1", "A", 500, None, dt.date(2026, 2, 1)))
    row = one(judged(frame, promise("A", "2026-02-01T09:00", "2026-02-05", invoices=["A1"])))
    assert (row["balance_then"], row["paid"], row["status"]) == (500.0, 500.0, "kept")


def test_a_promise_naming_none_covers_what_was_open_then_not_new_invoices():
    frame = ledger(("A1", "A", 200, None, None), ("A2", "A", 100, None, dt.date(2026, 1, 20)))
    later = build_ledger([HEADER, ["A9", "A", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 900,
                                   None, None, "EUR"]]).frame
    frame = pd.concat([frame, later], ignore_index=True)
    row = one(judged(frame, promise("A", "2026-02-01", "2026-02-20")))
    assert (row["balance_then"], row["balance_now"], row["status"]) == (200.0, 200.0, "broken")


def test_several_invoices_separated_by_commas_or_semicolons():
    frame = ledger(("A1", "A", 200, 200, dt.date(2026, 2, 2)), ("A2", "A", 100, 40, None),
                   ("A3", "A", 999, None, None))
    rows = log(promise("A", "2026-02-01", "2026-02-20", invoices=["A1", "A2"]))
    rows = rows.assign(invoices=["A1; A2"])
    row = one(promise_outcomes(rows, frame, AS_OF))
    assert (row["invoices"], row["balance_then"], row["balance_now"], row["paid"]) == (
        "A1; A2", 260.0, 60.0, 200.0)
    assert invoice_names(" A1 ;A2, ,A1") == ("A1", "A2")


def test_unknown_when_the_ledger_cannot_judge_the_promise():
    frame = ledger(("D1", "D", 100, None, None, "EUR"), ("D2", "D", 100, None, None, "USD"),
                   ("E1", "E", 50, 50, dt.date(2026, 1, 10)))
    outcomes = judged(frame, promise("D", "2026-02-01", "2026-02-10", balance=200),
                      promise("D", "2026-02-02", "2026-02-10", invoices=["D1"]),
                      promise("D", "2026-02-03", "2026-02-10", invoices=["D1", "D7"]),
                      promise("E", "2026-02-01", "2026-02-10", amount=50))
    by_note = outcomes.set_index("logged")
    mixed = by_note.loc[pd.Timestamp("2026-02-01")].query("customer == 'D'").iloc[0]
    assert (mixed["status"], mixed["currency"]) == ("unknown", "EUR, USD")
    assert "several currencies (EUR, USD)" in mixed["note"]
    assert pd.isna(mixed["paid"]) and mixed["balance_then"] == 200.0
    single = by_note.loc[pd.Timestamp("2026-02-02")]
    assert (single["status"], single["currency"], single["note"]) == ("broken", "EUR", "")
    typo = by_note.loc[pd.Timestamp("2026-02-03")]
    assert (typo["status"], typo["note"]) == ("unknown", "not in the ledger for D: D7")
    assert pd.isna(typo["promised"]) and pd.isna(typo["balance_then"])
    nothing = outcomes[outcomes["customer"] == "E"].iloc[0]
    assert nothing["status"] == "unknown" and "nothing" in nothing["note"]


def test_rows_after_the_as_of_date_are_ignored_and_dated_in_the_zone():
    frame = ledger(("B1", "B", 300, None, None))
    late = promise("B", "2026-03-11T23:30", "2026-03-20", balance=300)
    assert len(judged(frame, late, promise("B", "2026-03-12", "2026-03-20"))) == 1
    assert judged(frame, late, time_zone="Asia/Tokyo").empty    # 12 March in Tokyo
    with pytest.raises(DunningInputError, match="unknown time zone"):
        judged(frame, late, time_zone="Mars/Olympus")
    assert list(promise_outcomes(None, frame, AS_OF).columns) == list(PROMISE_COLUMNS)


def test_a_later_promise_about_the_same_invoices_supersedes_an_earlier_one():
    frame = ledger(("A1", "A", 100, None, None), ("A2", "A", 100, None, None),
                   ("B1", "B", 100, None, None))
    outcomes = judged(frame,
                      promise("A", "2026-02-01", "2026-02-10", invoices=["A1", "A2"]),
                      promise("A", "2026-02-02", "2026-02-10", invoices=["A1"]),
                      promise("A", "2026-02-03", "2026-02-10", invoices=["A2"]),
                      promise("A", "2026-02-04", "2026-03-20", invoices=["A2"]),
                      promise("B", "2026-02-01", "2026-02-10"),
                      promise("B", "2026-02-05", "2026-03-20", invoices=["B1"]))
    assert list(outcomes["customer"]) == ["A", "A", "A", "A", "B", "B"]
    assert list(outcomes["superseded"]) == [True, False, True, False, True, False]
    latest = latest_promise_by_customer(outcomes)
    assert list(zip(latest["customer"], latest["logged"].dt.day, strict=True)) == [("A", 4),
                                                                                   ("B", 5)]
    assert list(latest["status"]) == ["pending", "pending"]
    wide = judged(frame, promise("A", "2026-02-01", "2026-02-10", invoices=["A1"]),
                  promise("A", "2026-02-02", "2026-03-20"))
    assert list(wide["superseded"]) == [True, False]


def test_a_pending_promise_is_what_the_policy_holds_the_items_for():
    from dunning.core.policy import Policy, decide

    frame = ledger(("A1", "A", 300, None, None), ("B1", "B", 300, None, None))
    rows = log(promise("A", "2026-03-01", "2026-03-11", balance=300),
               promise("B", "2026-03-01", "2026-03-10", balance=300))
    now = dt.datetime(2026, 3, 11, 10, tzinfo=dt.timezone.utc)
    who = pd.DataFrame({"customer": ["A", "B"], "email": ["a@a.example.com", "b@b.example.com"]})
    decisions = decide(frame, who, rows, Policy(), now)
    outcomes = promise_outcomes(rows, frame, decisions.as_of).set_index("customer")
    assert outcomes.loc["A", "status"] == "pending"
    assert decisions.items.set_index("customer").loc["A", "reason"] == (
        "promise to pay until 2026-03-11")
    assert outcomes.loc["B", "status"] == "broken"
    assert list(decisions.broken_promises["customer"]) == ["B"]


def test_bad_arguments_are_refused():
    with pytest.raises(DunningInputError, match="cannot be negative"):
        promise_outcomes(None, PART_PAID, AS_OF, grace_days=-1)
