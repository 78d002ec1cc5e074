"""Aging and KPI tables as text for the terminal: amounts with thousands separators, to the cent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dunning.core.aging import DEFAULT_EDGES, TOTAL, Basis, aging_tables
from dunning.core.amounts import money
from dunning.core.kpis import NotDefined
from dunning.core.ledger_kpis import all_kpis


def aging_report(
    frame: pd.DataFrame,
    as_of: dt.date,
    *,
    edges: Sequence[int] = DEFAULT_EDGES,
    basis: Basis = "due",
) -> str:
    """The aging by customer, with names, bucket totals and counts."""
    amounts, counts = aging_tables(frame, as_of, edges, basis)
    customers = [str(customer) for customer in amounts.index]
    columns: list[tuple[str, list[str]]] = []
    if (frame["customer_name"] != frame["customer"]).any():  # (else no name to show)
        first = np.flatnonzero(~frame["customer"].duplicated().to_numpy())  # each one's first
        names = dict(zip(frame["customer"].iloc[first].tolist(),
                         frame["customer_name"].iloc[first].tolist(), strict=True))
        named = [names.get(c, "") if c != TOTAL else "" for c in customers]
        if any(name not in ("", customer) for name, customer in zip(named, customers,
                                                                     strict=True)):
            columns.append(("Name", [str(name) for name in named]))
    grid = amounts.to_numpy().tolist()
    labels = [str(label) for label in amounts.columns]
    columns += [(label, [money(row[j]) for row in grid]) for j, label in enumerate(labels)]
    columns.insert(len(columns) - len(labels), ("Items", [str(n) for n in counts[TOTAL]]))
    days = "days past due" if basis == "due" else "days since invoice date"
    title = f"Aging by customer as of {as_of:%Y-%m-%d} ({days}){_amounts_in(frame)}"
    return f"{title}\n{_text_table(customers, columns, index_header='Customer')}"


def _amounts_in(frame: pd.DataFrame) -> str:
    """", amounts in USD" when the ledger holds one currency (as --currency leaves it), for
    a title; nothing for a ledger without currency codes (or, never reported, several)."""
    if "currency" not in frame.columns:
        return ""
    codes = {str(code) for code in frame["currency"].unique()} - {"", "nan", "None"}
    return f", amounts in {codes.pop()}" if len(codes) == 1 else ""


_ESCAPES = str.maketrans({"\t": "\\t", "\r": "\\r", "\n": "\\n"})


def _text_table(index: list[str], columns: list[tuple[str, list[str]]], *,
                index_header: str = "") -> str:
    """Rows under a header, laid out as pandas' `DataFrame.to_string` lays out text cells
    (index left-aligned, each column right-aligned to its widest cell, one space between,
    tabs and line breaks shown escaped), at a small part of its cost for 2,000 customers;
    `index_header` heads the index column, in the header row (pandas leaves it blank)."""
    keys = _escaped(index)
    width = max(len(index_header), *map(len, keys)) if keys else len(index_header)
    laid = [[key.ljust(width) for key in [index_header, *keys]]]
    for header, cells in columns:
        shown = _escaped(cells)
        size = max(len(header), max(map(len, shown), default=-1) + 1)  # (a space before each)
        laid.append([header.rjust(size), *(cell.rjust(size) for cell in shown)])
    return "\n".join(" ".join(line) for line in zip(*laid, strict=True))


def _escaped(cells: list[str]) -> list[str]:
    """`cells` with tabs and line breaks shown as \\t, \\r, \\n (most columns have none:
    one look at their joined text)."""
    joined = "".join(cells)
    if "\t" not in joined and "\r" not in joined and "\n" not in joined:
        return cells
    return [cell.translate(_ESCAPES) for cell in cells]


def kpi_report(frame: pd.DataFrame, as_of: dt.date, *, days: int = 365) -> str:
    """Every ledger KPI over the `days` up to `as_of`, one per line with its unit."""
    values = all_kpis(frame, as_of, days=days)
    width = max(len(_label(name)) for name in values)
    lines = [f"Receivables KPIs as of {as_of:%Y-%m-%d} (period: the {days} days to that "
             f"date){_amounts_in(frame)}"]
    for name, value in values.items():
        lines.append(f"  {_label(name):<{width}}  {_shown(name, value)}")
    return "\n".join(lines)


def aging_rows(frame: pd.DataFrame, as_of: dt.date, *, edges: Sequence[int] = DEFAULT_EDGES,
               basis: Basis = "due") -> list[list[object]]:
    """The Aging sheet: per currency, a block of customers by bucket, amounts as numbers."""
    days = "days past due" if basis == "due" else "days since invoice date"
    rows: list[list[object]] = [[f"Aging by customer as of {as_of:%Y-%m-%d} ({days})"]]
    for currency, items in _by_currency(frame):
        amounts, counts = aging_tables(items, as_of, edges, basis)
        names = items.drop_duplicates("customer").set_index("customer")["customer_name"]
        rows += [[], [f"Currency: {currency}" if currency else "Amounts"],
                 ["Customer", "Name", "Items", *amounts.columns]]
        for customer, values in amounts.iterrows():
            name = "" if customer == TOTAL else names.get(customer, "")
            rows.append([customer, name, int(counts.at[customer, TOTAL]),
                         *(round(float(v), 2) for v in values)])
    return rows


def kpi_rows(frame: pd.DataFrame, as_of: dt.date, *, days: int = 365) -> list[list[object]]:
    """The KPIs sheet: per currency, each KPI with its value as a number and its unit."""
    rows: list[list[object]] = [[f"Receivables KPIs as of {as_of:%Y-%m-%d} "
                                 f"(period: the {days} days to that date)"]]
    for currency, items in _by_currency(frame):
        rows += [[], [f"Currency: {currency}" if currency else "Amounts"], ["KPI", "Value", "Unit"]]
        for name, value in all_kpis(items, as_of, days=days).items():
            shown = str(value) if isinstance(value, NotDefined) else round(float(value), 4)
            rows.append([_label(name).strip(), shown, KPI_UNITS.get(name, "")])
    return rows


def worklist_text(worklist: pd.DataFrame, as_of: object) -> str:
    """The worklist for a terminal: rank, customer, score, balance and the reason."""
    if worklist.empty:
        return f"Worklist for {as_of}: nobody needs a call today."
    lines = [f"Worklist for {as_of}: {len(worklist)} customer(s)"]
    for entry in worklist.itertuples(index=False):
        owed = "; ".join(f"{c} {money(a)}".strip() for c, a in entry.open_by_currency.items())
        lines.append(f"{entry.rank:>3}. {entry.customer} {entry.name}".rstrip()
                     + f"  score {entry.score:.1f}  owes {owed}")
        lines.append(f"     {entry.reasons}")
    return "\n".join(lines)


def _by_currency(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Amounts in different currencies are never added: one block each, in code order."""
    return [(str(code), items) for code, items in frame.groupby("currency", sort=True)] or [
        ("", frame)]


def _label(name: str) -> str:
    return KPI_LABELS.get(name, name.replace("_", " ").capitalize())


def _shown(name: str, value: object) -> str:
    if isinstance(value, NotDefined):
        return str(value)
    unit = KPI_UNITS.get(name, "")
    number = float(value)  # type: ignore[arg-type]
    if unit == "money":
        return money(number)
    if unit == "count":
        return f"{int(number):,}"
    if unit == "%":
        return f"{round(number, 1) + 0.0:,.1f}%"  # + 0.0: never print -0.0
    if unit == "days":
        return f"{round(number, 1) + 0.0:,.1f} days"
    return f"{number:,.2f} {unit}".rstrip()


KPI_LABELS: dict[str, str] = {
    "receivables": "Open receivables",
    "current_receivables": "  of which current",
    "past_due_receivables": "  of which past due",
    "net_credit_sales": "Net credit sales in the period",
    "dso": "DSO",
    "countback_dso": "Countback DSO (calendar months)",
    "best_possible_dso": "Best possible DSO",
    "average_days_delinquent": "Average days delinquent",
    "cei": "Collection effectiveness index",
    "receivables_turnover": "Receivables turnover",
    "percent_current": "Current",
    "percent_past_due": "Past due",
    "disputed_share": "Disputed share of open balance",
    "average_days_to_pay": "Average days to pay",
    "average_days_late": "Average days late",
    "weighted_average_days_late": "Weighted average days late",
    "collection_rate": "Collection rate",
    "bad_debt_written_off": "Bad debt written off",
    "bad_debt_ratio": "Bad debt to credit sales",
    "recovery_cost_ratio": "Recovery cost ratio",
    "open_items": "Open items",
    "invoices_settled": "Invoices settled in the period",
}
KPI_UNITS: dict[str, str] = {
    **dict.fromkeys(["receivables", "current_receivables", "past_due_receivables",
                     "net_credit_sales", "bad_debt_written_off"], "money"),
    **dict.fromkeys(["dso", "countback_dso", "best_possible_dso", "average_days_delinquent",
                     "average_days_to_pay", "average_days_late",
                     "weighted_average_days_late"], "days"),
    **dict.fromkeys(["cei", "percent_current", "percent_past_due", "disputed_share",
                     "collection_rate", "bad_debt_ratio", "recovery_cost_ratio"], "%"),
    "receivables_turnover": "times",
    **dict.fromkeys(["open_items", "invoices_settled"], "count"),
}
