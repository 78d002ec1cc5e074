"""One row per invoice number: a number on two rows is refused where amounts are added up.

Aging and KPIs add open balances; an invoice number on two rows (an export with one
row per line item, a row pasted twice) would be counted twice, silently. So those
reports refuse it, naming both rows; `dunning import` rolls line items up instead.
"""

from __future__ import annotations

import pandas as pd

from dunning.core.errors import Issue

SHOWN = 20


def has_repeats(values: pd.Series) -> bool:
    """Whether any value is on two rows (`values.duplicated().any()`). Text held by Arrow is
    sorted in C++ and neighbours compared: a fraction of the memory of hashing a million
    invoice numbers, and no slower."""
    dtype = values.dtype
    if (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and len(values) > 1
            and not values.isna().any()):
        if _strictly_increasing(values):  # an export in document order: no sort needed
            return False
        ordered = values.sort_values(ignore_index=True).array
        return bool((ordered[1:] == ordered[:-1]).any())
    return len(pd.unique(values.array)) < len(values)


def _strictly_increasing(values: pd.Series) -> bool:
    """Whether Arrow text is in strictly increasing order, each cell compared with the next in
    C++ (a few milliseconds for a million invoice numbers); such text repeats nothing."""
    import pyarrow.compute as pc

    data = values.array.__arrow_array__()  # type: ignore[attr-defined]
    return bool(pc.all(pc.less(data[:-1], data[1:])).as_py())


def repeated_invoices(frame: pd.DataFrame, *, sheet: str | None = None) -> list[Issue]:
    """An error for each invoice number on more than one row, naming its first two rows."""
    if not has_repeats(frame["invoice"]):
        return []
    repeated = frame["invoice"].duplicated(keep=False).to_numpy()
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
