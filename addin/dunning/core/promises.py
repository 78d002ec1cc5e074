"""Promises to pay, judged from the ledger: kept, partly kept, broken or still pending.

A promise is a ContactLog row with outcome "promised to pay". What was paid
since is read from the ledger's open amounts, because the ledger is the only
record of money received the workbook keeps: paid = the covered balance when
the promise was made minus the same items' balance on `as_of`. Pure core:
pandas, numpy, the standard library and the core modules only.

Conventions, decided once here:

- What a promise covers: the invoices its row names ("A, B" or "A; B"), looked
  up among the customer's ledger items; a row naming none covers every item of
  the customer open on the day it was logged (items issued later are new debt,
  not part of the promise). The policy applies the row to the same invoices.
- balance_then is the row's Open Balance, recorded when the promise was logged.
  It is recorded because the ledger cannot tell it afterwards: the dates of
  partial payments are unknown, so `dunning.core.ledger.open_balance` counts a
  partly paid, still open item at what is open today, and a part payment made
  after the promise would vanish from the estimate. Older rows without it are
  judged from that estimate (`estimated` True): the covered items' balance at
  the start of the logging day (an item settled that day counts as still open
  then, since a promise is logged before the money arrives).
- paid = max(balance_then - balance_now, 0), rounded to the cent. Any fall in
  the covered balance counts: payments, credit notes and write-offs alike;
  payments toward other invoices do not.
- promised is the Promise Amount, or balance_then when it was left blank.
- Status on `as_of`: "kept" once paid reaches what was promised (less
  `tolerance`), whenever that happened; a promise larger than the balance it
  covered is kept once that balance is cleared, as nothing more can be paid
  against it. Otherwise "pending" while the promise date plus `grace_days` has
  not passed (the policy holds the items up to and including the promise
  date), then "partly kept" when more than `tolerance` was paid and "broken"
  when nothing was. days_overdue counts the days since the promise date for
  broken and partly kept promises (0 otherwise).
- "unknown" when the ledger cannot judge the promise, with the reason in
  `note`: no promise date; a named invoice the ledger does not hold for that
  customer; nothing of the customer's open when it was logged; or covered items
  in several currencies. Amounts in different currencies cannot be added, and
  a promise amount carries no currency to split it by, so judging per currency
  would invent figures; a promise in one currency is judged normally, and a
  blank currency code counts as the other items' code (as in
  `dunning.core.ledger.single_currency`).
- superseded: every invoice the promise covers is covered by a later promise
  of the same customer (a later row naming no invoices covers them all). Like
  the policy, the latest promise about an invoice is the one that counts.
- Log rows are dated in `time_zone` (the policy's default zone; timestamps are
  naive UTC); rows dated after `as_of` are ignored, so a past day can be
  replayed.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from dunning.core.aging import open_balances
from dunning.core.errors import DunningInputError, Issue
from dunning.core.ledger import DateLike, Ledger, as_timestamp, open_balance
from dunning.core.parse import column_or, stripped_texts

PROMISE_OUTCOME = "promised to pay"
PROMISE_STATUSES = ("pending", "kept", "partly kept", "broken", "unknown")
PROMISE_COLUMNS = (
    "customer", "logged", "invoices", "promise_date", "promised", "balance_then",
    "balance_now", "paid", "status", "days_overdue", "superseded", "currency", "estimated",
    "note",
)
_SEPARATORS = re.compile(r"[,;]")


def invoice_names(text: object) -> tuple[str, ...]:
    """The invoices a log or sheet cell names ("A, B" or "A; B"), split the policy's way."""
    if text is None or (isinstance(text, float) and text != text):
        return ()
    names = (name.strip() for name in _SEPARATORS.split(str(text)))
    return tuple(dict.fromkeys(name for name in names if name))


def ledger_frame(ledger: pd.DataFrame | Ledger) -> pd.DataFrame:
    """The ledger frame, whether given as a `Ledger` or its frame."""
    return ledger.frame if isinstance(ledger, Ledger) else ledger


def log_rows(log: pd.DataFrame | None, outcomes: tuple[str, ...], as_of: pd.Timestamp,
             time_zone: str = "UTC") -> pd.DataFrame:
    """Log rows with one of `outcomes`, dated (in `time_zone`) up to `as_of`, in log order.

    Adds `date` (the local day), `order` (position in the log) and `names` (tuple).
    """
    zone = _zone(time_zone)
    log = pd.DataFrame() if log is None else log
    rows = pd.DataFrame({
        "timestamp": pd.to_datetime(column_or(log, "timestamp", pd.NaT)),
        "customer": stripped_texts(column_or(log, "customer", "")),
        "invoices": stripped_texts(column_or(log, "invoices", "")),
        "outcome": stripped_texts(column_or(log, "outcome", "")).str.lower(),
        "promise_date": pd.to_datetime(column_or(log, "promise_date", pd.NaT)).dt.normalize(),
        "promise_amount": pd.to_numeric(column_or(log, "promise_amount", np.nan), errors="coerce"),
        "open_balance": pd.to_numeric(column_or(log, "open_balance", np.nan), errors="coerce"),
        "note": stripped_texts(column_or(log, "note", "")),
    })
    if rows["timestamp"].dt.tz is not None:
        rows["timestamp"] = rows["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
    rows["order"] = np.arange(len(rows))
    rows = rows[rows["timestamp"].notna() & (rows["customer"] != "")
                & rows["outcome"].isin(outcomes)]
    local = rows["timestamp"].dt.tz_localize("UTC").dt.tz_convert(zone)
    rows = rows.assign(date=local.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]"))
    rows = rows[rows["date"] <= as_of]
    rows = rows.assign(names=rows["invoices"].map(invoice_names))
    return rows.sort_values(["timestamp", "order"], kind="stable").reset_index(drop=True)


def promise_outcomes(
    log: pd.DataFrame | None,
    ledger: pd.DataFrame | Ledger,
    as_of: DateLike,
    *,
    grace_days: int = 0,
    tolerance: float = 0.005,
    time_zone: str = "UTC",
) -> pd.DataFrame:
    """One row per promise to pay logged up to `as_of`, judged from the ledger.

    Columns `PROMISE_COLUMNS`: customer, logged (the row's timestamp), invoices (as
    logged), promise_date, promised, balance_then, balance_now, paid, status
    (`PROMISE_STATUSES`), days_overdue, superseded, currency (of the covered items),
    estimated (balance_then from the ledger, not recorded), note (why "unknown").
    Sorted by customer and time logged. See the module docstring for the rules.
    """
    if grace_days < 0 or tolerance < 0:
        raise DunningInputError([Issue("grace days and tolerance cannot be negative",
                                       value=(grace_days, tolerance))])
    day = as_timestamp(as_of)
    frame = ledger_frame(ledger)
    promises = log_rows(log, (PROMISE_OUTCOME,), day, time_zone)
    if promises.empty:
        return _empty()
    judge = _Judge(frame, day, grace_days, tolerance)
    records = [judge.promise(row) for row in promises.itertuples(index=False)]
    out = pd.DataFrame.from_records([record for record, _ in records],
                                    columns=list(PROMISE_COLUMNS))
    out["superseded"] = _superseded(promises, [covered for _, covered in records])
    out["days_overdue"] = out["days_overdue"].astype("int64")
    out["estimated"] = out["estimated"].astype(bool)
    for name in ("promised", "balance_then", "balance_now", "paid"):
        out[name] = out[name].astype(float)
    out = out.sort_values(["customer", "logged"], kind="stable")
    return out.reset_index(drop=True)


def latest_promise_by_customer(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Each customer's latest promise that no later one replaced, by customer."""
    current = outcomes[~outcomes["superseded"].astype(bool)]
    current = current.sort_values(["customer", "logged"], kind="stable")
    return current.drop_duplicates("customer", keep="last").reset_index(drop=True)


class _Judge:
    """Judges promise rows against one ledger on one day; items are looked up by customer."""

    def __init__(self, frame: pd.DataFrame, day: pd.Timestamp, grace_days: int,
                 tolerance: float) -> None:
        self.frame = frame
        self.day = day
        self.grace = pd.Timedelta(days=grace_days)
        self.tolerance = tolerance
        self.now, _ = open_balances(frame, day)
        customers = frame["customer"].astype(str).str.strip().to_numpy(dtype=object)
        self.by_customer = pd.Series(np.arange(len(frame))).groupby(customers).indices

    def promise(self, row: object) -> tuple[dict[str, object], frozenset[str]]:
        """The judged row, and the invoices it covers (for superseding)."""
        positions = self.by_customer.get(row.customer, np.array([], dtype="int64"))
        items = self.frame.iloc[positions]
        then = _balance_when_logged(items, row.date)
        covered, names, note = _covered(row, items, then)
        codes = sorted({code for code in items["currency"].astype(str)[covered] if code})
        if pd.isna(row.promise_date):
            note = "no promise date logged"
        elif len(codes) > 1:
            note = (f"items in several currencies ({', '.join(codes)}) cannot be added up; "
                    "log one promise per currency")
        recorded = not pd.isna(row.open_balance)
        balance_then = round(float(row.open_balance), 2) if recorded else (
            np.nan if note else round(float(then[covered].sum()), 2))
        promised = row.promise_amount if not pd.isna(row.promise_amount) else balance_then
        record = {
            "customer": row.customer, "logged": row.timestamp, "invoices": row.invoices,
            "promise_date": row.promise_date, "promised": round(float(promised), 2),
            "balance_then": balance_then, "balance_now": np.nan, "paid": np.nan,
            "status": "unknown", "days_overdue": 0, "superseded": False,
            "currency": ", ".join(codes), "estimated": not recorded, "note": note,
        }
        if note:
            return record, names
        balance_now = round(float(self.now[positions][covered].sum()), 2)
        paid = round(max(balance_then - balance_now, 0.0), 2)
        status = self._status(record["promised"], balance_then, paid, row.promise_date)
        overdue = (self.day - row.promise_date).days if status in ("broken",
                                                                    "partly kept") else 0
        record.update(balance_now=balance_now, paid=paid, status=status, days_overdue=overdue)
        return record, names

    def _status(self, promised: float, balance_then: float, paid: float,
                promise_date: pd.Timestamp) -> str:
        owed = min(promised, max(balance_then, 0.0))
        if paid >= owed - self.tolerance:
            return "kept"
        if promise_date + self.grace >= self.day:
            return "pending"
        return "partly kept" if paid > self.tolerance else "broken"


def _covered(row: object, items: pd.DataFrame,
             then: np.ndarray) -> tuple[np.ndarray, frozenset[str], str]:
    """Which of the customer's items the promise covers, their names, and what is amiss."""
    invoices = items["invoice"].astype(str).str.strip()
    if row.names:
        covered = invoices.isin(row.names).to_numpy()
        found = set(invoices[covered])
        missing = [name for name in row.names if name not in found]
        note = f"not in the ledger for {row.customer}: {', '.join(missing)}" if missing else ""
        return covered, frozenset(row.names), note
    covered = then != 0
    note = "" if covered.any() else "nothing of the customer's was open when logged"
    return covered, frozenset(invoices[covered]), note


def _balance_when_logged(items: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Each item's balance, to the cent, at the start of the logging day (see the docstring)."""
    balance = open_balance(items, day)
    settled_that_day = ((items["settled_date"] == day) & (items["invoice_date"] <= day)).to_numpy()
    amount = items["amount"].to_numpy(dtype=float)
    return np.round(np.where(settled_that_day, amount, balance), 2)


def _superseded(promises: pd.DataFrame, covered: list[frozenset[str]]) -> np.ndarray:
    """True where later promises of the same customer cover every invoice this one covers."""
    result = np.zeros(len(promises), dtype=bool)
    for _, group in promises.groupby("customer", sort=False):
        positions = group.index.to_numpy()  # in time order: `promises` is sorted
        later_names: set[str] = set()
        later_wide = False
        for position in positions[::-1]:
            has_later = later_wide or bool(later_names)
            result[position] = has_later and (later_wide or covered[position] <= later_names)
            if promises.at[position, "names"]:
                later_names |= set(promises.at[position, "names"])
            else:
                later_wide = True
    return result


def _empty() -> pd.DataFrame:
    kinds = {"logged": "datetime64[ns]", "promise_date": "datetime64[ns]", "promised": float,
             "balance_then": float, "balance_now": float, "paid": float,
             "days_overdue": "int64", "superseded": bool, "estimated": bool}
    return pd.DataFrame({name: pd.Series(dtype=kinds.get(name, object))
                         for name in PROMISE_COLUMNS})


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DunningInputError([Issue(f"unknown time zone {name!r}: expected a name such as "
                                       "Europe/Berlin", value=name)]) from None


