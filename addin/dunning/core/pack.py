"""The management pack's figures: what changed since the last recorded day, who owes the
most and what happens next, and what was sent in the period.

Everything here is taken from what the other core modules give (the KPI history rows of
`kpi_history`, the worklist of `worklist`, the ContactLog frame of `contactlog`): this
module only picks, joins and compares, so the pack never shows a figure the workbook's own
sheets would compute differently. Pure core: no file, no clock.

Conventions:

- The headline figures are one `kpi_history.history_records` row per currency (so the pack
  and the KPIHistory table agree); "previous" is that currency's latest KPIHistory row dated
  before the as-of date. Without one there is no change to show, and `Headline.previous` is
  None (never a change of zero).
- A figure that is not defined (no sales in the period) has no change either.
- The last contact of a customer is their latest ContactLog row up to the end of the as-of
  day (log timestamps are naive UTC, as the log keeps them).
- The period of "what was sent" is the `days` up to and including the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dunning.core.kpi_history import HISTORY_HEADERS, merge_history

FIGURES: tuple[tuple[str, str, str], ...] = (
    ("Open receivables", "Open Receivables", "money"),
    ("Past due", "Past Due", "money"),
    ("DSO", "DSO", "days"),
    ("Best possible DSO", "Best Possible DSO", "days"),
    ("CEI, last 30 days", "CEI Last 30 Days", "percent"),
    ("Average days late", "Average Days Late", "days"),
    ("Collection rate", "Collection Rate", "percent"),
)
"""The headline figures: label in the pack, KPIHistory column, kind (percent: a fraction)."""
SENT_OUTCOMES = ("sent", "reminder sent")
"""A reminder Dunning sent, or one logged as sent by hand."""
PERIOD_DAYS = 30


@dataclass(frozen=True)
class Headline:
    """One currency's headline figures today and on the previous recorded day."""

    currency: str
    values: Mapping[str, float | None]
    previous: Mapping[str, float | None] | None = None
    previous_as_of: dt.date | None = None

    def change(self, column: str) -> float | None:
        """Today's value less the previous one; None when either is missing."""
        if self.previous is None:
            return None
        now, before = self.values.get(column), self.previous.get(column)
        if now is None or before is None:
            return None
        return round(float(now) - float(before), 6)


@dataclass(frozen=True)
class Contacted:
    """A customer's latest ContactLog row."""

    timestamp: pd.Timestamp
    channel: str
    outcome: str
    stage: str
    next_action_date: pd.Timestamp | None


@dataclass(frozen=True)
class Account:
    """One of the largest overdue accounts, with its last contact and its next action."""

    customer: str
    name: str
    currency: str
    overdue: float
    oldest_days: int
    last_contact: Contacted | None
    next_action: str


def history_as_read(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """The KPIHistory rows as the table holds them, dates as dates, in currency-then-date
    order (rows whose date cannot be read are left out: they can be neither compared nor
    drawn)."""
    return [row for row in merge_history(rows, []) if isinstance(row[0], dt.date)]


def headlines(today: Sequence[Sequence[object]], history: Sequence[Sequence[object]],
              as_of: dt.date) -> list[Headline]:
    """Each currency's figures (`today`: `history_records` rows) beside its latest earlier
    KPIHistory row (`history`: as `history_as_read` gives it)."""
    found = []
    for row in today:
        currency = str(row[1] or "")
        earlier = [old for old in history if str(old[1] or "") == currency and old[0] < as_of]
        previous = earlier[-1] if earlier else None
        found.append(Headline(
            currency, _figures(row),
            None if previous is None else _figures(previous),
            None if previous is None else previous[0]))  # type: ignore[arg-type]
    return found


def dso_trend(history: Sequence[Sequence[object]], currency: str,
              as_of: dt.date) -> list[tuple[dt.date, float | None, float | None]]:
    """(as of, DSO, best possible DSO) of the currency's KPIHistory rows up to `as_of`."""
    dso, best = HISTORY_HEADERS.index("DSO"), HISTORY_HEADERS.index("Best Possible DSO")
    return [(row[0], _number(row[dso]), _number(row[best])) for row in history  # type: ignore[misc]
            if str(row[1] or "") == currency and row[0] <= as_of]


def last_contacts(log: pd.DataFrame, as_of: dt.date) -> dict[str, Contacted]:
    """Each customer's latest ContactLog row (`contact_log_frame`) up to the as-of day."""
    if log.empty:
        return {}
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    rows = log[log["timestamp"].notna() & (log["timestamp"] < end)
               & (log["customer"].fillna("").astype(str).str.strip() != "")]
    rows = rows.assign(order=range(len(rows))).sort_values(["timestamp", "order"],
                                                           kind="stable")
    found = {}
    for row in rows.drop_duplicates("customer", keep="last").itertuples():
        follow = row.next_action_date
        found[str(row.customer).strip()] = Contacted(
            row.timestamp, _text(row.channel), _text(row.outcome), _text(row.stage),
            None if pd.isna(follow) else pd.Timestamp(follow))
    return found


def overdue_accounts(largest: Sequence[tuple[str, str, float]], currency: str,
                     worklist: pd.DataFrame, contacts: Mapping[str, Contacted],
                     as_of: dt.date, aged: pd.DataFrame | None = None) -> list[Account]:
    """The largest overdue balances (`largest`: customer, name, overdue, largest first) with
    each customer's last contact and next action.

    The next action is the follow-up date the last contact logged, when it has not passed,
    and the customer's line on today's worklist (its rank and first reason); a customer not
    on the worklist has nothing due today. The oldest days past due are of the customer's
    open items owed (`aged`: `aging.age_items` of the currency), as the worklist counts
    them."""
    oldest: dict[str, int] = {}
    if aged is not None and not aged.empty:
        owed = aged[aged["open_balance"] > 0]
        oldest = {str(k): int(v) for k, v in owed.groupby("customer")["days_past_due"].max()
                  .items()}
    listed = {str(row.customer): row for row in worklist.itertuples()} if not worklist.empty \
        else {}
    accounts = []
    for customer, name, overdue in largest:
        contact = contacts.get(customer)
        entry = listed.get(customer)
        steps = []
        if contact and contact.next_action_date is not None \
                and contact.next_action_date >= pd.Timestamp(as_of):
            steps.append(f"follow up {contact.next_action_date:%Y-%m-%d}")
        if entry is not None:
            steps.append(f"worklist #{int(entry.rank)}: {entry.reason}")
        days = oldest.get(customer, int(entry.oldest_days) if entry is not None else 0)
        accounts.append(Account(customer, name, currency, float(overdue), max(days, 0),
                                contact, "; ".join(steps) or "nothing due today"))
    return accounts


def sent_in_period(log: pd.DataFrame, as_of: dt.date,
                   days: int = PERIOD_DAYS) -> pd.DataFrame:
    """What went out in the `days` to the as-of date: one row per stage and channel with the
    messages sent and the customers they reached, most messages first."""
    columns = ["stage", "channel", "messages", "customers"]
    if log.empty:
        return pd.DataFrame(columns=columns)
    start = pd.Timestamp(as_of) - pd.Timedelta(days=days - 1)
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    rows = period_rows(log, start, end)
    rows = rows[rows["outcome"].isin(SENT_OUTCOMES)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    grouped = rows.assign(stage=rows["stage"].map(_text), channel=rows["channel"].map(_text))
    table = grouped.groupby(["stage", "channel"], sort=True).agg(
        messages=("customer", "size"), customers=("customer", "nunique")).reset_index()
    return table.sort_values(["messages", "stage"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def other_contacts(log: pd.DataFrame, as_of: dt.date,
                   days: int = PERIOD_DAYS) -> dict[str, int]:
    """The period's other ContactLog rows (calls, promises, failures, hand-offs) counted by
    outcome."""
    if log.empty:
        return {}
    start = pd.Timestamp(as_of) - pd.Timedelta(days=days - 1)
    rows = period_rows(log, start, pd.Timestamp(as_of) + pd.Timedelta(days=1))
    rows = rows[~rows["outcome"].isin(SENT_OUTCOMES)]
    counts = rows["outcome"].map(_text).replace("", "(no outcome)").value_counts()
    return {str(name): int(count) for name, count in sorted(counts.items())}


def period_rows(log: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """ContactLog rows stamped from `start` to before `end`."""
    stamps = log["timestamp"]
    return log[stamps.notna() & (stamps >= start) & (stamps < end)]


def _figures(row: Sequence[object]) -> dict[str, float | None]:
    values = [*row, *[None] * (len(HISTORY_HEADERS) - len(row))]
    return {column: _number(values[HISTORY_HEADERS.index(column)])
            for _, column, _ in FIGURES}


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


PROMISE_DAYS_AHEAD = 7


def promises_to_show(outcomes: pd.DataFrame, as_of: dt.date,
                     days_ahead: int = PROMISE_DAYS_AHEAD) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(due, broken) of `promises.promise_outcomes`, leaving out promises a later one replaced:
    due are still pending with a promise date from the as-of date to `days_ahead` days after;
    broken are broken or partly kept, longest overdue first."""
    if outcomes.empty:
        return outcomes, outcomes
    current = outcomes[~outcomes["superseded"].astype(bool)]
    day = pd.Timestamp(as_of)
    dates = pd.to_datetime(current["promise_date"])
    due = current[(current["status"] == "pending") & (dates >= day)
                  & (dates <= day + pd.Timedelta(days=days_ahead))]
    broken = current[current["status"].isin(["broken", "partly kept"])]
    return (due.sort_values(["promise_date", "customer"], kind="stable").reset_index(drop=True),
            broken.sort_values(["days_overdue", "customer"], ascending=[False, True],
                               kind="stable").reset_index(drop=True))
