"""`dunning report` and the ribbon's Report button: the management pack as a PDF.

Everything is read from the workbook once, through the io facade, and every figure comes
from the core function that computes it elsewhere too: the headline figures are the rows a
Refresh records in KPIHistory (`core.kpi_history`), compared with the previous recorded
row; the largest overdue balances are the Charts sheet's (`largest_overdue`) and the next
actions today's worklist (`actions.worklist`, not written); promises, disputes and plans
are judged by `core.promises`, `core.disputes` and `core.plans` as the reminders judge
them. The PDF (`render.pack_pdf`) is written whole or not at all, beside the workbook as
`<book>-pack-<date>.pdf` unless another file is named; a pack of the same day is replaced.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dunning.app.actions import ActionResult, read_today, recorded_history, worklist
from dunning.core.aging import TOTAL, age_items, aging_tables
from dunning.core.disputes import open_disputes
from dunning.core.errors import DunningInputError, Issue
from dunning.core.kpi_history import history_records
from dunning.core.pack import (
    PERIOD_DAYS,
    PROMISE_DAYS_AHEAD,
    dso_trend,
    headlines,
    history_as_read,
    last_contacts,
    other_contacts,
    overdue_accounts,
    promises_to_show,
    sent_in_period,
)
from dunning.core.promises import promise_outcomes
from dunning.io.book import open_book
from dunning.io.durability import write_atomically
from dunning.io.workbook import Workbook, opened
from dunning.render.pack_pdf import PackData, pack_pdf
from dunning.render.report_sheets import largest_overdue
from dunning.render.sheet_layout import made_line

LARGEST_ACCOUNTS = 10
"""Per currency: amounts in different currencies are neither added nor ranked together."""


def pack_path(book: Path, as_of: dt.date) -> Path:
    """The default file: `<book>-pack-<date>.pdf` beside the workbook."""
    return book.with_name(f"{book.stem}-pack-{as_of:%Y-%m-%d}.pdf")


def management_pack(source: str | Path | Workbook, *, now: dt.datetime,
                    as_of: dt.date | None = None, out: Path | None = None,
                    period_days: int = PERIOD_DAYS) -> ActionResult:
    """Write the management pack of the workbook as of `as_of` (else the Settings' As Of
    Date, else the day of `now`); `now` is the moment it says it was made."""
    with opened(source) as workbook:
        data = pack_data(workbook, now=now, as_of=as_of, period_days=period_days)
        book_path = workbook.path
    if out is None:
        if book_path is None:
            raise DunningInputError([Issue("save the workbook first: the pack is written "
                                           "beside it")])
        out = pack_path(book_path, data.as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, pack_pdf(data, created=now))
    owed = "; ".join(f"{h.currency} {h.values.get('Open Receivables') or 0:,.2f} open".strip()
                     for h in data.headlines) if not data.nothing_open else "nothing open"
    return ActionResult("Management pack", f"Management pack as of {data.as_of:%Y-%m-%d} "
                        f"({owed}) written to {out}.", (), out)


def pack_data(workbook: Workbook, *, now: dt.datetime, as_of: dt.date | None = None,
              period_days: int = PERIOD_DAYS) -> PackData:
    """Everything the pack shows, read from the workbook and judged by the core."""
    book = open_book(workbook, as_of=as_of, today=now.date(), all_currencies=True)
    if book.as_of is None:
        raise DunningInputError([Issue("say which day the pack is for (--as-of)")])
    day, settings = book.as_of, book.settings
    edges, basis = settings.bucket_edges, settings.aging_basis
    history = history_as_read(recorded_history(workbook))
    today_rows = history_records(book.frame, day)
    today = read_today(workbook, now, as_of=day)
    inputs = today.inputs
    ranked = worklist(workbook, now=now, as_of=day, write=False).data
    contacts = last_contacts(inputs.log, day)
    aging, trends, accounts = {}, {}, []
    for row in today_rows:
        currency = str(row[1])
        items = book.frame[book.frame["currency"] == currency] if currency else book.frame
        amounts, _ = aging_tables(items, day, edges, basis)
        aging[currency] = [(str(bucket), float(amounts.at[TOTAL, bucket])
                            if TOTAL in amounts.index else 0.0)
                           for bucket in amounts.columns if bucket != TOTAL]
        trends[currency] = dso_trend(history, currency, day)
        largest = largest_overdue(items, day, edges=edges, basis=basis, count=LARGEST_ACCOUNTS)
        accounts += overdue_accounts(largest, currency, ranked, contacts, day,
                                     age_items(items, day, edges=edges, basis=basis))
    promises = promise_outcomes(inputs.log, inputs.ledger, day,
                                tolerance=inputs.policy.tolerance,
                                time_zone=inputs.policy.default_time_zone)
    due, broken = promises_to_show(promises, day)
    plans = today.plan_summary
    client = str(getattr(settings, "client", "") or getattr(settings, "company_name", "") or "")
    return PackData(
        client=client, as_of=day, made=made_line(day, now),
        headlines=headlines(today_rows, history, day), aging=aging, trends=trends,
        accounts=accounts,
        promises_due=due, promises_broken=broken,
        disputes=open_disputes(today.disputes),
        plans_behind=plans[plans["status"] == "missed"].reset_index(drop=True),
        sent=sent_in_period(inputs.log, day, period_days),
        other_contacts=other_contacts(inputs.log, day, period_days),
        period_days=period_days, promise_days=PROMISE_DAYS_AHEAD)
