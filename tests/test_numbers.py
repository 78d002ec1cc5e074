"""Numbers as the letters show them: amounts by language, rates, totals."""

from __future__ import annotations

import pytest

from dunning.core.amounts import money
from dunning.render.numbers import percent

# ------------------------------------------------------------------ amounts
# (they test dunning.core.amounts.money, whose own test file another change is writing)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "EUR 1,234,567.50"), ("de", "EUR 1.234.567,50"), ("nl", "EUR 1.234.567,50"),
    ("es", "EUR 1.234.567,50"), ("fr", "EUR 1\u202f234\u202f567,50"), ("it", "EUR 1,234,567.50"),
    ("de-CH", "EUR 1.234.567,50"), ("", "EUR 1,234,567.50"),
])
def test_money_code_first_and_separators_by_language(language, expected):
    assert money(1234567.5, "EUR", language) == expected


def test_money_credits_cents_and_blanks():
    assert money(-100, "EUR") == "EUR -100.00"
    assert money(-0.001, "EUR") == "EUR 0.00"  # no "-0.00"
    assert money(0.125, "") == "0.12"  # Python's round: halves to even (0.125 is exact)
    assert money(float("nan"), "EUR") == ""
    assert money(None) == ""


# ------------------------------------------------------------------ rates


def test_percent_by_language():
    assert [percent(11.75, code) for code in ("en", "de", "fr", "nl", "es", "it")] == [
        "11.75%", "11,75\u00a0%", "11,75\u202f%", "11,75%", "11,75\u00a0%", "11.75%"]
    assert percent(8.0) == "8%" and percent(None) == ""
