"""Disputes per invoice: which are open, since when, why, and which were resolved.

The register is built from the ContactLog and the ledger's Disputed flag with
the reminder policy's own rule (`dunning.core.policy`), so that an invoice the
policy pauses as "disputed" is exactly an invoice listed here as open (and
still owing). Pure core: pandas, numpy, the standard library and the core
modules only.

Conventions, decided once here:

- A log row applies to the invoices it names ("A, B" or "A; B"), each one the
  customer's in the ledger; a row naming none applies to every ledger item of
  the customer issued by the day it was logged.
- Of the rows that set an invoice's state (outcomes disputed, dispute
  resolved, promised to pay, payment sent, waiting for approval), the latest
  that applies decides, as in the policy: "disputed" opens a dispute (or
  continues one already open), any of the others ends it. So a dispute is
  resolved by "dispute resolved", and also by a later promise to pay, payment
  sent or approval about the invoice, which the policy reads as the customer
  no longer contesting it (closed_by says which). A later "disputed" reopens
  it with a new opened date. At equal timestamps a row naming the invoice wins
  over one naming none, then the later row in the log.
- The ledger's Disputed flag holds a dispute open whatever the log says (the
  policy pauses flagged items too). Its start is not known, so opened is NaT
  and age_days NaN unless the log's current dispute gives them.
- source says who holds the current dispute open: "contact log", "ledger
  flag" or "both"; a resolved dispute was the log's ("contact log").
- reason is the note of the dispute's first "disputed" row (or of the first of
  its rows that has one).
- age_days: days from opened to `as_of` for an open dispute, from opened to
  resolved for a resolved one.
- Paid invoices stay in the register with their status as logged and an open
  balance of 0: the history is worth keeping, and `open_disputes` leaves them
  out (a paid invoice is not chased either way), as it leaves out written-off
  invoices (the policy's first reason for those is "written off"). An invoice
  the log names but the ledger does not hold for that customer (a typo, or
  not imported yet) is listed with a blank balance, so it can be noticed.
- Log rows are dated in `time_zone` (the policy's default zone); rows dated
  after `as_of` are ignored. The ledger's flag is read as it is today.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dunning.core.aging import open_balances
from dunning.core.contactlog import STATE_OUTCOMES
from dunning.core.ledger import DateLike, Ledger, as_timestamp
from dunning.core.promises import ledger_frame, log_rows

DISPUTE_STATUSES = ("open", "resolved")
DISPUTE_SOURCES = ("contact log", "ledger flag", "both")
DISPUTE_COLUMNS = (
    "customer", "invoice", "status", "opened", "resolved", "reason", "age_days",
    "open_balance", "currency", "written_off", "source", "closed_by",
)


def dispute_register(
    log: pd.DataFrame | None,
    ledger: pd.DataFrame | Ledger,
    as_of: DateLike,
    *,
    time_zone: str = "UTC",
) -> pd.DataFrame:
    """One row per invoice that is or was disputed, by customer and invoice.

    Columns `DISPUTE_COLUMNS`: customer, invoice, status ("open" | "resolved"),
    opened, resolved (dates or NaT), reason, age_days (float, NaN when opened is
    unknown), open_balance (on `as_of`; NaN when the ledger lacks the invoice),
    currency, written_off (the ledger's flag), source ("contact log" | "ledger flag"
    | "both") and closed_by (the outcome that ended the dispute, "" while open).
    See the module docstring.
    """
    day = as_timestamp(as_of)
    items = _ledger_items(ledger_frame(ledger), day)
    episodes = _episodes(_events(log, items, day, time_zone))
    flagged = items.loc[items["disputed"] & (items["invoice_date"] <= day),
                        ["customer", "invoice"]]
    register = episodes.merge(flagged.assign(flag=True), on=["customer", "invoice"],
                              how="outer")
    if register.empty:
        return _empty()
    flag = register["flag"].fillna(False).astype(bool).to_numpy()
    logged = register["log_open"].fillna(False).astype(bool).to_numpy()
    in_log = register["log_open"].notna().to_numpy()
    is_open = flag | logged
    keep_log = logged | (in_log & ~flag)  # the log's dates describe the current dispute
    out = pd.DataFrame({
        "customer": register["customer"].to_numpy(dtype=object),
        "invoice": register["invoice"].to_numpy(dtype=object),
        "status": np.where(is_open, "open", "resolved").astype(object),
        "opened": register["opened"].where(keep_log),
        "resolved": register["resolved"].where(keep_log & ~is_open),
        "reason": register["reason"].where(keep_log, "").fillna("").to_numpy(dtype=object),
        "closed_by": register["closed_by"].where(keep_log & ~is_open, "").fillna("")
        .to_numpy(dtype=object),
        "source": np.select([flag & logged, flag], ["both", "ledger flag"], "contact log")
        .astype(object),
    })
    for name in ("opened", "resolved"):
        out[name] = pd.to_datetime(out[name]).astype("datetime64[ns]")
    end = out["resolved"].where(out["status"] == "resolved", day)
    out["age_days"] = (end - out["opened"]).dt.days.astype(float)
    balances = items.groupby(["customer", "invoice"], sort=False).agg(
        open_balance=("open_balance", "sum"), currency=("currency", "first"),
        written_off=("written_off", "any"))
    out = out.merge(balances.reset_index(), on=["customer", "invoice"], how="left")
    out["open_balance"] = out["open_balance"].astype(float).round(2)
    out["currency"] = out["currency"].fillna("").astype(str)
    out["written_off"] = out["written_off"].fillna(False).astype(bool)
    out = out.sort_values(["customer", "invoice"], kind="stable").reset_index(drop=True)
    return out.loc[:, list(DISPUTE_COLUMNS)]


def open_disputes(register: pd.DataFrame, *, chased_only: bool = True) -> pd.DataFrame:
    """The open disputes of a register; by default only those the policy pauses.

    With `chased_only` an invoice with a zero balance on the register's date,
    one written off, or one the ledger does not hold is left out: the policy
    would not chase it anyway, so the dispute holds nothing up.
    """
    keep = register["status"] == "open"
    if chased_only:
        keep &= (register["open_balance"].fillna(0).round(2) != 0) & ~register["written_off"]
    return register[keep].reset_index(drop=True)


def _ledger_items(frame: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    balance, _ = open_balances(frame, day)
    return pd.DataFrame({
        "customer": frame["customer"].astype(str).str.strip().to_numpy(dtype=object),
        "invoice": frame["invoice"].astype(str).str.strip().to_numpy(dtype=object),
        "invoice_date": frame["invoice_date"].to_numpy(dtype="datetime64[ns]"),
        "currency": frame["currency"].fillna("").astype(str).to_numpy(dtype=object),
        "disputed": frame["disputed"].fillna(False).astype(bool).to_numpy(),
        "written_off": frame["written_off"].fillna(False).astype(bool).to_numpy(),
        "open_balance": balance,
    })


def _events(log: pd.DataFrame | None, items: pd.DataFrame, day: pd.Timestamp,
            time_zone: str) -> pd.DataFrame:
    """One row per (log row, invoice it applies to), in the order the policy weighs them."""
    rows = log_rows(log, STATE_OUTCOMES, day, time_zone)
    columns = ["customer", "timestamp", "date", "order", "outcome", "note"]
    names_some = np.array([bool(names) for names in rows["names"]], dtype=bool)
    named = rows[names_some].explode("names").rename(columns={"names": "invoice"})
    named = named.loc[:, [*columns, "invoice"]].assign(named=1)
    wide = rows[~names_some].loc[:, columns]
    wide = wide.merge(items[["customer", "invoice", "invoice_date"]].drop_duplicates(),
                      on="customer")
    wide = wide[wide["invoice_date"] <= wide["date"]].drop(columns="invoice_date").assign(named=0)
    events = pd.concat([named, wide], ignore_index=True)
    disputed = events.loc[events["outcome"] == "disputed", ["customer", "invoice"]]
    events = events.merge(disputed.drop_duplicates(), on=["customer", "invoice"])
    return events.sort_values(["customer", "invoice", "timestamp", "named", "order"],
                              kind="stable")


def _episodes(events: pd.DataFrame) -> pd.DataFrame:
    """Per invoice, the latest dispute in the log: open or not, opened, resolved, reason."""
    records = []
    for (customer, invoice), group in events.groupby(["customer", "invoice"], sort=False):
        is_open, opened, resolved, reason, closed_by = False, pd.NaT, pd.NaT, "", ""
        for outcome, date, note in zip(group["outcome"], group["date"], group["note"],
                                       strict=True):
            if outcome == "disputed":
                if not is_open:
                    is_open, opened, resolved, reason, closed_by = True, date, pd.NaT, "", ""
                reason = reason or note
            elif is_open:
                is_open, resolved, closed_by = False, date, outcome
        records.append((customer, invoice, is_open, opened, resolved, reason, closed_by))
    return pd.DataFrame.from_records(records, columns=[
        "customer", "invoice", "log_open", "opened", "resolved", "reason", "closed_by"])


def _empty() -> pd.DataFrame:
    kinds = {"opened": "datetime64[ns]", "resolved": "datetime64[ns]", "age_days": float,
             "open_balance": float, "written_off": bool}
    return pd.DataFrame({name: pd.Series(dtype=kinds.get(name, object))
                         for name in DISPUTE_COLUMNS})
