"""Late-payment charges on business debts: statutory interest and compensation, or a contract rate.

Three regimes, each giving a `Charge` an accountant can show a customer:

- ``"uk"``: Late Payment of Commercial Debts (Interest) Act 1998. Simple interest at 8 points
  over the Bank of England reference rate, plus fixed compensation of £40 (under £1,000),
  £70 (£1,000 to £9,999.99) or £100 (£10,000 or more). The reference rate is the base rate
  in force on 31 December (for interest starting to run 1 January to 30 June) or on 30 June
  (for 1 July to 31 December), and it stays fixed for the life of the debt.
- ``"eu"``: Late Payment Directive 2011/7/EU. The ECB main refinancing rate in force on the
  first calendar day of the half-year (1 January or 1 July), plus a margin of at least
  8 points that each member state sets, plus 40 euro.
- ``"contract"``: an agreed annual rate and fixed fee.

Interest starts to run the day after the due date (Act s.4(2)), so the half-year that fixes
the rate is the one containing that day, and the days charged are the calendar days from the
due date to the date paid (or the date of the statement). Interest is simple and daily:
``amount * rate / 100 * days / 365``, rounded half-up to the penny or cent only at the end.

Reference rates are data, not constants: `load_reference_rates` reads the CSV shipped in
``dunning/data/reference_rates.csv`` (regime, effective_from, rate_percent, source; one row
per half-year, ``effective_from`` being 1 January or 1 July), and every calculation takes the
rates as a DataFrame so a workbook table can replace or extend it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from numbers import Real
from pathlib import Path

import pandas as pd

from dunning.errors import DunningInputError, Issue
from dunning.ledger import DateLike, as_timestamp, open_balance

RATE_COLUMNS: tuple[str, ...] = ("regime", "effective_from", "rate_percent", "source")
STATUTORY_MARGIN = 8.0
EU_MINIMUM_MARGIN = 8.0
EU_COMPENSATION = 40.0
UK_COMPENSATION_BANDS: tuple[tuple[float, float], ...] = ((10_000.0, 100.0), (1_000.0, 70.0))
UK_COMPENSATION_SMALL = 40.0
RATES_SHEET = "Reference rates"
CHARGE_COLUMNS: tuple[str, ...] = (
    "invoice", "customer", "due_date", "debt", "days", "reference_rate", "rate_percent",
    "interest", "compensation", "total", "regime", "explanation",
)


@dataclass(frozen=True)
class Charge:
    """What may be added to one late debt, and why.

    Attributes:
        interest: simple interest for the days late, rounded to the penny/cent.
        compensation: the fixed sum (statutory compensation or contractual fee).
        total: interest plus compensation.
        rate_percent: the annual rate charged (reference rate plus margin, or the contract rate).
        days: calendar days late (0 when not late).
        reference_rate: the central-bank rate used, or None for a contractual charge.
        regime: "uk", "eu" or "contract".
        explanation: one plain sentence to show the customer.
    """

    interest: float
    compensation: float
    total: float
    rate_percent: float
    days: int
    reference_rate: float | None
    regime: str
    explanation: str


def load_reference_rates(path: str | Path | None = None) -> pd.DataFrame:
    """Reference rates from a CSV (the packaged one by default), checked and typed."""
    if path is None:
        source = resources.files("dunning").joinpath("data", "reference_rates.csv")
        with source.open("r", encoding="utf-8") as handle:
            raw = pd.read_csv(handle, dtype=str, keep_default_na=False)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return normalise_rates(raw)


def normalise_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """A rates table with lower-case regimes, midnight dates and float rates; bad rows named.

    Row numbers in issues count the header as row 1, as a user sees a sheet or CSV.
    """
    missing = [name for name in RATE_COLUMNS[:3] if name not in rates.columns]
    if missing:
        raise DunningInputError([Issue(
            f"the reference-rate table needs columns {', '.join(RATE_COLUMNS[:3])}; "
            f"missing {', '.join(missing)}", sheet=RATES_SHEET)])
    regime = rates["regime"].astype(str).str.strip().str.lower()
    start = pd.to_datetime(rates["effective_from"], errors="coerce").dt.normalize()
    rate = pd.to_numeric(rates["rate_percent"], errors="coerce").astype(float)
    half_year = start.notna() & (start.dt.day == 1) & start.dt.month.isin([1, 7])
    issues = [
        Issue("expected a date on 1 January or 1 July (the start of a half-year)",
              sheet=RATES_SHEET, row=i + 2, column="effective_from",
              value=rates["effective_from"].iloc[i])
        for i in range(len(rates)) if not half_year.iloc[i]
    ]
    issues += [
        Issue("expected a rate in percent, such as 4.25", sheet=RATES_SHEET, row=i + 2,
              column="rate_percent", value=rates["rate_percent"].iloc[i])
        for i in range(len(rates)) if not math.isfinite(rate.iloc[i])
    ]
    if issues:
        raise DunningInputError(issues)
    source = rates["source"].astype(str) if "source" in rates.columns else ""
    return pd.DataFrame({"regime": regime, "effective_from": start, "rate_percent": rate,
                         "source": source}).reset_index(drop=True)


def half_year_start(day: DateLike) -> pd.Timestamp:
    """1 January or 1 July of the half-year containing `day`."""
    stamp = as_timestamp(day)
    return pd.Timestamp(stamp.year, 1 if stamp.month <= 6 else 7, 1)


def reference_rate_for(rates: pd.DataFrame, regime: str, due_date: DateLike) -> float:
    """The reference rate fixed for a debt: that of the half-year in which interest starts.

    Interest starts the day after the due date, so a debt due on 30 June takes the rate set
    for 1 July onwards. A half-year missing from the table is an error, never a guess.
    """
    start = half_year_start(as_timestamp(due_date) + pd.Timedelta(days=1))
    table = normalise_rates(rates)
    hit = table[(table["regime"] == regime) & (table["effective_from"] == start)]
    if hit.empty:
        raise DunningInputError([Issue(
            f"no {regime.upper()} reference rate for the half-year starting "
            f"{start:%d %B %Y}; add a row with regime {regime}, effective_from "
            f"{start:%Y-%m-%d} and the rate", sheet=RATES_SHEET)])
    return float(hit["rate_percent"].iloc[-1])


def uk_compensation(amount: float) -> float:
    """Fixed compensation by size of debt under the UK Act: 40, 70 or 100 pounds."""
    for floor, fixed in UK_COMPENSATION_BANDS:
        if amount >= floor:
            return fixed
    return UK_COMPENSATION_SMALL


def days_late(due_date: DateLike, paid_or_as_of: DateLike) -> int:
    """Calendar days from the due date to payment (or today); never negative."""
    return max((as_timestamp(paid_or_as_of) - as_timestamp(due_date)).days, 0)


def uk_late_payment(amount: float, due_date: DateLike, paid_or_as_of: DateLike,
                    rates: pd.DataFrame) -> Charge:
    """Statutory interest and compensation under the Late Payment of Commercial Debts Act 1998."""
    _check_amount(amount)
    days = days_late(due_date, paid_or_as_of)
    if days == 0:
        return _no_charge("uk")
    reference = reference_rate_for(rates, "uk", due_date)
    overdue = _overdue(amount, due_date, paid_or_as_of, days, "£")
    return _statutory("uk", amount, days, overdue, reference, STATUTORY_MARGIN,
                      uk_compensation(amount), "£", "the Bank of England reference rate")


def eu_late_payment(amount: float, due_date: DateLike, paid_or_as_of: DateLike,
                    rates: pd.DataFrame, *, margin_points: float = STATUTORY_MARGIN,
                    compensation: float = EU_COMPENSATION) -> Charge:
    """Interest and compensation under Directive 2011/7/EU, with the member state's margin."""
    _check_amount(amount)
    if margin_points < EU_MINIMUM_MARGIN:
        raise DunningInputError([Issue(
            f"the directive's margin is at least {EU_MINIMUM_MARGIN:g} points over the "
            "reference rate", column="margin_points", value=margin_points)])
    days = days_late(due_date, paid_or_as_of)
    if days == 0:
        return _no_charge("eu")
    reference = reference_rate_for(rates, "eu", due_date)
    overdue = _overdue(amount, due_date, paid_or_as_of, days, "€")
    return _statutory("eu", amount, days, overdue, reference, margin_points, compensation, "€",
                      "the ECB reference rate")


def contractual_charge(amount: float, due_date: DateLike, paid_or_as_of: DateLike, *,
                       annual_rate_percent: float, fixed_fee: float = 0.0,
                       day_count: int = 365) -> Charge:
    """Simple interest at an agreed annual rate, plus an agreed fixed fee."""
    _check_amount(amount)
    days = days_late(due_date, paid_or_as_of)
    if days == 0:
        return _no_charge("contract")
    interest = to_cents(amount * annual_rate_percent / 100 * days / day_count)
    fee = to_cents(fixed_fee)
    total = to_cents(interest + fee)
    fee_text = f", plus the agreed fee of {fee:,.2f}" if fee else ""
    explanation = (
        f"{_overdue(amount, due_date, paid_or_as_of, days, '')}, so interest at the agreed "
        f"{_pct(annual_rate_percent)} a year comes to {interest:,.2f}{fee_text}, "
        f"a total of {total:,.2f}.")
    return Charge(interest, fee, total, float(annual_rate_percent), days, None, "contract",
                  explanation)


def charges_for_ledger(frame: pd.DataFrame, as_of: DateLike, regime: str,
                       rates: pd.DataFrame | None = None, *,
                       margin_points: float = STATUTORY_MARGIN,
                       compensation: float = EU_COMPENSATION,
                       annual_rate_percent: float | None = None,
                       fixed_fee: float = 0.0) -> pd.DataFrame:
    """One row of charges per open invoice past its due date on `as_of`, indexed as `frame`.

    The debt is the invoice's open balance on `as_of`; credit notes, written-off items and
    items not yet due are left out. `rates` is needed for "uk" and "eu"; "contract" needs
    `annual_rate_percent`.
    """
    day = as_timestamp(as_of)
    balance = pd.Series(open_balance(frame, day), index=frame.index)
    late = ((balance > 0) & (frame["due_date"] < day) & ~frame["written_off"].astype(bool))
    charge = _charger(regime, rates, margin_points, compensation, annual_rate_percent,
                      fixed_fee)
    records = []
    for index in frame.index[late.to_numpy()]:
        item = charge(float(balance[index]), frame.at[index, "due_date"], day)
        records.append({
            "invoice": frame.at[index, "invoice"], "customer": frame.at[index, "customer"],
            "due_date": frame.at[index, "due_date"], "debt": float(balance[index]),
            "days": item.days, "reference_rate": item.reference_rate,
            "rate_percent": item.rate_percent, "interest": item.interest,
            "compensation": item.compensation, "total": item.total, "regime": item.regime,
            "explanation": item.explanation,
        })
    return pd.DataFrame(records, index=frame.index[late.to_numpy()], columns=list(CHARGE_COLUMNS))


def to_cents(value: float) -> float:
    """Round half-up to two decimals, on the decimal value a person would write down."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _charger(regime: str, rates: pd.DataFrame | None, margin_points: float,
             compensation: float, annual_rate_percent: float | None, fixed_fee: float):
    """The single-debt calculation for `regime`, with its settings bound."""
    if regime == "contract":
        if annual_rate_percent is None:
            raise DunningInputError([Issue("a contractual charge needs an annual rate",
                                           column="annual_rate_percent")])
        return lambda amount, due, day: contractual_charge(
            amount, due, day, annual_rate_percent=annual_rate_percent, fixed_fee=fixed_fee)
    if regime not in ("uk", "eu"):
        raise DunningInputError([Issue('the regime is "uk", "eu" or "contract"',
                                       column="regime", value=regime)])
    if rates is None:
        raise DunningInputError([Issue(f"the {regime.upper()} regime needs reference rates",
                                       sheet=RATES_SHEET)])
    table = normalise_rates(rates)
    if regime == "uk":
        return lambda amount, due, day: uk_late_payment(amount, due, day, table)
    return lambda amount, due, day: eu_late_payment(
        amount, due, day, table, margin_points=margin_points, compensation=compensation)


def _overdue(amount: float, due_date: DateLike, paid_or_as_of: DateLike, days: int,
             symbol: str) -> str:
    """'The debt of £3,000.00, due on 15 January 2026, was 60 days overdue on 16 March 2026'."""
    due, until = as_timestamp(due_date), as_timestamp(paid_or_as_of)
    return (f"The debt of {symbol}{amount:,.2f}, due on {due.day} {due:%B %Y}, was {days} "
            f"days overdue on {until.day} {until:%B %Y}")


def _statutory(regime: str, amount: float, days: int, overdue: str, reference: float,
               margin: float, compensation: float, symbol: str, reference_name: str) -> Charge:
    rate = reference + margin
    interest = to_cents(amount * rate / 100 * days / 365)
    fixed = to_cents(compensation)
    total = to_cents(interest + fixed)
    explanation = (
        f"{overdue}, so statutory interest at {_pct(rate)} a year ({_pct(margin)} over "
        f"{reference_name} of {_pct(reference)}) "
        f"comes to {symbol}{interest:,.2f}, plus fixed compensation of {symbol}{fixed:,.2f}, "
        f"a total of {symbol}{total:,.2f}.")
    return Charge(interest, fixed, total, rate, days, reference, regime, explanation)


def _no_charge(regime: str) -> Charge:
    return Charge(0.0, 0.0, 0.0, 0.0, 0, None, regime,
                  "The debt is not late, so no interest or compensation is due.")


def _check_amount(amount: float) -> None:
    if not (isinstance(amount, Real) and math.isfinite(amount) and amount >= 0):
        raise DunningInputError([Issue("expected a debt amount of zero or more",
                                       column="amount", value=amount)])


def _pct(value: float) -> str:
    """4.25 -> '4.25%', 8.0 -> '8%'."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"
