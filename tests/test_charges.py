"""Late-payment charges against published worked examples, and the packaged reference rates.

No worked example with figures was found on GOV.UK itself, nor one for Directive 2011/7/EU;
the UK examples below come from late-payment calculators and guides that publish their
figures (URLs in each test), and the EU amounts are hand-worked, labelled as such.
"""

import numpy as np
import pandas as pd
import pytest

from dunning.charges import (
    CHARGE_COLUMNS,
    Charge,
    charges_for_ledger,
    contractual_charge,
    eu_late_payment,
    half_year_start,
    load_reference_rates,
    reference_rate_for,
    to_cents,
    uk_compensation,
    uk_late_payment,
)
from dunning.errors import DunningInputError


@pytest.fixture(scope="module")
def rates():
    return load_reference_rates()


# --- UK: Late Payment of Commercial Debts (Interest) Act 1998 -----------------------------

def test_uk_landolio_worked_example(rates):
    # https://www.landolio.com/tools/late-payment-interest-calculator.html
    # "if you're owed £3,000 and the Bank of England base rate is 3.75%, the statutory rate
    # is 11.75%. Your daily interest would be £3,000 x 0.1175 / 365 = £0.97 per day. After
    # 60 days overdue, that's £57.95 in interest alone."  3.75% is the reference rate for
    # debts falling due 1 January - 30 June 2026.
    charge = uk_late_payment(3000, "2026-01-15", "2026-03-16", rates)
    assert charge.days == 60
    assert charge.reference_rate == 3.75
    assert charge.rate_percent == 11.75
    assert charge.interest == 57.95
    assert charge.compensation == 70.0
    assert charge.total == 127.95


def test_uk_paidnice_worked_example_rounds_only_at_the_end(rates):
    # https://support.paidnice.com/en/articles/11600906-how-to-automatically-calculate-statutory-interest-in-the-uk
    # "For a £5,000 invoice that's 101 days overdue: Annual interest rate: 12.25% ... Daily
    # rate: £5,000 x 12.25% / 365 = £1.68/day ... Total interest: £1.68 x 101 days = £169.68
    # ... Compensation fee: £70 ... Total late payment charge: £239.68"
    # The page rounds the daily figure before multiplying; we round once at the end, which
    # gives £169.49. Its 12.25% (4.25% + 8) is the reference for debts due 1 Jul-31 Dec 2025.
    charge = uk_late_payment(5000, "2025-07-15", "2025-10-24", rates)
    assert (charge.days, charge.rate_percent, charge.compensation) == (101, 12.25, 70.0)
    assert to_cents(to_cents(5000 * 0.1225 / 365) * 101) == 169.68  # the page's method
    assert charge.interest == 169.49
    assert charge.total == 239.49


def test_uk_wolfx_daily_figure_and_top_compensation_band(rates):
    # https://usewolfx.com/glossary/late-payment-interest
    # "a £10,000 invoice at 11.75% accrues about £3.22 a day" and "£10,000 or more: £100"
    charge = uk_late_payment(10_000, "2026-02-01", "2026-02-02", rates)
    assert charge.interest == 3.22
    assert charge.compensation == 100.0


def test_uk_one_thousand_pounds_at_eight_and_a_half_percent(rates):
    # https://statutory-interest.pages.dev
    # "Example: £1,000 at 8.5% = £85/year ~ £0.23/day."  0.50% was the reference rate for
    # 1 January - 30 June 2015 (payontime table below), so 8.5% applies.
    assert uk_late_payment(1000, "2015-03-01", "2015-03-02", rates).interest == 0.23
    a_year = uk_late_payment(1000, "2015-03-01", "2016-02-29", rates)
    assert (a_year.days, a_year.interest, a_year.compensation) == (365, 85.0, 70.0)


def test_uk_gocardless_example_with_a_users_own_rate_table():
    # https://gocardless.com/guides/posts/what-is-statutory-interest/
    # "your business is owed £1000 and the Bank of England base rate is 1%. The annual
    # statutory interest would be £90 (£1000 x 0.09 = £90). Divide £90 by 365 ..."
    # No half-year in the packaged table had 1%, so a workbook table supplies it.
    own = pd.DataFrame({"regime": ["UK"], "effective_from": ["2030-07-01"],
                        "rate_percent": ["1"], "source": ["my workbook"]})
    charge = uk_late_payment(1000, "2030-07-01", "2031-07-01", own)
    assert (charge.days, charge.rate_percent, charge.interest) == (365, 9.0, 90.0)


def test_uk_compensation_bands():
    # GOV.UK / payontime: up to £999.99 -> £40; £1,000 to £9,999.99 -> £70; £10,000+ -> £100
    # (https://www.payontime.co.uk/late-payment-legislation-interest-calculators)
    assert [uk_compensation(a) for a in (0.01, 999.99, 1000, 9999.99, 10_000, 1e6)] == [
        40, 40, 70, 70, 100, 100]


def test_uk_rate_is_fixed_by_the_half_year_in_which_interest_starts(rates):
    # SI 2002/1675 as quoted at https://www.debtcollectionservice.uk/interest/: the official
    # dealing rate "in force on the 30th June (in respect of interest which starts to run
    # between 1st July and 31st December) or the 31st December (... between 1st January and
    # 30th June) immediately before the day on which statutory interest starts to run".
    # payontime table: 1 Jan-30 Jun 2023 3.50%; 1 Jul-31 Dec 2023 5.00%.
    assert reference_rate_for(rates, "uk", "2023-06-29") == 3.50
    assert reference_rate_for(rates, "uk", "2023-06-30") == 5.00  # interest starts 1 July
    assert reference_rate_for(rates, "uk", "2023-12-30") == 5.00
    # The rate stays fixed for the debt even when it runs into later half-years.
    long_debt = uk_late_payment(1000, "2023-01-31", "2024-01-31", rates)
    assert (long_debt.rate_percent, long_debt.days, long_debt.interest) == (11.5, 365, 115.0)


def test_uk_no_charge_when_not_late(rates):
    for paid in ("2025-03-01", "2025-02-01"):
        charge = uk_late_payment(5000, "2025-03-01", paid, rates)
        assert (charge.interest, charge.compensation, charge.total, charge.days) == (0, 0, 0, 0)
        assert "not late" in charge.explanation


def test_uk_explanation_is_one_sentence_with_the_figures(rates):
    text = uk_late_payment(3000, "2026-01-15", "2026-03-16", rates).explanation
    assert text == (
        "The debt of £3,000.00, due on 15 January 2026, was 60 days overdue on 16 March 2026, "
        "so statutory interest at 11.75% a year (8% over the Bank of England reference rate "
        "of 3.75%) comes to £57.95, plus fixed compensation of £70.00, a total of £127.95.")


# --- EU: Directive 2011/7/EU --------------------------------------------------------------

def test_eu_rate_follows_irish_published_rate(rates):
    # https://enterprise.gov.ie/en/faqs/what-is-the-late-payment-interest-rate-1.html
    # "With effect from 1 July 2024, the late payment interest rate is 12.25% per annum (that
    # is based on the ECB rate as at 1 July 2024 of 4.25% plus the margin of 8%)"
    charge = eu_late_payment(1000, "2024-08-01", "2024-09-01", rates)
    assert (charge.reference_rate, charge.rate_percent) == (4.25, 12.25)


def test_eu_hand_worked_example(rates):
    # HAND-WORKED (no published directive example with amounts was found): EUR 2,000 due
    # 31 Jan 2025, paid 2 Mar 2025 = 30 days; ECB MRO rate on 1 Jan 2025 was 3.15%, so
    # 11.15%: 2000 x 0.1115 x 30 / 365 = 18.3288 -> 18.33, plus EUR 40 = 58.33.
    charge = eu_late_payment(2000, "2025-01-31", "2025-03-02", rates)
    assert (charge.days, charge.rate_percent, charge.interest) == (30, 11.15, 18.33)
    assert (charge.compensation, charge.total) == (40.0, 58.33)
    assert "€2,000.00" in charge.explanation and "ECB reference rate of 3.15%" in charge.explanation
    # HAND-WORKED: a member state setting 9 points: 12.15% -> 2000 x .1215 x 30/365 = 19.97.
    nine = eu_late_payment(2000, "2025-01-31", "2025-03-02", rates, margin_points=9)
    assert (nine.rate_percent, nine.interest, nine.total) == (12.15, 19.97, 59.97)


def test_eu_margin_below_the_directive_minimum_is_refused(rates):
    with pytest.raises(DunningInputError, match="at least 8"):
        eu_late_payment(2000, "2025-01-31", "2025-03-02", rates, margin_points=7)


# --- Contractual ----------------------------------------------------------------------------

def test_contractual_rate_and_fee():
    # HAND-WORKED: 1,000 at 12% for 30 days = 1000 x .12 x 30/365 = 9.8630 -> 9.86, fee 25.
    charge = contractual_charge(1000, "2024-07-10", "2024-08-09", annual_rate_percent=12,
                                fixed_fee=25)
    assert charge == Charge(9.86, 25.0, 34.86, 12.0, 30, None, "contract", charge.explanation)
    assert "agreed 12% a year" in charge.explanation
    # HAND-WORKED: on a 360-day basis the same is 1000 x .12 x 30/360 = 10.00.
    assert contractual_charge(1000, "2024-07-10", "2024-08-09", annual_rate_percent=12,
                              day_count=360).interest == 10.0
    assert contractual_charge(1000, "2024-07-10", "2024-07-10",
                              annual_rate_percent=12, fixed_fee=25).total == 0


def test_rounding_is_half_up_on_the_written_decimal():
    assert to_cents(2.675) == 2.68  # round(2.675, 2) would give 2.67
    assert to_cents(0.125) == 0.13
    assert to_cents(-0.0) == 0.0
    assert to_cents(np.float64(2.675)) == 2.68


def test_numpy_amounts_from_a_frame_are_accepted(rates):
    assert uk_late_payment(np.float64(3000), "2026-01-15", "2026-03-16", rates).total == 127.95
    assert uk_late_payment(np.int64(3000), "2026-01-15", "2026-03-16", rates).total == 127.95


def test_bad_amounts_are_refused(rates):
    for amount in (-1, float("nan"), "100"):
        with pytest.raises(DunningInputError, match="amount"):
            uk_late_payment(amount, "2025-01-01", "2025-02-01", rates)


# --- Reference rates as data ------------------------------------------------------------------

def test_packaged_rates_cover_every_half_year_without_gaps(rates):
    assert list(rates.columns) == ["regime", "effective_from", "rate_percent", "source"]
    assert set(rates["regime"]) == {"uk", "eu"}
    for regime, table in rates.groupby("regime"):
        starts = table["effective_from"].sort_values()
        assert starts.is_unique, regime
        expected = pd.date_range(starts.iloc[0], starts.iloc[-1], freq="6MS")
        assert list(starts) == list(expected), regime
        assert (table["source"].str.len() > 10).all(), regime


def test_packaged_rates_match_the_published_tables(rates):
    # payontime.co.uk reference rate table (see the CSV's source column) and the ECB's
    # official rates (MRO 0.00% from 16 Mar 2016 to 27 Jul 2022; 2.50% from 21 Dec 2022).
    assert reference_rate_for(rates, "uk", "2020-08-01") == 0.10
    assert reference_rate_for(rates, "uk", "2022-08-01") == 1.25
    assert reference_rate_for(rates, "uk", "2024-02-01") == 5.25
    assert reference_rate_for(rates, "eu", "2022-08-01") == 0.00
    assert reference_rate_for(rates, "eu", "2023-02-01") == 2.50
    assert reference_rate_for(rates, "eu", "2025-08-01") == 2.15


def test_a_missing_half_year_says_which_row_to_add(rates):
    with pytest.raises(DunningInputError, match="effective_from 2040-01-01"):
        uk_late_payment(1000, "2040-02-01", "2040-03-01", rates)


def test_a_bad_rates_file_names_each_bad_row(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("regime,effective_from,rate_percent,source\n"
                    "uk,2025-01-01,4.75,ok\nuk,2025-03-01,4.5,wrong day\nuk,2025-07-01,,blank\n",
                    encoding="utf-8")
    with pytest.raises(DunningInputError) as caught:
        load_reference_rates(path)
    found = [(issue.row, issue.column) for issue in caught.value.issues]
    assert found == [(3, "effective_from"), (4, "rate_percent")]


def test_half_year_start():
    assert half_year_start("2025-06-30") == pd.Timestamp("2025-01-01")
    assert half_year_start("2025-07-01") == pd.Timestamp("2025-07-01")


# --- A whole ledger ------------------------------------------------------------------------

def ledger_frame(*items):
    """Ledger-contract rows: (invoice, amount, open, due, settled, written_off)."""
    frame = pd.DataFrame(items, columns=["invoice", "amount", "open_amount", "due_date",
                                         "settled_date", "written_off"])
    frame["customer"] = "C1"
    frame["customer_name"] = "Customer One"
    frame["invoice_date"] = pd.to_datetime(frame["due_date"]) - pd.Timedelta(days=30)
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["settled_date"] = pd.to_datetime(frame["settled_date"])
    frame["currency"] = "GBP"
    frame["disputed"] = False
    frame["collection_cost"] = 0.0
    frame["row"] = range(2, 2 + len(frame))
    return frame


def test_charges_for_ledger_covers_open_past_due_items_only(rates):
    frame = ledger_frame(
        ("LATE", 3000.0, 3000.0, "2026-01-15", None, False),
        ("PART", 5000.0, 1200.0, "2026-01-15", None, False),
        ("NOTDUE", 800.0, 800.0, "2026-03-20", None, False),
        ("PAID", 900.0, 0.0, "2026-01-15", "2026-02-01", False),
        ("CREDIT", -200.0, -200.0, "2026-01-15", None, False),
        ("WROTEOFF", 700.0, 700.0, "2026-01-15", None, True),
    )
    table = charges_for_ledger(frame, "2026-03-16", "uk", rates)
    assert list(table.columns) == list(CHARGE_COLUMNS)
    assert table["invoice"].tolist() == ["LATE", "PART"]
    assert table.index.tolist() == [0, 1]
    late = table.loc[0]
    assert (late["interest"], late["compensation"], late["total"]) == (57.95, 70.0, 127.95)
    part = uk_late_payment(1200.0, "2026-01-15", "2026-03-16", rates)
    assert table.loc[1, "debt"] == 1200.0
    assert table.loc[1, "total"] == part.total
    assert table.loc[1, "explanation"] == part.explanation


def test_charges_for_ledger_other_regimes_and_errors(rates):
    frame = ledger_frame(("A", 2000.0, 2000.0, "2025-01-31", None, False))
    eu = charges_for_ledger(frame, "2025-03-02", "eu", rates)
    assert eu.loc[0, "total"] == 58.33
    agreed = charges_for_ledger(frame, "2025-03-02", "contract", annual_rate_percent=12,
                                fixed_fee=10)
    assert agreed.loc[0, "total"] == contractual_charge(
        2000, "2025-01-31", "2025-03-02", annual_rate_percent=12, fixed_fee=10).total
    assert charges_for_ledger(frame, "2025-01-31", "uk", rates).empty
    with pytest.raises(DunningInputError, match="regime"):
        charges_for_ledger(frame, "2025-03-02", "us", rates)
    with pytest.raises(DunningInputError, match="reference rates"):
        charges_for_ledger(frame, "2025-03-02", "uk")
    with pytest.raises(DunningInputError, match="annual rate"):
        charges_for_ledger(frame, "2025-03-02", "contract")
