"""One row per invoice number: a number on two rows is refused where amounts are added up.

Aging and KPIs add open balances; an invoice number on two rows (an export with one
row per line item, a row pasted twice) would be counted twice, silently. So those
reports refuse it, naming both rows; `dunning import` rolls line items up instead.
"""

from __future__ import annotations

import pandas as pd

from dunning.core.errors import Issue

SHOWN = 20


def repeated_invoices(frame: pd.DataFrame, *, sheet: str | None = None) -> list[Issue]:
    """An error for each invoice number on more than one row, naming its first two rows."""
    repeated = frame["invoice"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    issues = []
    for invoice, rows in frame.loc[repeated].groupby("invoice", sort=False)["row"]:
        listed = [int(row) for row in rows]
        more = f" (and {len(listed) - 2} more)" if len(listed) > 2 else ""
        issues.append(Issue(
            f"invoice number {invoice} is on rows {listed[0]} and {listed[1]}{more}: its "
            "amounts would be counted twice; give each document its own number, or remove the "
            "repeated row (an export with one row per line item: bring it in with "
            "`dunning import`, which rolls line items up)",
            sheet=sheet, row=listed[1], column="Invoice No"))
        if len(issues) >= SHOWN:
            break
    return issues
