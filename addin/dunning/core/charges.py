"""Late-payment charges on business debts: statutory interest and compensation, or a contract rate.

Three regimes, each giving a `Charge` an accountant can show a customer:

- ``"uk"``: Late Payment of Commercial Debts (Interest) Act 1998. Simple interest at 8 points
  over the Bank of England reference rate, plus fixed compensation of £40 (under £1,000),
  £70 (£1,000 to £9,999.99) or £100 (£10,000 or more). The reference rate is the base rate
  in force on 31 December (for interest starting to run 1 January to 30 June) or on 30 June
  (for 1 July to 31 December), and it stays fixed for the life of the debt.
- ``"eu"``: Late Payment Directive 2011/7/EU. The reference rate in force on the first
  calendar day of the half-year (for the euro area the ECB main refinancing rate, which the
  shipped table holds), plus a margin of at least 8 points that each member state sets, plus
  a fixed sum of at least 40 euro. As in Ireland's practice ("only one ECB rate will apply to
  a late payment"), the rate of the half-year in which interest starts is kept for the whole
  debt; states whose law moves the rate every half-year (Germany's § 288 BGB, the Netherlands)
  give a different figure for a debt late across 1 January or 1 July, and states with their
  own reference rate (Germany's Basiszinssatz, currencies other than the euro) need their
  rates in the workbook's Reference Rates table.
- ``"contract"``: an agreed annual rate and fixed fee.

Interest starts to run the day after the due date (Act s.4(2)), so the half-year that fixes
the rate is the one containing that day, and the days charged are the calendar days from the
due date to the date paid (or the date of the statement). Interest is simple and daily:
``amount * rate / 100 * days / 365``, rounded half-up to the penny or cent only at the end.
GOV.UK's own example instead rounds the daily interest to the penny and multiplies it by the
days; ``round_daily=True`` (setting "Round Daily Interest") does that.

Statutory charges are in the regime's currency (GBP for the UK Act, EUR for the directive);
items in another currency get none (a blank currency counts as the regime's). A contractual
charge is in the item's own currency.

Reference rates are data, not constants, and every calculation takes them as a DataFrame
(regime, effective_from, rate_percent, source; one row per half-year, ``effective_from``
being 1 January or 1 July). Where they come from, the shipped CSV, the user's own rates
file and the workbook's Reference Rates table, is `dunning.sheets.reference_rates`; this
module reads no file.
`missing_rate_warnings` says a month ahead when the next half-year has no rate yet.
`charge_settings_from_pairs` reads the Settings that switch charges on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real
from typing import Literal

import numpy as np
import pandas as pd

from dunning.core.errors import SETTINGS_SHEET, DunningInputError, Issue
from dunning.core.ledger import DateLike, as_timestamp, open_balance

Regime = Literal["uk", "eu", "contract"]
REGIMES: tuple[str, ...] = ("uk", "eu", "contract")
RATE_REGIMES: tuple[str, ...] = ("uk", "eu")
RATE_COLUMNS: tuple[str, ...] = ("regime", "effective_from", "rate_percent", "source")
STATUTORY_MARGIN = 8.0
EU_MINIMUM_MARGIN = 8.0
EU_COMPENSATION = 40.0
UK_COMPENSATION_BANDS: tuple[tuple[float, float], ...] = ((10_000.0, 100.0), (1_000.0, 70.0))
UK_COMPENSATION_SMALL = 40.0
REGIME_CURRENCY: Mapping[str, str] = {"uk": "GBP", "eu": "EUR"}
RATES_SHEET = "Reference Rates"
WARN_DAYS_AHEAD = 31
CHARGE_COLUMNS: tuple[str, ...] = (
    "invoice", "customer", "currency", "due_date", "debt", "days", "reference_rate",
    "rate_percent", "interest", "compensation", "total", "regime", "explanation",
)

CHARGE_SETTINGS: Mapping[str, str] = {
    "regime": "Late Payment Charges",
    "margin_points": "Statutory Margin",
    "contract_rate_percent": "Contract Rate %",
    "contract_fee": "Contract Fee",
    "eu_compensation": "EU Compensation",
    "round_daily": "Round Daily Interest",
}
"""The Settings rows that control charges (field -> setting name, as in the workbook)."""




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


@dataclass(frozen=True)
class ChargeSettings:
    """Which charges a workbook claims, read from its Settings by `charge_settings_from_pairs`.

    `margin_points` is the member state's margin for "eu" (8 for the UK Act, which fixes it);
    `contract_rate_percent` and `contract_fee` apply to "contract"; `eu_compensation` is the
    directive's fixed sum (at least 40). `round_daily` rounds the daily interest to the cent
    before multiplying by the days, as GOV.UK's worked example does.
    """

    regime: Regime
    margin_points: float = STATUTORY_MARGIN
    contract_rate_percent: float | None = None
    contract_fee: float = 0.0
    eu_compensation: float = EU_COMPENSATION
    round_daily: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.regime not in REGIMES:
            problems.append(("regime", 'expected "UK", "EU" or "Contract"', self.regime))
        if self.regime == "eu" and self.margin_points < EU_MINIMUM_MARGIN:
            problems.append(("margin_points", "the directive's margin is at least "
                             f"{EU_MINIMUM_MARGIN:g} points", self.margin_points))
        if self.regime == "uk" and self.margin_points != STATUTORY_MARGIN:
            problems.append(("margin_points", "the UK Act fixes the margin at 8 points",
                             self.margin_points))
        if self.regime == "contract" and self.contract_rate_percent is None:
            problems.append(("contract_rate_percent", "a contractual charge needs an annual "
                             "rate", None))
        if self.regime == "eu" and self.eu_compensation < EU_COMPENSATION:
            problems.append(("eu_compensation", "the directive's fixed sum is at least 40",
                             self.eu_compensation))
        if problems:
            raise DunningInputError([_setting_issue(key, message, value)
                                     for key, message, value in problems])

    @property
    def currency(self) -> str | None:
        """The currency statutory sums are in (GBP, EUR); None when any currency will do."""
        return REGIME_CURRENCY.get(self.regime)


# ------------------------------------------------------------------ reference rates


def empty_rates() -> pd.DataFrame:
    """A rates table with no rows, typed as `normalise_rates` returns one."""
    return pd.DataFrame({"regime": pd.Series([], dtype=object),
                         "effective_from": pd.Series([], dtype="datetime64[ns]"),
                         "rate_percent": pd.Series([], dtype=float),
                         "source": pd.Series([], dtype=object)})


def merge_rates(base: pd.DataFrame, over: pd.DataFrame) -> pd.DataFrame:
    """`base` with the rows of `over` laid on it: same regime and half-year replaced, rest added.

    Both are normalised tables; the result is sorted by regime and half-year.
    """
    keys = set(zip(over["regime"], over["effective_from"], strict=True))
    kept = [(regime, start) not in keys
            for regime, start in zip(base["regime"], base["effective_from"], strict=True)]
    parts = [part for part in (base[kept], over) if not part.empty]
    if not parts:
        return empty_rates()
    merged = pd.concat(parts, ignore_index=True)
    return merged.sort_values(["regime", "effective_from"], kind="stable").reset_index(drop=True)


def normalise_rates(rates: pd.DataFrame, *, sheet: str = RATES_SHEET,
                    first_row: int = 2) -> pd.DataFrame:
    """A rates table with lower-case regimes, midnight dates and float rates; bad rows named.

    Row numbers in issues start at `first_row` (2: the header is row 1, as a user sees a
    sheet or CSV).
    """
    missing = [name for name in RATE_COLUMNS[:3] if name not in rates.columns]
    if missing:
        raise DunningInputError([Issue(
            f"the reference-rate table needs columns {', '.join(RATE_COLUMNS[:3])}; "
            f"missing {', '.join(missing)}", sheet=sheet)])
    regime = rates["regime"].astype(str).str.strip().str.lower()
    start = pd.to_datetime(rates["effective_from"], errors="coerce").dt.normalize()
    rate = pd.to_numeric(rates["rate_percent"], errors="coerce").astype(float)
    half_year = start.notna() & (start.dt.day == 1) & start.dt.month.isin([1, 7])
    issues = [
        Issue('expected "uk" or "eu"', sheet=sheet, row=i + first_row, column="regime",
              value=rates["regime"].iloc[i])
        for i in range(len(rates)) if regime.iloc[i] not in RATE_REGIMES
    ]
    issues += [
        Issue("expected a date on 1 January or 1 July (the start of a half-year)",
              sheet=sheet, row=i + first_row, column="effective_from",
              value=rates["effective_from"].iloc[i])
        for i in range(len(rates)) if not half_year.iloc[i]
    ]
    issues += [
        Issue("expected a rate in percent, such as 4.25", sheet=sheet, row=i + first_row,
              column="rate_percent", value=rates["rate_percent"].iloc[i])
        for i in range(len(rates)) if not math.isfinite(rate.iloc[i])
    ]
    if issues:
        raise DunningInputError(sorted(issues, key=lambda issue: issue.row or 0))
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
    return _RateBook.of(rates).rate(regime, due_date)


def rate_fixing_day(regime: str, start: DateLike) -> pd.Timestamp:
    """The day whose central-bank rate is the reference rate of the half-year from `start`.

    "eu": the first calendar day of the half-year itself (1 January, 1 July); "uk": the day
    before it (31 December, 30 June), whose rate the Act applies to the half-year that follows.
    """
    first = half_year_start(start)
    return first - pd.Timedelta(days=1) if regime == "uk" else first


def missing_rate_warnings(rates: pd.DataFrame, as_of: DateLike, regimes: Iterable[str], *,
                          days_ahead: int = WARN_DAYS_AHEAD) -> list[Issue]:
    """Warnings that the rates table has no row for a half-year a run will soon need.

    For each regime in `regimes` that uses reference rates ("uk", "eu"; others are ignored):
    a warning when `as_of` is within `days_ahead` days before the next 1 January or 1 July
    and the table has no row for the half-year starting then, and one when the half-year
    `as_of` is in has no row (a run stops at a debt whose interest starts in it). Each says to run
    `dunning rates update`, which adds a half-year once it has begun.
    """
    day = as_timestamp(as_of).normalize()
    current = half_year_start(day)
    upcoming = current + pd.DateOffset(months=6)
    have = set(zip(rates["regime"], pd.to_datetime(rates["effective_from"]), strict=True))
    names = {"uk": "the Bank of England Bank Rate", "eu": "the ECB main refinancing rate"}
    issues: list[Issue] = []
    for regime in dict.fromkeys(str(regime).strip().lower() for regime in regimes):
        if regime not in RATE_REGIMES:
            continue
        fixing = rate_fixing_day(regime, upcoming)
        if (regime, current) not in have:
            issues.append(Issue(
                f"no {regime.upper()} reference rate for the half-year that began on "
                f"{_day(current)}: charges on debts falling due since "
                f"{_day(current - pd.Timedelta(days=1))} cannot be worked out until it is "
                "added; run `dunning rates update` (or add the row to the ReferenceRates "
                "table)", severity="warning"))
        left = (upcoming - day).days
        if left <= days_ahead and (regime, upcoming) not in have:
            issues.append(Issue(
                f"no {regime.upper()} reference rate yet for the half-year starting "
                f"{_day(upcoming)} (in {left} day{'s' if left != 1 else ''}): debts falling "
                f"due from {_day(upcoming - pd.Timedelta(days=1))} will need "
                f"{names[regime]} in force on {_day(fixing)}; run `dunning rates update` on "
                f"or after {_day(upcoming)}, once the half-year has begun",
                severity="warning"))
    return issues


def _day(stamp: pd.Timestamp) -> str:
    """'1 July 2026' (no zero-padded day, on every platform)."""
    return f"{stamp.day} {stamp:%B %Y}"


class _RateBook:
    """Rates by (regime, half-year start), built once per table rather than once per debt."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.rates = {(regime, start): float(rate) for regime, start, rate in zip(
            table["regime"], table["effective_from"], table["rate_percent"], strict=True)}

    @classmethod
    def of(cls, rates: pd.DataFrame | _RateBook) -> _RateBook:
        return rates if isinstance(rates, _RateBook) else cls(normalise_rates(rates))

    def rate(self, regime: str, due_date: DateLike) -> float:
        start = half_year_start(as_timestamp(due_date) + pd.Timedelta(days=1))
        found = self.rates.get((regime, start))
        if found is None:
            raise DunningInputError([Issue(
                f"no {regime.upper()} reference rate for the half-year starting "
                f"{start:%d %B %Y}: add a row to the ReferenceRates table (Settings sheet) "
                f"with Regime {regime}, Effective From {start:%Y-%m-%d} and the Rate % in "
                "force that day", sheet=RATES_SHEET)])
        return found


# ------------------------------------------------------------------ one debt


def uk_compensation(amount: float) -> float:
    """Fixed compensation by size of debt under the UK Act: 40, 70 or 100 pounds."""
    for floor, fixed in UK_COMPENSATION_BANDS:
        if amount >= floor:
            return fixed
    return UK_COMPENSATION_SMALL


def days_late(due_date: DateLike, paid_or_as_of: DateLike) -> int:
    """Calendar days from the due date to payment (or today); never negative."""
    return max((as_timestamp(paid_or_as_of) - as_timestamp(due_date)).days, 0)


def simple_interest(amount: float, rate_percent: float, days: int, *, day_count: int = 365,
                    round_daily: bool = False) -> float:
    """Simple interest rounded to the cent: once at the end, or per day first (GOV.UK's way)."""
    if round_daily:
        return to_cents(to_cents(amount * rate_percent / 100 / day_count) * days)
    return to_cents(amount * rate_percent / 100 * days / day_count)


def uk_late_payment(amount: float, due_date: DateLike, paid_or_as_of: DateLike,
                    rates: pd.DataFrame, *, round_daily: bool = False) -> Charge:
    """Statutory interest and compensation under the Late Payment of Commercial Debts Act 1998."""
    _check_amount(amount)
    days = days_late(due_date, paid_or_as_of)
    if days == 0:
        return _no_charge("uk")
    reference = _RateBook.of(rates).rate("uk", due_date)
    overdue = _overdue(amount, due_date, paid_or_as_of, days, "£")
    return _statutory("uk", amount, days, overdue, reference, STATUTORY_MARGIN,
                      uk_compensation(amount), "£", "the Bank of England reference rate",
                      round_daily)


def eu_late_payment(amount: float, due_date: DateLike, paid_or_as_of: DateLike,
                    rates: pd.DataFrame, *, margin_points: float = STATUTORY_MARGIN,
                    compensation: float = EU_COMPENSATION, round_daily: bool = False) -> Charge:
    """Interest and compensation under Directive 2011/7/EU, with the member state's margin."""
    _check_amount(amount)
    if margin_points < EU_MINIMUM_MARGIN:
        raise DunningInputError([Issue(
            f"the directive's margin is at least {EU_MINIMUM_MARGIN:g} points over the "
            "reference rate", column="margin_points", value=margin_points)])
    days = days_late(due_date, paid_or_as_of)
    if days == 0:
        return _no_charge("eu")
    reference = _RateBook.of(rates).rate("eu", due_date)
    overdue = _overdue(amount, due_date, paid_or_as_of, days, "€")
    return _statutory("eu", amount, days, overdue, reference, margin_points, compensation, "€",
                      "the reference rate", round_daily)


def contractual_charge(amount: float, due_date: DateLike, paid_or_as_of: DateLike, *,
                       annual_rate_percent: float, fixed_fee: float = 0.0,
                       day_count: int = 365, round_daily: bool = False) -> Charge:
    """Simple interest at an agreed annual rate, plus an agreed fixed fee."""
    _check_amount(amount)
    days = days_late(due_date, paid_or_as_of)
    if days == 0:
        return _no_charge("contract")
    interest = simple_interest(amount, annual_rate_percent, days, day_count=day_count,
                               round_daily=round_daily)
    fee = to_cents(fixed_fee)
    total = to_cents(interest + fee)
    fee_text = f", plus the agreed fee of {fee:,.2f}" if fee else ""
    explanation = (
        f"{_overdue(amount, due_date, paid_or_as_of, days, '')}, so interest at the agreed "
        f"{_pct(annual_rate_percent)} a year comes to {interest:,.2f}{fee_text}, "
        f"a total of {total:,.2f}.")
    return Charge(interest, fee, total, float(annual_rate_percent), days, None, "contract",
                  explanation)


# ------------------------------------------------------------------ many debts


def charges_for_ledger(frame: pd.DataFrame, as_of: DateLike, regime: str,
                       rates: pd.DataFrame | None = None, *,
                       margin_points: float = STATUTORY_MARGIN,
                       compensation: float = EU_COMPENSATION,
                       annual_rate_percent: float | None = None,
                       fixed_fee: float = 0.0, round_daily: bool = False) -> pd.DataFrame:
    """One row of charges per open invoice past its due date on `as_of`, indexed as `frame`.

    The debt is the invoice's open balance on `as_of`; credit notes, written-off items,
    items not yet due and (for "uk" and "eu") items in another currency are left out.
    `rates` is needed for "uk" and "eu"; "contract" needs `annual_rate_percent`.
    """
    day = as_timestamp(as_of)
    balance = pd.Series(open_balance(frame, day), index=frame.index)
    late = ~frame["written_off"].fillna(False).astype(bool)
    charge = _charger(regime, rates, margin_points, compensation, annual_rate_percent,
                      fixed_fee, round_daily)
    return _charges(frame, balance, late, day, charge, REGIME_CURRENCY.get(regime))


def charges_for_items(items: pd.DataFrame, as_of: DateLike, settings: ChargeSettings,
                      rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Charges for the reminder's items (`dunning.core.policy.Decisions.items`), indexed as `items`.

    Each open item past due on `as_of` with a positive `open_balance` gets one row of
    `CHARGE_COLUMNS`; `rates` defaults to the shipped table (pass `reference_rates_from_rows`
    to use the workbook's). This is what
    `dunning.render.messages.render_messages(charges=...)` takes.
    """
    day = as_timestamp(as_of)
    balance = pd.to_numeric(items["open_balance"], errors="coerce").fillna(0.0)
    charge = _charger(settings.regime, rates, settings.margin_points, settings.eu_compensation,
                      settings.contract_rate_percent, settings.contract_fee,
                      settings.round_daily)
    return _charges(items, balance, pd.Series(True, index=items.index), day, charge,
                    settings.currency)


def _charges(frame: pd.DataFrame, balance: pd.Series, eligible: pd.Series, day: pd.Timestamp,
             charge: Callable[[float, pd.Timestamp, pd.Timestamp], Charge],
             currency: str | None) -> pd.DataFrame:
    """The rows of `frame` that are late on `day`, charged; shared by ledger and items."""
    due = pd.to_datetime(frame["due_date"], errors="coerce")
    codes = (frame["currency"].astype(object).fillna("").astype(str).str.strip().str.upper()
             if "currency" in frame.columns else pd.Series("", index=frame.index))
    in_currency = (codes == "") | (codes == currency) if currency else pd.Series(
        True, index=frame.index)
    late = (balance > 0) & (due < day) & eligible & in_currency
    records = []
    chosen = frame.index[late.to_numpy()]
    for index in chosen:
        debt = float(balance[index])
        item = charge(debt, due[index], day)
        records.append({
            "invoice": frame.at[index, "invoice"], "customer": frame.at[index, "customer"],
            "currency": codes[index] or (currency or ""), "due_date": due[index],
            "debt": debt, "days": item.days, "reference_rate": item.reference_rate,
            "rate_percent": item.rate_percent, "interest": item.interest,
            "compensation": item.compensation, "total": item.total, "regime": item.regime,
            "explanation": item.explanation,
        })
    return pd.DataFrame(records, index=chosen, columns=list(CHARGE_COLUMNS))


def _charger(regime: str, rates: pd.DataFrame | None, margin_points: float,
             compensation: float, annual_rate_percent: float | None, fixed_fee: float,
             round_daily: bool) -> Callable[[float, pd.Timestamp, pd.Timestamp], Charge]:
    """The single-debt calculation for `regime`, with its settings bound."""
    if regime == "contract":
        if annual_rate_percent is None:
            raise DunningInputError([Issue("a contractual charge needs an annual rate",
                                           column="annual_rate_percent")])
        rate = annual_rate_percent
        return lambda amount, due, day: contractual_charge(
            amount, due, day, annual_rate_percent=rate, fixed_fee=fixed_fee,
            round_daily=round_daily)
    if regime not in RATE_REGIMES:
        raise DunningInputError([Issue('the regime is "uk", "eu" or "contract"',
                                       column="regime", value=regime)])
    if rates is None:
        raise DunningInputError([Issue(f"the {regime.upper()} regime needs reference rates",
                                       sheet=RATES_SHEET)])
    book = _RateBook.of(rates)
    if regime == "uk":
        return lambda amount, due, day: uk_late_payment(
            amount, due, day, book, round_daily=round_daily)  # type: ignore[arg-type]
    return lambda amount, due, day: eu_late_payment(
        amount, due, day, book, margin_points=margin_points,  # type: ignore[arg-type]
        compensation=compensation, round_daily=round_daily)


# ------------------------------------------------------------------ settings


def charge_settings_from_pairs(values: Mapping[str, object]) -> ChargeSettings | None:
    """The charges a workbook claims, from its typed charge settings; None when off.

    `values` maps `ChargeSettings`' field names to values already read and checked; a
    missing or None one takes the default, and a blank or missing "regime" means no
    charges. The core reads no (Setting, Value) pairs: `dunning.sheets.settings` reads the
    Settings rows ("Late Payment Charges", "Statutory Margin", "Contract Rate %", "Contract
    Fee", "EU Compensation", "Round Daily Interest": percent cells, ranges, which rows each
    regime uses) into these (`WorkbookSettings.charges`). What stays here are the rules
    between them: `ChargeSettings` raises `DunningInputError`, naming the setting, for a
    margin the UK Act or the directive does not allow or a contract without a rate.
    """
    if not values.get("regime"):
        return None
    fields = {name: value for name, value in values.items() if value is not None}
    return ChargeSettings(**fields)  # type: ignore[arg-type]


def _setting_issue(key: str, message: str, value: object = None) -> Issue:
    return Issue(f"setting {CHARGE_SETTINGS.get(key, key)!r}: {message}", sheet=SETTINGS_SHEET,
                 column="Value", value=value)


MAX_PERCENT = 1000.0
"""No rate or margin reaches 1,000% a year (Argentina's policy rate peaked near 133%): a
larger number is a slip of the keyboard, and 1e308 would overflow the decimal arithmetic."""


def percent_or_none(value: object) -> float | None:
    """8, 8.0, "8", "8%", "8,5 %" -> a number of percent; None when it is not one (nor when
    it is `MAX_PERCENT` or more either way)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    else:
        text = str(value).strip().rstrip("%").strip().replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) and abs(number) < MAX_PERCENT else None


def blank_cells(values: np.ndarray) -> np.ndarray:
    return np.array([value is None or (isinstance(value, float) and math.isnan(value))
                     or (isinstance(value, str) and not value.strip()) for value in values],
                    dtype=bool)


# ------------------------------------------------------------------ helpers


def to_cents(value: float) -> float:
    """Round half-up to two decimals, on the decimal value a person would write down."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _overdue(amount: float, due_date: DateLike, paid_or_as_of: DateLike, days: int,
             symbol: str) -> str:
    """'The debt of £3,000.00, due on 15 January 2026, was 60 days overdue on 16 March 2026'."""
    due, until = as_timestamp(due_date), as_timestamp(paid_or_as_of)
    unit = "day" if days == 1 else "days"
    return (f"The debt of {symbol}{amount:,.2f}, due on {due.day} {due:%B %Y}, was {days} "
            f"{unit} overdue on {until.day} {until:%B %Y}")


def _statutory(regime: str, amount: float, days: int, overdue: str, reference: float,
               margin: float, compensation: float, symbol: str, reference_name: str,
               round_daily: bool) -> Charge:
    rate = reference + margin
    interest = simple_interest(amount, rate, days, round_daily=round_daily)
    fixed = to_cents(compensation)
    total = to_cents(interest + fixed)
    daily = (f" ({symbol}{to_cents(amount * rate / 100 / 365):,.2f} a day for {days} days)"
             if round_daily else "")
    explanation = (
        f"{overdue}, so statutory interest at {_pct(rate)} a year ({_pct(margin)[:-1]} "
        f"percentage points over {reference_name} of {_pct(reference)}) "
        f"comes to {symbol}{interest:,.2f}{daily}, plus fixed compensation of "
        f"{symbol}{fixed:,.2f}, a total of {symbol}{total:,.2f}.")
    return Charge(interest, fixed, total, round(rate, 6), days, reference, regime, explanation)


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
