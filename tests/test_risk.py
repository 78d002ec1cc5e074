"""The late-payment risk score: no peeking at the future, honest fallbacks, and real skill.

The IBM test trains on the sample's invoices settled before 1 July 2013 and tests
on those issued from then on; it checks only that the model beats both baselines
(everyone on time, each customer's past average), not particular figures.
"""

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from datasets import IBM, read_dataset
from dunning.core import risk
from dunning.core.ledger import build_ledger

HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Settled Date",
          "Disputed", "Billing"]
DAY = dt.timedelta(days=1)


def ledger(*rows):
    """A ledger frame from (invoice, customer, issued, due, amount, settled, disputed, billing)."""
    return build_ledger([HEADER, *[list(row) for row in rows]]).frame


def d(text):
    return dt.datetime.fromisoformat(text)


def habits_ledger(customers=12, per_customer=25, seed=3, billing=True):
    """Invoices every 10 days per customer; each customer pays late by habit, disputes later."""
    rng = np.random.default_rng(seed)
    rows = []
    start = d("2023-01-02")
    for c in range(customers):
        habit = (c + 0.5) / customers
        for k in range(per_customer):
            issued = start + (10 * k + c) * DAY
            due = issued + 30 * DAY
            disputed = rng.random() < 0.15
            late = rng.random() < min(1.0, habit + 0.4 * disputed)
            settled = due + (int(rng.integers(3, 25)) if late else -int(rng.integers(0, 20))) * DAY
            paper = "Paper" if c % 2 else "Electronic"
            rows.append((f"I{c:02d}-{k:03d}", f"C{c:02d}", issued, due, 100.0 + 37 * k,
                         settled, "Yes" if disputed else "No", paper if billing else ""))
    return ledger(*rows)


def test_history_counts_only_invoices_settled_before_the_invoice_date():
    frame = ledger(
        ("A1", "A", d("2024-01-01"), d("2024-01-31"), 100.0, d("2024-02-10"), "No", ""),
        ("A2", "A", d("2024-02-10"), d("2024-03-11"), 100.0, None, "No", ""),  # same day
        ("A3", "A", d("2024-02-11"), d("2024-03-12"), 100.0, None, "No", ""),
        ("A4", "A", d("2024-03-01"), d("2024-03-31"), 100.0, d("2024-05-01"), "No", ""),
        ("A5", "A", d("2024-04-01"), d("2024-05-01"), 100.0, None, "No", ""),
        ("B1", "B", d("2023-06-01"), d("2023-07-01"), 100.0, d("2023-07-20"), "No", ""),
        ("CN", "A", d("2024-01-05"), None, -50.0, d("2024-01-06"), "No", ""),  # credit note
    )
    history = risk.customer_history(frame).set_axis(frame["invoice"])
    assert history.loc["A1"].tolist() == [0, 0, 0, 0]
    # A1 was settled on A2's own date: not before it, so not yet paid, and past due
    assert history.loc["A2"].tolist() == [0, 0, 0, 1]
    assert history.loc["A3"].tolist() == [1, 1, 10, 0]  # A1 paid 10 days late; B1 not A's
    # on 1 April A4 (due 31 March, paid in May) counts as past due and unpaid, not as paid;
    # so do A2 and A3; the credit note counts nowhere
    assert history.loc["A5"].tolist() == [1, 1, 10, 3]
    at_split = risk.customer_history(frame, (frame["invoice"] == "A5").to_numpy(), at="2024-06-01")
    assert at_split.iloc[0].tolist() == [2, 2, 41, 3]  # A4 paid 31 days late by June


def test_a_score_does_not_change_with_what_happened_after_the_as_of_date():
    frame = habits_ledger()
    as_of = d("2023-06-30")
    later = frame.copy()
    after = later["settled_date"] > as_of
    assert after.any()
    later.loc[after, "settled_date"] = later.loc[after, "settled_date"] + 90 * DAY
    issued_after = later["invoice_date"] > as_of
    later.loc[issued_after, "disputed"] = ~later.loc[issued_after, "disputed"]
    pd.testing.assert_frame_equal(risk.score(frame, as_of), risk.score(later, as_of))
    pd.testing.assert_frame_equal(risk.fit(frame, as_of).explain(),
                                  risk.fit(later, as_of).explain())


def test_an_invoice_features_ignore_settlements_after_its_own_date():
    frame = habits_ledger()
    model = risk.fit(frame, d("2023-08-31"))
    target = (frame["invoice"] == "I05-012").to_numpy()
    issued = frame.loc[target, "invoice_date"].item()
    changed = frame.copy()
    same_customer_later = (changed["customer"] == "C05") & (changed["settled_date"] >= issued)
    changed.loc[same_customer_later, "settled_date"] += 40 * DAY  # much later payers now
    before = model.predict(frame.loc[target], risk.customer_history(frame, target))
    after = model.predict(changed.loc[target], risk.customer_history(changed, target))
    assert before == after


def test_with_too_little_history_it_says_so_and_uses_the_customer_average():
    frame = ledger(
        ("A1", "A", d("2024-01-01"), d("2024-01-31"), 100.0, d("2024-02-10"), "No", ""),  # 10
        ("A2", "A", d("2024-01-15"), d("2024-02-14"), 100.0, d("2024-03-05"), "No", ""),  # 20
        ("A3", "A", d("2024-02-01"), d("2024-03-02"), 100.0, d("2024-02-20"), "No", ""),  # 0
        ("B1", "B", d("2024-01-10"), d("2024-02-09"), 100.0, d("2024-02-09"), "No", ""),  # 0
        ("A4", "A", d("2024-03-20"), d("2024-04-19"), 100.0, None, "No", ""),
        ("C1", "C", d("2024-03-25"), d("2024-04-24"), 100.0, None, "No", ""),
    )
    assert risk.fit(frame, "2024-04-01") is None
    scored = risk.score(frame, "2024-04-01").set_index("invoice")
    assert scored.loc["A4", "basis"] == "customer average"
    assert scored.loc["A4", "p_late"] == pytest.approx(2 / 3)
    assert scored.loc["A4", "expected_days_late"] == pytest.approx(10.0)  # (10 + 20 + 0) / 3
    assert "paid late on 2 of 3 past invoices" in scored.loc["A4", "reason"]
    assert scored.loc["C1", "basis"] == "no history"  # the ledger's average: 2 late of 4
    assert scored.loc["C1", "p_late"] == pytest.approx(0.5)
    assert scored.loc["C1", "expected_days_late"] == pytest.approx(7.5)
    assert "no paid invoices before this one" in scored.loc["C1", "reason"]


def test_many_paid_invoices_of_one_outcome_are_still_too_little():
    rows = [(f"I{k}", f"C{k % 5}", d("2024-01-01") + k * DAY, d("2024-01-31") + k * DAY, 50.0,
             d("2024-01-20") + k * DAY, "No", "") for k in range(80)]  # all on time
    frame = ledger(*rows, ("OPEN", "C1", d("2024-05-01"), d("2024-05-31"), 50.0, None, "No", ""))
    assert risk.fit(frame, "2024-05-10") is None
    scored = risk.score(frame, "2024-05-10")
    assert scored["basis"].tolist() == ["customer average"]
    assert scored["p_late"].tolist() == [0.0]


def test_an_empty_history_gives_unknown_not_zero():
    frame = ledger(("A1", "A", d("2024-01-01"), d("2024-01-31"), 100.0, None, "No", ""))
    scored = risk.score(frame, "2024-01-10")
    assert scored["basis"].item() == "no history"
    assert np.isnan(scored["p_late"].item())


def test_only_open_invoices_are_scored():
    frame = habits_ledger()
    extra = ledger(
        ("CN-1", "C01", d("2023-05-01"), None, -80.0, None, "No", ""),  # open credit note
        ("WO-1", "C02", d("2023-03-01"), d("2023-03-31"), 80.0, None, "No", ""),
        ("FUT-1", "C03", d("2023-07-15"), d("2023-08-14"), 80.0, None, "No", ""),  # not issued
    )
    extra["written_off"] = extra["invoice"] == "WO-1"
    frame = pd.concat([frame, extra], ignore_index=True)
    as_of = d("2023-06-30")
    scored = risk.score(frame, as_of)
    expected = frame.index[(frame["invoice_date"] <= as_of) & (frame["amount"] > 0)
                           & ~frame["written_off"]
                           & ~(frame["settled_date"] <= as_of)]
    assert scored.index.tolist() == expected.tolist()
    assert set(scored["basis"]) == {"model"}
    assert scored["invoice"].tolist() == frame.loc[expected, "invoice"].tolist()
    assert scored["p_late"].between(0, 1).all()
    assert (scored["expected_days_late"] >= 0).all()
    assert scored["reason"].str.len().gt(0).all()


def test_an_open_invoice_already_past_due_is_late_for_certain():
    frame = habits_ledger()
    as_of = d("2023-06-30")
    scored = risk.score(frame, as_of).join(frame[["due_date"]])
    overdue = scored["due_date"] < as_of
    assert overdue.any() and (~overdue).any()
    assert (scored.loc[overdue, "p_late"] == 1.0).all()
    days = (as_of - scored.loc[overdue, "due_date"]).dt.days
    assert (scored.loc[overdue, "expected_days_late"] >= days).all()
    assert scored.loc[overdue, "reason"].str.startswith("already ").all()
    assert (scored.loc[~overdue, "p_late"] < 1.0).all()


def test_scores_are_deterministic_and_do_not_depend_on_row_order():
    frame = habits_ledger()
    as_of = d("2023-06-30")
    first = risk.score(frame, as_of)
    pd.testing.assert_frame_equal(first, risk.score(frame, as_of))
    shuffled = frame.sample(frac=1.0, random_state=1)
    again = risk.score(shuffled, as_of).loc[first.index]
    np.testing.assert_allclose(again["p_late"], first["p_late"], rtol=1e-5, atol=1e-8)


def test_the_model_explains_itself_and_learns_the_habits():
    frame = habits_ledger(customers=20, per_customer=30)
    model = risk.fit(frame, d("2023-09-30"))
    table = model.explain().set_index("feature")
    assert {"past_share_late", "disputed", "paper_billing", "log_amount"} <= set(table.index)
    assert "terms_days" not in table.index  # 30 days everywhere: nothing to learn
    assert table.loc["past_share_late", "late_coefficient"] > 0
    assert table.loc["disputed", "late_coefficient"] > 0
    scored = risk.score(frame, d("2023-09-30"))
    worst = scored["customer"].map({f"C{c:02d}": c for c in range(20)})
    on_time = scored.loc[(worst < 5) & (scored["p_late"] < 1), "p_late"]
    late = scored.loc[(worst >= 15) & (scored["p_late"] < 1), "p_late"]
    assert on_time.mean() < late.mean()


@pytest.mark.parametrize("billing", ["missing", "blank"])
def test_without_billing_the_paper_feature_is_left_out(billing):
    frame = habits_ledger(billing=billing != "blank")
    if billing == "missing":
        frame = frame.drop(columns="billing")
    model = risk.fit(frame, d("2023-06-30"))
    assert "paper_billing" not in model.features
    assert len(risk.score(frame, d("2023-06-30"))) > 0


def test_risk_is_core_and_imports_no_adapter():
    # socket is not checked: scikit-learn reaches numpy.testing, whose importlib.metadata
    # imports email.utils, which imports socket; nothing here opens one
    adapters = ["xlwings", "openpyxl", "python_calamine", "yagmail", "smtplib", "jinja2",
                "dunning.io.reading", "dunning.io.book", "dunning.io.xlsx", "dunning.mail.smtp"]
    code = ("import sys, dunning.core.risk; "
            f"print(sorted(m for m in {adapters!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_evaluate_refuses_a_split_with_too_little_history_before_it():
    with pytest.raises(ValueError, match="too little paid history"):
        risk.evaluate(habits_ledger(), "2023-01-20")


def test_the_model_beats_both_baselines_on_the_ibm_sample_split_by_time():
    frame = build_ledger(read_dataset(IBM), sheet="ibm").frame
    result = risk.evaluate(frame, "2013-07-01")
    assert result.train_invoices > 1000 and result.test_invoices > 300
    table = result.table
    model = table.loc["model"]
    for baseline in ("everyone on time", "customer average (training period)",
                     "customer average (to invoice date)"):
        assert model["auc"] > table.loc[baseline, "auc"], baseline
        assert model["mae_days"] < table.loc[baseline, "mae_days"], baseline
    assert table.loc["everyone on time", "auc"] == 0.5
    assert "paper_billing" in result.model.features  # IBM's PaperlessBill column is used
