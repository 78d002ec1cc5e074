"""KPI history rows: one per currency and day, a day recorded again replaces only its row."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dunning.core.kpi_history import (
    HISTORY_HEADERS,
    currency_rows,
    history_records,
    merge_history,
)
from dunning.core.ledger import build_ledger
from dunning.core.ledger_kpis import all_kpis, cei

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture
def ledger():
    return build_ledger(pd.DataFrame({
        "Invoice No": ["1", "2", "3", "4"],
        "Customer": ["A", "A", "B", "C"],
        "Invoice Date": ["2026-01-10", "2026-02-10", "2026-03-01", "2026-03-05"],
        "Due Date": ["2026-02-09", "2026-03-12", "2026-03-31", "2026-04-04"],
        "Amount": [1000.0, 500.0, 800.0, 300.0],
        "Paid": [1000.0, 0.0, 0.0, 0.0],
        "Settled Date": ["2026-03-20", None, None, None],
        "Currency": ["EUR", "EUR", "EUR", "USD"],
    })).frame


def test_one_row_per_currency_with_the_core_figures(ledger):
    rows = history_records(ledger, AS_OF)
    assert [row[:2] for row in rows] == [[AS_OF, "EUR"], [AS_OF, "USD"]]
    eur = dict(zip(HISTORY_HEADERS, rows[0], strict=True))
    euros = ledger[ledger["currency"] == "EUR"]
    values = all_kpis(euros, AS_OF)
    assert eur["Open Receivables"] == pytest.approx(values["receivables"])
    assert eur["Past Due"] == pytest.approx(values["past_due_receivables"])
    assert eur["DSO"] == pytest.approx(round(float(values["dso"]), 1))
    assert eur["CEI Last 30 Days"] == pytest.approx(
        float(cei(euros, AS_OF - dt.timedelta(days=30), AS_OF)) / 100, abs=1e-6)
    assert 0 <= eur["Collection Rate"] <= 1


def test_a_day_recorded_again_replaces_only_its_row():
    old = [[dt.datetime(2026, 3, 1), "EUR", 1.0], [dt.datetime(2026, 3, 31), "EUR", 2.0],
           [dt.datetime(2026, 3, 31), "USD", 3.0]]
    merged = merge_history(old, [[AS_OF, "EUR", 9.0], [dt.date(2026, 4, 30), "EUR", 4.0]])
    assert [(row[0], row[1], row[2]) for row in merged] == [
        (dt.date(2026, 3, 1), "EUR", 1.0), (AS_OF, "EUR", 9.0), (dt.date(2026, 4, 30), "EUR", 4.0),
        (AS_OF, "USD", 3.0)]
    assert currency_rows(merged, "EUR") == (0, 2)
    assert currency_rows(merged, "GBP") is None


def test_rows_whose_date_cannot_be_read_are_kept_at_the_end():
    merged = merge_history([["someday", "EUR", 1.0], [None, None]], [[AS_OF, "EUR", 2.0]])
    assert merged[0][:3] == [AS_OF, "EUR", 2.0]
    assert merged[1][:3] == ["someday", "EUR", 1.0] and len(merged) == 2
