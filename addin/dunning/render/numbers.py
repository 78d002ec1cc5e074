"""Numbers as the letters show them, per language: rates, plain numbers, totals.

One amount is `dunning.core.amounts.money` ("EUR 1.234,50" in de); here are the
formats built on it and on the same separators. Rates show as "11.75%" (en),
"11,75 %" (de, es), "11,75 %" with a narrow no-break space (fr), "11,75%" (nl);
the sign after the number is a word of each language (render/words/*.json).
Totals are per currency, never added across currencies: "EUR 1,234.50 and USD 20.00".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from dunning.core.amounts import SEPARATORS, money, normal_language
from dunning.render.words import PERCENT_SIGNS, labels_for


def percent(value: float | None, language: str = "en") -> str:
    """An annual rate as "11.75%" (en), "11,75 %" (de, es), "11,75 %" (fr), "11,75%" (nl)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    base = normal_language(language).split("-")[0]
    return short_number(value, language) + PERCENT_SIGNS.get(base, "%")


def short_number(value: float, language: str) -> str:
    """8.0 -> "8", 11.75 -> "11.75" or "11,75", by the language's decimal separator."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    decimal = SEPARATORS.get(normal_language(language).split("-")[0], (",", "."))[1]
    return text.replace(".", decimal)


def format_totals(totals: Mapping[str, float], language: str = "en") -> str:
    """{"EUR": 1234.5, "USD": 20} -> "EUR 1,234.50 and USD 20.00" (currencies in order)."""
    labels = labels_for(language)
    shown = [money(amount, currency, language) for currency, amount in sorted(totals.items())]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} {labels.and_} {shown[-1]}"
