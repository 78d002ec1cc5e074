"""Payment plans: schedules that add up to the cent, and adherence judged from payments."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.errors import DunningInputError
from dunning.plans import HEADERS, adherence, plan_rows, plan_status, schedule


def cents(frame):
    return [round(amount * 100) for amount in frame["amount"]]


def days(frame):
    return [stamp.date().isoformat() for stamp in frame["due_date"]]


def payments(*rows):
    return pd.DataFrame(rows, columns=["date", "amount"])


# --- schedule -------------------------------------------------------------------------------

def test_even_split_puts_the_rounding_on_the_last_instalment():
    plan = schedule(100, "2024-03-01", 3, "weekly", currency="gbp")
    assert list(plan.columns) == ["instalment", "due_date", "amount", "currency"]
    assert list(plan["instalment"]) == [1, 2, 3]
    assert cents(plan) == [3333, 3333, 3334]
    assert days(plan) == ["2024-03-01", "2024-03-08", "2024-03-15"]
    assert set(plan["currency"]) == {"GBP"}


def test_fortnightly_dates_are_fourteen_days_apart():
    plan = schedule("250.00", dt.date(2024, 12, 20), 3, "Fortnightly")
    assert days(plan) == ["2024-12-20", "2025-01-03", "2025-01-17"]
    assert cents(plan) == [8333, 8333, 8334]


def test_monthly_keeps_the_day_of_month_clamped_to_month_end():
    plan = schedule(1200, "2024-01-31", 5, "monthly")
    assert days(plan) == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]
    common_year = schedule(300, "2023-01-31", 3, "monthly")
    assert days(common_year) == ["2023-01-31", "2023-02-28", "2023-03-31"]


def test_first_payment_then_even_instalments_of_the_rest():
    plan = schedule(1000, "2024-01-15", 4, "monthly", first_payment=250.5)
    assert cents(plan) == [25050, 24983, 24983, 24984]
    assert sum(cents(plan)) == 100000


def test_fractions_of_a_cent_are_rounded_half_away_from_zero_first():
    plan = schedule(10.005, "2024-01-01", 2, "weekly")
    assert cents(plan) == [500, 501]


def test_one_instalment_is_the_whole_balance():
    assert cents(schedule(0.01, "2024-01-01", 1, "weekly")) == [1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"balance": 0}, "balance must be more than zero"),
    ({"balance": -5}, "balance must be more than zero"),
    ({"balance": "lots"}, "balance must be an amount"),
    ({"count": 0}, "at least 1"),
    ({"count": 2.5}, "whole number"),
    ({"frequency": "daily"}, "weekly, fortnightly, monthly"),
    ({"start": "not a date"}, "start must be a date"),
    ({"first_payment": 100}, "first payment must be less than the balance"),
    ({"first_payment": 150}, "first payment must be less than the balance"),
    ({"first_payment": 0}, "first payment must be more than zero"),
    ({"first_payment": 10, "count": 1}, "at least 2 instalments"),
    ({"balance": 0.03, "count": 4}, "cannot be split into 4 instalments"),
])
def test_bad_arguments_raise_a_clear_error(kwargs, message):
    arguments = {"balance": 100, "start": "2024-01-01", "count": 3, "frequency": "weekly"}
    arguments.update(kwargs)
    first = arguments.pop("first_payment", None)
    with pytest.raises(DunningInputError, match=message):
        schedule(**arguments, first_payment=first)


def test_every_bad_argument_is_reported_at_once():
    with pytest.raises(DunningInputError) as raised:
        schedule(-1, "2024-01-01", 0, "yearly")
    assert len(raised.value.issues) == 3


@st.composite
def plans(draw):
    balance_cents = draw(st.integers(min_value=1, max_value=10**11))
    count = draw(st.integers(min_value=1, max_value=min(60, balance_cents)))
    first = None
    if count >= 2 and balance_cents - (count - 1) >= 1 and draw(st.booleans()):
        first = draw(st.integers(min_value=1, max_value=balance_cents - (count - 1)))
    start = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
    frequency = draw(st.sampled_from(["weekly", "fortnightly", "monthly"]))
    plan = schedule(balance_cents / 100, start, count, frequency,
                    first_payment=None if first is None else first / 100)
    return plan, balance_cents, first, start, frequency


@given(plans())
def test_schedules_add_up_to_the_balance_to_the_cent(drawn):
    plan, balance_cents, _, _, _ = drawn
    assert sum(cents(plan)) == balance_cents
    assert all(round(amount, 2) == amount for amount in plan["amount"])
    assert abs(plan["amount"].sum() - balance_cents / 100) < 0.005


@given(plans())
def test_all_even_instalments_but_the_last_are_equal(drawn):
    plan, _, first, _, _ = drawn
    amounts = cents(plan)
    if first is not None:
        assert amounts[0] == first
        amounts = amounts[1:]
    assert len(set(amounts[:-1])) <= 1
    assert 0 <= amounts[-1] - amounts[0] < len(amounts)
    assert min(amounts) >= 1


@given(plans())
def test_due_dates_strictly_increase_from_the_start(drawn):
    plan, _, _, start, frequency = drawn
    dates = [stamp.date() for stamp in plan["due_date"]]
    assert dates[0] == start
    assert all(later > earlier for earlier, later in zip(dates, dates[1:], strict=False))
    if frequency != "monthly":
        gap = {"weekly": 7, "fortnightly": 14}[frequency]
        assert {(later - earlier).days for earlier, later in zip(dates, dates[1:],
                                                                   strict=False)} <= {gap}


@given(plans())
def test_monthly_dates_never_skip_a_month(drawn):
    plan, _, _, start, frequency = drawn
    if frequency != "monthly":
        return
    for step, stamp in enumerate(plan["due_date"]):
        month = start.year * 12 + start.month - 1 + step
        assert (stamp.year * 12 + stamp.month - 1) == month
        assert stamp.day == min(start.day, stamp.days_in_month)


# --- adherence ------------------------------------------------------------------------------

PLAN = schedule(300, "2024-01-10", 3, "monthly")   # 100 on 10 Jan, 10 Feb, 10 Mar


def statuses(judged):
    return list(judged["status"])


def test_nothing_due_yet_is_upcoming_and_active():
    judged = adherence(PLAN, payments(), "2024-01-09")
    assert statuses(judged) == ["upcoming"] * 3
    assert list(judged["paid_amount"]) == [0.0, 0.0, 0.0]
    assert plan_status(judged) == "active"


def test_due_today_unpaid_is_due_not_missed():
    judged = adherence(PLAN, payments(), "2024-01-10")
    assert statuses(judged) == ["due", "upcoming", "upcoming"]
    assert plan_status(judged) == "active"


def test_the_day_after_the_due_date_it_is_missed():
    judged = adherence(PLAN, payments(), "2024-01-11")
    assert statuses(judged)[0] == "missed"
    assert plan_status(judged) == "missed"


def test_grace_days_hold_off_missed():
    within = adherence(PLAN, payments(), "2024-01-13", grace_days=3)
    after = adherence(PLAN, payments(), "2024-01-14", grace_days=3)
    assert statuses(within)[0] == "due"
    assert statuses(after)[0] == "missed"


def test_payments_cover_the_oldest_instalment_first_cumulatively():
    paid = payments(("2024-02-01", 60), ("2024-01-09", 80))
    judged = adherence(PLAN, paid, "2024-02-05")
    assert list(judged["paid_amount"]) == [100.0, 40.0, 0.0]
    assert statuses(judged) == ["paid", "partly paid", "upcoming"]
    assert judged["paid_date"][0] == pd.Timestamp("2024-02-01")
    assert pd.isna(judged["paid_date"][1])
    assert plan_status(judged) == "kept"


def test_a_partly_paid_instalment_past_its_date_is_missed():
    judged = adherence(PLAN, payments(("2024-01-10", 100), ("2024-02-10", 99)), "2024-02-11")
    assert statuses(judged) == ["paid", "missed", "upcoming"]
    assert judged["paid_amount"][1] == 99.0
    assert plan_status(judged) == "missed"


def test_catching_up_makes_the_plan_kept_again():
    paid = payments(("2024-01-10", 100), ("2024-02-20", 100))
    assert plan_status(adherence(PLAN, paid, "2024-02-15")) == "missed"
    caught_up = adherence(PLAN, paid, "2024-02-20")
    assert statuses(caught_up) == ["paid", "paid", "upcoming"]
    assert caught_up["paid_date"][1] == pd.Timestamp("2024-02-20")
    assert plan_status(caught_up) == "kept"


def test_payments_after_the_run_date_do_not_count_yet():
    paid = payments(("2024-01-10", 100), ("2024-02-12", 100))
    judged = adherence(PLAN, paid, "2024-02-11")
    assert statuses(judged) == ["paid", "missed", "upcoming"]


def test_within_tolerance_counts_as_paid_and_all_paid_is_closed():
    paid = payments(("2024-01-10", 100), ("2024-02-10", 100), ("2024-03-01", 99.996))
    judged = adherence(PLAN, paid, "2024-03-02")
    assert statuses(judged) == ["paid", "paid", "paid"]
    assert plan_status(judged) == "closed"
    short = adherence(PLAN, payments(("2024-01-10", 299.99)), "2024-04-01")
    assert statuses(short) == ["paid", "paid", "missed"]


def test_overpayment_is_reported_not_lost():
    judged = adherence(PLAN, payments(("2024-01-05", 350)), "2024-01-06")
    assert plan_status(judged) == "closed"
    assert judged.attrs["overpaid"] == 50.0


def test_a_refund_uncovers_an_instalment_and_moves_its_paid_date():
    paid = payments(("2024-01-05", 100), ("2024-01-06", -50), ("2024-01-08", 50))
    judged = adherence(PLAN, paid, "2024-01-09")
    assert judged["paid_date"][0] == pd.Timestamp("2024-01-08")


def test_statuses_match_the_policy_vocabulary():
    seen = {plan_status(adherence(PLAN, payments(*paid), day)) for paid, day in [
        ((), "2024-01-01"), ((("2024-01-10", 100),), "2024-01-20"),
        ((), "2024-02-01"), ((("2024-01-10", 300),), "2024-01-20")]}
    assert seen == {"active", "kept", "missed", "closed"}


def test_bad_payments_name_the_row():
    with pytest.raises(DunningInputError, match="row 2"):
        adherence(PLAN, payments(("2024-01-10", 100), ("soon", 5)), "2024-02-01")
    with pytest.raises(DunningInputError, match="columns date and amount"):
        adherence(PLAN, pd.DataFrame({"when": ["2024-01-01"]}), "2024-02-01")
    with pytest.raises(DunningInputError, match="instalment, due_date and amount"):
        adherence(PLAN.drop(columns="amount"), payments(), "2024-02-01")


# --- PaymentPlans sheet rows ----------------------------------------------------------------

def test_plan_rows_from_a_schedule_and_from_adherence():
    plan = schedule(100, "2024-01-31", 2, "monthly", currency="usd")
    rows = plan_rows(plan, "C001", "P-1")
    assert rows[0] == HEADERS == ["Plan", "Customer", "Instalment", "Due Date", "Amount",
                                  "Currency", "Paid", "Status"]
    assert rows[1:] == [["P-1", "C001", 1, dt.date(2024, 1, 31), 50.0, "USD", 0.0, ""],
                        ["P-1", "C001", 2, dt.date(2024, 2, 29), 50.0, "USD", 0.0, ""]]
    judged = adherence(plan, payments(("2024-01-30", 70)), "2024-02-01")
    assert plan_rows(judged, "C001", "P-1")[1:] == [
        ["P-1", "C001", 1, dt.date(2024, 1, 31), 50.0, "USD", 50.0, "paid"],
        ["P-1", "C001", 2, dt.date(2024, 2, 29), 50.0, "USD", 20.0, "partly paid"]]


def test_plan_status_feeds_the_policy():
    from dunning.ledger import build_ledger
    from dunning.policy import Policy, decide

    header = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Currency"]
    frame = build_ledger([header, ["INV-1", "A", dt.date(2026, 1, 1), dt.date(2026, 2, 1), 300,
                                   "EUR"],
                          ["INV-2", "B", dt.date(2026, 1, 1), dt.date(2026, 2, 1), 300,
                           "EUR"]]).frame
    who = pd.DataFrame({"customer": ["A", "B"], "email": ["ap@a.example.com", "ap@b.example.com"]})
    plan = schedule(300, "2026-02-15", 3, "fortnightly", currency="EUR")
    kept = plan_status(adherence(plan, payments(("2026-02-15", 100), ("2026-03-01", 100)),
                                 "2026-03-11"))
    missed = plan_status(adherence(plan, payments(("2026-02-15", 100)), "2026-03-11"))
    plans = pd.DataFrame({"customer": ["A", "B"], "status": [kept, missed]})
    now = dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.timezone.utc)  # a Wednesday
    decisions = decide(frame, who, None, Policy(), now, plans).customers.set_index("customer")
    assert (kept, missed) == ("kept", "missed")
    assert decisions.loc["A", "reason"] == "nothing to chase: payment plan being kept (INV-1)"
    assert decisions.loc["B", "action"] == "send"
