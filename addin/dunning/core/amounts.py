"""Amounts as people read them and as cells hold them: the one `money` of the package.

The core's own explanations (the worklist's reasons) quote amounts, and the letters
quote them in their language, so the format lives here, below every room that shows
money.

Amounts, one rule: the ISO currency code, a space, then the amount rounded to
the cent with thousands grouped, separators by the template's language:
en "EUR 1,234.50"; de, nl, es "EUR 1.234,50"; fr "EUR 1 234,50" (narrow
no-break space); any other language as en. The code always comes first, as
symbols are ambiguous ($ is USD, CAD, AUD...). Without a code, the amount alone
("1,234.50").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

SEPARATORS: Mapping[str, tuple[str, str]] = {
    "en": (",", "."), "de": (".", ","), "nl": (".", ","), "es": (".", ","),
    "fr": ("\u202f", ","),
}
"""Thousands and decimal separator per base language; any other language as en."""


def normal_language(text: object) -> str:
    """'DE_ch ' -> 'de-ch'; blank -> ''."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).strip().lower().replace("_", "-")


def money(amount: float | None, currency: str = "", language: str = "en") -> str:
    """`amount` as "EUR 1,234.50" (en), "EUR 1.234,50" (de) ...; see the module docstring.

    1234.5 -> '1,234.50': exact cents, a minus sign for credits (never '-0.00'); None and
    NaN -> ''. Anything else is converted with float() first (numpy's numbers, Decimal) and
    rounded to the cent as round(value, 2) rounds it, from the float's exact value.
    """
    if amount is None:
        return ""
    value = float(amount)  # (a float as it is; 2,000 customers' report: 14,000 calls)
    if value != value:  # NaN
        return ""
    grouped = f"{value:,.2f}"  # rounded to the cent as round(value, 2) rounds, half to even
    if grouped == "-0.00":  # (a credit of less than half a cent)
        grouped = "0.00"
    if language != "en":
        swap = _separator_table(language)
        if swap:
            grouped = grouped.translate(swap)
    return f"{currency} {grouped}" if currency else grouped


@lru_cache(maxsize=256)
def _separator_table(language: str) -> dict[int, str] | None:
    """str.translate table from "1,234.50" to the language's separators; None for en."""
    thousands, decimal = SEPARATORS.get(normal_language(language).split("-")[0], (",", "."))
    if (thousands, decimal) == (",", "."):
        return None
    return {ord(","): thousands, ord("."): decimal}


def total_cells(totals: dict[str, float]) -> tuple[str, object]:
    """Currency and total as cells: a number when there is one currency, so a sheet can sum
    it; text per currency when there are several (they are never added)."""
    if len(totals) <= 1:
        currency, amount = next(iter(totals.items()), ("", 0.0))
        return currency, round(float(amount), 2)
    return ", ".join(totals), "; ".join(money(a, c) for c, a in totals.items())
