"""Payment plans: a customer's balance split into dated instalments, and how well it is kept.

`schedule` splits a balance into instalments; `adherence` applies the payments
received to them; `plan_status` sums that up in the words the policy reads
("active", "kept", "missed", "closed"); `plan_rows` lays a plan out for the
PaymentPlans sheet. Pure core: pandas, numpy and the standard library only.

Conventions, decided once here:

- Money is split in whole cents (integers), so the instalments add up to the
  balance exactly. A balance or first payment with a fraction of a cent is
  rounded to the cent, halves away from zero, before splitting. Amounts are
  returned as floats rounded to two places.
- `count` is the number of instalments in all, the first payment included.
  Without a first payment every instalment is the balance divided evenly,
  rounded down to the cent, and the last one takes what is left over (so it is
  at most `count - 1` cents larger). With a first payment, instalment 1 is that
  amount and the other `count - 1` instalments split the rest the same way.
- Instalment 1 falls due on `start`; instalment k falls due k-1 weeks,
  fortnights or months later. Monthly dates are counted from `start` each time
  (never from the previous date), keeping its day of the month and clamped to
  the month's end: 31 Jan, 29 Feb (28 in a common year), 31 Mar, 30 Apr.
- Payments are applied in date order, cumulatively, to the oldest instalment
  first; payments dated after `as_of` are not counted yet, and anything paid
  beyond the plan's total is reported in `attrs["overpaid"]`. An instalment is
  covered when what it still lacks is within `tolerance`.
- An instalment's state is judged on `as_of`: "paid" when covered (even if it
  was covered late: a customer who catches up is keeping the plan again);
  "missed" when its due date plus `grace_days` has passed (strictly before
  `as_of`) and it is not covered, partly paid or not; otherwise "partly paid"
  when something went to it, "due" when its due date has come, "upcoming"
  before that.
- A plan is "closed" when every instalment is paid, "missed" when any is
  missed, "kept" when at least one instalment has fallen due and all that have
  are paid, and "active" otherwise (nothing due yet, or one due but still in
  its grace days).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from dunning.errors import DunningInputError, Issue
from dunning.ledger import DateLike

FREQUENCIES = ("weekly", "fortnightly", "monthly")
INSTALMENT_STATUSES = ("paid", "partly paid", "missed", "due", "upcoming")
PLAN_STATUSES = ("active", "kept", "missed", "closed")
SHEET = "PaymentPlans"
HEADERS = ["Plan", "Customer", "Instalment", "Due Date", "Amount", "Currency", "Paid", "Status"]

_DAYS = {"weekly": 7, "fortnightly": 14}


def schedule(
    balance: float | int | Decimal | str,
    start: DateLike,
    count: int,
    frequency: str,
    *,
    first_payment: float | int | Decimal | str | None = None,
    currency: str = "",
) -> pd.DataFrame:
    """Instalments that add up to `balance` to the cent, one row each.

    Returns columns instalment (1..count), due_date (Timestamp), amount (float,
    two places) and currency. Raises DunningInputError listing every bad
    argument: a balance not above zero, a count below one or above the balance
    in cents, a first payment not between zero and the balance (or with no
    instalment left for the rest), an unknown frequency or start date.
    """
    issues: list[Issue] = []
    balance_cents = _cents(balance, "balance", issues)
    first_cents = None if first_payment is None else _cents(first_payment, "first payment", issues)
    count_ok = _check_count(count, issues)
    period = _frequency(frequency, issues)
    start_day = _start(start, issues)
    if balance_cents is not None and balance_cents <= 0:
        issues.append(Issue("the balance must be more than zero", value=balance))
    if not issues and first_cents is not None:
        _check_first(first_cents, balance_cents, count, first_payment, issues)
    if not issues and count_ok:
        _check_split(balance_cents, first_cents, count, issues)
    if issues:
        raise DunningInputError(issues)
    cents = _split(balance_cents, count, first_cents)
    return pd.DataFrame({
        "instalment": np.arange(1, count + 1, dtype="int64"),
        "due_date": _due_dates(start_day, count, period),
        "amount": [value / 100 for value in cents],
        "currency": (currency or "").strip().upper(),
    })


def adherence(
    plan: pd.DataFrame,
    payments: pd.DataFrame,
    as_of: DateLike,
    *,
    grace_days: int = 0,
    tolerance: float = 0.005,
) -> pd.DataFrame:
    """The plan's rows with paid_amount, paid_date and status as of `as_of`.

    `plan` needs columns instalment, due_date and amount (a `schedule` frame);
    `payments` needs columns date and amount, one row per payment received for
    the plan. paid_date is the payment date from which the instalment has been
    covered (NaT when it is not); fallen_due says its due date has come.
    `attrs["overpaid"]` holds what was paid beyond the plan's total.
    """
    run_date = _required_date(as_of, "as of date")
    if grace_days < 0 or tolerance < 0:
        raise DunningInputError([Issue("grace days and tolerance cannot be negative",
                                       value=(grace_days, tolerance))])
    rows = _plan_frame(plan)
    dates, running = _payment_totals(payments, run_date)
    total_paid = float(running[-1]) if len(running) else 0.0
    amounts = rows["amount"].to_numpy(dtype=float)
    owed_through = np.cumsum(amounts)
    owed_before = owed_through - amounts
    paid = np.clip(total_paid - owed_before, 0.0, amounts).round(2)
    covered = total_paid >= owed_through - tolerance
    due = rows["due_date"].to_numpy()
    rows["paid_amount"] = paid
    rows["paid_date"] = _covered_since(dates, running, owed_through - tolerance, covered)
    rows["status"] = _statuses(covered, paid, due, run_date, grace_days)
    rows["fallen_due"] = due <= np.datetime64(run_date)
    plan_total = float(owed_through[-1]) if len(rows) else 0.0
    rows.attrs["overpaid"] = round(max(total_paid - plan_total, 0.0), 2)
    return rows


def plan_status(judged: pd.DataFrame) -> str:
    """One word for the plan, as the policy reads it, from an `adherence` frame."""
    status = judged["status"].astype(str).to_numpy()
    fallen_due = judged["fallen_due"].to_numpy(dtype=bool)
    if len(status) and (status == "paid").all():
        return "closed"
    if (status == "missed").any():
        return "missed"
    if fallen_due.any() and (status[fallen_due] == "paid").all():
        return "kept"
    return "active"


def plan_rows(plan: pd.DataFrame, customer: str, plan_id: str) -> list[list[object]]:
    """Rows for the PaymentPlans sheet, the header first.

    Takes a `schedule` frame, or an `adherence` frame to fill Paid and Status
    (a bare schedule gives Paid 0 and a blank Status). Due dates are
    `datetime.date`; texts are returned as given, and the writer must store
    them as text so that none can become a formula.
    """
    rows = _plan_frame(plan)
    plan = plan.sort_values(["due_date", "instalment"], kind="stable").reset_index(drop=True)
    paid = plan["paid_amount"] if "paid_amount" in plan else pd.Series(0.0, index=plan.index)
    status = plan["status"] if "status" in plan else pd.Series("", index=plan.index)
    currency = plan["currency"] if "currency" in plan else pd.Series("", index=plan.index)
    body = [
        [str(plan_id), str(customer), int(number), due.date(), round(float(amount), 2),
         _text(code), round(float(paid_amount), 2), _text(state)]
        for number, due, amount, code, paid_amount, state in zip(
            rows["instalment"], rows["due_date"], rows["amount"], currency, paid, status,
            strict=True)
    ]
    return [list(HEADERS), *body]


def _text(value: object) -> str:
    return "" if value is None or pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def _cents(value: object, name: str, issues: list[Issue]) -> int | None:
    if isinstance(value, bool):
        issues.append(Issue(f"the {name} must be an amount of money", value=value))
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite():
        issues.append(Issue(f"the {name} must be an amount of money", value=value))
        return None
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_count(count: object, issues: list[Issue]) -> bool:
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        issues.append(Issue("the number of instalments must be a whole number", value=count))
        return False
    if count < 1:
        issues.append(Issue("the number of instalments must be at least 1", value=count))
        return False
    return True


def _frequency(frequency: object, issues: list[Issue]) -> str | None:
    name = str(frequency).strip().lower()
    if name not in FREQUENCIES:
        issues.append(Issue(f"the frequency must be one of {', '.join(FREQUENCIES)}",
                            value=frequency))
        return None
    return name


def _start(start: object, issues: list[Issue]) -> pd.Timestamp | None:
    try:
        day = pd.Timestamp(start)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        issues.append(Issue("the start must be a date", value=start))
        return None
    return day.normalize().tz_localize(None) if day.tzinfo else day.normalize()


def _check_first(first: int, balance: int, count: int, given: object,
                 issues: list[Issue]) -> None:
    if first <= 0:
        issues.append(Issue("the first payment must be more than zero", value=given))
    elif first >= balance:
        issues.append(Issue(
            f"the first payment must be less than the balance ({balance / 100:.2f}); "
            "to take it all at once, use one instalment", value=given))
    elif count < 2:
        issues.append(Issue("with a first payment the plan needs at least 2 instalments",
                            value=count))


def _check_split(balance: int, first: int | None, count: int, issues: list[Issue]) -> None:
    rest, even = (balance, count) if first is None else (balance - first, count - 1)
    if rest < even:
        issues.append(Issue(
            f"{rest / 100:.2f} cannot be split into {even} instalments of at least one cent",
            value=count))


def _split(balance: int, count: int, first: int | None) -> list[int]:
    """Even cents, the rounding difference on the last instalment."""
    head = [] if first is None else [first]
    rest = balance - (first or 0)
    even = count - len(head)
    each = rest // even
    return [*head, *([each] * (even - 1)), rest - each * (even - 1)]


def _due_dates(start: pd.Timestamp, count: int, period: str) -> pd.DatetimeIndex:
    if period == "monthly":
        days = [start + pd.DateOffset(months=step) for step in range(count)]
    else:
        days = [start + pd.Timedelta(days=_DAYS[period] * step) for step in range(count)]
    return pd.DatetimeIndex(days).as_unit("ns")


def _required_date(value: object, name: str) -> pd.Timestamp:
    issues: list[Issue] = []
    day = _start(value, issues)
    if day is None:
        raise DunningInputError([Issue(f"the {name} must be a date", value=value)])
    return day


def _plan_frame(plan: pd.DataFrame) -> pd.DataFrame:
    missing = [name for name in ("instalment", "due_date", "amount") if name not in plan]
    if missing:
        raise DunningInputError([Issue(
            f"the plan needs columns instalment, due_date and amount; missing {', '.join(missing)}",
            sheet=SHEET)])
    rows = plan.sort_values(["due_date", "instalment"], kind="stable").reset_index(drop=True)
    due = pd.to_datetime(rows["due_date"], errors="coerce")
    amount = pd.to_numeric(rows["amount"], errors="coerce")
    issues = [Issue("an instalment needs a due date and an amount", sheet=SHEET,
                    row=int(number), value=(rows["due_date"][i], rows["amount"][i]))
              for i, number in enumerate(rows["instalment"])
              if pd.isna(due[i]) or pd.isna(amount[i])]
    if issues:
        raise DunningInputError(issues)
    judged = [c for c in ("paid_amount", "paid_date", "status", "fallen_due") if c in rows]
    out = rows.drop(columns=judged)
    out["due_date"] = due.dt.normalize()
    out["amount"] = amount.astype(float)
    return out


def _payment_totals(payments: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Payment dates up to `as_of`, in order, and the running total paid after each."""
    if payments is None or payments.empty:
        return np.array([], dtype="datetime64[ns]"), np.array([], dtype=float)
    missing = [name for name in ("date", "amount") if name not in payments]
    if missing:
        raise DunningInputError([Issue(
            f"payments need columns date and amount; missing {', '.join(missing)}")])
    dates = pd.to_datetime(payments["date"], errors="coerce").dt.normalize()
    amounts = pd.to_numeric(payments["amount"], errors="coerce")
    bad = dates.isna() | amounts.isna()
    if bad.any():
        raise DunningInputError([
            Issue("a payment needs a date and an amount", row=int(position) + 1,
                  value=(payments["date"].iloc[position], payments["amount"].iloc[position]))
            for position in np.flatnonzero(bad.to_numpy())])
    frame = pd.DataFrame({"date": dates.to_numpy(), "amount": amounts.to_numpy(dtype=float)})
    frame = frame[frame["date"] <= as_of].sort_values("date", kind="stable")
    return frame["date"].to_numpy(dtype="datetime64[ns]"), frame["amount"].cumsum().to_numpy()


def _covered_since(dates: np.ndarray, running: np.ndarray, needed: np.ndarray,
                   covered: np.ndarray) -> pd.Series:
    """The payment date from which the running total never fell below what was needed."""
    if not len(running):
        return pd.Series(pd.NaT, index=range(len(needed)), dtype="datetime64[ns]")
    lowest_after = np.minimum.accumulate(running[::-1])[::-1]
    first = np.searchsorted(lowest_after, needed, side="left")
    first = np.minimum(first, len(dates) - 1)
    since = np.where(covered, dates[first], np.datetime64("NaT"))
    return pd.Series(since, dtype="datetime64[ns]")


def _statuses(covered: np.ndarray, paid: np.ndarray, due: np.ndarray, as_of: pd.Timestamp,
              grace_days: int) -> np.ndarray:
    due = pd.DatetimeIndex(due)
    has_come = (due <= as_of)
    lapsed = (due + pd.Timedelta(days=grace_days)) < as_of
    return np.select(
        [covered, lapsed, paid > 0, has_come],
        ["paid", "missed", "partly paid", "due"],
        default="upcoming",
    ).astype(object)
