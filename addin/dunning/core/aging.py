"""Aging: open balances as of a date, by how many days past due (or how old) each item is.

Conventions: days past due = as-of date minus due date, in calendar days.
"Current" holds items not yet past due (days <= 0). With the default edges
(0, 30, 60, 90, 120) the buckets are Current, 1-30, 31-60, 61-90, 91-120 and
Over 120, each upper edge inclusive. With `basis="invoice"` the days count from
the invoice date instead (the first bucket is then "Up to N" days old).

Balances come from `dunning.core.ledger.open_balance`, so partial payments and
credit notes are netted and an item settled after the as-of date counts as
open. Amounts are summed as they are: give these functions a ledger in one
currency (`dunning.core.ledger.single_currency`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from dunning.core.ledger import NAT_INT, DateLike, as_timestamp, open_balance

DEFAULT_EDGES: tuple[int, ...] = (0, 30, 60, 90, 120)
Basis = Literal["due", "invoice"]
TOTAL = "Total"


def bucket_labels(edges: Sequence[int] = DEFAULT_EDGES) -> list[str]:
    """Bucket names for upper edges: (0, 30, 60) -> Current, 1-30, 31-60, Over 60."""
    edges = _checked_edges(edges)
    first = "Current" if edges[0] == 0 else f"Up to {edges[0]}"
    middle = [f"{low + 1}-{high}" for low, high in zip(edges[:-1], edges[1:], strict=True)]
    return [first, *middle, f"Over {edges[-1]}"]


def _checked_edges(edges: Sequence[int]) -> tuple[int, ...]:
    values = tuple(int(edge) for edge in edges)
    if not values:
        raise ValueError("aging needs at least one bucket edge, such as (0, 30, 60, 90, 120)")
    if any(b <= a for a, b in zip(values[:-1], values[1:], strict=True)):
        raise ValueError(f"bucket edges must increase, got {values}")
    if values[0] < 0:
        raise ValueError(f"the first bucket edge must be 0 or more, got {values[0]}")
    return values


def days_past_due(frame: pd.DataFrame, as_of: DateLike, basis: Basis = "due") -> np.ndarray:
    """Calendar days from each item's due date (or invoice date) to `as_of`; negative if not due."""
    column = "due_date" if basis == "due" else "invoice_date"
    if basis not in ("due", "invoice"):
        raise ValueError(f"aging basis must be 'due' or 'invoice', got {basis!r}")
    delta = as_timestamp(as_of).to_datetime64() - frame[column].to_numpy(dtype="datetime64[ns]")
    return delta.astype("timedelta64[D]").astype("int64")


def bucket_index(days: np.ndarray, edges: Sequence[int] = DEFAULT_EDGES) -> np.ndarray:
    """Position of each day count among the buckets of `bucket_labels(edges)`."""
    checked = _checked_edges(edges)
    if len(checked) > 8:
        return np.searchsorted(np.asarray(checked), days, side="left")
    index = np.zeros(len(days), dtype=np.intp)  # a few edges: one comparison pass per edge
    for edge in checked:
        index += days > edge
    return index


def _open_buckets(frame: pd.DataFrame, as_of: DateLike, edges: Sequence[int], basis: Basis,
                  is_open: np.ndarray | None) -> np.ndarray:
    """`bucket_index(days_past_due(frame, as_of, basis)[is_open], edges)` (every item's when
    `is_open` is None), without the day counts: days past due exceed an edge exactly when
    the date is on or before as_of less (edge + 1) days (the day count is floored), so each
    edge is one comparison of the dates as they are held, counted in one byte per item; NaT
    compares false, so a blank date is Current as before."""
    checked = _checked_edges(edges)
    dates = frame["due_date" if basis == "due" else "invoice_date"].to_numpy()
    if basis not in ("due", "invoice") or dates.dtype.kind != "M" or len(checked) > 8:
        days = days_past_due(frame, as_of, basis)
        return bucket_index(days if is_open is None else days[is_open], checked)
    if is_open is not None:
        dates = dates[is_open]
    day = as_timestamp(as_of).to_datetime64()
    values = dates.view(np.int64)  # (integers compare ~8x faster than datetimes)
    index = np.zeros(len(values), dtype=np.uint8)
    for edge in checked:
        limit = int((day - np.timedelta64(edge + 1, "D")).astype(dates.dtype).astype(np.int64))
        index += values <= limit
    index *= values != NAT_INT  # NaT: Current, as before
    return index


def open_balances(frame: pd.DataFrame, as_of: DateLike) -> tuple[np.ndarray, np.ndarray]:
    """Each item's balance on `as_of` in cents, and which items are open.

    One rule for every report: an item is open when its balance rounded to the
    cent is not zero (the Dashboard's formulas use the same rule).
    """
    balance = np.round(open_balance(frame, as_of), 2)
    return balance, balance != 0


CARRIED_COLUMNS = ("hold_until", "hold_reason", "payment_link")
"""The ledger's optional per-invoice columns an aged item keeps, when the ledger has them."""


def age_items(
    frame: pd.DataFrame,
    as_of: DateLike,
    *,
    edges: Sequence[int] = DEFAULT_EDGES,
    basis: Basis = "due",
) -> pd.DataFrame:
    """Every item with an open balance on `as_of`, with its days past due and bucket."""
    balance, is_open = open_balances(frame, as_of)
    days = days_past_due(frame, as_of, basis)
    labels = np.array(bucket_labels(edges), dtype=object)
    carried = [name for name in CARRIED_COLUMNS if name in frame.columns]
    items = frame.loc[is_open, ["invoice", "customer", "customer_name", "invoice_date",
                                "due_date", "amount", "currency", "disputed", "written_off",
                                "row", *carried]].copy()
    items["open_balance"] = balance[is_open]
    items["days_past_due"] = days[is_open]
    items["bucket"] = labels[bucket_index(days[is_open], edges)]
    return items.reset_index(drop=True)


def aging_by_customer(
    frame: pd.DataFrame,
    as_of: DateLike,
    *,
    edges: Sequence[int] = DEFAULT_EDGES,
    basis: Basis = "due",
    measure: Literal["amount", "count"] = "amount",
) -> pd.DataFrame:
    """Open balance (or count of open items) per customer and bucket, with a Total row and column.

    Customers are the rows, in order of their id, followed by "Total"; the
    columns are `bucket_labels(edges)` followed by "Total". Customers with
    nothing open on `as_of` are left out. Amounts are rounded to cents.
    """
    amounts, counts = aging_tables(frame, as_of, edges, basis)
    return amounts if measure == "amount" else counts


def aging_summary(
    frame: pd.DataFrame,
    as_of: DateLike,
    *,
    edges: Sequence[int] = DEFAULT_EDGES,
    basis: Basis = "due",
) -> pd.DataFrame:
    """One row per bucket and a Total row: open amount, count of open items, share of the total."""
    amounts, counts = (table.loc[TOTAL] for table in aging_tables(frame, as_of, edges, basis))
    total = amounts[TOTAL]
    share = (amounts / total * 100).round(1) if total else amounts * 0.0
    summary = pd.DataFrame({"amount": amounts, "count": counts, "percent": share})
    summary.index.name = "bucket"
    return summary


def aging_tables(
    frame: pd.DataFrame,
    as_of: DateLike,
    edges: Sequence[int] = DEFAULT_EDGES,
    basis: Basis = "due",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Amounts and counts per customer and bucket (as `aging_by_customer`), from one pass.

    Every item is coded, open or not (one hash of the customer column as it is held: Arrow
    text is hashed in C++, never made a million str objects, and no filtered copy of it is
    made); an item that is not open weighs its balance, which rounds to zero, so the sums
    are those of the open items alone, added in the same order. The customers are then put
    in order of their id and those with nothing open left out."""
    labels = bucket_labels(edges)
    width = len(labels)
    balance, is_open = open_balances(frame, as_of)
    codes, customers = pd.factorize(frame["customer"].array, sort=False)
    cells = codes * width + _open_buckets(frame, as_of, edges, basis, None)
    size = len(customers) * width
    counts = np.bincount(cells[is_open], minlength=size).reshape(-1, width)
    amounts = np.bincount(cells, weights=balance, minlength=size).reshape(-1, width)
    names = np.asarray(customers, dtype=object)
    order = np.argsort(names, kind="stable")
    order = order[counts[order].any(axis=1)]
    index = pd.Index([*map(str, names[order]), TOTAL], name="customer")

    def table(grid: np.ndarray) -> pd.DataFrame:
        grid = grid[order]
        grid = np.vstack([grid, grid.sum(axis=0)])
        grid = np.hstack([grid, grid.sum(axis=1, keepdims=True)])
        return pd.DataFrame(grid, index=index, columns=[*labels, TOTAL])

    return table(amounts).round(2), table(counts).astype("int64")
