"""Receivables KPIs computed from a ledger frame as of a date.

The frame follows the contract in `dunning.core.ledger`. The building blocks:

- receivables at a date: the sum of `dunning.core.ledger.open_balance(frame, date)`,
  the balance at the close of that day; credit notes count, negatively.
- current receivables at a date: that balance on items not yet past due, i.e.
  days past due = date - due_date <= 0, the same rule as aging's Current bucket.
  Past-due receivables are the rest.
- a period `(start, end]`: start exclusive, end inclusive, calendar days. The
  KPIs over a look-back of `days` use `(as_of - days, as_of]`, so the first day
  is as_of - days + 1 and the receivables "at the start" are those at the close
  of as_of - days, the day before the period.
- net credit sales in a period: the sum of `amount` over items whose
  invoice_date falls in it; credit notes are netted.
- settled in a period: items whose settled_date falls in it. Only items cleared
  in full and given a settled_date count as settled (partial payments carry no
  date); items marked written_off are losses, not collections, and are left out.

Day count: `days` (365 by default, 360 selectable) is both the length of the
sales look-back and the multiplier in the DSO formulas. Countback DSO uses
calendar months walking back from as_of (see `dunning.core.kpis.calendar_month_days`).

Results are plain floats (ints for counts) or `dunning.core.kpis.NotDefined`. Money
is not rounded here: presentation rounds to cents. Amounts are summed as they
are, so give these functions a ledger in one currency
(`dunning.core.ledger.single_currency`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dunning.core import kpis
from dunning.core.kpis import KpiValue, NotDefined
from dunning.core.ledger import (
    DateLike,
    as_timestamp,
    dates_after,
    dates_on_or_before,
    day_value,
)

DEFAULT_DAYS = 365
DEFAULT_MONTHS = 12
ONE_DAY = np.timedelta64(1, "D")


OPEN_ITEMS_ONLY = NotDefined("the ledger holds open items only")
"""What the KPIs that need paid history show for a ledger of open items (an aging export)."""

PAID_HISTORY_KPIS = (
    "dso", "countback_dso", "best_possible_dso", "average_days_delinquent", "cei",
    "receivables_turnover", "average_days_to_pay", "average_days_late",
    "weighted_average_days_late", "collection_rate", "bad_debt_ratio",
)
"""KPIs that compare sales with collections: meaningless without the items already paid."""


def holds_open_items_only(frame: pd.DataFrame) -> bool:
    """Is the ledger an open-items list: nothing settled, every item still owing something?

    Such a ledger (an aging report or open-invoices export) has no paid history, so
    DSO over a period would count only unpaid sales (a DSO near the period's length)
    and the collection measures would read 0%.
    """
    if len(frame) == 0:
        return False
    if frame["settled_date"].notna().to_numpy().any():  # (the usual ledger: no second pass)
        return False
    return not bool((np.abs(frame["open_amount"].to_numpy(dtype=float)) < 0.005).any())


def _explained(value: object) -> bool:
    """Is a KPI better told as `OPEN_ITEMS_ONLY`: a number, or not defined for want of
    settlements? Another reason ("no credit sales in the period") is the more particular."""
    return not isinstance(value, NotDefined) or "settled" in value.reason


def _needs_paid_history(function: Callable[..., KpiValue]) -> Callable[..., KpiValue]:
    """A KPI that is `OPEN_ITEMS_ONLY`, not a number, for a ledger of open items only."""

    def kpi(frame: pd.DataFrame, *args: Any, **kwargs: Any) -> KpiValue:
        value = function(frame, *args, **kwargs)
        return OPEN_ITEMS_ONLY if _explained(value) and holds_open_items_only(frame) else value

    kpi.__name__ = function.__name__
    kpi.__doc__ = function.__doc__
    kpi.__wrapped__ = function  # type: ignore[attr-defined]
    return kpi


class _View:
    """The ledger's columns as numpy arrays, with the shared pieces computed once.

    Balances, sales and masks are memoised per date or period, so `all_kpis`
    does each expensive step once however many KPIs use it.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.invoice_date = _dates(frame["invoice_date"])
        self.due_date = _dates(frame["due_date"])
        self.settled_date = _dates(frame["settled_date"])
        self.amount = frame["amount"].to_numpy(dtype=float)
        self.open_amount = frame["open_amount"].to_numpy(dtype=float)
        self.disputed = frame["disputed"].to_numpy(dtype=bool)
        self.written_off = frame["written_off"].to_numpy(dtype=bool)
        self.collection_cost = frame["collection_cost"].to_numpy(dtype=float)
        self._memo: dict[tuple[object, ...], Any] = {}

    def _once(self, key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def balance(self, day: np.datetime64) -> np.ndarray:
        """Each item's open balance at the close of `day` (dunning.core.ledger.open_balance)."""
        def compute() -> np.ndarray:  # open_balance's rule, on the arrays taken out once
            issued = dates_on_or_before(self.invoice_date, day)
            settled_later = dates_after(self.settled_date, day)
            return np.where(issued, np.where(settled_later, self.amount, self.open_amount), 0.0)

        return self._once(("balance", day), compute)

    def receivables(self, day: np.datetime64) -> float:
        return self._once(("receivables", day), lambda: float(self.balance(day).sum()))

    def is_current(self, day: np.datetime64) -> np.ndarray:
        """Mask of items not yet past due on `day` (due_date >= day)."""
        return self._once(("current", day), lambda: _on_or_after(self.due_date, day))

    def current_receivables(self, day: np.datetime64) -> float:
        def compute() -> float:
            return float(self.balance(day)[self.is_current(day)].sum())

        return self._once(("current receivables", day), compute)

    def issued(self, start: np.datetime64, end: np.datetime64) -> np.ndarray:
        """Mask of items invoiced in (start, end]."""

        return self._once(("issued", start, end),
                          lambda: _within(self.invoice_date, start, end))

    def sales(self, start: np.datetime64, end: np.datetime64) -> float:
        def compute() -> float:
            return float(self.amount[self.issued(start, end)].sum())

        return self._once(("sales", start, end), compute)

    def collected(self, start: np.datetime64, end: np.datetime64) -> np.ndarray:
        """Mask of items (invoices and credit notes) settled in the period, not written off."""
        return self._once(("collected", start, end), lambda: self._collected(start, end))

    def _collected(self, start: np.datetime64, end: np.datetime64) -> np.ndarray:
        settled = self.settled(start, end)
        issued = dates_on_or_before(self.invoice_date, end)
        return settled & ~self.written_off & issued

    def settled(self, start: np.datetime64, end: np.datetime64) -> np.ndarray:
        """Mask of items whose settled_date falls in (start, end], written off or not."""

        return self._once(("settled", start, end),
                          lambda: _within(self.settled_date, start, end))

    def paid_invoices(self, start: np.datetime64, end: np.datetime64) -> np.ndarray:
        """Mask of invoices (amount > 0) settled in the period, not written off."""

        def compute() -> np.ndarray:
            return self.collected(start, end) & self.invoices()

        return self._once(("paid", start, end), compute)

    def invoices(self) -> np.ndarray:
        """Mask of invoices (amount > 0), not credit notes."""
        return self._once(("invoices",), lambda: self.amount > 0)

    def payments(self, start: np.datetime64, end: np.datetime64) -> _Payments:
        """Day counts of the invoices paid in the period, computed once."""

        def compute() -> _Payments:
            rows = np.flatnonzero(self.paid_invoices(start, end))
            settled = self.settled_date[rows]
            waited = (settled - self.invoice_date[rows]) / ONE_DAY
            late = np.maximum((settled - self.due_date[rows]) / ONE_DAY, 0.0)
            return _Payments(waited, late, self.amount[rows])

        return self._once(("payments", start, end), compute)


@dataclass(frozen=True)
class _Payments:
    """The invoices paid in a period: days from invoice to payment, days late, amounts."""

    waited: np.ndarray
    late: np.ndarray
    amount: np.ndarray


def _dates(column: pd.Series) -> np.ndarray:
    """A date column as datetime64 values (whatever resolution the frame uses)."""
    values = column.to_numpy()
    return values if values.dtype.kind == "M" else pd.to_datetime(column).to_numpy()


def _on_or_after(dates: np.ndarray, day: np.datetime64) -> np.ndarray:
    """`dates >= day` (NaT never)."""
    return dates.view(np.int64) >= day_value(day, dates)


def _within(dates: np.ndarray, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    """`(dates > start) & (dates <= end)`: NaT is never after start."""
    values = dates.view(np.int64)
    return (values > day_value(start, dates)) & (values <= day_value(end, dates))


def _day(value: DateLike) -> np.datetime64:
    return as_timestamp(value).to_datetime64()


def _look_back(as_of: DateLike, days: int) -> tuple[np.datetime64, np.datetime64]:
    """(start, end) of the period (as_of - days, as_of]."""
    if isinstance(days, bool) or not isinstance(days, int | np.integer):
        raise TypeError(f"days must be a whole number of days, got {days!r}")
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    end = _day(as_of)
    return end - np.timedelta64(int(days), "D"), end


def _period(start: DateLike, end: DateLike) -> tuple[np.datetime64, np.datetime64]:
    first, last = _day(start), _day(end)
    if last < first:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    return first, last


def _percent(part: float, whole: float, reason: str) -> KpiValue:
    return NotDefined(reason) if whole <= 0 else part / whole * 100


# --------------------------------------------------------------------------- building blocks


def receivables(frame: pd.DataFrame, as_of: DateLike) -> float:
    """Total open receivables at the close of `as_of` (credit notes netted)."""
    return _View(frame).receivables(_day(as_of))


def current_receivables(frame: pd.DataFrame, as_of: DateLike) -> float:
    """Open receivables at the close of `as_of` on items not yet past due (due_date >= as_of)."""
    return _View(frame).current_receivables(_day(as_of))


def net_credit_sales(frame: pd.DataFrame, start: DateLike, end: DateLike) -> float:
    """Sum of `amount` over items invoiced in (start, end]; credit notes netted."""
    return _View(frame).sales(*_period(start, end))


# --------------------------------------------------------------------------- DSO family


@_needs_paid_history
def dso(frame: pd.DataFrame, as_of: DateLike, days: int = DEFAULT_DAYS) -> KpiValue:
    """DSO = receivables at as_of / net credit sales in (as_of - days, as_of] * days, in days."""
    return _dso(_View(frame), *_look_back(as_of, days))


@_needs_paid_history
def best_possible_dso(frame: pd.DataFrame, as_of: DateLike, days: int = DEFAULT_DAYS) -> KpiValue:
    """BPDSO = current receivables at as_of / net credit sales in the look-back * days."""
    return _best_possible_dso(_View(frame), *_look_back(as_of, days))


@_needs_paid_history
def average_days_delinquent(
    frame: pd.DataFrame, as_of: DateLike, days: int = DEFAULT_DAYS
) -> KpiValue:
    """ADD = DSO - best possible DSO, same period and day count, in days."""
    view, (start, end) = _View(frame), _look_back(as_of, days)
    outstanding = _dso(view, start, end)
    return kpis.average_days_delinquent(outstanding, _best_possible_dso(view, start, end))


@_needs_paid_history
def countback_dso(frame: pd.DataFrame, as_of: DateLike, months: int = DEFAULT_MONTHS) -> KpiValue:
    """Countback DSO over calendar months walking back from as_of, in days.

    Period 1 is the month to date (1st of as_of's month through as_of), then
    whole calendar months, `months` periods in all; each period's net credit
    sales are counted back against the receivables at as_of (see
    `dunning.core.kpis.countback_dso`). Not defined when the receivables exceed all
    `months` periods of sales, or when credit notes outweigh a month's invoices
    (negative net sales in a period).
    """
    return _countback_dso(_View(frame), _day(as_of), months)


def _span_days(start: np.datetime64, end: np.datetime64) -> int:
    return int((end - start) // ONE_DAY)


def _dso(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    return kpis.dso(view.receivables(end), view.sales(start, end), _span_days(start, end))


def _best_possible_dso(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    return kpis.best_possible_dso(
        view.current_receivables(end), view.sales(start, end), _span_days(start, end)
    )


def _month_edges(as_of: np.datetime64, months: int) -> np.ndarray:
    """Period boundaries oldest first: the month ends before as_of, then as_of."""
    month_start = as_of.astype("datetime64[M]")
    ends = [month_start - np.timedelta64(k, "M") for k in range(months - 1, -1, -1)]
    edges = [end.astype("datetime64[D]") - ONE_DAY for end in ends]
    return np.array([*edges, as_of.astype("datetime64[D]")], dtype="datetime64[D]")


def _month_of(dates: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """`searchsorted(edges, dates, "left")` for dates in (edges[0], edges[-1]] (no NaT), by one
    integer pass: each date's day, counted from edges[0] and rounded up (a date after
    midnight belongs to the next day's period), looked up in a table of one entry per day.
    The edges are midnights, so the periods are whole days."""
    unit = np.timedelta64(1, "D").astype(dates.dtype.str.replace("M8", "m8")).astype(np.int64)
    start = edges[0].astype(np.int64)
    offset = -((start - dates.view(np.int64)) // unit)  # ceil((date - start) / one day)
    edge_days = (edges.view(np.int64) - start) // unit
    per_day = np.searchsorted(edge_days, np.arange(int(edge_days[-1]) + 1), side="left")
    return per_day[offset]


def _countback_dso(view: _View, as_of: np.datetime64, months: int) -> KpiValue:
    if months <= 0:
        raise ValueError(f"months must be positive, got {months}")
    edges = _month_edges(as_of, months).astype(view.invoice_date.dtype)
    window = np.flatnonzero(_within(view.invoice_date, edges[0], edges[-1]))
    bucket = _month_of(view.invoice_date[window], edges)
    amounts = view.amount[window]
    sales = np.bincount(bucket, weights=amounts, minlength=months + 1)[1 : months + 1]
    days = kpis.calendar_month_days(pd.Timestamp(as_of).date(), months)
    return kpis.countback_dso(view.receivables(as_of), sales[::-1].tolist(), days)


# --------------------------------------------------------------------------- period KPIs


@_needs_paid_history
def cei(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Collection effectiveness index over (start, end], a percentage.

    B = receivables at the close of `start` (the day before the period's first
    day), S = net credit sales in (start, end], E = receivables at the close of
    `end`, EC = the part of E not yet past due. CEI = (B+S-E)/(B+S-EC)*100.
    """
    return _cei(_View(frame), *_period(start, end))


@_needs_paid_history
def receivables_turnover(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Net credit sales in (start, end] / ((receivables at start + at end) / 2), times."""
    return _turnover(_View(frame), *_period(start, end))


def _cei(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    return kpis.collection_effectiveness_index(
        view.receivables(start),
        view.sales(start, end),
        view.receivables(end),
        view.current_receivables(end),
    )


def _turnover(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    average = (view.receivables(start) + view.receivables(end)) / 2
    return kpis.receivables_turnover(view.sales(start, end), average)


# --------------------------------------------------------------------------- shares at a date


def percent_current(frame: pd.DataFrame, as_of: DateLike) -> KpiValue:
    """Current receivables / receivables at as_of * 100 (not defined without an open balance)."""
    view, day = _View(frame), _day(as_of)
    return _share(view.current_receivables(day), view.receivables(day))


def percent_past_due(frame: pd.DataFrame, as_of: DateLike) -> KpiValue:
    """Past-due receivables (days past due >= 1) / receivables at as_of * 100."""
    view, day = _View(frame), _day(as_of)
    total = view.receivables(day)
    return _share(total - view.current_receivables(day), total)


def disputed_share(frame: pd.DataFrame, as_of: DateLike) -> KpiValue:
    """Open balance on disputed items / receivables at as_of * 100.

    The ledger does not date disputes, so `disputed` is read as it stands today.
    """
    return _disputed_share(_View(frame), _day(as_of))


def _share(part: float, total: float) -> KpiValue:
    return _percent(part, total, "no positive open balance on that date")


def _disputed_share(view: _View, day: np.datetime64) -> KpiValue:
    balance = view.balance(day)  # (the receivables are the sum of the same balances)
    return _share(float(balance[view.disputed].sum()), view.receivables(day))


# --------------------------------------------------------------------------- payment behaviour


@_needs_paid_history
def average_days_to_pay(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Mean of settled_date - invoice_date in days over invoices settled in (start, end].

    Credit notes and written-off items are left out.
    """
    return _days_to_pay(_View(frame), *_period(start, end))


@_needs_paid_history
def average_days_late(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Mean of max(0, settled_date - due_date) in days over invoices settled in (start, end]."""
    return _days_late(_View(frame), *_period(start, end), weighted=False)


@_needs_paid_history
def weighted_average_days_late(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Amount-weighted mean of max(0, settled_date - due_date) over the same invoices, in days."""
    return _days_late(_View(frame), *_period(start, end), weighted=True)


@_needs_paid_history
def collection_rate(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Amount collected in (start, end] / (receivables at start + net credit sales) * 100.

    Collected = the amounts of items settled in the period, credit notes settled
    in it netted; only items cleared in full with a settled_date count, and
    written-off items are not collections.
    """
    return _collection_rate(_View(frame), *_period(start, end))


_NONE_PAID = "no invoices settled in the period"


def _days_to_pay(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    paid = view.payments(start, end)
    return float(paid.waited.mean()) if len(paid.amount) else NotDefined(_NONE_PAID)


def _days_late(
    view: _View, start: np.datetime64, end: np.datetime64, *, weighted: bool
) -> KpiValue:
    paid = view.payments(start, end)
    if not len(paid.amount):
        return NotDefined(_NONE_PAID)
    if not weighted:
        return float(paid.late.mean())
    return float((paid.late * paid.amount).sum() / paid.amount.sum())


def _collection_rate(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    collected = float(view.amount[view.collected(start, end)].sum())
    available = view.receivables(start) + view.sales(start, end)
    return _percent(collected, available, "nothing to collect in the period")


# --------------------------------------------------------------------------- losses and costs


def bad_debt_written_off(frame: pd.DataFrame, start: DateLike, end: DateLike) -> float:
    """Amount written off on invoices dated in (start, end].

    The ledger has no write-off date, so a write-off is placed by its invoice
    date: this is how much of the period's sales has been written off so far
    (it can grow later). The amount lost on an item is its open_amount when
    positive (what was still owed), otherwise its full amount (the write-off
    cleared it). Credit notes are left out.
    """
    return _written_off(_View(frame), *_period(start, end))


@_needs_paid_history
def bad_debt_ratio(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """bad_debt_written_off / net credit sales in (start, end] * 100."""
    return _bad_debt_ratio(_View(frame), *_period(start, end))


def recovery_cost_ratio(frame: pd.DataFrame, start: DateLike, end: DateLike) -> KpiValue:
    """Collection costs / amount recovered in (start, end] * 100.

    Costs: collection_cost recorded on items closed in the period (settled_date
    in it, written off or paid). Recovered: the amounts of invoices paid in the
    period after their due date (late, so recovered by dunning), not written
    off. Not defined when no costs are recorded, or nothing was recovered.
    """
    return _recovery_cost_ratio(_View(frame), *_period(start, end))


def _written_off(view: _View, start: np.datetime64, end: np.datetime64) -> float:
    lost = view.issued(start, end) & view.written_off & view.invoices()
    still_owed = view.open_amount[lost]
    return float(np.where(still_owed > 0, still_owed, view.amount[lost]).sum())


def _bad_debt_ratio(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    sales = view.sales(start, end)
    return _percent(_written_off(view, start, end), sales, "no credit sales in the period")


def _recovery_cost_ratio(view: _View, start: np.datetime64, end: np.datetime64) -> KpiValue:
    cost = float(view.collection_cost[view.settled(start, end)].sum())
    if cost == 0:
        return NotDefined("no collection costs recorded")
    paid = view.payments(start, end)
    recovered = float(paid.amount[paid.late > 0].sum())
    return _percent(cost, recovered, "nothing recovered from overdue invoices in the period")


# --------------------------------------------------------------------------- everything at once


def all_kpis(
    frame: pd.DataFrame,
    as_of: DateLike,
    *,
    days: int = DEFAULT_DAYS,
    months: int = DEFAULT_MONTHS,
) -> dict[str, float | int | NotDefined]:
    """Every ledger KPI as of a date, over the period (as_of - days, as_of].

    Open balances are computed once per date (as_of and the day before the
    period) and shared. Keys, in order: receivables, current_receivables,
    past_due_receivables, net_credit_sales, dso, countback_dso,
    best_possible_dso, average_days_delinquent, cei, receivables_turnover,
    percent_current, percent_past_due, disputed_share, average_days_to_pay,
    average_days_late, weighted_average_days_late, collection_rate,
    bad_debt_written_off, bad_debt_ratio, recovery_cost_ratio, open_items,
    invoices_settled.
    """
    view = _View(frame)
    start, end = _look_back(as_of, days)
    total, current = view.receivables(end), view.current_receivables(end)
    dso_days, best = _dso(view, start, end), _best_possible_dso(view, start, end)
    result: dict[str, float | int | NotDefined] = {
        "receivables": total,
        "current_receivables": current,
        "past_due_receivables": total - current,
        "net_credit_sales": view.sales(start, end),
        "dso": dso_days,
        "countback_dso": _countback_dso(view, end, months),
        "best_possible_dso": best,
        "average_days_delinquent": kpis.average_days_delinquent(dso_days, best),
        "cei": _cei(view, start, end),
        "receivables_turnover": _turnover(view, start, end),
        "percent_current": _share(current, total),
        "percent_past_due": _share(total - current, total),
        "disputed_share": _disputed_share(view, end),
        "average_days_to_pay": _days_to_pay(view, start, end),
        "average_days_late": _days_late(view, start, end, weighted=False),
        "weighted_average_days_late": _days_late(view, start, end, weighted=True),
        "collection_rate": _collection_rate(view, start, end),
        "bad_debt_written_off": _written_off(view, start, end),
        "bad_debt_ratio": _bad_debt_ratio(view, start, end),
        "recovery_cost_ratio": _recovery_cost_ratio(view, start, end),
        "open_items": int(np.count_nonzero(view.balance(end))),
        "invoices_settled": int(np.count_nonzero(view.paid_invoices(start, end))),
    }
    if holds_open_items_only(frame):
        result.update({name: OPEN_ITEMS_ONLY for name in PAID_HISTORY_KPIS
                       if _explained(result[name])})
    return result


__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_MONTHS",
    "all_kpis",
    "average_days_delinquent",
    "average_days_late",
    "average_days_to_pay",
    "bad_debt_ratio",
    "bad_debt_written_off",
    "best_possible_dso",
    "cei",
    "collection_rate",
    "countback_dso",
    "current_receivables",
    "disputed_share",
    "dso",
    "net_credit_sales",
    "percent_current",
    "percent_past_due",
    "receivables",
    "receivables_turnover",
    "recovery_cost_ratio",
    "weighted_average_days_late",
]
