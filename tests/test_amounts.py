"""`money` and `total_cells`: amounts as people read them and as cells hold them."""

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest

from dunning.core.amounts import money, total_cells

CENT = Decimal("0.01")


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0.00"),
    (5, "5.00"),
    (1234.5, "1,234.50"),
    (0.1 + 0.2, "0.30"),  # 0.30000000000000004: exact cents, not the float's noise
    (999.999, "1,000.00"),  # rounding carries into the thousands separator
    (1234567.891, "1,234,567.89"),
    (1_000_000_000, "1,000,000,000.00"),
])
def test_exact_cents_with_thousands_separators(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (-1234.5, "-1,234.50"),
    (-0.01, "-0.01"),
    (-987654.321, "-987,654.32"),
])
def test_credits_carry_a_minus_sign(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize("value", [-0.0, -0.001, -0.004, -1e-12, 0.3 - 0.1 - 0.2])
def test_never_minus_zero(value):
    assert value <= 0  # each of these would print as "-0.00" with a plain format
    assert money(value) == "0.00"


@pytest.mark.parametrize(("value", "shown"), [
    (0.005, "0.01"),   # stored as 0.005000000000000000104...: above the half
    (-0.005, "-0.01"),
    (2.675, "2.67"),   # stored as 2.67499999999999982236...: below the half
    (-2.675, "-2.67"),
    (1.005, "1.00"),   # stored as 1.00499999999999989342...
    (2.665, "2.67"),   # stored as 2.66500000000000003552...
    (0.125, "0.12"),   # exactly half: to the even cent
    (0.375, "0.38"),   # exactly half: to the even cent
])
def test_half_cents_round_on_the_stored_binary_value(value, shown):
    """`money` rounds the float as stored (Python's `round`): a "half" written in decimal is
    rarely a half in binary, and a true half goes to the even cent."""
    assert Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN) == Decimal(shown)
    assert money(value) == shown


def test_every_half_cent_up_to_a_hundred_rounds_as_its_exact_binary_value():
    for thousandths in range(-100_000, 100_001, 5):
        value = thousandths / 1000
        exact = Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)
        expected = f"{exact + 0:,}" if exact != 0 else "0.00"
        assert money(value) == expected, value


def test_a_numpy_number_reads_as_the_python_float_of_the_same_value():
    """One rule whatever the number's type: a Series cell (numpy's float64) and a list's cell
    (a Python float) of the same amount read the same, so a report and a letter never differ
    by a cent (numpy's own round scales by 100 first and would make 2.675 read 2.68)."""
    for value in (1234.5, -0.001, 0.125, 2.675, 1.005, -2.665, 999.995, 1e15 + 0.25):
        assert money(np.float64(value)) == money(value)
    assert money(np.float64(2.675)) == "2.67" and money(np.int64(-70)) == "-70.00"
    assert money(np.float32(np.nan)) == "" and money(np.float64(np.nan)) == ""


def test_one_currency_is_a_number_a_sheet_can_sum():
    assert total_cells({"EUR": 1234.567}) == ("EUR", 1234.57)
    currency, amount = total_cells({"EUR": np.float64(10)})
    assert (currency, amount) == ("EUR", 10.0) and type(amount) is float
    assert total_cells({"USD": -70}) == ("USD", -70.0)
    assert total_cells({"": 5}) == ("", 5.0)  # a ledger without currency codes


def test_nothing_owed_is_a_zero_without_a_currency():
    currency, amount = total_cells({})
    assert (currency, amount) == ("", 0.0) and type(amount) is float


def test_several_currencies_are_text_and_never_added():
    currencies, amount = total_cells({"USD": 1234.5, "EUR": -70})
    assert currencies == "USD, EUR"  # in the order given
    assert amount == "USD 1,234.50; EUR -70.00"
    assert isinstance(amount, str)


def test_several_currencies_never_show_minus_zero():
    _, amount = total_cells({"EUR": 10.0, "USD": 0.3 - 0.1 - 0.2})
    assert amount == "EUR 10.00; USD 0.00"
