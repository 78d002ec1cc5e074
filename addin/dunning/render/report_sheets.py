"""The report sheets Refresh writes, laid out to be read: Aging, KPIs, KPIHistory, Charts.

Each function returns a `SheetLayout` (values and what each cell is); the
workbook host gives the kinds their number formats. Amounts in different
currencies are never added: each currency has its own block, and every amount
is shown with its currency code once: in its number format on Aging and Charts,
in the Unit column beside it on KPIs (as "days" is), never in both. A KPI percentage
is a fraction in the percent format (88.6%), its Unit cell blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dunning.core.aging import DEFAULT_EDGES, TOTAL, Basis, aging_tables
from dunning.core.kpi_history import HISTORY_HEADERS, HISTORY_KINDS
from dunning.core.kpis import NotDefined
from dunning.core.ledger_kpis import all_kpis
from dunning.render.report import KPI_LABELS, KPI_UNITS, aging_rows
from dunning.render.sheet_layout import SheetLayout, fitted_widths, list_layout

CHARTS_SHEET = "Charts"
HISTORY_SHEET = "KPIHistory"
AGING_FIRST = 5
"""The Charts sheet's row of the first aging bucket (its header is the row above)."""
LARGEST = 10


def aging_sheet(frame: pd.DataFrame, as_of: dt.date, stamp: str, *,
                edges: Sequence[int] = DEFAULT_EDGES, basis: Basis = "due") -> SheetLayout:
    """The Aging sheet: `aging_rows` with the stamp in row 2, amounts in their currency."""
    rows = aging_rows(frame, as_of, edges=edges, basis=basis)
    rows[1] = [stamp]
    kinds: list[list[str | None]] = [["title"], ["note"]]
    money = "money"
    for row in rows[2:]:
        first = str(row[0]) if row else ""
        if first.startswith("Currency: "):
            money = f"money:{first.removeprefix('Currency: ')}"
            kinds.append(["subtitle"])
        elif first == "Customer":
            kinds.append(["header"] * len(row))
        elif row:
            kinds.append(["text", "text", "count", *[money] * (len(row) - 3)])
        else:
            kinds.append([])
    return SheetLayout(rows, kinds, fitted_widths(rows, kinds), (0, 2))


def kpi_sheet(frame: pd.DataFrame, as_of: dt.date, stamp: str, *,
              days: int = 365) -> SheetLayout:
    """The KPIs sheet: per currency, each KPI's value formatted by its unit, the unit beside."""
    rows: list[list[object]] = [[f"Receivables KPIs as of {as_of:%Y-%m-%d} "
                                 f"(period: the {days} days to that date)"], [stamp]]
    kinds: list[list[str | None]] = [["title"], ["note"]]
    for currency, items in _by_currency(frame):
        rows += [[], [f"Currency: {currency}" if currency else "Amounts"],
                 ["KPI", "Value", "Unit"]]
        kinds += [[], ["subtitle"], ["header"] * 3]
        for name, value in all_kpis(items, as_of, days=days).items():
            unit = KPI_UNITS.get(name, "")
            label = KPI_LABELS.get(name, name).strip()
            if isinstance(value, NotDefined):
                rows.append([label, str(value), ""])
                kinds.append(["text", "text", "text"])
                continue
            number = float(value)
            # the unit shows once: the Unit column names the currency (as it names "days"),
            # so the amount's own format is the plain money one; a percentage is a fraction
            # (as PERCENT_CURRENT and KPIHistory give it) whose percent format shows the %
            kind = {"money": "money", "%": "percent", "days": "days",
                    "count": "count"}.get(unit, "number")
            shown_unit = {"money": currency, "%": "", "count": ""}.get(unit, unit)
            rows.append([label, round(number / 100, 6) if unit == "%" else round(number, 4),
                         shown_unit])
            kinds.append(["text", kind, "text"])
    return SheetLayout(rows, kinds, fitted_widths(rows, kinds), (0, 1))


def history_sheet(rows: Sequence[Sequence[object]], stamp: str) -> SheetLayout:
    """The KPIHistory sheet: the table's header and rows (`core.kpi_history`), stamp beside."""
    return list_layout([list(HISTORY_HEADERS), *[list(row) for row in rows]], HISTORY_KINDS,
                       stamp)


def charts_sheet(frame: pd.DataFrame, as_of: dt.date, currency: str, stamp: str, *,
                 edges: Sequence[int] = DEFAULT_EDGES, basis: Basis = "due") -> SheetLayout:
    """The Charts sheet's data: the aging by bucket and the largest overdue balances in one
    currency (the charts beside them draw these cells and the KPIHistory table)."""
    items = frame[frame["currency"] == currency] if currency else frame
    amounts, _ = aging_tables(items, as_of, edges, basis)
    buckets = [column for column in amounts.columns if column != TOTAL]
    money = f"money:{currency}" if currency else "money"
    rows: list[list[object]] = [
        [f"Charts: receivables in {currency or 'the ledger'} as of {as_of:%Y-%m-%d}"], [stamp],
        [], ["Days past due", "Open amount"]]
    kinds: list[list[str | None]] = [["title"], ["note"], [], ["header", "header"]]
    for bucket in buckets:
        value = float(amounts.at[TOTAL, bucket]) if TOTAL in amounts.index else 0.0
        rows.append([str(bucket), round(value, 2)])
        kinds.append(["text", money])
    rows += [[], ["Customer", "Name", "Overdue"]]
    kinds += [[], ["header"] * 3]
    for customer, name, overdue in largest_overdue(items, as_of, edges=edges, basis=basis):
        rows.append([customer, name, overdue])
        kinds.append(["text", "text", money])
    return SheetLayout(rows, kinds, fitted_widths(rows, kinds), (2, 0), one_page=True)


def largest_overdue(frame: pd.DataFrame, as_of: dt.date, *, edges: Sequence[int] = DEFAULT_EDGES,
                    basis: Basis = "due", count: int = LARGEST) -> list[tuple[str, str, float]]:
    """The customers with the largest past-due balances (of one currency), largest first, with
    their names (the id when the ledger has none: it labels the chart's bars)."""
    if frame.empty:
        return []
    amounts, _ = aging_tables(frame, as_of, edges, basis)
    current = amounts.columns[0]
    overdue = (amounts[TOTAL] - amounts[current]).drop(TOTAL, errors="ignore")
    overdue = overdue[overdue > 0.005].sort_values(ascending=False, kind="stable").head(count)
    names = frame.drop_duplicates("customer").set_index("customer")["customer_name"]
    return [(str(customer), str(names.get(customer, "") or customer), round(float(value), 2))
            for customer, value in overdue.items()]


def chart_currency(frame: pd.DataFrame, wanted: str = "") -> str:
    """The currency the charts show: the one asked for when the ledger has it, else the one
    with the most open items' amount (ties: the first code)."""
    codes = sorted(str(code) for code in frame["currency"].dropna().unique())
    if wanted and wanted.upper() in (code.upper() for code in codes):
        return next(code for code in codes if code.upper() == wanted.upper())
    if not codes:
        return ""
    totals = frame.groupby("currency")["amount"].sum().abs()
    return str(totals.sort_values(ascending=False, kind="stable").index[0])


def _by_currency(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(code), items) for code, items in frame.groupby("currency", sort=True)] or [
        ("", frame)]
