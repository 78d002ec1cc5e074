"""Late-payment charges against published worked examples, the reference rates, and settings.

Each worked example below cites the page it comes from and quotes its figures; the test
reproduces them with the module. GOV.UK's own example rounds the daily interest to the
penny before multiplying by the days, which the module does with `round_daily=True`; most
other published examples round once at the end, the module's default. Where a page uses a
reference rate that was never the rate of any half-year (a made-up "base rate of 1%"), the
rate is supplied as a user's own Reference Rates row, which is how a workbook adds rates.
No published example with amounts was found for Germany's § 288 BGB or for a debt running
across a half-year; those cases are hand-worked and labelled HAND-WORKED.
"""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dunning.core.charges import (
    CHARGE_COLUMNS,
    Charge,
    ChargeSettings,
    charge_settings_from_pairs,
    charges_for_items,
    charges_for_ledger,
    contractual_charge,
    eu_late_payment,
    half_year_start,
    missing_rate_warnings,
    rate_fixing_day,
    reference_rate_for,
    simple_interest,
    to_cents,
    uk_compensation,
    uk_late_payment,
)
from dunning.core.errors import DunningInputError
from dunning.sheets.reference_rates import (
    load_reference_rates,
    reference_rates_from_rows,
    shipped_reference_rates,
    user_rates_path,
)
from dunning.sheets.settings import read_settings

RATES = load_reference_rates()
"""The shipped reference rates, which a run passes to every calculation."""


RATE_HEADER = ["Regime", "Effective From", "Rate %", "Source"]


@pytest.fixture(scope="module", autouse=True)
def no_user_rates(tmp_path_factory):
    """The rates these tests read are the shipped ones: no user's rates file is laid over."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUNNING_RATES", str(tmp_path_factory.mktemp("config") / "none.csv"))
        yield


@pytest.fixture(scope="module")
def rates(no_user_rates):
    return load_reference_rates()


def own_rate(regime, start, rate):
    """A user's own reference-rate row laid over the shipped table (as a workbook does)."""
    return reference_rates_from_rows([RATE_HEADER, [regime, start, rate, "test"]])


# --- UK: Late Payment of Commercial Debts (Interest) Act 1998 -----------------------------

def test_uk_gov_uk_worked_example(rates):
    # https://www.gov.uk/late-commercial-payments-interest-debt-recovery/charging-interest-commercial-debt
    # "If your business were owed £1,000 and the Bank of England base rate were 0.5%: the
    # annual statutory interest on this would be £85 (1,000 x 0.085 = £85); divide £85 by
    # 365 to get the daily interest: 23p a day (85 / 365 = 0.23); after 50 days this would
    # be £11.50 (50 x 0.23 = 11.50)". 0.5% was the reference rate in every half-year from
    # 2011 to mid-2016 (payontime table below); a debt due 1 March 2015 paid 50 days later.
    charge = uk_late_payment(1000, "2015-03-01", "2015-04-20", rates, round_daily=True)
    assert (charge.reference_rate, charge.rate_percent, charge.days) == (0.5, 8.5, 50)
    assert simple_interest(1000, charge.rate_percent, 365) == 85.00
    assert simple_interest(1000, charge.rate_percent, 1) == 0.23
    assert charge.interest == 11.50
    assert "(£0.23 a day for 50 days)" in charge.explanation
    # Rounding once at the end instead gives 1000 x 0.085 x 50 / 365 = 11.6438 -> 11.64.
    assert uk_late_payment(1000, "2015-03-01", "2015-04-20", rates).interest == 11.64


def test_uk_gov_uk_compensation_table():
    # Same GOV.UK guide, "Claim debt recovery costs on late payments" (also
    # https://www.mygov.scot/late-commercial-payments/claim-debt-recovery-costs-on-late-payments/):
    # "Up to £999.99 debt - £40 charge; £1,000 to £9,999.99 debt - £70 charge; £10,000 or
    # more debt - £100 charge".
    assert [uk_compensation(a) for a in (0.01, 999.99, 1000, 9999.99, 10_000, 1e6)] == [
        40, 40, 70, 70, 100, 100]


def test_uk_theukrules_example_rounds_once_at_the_end(rates):
    # https://www.theukrules.co.uk/rules/business/debt-and-bankruptcy/late-commercial-payments.html
    # "£1,000 and the Bank of England base rate ... is 0.25% ... 8.25% ... annual statutory
    # interest (£82.50) ... Being 60 days late would make the amount claimable to be £13.56".
    # (Its intermediate "22p" a day is truncated; £13.56 is 82.50 x 60 / 365.) 0.25% was the
    # reference rate for 1 January - 30 June 2017.
    charge = uk_late_payment(1000, "2017-02-01", "2017-04-02", rates)
    assert (charge.days, charge.rate_percent) == (60, 8.25)
    assert simple_interest(1000, 8.25, 365) == 82.50
    assert charge.interest == 13.56


def test_uk_daniels_silverman_example():
    # http://www.danielssilverman.co.uk/interest.php
    # "If the base rate is 4% ... the statutory interest rate is 12% ... Debt is £851.06 plus
    # £148.94 VAT = total £1,000. If this debt is 30 days late ... £1,000 x 12% = £120 (the
    # annual rate) ... = £9.86 (the interest owed to date)". 4% as a user's rate row.
    charge = uk_late_payment(1000, "2030-01-15", "2030-02-14", own_rate("uk", "2030-01-01", 4))
    assert (charge.days, charge.rate_percent, charge.interest) == (30, 12.0, 9.86)
    assert simple_interest(1000, 12, 365) == 120.00


def test_uk_ycalculator_example():
    # https://ycalculator.net/calculators/late-payment-penalty-calculator
    # "Invoice value £5,000 ... Days late 30 days; Statutory rate (Bank of England base 4.5%
    # + 8%) 12.5% per annum; Statutory interest £51.37; Fixed compensation £70.00; Total you
    # can claim £121.37", "accruing at £1.71 per day".
    charge = uk_late_payment(5000, "2030-01-15", "2030-02-14",
                             own_rate("uk", "2030-01-01", 4.5))
    assert (charge.days, charge.rate_percent) == (30, 12.5)
    assert (charge.interest, charge.compensation, charge.total) == (51.37, 70.0, 121.37)
    assert simple_interest(5000, 12.5, 1) == 1.71


def test_uk_credit_resource_consultancy_example():
    # http://www.creditresourceconsultancyltd.co.uk/penalize-your-debtors/t2/
    # "a £810 debt that is 95 days past due date for payment entitles the creditor to
    # interest of £26.35 (calculated at 12.5% interest) and £40 late payment compensation. A
    # total of £876.35 due." 12.5% is a reference rate of 4.5% (as for 1 Jan-30 Jun 2006),
    # supplied as a user's row.
    charge = uk_late_payment(810, "2006-02-01", "2006-05-07", own_rate("uk", "2006-01-01", 4.5))
    assert (charge.days, charge.interest, charge.compensation) == (95, 26.35, 40.0)
    assert to_cents(810 + charge.total) == 876.35


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
    assert simple_interest(3000, 11.75, 1) == 0.97
    assert charge.interest == 57.95
    assert charge.compensation == 70.0
    assert charge.total == 127.95


def test_uk_paidnice_worked_example_rounds_the_daily_figure(rates):
    # https://support.paidnice.com/en/articles/11600906-how-to-automatically-calculate-statutory-interest-in-the-uk
    # "For a £5,000 invoice that's 101 days overdue: Annual interest rate: 12.25% ... Daily
    # rate: £5,000 x 12.25% / 365 = £1.68/day ... Total interest: £1.68 x 101 days = £169.68
    # ... Compensation fee: £70 ... Total late payment charge: £239.68"
    # Like GOV.UK it rounds the daily figure first. Its 12.25% (4.25% + 8) is the reference
    # for debts due 1 Jul-31 Dec 2025.
    charge = uk_late_payment(5000, "2025-07-15", "2025-10-24", rates, round_daily=True)
    assert (charge.days, charge.rate_percent, charge.compensation) == (101, 12.25, 70.0)
    assert (charge.interest, charge.total) == (169.68, 239.68)
    assert uk_late_payment(5000, "2025-07-15", "2025-10-24", rates).interest == 169.49


def test_uk_garfield_example_to_the_pound(rates):
    # https://www.garfield.law/help/overdue-invoice-fees-what-you-can-charge
    # "8% + Bank of England base rate (currently 13.25% per year) ... Example: £4,000
    # invoice, 75 days overdue ... Statutory interest (75 days): £109; Statutory
    # compensation: £70". The page shows whole pounds; 13.25% is the reference for 2024.
    charge = uk_late_payment(4000, "2024-02-01", "2024-04-16", rates)
    assert (charge.days, charge.rate_percent, charge.compensation) == (75, 13.25, 70.0)
    assert charge.interest == 108.90 and round(charge.interest) == 109


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
    own = pd.DataFrame({"regime": ["UK"], "effective_from": ["2030-07-01"],
                        "rate_percent": ["1"], "source": ["my workbook"]})
    charge = uk_late_payment(1000, "2030-07-01", "2031-07-01", own)
    assert (charge.days, charge.rate_percent, charge.interest) == (365, 9.0, 90.0)


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
        "so statutory interest at 11.75% a year (8 percentage points over the Bank of England "
        "reference rate of 3.75%) comes to £57.95, plus fixed compensation of £70.00, a total "
        "of £127.95.")
    one_day = uk_late_payment(3000, "2026-01-15", "2026-01-16", rates).explanation
    assert "was 1 day overdue" in one_day


# --- EU: Directive 2011/7/EU --------------------------------------------------------------

def test_eu_payrequest_worked_example(rates):
    # https://payrequest.io/free-tools/late-payment-interest-calculator
    # "Invoice is overdue by 30 days; Total Amount Owed €1048.63; Original Invoice €1000.00;
    # Interest Owed 10.5% annual x 30 days +€8.63; Collection Costs EU Directive 2011/7/EU
    # +€40.00; Daily Interest Accruing €0.29 per day". 10.5% = ECB 2.50% + 8, the rate for
    # 1 January - 30 June 2023.
    charge = eu_late_payment(1000, "2023-02-01", "2023-03-03", rates)
    assert (charge.days, charge.reference_rate, charge.rate_percent) == (30, 2.5, 10.5)
    assert (charge.interest, charge.compensation) == (8.63, 40.0)
    assert to_cents(1000 + charge.total) == 1048.63
    assert simple_interest(1000, 10.5, 1) == 0.29


def test_eu_duetrail_worked_example(rates):
    # https://duetrail.com/late-payment-calculator
    # "Default 10.15% is the EU statutory minimum for 1 Jan - 30 Jun 2026 (2.15% ECB
    # reference rate + 8 points) ... €41.71 Statutory interest; €40.00 Recovery-cost fee;
    # €81.71 Total compensation you can claim; €5,081.71 Total now due (with invoice)".
    # The invoice is €5,000 (5,081.71 - 81.71); the page's excerpt does not state the days,
    # and 30 is the only whole number that gives €41.71 (29 gives 40.32, 31 gives 43.10).
    charge = eu_late_payment(5000, "2026-01-31", "2026-03-02", rates)
    assert (charge.days, charge.rate_percent) == (30, 10.15)
    assert (charge.interest, charge.compensation, charge.total) == (41.71, 40.0, 81.71)
    assert to_cents(5000 + charge.total) == 5081.71


def test_eu_fiscavo_worked_example():
    # https://fiscavo.com/blog/late-payment-interest-eu-uk
    # "Say a German client owes you €4,500, the ECB reference rate is 3% (making the
    # statutory rate 11%), and the invoice is 30 days overdue: Interest: €4,500 x 11% x
    # (30 / 365) ≈ €40.68; Fixed recovery fee: €40.00; Total on top of the invoice: ≈ €80.68"
    # 3% was never the ECB rate on a 1 January or 1 July, so it is a user's row.
    charge = eu_late_payment(4500, "2030-01-20", "2030-02-19", own_rate("eu", "2030-01-01", 3))
    assert (charge.days, charge.rate_percent) == (30, 11.0)
    assert (charge.interest, charge.compensation, charge.total) == (40.68, 40.0, 80.68)


def test_eu_dutch_go_figure_example(rates):
    # https://go-figure.nl/tag/rente/ (Dutch): "De wettelijke rente is 8% voor transacties
    # tussen ondernemers ... Stel je klant betaald 11 dagen te laat en de hoofdsom is
    # € 1000,00 dan bereken je de rente als volgt: 11/365 * 8% * € 1000 = € 2,41".
    # 8% = ECB 0.00% + 8, e.g. 1 January - 30 June 2019.
    charge = eu_late_payment(1000, "2019-05-01", "2019-05-12", rates)
    assert (charge.days, charge.rate_percent, charge.interest) == (11, 8.0, 2.41)


def test_eu_rates_follow_the_irish_published_table(rates):
    # https://enterprise.gov.ie/en/What-We-Do/Supports-for-SMEs/Late-Payments/Late-Payment-Interest-Rate-
    # "Late payment interest rate since 16 March 2013 to date": ECB main refinancing rate per
    # half-year (16 March 2013 0.75 ... 1 July 2024 4.25), late payment rate = ECB + 8.
    published = {
        "2013-03-16": 0.75, "2013-07-01": 0.50, "2014-01-01": 0.25, "2014-07-01": 0.15,
        "2015-01-01": 0.05, "2015-07-01": 0.05, "2016-01-01": 0.05, "2016-07-01": 0.00,
        **{f"{year}-{month}-01": 0.00 for year in range(2017, 2023) for month in ("01", "07")},
        "2023-01-01": 2.50, "2023-07-01": 4.00, "2024-01-01": 4.50, "2024-07-01": 4.25,
    }
    for start, ecb in published.items():
        day_before = pd.Timestamp(start) - pd.Timedelta(days=1)  # interest starts on `start`
        assert reference_rate_for(rates, "eu", day_before) == ecb, start
    # https://enterprise.gov.ie/en/faqs/what-is-the-late-payment-interest-rate-1.html
    # "With effect from 1 July 2024, the late payment interest rate is 12.25% per annum"
    assert eu_late_payment(1000, "2024-08-01", "2024-09-01", rates).rate_percent == 12.25
    # Ibec, "As of 1 January 2018, the current rate is 8.00%, which equates to a daily rate
    # of 0.022%" (http://ibecsfa.newsweaver.ie/ibecsfa/1p3lrmzofwb?a=2&p=52866828&t=29348961)
    rate = eu_late_payment(1000, "2018-02-01", "2018-03-01", rates).rate_percent
    assert (rate, round(rate / 365, 3)) == (8.0, 0.022)


def test_eu_rates_published_for_2024_to_2026(rates):
    # Malta, https://salibastafrace.com/2024/01/: "Interest on Late Payments in Commercial
    # Transactions Increases by 0.5% to 12.5% as of 1st January 2024".
    assert eu_late_payment(1000, "2024-02-01", "2024-03-01", rates).rate_percent == 12.5
    # Bundesbank notice (https://staging.bid-coburg.de/en/news/zahlungsverzug-aktuelle-basis-bzw-verzugszinssaetze/):
    # "The fixed interest rate for the European Central Bank's most recent main refinancing
    # operation on December 30, 2024, is 3.15%".
    assert reference_rate_for(rates, "eu", "2025-02-01") == 3.15
    # Banka Slovenije MRO tenders (https://apl.bsi.si/orodja/avkcije-en.asp): fixed rate 2.15%
    # from the tender settled 11 June 2025.
    assert reference_rate_for(rates, "eu", "2025-08-01") == 2.15
    # https://taylorryan.ie/did-you-know-you-can-charge-interest-on-late-payments-in-ireland/
    # "the current statutory interest rate for late payment is 10.15% per annum (applicable
    # from 1 January 2026 to 30 June 2026)".
    assert eu_late_payment(1000, "2026-02-01", "2026-03-01", rates).rate_percent == 10.15


def test_rates_published_for_the_second_half_of_2026(rates):
    # ECB, 11 June 2026: "the interest rates on the deposit facility, the main refinancing
    # operations and the marginal lending facility will be increased to 2.25%, 2.40% and
    # 2.65% respectively, with effect from 17 June 2026" (ecb.mp260611, as quoted in the
    # CSV's source); so 2.40% on 1 July 2026 and 10.40% under Ireland's ECB + 8.
    assert reference_rate_for(rates, "eu", "2026-07-01") == 2.40
    assert eu_late_payment(1000, "2026-08-01", "2026-09-01", rates).rate_percent == 10.40
    # A debt due 30 June 2026 starts interest on 1 July: the new half-year's rate.
    assert reference_rate_for(rates, "eu", "2026-06-30") == 2.40
    assert reference_rate_for(rates, "eu", "2026-06-29") == 2.15
    # Bank Rate held at 3.75% on 18 June 2026, so 3.75% on 30 June: 11.75% under the Act.
    assert uk_late_payment(1000, "2026-08-01", "2026-09-01", rates).rate_percent == 11.75


def test_eu_hand_worked_example(rates):
    # HAND-WORKED: EUR 2,000 due 31 Jan 2025, paid 2 Mar 2025 = 30 days; ECB MRO rate on
    # 1 Jan 2025 was 3.15%, so 11.15%: 2000 x 0.1115 x 30 / 365 = 18.3288 -> 18.33, plus
    # EUR 40 = 58.33.
    charge = eu_late_payment(2000, "2025-01-31", "2025-03-02", rates)
    assert (charge.days, charge.rate_percent, charge.interest) == (30, 11.15, 18.33)
    assert (charge.compensation, charge.total) == (40.0, 58.33)
    assert "€2,000.00" in charge.explanation and "reference rate of 3.15%" in charge.explanation
    # HAND-WORKED: a member state setting 9 points: 12.15% -> 2000 x .1215 x 30/365 = 19.97.
    nine = eu_late_payment(2000, "2025-01-31", "2025-03-02", rates, margin_points=9)
    assert (nine.rate_percent, nine.interest, nine.total) == (12.15, 19.97, 59.97)


def test_eu_germany_with_the_basiszinssatz_as_the_workbooks_rates():
    # Germany charges 9 points over its own Basiszinssatz (§ 288(2) BGB; "Unternehmer müssen
    # ... einen Aufschlag von neun Prozentpunkten zahlen", https://d39e4tsouywdkr.cloudfront.net/glossary/verzugszinsenregelung)
    # and the Basiszinssatz was 2.27% from 1 January 2025 (Bundesbank notice, URL above) and
    # 1.27% in the first half of 2026 ("Germany ~10.27%", https://duetrail.com/late-payment-calculator).
    # HAND-WORKED amount: EUR 2,000 for 30 days at 11.27% = 2000 x .1127 x 30/365 = 18.5260.
    german = reference_rates_from_rows([RATE_HEADER, ["EU", "2025-01-01", 2.27, "Bundesbank"],
                                        ["EU", "2026-01-01", 1.27, "Bundesbank"]])
    charge = eu_late_payment(2000, "2025-01-31", "2025-03-02", german, margin_points=9)
    assert (charge.reference_rate, charge.rate_percent, charge.interest) == (2.27, 11.27, 18.53)
    assert eu_late_payment(100, "2026-02-01", "2026-03-01", german,
                           margin_points=9).rate_percent == 10.27


def test_eu_margin_below_the_directive_minimum_is_refused(rates):
    with pytest.raises(DunningInputError, match="at least 8"):
        eu_late_payment(2000, "2025-01-31", "2025-03-02", rates, margin_points=7)


# --- Contractual ----------------------------------------------------------------------------

def test_contractual_tageszinsformel_example():
    # https://anleiter.de/wie-berechnet-man-verzugszinsen/ "Die Tageszinsformel lautet:
    # Kapital x Tage x Prozentsatz geteilt durch 365 x 100 ... für eine Forderung von
    # 1000,00 €..., welche seit 25 Tagen fällig ist, bei einem Verzugszinssatz von 5,12%
    # Verzugszinsen i. H. v. 3.51 €". The same arithmetic as an agreed 5.12% a year.
    charge = contractual_charge(1000, "2024-01-01", "2024-01-26", annual_rate_percent=5.12)
    assert (charge.days, charge.interest, charge.total) == (25, 3.51, 3.51)


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
        assert (table["source"].str.contains("http")).all(), regime
    assert rates[rates["regime"] == "uk"]["effective_from"].min() == pd.Timestamp("2011-01-01")
    assert rates[rates["regime"] == "eu"]["effective_from"].min() == pd.Timestamp("2013-01-01")


def test_packaged_uk_rates_match_the_payontime_table(rates):
    # https://payontime.co.uk/how-to-calculate-late-payment-interest-and-compensation
    # "Period / Reference Rate": 1 Jan-30 Jun 2011 0.50% ... 1 Jan-30 Jun 2024 5.25%.
    published = {
        **{f"{year}-{month}": 0.50 for year in range(2011, 2017) for month in ("01", "07")},
        "2017-01": 0.25, "2017-07": 0.25, "2018-01": 0.50, "2018-07": 0.50,
        "2019-01": 0.75, "2019-07": 0.75, "2020-01": 0.75, "2020-07": 0.10,
        "2021-01": 0.10, "2021-07": 0.10, "2022-01": 0.25, "2022-07": 1.25,
        "2023-01": 3.50, "2023-07": 5.00, "2024-01": 5.25,
    }
    for start, rate in published.items():
        assert reference_rate_for(rates, "uk", f"{start}-10") == rate, start
    # Bank Rate on 30 June 2024 (5.25%, cut to 5% on 1 Aug), 31 Dec 2024 (4.75%, from
    # 7 Nov), 30 Jun 2025 (4.25%, from 8 May) and 31 Dec 2025 (3.75%, from 18 Dec): sources
    # in the CSV's rows.
    assert [reference_rate_for(rates, "uk", day) for day in
            ("2024-08-01", "2025-02-01", "2025-08-01", "2026-02-01")] == [5.25, 4.75, 4.25, 3.75]
    # And on 30 Jun 2026 (3.75%, held at the MPC meeting of 18 Jun 2026).
    assert reference_rate_for(rates, "uk", "2026-08-01") == 3.75


def test_a_missing_half_year_says_which_row_to_add(rates):
    with pytest.raises(DunningInputError, match="ReferenceRates table .Settings sheet. with "
                       "Regime uk, Effective From 2040-01-01"):
        uk_late_payment(1000, "2040-02-01", "2040-03-01", rates)


def test_a_bad_rates_file_names_each_bad_row(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("regime,effective_from,rate_percent,source\n"
                    "uk,2025-01-01,4.75,ok\nuk,2025-03-01,4.5,wrong day\nuk,2025-07-01,,blank\n"
                    "us,2025-07-01,4,bad regime\n", encoding="utf-8")
    with pytest.raises(DunningInputError) as caught:
        load_reference_rates(path)
    found = [(issue.row, issue.column) for issue in caught.value.issues]
    assert found == [(3, "effective_from"), (4, "rate_percent"), (5, "regime")]


def test_the_users_rates_file_is_laid_over_the_shipped_table(tmp_path, monkeypatch):
    path = tmp_path / "mine.csv"
    path.write_text("regime,effective_from,rate_percent,source\n"
                    "eu,2040-07-01,3.1,typed by hand\nuk,2026-07-01,9.99,a correction\n",
                    encoding="utf-8")
    monkeypatch.setenv("DUNNING_RATES", str(path))
    table = load_reference_rates()
    assert reference_rate_for(table, "eu", "2040-08-01") == 3.1
    assert reference_rate_for(table, "uk", "2026-08-01") == 9.99  # the user's row wins
    assert reference_rate_for(table, "uk", "2026-02-01") == 3.75  # the rest are shipped
    assert len(table) == len(shipped_reference_rates()) + 1
    # A workbook's rows are laid over both, and the reminder run reads it this way.
    workbook = reference_rates_from_rows([RATE_HEADER, ["uk", "2026-07-01", 3.75, "book"]])
    assert reference_rate_for(workbook, "uk", "2026-08-01") == 3.75
    assert reference_rate_for(workbook, "eu", "2040-08-01") == 3.1
    # An explicit file is read alone; a bad user's file is named with its row.
    assert len(load_reference_rates(path)) == 2
    path.write_text("regime,effective_from,rate_percent,source\neu,2040-07-02,3.1,x\n",
                    encoding="utf-8")
    with pytest.raises(DunningInputError, match="mine.csv row 2 .effective_from."):
        load_reference_rates()


def test_where_the_users_rates_file_lives():
    home = {"HOME": "/home/ana"}
    assert user_rates_path({"DUNNING_RATES": "/srv/rates.csv"}) == Path("/srv/rates.csv")
    assert user_rates_path({"APPDATA": r"C:\Users\ana\AppData\Roaming"}, platform="win32") \
        == Path(r"C:\Users\ana\AppData\Roaming") / "Dunning" / "reference_rates.csv"
    assert user_rates_path({"XDG_CONFIG_HOME": "/cfg", **home}, platform="linux") == Path(
        "/cfg/dunning/reference_rates.csv")
    assert user_rates_path({"DUNNING_RATES": "  "}, platform="darwin").parts[-3:] == (
        "Application Support", "Dunning", "reference_rates.csv")


def test_a_month_before_a_half_year_its_missing_rate_is_a_warning(rates):
    # The shipped rates end with the half-year from 1 July 2026 (none for 1 January 2027).
    [eu] = missing_rate_warnings(rates, dt.date(2026, 12, 2), ["EU"])
    assert eu.severity == "warning"
    assert eu.message.startswith("no EU reference rate yet for the half-year starting "
                                 "1 January 2027 (in 30 days)")
    assert "the ECB main refinancing rate in force on 1 January 2027" in eu.message
    assert "run `dunning rates update` on or after 1 January 2027" in eu.message
    [uk] = missing_rate_warnings(rates, "2026-12-01", ["uk", "uk", "contract"])
    assert "(in 31 days)" in uk.message
    assert "the Bank of England Bank Rate in force on 31 December 2026" in uk.message
    assert missing_rate_warnings(rates, "2026-11-30", ["uk", "eu"]) == []  # 32 days ahead
    assert missing_rate_warnings(rates, "2026-12-31", ["contract"]) == []
    assert len(missing_rate_warnings(rates, "2026-12-31", ["uk", "eu"])) == 2
    known = reference_rates_from_rows([RATE_HEADER, ["eu", "2027-01-01", 2.65, "test"]])
    assert missing_rate_warnings(known, "2026-12-02", ["eu"]) == []
    # The half-year already begun with no row is said too: a run would stop on its debts.
    gap = rates[~((rates["regime"] == "eu") & (rates["effective_from"] == "2026-07-01"))]
    [began] = missing_rate_warnings(gap, "2026-08-01", ["eu"])
    assert began.message.startswith("no EU reference rate for the half-year that began on "
                                    "1 July 2026: charges on debts falling due since 30 June 2026")


def test_the_day_that_fixes_each_regimes_rate():
    assert rate_fixing_day("eu", "2026-07-01") == pd.Timestamp("2026-07-01")
    assert rate_fixing_day("uk", "2026-07-01") == pd.Timestamp("2026-06-30")
    assert rate_fixing_day("uk", "2027-03-15") == pd.Timestamp("2026-12-31")


def test_half_year_start():
    assert half_year_start("2025-06-30") == pd.Timestamp("2025-01-01")
    assert half_year_start("2025-07-01") == pd.Timestamp("2025-07-01")


def test_workbook_rates_override_and_extend_the_shipped_table(rates):
    rows = [RATE_HEADER,
            ["UK", dt.datetime(2026, 1, 1), 3.5, "corrected by hand"],  # a date cell
            ["uk", 51318.0, "3.5%", None],  # 2040-07-01 as an Excel serial, rate as text
            [None, None, None, None],  # blank rows are skipped
            ["eu", "2040-07-01", "2.15", "ECB"]]
    table = reference_rates_from_rows(rows)
    assert reference_rate_for(table, "uk", "2026-02-01") == 3.5
    assert reference_rate_for(table, "uk", "2040-08-01") == 3.5
    assert reference_rate_for(table, "eu", "2040-08-01") == 2.15
    assert reference_rate_for(table, "uk", "2025-08-01") == 4.25  # shipped rows kept
    assert len(table) == len(rates) + 2
    added = table[(table["regime"] == "uk") & (table["effective_from"] == "2040-07-01")]
    assert added["source"].tolist() == ["Reference Rates row 3"]
    assert reference_rates_from_rows([RATE_HEADER]).equals(rates)
    frame = pd.DataFrame([["uk", "2026-01-01", 3.0]], columns=["Regime", "Effective From",
                                                                "Rate %"])
    assert reference_rate_for(reference_rates_from_rows(frame), "uk", "2026-02-01") == 3.0


def test_workbook_rates_name_every_bad_cell_by_sheet_row():
    rows = [RATE_HEADER, ["uk", "2026-01-01", 3.5, ""], ["uk", "2026-03-01", 3.5, ""],
            [None, None, None, None], ["us", "2026-07-01", 3.5, ""],
            ["eu", "2026-07-01", "high", ""]]
    with pytest.raises(DunningInputError) as caught:
        reference_rates_from_rows(rows)
    found = [(issue.sheet, issue.row, issue.column) for issue in caught.value.issues]
    assert found == [("Reference Rates", 3, "Effective From"), ("Reference Rates", 5, "Regime"),
                     ("Reference Rates", 6, "Rate %")]
    assert "Reference Rates row 3 (Effective From)" in str(caught.value)
    with pytest.raises(DunningInputError, match="second rate"):
        reference_rates_from_rows([RATE_HEADER, ["uk", "2026-01-01", 3, ""],
                                   ["UK", "2026-01-01", 4, ""]])
    with pytest.raises(DunningInputError, match="missing: rate_percent"):
        reference_rates_from_rows([["Regime", "Effective From"], ["uk", "2026-01-01"]])


# --- Settings -----------------------------------------------------------------------------------

def charges_read_from(pairs):
    """The charges that Settings (Setting, Value) pairs claim, read as a workbook's are: the
    Settings schema reads and checks the cells, `charge_settings_from_pairs` builds."""
    return read_settings(pairs).charges


def test_the_charges_take_typed_settings():
    assert charge_settings_from_pairs({"regime": ""}) is None
    assert charge_settings_from_pairs({}) is None
    assert charge_settings_from_pairs({"regime": "eu", "margin_points": 9.0,
                                       "contract_fee": None}) == ChargeSettings("eu", 9.0)
    with pytest.raises(DunningInputError, match="'Statutory Margin': the UK Act fixes"):
        charge_settings_from_pairs({"regime": "uk", "margin_points": 9.0})


def test_charges_are_off_unless_a_regime_is_chosen():
    for value in (None, "", "  ", "None", "OFF", "no"):
        assert charges_read_from({"Late Payment Charges": value}) is None
    assert charges_read_from({}) is None
    # Settings the chosen regime does not use are not read: no error while charges are off.
    assert charges_read_from({"Late Payment Charges": "Off",
                              "Statutory Margin": "lots"}) is None


def test_uk_and_eu_settings_with_defaults():
    assert charges_read_from({"Late Payment Charges": "UK"}) == ChargeSettings("uk")
    uk = charges_read_from({"late payment charges": " uk ", "Statutory Margin": 8})
    assert (uk.regime, uk.margin_points, uk.currency) == ("uk", 8.0, "GBP")
    eu = charges_read_from({"Late Payment Charges": "EU", "Statutory Margin": "9",
                            "EU Compensation": "EUR 40.00",
                            "Round Daily Interest": "Yes"})
    assert eu == ChargeSettings("eu", margin_points=9.0, eu_compensation=40.0, round_daily=True)
    assert eu.currency == "EUR"


def test_contract_settings():
    agreed = charges_read_from({"Late Payment Charges": "Contract",
                                "Contract Rate %": "12%", "Contract Fee": "25.00"})
    assert agreed == ChargeSettings("contract", contract_rate_percent=12.0, contract_fee=25.0)
    assert agreed.currency is None
    assert charges_read_from({"Late Payment Charges": "contract",
                              "Contract Rate": 4}).contract_rate_percent == 4.0


def test_unusable_settings_are_each_named():
    with pytest.raises(DunningInputError) as caught:
        charges_read_from({"Late Payment Charges": "EU", "Statutory Margin": 0.08,
                           "EU Compensation": 10, "Round Daily Interest": "maybe"})
    shown = [issue.message for issue in caught.value.issues]
    assert len(shown) == 3
    assert shown[0].startswith("setting 'Statutory Margin': ") and "not 8%" in shown[0]
    assert shown[1].startswith("setting 'EU Compensation': ")
    assert shown[2].startswith("setting 'Round Daily Interest': ")
    assert {issue.sheet for issue in caught.value.issues} == {"Settings"}
    with pytest.raises(DunningInputError, match="'Late Payment Charges'.*\"UK\", \"EU\""):
        charges_read_from({"Late Payment Charges": "US"})
    with pytest.raises(DunningInputError, match="'Contract Rate %': required"):
        charges_read_from({"Late Payment Charges": "Contract"})
    with pytest.raises(DunningInputError, match="'Contract Rate %': expected"):
        charges_read_from({"Late Payment Charges": "Contract", "Contract Rate %": 0.12})
    with pytest.raises(DunningInputError, match="'Statutory Margin': the UK Act fixes"):
        charges_read_from({"Late Payment Charges": "UK", "Statutory Margin": 9})
    with pytest.raises(DunningInputError, match="'Statutory Margin'"):
        charges_read_from({"Late Payment Charges": "EU", "Statutory Margin": 7.5})


# --- A whole ledger, and the reminder's items ---------------------------------------------------

def ledger_frame(*items, currency="GBP"):
    """Ledger-contract rows: (invoice, amount, open, due, settled, written_off)."""
    frame = pd.DataFrame(items, columns=["invoice", "amount", "open_amount", "due_date",
                                         "settled_date", "written_off"])
    frame["customer"] = "C1"
    frame["customer_name"] = "Customer One"
    frame["invoice_date"] = pd.to_datetime(frame["due_date"]) - pd.Timedelta(days=30)
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["settled_date"] = pd.to_datetime(frame["settled_date"])
    frame["currency"] = currency
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
    assert late["currency"] == "GBP"
    part = uk_late_payment(1200.0, "2026-01-15", "2026-03-16", rates)
    assert table.loc[1, "debt"] == 1200.0
    assert table.loc[1, "total"] == part.total
    assert table.loc[1, "explanation"] == part.explanation


def test_charges_for_ledger_other_regimes_currencies_and_errors(rates):
    frame = ledger_frame(("A", 2000.0, 2000.0, "2025-01-31", None, False), currency="EUR")
    eu = charges_for_ledger(frame, "2025-03-02", "eu", rates)
    assert eu.loc[0, "total"] == 58.33
    assert charges_for_ledger(frame, "2025-03-02", "uk", rates).empty  # euros: not the Act's
    agreed = charges_for_ledger(frame, "2025-03-02", "contract", annual_rate_percent=12,
                                fixed_fee=10)
    assert agreed.loc[0, "total"] == contractual_charge(
        2000, "2025-01-31", "2025-03-02", annual_rate_percent=12, fixed_fee=10).total
    assert agreed.loc[0, "currency"] == "EUR"
    assert charges_for_ledger(frame, "2025-01-31", "eu", rates).empty
    with pytest.raises(DunningInputError, match="regime"):
        charges_for_ledger(frame, "2025-03-02", "us", rates)
    with pytest.raises(DunningInputError, match="reference rates"):
        charges_for_ledger(frame, "2025-03-02", "uk")
    with pytest.raises(DunningInputError, match="annual rate"):
        charges_for_ledger(frame, "2025-03-02", "contract")


def decision_items(*rows):
    """`Decisions.items`-shaped rows: (customer, invoice, due, open_balance, currency)."""
    frame = pd.DataFrame(rows, columns=["customer", "invoice", "due_date", "open_balance",
                                        "currency"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["invoice_date"] = frame["due_date"] - pd.Timedelta(days=30)
    frame["amount"] = frame["open_balance"]
    frame["days_past_due"] = (pd.Timestamp("2026-03-16") - frame["due_date"]).dt.days
    frame["included"] = True
    return frame


def test_charges_for_items_takes_the_reminders_items():
    items = decision_items(("C1", "INV-7", "2026-01-15", 3000.0, "GBP"),
                           ("C1", "INV-8", "2026-03-20", 500.0, "GBP"),
                           ("C1", "CN-1", "2026-01-10", -100.0, "GBP"),
                           ("C2", "INV-9", "2026-01-15", 800.0, ""),
                           ("C2", "INV-10", "2026-01-15", 800.0, "USD"))
    table = charges_for_items(items, "2026-03-16", ChargeSettings("uk"), RATES)
    assert table.index.tolist() == [0, 3]  # the items' own index: late, positive, in GBP
    assert table.loc[0, "total"] == 127.95
    assert table.loc[3, "currency"] == "GBP"  # blank counts as the regime's currency
    assert (table.loc[3, "interest"], table.loc[3, "compensation"]) == (
        to_cents(800 * 0.1175 * 60 / 365), 40.0)
    daily = charges_for_items(items, "2026-03-16", ChargeSettings("uk", round_daily=True), RATES)
    assert daily.loc[0, "interest"] == to_cents(0.97 * 60)
    agreed = charges_for_items(items, "2026-03-16",
                               ChargeSettings("contract", contract_rate_percent=10,
                                              contract_fee=5), RATES)
    assert agreed["invoice"].tolist() == ["INV-7", "INV-9", "INV-10"]  # any currency
    assert agreed.loc[4, "currency"] == "USD" and agreed.loc[4, "compensation"] == 5.0
    mine = own_rate("uk", "2026-01-01", 5.0)
    assert charges_for_items(items, "2026-03-16", ChargeSettings("uk"),
                             mine).loc[0, "rate_percent"] == 13.0


def test_charge_settings_are_checked_when_built_in_code():
    with pytest.raises(DunningInputError, match="Contract Rate %"):
        ChargeSettings("contract")
    with pytest.raises(DunningInputError, match="Late Payment Charges"):
        ChargeSettings("us")  # type: ignore[arg-type]
