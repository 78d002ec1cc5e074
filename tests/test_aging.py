"""Aging buckets, per-customer tables and their conventions."""

import pandas as pd
import pytest

from dunning.core.aging import (
    TOTAL,
    age_items,
    aging_by_customer,
    aging_summary,
    bucket_labels,
    days_past_due,
)
from dunning.core.ledger import build_ledger

AS_OF = "2024-06-30"


def ledger(*items):
    header = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid",
              "Settled Date"]
    return build_ledger([header, *items]).frame


def test_labels_follow_the_edges():
    assert bucket_labels() == ["Current", "1-30", "31-60", "61-90", "91-120", "Over 120"]
    assert bucket_labels([0, 15, 45]) == ["Current", "1-15", "16-45", "Over 45"]
    assert bucket_labels([30, 60]) == ["Up to 30", "31-60", "Over 60"]
    with pytest.raises(ValueError, match="increase"):
        bucket_labels([0, 60, 30])


def test_edges_are_inclusive_upper_bounds():
    due_dates = {0: "2024-06-30", 1: "2024-06-29", 30: "2024-05-31", 31: "2024-05-30",
                 120: "2024-03-02", 121: "2024-03-01", -5: "2024-07-05"}
    frame = ledger(*[[f"I{d}", "C", "2024-01-01", due, 10, None, None]
                     for d, due in due_dates.items()])
    assert days_past_due(frame, AS_OF).tolist() == list(due_dates)
    buckets = age_items(frame, AS_OF).set_index("invoice")["bucket"].to_dict()
    assert buckets == {"I0": "Current", "I1": "1-30", "I30": "1-30", "I31": "31-60",
                       "I120": "91-120", "I121": "Over 120", "I-5": "Current"}


def test_partial_payments_credits_and_settlements_are_netted():
    frame = ledger(
        ["A", "ACME", "2024-05-01", "2024-05-31", 1000.00, 400.00, None],  # 30 days: 600 open
        ["B", "ACME", "2024-06-01", "2024-07-01", 250.10, None, None],  # current
        ["CN", "ACME", "2024-06-10", None, -50.05, None, None],  # credit note, 20 days
        ["C", "BETA", "2024-01-01", "2024-01-31", 300.00, None, "2024-07-15"],  # paid later
        ["D", "BETA", "2024-01-01", "2024-01-31", 80.00, 80.00, "2024-02-01"],  # paid
        ["E", "GAMMA", "2024-07-01", "2024-07-31", 999.00, None, None],  # not yet issued
    )
    table = aging_by_customer(frame, AS_OF)
    assert table.loc["ACME", "Current"] == 250.10
    assert table.loc["ACME", "1-30"] == pytest.approx(600.00 - 50.05)
    assert table.loc["BETA", "Over 120"] == 300.00
    assert "GAMMA" not in table.index
    assert table.loc[TOTAL, TOTAL] == pytest.approx(250.10 + 549.95 + 300.00)
    counts = aging_by_customer(frame, AS_OF, measure="count")
    assert counts.loc["ACME", "1-30"] == 2 and counts.loc[TOTAL, TOTAL] == 4


def test_totals_add_up_to_the_cent():
    frame = ledger(*[[f"I{i}", f"C{i % 7}", "2024-01-01", f"2024-0{1 + i % 6}-15",
                      round(0.01 + i * 13.37, 2), None, None] for i in range(200)])
    table = aging_by_customer(frame, AS_OF)
    body = table.drop(index=TOTAL)
    assert (body.drop(columns=TOTAL).sum(axis=1).round(2) == body[TOTAL]).all()
    assert table.loc[TOTAL, TOTAL] == round(frame["open_amount"].sum(), 2)


def test_aging_by_invoice_date():
    frame = ledger(["A", "C", "2024-06-01", "2024-07-31", 10, None, None])
    assert aging_by_customer(frame, AS_OF, basis="invoice").loc["C", "1-30"] == 10
    assert aging_by_customer(frame, AS_OF).loc["C", "Current"] == 10


def test_summary_has_amount_count_and_share():
    frame = ledger(["A", "C", "2024-01-01", "2024-06-30", 75, None, None],
                   ["B", "C", "2024-01-01", "2024-06-01", 25, None, None])
    summary = aging_summary(frame, AS_OF)
    assert summary.loc["Current"].tolist() == [75.0, 1, 75.0]
    assert summary.loc["1-30"].tolist() == [25.0, 1, 25.0]
    assert summary.loc[TOTAL].tolist() == [100.0, 2, 100.0]


def test_empty_ledger_ages_to_zero():
    frame = ledger()
    table = aging_by_customer(frame, AS_OF)
    assert table.index.tolist() == [TOTAL]
    assert (table.loc[TOTAL] == 0).all()
    assert isinstance(table, pd.DataFrame)


def test_a_balance_below_half_a_cent_is_not_open_anywhere():
    frame = ledger(["A", "C", "2024-01-01", "2024-01-31", 0.004, None, None],
                   ["B", "C", "2024-01-01", "2024-01-31", 10.00, None, None])
    assert age_items(frame, AS_OF)["invoice"].tolist() == ["B"]
    assert aging_by_customer(frame, AS_OF, measure="count").loc[TOTAL, TOTAL] == 1


def test_bucket_index_counts_edges_below_as_searchsorted_does():
    import numpy as np
    from hypothesis import given
    from hypothesis import strategies as st

    from dunning.core.aging import bucket_index

    @given(st.lists(st.integers(-400, 400), max_size=40),
           st.lists(st.integers(0, 200), min_size=1, max_size=12, unique=True))
    def check(days, edges):
        edges = sorted(edges)
        found = bucket_index(np.array(days, dtype="int64"), edges)
        assert found.tolist() == np.searchsorted(edges, days, side="left").tolist()

    check()
