"""The KPI history: one row per currency and as-of date, kept across refreshes.

Each refresh records the headline figures of the day it shows; a refresh for a
day already recorded replaces that day's row of the currency and no other. Rows
are kept in order of currency, then date, so each currency's history is one
block of rows that a chart can draw as a line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dunning.core.kpis import NotDefined
from dunning.core.ledger_kpis import all_kpis, cei

HISTORY_HEADERS: tuple[str, ...] = (
    "As Of", "Currency", "Open Receivables", "Past Due", "DSO", "Best Possible DSO",
    "CEI Last 30 Days", "Average Days Late", "Collection Rate",
)
HISTORY_KINDS: tuple[str, ...] = ("date", "text", "money", "money", "days", "days", "percent",
                                  "days", "percent")
"""What each column holds (`dunning.render.sheet_layout` kinds); percentages are fractions."""
CEI_DAYS = 30


def history_records(frame: pd.DataFrame, as_of: dt.date) -> list[list[object]]:
    """Today's rows: one per currency of the ledger, in code order (blank: one row)."""
    rows = []
    groups = [(str(code), items) for code, items in frame.groupby("currency", sort=True)] or [
        ("", frame)]
    for currency, items in groups:
        values = all_kpis(items, as_of)
        index = cei(items, as_of - dt.timedelta(days=CEI_DAYS), as_of)
        rows.append([
            as_of, currency, _number(values["receivables"]),
            _number(values["past_due_receivables"]), _number(values["dso"], 1),
            _number(values["best_possible_dso"], 1), _fraction(index),
            _number(values["average_days_late"], 1), _fraction(values["collection_rate"]),
        ])
    return rows


def merge_history(existing: Sequence[Sequence[object]],
                  today: Sequence[Sequence[object]]) -> list[list[object]]:
    """The history with today's rows in: a (date, currency) already there is replaced.

    `existing` rows are as read from the table (dates may be datetimes); rows whose
    date cannot be read are kept as they are, after the others.
    """
    keyed: dict[tuple[dt.date, str], list[object]] = {}
    unreadable = []
    for row in existing:
        values = [*row, *[None] * (len(HISTORY_HEADERS) - len(row))][: len(HISTORY_HEADERS)]
        day = _as_date(values[0])
        if day is None:
            if any(value not in (None, "") for value in values):
                unreadable.append(values)
            continue
        values[0] = day
        keyed[(day, str(values[1] or "").strip())] = values
    for row in today:
        keyed[(_as_date(row[0]) or row[0], str(row[1]))] = list(row)  # type: ignore[index]
    ordered = sorted(keyed.items(), key=lambda item: (item[0][1], item[0][0]))
    return [row for _, row in ordered] + unreadable


def currency_rows(history: Sequence[Sequence[object]], currency: str) -> tuple[int, int] | None:
    """The first and last position (from 0) of `currency`'s rows in the merged history."""
    found = [index for index, row in enumerate(history) if str(row[1] or "") == currency]
    return (found[0], found[-1]) if found else None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _number(value: object, digits: int = 2) -> float | None:
    if isinstance(value, NotDefined) or value is None:
        return None
    return round(float(value), digits)  # type: ignore[arg-type]


def _fraction(value: object) -> float | None:
    """A percentage as a fraction (12.5 -> 0.125), so the sheet shows it as 12.5%."""
    number = _number(value, 4)
    return None if number is None else round(number / 100, 6)
