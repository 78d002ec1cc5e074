"""Amounts as people read them and as cells hold them: the one `money` of the package.

The core's own explanations (the worklist's reasons) quote amounts, so the format
lives here, below every room that shows money.
"""

from __future__ import annotations


def money(value: float) -> str:
    """1234.5 -> '1,234.50'; exact cents, a minus sign for credits (never '-0.00')."""
    return f"{round(value, 2) + 0.0:,.2f}"


def total_cells(totals: dict[str, float]) -> tuple[str, object]:
    """Currency and total as cells: a number when there is one currency, so a sheet can sum
    it; text per currency when there are several (they are never added)."""
    if len(totals) <= 1:
        currency, amount = next(iter(totals.items()), ("", 0.0))
        return currency, round(float(amount), 2)
    return ", ".join(totals), "; ".join(f"{c} {a:,.2f}" for c, a in totals.items())
