"""The firm's view: many clients' figures rolled up, one row per client and currency.

Pure: each client's ledger, worklist and contact log arrive as DataFrames (read in
`dunning.app.portfolio`, in parallel processes), and the roll-up leaves as DataFrames.
The figures are the ones `dunning aging` and `dunning kpis` give for that client
(`dunning.core.ledger_kpis.all_kpis`, per currency), so a portfolio row and the
client's own report always agree. Amounts in different currencies are never added:
a client owing in two currencies has two rows, and the totals are per currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from dunning.core.kpi_history import HISTORY_HEADERS, merge_history
from dunning.core.kpis import NotDefined
from dunning.core.ledger_kpis import all_kpis

RUN_OUTCOMES = ("sent", "failed", "handed off", "promise broken")
"""ContactLog outcomes a reminder run writes: the trace of the last run."""
PROBLEMS_SHOWN = 3
CLIENT_COLUMNS: tuple[str, ...] = (
    "client", "file", "currency", "open_receivables", "past_due", "percent_past_due", "dso",
    "cei", "worklist", "broken_promises", "last_run", "last_run_status", "problems", "error",
)
HISTORY_COLUMNS: tuple[str, ...] = ("client", "file", "currency", "as_of", "dso", "cei")
"""A client's KPIHistory rows as the portfolio charts them (CEI as a fraction, as recorded)."""
WORKLIST_COLUMNS: tuple[str, ...] = (
    "client", "rank", "customer", "name", "score", "currency", "open_balance", "reason",
    "reminder", "reasons",
)


@dataclass(frozen=True)
class ClientFigures:
    """What one client's workbook gave: its ledger (all currencies), today's worklist, its
    ContactLog, the sends its journal holds in doubt and those it shows sent but the
    ContactLog does not (`unlogged`: a save refused after sending), the problems met, and
    the rows of its KPIHistory table as read (what its refreshes recorded over time).
    `error` says why the workbook could not be read (the frames are then None)."""

    client: str
    file: str
    ledger: pd.DataFrame | None = None
    worklist: pd.DataFrame | None = None
    log: pd.DataFrame | None = None
    in_doubt: int = 0
    unlogged: int = 0
    problems: tuple[str, ...] = ()
    error: str = ""
    history: tuple[tuple[object, ...], ...] = ()


@dataclass(frozen=True)
class Portfolio:
    """The roll-up: clients (one row per client and currency), totals per currency, the
    combined worklist across clients, most urgent first, and each client's DSO and CEI
    over time from its KPIHistory (`HISTORY_COLUMNS`, up to the as-of date)."""

    clients: pd.DataFrame
    totals: pd.DataFrame
    worklist: pd.DataFrame
    failed: tuple[str, ...] = field(default=())
    history: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(HISTORY_COLUMNS)))


def roll_up(clients: Sequence[ClientFigures], as_of: dt.date, *, days: int = 365) -> Portfolio:
    """Each client's figures as of `as_of` (KPIs over the `days` up to it)."""
    rows = [row for client in clients for row in client_rows(client, as_of, days=days)]
    table = pd.DataFrame.from_records(rows, columns=list(CLIENT_COLUMNS))
    return Portfolio(clients=table, totals=currency_totals(table),
                     worklist=combined_worklist(clients),
                     failed=tuple(c.file for c in clients if c.error),
                     history=history_over_time(clients, as_of))


def history_over_time(clients: Sequence[ClientFigures], as_of: dt.date) -> pd.DataFrame:
    """Each client's recorded DSO and CEI by currency and date, up to `as_of` (a history row
    for a later day is not shown on a portfolio of an earlier one); rows without a date
    that can be read are left out, as the client's own charts leave them out."""
    rows = []
    dso, cei = HISTORY_HEADERS.index("DSO"), HISTORY_HEADERS.index("CEI Last 30 Days")
    for client in clients:
        if client.error:
            continue
        for row in merge_history(client.history, []):
            day = row[0]
            if not isinstance(day, dt.date) or day > as_of:
                continue
            rows.append({"client": client.client, "file": client.file,
                         "currency": str(row[1] or ""), "as_of": day,
                         "dso": _optional(row[dso]), "cei": _optional(row[cei])})
    table = pd.DataFrame.from_records(rows, columns=list(HISTORY_COLUMNS))
    return table.sort_values(["currency", "file", "as_of"], kind="stable").reset_index(drop=True)


def client_rows(client: ClientFigures, as_of: dt.date, *, days: int = 365) -> list[dict]:
    """One row per currency the client has items in (one row with its error when it could
    not be read, one row of zeros when it has no items)."""
    base = {"client": client.client, "file": client.file, "error": client.error,
            "problems": problem_text(client)}
    if client.error or client.ledger is None:
        return [{**base, "currency": ""}]
    worklist = client.worklist if client.worklist is not None else pd.DataFrame()
    last, status = last_run(client.log, in_doubt=client.in_doubt, unlogged=client.unlogged)
    common = {**base, "worklist": len(worklist),
              "broken_promises": int((worklist["broken_promise"] > 0).sum())
              if "broken_promise" in worklist else 0,
              "last_run": last, "last_run_status": status}
    ledger = client.ledger
    groups = list(ledger.groupby("currency", sort=True)) if len(ledger) else []
    if not groups:
        return [{**common, "currency": "", "open_receivables": 0.0, "past_due": 0.0}]
    rows = []
    for currency, items in groups:
        figures = all_kpis(items, as_of, days=days)
        rows.append({**common, "currency": str(currency),
                     "open_receivables": _cents(figures["receivables"]),
                     "past_due": _cents(figures["past_due_receivables"]),
                     "percent_past_due": _number(figures["percent_past_due"]),
                     "dso": _number(figures["dso"]), "cei": _number(figures["cei"])})
    return rows


def currency_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Open receivables and past due added up per currency, over the clients read."""
    read = table[(table["error"] == "") & (table["currency"] != "")]
    totals = read.groupby("currency", sort=True).agg(
        clients=("file", "nunique"), open_receivables=("open_receivables", "sum"),
        past_due=("past_due", "sum")).reset_index()
    totals["open_receivables"] = totals["open_receivables"].round(2)
    totals["past_due"] = totals["past_due"].round(2)
    share = totals["past_due"] / totals["open_receivables"].where(totals["open_receivables"] != 0)
    totals["percent_past_due"] = (share * 100).round(4)
    return totals


def combined_worklist(clients: Sequence[ClientFigures]) -> pd.DataFrame:
    """Every client's worklist in one, highest score first (ties: client, then its rank)."""
    rows = []
    for client in clients:
        if client.worklist is None:
            continue
        for entry in client.worklist.itertuples(index=False):
            owed = dict(entry.open_by_currency)
            for currency, amount in (owed.items() or [("", 0.0)]):
                rows.append({"client": client.client, "rank": int(entry.rank),
                             "customer": str(entry.customer), "name": str(entry.name),
                             "score": float(entry.score), "currency": str(currency),
                             "open_balance": _cents(amount), "reason": str(entry.reason),
                             "reminder": str(entry.reminder), "reasons": str(entry.reasons)})
    table = pd.DataFrame.from_records(rows, columns=list(WORKLIST_COLUMNS))
    return table.sort_values(["score", "client", "rank"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


def last_run(log: pd.DataFrame | None, *, in_doubt: int = 0,
             unlogged: int = 0) -> tuple[dt.datetime | None, str]:
    """When the last reminder run wrote the ContactLog (its rows' moment, UTC) and what it
    did ("3 sent, 1 failed"), with what the journal adds: sends still in doubt, and sends
    not yet in the ContactLog (the workbook could not be saved after them)."""
    doubt = ", ".join(part for part in (
        f"{unlogged} sent, not yet logged" if unlogged else "",
        f"{in_doubt} in doubt" if in_doubt else "") if part)
    if log is None or log.empty:
        return None, doubt or "no run logged"
    runs = log[log["outcome"].isin(RUN_OUTCOMES) & log["timestamp"].notna()]
    if runs.empty:
        return None, doubt or "no run logged"
    latest = runs["timestamp"].max()
    counts = runs.loc[runs["timestamp"] == latest, "outcome"].value_counts()
    parts = [f"{int(counts[o])} {o}" for o in RUN_OUTCOMES if o in counts]
    if doubt:
        parts.append(doubt)
    return pd.Timestamp(latest).to_pydatetime(), ", ".join(parts)


def problem_text(client: ClientFigures) -> str:
    """The problems met reading a client's workbook: a few, then how many more."""
    problems = list(client.problems)
    if client.unlogged:
        problems.insert(0, f"{client.unlogged} reminder(s) sent, not yet logged: close the "
                           "workbook and run dunning remind again (nothing is sent twice)")
    if client.in_doubt:
        problems.insert(0, f"{client.in_doubt} send(s) in doubt: settle with dunning remind "
                           "--settle")
    shown = "; ".join(problems[:PROBLEMS_SHOWN])
    more = len(problems) - PROBLEMS_SHOWN
    return f"{shown} (and {more} more)" if more > 0 else shown


def _optional(value: object) -> float | None:
    """A recorded figure as a number; None for a blank or text cell (not defined that day)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _cents(value: object) -> float:
    return round(float(value), 2) + 0.0


def _number(value: object) -> float | None:
    """A KPI as a number rounded to 4 decimals; None when it has no meaning for the data."""
    return None if isinstance(value, NotDefined) else round(float(value), 4) + 0.0
