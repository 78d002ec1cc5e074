"""The collector's worklist: order, reasons, and the parts of the score."""

import pandas as pd
import pytest

from dunning.core.policy import Policy, Stage
from dunning.core.worklist import HEADERS, PART_HEADERS, POINTS, build_worklist, worklist_rows
from dunning.render.report import worklist_text
from test_policy import NOW, TODAY, contact, customers, item, run


def promise(customer, date, promised, paid, status, *, logged_days_ago=10, superseded=False):
    """A row as `promises.promise_outcomes` gives it."""
    return {"customer": customer, "logged": TODAY - pd.Timedelta(days=logged_days_ago),
            "invoices": "", "promise_date": pd.Timestamp(date), "promised": promised,
            "balance_then": promised, "balance_now": promised - paid, "paid": paid,
            "status": status, "days_overdue": 0, "superseded": superseded}


def promises(*rows):
    return pd.DataFrame(list(rows))


def ranked(worklist):
    return worklist["customer"].tolist()


def test_flags_outrank_measures_and_the_score_is_the_sum_of_its_parts():
    rows = [item("A1", "A", 10), item("B1", "B", 200, amount=50_000), item("C1", "C", 5),
            item("D1", "D", 3)]
    decisions = run(rows)
    worklist = build_worklist(decisions, promises=promises(
        promise("C", TODAY - pd.Timedelta(days=3), 300.0, 0.0, "broken"),
        promise("D", TODAY, 200.0, 50.0, "pending")))
    # B is 200 days late: the hand-off stage is due (30) and it owes the most, longest
    # (20 + 10); C broke a promise (40); D's promise falls due today (25 and a little for
    # 3 days late); A is a little late.
    assert ranked(worklist) == ["B", "C", "D", "A"]
    parts = worklist.set_index("customer")[list(POINTS)]
    assert (parts.sum(axis=1).round(1) == worklist.set_index("customer")["score"]).all()
    assert parts.loc["C", "broken_promise"] == POINTS["broken_promise"]
    assert parts.loc["D", "promise_due_today"] == POINTS["promise_due_today"]
    assert parts.loc["B", "far_past_due"] == POINTS["far_past_due"]  # the largest: full points
    assert parts.loc["B", "oldest_overdue"] == POINTS["oldest_overdue"]  # 200 days: capped
    assert parts.loc["A", "oldest_overdue"] == pytest.approx(10 / 120 * 10, abs=0.05)
    reasons = worklist.set_index("customer")["reason"]
    assert reasons["C"].startswith("promise to pay by") and "broken (paid 0.00 of 300.00)" in (
        reasons["C"])
    assert reasons["D"] == "promise of 200.00 falls due today (paid 50.00 so far)"
    assert reasons["B"] == "hand-off due (200 days past due)"


def test_far_past_due_is_scaled_to_the_largest_balance_in_the_same_currency():
    rows = [item("A1", "A", 90, amount=1000), item("B1", "B", 90, amount=4000),
            item("U1", "U", 90, amount=10, currency="USD")]
    worklist = build_worklist(run(rows)).set_index("customer")
    assert worklist.loc["B", "far_past_due"] == 20.0
    assert worklist.loc["A", "far_past_due"] == 5.0  # a quarter of B's
    assert worklist.loc["U", "far_past_due"] == 20.0  # the largest in dollars


def test_hand_off_and_missed_instalment_are_reasons_of_their_own():
    stages = (Stage("Friendly", 1, "email"), Stage("Agency", 30, "task"))
    history = [contact("A", 20, stage="Friendly", invoices="A1")]
    decisions = run([item("A1", "A", 45), item("B1", "B", 2)], history=history,
                    policy=Policy(stages=stages))
    plans = pd.DataFrame([{"plan": "PP-B-20260301", "customer": "B", "currency": "EUR",
                           "status": "missed", "missed": 2}])
    worklist = build_worklist(decisions, plans=plans).set_index("customer")
    assert worklist.loc["A", "hand_off"] == POINTS["hand_off"]
    assert worklist.loc["A", "reason"] == "hand-off due: Agency"
    assert worklist.loc["B", "reason"] == "payment plan PP-B-20260301: 2 instalments missed"


def test_a_customer_whose_address_was_refused_for_good_is_put_up_for_a_call():
    """No reminder can reach them, so a person calls: a hand-off's points, ranked with the
    others (not at the bottom), the reason naming the address and the cell to fix."""
    from dunning.core.policy import Refusal

    refusal = Refusal("ap@a.example.com", "2026-03-09", "550 no such user", "A|friendly|x",
                      "Customers!D2 (Contact Email)")
    rows = [item("A1", "A", 20), item("B1", "B", 25)]
    worklist = build_worklist(run(rows, refused={"A": refusal})).set_index("customer")
    assert worklist.loc["A", "hand_off"] == POINTS["hand_off"] and not worklist.loc["A", "held"]
    assert worklist.loc["A", "reason"].startswith(
        "call instead: the mail server refused ap@a.example.com for good on 2026-03-09")
    assert "Customers!D2 (Contact Email)" in worklist.loc["A", "reason"]
    assert worklist.index[0] == "A" and worklist.loc["B", "hand_off"] == 0
    assert worklist.loc["A", "reminder"].startswith("skip: address refused")


def test_held_customers_go_to_the_bottom_with_the_dispute_age():
    history = [contact("A", 12, "disputed", invoices="A1")]
    rows = [item("A1", "A", 150, amount=90_000), item("B1", "B", 2)]
    disputes = pd.DataFrame([{"customer": "A", "invoice": "A1", "status": "open",
                              "age_days": 12.0}])
    worklist = build_worklist(run(rows, history=history), disputes=disputes)
    assert ranked(worklist) == ["B", "A"]
    held = worklist.set_index("customer").loc["A"]
    assert bool(held["held"]) and held["reason"] == "on hold: dispute open 12 days (A1)"
    assert held["far_past_due"] == 0  # a disputed item is not chased


def test_a_promise_not_yet_due_holds_the_customer():
    history = [contact("A", 2, "promised to pay", invoices="A1",
                       promise_date=TODAY + pd.Timedelta(days=5))]
    worklist = build_worklist(run([item("A1", "A", 40), item("B1", "B", 1)], history=history))
    assert ranked(worklist) == ["B", "A"]
    expected = f"on hold: promise to pay until {TODAY + pd.Timedelta(days=5):%Y-%m-%d} (A1)"
    assert worklist.iloc[1]["reason"] == expected


def test_customers_with_nothing_to_do_are_not_listed():
    rows = [item("A1", "A", -10), item("B1", "B", 30, paid=100.0), item("C1", "C", 4)]
    assert ranked(build_worklist(run(rows))) == ["C"]


def test_a_superseded_or_kept_promise_is_not_a_broken_one():
    rows = [item("A1", "A", 5)]
    worklist = build_worklist(run(rows), promises=promises(
        promise("A", TODAY - pd.Timedelta(days=20), 100.0, 0.0, "broken", logged_days_ago=30,
                superseded=True),
        promise("A", TODAY - pd.Timedelta(days=2), 100.0, 100.0, "kept")))
    assert worklist.loc[0, "broken_promise"] == 0


def test_risk_is_the_balance_weighted_chance_of_paying_late():
    rows = [item("A1", "A", -5, amount=300), item("A2", "A", -5, amount=100),
            item("A3", "A", 9, amount=900)]  # past due: late for certain, not a risk
    risk = pd.DataFrame({"customer": ["A"] * 3, "invoice": ["A1", "A2", "A3"],
                         "p_late": [0.9, 0.1, 1.0]})
    worklist = build_worklist(run(rows), risk=risk)
    assert worklist.loc[0, "risk"] == pytest.approx(15 * 0.7, abs=0.05)
    assert "high risk of paying late (70% by the risk score)" in worklist.loc[0, "reasons"]


def test_sheet_rows_and_terminal_text():
    rows = [item("A1", "A", 10), item("B1", "B", 20, currency="USD"),
            item("B2", "B", 20, currency="EUR")]
    worklist = build_worklist(run(rows))
    sheet = worklist_rows(worklist)
    assert sheet[0] == list(HEADERS)
    by_customer = {row[1]: dict(zip(HEADERS, row, strict=True)) for row in sheet[1:]}
    assert by_customer["A"]["Open Balance"] == 100.0 and by_customer["A"]["Currency"] == "EUR"
    assert by_customer["B"]["Open Balance"] == "EUR 100.00; USD 100.00"  # never added
    text = worklist_text(worklist, NOW.date())
    assert "1. B B Ltd" in text and "owes EUR 100.00; USD 100.00" in text
    assert "nobody needs a call today" in worklist_text(worklist.iloc[0:0], NOW.date())


def test_a_dispute_beside_chased_items_is_named_with_its_age():
    history = [contact("A", 4, "disputed", invoices="A1")]
    rows = [item("A1", "A", 50), item("A2", "A", 20)]
    disputes = pd.DataFrame([{"customer": "A", "invoice": "A1", "status": "open",
                              "age_days": 4.0}])
    entry = build_worklist(run(rows, history=history), disputes=disputes).iloc[0]
    assert not entry["held"] and entry["reason"] == "A2 is 20 days past due"
    assert entry["reasons"].endswith("also on hold: dispute open 4 days (A1)")


def test_the_open_balance_nets_credit_notes_as_the_aging_does():
    rows = [item("A1", "A", 40, amount=1000), item("A2", "A", 10, amount=-250)]
    entry = build_worklist(run(rows)).iloc[0]
    assert entry["open_by_currency"] == {"EUR": 750.0}


def test_a_hand_off_reached_by_the_days_counts_before_the_reminders_climb_to_it():
    stages = (Stage("Friendly", 1, "email"), Stage("Firm", 15, "email"),
              Stage("Agency", 60, "task"))
    decisions = run([item("A1", "A", 300)], policy=Policy(stages=stages))
    assert decisions.customers.loc[0, "action"] == "send"  # Friendly goes first
    entry = build_worklist(decisions).iloc[0]
    assert entry["hand_off"] == POINTS["hand_off"]
    assert entry["reason"] == "hand-off due: Agency (300 days past due)"


def test_do_not_contact_customers_are_held_at_the_bottom():
    who = customers("A", "B", do_not_contact=[True, False])
    worklist = build_worklist(run([item("A1", "A", 200, 9000), item("B1", "B", 3)], who=who))
    assert ranked(worklist) == ["B", "A"]
    assert worklist.iloc[1]["reason"] == "on hold: marked do not contact in the Customers table"


def small_book(path, invoices, customers_rows=None):
    """A client workbook (.xlsx) of a few invoices, as `dunning new-workbook` lays it out."""
    from dunning.io.client_workbook import build_workbook

    header = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Currency",
              "Disputed"]
    ids = sorted({row[1] for row in invoices})
    who = customers_rows or [[c, f"{c} Ltd", f"ap@{c.lower()}.example.com"] for c in ids]
    return build_workbook(path, client="Test", as_of=TODAY.date(),
                          invoices=pd.DataFrame(invoices, columns=header),
                          customers=pd.DataFrame(who, columns=["Customer", "Name",
                                                               "Contact Email"]))


def test_each_dispute_is_said_as_it_is_known_logged_with_its_age_flagged_without(tmp_path):
    """One dispute logged yesterday, two invoices carrying only the Invoices table's Disputed
    flag: the day after, the worklist gives the logged one its age and says the flagged ones
    have no date logged, instead of one age for all."""
    import datetime as dt

    from dunning.app import actions
    from dunning.core.contactlog import Contact
    from dunning.io.book import open_book

    issued, due = (TODAY - pd.Timedelta(days=90)).date(), (TODAY - pd.Timedelta(days=60)).date()
    path = small_book(tmp_path / "Client.xlsx", [
        ["A-1", "A", issued, due, 500.0, "EUR", "No"],
        ["A-2", "A", issued, due, 300.0, "EUR", "Yes"],
        ["A-3", "A", issued, due, 200.0, "EUR", "Yes"],
        ["A-4", "A", issued, due, 100.0, "EUR", "No"],  # still chased
    ])
    flagged = open_book(path, all_currencies=True).frame.query("disputed")["invoice"].tolist()
    assert flagged == ["A-2", "A-3"]  # as the workbook holds them
    yesterday = NOW - dt.timedelta(days=1)
    actions.log_contact(path, Contact("A", "phone", "dispute", yesterday, invoices=("A-1",)))
    entry = actions.worklist(path, now=NOW, as_of=NOW.date(), write=False).data.iloc[0]
    assert entry["customer"] == "A" and not entry["held"]
    assert entry["reasons"].endswith(
        "also on hold: dispute open 1 day (A-1); disputed, flagged in the Invoices table with "
        "no date logged (A-2, A-3)")


def test_logged_disputes_of_different_ages_each_keep_their_own():
    history = [contact("A", 12, "disputed", invoices="A1"),
               contact("A", 3, "disputed", invoices="A2, A3")]
    rows = [item("A1", "A", 50), item("A2", "A", 40), item("A3", "A", 40), item("A4", "A", 20)]
    disputes = pd.DataFrame([
        {"customer": "A", "invoice": invoice, "status": "open", "age_days": age}
        for invoice, age in (("A1", 12.0), ("A2", 3.0), ("A3", 3.0))])
    entry = build_worklist(run(rows, history=history), disputes=disputes).iloc[0]
    assert entry["reasons"].endswith(
        "also on hold: dispute open 12 days (A1); disputes open 3 days (A2, A3)")


def test_nothing_overdue_is_listed_only_for_a_high_risk_as_a_courtesy_call_saying_so():
    """A risk-only entry is a call before the money falls due, and says so; a modest risk
    with nothing overdue is no reason to call and is not listed."""
    rows = [item("A1", "A", -9, amount=400), item("A2", "A", -4, amount=100),
            item("B1", "B", -4, amount=900), item("C1", "C", 5, amount=50),
            item("C2", "C", -4, amount=50)]
    risk = pd.DataFrame({"customer": ["A", "A", "B", "C", "C"],
                         "invoice": ["A1", "A2", "B1", "C1", "C2"],
                         "p_late": [0.8, 0.8, 0.3, 1.0, 0.3]})
    worklist = build_worklist(run(rows), risk=risk).set_index("customer")
    assert sorted(worklist.index) == ["A", "C"]  # B: nothing overdue and a modest risk
    due = (TODAY + pd.Timedelta(days=4)).date()  # A's next item to fall due: A2
    assert worklist.loc["A", "reason"] == worklist.loc["A", "reasons"] == (
        "courtesy call: nothing overdue yet, but a high risk of paying late (80% by the risk "
        f"score); A2 falls due on {due:%Y-%m-%d}")
    assert worklist.loc["A", "score"] == worklist.loc["A", "risk"] == pytest.approx(12.0)
    assert "courtesy" not in worklist.loc["C", "reasons"]  # C is overdue: called for that
    assert "some risk of paying late (30% by the risk score)" in worklist.loc["C", "reasons"]


def test_on_the_sample_workbook_every_risk_only_entry_is_a_courtesy_call(book):
    """Read from the .xlsx: an entry whose one part is the risk's says why a person calls."""
    from dunning.app import actions
    from dunning.demo import SAMPLE_AS_OF
    from dunning.io.book import open_book

    now = pd.Timestamp(SAMPLE_AS_OF).tz_localize("UTC") + pd.Timedelta(hours=9)
    ranked = actions.worklist(book, now=now.to_pydatetime(), as_of=SAMPLE_AS_OF,
                              write=False).data
    others = [part for part in POINTS if part != "risk"]
    only_risk = ranked[(ranked[others] == 0).all(axis=1) & (ranked["risk"] > 0)
                       & ~ranked["held"]]
    assert not only_risk.empty  # the sample has one (a customer with nothing overdue)
    ledger = open_book(book, as_of=SAMPLE_AS_OF, all_currencies=True).frame
    for entry in only_risk.itertuples():
        assert entry.risk >= POINTS["risk"] * 0.5 and entry.reason.startswith("courtesy call")
        invoice = entry.reason.split("; ")[-1].split(" falls due on ")[0]
        row = ledger[ledger["invoice"] == invoice].iloc[0]
        assert row["customer"] == entry.customer and row["due_date"].date() >= SAMPLE_AS_OF


def test_scores_show_one_decimal_in_the_sheet_and_the_text_alike(tmp_path):
    """A whole score reads 60.0 beside 72.5, never 60: each part is a tenth at the finest,
    so one decimal shows the score exactly, and the parts shown add up to it."""
    from openpyxl import load_workbook

    from dunning.app import actions

    day = lambda ago: (TODAY - pd.Timedelta(days=ago)).date()  # noqa: E731
    path = small_book(tmp_path / "Client.xlsx", [
        ["A-1", "A", day(230), day(200), 4000.0, "EUR", "No"],  # every part full: whole
        ["B-1", "B", day(120), day(90), 1000.0, "EUR", "No"],  # a quarter of A's: not
    ])
    ranked = actions.worklist(path, now=NOW, as_of=NOW.date()).data
    scores = ranked.set_index("customer")["score"]
    assert scores["A"] == int(scores["A"]) and scores["B"] != int(scores["B"])
    text = worklist_text(ranked, NOW.date())
    for customer, score in scores.items():
        assert f"{customer} {customer} Ltd  score {score:.1f}  owes" in text
    sheet = load_workbook(path)["Worklist"]
    header = [cell.value for cell in sheet[1]]
    columns = [header.index(name) for name in ("Score", *PART_HEADERS.values())]
    for row in sheet.iter_rows(min_row=2):
        assert {row[i].number_format for i in columns} == {"0.0"}
