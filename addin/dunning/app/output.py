"""Figures as records for scripts and other tools: `--json` and `--csv` of aging, kpis, worklist.

The shape follows sqlite-utils: a JSON array of flat objects, or CSV with a header row,
one record per row. Keys are stable snake_case names; numbers stay numbers; money is a
number rounded to the cent (a JSON number such as 1234.5 means 1,234.50: the cent is
exact, and a script can add the rows without parsing text); dates are ISO (YYYY-MM-DD);
a figure with no meaning (a KPI with no sales) is `null` with its reason beside it.
Amounts in different currencies are never added: every record names its currency.

CSV text that a spreadsheet would read as a formula is neutralised by the one
neutraliser the outbox report uses (`dunning.app.remind.csv_safe`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dunning.app.remind import csv_safe
from dunning.core.aging import DEFAULT_EDGES, TOTAL, Basis, aging_tables
from dunning.core.amounts import money
from dunning.core.kpis import NotDefined
from dunning.core.ledger_kpis import all_kpis
from dunning.core.worklist import POINTS
from dunning.render.report import KPI_LABELS, KPI_UNITS

Record = dict[str, object]
FORMATS = ("text", "json", "csv")


def bucket_key(label: str) -> str:
    """A bucket label as a snake_case key: Current -> current, 1-30 -> days_1_30,
    Over 120 -> over_120, Up to 15 -> up_to_15, Total -> total."""
    key = re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")
    return f"days_{key}" if key[:1].isdigit() else key


def aging_records(frame: pd.DataFrame, as_of: dt.date, *, edges: Sequence[int] = DEFAULT_EDGES,
                  basis: Basis = "due") -> list[Record]:
    """One record per customer and currency: its open amount in each bucket and in all.

    No total row: the rows of one currency add up to its total (`dunning aging`'s text
    shows the Total row).
    """
    names = frame.drop_duplicates("customer").set_index("customer")["customer_name"]
    records: list[Record] = []
    for currency, items in _by_currency(frame):
        amounts, counts = aging_tables(items, as_of, edges, basis)
        for customer, values in amounts.drop(index=TOTAL).iterrows():
            record: Record = {"as_of": as_of.isoformat(), "basis": basis, "currency": currency,
                              "customer": str(customer), "name": str(names.get(customer, "")),
                              "items": int(counts.at[customer, TOTAL])}
            record.update({bucket_key(str(label)): _cents(value)
                           for label, value in values.items()})
            records.append(record)
    return records


def kpi_records(frame: pd.DataFrame, as_of: dt.date, *, days: int = 365) -> list[Record]:
    """One record per KPI and currency: its key, label, value, unit and, when it has no
    meaning for the data, why (value null). Money to the cent, the rest to 4 decimals
    (percentages as percent, 88.6232 for 88.6232 %)."""
    records: list[Record] = []
    for currency, items in _by_currency(frame):
        for name, value in all_kpis(items, as_of, days=days).items():
            unit = KPI_UNITS.get(name, "")
            defined = not isinstance(value, NotDefined)
            number: object = None
            if defined:
                number = (_cents(value) if unit == "money" else int(value) if unit == "count"
                          else round(float(value), 4) + 0.0)
            records.append({
                "as_of": as_of.isoformat(), "period_days": days, "currency": currency,
                "kpi": name, "label": KPI_LABELS.get(name, name).strip(), "value": number,
                "unit": unit, "not_defined": None if defined else value.reason})
    return records


def worklist_records(worklist: pd.DataFrame, as_of: dt.date) -> list[Record]:
    """One record per customer on the worklist, in rank order, with each part of its score.

    `open_balance` is a number when the customer owes in one currency, else text per
    currency ("EUR 10.00; USD 5.00", never added); `open_by_currency` (JSON only) keeps
    each currency's number.
    """
    records: list[Record] = []
    for entry in worklist.itertuples(index=False):
        owed = {str(c): _cents(a) for c, a in entry.open_by_currency.items()}
        single = len(owed) <= 1
        records.append({
            "as_of": as_of.isoformat(), "rank": int(entry.rank), "customer": str(entry.customer),
            "name": str(entry.name), "email": str(entry.email), "reason": str(entry.reason),
            "score": _plain(entry.score),
            **{part: _plain(getattr(entry, part)) for part in POINTS},
            "held": bool(entry.held),
            "currency": next(iter(owed), "") if single else ", ".join(owed),
            "open_balance": next(iter(owed.values()), 0.0) if single else "; ".join(
                money(a, c) for c, a in owed.items()),
            "open_by_currency": owed,
            "oldest_days_past_due": _plain(entry.oldest_days),
            "reminder_today": str(entry.reminder), "all_reasons": str(entry.reasons)})
    return records


def as_json(records: list[Record]) -> str:
    """A JSON array of the records, one object per line as sqlite-utils prints them."""
    if not records:
        return "[]"
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    return "[" + ",\n ".join(lines) + "]"


def as_csv(records: list[Record], *, drop: Sequence[str] = ("open_by_currency",)) -> str:
    """CSV with a header row; text that could start a formula gets a leading apostrophe."""
    columns = [key for key in (records[0] if records else {}) if key not in drop]
    rows = [columns, *([_csv_cell(record[key]) for key in columns] for record in records)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(csv_safe(rows))
    return buffer.getvalue().rstrip("\n")


def formatted(records: list[Record], form: str) -> str:
    """The records as `json` or `csv` text."""
    return as_json(records) if form == "json" else as_csv(records)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _by_currency(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(code), items) for code, items in frame.groupby("currency", sort=True)] or [
        ("", frame)]


def _cents(value: object) -> float:
    return round(float(value), 2) + 0.0  # + 0.0: never -0.0


def _plain(value: object) -> object:
    """numpy scalars as plain Python numbers (json cannot write them)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN: no value
        return None
    return value
