"""Receivables KPIs from plain numbers.

Each function states its formula, its unit and its day count. Where the inputs
make a KPI meaningless (no sales, nothing collectible, negative or non-finite
figures) the result is a falsy `NotDefined` that says why, never an exception,
inf or NaN; a value of the wrong type (text) raises `TypeError`.

Day count: every DSO-style figure is "days of sales", and the caller chooses
the length of the sales period (`days`: 365 and 360 are the usual conventions,
30 or 90 for a month or quarter). The receivables and the sales must cover the
same period the `days` describe.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real


@dataclass(frozen=True)
class NotDefined:
    """A KPI that has no meaningful value for these inputs, and why."""

    reason: str

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"not defined: {self.reason}"


KpiValue = float | NotDefined


def _number(name: str, value: object) -> float:
    """`value` as a float; text, booleans and other non-numbers raise TypeError."""
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _problem(**values: float) -> NotDefined | None:
    """A NotDefined naming the first argument that is not finite or is negative."""
    for name, value in values.items():
        if not math.isfinite(value):
            return NotDefined(f"{name} is not a finite number ({value})")
        if value < 0:
            return NotDefined(f"{name} is negative ({value:,.2f})")
    return None


def _finite(result: float) -> KpiValue:
    """The result, unless usable inputs were so extreme that it overflowed."""
    if math.isfinite(result):
        return result
    return NotDefined("the inputs are too large for the result to be a number")


def _days_of_sales(amount: float, credit_sales: float, days: float) -> KpiValue:
    """amount / credit_sales * days, once the inputs are known to be usable."""
    if credit_sales == 0:
        return NotDefined("no credit sales in the period")
    if days == 0:
        return NotDefined("the period has no days")
    return _finite(amount / credit_sales * days)


def dso(receivables: float, credit_sales: float, days: float = 365) -> KpiValue:
    """Days sales outstanding, simple (average-sales) method.

    DSO = receivables / credit_sales * days, in days.

    `receivables` are the total open receivables at the end of the period,
    `credit_sales` the net credit sales over the period and `days` the length of
    that period in calendar days (365 by default; 360 for a banker's year, 30 or
    90 for a month or quarter). Not defined without sales, or for negative
    receivables, sales or days.
    """
    values = {
        "receivables": _number("receivables", receivables),
        "credit sales": _number("credit_sales", credit_sales),
        "days": _number("days", days),
    }
    problem = _problem(**values)
    return problem if problem is not None else _days_of_sales(*values.values())


def best_possible_dso(
    current_receivables: float, credit_sales: float, days: float = 365
) -> KpiValue:
    """Best possible DSO: the DSO if every customer paid on the due date.

    BPDSO = current_receivables / credit_sales * days, in days.

    `current_receivables` are the open receivables not yet past due at the end
    of the period; `credit_sales` and `days` as for `dso` (same period, same
    day count, 365 by default).
    """
    values = {
        "current receivables": _number("current_receivables", current_receivables),
        "credit sales": _number("credit_sales", credit_sales),
        "days": _number("days", days),
    }
    problem = _problem(**values)
    return problem if problem is not None else _days_of_sales(*values.values())


def average_days_delinquent(dso_days: KpiValue, best_possible_dso_days: KpiValue) -> KpiValue:
    """Average days delinquent: how many days of DSO are due to late payment.

    ADD = DSO - best possible DSO, in days; both must use the same period and
    day count. Not defined when either input is not defined.
    """
    for value in (dso_days, best_possible_dso_days):
        if isinstance(value, NotDefined):
            return value
    total = _number("dso", dso_days)
    best = _number("best_possible_dso", best_possible_dso_days)
    if not (math.isfinite(total) and math.isfinite(best)):
        return NotDefined("DSO and best possible DSO must be finite numbers")
    return _finite(total - best)


def collection_effectiveness_index(
    beginning_receivables: float,
    credit_sales: float,
    ending_receivables: float,
    ending_current_receivables: float,
) -> KpiValue:
    """Collection effectiveness index (CEI), a percentage.

    CEI = (B + S - E) / (B + S - EC) * 100

    B: total receivables at the start of the period; S: credit sales made in the
    period; E: total receivables at the end; EC: the part of E not yet past due.
    What was collected over what could have been collected: 100 means every
    amount that fell due was collected. No day count is involved. Some sources
    use the monthly average of S for a multi-month period; pass whichever S the
    reporting convention asks for. Above 100 only when EC exceeds E (past-due
    credit notes). Not defined when nothing was collectible (denominator <= 0) or
    for negative inputs.
    """
    values = {
        "beginning receivables": _number("beginning_receivables", beginning_receivables),
        "credit sales": _number("credit_sales", credit_sales),
        "ending receivables": _number("ending_receivables", ending_receivables),
        "ending current receivables": _number(
            "ending_current_receivables", ending_current_receivables
        ),
    }
    problem = _problem(**values)
    if problem is not None:
        return problem
    begin, sales, end, end_current = values.values()
    collectible = begin + sales - end_current
    if collectible <= 0:
        return NotDefined("nothing was collectible in the period (B + S - EC <= 0)")
    return _finite((begin + sales - end) / collectible * 100)


def receivables_turnover(net_credit_sales: float, average_receivables: float) -> KpiValue:
    """Receivables turnover: how many times the average receivables were collected.

    Turnover = net_credit_sales / average_receivables, times per period.

    `average_receivables` is usually (beginning + ending) / 2 for the same
    period as the sales. No day count (days / turnover gives a DSO). Not defined
    when the average receivables are zero or either input is negative.
    """
    values = {
        "net credit sales": _number("net_credit_sales", net_credit_sales),
        "average receivables": _number("average_receivables", average_receivables),
    }
    problem = _problem(**values)
    if problem is not None:
        return problem
    sales, average = values.values()
    if average == 0:
        return NotDefined("average receivables are zero")
    return _finite(sales / average)


def countback_dso(
    receivables: float,
    sales_newest_first: Sequence[float],
    days_per_period: float | Sequence[float] = 30,
) -> KpiValue:
    """Days sales outstanding by the countback (exhaustion) method, in days.

    Walk back through the periods, newest first. While the receivables left
    exceed a period's credit sales, subtract those sales and add the period's
    days; the last, partly covered period adds days * remaining / sales.

    `days_per_period` is one number for flat periods (30-day months) or one day
    count per period in the same order as the sales (calendar months: see
    `calendar_month_days`). A period with no sales adds its full days. Not
    defined when the receivables exceed all the sales given (give more
    periods), when there are no sales at all, when a period's net sales are
    negative, or for negative receivables or days. Zero receivables give 0 days.
    A `days_per_period` sequence of another length than the sales raises ValueError.
    """
    remaining = _number("receivables", receivables)
    sales = [_number("sales", value) for value in sales_newest_first]
    days = _period_days(days_per_period, len(sales))
    problem = _problem(receivables=remaining)
    if problem is not None:
        return problem
    if not sales:
        return NotDefined("no sales periods given")
    for index, (amount, length) in enumerate(zip(sales, days, strict=True), start=1):
        limits = {f"sales of period {index}": amount, f"days of period {index}": length}
        problem = _problem(**limits)
        if problem is not None:
            return problem
    if not any(sales):
        return NotDefined("no credit sales in the periods given")
    return _count_back(remaining, sales, days)


def _period_days(days_per_period: float | Sequence[float], periods: int) -> list[float]:
    """One day count per period, from a flat length or a sequence (list, tuple, array)."""
    if isinstance(days_per_period, Real | str):
        return [_number("days_per_period", days_per_period)] * periods
    days = [_number("days_per_period", value) for value in days_per_period]
    if len(days) != periods:
        raise ValueError(
            f"days_per_period has {len(days)} entries but there are {periods} sales periods"
        )
    return days


def _count_back(remaining: float, sales: list[float], days: list[float]) -> KpiValue:
    """The exhaustion walk itself, on inputs already checked (all >= 0).

    A residue below a billionth of the receivables counts as exhausted, so that
    float rounding in the subtractions cannot leave a phantom older period.
    """
    if remaining == 0:
        return 0.0
    tolerance = remaining * 1e-9
    total = 0.0
    for amount, length in zip(sales, days, strict=True):
        if remaining - amount > tolerance:
            remaining -= amount
            total += length
        else:
            return _finite(total + length * min(remaining / amount, 1.0))
    return NotDefined(
        f"receivables exceed all {len(sales)} periods of sales given "
        f"({sum(sales):,.2f}); {remaining:,.2f} is older than the oldest period"
    )


def calendar_month_days(as_of: dt.date, months: int) -> list[int]:
    """Day counts of `months` calendar periods walking back from `as_of`, newest first.

    The newest period is the month to date (the 1st of as_of's month through
    as_of, so `as_of.day` days); each earlier one is a whole calendar month. At
    a month end this is simply the last `months` calendar months:
    calendar_month_days(date(2024, 3, 31), 3) == [31, 29, 31].
    """
    if months < 0:
        raise ValueError(f"months must be 0 or more, got {months}")
    days: list[int] = []
    year, month = as_of.year, as_of.month
    for index in range(months):
        days.append(as_of.day if index == 0 else calendar.monthrange(year, month)[1])
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return days
