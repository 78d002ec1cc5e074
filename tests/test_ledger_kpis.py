"""Ledger KPIs on small ledgers written out here, with the arithmetic shown.

The main ledger, as of 31 March 2024 with a 90-day look-back: the period is
(1 Jan 2024, 31 Mar 2024], so the receivables "at the start" are those at the
close of 1 January, and Jan/Feb/Mar 2024 have 31/29/31 days.

    A  invoiced 01-12-2023, due 31-12-2023,  1,000, paid 20-01-2024 (50 days, 20 late)
    B  invoiced 15-12-2023, due 14-01-2024,    500, open, disputed
    C  invoiced 10-01-2024, due 09-02-2024,  2,000, paid 05-02-2024 (26 days, on time)
    D  invoiced 01-02-2024, due 02-03-2024,  1,500, paid 10-04-2024 (after as_of: open)
    E  invoiced 10-03-2024, due 09-04-2024,  3,000, open (current)
    F  credit note 15-03-2024, due 15-03-2024, -200, open (past due, negative)
    G  invoiced 15-02-2024, due 16-03-2024,    800, written off 25-03-2024, cost 50
    H  invoiced 20-01-2024, due 19-02-2024,  1,200, paid 20-03-2024 (60 days, 30 late), cost 30
    I  invoiced 05-04-2024, after as_of,       700, open

At the close of 31 March: receivables B 500 + D 1,500 + E 3,000 + F -200 = 4,800,
of which current (due on or after 31 March) E 3,000 and past due 1,800.
At the close of 1 January: A 1,000 (paid later) + B 500 = 1,500.
Sales in the period: C 2,000 + D 1,500 + E 3,000 + F -200 + G 800 + H 1,200 = 8,300.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets import IBM, read_dataset
from dunning.core import kpis, ledger_kpis
from dunning.core.kpis import NotDefined
from dunning.core.ledger import LEDGER_COLUMNS, build_ledger, open_balance

AS_OF = "2024-03-31"
START = "2024-01-01"  # = AS_OF - 90 days: the period is (START, AS_OF]

# invoice, invoice date, due date, amount, open amount, settled, disputed, written off, cost
ROWS = [
    ("A", "2023-12-01", "2023-12-31", 1000.0, 0.0, "2024-01-20", False, False, 0.0),
    ("B", "2023-12-15", "2024-01-14", 500.0, 500.0, None, True, False, 0.0),
    ("C", "2024-01-10", "2024-02-09", 2000.0, 0.0, "2024-02-05", False, False, 0.0),
    ("D", "2024-02-01", "2024-03-02", 1500.0, 0.0, "2024-04-10", False, False, 0.0),
    ("E", "2024-03-10", "2024-04-09", 3000.0, 3000.0, None, False, False, 0.0),
    ("F", "2024-03-15", "2024-03-15", -200.0, -200.0, None, False, False, 0.0),
    ("G", "2024-02-15", "2024-03-16", 800.0, 0.0, "2024-03-25", False, True, 50.0),
    ("H", "2024-01-20", "2024-02-19", 1200.0, 0.0, "2024-03-20", False, False, 30.0),
    ("I", "2024-04-05", "2024-05-05", 700.0, 700.0, None, False, False, 0.0),
]


def make_ledger(rows: list[tuple]) -> pd.DataFrame:
    """A frame with the contract columns of dunning.core.ledger, one customer per invoice."""
    names = ["invoice", "invoice_date", "due_date", "amount", "open_amount", "settled_date",
             "disputed", "written_off", "collection_cost"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=names)
    for column in ("invoice_date", "due_date", "settled_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["customer"] = "C-" + frame["invoice"]
    frame["customer_name"] = "Customer " + frame["invoice"]
    frame["currency"] = "EUR"
    frame["billing"] = ""
    frame["row"] = np.arange(2, len(frame) + 2, dtype="int64")
    frame["disputed"] = frame["disputed"].astype(bool)
    frame["written_off"] = frame["written_off"].astype(bool)
    return frame[list(LEDGER_COLUMNS)]


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_ledger(ROWS)


def test_building_blocks(frame: pd.DataFrame) -> None:
    assert ledger_kpis.receivables(frame, AS_OF) == 4_800
    assert ledger_kpis.current_receivables(frame, AS_OF) == 3_000
    assert ledger_kpis.receivables(frame, START) == 1_500
    assert ledger_kpis.net_credit_sales(frame, START, AS_OF) == 8_300
    assert ledger_kpis.receivables(frame, AS_OF) == open_balance(frame, AS_OF).sum()


def test_dso_family(frame: pd.DataFrame) -> None:
    assert ledger_kpis.dso(frame, AS_OF, 90) == pytest.approx(4_800 / 8_300 * 90)  # 52.05 days
    assert ledger_kpis.best_possible_dso(frame, AS_OF, 90) == pytest.approx(3_000 / 8_300 * 90)
    # ADD = (4,800 - 3,000) / 8,300 x 90 = 19.52 days
    add = ledger_kpis.average_days_delinquent(frame, AS_OF, 90)
    assert add == pytest.approx(1_800 / 8_300 * 90)


def test_countback_over_calendar_months(frame: pd.DataFrame) -> None:
    # March sales E 3,000 + F -200 = 2,800; February D 1,500 + G 800 = 2,300.
    # 4,800 - 2,800 = 2,000 left after March (31 days); 2,000 / 2,300 of February's 29 days.
    expected = 31 + 29 * 2_000 / 2_300  # 56.22 days
    assert ledger_kpis.countback_dso(frame, AS_OF, months=3) == pytest.approx(expected)


def test_countback_not_defined_when_the_months_do_not_cover_the_receivables(
    frame: pd.DataFrame,
) -> None:
    # March's 2,800 of sales cannot explain 4,800 of receivables.
    value = ledger_kpis.countback_dso(frame, AS_OF, months=1)
    assert isinstance(value, NotDefined)
    assert "exceed all 1 periods" in value.reason


def test_countback_mid_month_starts_with_the_month_to_date(frame: pd.DataFrame) -> None:
    # As of 20 March: receivables A 0, B 500, C 0, D 1,500, E 3,000, F -200, G 800 (written
    # off on the 25th: still open on the 20th), H 0 (paid that day) = 5,600. Month to date
    # (1-20 March, 20 days): E 3,000 + F -200 = 2,800 -> 2,800 left; February (29 days):
    # 2,300 -> 500 left; January (31 days): C 2,000 + H 1,200 = 3,200 -> 500 / 3,200 x 31.
    assert ledger_kpis.receivables(frame, "2024-03-20") == 5_600
    expected = 20 + 29 + 31 * 500 / 3_200
    assert ledger_kpis.countback_dso(frame, "2024-03-20", months=3) == pytest.approx(expected)


def test_cei_and_turnover(frame: pd.DataFrame) -> None:
    # CEI = (1,500 + 8,300 - 4,800) / (1,500 + 8,300 - 3,000) = 5,000 / 6,800 = 73.53 %
    assert ledger_kpis.cei(frame, START, AS_OF) == pytest.approx(5_000 / 6_800 * 100)
    # turnover = 8,300 / ((1,500 + 4,800) / 2) = 8,300 / 3,150 = 2.63 times
    assert ledger_kpis.receivables_turnover(frame, START, AS_OF) == pytest.approx(8_300 / 3_150)


def test_shares_of_the_open_balance(frame: pd.DataFrame) -> None:
    assert ledger_kpis.percent_current(frame, AS_OF) == pytest.approx(3_000 / 4_800 * 100)  # 62.5
    assert ledger_kpis.percent_past_due(frame, AS_OF) == pytest.approx(1_800 / 4_800 * 100)
    assert ledger_kpis.disputed_share(frame, AS_OF) == pytest.approx(500 / 4_800 * 100)  # B


def test_payment_behaviour(frame: pd.DataFrame) -> None:
    # Paid in the period: A (50 days, 20 late), C (26 days, 0 late), H (60 days, 30 late).
    # G was settled by a write-off and D after as_of: neither counts.
    assert ledger_kpis.average_days_to_pay(frame, START, AS_OF) == pytest.approx((50 + 26 + 60) / 3)
    assert ledger_kpis.average_days_late(frame, START, AS_OF) == pytest.approx((20 + 0 + 30) / 3)
    # weighted: (1,000 x 20 + 2,000 x 0 + 1,200 x 30) / (1,000 + 2,000 + 1,200) = 56,000 / 4,200
    weighted = ledger_kpis.weighted_average_days_late(frame, START, AS_OF)
    assert weighted == pytest.approx(56_000 / 4_200)


def test_collection_rate(frame: pd.DataFrame) -> None:
    # collected A 1,000 + C 2,000 + H 1,200 = 4,200 of (1,500 + 8,300) = 9,800: 42.86 %.
    # Check: B + S - E = 5,000 = collected 4,200 + written off 800.
    assert ledger_kpis.collection_rate(frame, START, AS_OF) == pytest.approx(4_200 / 9_800 * 100)


def test_collection_rate_nets_credit_notes_settled_in_the_period() -> None:
    # An invoice of 100 settled by a credit note of -20 and 80 in cash: 80 collected of 80.
    frame = make_ledger([
        ("X", "2024-02-01", "2024-03-01", 100.0, 0.0, "2024-02-20", False, False, 0.0),
        ("Y", "2024-02-10", "2024-02-10", -20.0, 0.0, "2024-02-20", False, False, 0.0),
    ])  # fmt: skip
    assert ledger_kpis.collection_rate(frame, START, AS_OF) == pytest.approx(100)


def test_bad_debt(frame: pd.DataFrame) -> None:
    # G, invoiced in the period and written off, open 0 after the write-off: 800 lost.
    assert ledger_kpis.bad_debt_written_off(frame, START, AS_OF) == 800
    assert ledger_kpis.bad_debt_ratio(frame, START, AS_OF) == pytest.approx(800 / 8_300 * 100)
    # Placed by invoice date: nothing of December's sales was written off.
    assert ledger_kpis.bad_debt_written_off(frame, "2023-11-30", "2023-12-31") == 0


def test_bad_debt_counts_what_was_still_owed() -> None:
    # Written off with 250 of 1,000 still open: 250 lost (750 had been paid).
    frame = make_ledger([("W", "2024-02-01", "2024-03-01", 1000.0, 250.0, None, False, True, 0.0)])
    assert ledger_kpis.bad_debt_written_off(frame, START, AS_OF) == 250


def test_recovery_cost_ratio(frame: pd.DataFrame) -> None:
    # Costs on items closed in the period: G 50 + H 30 = 80. Recovered (paid late, not
    # written off): A 1,000 + H 1,200 = 2,200. 80 / 2,200 = 3.64 %.
    assert ledger_kpis.recovery_cost_ratio(frame, START, AS_OF) == pytest.approx(80 / 2_200 * 100)


def test_recovery_cost_ratio_not_defined_without_costs() -> None:
    frame = make_ledger([ROWS[0]])
    value = ledger_kpis.recovery_cost_ratio(frame, START, AS_OF)
    assert value == NotDefined("no collection costs recorded")


def test_all_kpis_matches_the_single_functions(frame: pd.DataFrame) -> None:
    result = ledger_kpis.all_kpis(frame, AS_OF, days=90, months=3)
    period = (frame, START, AS_OF)
    expected = {
        "receivables": 4_800.0,
        "current_receivables": 3_000.0,
        "past_due_receivables": 1_800.0,
        "net_credit_sales": 8_300.0,
        "dso": ledger_kpis.dso(frame, AS_OF, 90),
        "countback_dso": ledger_kpis.countback_dso(frame, AS_OF, 3),
        "best_possible_dso": ledger_kpis.best_possible_dso(frame, AS_OF, 90),
        "average_days_delinquent": ledger_kpis.average_days_delinquent(frame, AS_OF, 90),
        "cei": ledger_kpis.cei(*period),
        "receivables_turnover": ledger_kpis.receivables_turnover(*period),
        "percent_current": ledger_kpis.percent_current(frame, AS_OF),
        "percent_past_due": ledger_kpis.percent_past_due(frame, AS_OF),
        "disputed_share": ledger_kpis.disputed_share(frame, AS_OF),
        "average_days_to_pay": ledger_kpis.average_days_to_pay(*period),
        "average_days_late": ledger_kpis.average_days_late(*period),
        "weighted_average_days_late": ledger_kpis.weighted_average_days_late(*period),
        "collection_rate": ledger_kpis.collection_rate(*period),
        "bad_debt_written_off": ledger_kpis.bad_debt_written_off(*period),
        "bad_debt_ratio": ledger_kpis.bad_debt_ratio(*period),
        "recovery_cost_ratio": ledger_kpis.recovery_cost_ratio(*period),
        "open_items": 4,  # B, D, E, F
        "invoices_settled": 3,  # A, C, H
    }
    assert list(result) == list(expected)
    assert result == pytest.approx(expected)
    for key, value in result.items():
        kind = int if key in ("open_items", "invoices_settled") else float
        assert type(value) is kind, (key, type(value))


def test_ledger_kpis_equal_plain_kpis_on_the_ledgers_own_figures(frame: pd.DataFrame) -> None:
    total = ledger_kpis.receivables(frame, AS_OF)
    current = ledger_kpis.current_receivables(frame, AS_OF)
    begin = ledger_kpis.receivables(frame, START)
    sales = ledger_kpis.net_credit_sales(frame, START, AS_OF)
    assert ledger_kpis.dso(frame, AS_OF, 90) == kpis.dso(total, sales, 90)
    assert ledger_kpis.best_possible_dso(frame, AS_OF, 90) == kpis.best_possible_dso(
        current, sales, 90
    )
    assert ledger_kpis.cei(frame, START, AS_OF) == kpis.collection_effectiveness_index(
        begin, sales, total, current
    )
    assert ledger_kpis.receivables_turnover(frame, START, AS_OF) == kpis.receivables_turnover(
        sales, (begin + total) / 2
    )
    month_sales = [
        ledger_kpis.net_credit_sales(frame, "2024-02-29", AS_OF),
        ledger_kpis.net_credit_sales(frame, "2024-01-31", "2024-02-29"),
        ledger_kpis.net_credit_sales(frame, "2023-12-31", "2024-01-31"),
    ]
    assert ledger_kpis.countback_dso(frame, AS_OF, 3) == kpis.countback_dso(
        total, month_sales, [31, 29, 31]
    )


def test_day_count_is_settable(frame: pd.DataFrame) -> None:
    # 360 days back from 31 March 2024 is 6 April 2023: every sale but I is in the period.
    # Sales A 1,000 + B 500 + 8,300 = 9,800; DSO = 4,800 / 9,800 x 360 (or x 365).
    assert ledger_kpis.dso(frame, AS_OF, 360) == pytest.approx(4_800 / 9_800 * 360)
    assert ledger_kpis.dso(frame, AS_OF) == pytest.approx(4_800 / 9_800 * 365)
    with pytest.raises(ValueError, match="days must be positive"):
        ledger_kpis.dso(frame, AS_OF, 0)
    with pytest.raises(TypeError, match="whole number of days"):
        ledger_kpis.dso(frame, AS_OF, 30.5)  # type: ignore[arg-type]


def test_an_item_settled_after_as_of_counts_as_open(frame: pd.DataFrame) -> None:
    # D (1,500) is paid on 10 April: open on 31 March, gone on 10 April.
    assert ledger_kpis.receivables(frame, "2024-04-09") == 4_800 + 700  # I was invoiced 5 April
    assert ledger_kpis.receivables(frame, "2024-04-10") == 4_800 + 700 - 1_500
    # and D is no payment of the period ending 31 March, but one of April's.
    late = ledger_kpis.average_days_late(frame, "2024-03-31", "2024-04-30")
    assert late == pytest.approx(39)  # due 2 March, paid 10 April


def test_empty_period_is_not_defined(frame: pd.DataFrame) -> None:
    # Before the first invoice there is nothing to measure.
    result = ledger_kpis.all_kpis(frame, "2023-06-30", days=90)
    assert result["receivables"] == 0.0
    assert result["net_credit_sales"] == 0.0
    assert result["open_items"] == 0
    for key in ("dso", "best_possible_dso", "average_days_delinquent", "cei",
                "receivables_turnover", "percent_current", "percent_past_due", "disputed_share",
                "average_days_to_pay", "average_days_late", "weighted_average_days_late",
                "collection_rate", "bad_debt_ratio", "recovery_cost_ratio"):  # fmt: skip
        assert isinstance(result[key], NotDefined), key
    assert result["average_days_to_pay"] == NotDefined("no invoices settled in the period")
    assert result["dso"] == NotDefined("no credit sales in the period")


def test_a_ledger_with_no_rows() -> None:
    result = ledger_kpis.all_kpis(make_ledger([]), AS_OF)
    assert result["receivables"] == 0.0
    assert isinstance(result["countback_dso"], NotDefined)
    assert isinstance(result["cei"], NotDefined)


def test_period_must_not_end_before_it_starts(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="ends"):
        ledger_kpis.cei(frame, AS_OF, START)


def test_payment_kpis_agree_with_the_ibm_dataset_own_columns() -> None:
    # IBM's sample states DaysToSettle = SettledDate - InvoiceDate and
    # DaysLate = max(0, SettledDate - DueDate) for every invoice; our averages over the
    # invoices settled in 2013 must equal the averages of those columns.
    raw = read_dataset(IBM)
    frame = build_ledger(raw).frame
    raw = raw.astype({"DaysToSettle": int, "DaysLate": int, "InvoiceAmount": float})
    dates = {"SettledDate": pd.to_datetime(raw["SettledDate"], format="%m/%d/%Y")}
    in_2013 = dates["SettledDate"].dt.year == 2013
    start, end = "2012-12-31", "2013-12-31"
    assert ledger_kpis.average_days_to_pay(frame, start, end) == pytest.approx(
        raw.loc[in_2013, "DaysToSettle"].mean()
    )
    assert ledger_kpis.average_days_late(frame, start, end) == pytest.approx(
        raw.loc[in_2013, "DaysLate"].mean()
    )
    weights = raw.loc[in_2013, "InvoiceAmount"]
    assert ledger_kpis.weighted_average_days_late(frame, start, end) == pytest.approx(
        (raw.loc[in_2013, "DaysLate"] * weights).sum() / weights.sum()
    )
    # Nothing is written off, so what CEI counts as collected is what was settled.
    result = ledger_kpis.all_kpis(frame, end, days=365)
    begin = ledger_kpis.receivables(frame, start)
    collected = begin + result["net_credit_sales"] - result["receivables"]
    assert result["collection_rate"] == pytest.approx(
        collected / (begin + result["net_credit_sales"]) * 100
    )
    assert result["invoices_settled"] == int(in_2013.sum())


item = st.tuples(
    st.integers(0, 400),  # invoice day, counted from 1 Jan 2023
    st.integers(0, 60),  # days of credit
    st.integers(-50, 5_000).map(float),  # amount; some credit notes
    st.one_of(st.none(), st.integers(0, 200)),  # days to settle, None = still open
    st.booleans(),  # disputed
)


def random_ledger(items: list[tuple[int, int, float, int | None, bool]]) -> pd.DataFrame:
    base = pd.Timestamp("2023-01-01")
    rows = []
    for number, (day, credit, amount, settle, disputed) in enumerate(items):
        issued = base + pd.Timedelta(days=day)
        settled = None if settle is None else (issued + pd.Timedelta(days=settle)).date()
        open_amount = amount if settle is None else 0.0
        rows.append((f"N{number}", issued.date(), (issued + pd.Timedelta(days=credit)).date(),
                     amount, open_amount, settled, disputed, False, 0.0))  # fmt: skip
    return make_ledger(rows)


@settings(max_examples=60, deadline=None)
@given(items=st.lists(item, max_size=30), as_of_day=st.integers(30, 450))
def test_all_kpis_on_random_ledgers(items: list, as_of_day: int) -> None:
    frame = random_ledger(items)
    as_of = pd.Timestamp("2023-01-01") + pd.Timedelta(days=as_of_day)
    start = as_of - pd.Timedelta(days=90)
    result = ledger_kpis.all_kpis(frame, as_of, days=90)
    for key, value in result.items():
        assert isinstance(value, NotDefined | int | float), key
        assert isinstance(value, NotDefined) or np.isfinite(value), key
    assert result["cei"] == ledger_kpis.cei(frame, start, as_of)
    assert result["collection_rate"] == ledger_kpis.collection_rate(frame, start, as_of)
    # Nothing is written off and settled items are closed in full, so what left the
    # receivables in the period is exactly what was collected: B + S - E = collected.
    begin = ledger_kpis.receivables(frame, start)
    available = begin + result["net_credit_sales"]
    if not isinstance(result["collection_rate"], NotDefined):
        collected = result["collection_rate"] * available / 100
        assert collected == pytest.approx(available - result["receivables"], abs=1e-6)


def test_an_open_items_ledger_says_so_instead_of_dso_365_and_cei_0():
    """An aging export holds no paid history: the KPIs that need it are not defined."""
    from dunning.core.ledger import build_ledger
    from dunning.core.ledger_kpis import (
        OPEN_ITEMS_ONLY,
        PAID_HISTORY_KPIS,
        all_kpis,
        cei,
        collection_rate,
        dso,
        holds_open_items_only,
    )

    rows = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid"],
            ["1", "A", "2026-06-01", "2026-07-01", 100.0, 40.0],
            ["2", "B", "2026-11-01", "2026-12-01", 50.0, None]]
    frame = build_ledger(rows).frame
    assert holds_open_items_only(frame)
    found = all_kpis(frame, "2026-11-30")
    assert {name: found[name] for name in PAID_HISTORY_KPIS} == dict.fromkeys(
        PAID_HISTORY_KPIS, OPEN_ITEMS_ONLY)
    assert str(found["dso"]) == "not defined: the ledger holds open items only"
    assert found["receivables"] == 110.0  # what is open is still known
    assert dso(frame, "2026-11-30") == OPEN_ITEMS_ONLY
    assert cei(frame, "2025-11-30", "2026-11-30") == OPEN_ITEMS_ONLY
    assert collection_rate(frame, "2025-11-30", "2026-11-30") == OPEN_ITEMS_ONLY
    rows.append(["3", "B", "2026-09-01", "2026-10-01", 70.0, 70.0])
    paid = build_ledger(rows).frame
    assert not holds_open_items_only(paid)
    assert isinstance(all_kpis(paid, "2026-11-30")["dso"], float)


def _plain_kpis(frame: pd.DataFrame, as_of: str, days: int, months: int) -> dict[str, object]:
    """The KPIs the fast path shares its steps with, computed row by row in plain pandas."""
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=days)

    def balance_at(day: pd.Timestamp) -> pd.Series:
        return pd.Series([0.0 if item.invoice_date > day else item.amount
                          if pd.notna(item.settled_date) and item.settled_date > day
                          else item.open_amount for item in frame.itertuples()],
                         index=frame.index, dtype=float)

    balance = balance_at(end)
    total = balance.sum()
    current = balance[frame["due_date"] >= end].sum()
    issued = (frame["invoice_date"] > start) & (frame["invoice_date"] <= end)
    sales = frame.loc[issued, "amount"].sum()
    month_days = kpis.calendar_month_days(end.date(), months)
    monthly, high = [], end
    for length in month_days:  # newest first: month to date, then whole months
        low = high - pd.Timedelta(days=length)
        inside = (frame["invoice_date"] > low) & (frame["invoice_date"] <= high)
        monthly.append(frame.loc[inside, "amount"].sum())
        high = low
    paid = ((frame["settled_date"] > start) & (frame["settled_date"] <= end)
            & ~frame["written_off"] & (frame["invoice_date"] <= end) & (frame["amount"] > 0))
    waited = (frame.loc[paid, "settled_date"] - frame.loc[paid, "invoice_date"]).dt.days
    return {
        "receivables": total, "current_receivables": current,
        "past_due_receivables": total - current, "net_credit_sales": sales,
        "dso": kpis.dso(total, sales, days) if total >= 0 and sales >= 0 else None,
        "countback_dso": kpis.countback_dso(total, monthly, month_days)
        if total >= 0 and min(monthly) >= 0 else None,
        "average_days_to_pay": float(waited.mean()) if len(waited) else None,
        "open_items": int((balance != 0).sum()), "invoices_settled": int(paid.sum()),
    }


@settings(max_examples=150, deadline=None)
@given(st.data(), st.sampled_from(["2024-02-29", "2024-06-30", "2024-12-31", "2025-01-15"]),
       st.sampled_from([365, 90, 30]), st.sampled_from([12, 3, 1]))
def test_all_kpis_match_a_plain_pandas_computation_to_the_cent(data, as_of, days, months):
    from test_aging import generated_ledger

    frame = generated_ledger(data.draw, st)
    if ledger_kpis.holds_open_items_only(frame):
        return
    result = ledger_kpis.all_kpis(frame, as_of, days=days, months=months)
    for name, want in _plain_kpis(frame, as_of, days, months).items():
        got = result[name]
        if want is None:
            continue
        if isinstance(want, NotDefined):
            assert isinstance(got, NotDefined) and got.reason == want.reason, name
        elif name in ("open_items", "invoices_settled"):
            assert got == want, name
        elif name.endswith(("receivables", "sales")):
            assert abs(got - want) < 0.005, name
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), name


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
@pytest.mark.parametrize("months", [1, 3, 12, 25])
def test_the_month_of_each_date_is_its_period_among_the_month_edges(unit, months):
    edges = ledger_kpis._month_edges(np.datetime64("2024-03-20"), months).astype(f"M8[{unit}]")
    seconds = int((edges[-1] - edges[0]) / np.timedelta64(1, "s"))
    moments = np.random.default_rng(months).integers(1, seconds + 1, 5_000)
    dates = (edges[0].astype("M8[s]") + moments.astype("m8[s]")).astype(f"M8[{unit}]")
    dates = np.concatenate([dates, edges[1:], edges[1:] - np.timedelta64(1, "s")])
    assert (ledger_kpis._month_of(dates, edges)
            == np.searchsorted(edges, dates, side="left")).all()
