"""Aging and KPI tables as text for the terminal: amounts with thousands separators, to the cent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dunning.aging import DEFAULT_EDGES, TOTAL, Basis, aging_by_customer
from dunning.kpis import NotDefined
from dunning.ledger_kpis import all_kpis


def money(value: float) -> str:
    """1234.5 -> '1,234.50'; exact cents, a minus sign for credits."""
    return f"{value:,.2f}"


def aging_report(
    frame: pd.DataFrame,
    as_of: dt.date,
    *,
    edges: Sequence[int] = DEFAULT_EDGES,
    basis: Basis = "due",
) -> str:
    """The aging by customer, with names, bucket totals and counts."""
    amounts = aging_by_customer(frame, as_of, edges=edges, basis=basis)
    counts = aging_by_customer(frame, as_of, edges=edges, basis=basis, measure="count")
    names = frame.drop_duplicates("customer").set_index("customer")["customer_name"]
    shown = amounts.map(money)
    shown.insert(0, "Name", [names.get(c, "") if c != TOTAL else "" for c in amounts.index])
    shown.insert(1, "Items", counts[TOTAL].astype(str))
    days = "days past due" if basis == "due" else "days since invoice date"
    title = f"Aging by customer as of {as_of:%Y-%m-%d} ({days})"
    return f"{title}\n{shown.to_string()}"


def kpi_report(frame: pd.DataFrame, as_of: dt.date, *, days: int = 365) -> str:
    """Every ledger KPI over the `days` up to `as_of`, one per line with its unit."""
    values = all_kpis(frame, as_of, days=days)
    width = max(len(_label(name)) for name in values)
    lines = [f"Receivables KPIs as of {as_of:%Y-%m-%d} (period: the {days} days to that date)"]
    for name, value in values.items():
        lines.append(f"  {_label(name):<{width}}  {_shown(name, value)}")
    return "\n".join(lines)


def _label(name: str) -> str:
    return KPI_LABELS.get(name, name.replace("_", " ").capitalize())


def _shown(name: str, value: object) -> str:
    if isinstance(value, NotDefined):
        return str(value)
    unit = KPI_UNITS.get(name, "")
    if unit == "money":
        return money(float(value))  # type: ignore[arg-type]
    number = f"{float(value):,.1f}" if unit in ("days", "%") else f"{float(value):,.2f}"  # type: ignore[arg-type]
    return f"{number} {unit}".rstrip() if unit != "%" else f"{number}%"


KPI_LABELS: dict[str, str] = {}
KPI_UNITS: dict[str, str] = {}
