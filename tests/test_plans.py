"""Payment plans: schedules that add up to the cent, and adherence judged from payments."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.core.plans import (
    HEADERS,
    PLAN_COLUMNS,
    SUMMARY_COLUMNS,
    adherence,
    check_block_free,
    judge_plans,
    new_plan_id,
    plan_rows,
    plan_rows_for_sheet,
    plan_status,
    plans_from_rows,
    plans_place,
    schedule,
)


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
    rows = plan_rows(plan, "C001", "P-1", ["INV-1", "INV-2"])
    assert rows[0] == HEADERS == ["Plan", "Customer", "Invoices", "Instalment", "Due Date",
                                  "Amount", "Currency", "Paid", "Status"]
    assert rows[1:] == [["P-1", "C001", "INV-1, INV-2", 1, dt.date(2024, 1, 31), 50.0, "USD",
                         0.0, ""],
                        ["P-1", "C001", "INV-1, INV-2", 2, dt.date(2024, 2, 29), 50.0, "USD",
                         0.0, ""]]
    judged = adherence(plan, payments(("2024-01-30", 70)), "2024-02-01")
    assert plan_rows(judged, "C001", "P-1", "INV-1; INV-2")[1:] == [
        ["P-1", "C001", "INV-1, INV-2", 1, dt.date(2024, 1, 31), 50.0, "USD", 50.0, "paid"],
        ["P-1", "C001", "INV-1, INV-2", 2, dt.date(2024, 2, 29), 50.0, "USD", 20.0,
         "partly paid"]]


def test_plan_rows_without_invoices_still_work():
    rows = plan_rows(schedule(10, "2024-01-01", 1, "weekly"), "C001", "P-1")
    assert rows[1] == ["P-1", "C001", "", 1, dt.date(2024, 1, 1), 10.0, "", 0.0, ""]


def test_plan_status_feeds_the_policy():
    from dunning.core.policy import Policy, decide

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


# --- the PaymentPlans sheet read back -------------------------------------------------------

LEDGER_HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid",
                 "Currency"]


def plan_ledger(*rows):
    """Ledger rows (invoice, customer, amount, paid[, currency]), all issued on 1 Dec 2023."""
    body = [[invoice, customer, dt.date(2023, 12, 1), dt.date(2023, 12, 31), amount, paid,
             currency] for invoice, customer, amount, paid, *rest in rows
            for currency in [rest[0] if rest else "EUR"]]
    return build_ledger([LEDGER_HEADER, *body]).frame


def sheet_for(*plans):
    """The sheet rows of several (schedule, customer, id, invoices) plans, header first."""
    rows = [list(HEADERS)]
    for plan, customer, plan_id, invoices in plans:
        rows += plan_rows(plan, customer, plan_id, invoices)[1:]
    return rows


def test_plan_rows_read_back_give_the_same_plan():
    plan = schedule(1000, "2024-01-31", 3, "monthly", first_payment=100, currency="eur")
    judged = adherence(plan, payments(("2024-02-01", 400)), "2024-02-05")
    rows = plan_rows(judged, "007", "PP-007-20240131", ["0042", "INV-9"])
    read = plans_from_rows(rows)
    assert list(read.columns) == [*PLAN_COLUMNS, "row"]
    assert list(read["plan"]) == ["PP-007-20240131"] * 3
    assert list(read["customer"]) == ["007"] * 3           # text stays text
    assert list(read["invoices"]) == [("0042", "INV-9")] * 3
    assert list(read["instalment"]) == [1, 2, 3]
    assert days(read) == days(plan)
    assert cents(read) == cents(plan) == [10000, 45000, 45000]
    assert list(read["currency"]) == ["EUR"] * 3
    assert list(read["paid"]) == [100.0, 300.0, 0.0]
    assert list(read["status"]) == ["paid", "partly paid", "upcoming"]
    assert list(read["row"]) == [2, 3, 4]
    assert plan_rows(read.rename(columns={"paid": "paid_amount"}), "007", "PP-007-20240131",
                     read["invoices"][0]) == rows


def test_the_plans_remember_where_they_sit_so_they_are_written_back_there():
    plan = plan_rows(schedule(300, "2024-01-31", 2, "monthly"), "C1", "PP-1")
    assert plans_place(plans_from_rows(plan)) is None  # from A1: the sheet is Dunning's
    below = [["Plans agreed"], [], *[["note", None, *row] for row in plan]]
    assert plans_place(plans_from_rows(below)) == (3, 3)
    assert plans_place(plans_from_rows([[], [None, *HEADERS]])) == (2, 2)  # no plans yet
    assert plans_place(plans_from_rows([])) is None


def test_a_cell_of_the_users_where_the_plans_are_written_is_named():
    plan = plan_rows(schedule(300, "2024-01-31", 2, "monthly"), "C1", "PP-1")
    rows = [["Plans agreed"], [], *[["note", None, *row] for row in plan]]
    rows[2] += [None, "Dunning, as of 2024-01-31", "beside: kept"]  # the stamp, and a note
    check_block_free(rows, (3, 3))  # nothing of the user's in C:M from row 3
    rows[3] += ["Ana"]  # under the gap column, L
    rows.append([None] * 12 + ["under the stamp"])
    with pytest.raises(DunningInputError) as caught:
        check_block_free(rows, (3, 3))
    assert [(i.sheet, i.row, i.column_letter, i.value) for i in caught.value.issues] == [
        ("PaymentPlans", 4, "L", "Ana"), ("PaymentPlans", 6, "M", "under the stamp")]
    assert "C to M, from row 3 down" in caught.value.issues[0].message


def test_sheet_values_as_excel_gives_them():
    rows = [["plan", " CUSTOMER ", "Invoices", "Instalment", "Due Date", "Amount", "Currency",
             "Paid", "Status"],
            ["P-1", 611365.0, 1001.0, 1.0, 45322.0, "1,250.50", "usd", None, None],
            [None, "", None, None, None, None, None, None, None],           # blank: skipped
            ["P-1", 611365.0, "", "2", "2024-02-29", 1250.5, "", "", ""],
            [None, None, None, None, None, None, None, None, None]]
    read = plans_from_rows(rows)
    assert list(read["customer"]) == ["611365", "611365"]
    assert list(read["invoices"]) == [("1001",), ()]
    assert list(read["due_date"]) == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]
    assert list(read["amount"]) == [1250.5, 1250.5]
    assert list(read["paid"]) == [0.0, 0.0]
    assert list(read["row"]) == [2, 4]
    assert list(read["currency"]) == ["USD", "USD"]   # a blank Currency takes the plan's


def test_a_due_date_or_amount_no_plan_can_have_names_its_cell_and_the_range():
    rows = [list(HEADERS),
            ["P-1", "C1", "A", 1, dt.date(9999, 12, 31), 1e308, "EUR", "9" * 400, ""]]
    with pytest.raises(DunningInputError) as raised:
        plans_from_rows(rows)
    said = {issue.column: str(issue) for issue in raised.value.issues}
    assert said["Due Date"] == ("PaymentPlans!E2 (Due Date): expected a date from 1900-03-01 "
                                "to 2200-12-31 (found '9999-12-31')")
    assert said["Amount"].startswith("PaymentPlans!F2 (Amount): expected an amount")
    assert said["Paid"].endswith("(found '99999999999999999999... (400 characters)')")


def test_an_older_sheet_without_invoices_still_reads():
    rows = [["Plan", "Customer", "Instalment", "Due Date", "Amount", "Currency", "Paid",
             "Status"], ["P-1", "C1", 1, dt.date(2024, 1, 1), 10, "EUR", 10, "paid"]]
    read = plans_from_rows(rows)
    assert list(read["invoices"]) == [()]
    assert plans_from_rows([]).empty and plans_from_rows([list(HEADERS)]).empty


def test_bad_cells_name_sheet_row_and_column():
    rows = [list(HEADERS),
            ["P-1", "C1", "A", 1, dt.date(2024, 1, 1), 100, "EUR", 0, ""],
            ["P-1", "", "A", 1.5, "soon", "lots", "EUR", -3, ""],
            ["P-1", "C2", "A", 1, dt.date(2024, 2, 1), 0, "GBP", "", ""]]
    with pytest.raises(DunningInputError) as raised:
        plans_from_rows(rows, sheet="Plans")
    found = {(issue.sheet, issue.row, issue.column, issue.column_letter, issue.value)
             for issue in raised.value.issues}
    assert found == {
        ("Plans", 3, "Customer", "B", ""),
        ("Plans", 3, "Instalment", "D", 1.5),
        ("Plans", 3, "Due Date", "E", "soon"),
        ("Plans", 3, "Amount", "F", "lots"),
        ("Plans", 3, "Paid", "H", -3),
        ("Plans", 4, "Amount", "F", 0),
        ("Plans", 4, "Instalment", "D", 1),          # P-1 already has instalment 1
        ("Plans", 4, "Customer", "B", "C2"),
        ("Plans", 4, "Currency", "G", "GBP"),
    }
    assert "Plans!E3 (Due Date)" in str(raised.value)


def test_missing_headers_are_named():
    with pytest.raises(DunningInputError, match="lacks the columns Instalment, Due Date") as raised:
        plans_from_rows([["Plan", "Customer", "Amount"], ["P", "C", 1]])
    assert raised.value.issues[0].row == 1 and raised.value.issues[0].sheet == "PaymentPlans"


# --- judging the sheet from the ledger -------------------------------------------------------

PLAN_300 = schedule(300, "2024-01-10", 3, "monthly", currency="EUR")  # 10 Jan, 10 Feb, 10 Mar


def judged_on(day, ledger, plans=((PLAN_300, "A", "PP-A", ["A1", "A2"]),), **keywords):
    return judge_plans(plans_from_rows(sheet_for(*plans)), ledger, day, **keywords)


def test_paid_is_the_plan_total_less_what_its_invoices_still_owe():
    # A1 200 and A2 100 make up the plan; 130.45 of them has been paid. A3 is not in it.
    ledger = plan_ledger(("A1", "A", 200, 130.45), ("A2", "A", 100, None), ("A3", "A", 50, 50))
    instalments, summary = judged_on("2024-02-05", ledger)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    plan = summary.iloc[0]
    assert (plan["total"], plan["paid"], plan["remaining"]) == (300.0, 130.45, 169.55)
    assert plan["status"] == "kept"
    assert plan["missed"] == 0
    assert plan["next_due_date"] == pd.Timestamp("2024-02-10")
    assert plan["next_amount"] == 69.55
    assert (plan["paid_from"], plan["invoices"], plan["unmatched"]) == ("ledger", "A1, A2", "")
    assert list(instalments["paid"]) == [100.0, 30.45, 0.0]
    assert list(instalments["status"]) == ["paid", "partly paid", "upcoming"]
    assert round(sum(instalments["paid"]), 2) == plan["paid"]


def test_a_missed_instalment_is_counted_and_catching_up_keeps_the_plan_again():
    behind = plan_ledger(("A1", "A", 200, 100), ("A2", "A", 100, None))
    _, summary = judged_on("2024-02-11", behind)
    assert (summary["status"][0], summary["missed"][0]) == ("missed", 1)
    assert summary["next_due_date"][0] == pd.Timestamp("2024-02-10")
    caught_up = plan_ledger(("A1", "A", 200, 200), ("A2", "A", 100, None))
    instalments, summary = judged_on("2024-02-11", caught_up)
    assert summary["status"][0] == "kept"
    assert list(instalments["status"]) == ["paid", "paid", "upcoming"]


def test_all_paid_closes_the_plan_and_nothing_due_yet_is_active():
    paid_up = plan_ledger(("A1", "A", 200, 200), ("A2", "A", 100, 100))
    _, summary = judged_on("2024-01-20", paid_up)
    assert summary["status"][0] == "closed"
    assert (summary["remaining"][0], summary["next_amount"][0]) == (0.0, 0.0)
    assert pd.isna(summary["next_due_date"][0])
    _, early = judged_on("2024-01-05", plan_ledger(("A1", "A", 200, None),
                                                   ("A2", "A", 100, None)))
    assert early["status"][0] == "active"


def test_judged_plans_honour_grace_days():
    ledger = plan_ledger(("A1", "A", 200, None), ("A2", "A", 100, None))
    assert judged_on("2024-01-13", ledger, grace_days=3)[1]["status"][0] == "active"
    assert judged_on("2024-01-14", ledger, grace_days=3)[1]["status"][0] == "missed"


def test_payments_toward_other_invoices_or_currencies_do_not_count():
    ledger = plan_ledger(("A1", "A", 200, None), ("A2", "A", 100, None), ("A3", "A", 500, 500),
                         ("A2", "A", 80, 80, "USD"), ("A1", "B", 300, 300))
    _, summary = judged_on("2024-01-11", ledger)
    assert (summary["paid"][0], summary["status"][0]) == (0.0, "missed")


def test_an_invoice_missing_from_the_ledger_counts_as_paid_and_is_listed():
    ledger = plan_ledger(("A1", "A", 200, None))
    _, summary = judged_on("2024-01-11", ledger)
    assert (summary["paid"][0], summary["unmatched"][0]) == (100.0, "A2")


def test_a_plan_naming_no_invoices_keeps_the_paid_on_its_sheet():
    rows = sheet_for((PLAN_300, "A", "PP-A", []))
    rows[1][HEADERS.index("Paid")] = 100
    instalments, summary = judge_plans(plans_from_rows(rows), plan_ledger(), "2024-02-11")
    assert (summary["paid_from"][0], summary["paid"][0], summary["status"][0]) == (
        "sheet", 100.0, "missed")
    assert list(instalments["status"]) == ["paid", "missed", "upcoming"]


def test_several_plans_come_back_in_plan_and_instalment_order():
    plan_b = schedule(90, "2024-01-01", 2, "weekly", currency="EUR")
    sheet = sheet_for((PLAN_300, "A", "PP-B", ["A1"]), (plan_b, "B", "PP-A", ["B1"]))
    sheet = [sheet[0], *reversed(sheet[1:])]
    ledger = plan_ledger(("A1", "A", 300, 300), ("B1", "B", 90, None))
    instalments, summary = judge_plans(plans_from_rows(sheet), ledger, "2024-03-01")
    assert list(zip(instalments["plan"], instalments["instalment"], strict=True)) == [
        ("PP-A", 1), ("PP-A", 2), ("PP-B", 1), ("PP-B", 2), ("PP-B", 3)]
    assert list(summary["plan"]) == ["PP-A", "PP-B"]
    assert list(summary["status"]) == ["missed", "closed"]
    assert list(summary["missed"]) == [2, 0]
    empty_instalments, empty_summary = judge_plans(plans_from_rows([]), ledger, "2024-03-01")
    assert empty_instalments.empty and list(empty_summary.columns) == list(SUMMARY_COLUMNS)


def test_the_summary_is_the_policy_s_plans_frame():
    from dunning.core.policy import Policy, decide

    frame = build_ledger([["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount",
                           "Paid", "Currency"],
                          ["INV-1", "A", dt.date(2026, 1, 1), dt.date(2026, 2, 1), 300, 200,
                           "EUR"],
                          ["INV-2", "B", dt.date(2026, 1, 1), dt.date(2026, 2, 1), 300, 100,
                           "EUR"]]).frame
    plan = schedule(300, "2026-02-15", 3, "fortnightly", currency="EUR")
    sheet = sheet_for((plan, "A", "PP-A", ["INV-1"]), (plan, "B", "PP-B", ["INV-2"]))
    _, summary = judge_plans(plans_from_rows(sheet), frame, "2026-03-11")
    assert list(summary["status"]) == ["kept", "missed"]
    who = pd.DataFrame({"customer": ["A", "B"], "email": ["ap@a.example.com", "ap@b.example.com"]})
    now = dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.timezone.utc)
    decisions = decide(frame, who, None, Policy(), now, summary).customers.set_index("customer")
    assert decisions.loc["A", "reason"] == "nothing to chase: payment plan being kept (INV-1)"
    assert decisions.loc["B", "action"] == "send"


# --- new plans and the rebuilt sheet ---------------------------------------------------------

def test_new_plan_ids_are_dated_and_never_reused():
    assert new_plan_id("C001", "2024-03-01") == "PP-C001-20240301"
    taken = ["PP-C001-20240301", "pp-c001-20240301-2 "]
    assert new_plan_id("C001", dt.date(2024, 3, 1), taken) == "PP-C001-20240301-3"
    assert new_plan_id(" Acme Ltd ", "2024-03-01") == "PP-Acme-Ltd-20240301"
    with pytest.raises(DunningInputError, match="plan start must be a date"):
        new_plan_id("C001", "whenever")


def test_the_rebuilt_sheet_holds_todays_statuses_and_the_new_plan():
    ledger = plan_ledger(("A1", "A", 200, 130.45), ("A2", "A", 100, None), ("B1", "B", 90, None))
    instalments, _ = judged_on("2024-02-05", ledger)
    plan_b = schedule(90, "2024-02-06", 2, "weekly", currency="EUR")
    plan_id = new_plan_id("B", "2024-02-06", instalments["plan"])
    rows = plan_rows_for_sheet(instalments, plan_rows(plan_b, "B", plan_id, ["B1"]))
    assert rows[0] == HEADERS
    assert rows[1:4] == [
        ["PP-A", "A", "A1, A2", 1, dt.date(2024, 1, 10), 100.0, "EUR", 100.0, "paid"],
        ["PP-A", "A", "A1, A2", 2, dt.date(2024, 2, 10), 100.0, "EUR", 30.45, "partly paid"],
        ["PP-A", "A", "A1, A2", 3, dt.date(2024, 3, 10), 100.0, "EUR", 0.0, "upcoming"]]
    assert rows[4:] == [
        ["PP-B-20240206", "B", "B1", 1, dt.date(2024, 2, 6), 45.0, "EUR", 0.0, ""],
        ["PP-B-20240206", "B", "B1", 2, dt.date(2024, 2, 13), 45.0, "EUR", 0.0, ""]]
    again = plans_from_rows(rows)
    assert sorted(set(again["plan"])) == ["PP-A", "PP-B-20240206"]
    assert plan_rows_for_sheet(again) == rows
    assert plan_rows_for_sheet(None, plan_rows(plan_b, "B", "P", ["B1"]))[0] == HEADERS


def test_a_new_plan_cannot_take_an_id_on_the_sheet():
    existing = plans_from_rows(sheet_for((PLAN_300, "A", "PP-A", ["A1"])))
    with pytest.raises(DunningInputError, match="already has a plan 'pp-a'"):
        plan_rows_for_sheet(existing, plan_rows(PLAN_300, "A", "pp-a", ["A2"]))
