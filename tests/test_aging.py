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


# ------------------------------------------------------------------ the fast path vs plain pandas


def generated_ledger(draw, st) -> pd.DataFrame:
    """A ledger frame as the contract has it: invoices and credit notes, partly paid, settled
    before or after the as-of dates, blank due dates (NaT), several currencies."""
    day0 = pd.Timestamp("2023-01-01")
    size = draw(st.integers(0, 60))
    items = []
    for number in range(size):
        issued = day0 + pd.Timedelta(days=draw(st.integers(300, 730)))
        due = draw(st.one_of(st.none(), st.integers(-10, 150)))
        amount = draw(st.one_of(st.integers(1, 200_000), st.integers(-50_000, 0))) / 100
        paid = draw(st.sampled_from(["open", "part", "full"]))
        settled = (issued + pd.Timedelta(days=draw(st.integers(0, 400)))
                   if paid == "full" or (paid == "part" and draw(st.booleans())) else pd.NaT)
        items.append({
            "invoice": f"I{number}",
            "customer": draw(st.sampled_from(["C1", "C10", "C2", "Ä", "b", "0007"])),
            "invoice_date": issued,
            "due_date": pd.NaT if due is None else issued + pd.Timedelta(days=due),
            "amount": amount,
            "open_amount": {"open": amount, "full": 0.0,
                            "part": round(amount * draw(st.floats(0, 1)), 2)}[paid],
            "settled_date": settled,
            "currency": draw(st.sampled_from(["EUR", "USD", ""])),
            "disputed": draw(st.booleans()),
            "written_off": draw(st.booleans()) if paid != "open" else False,
            "collection_cost": draw(st.sampled_from([0.0, 0.0, 12.5])),
        })
    columns = ["invoice", "customer", "invoice_date", "due_date", "amount", "open_amount",
               "settled_date", "currency", "disputed", "written_off", "collection_cost"]
    frame = pd.DataFrame(items, columns=columns)
    unit = draw(st.sampled_from(["ns", "us", "s"]))  # (a frame made elsewhere may hold any)
    for name in ("invoice_date", "due_date", "settled_date"):
        frame[name] = pd.to_datetime(frame[name]).astype(f"datetime64[{unit}]")
    frame["amount"] = frame["amount"].astype(float)
    frame["open_amount"] = frame["open_amount"].astype(float)
    frame["collection_cost"] = frame["collection_cost"].astype(float)
    frame["disputed"] = frame["disputed"].astype(bool)
    frame["written_off"] = frame["written_off"].astype(bool)
    frame["customer_name"] = frame["customer"]
    frame["billing"] = ""
    frame["row"] = range(2, len(frame) + 2)
    frame["customer"] = frame["customer"].astype("str")
    return frame


def plain_aging(frame: pd.DataFrame, as_of: str, edges: tuple[int, ...], basis: str
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aging by customer the straightforward way: a balance per row, a bucket per row from
    its day count, a pandas groupby and pivot."""
    day = pd.Timestamp(as_of)
    balance = []
    for item in frame.itertuples():
        if item.invoice_date > day:
            balance.append(0.0)
        elif pd.notna(item.settled_date) and item.settled_date > day:
            balance.append(item.amount)
        else:
            balance.append(item.open_amount)
    items = frame.assign(balance=pd.Series(balance, index=frame.index, dtype=float).round(2))
    items = items[items["balance"] != 0]
    dates = items["due_date" if basis == "due" else "invoice_date"]
    labels = bucket_labels(edges)

    def bucket(date: pd.Timestamp) -> str:
        if pd.isna(date):
            return labels[0]
        days = (day - date).days
        return labels[sum(days > edge for edge in edges)]

    items = items.assign(bucket=[bucket(date) for date in dates])
    amounts = items.pivot_table(index="customer", columns="bucket", values="balance",
                                aggfunc="sum", fill_value=0.0)
    counts = items.pivot_table(index="customer", columns="bucket", values="balance",
                               aggfunc="count", fill_value=0)
    return (amounts.reindex(columns=labels, fill_value=0.0),
            counts.reindex(columns=labels, fill_value=0))


def test_the_aging_tables_match_a_plain_pandas_computation_to_the_cent():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dunning.core.ledger import single_currency

    @settings(max_examples=150, deadline=None)
    @given(st.data(), st.sampled_from(["2024-01-15", "2024-06-30", "2024-12-31"]),
           st.sampled_from([(0, 30, 60, 90, 120), (0, 15, 45), (30, 60), (7,)]),
           st.sampled_from(["due", "invoice"]))
    def check(data, as_of, edges, basis):
        frame = generated_ledger(data.draw, st)
        for currency in ("EUR", "USD"):
            if not (frame["currency"] == currency).any():
                continue
            items = single_currency(frame, currency)
            amounts = aging_by_customer(items, as_of, edges=edges, basis=basis)
            counts = aging_by_customer(items, as_of, edges=edges, basis=basis,
                                       measure="count")
            want_amounts, want_counts = plain_aging(items, as_of, edges, basis)
            body = amounts.drop(index=TOTAL, columns=TOTAL)
            assert list(body.index) == sorted(want_amounts.index)
            assert list(body.columns) == bucket_labels(edges)
            want = want_amounts.loc[body.index]
            assert (body.to_numpy() - want.to_numpy() < 0.005).all()
            assert (want.to_numpy() - body.to_numpy() < 0.005).all()
            assert (counts.drop(index=TOTAL, columns=TOTAL).to_numpy()
                    == want_counts.loc[body.index].to_numpy()).all()
            assert abs(amounts.loc[TOTAL, TOTAL] - want.to_numpy().sum()) < 0.005
            assert counts.loc[TOTAL, TOTAL] == want_counts.to_numpy().sum()

    check()
