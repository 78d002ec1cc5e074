"""The contact log: every reminder, call, promise and dispute, as rows of the ContactLog table.

This module holds what a log row is (its columns, the channel and outcome
codes) and reads the table's values into a frame the policy can use. Writing
rows into the workbook is the lossless writer's job (`dunning.io.xlsx`); building
them is done here so that the command line, the reminder run and the ribbon
all log the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dunning.core.errors import DunningInputError, Issue, TablePlace, place_of
from dunning.core.parse import (
    AMOUNT_RANGE,
    DATE_RANGE,
    EXCEL_EPOCH,
    FIRST_DATE,
    LAST_DATE,
    is_blank,
    parse_amounts,
    parse_dates,
    parse_text,
    shown_value,
)

CONTACT_LOG_TABLE = "ContactLog"
CONTACT_LOG_HEADERS: tuple[str, ...] = (
    "Timestamp", "Customer", "Invoices", "Channel", "Stage", "Subject", "Message-ID",
    "Outcome", "Promise Date", "Promise Amount", "Next Action Date", "User", "Note",
    "Open Balance",
)
CONTACT_LOG_COLUMNS: tuple[str, ...] = (
    "timestamp", "customer", "invoices", "channel", "stage", "subject", "message_id",
    "outcome", "promise_date", "promise_amount", "next_action_date", "user", "note",
    "open_balance",
)
OPTIONAL_HEADERS: tuple[str, ...] = ("Open Balance",)
"""Columns added after the first release: a ContactLog without them still reads."""
CHANNELS: tuple[str, ...] = ("email", "phone", "letter", "meeting", "portal")
OUTCOMES: tuple[str, ...] = (
    "sent",
    "failed",
    "left voicemail",
    "unreachable",
    "invoice not received",
    "waiting for approval",
    "disputed",
    "promised to pay",
    "payment sent",
    "opted out",
    "handed off",
    "promise broken",
    "dispute resolved",
    "payment plan agreed",
    "reminder sent",
    "on hold until",
)
STATE_OUTCOMES: tuple[str, ...] = ("disputed", "dispute resolved", "promised to pay",
                                   "payment sent", "waiting for approval")
"""Outcomes that set an item's state: the latest one that applies to an item decides it."""
STAGE_OUTCOMES: tuple[str, ...] = ("sent", "handed off", "reminder sent")
"""Outcomes that mean a stage was reached: a reminder sent (by Dunning, or "reminder sent"
by hand, say before Dunning was used, logged with its stage and date), or a hand-off task
raised."""
RUN_ONLY_OUTCOMES: Mapping[str, str] = {
    "failed": "a message the mail server refused",
    "promise broken": "a promise to pay whose date passed unpaid",
}
"""Outcomes only the reminder run records, with what each stands for: a person does not log
them (`dunning log` and the ribbon refuse them), since typed in they would record an event
that did not happen."""
OUTCOME_SHORTHANDS: Mapping[str, str] = {
    "voicemail": "left voicemail",
    "not-received": "invoice not received",
    "approval": "waiting for approval",
    "dispute": "disputed",
    "resolved": "dispute resolved",
    "plan": "payment plan agreed",
    "promise": "promised to pay",
    "paid": "payment sent",
    "optout": "opted out",
    "opt-out": "opted out",
    "reminder": "reminder sent",
    "hold": "on hold until",
}
CELL_LIMIT = 32_767
"""The most characters an Excel cell holds."""
INVOICES_LISTED = 20
"""How many invoices a list too long for one cell names before "and N more"."""
_DATE_COLUMNS = ("timestamp", "promise_date", "next_action_date")
_AMOUNT_COLUMNS = ("promise_amount", "open_balance")


@dataclass(frozen=True)
class Contact:
    """One contact to log. `outcome` and `channel` are checked against the codes above."""

    customer: str
    channel: str
    outcome: str
    timestamp: dt.datetime
    invoices: tuple[str, ...] = ()
    stage: str = ""
    subject: str = ""
    message_id: str = ""
    promise_date: dt.date | None = None
    promise_amount: float | None = None
    next_action_date: dt.date | None = None
    user: str = ""
    note: str = ""
    open_balance: float | None = None


def log_time(moment: dt.datetime) -> dt.datetime:
    """A moment as the log keeps it: naive UTC (the policy reads every row that way)."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def outcome_code(text: str) -> str:
    """The outcome code for what a user typed ("promise" -> "promised to pay")."""
    wanted = text.strip().lower()
    code = OUTCOME_SHORTHANDS.get(wanted, wanted)
    if code not in OUTCOMES:
        logged = [o for o in OUTCOMES if o not in RUN_ONLY_OUTCOMES and o != "sent"]
        raise DunningInputError([Issue(
            f"--outcome: unknown outcome {text!r}: expected one of {', '.join(logged)} "
            f"(or {', '.join(OUTCOME_SHORTHANDS)})")])
    return code


def log_row(contact: Contact) -> dict[str, object]:
    """The ContactLog row for a contact, keyed by the table's headers.

    A promise to pay needs its date; other outcomes must not carry one, so that
    the log never holds a promise nobody made. A dispute, or its resolution, is
    about particular invoices and needs them named.
    """
    channel = contact.channel.strip().lower()
    problems = []
    if channel not in CHANNELS:
        problems.append(Issue(f"--channel: unknown channel {contact.channel!r}: expected one "
                              f"of {', '.join(CHANNELS)}"))
    outcome = outcome_code(contact.outcome)
    if not contact.customer.strip():
        problems.append(Issue("--customer: a contact needs the customer it was with"))
    if outcome == "promised to pay" and contact.promise_date is None:
        problems.append(Issue("--promise-date: a promise to pay needs its date"))
    if outcome != "promised to pay" and (contact.promise_date or contact.promise_amount):
        problems.append(Issue("--promise-date, --promise-amount: a promise date or amount "
                              "belongs to the outcome 'promised to pay' only"))
    problems += _promise_problems(contact) if outcome == "promised to pay" else []
    if outcome == "reminder sent" and not contact.stage.strip():
        problems.append(Issue("--stage: a reminder sent by hand needs its stage, so that the "
                              "reminders climb on from it"))
    if outcome == "on hold until" and contact.next_action_date is None:
        problems.append(Issue("--next-action: a hold needs the date it lasts until"))
    elif outcome == "on hold until" and contact.next_action_date < contact.timestamp.date():
        problems.append(Issue(
            f"--next-action: a hold lasts until a day from the contact's on "
            f"({contact.timestamp.date()}), not {contact.next_action_date}, which is past"))
    if outcome in ("disputed", "dispute resolved") and not contact.invoices:
        what = "a dispute" if outcome == "disputed" else "resolving a dispute"
        problems.append(Issue(f"--invoices: {what} needs the invoices it is about"))
    if problems:
        raise DunningInputError(problems)
    values = (
        contact.timestamp.replace(microsecond=0), contact.customer.strip(),
        invoice_list(contact.invoices), channel, contact.stage, contact.subject,
        contact.message_id, outcome, contact.promise_date, contact.promise_amount,
        contact.next_action_date, contact.user, contact.note, contact.open_balance,
    )
    return dict(zip(CONTACT_LOG_HEADERS, values, strict=True))


def invoice_list(invoices: Sequence[str], limit: int = CELL_LIMIT) -> str:
    """Invoice numbers for one cell: all of them, comma separated, when they fit in `limit`
    characters; else the first `INVOICES_LISTED` and "and 2,480 more" (the full list stays
    in the send journal and the draft)."""
    joined = ", ".join(invoices)
    if len(joined) <= limit:
        return joined
    shown = list(invoices[:INVOICES_LISTED])

    def listed() -> str:
        return f"{', '.join(shown)} and {len(invoices) - len(shown):,} more"

    while len(shown) > 1 and len(listed()) > limit:
        shown.pop()
    return listed()


def row_record(row: Mapping[str, object]) -> dict[str, object]:
    """A ContactLog row as JSON values (dates and times as ISO text), for the send journal."""
    return {header: value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
            for header, value in row.items()}


def row_from_record(record: Mapping[str, object]) -> dict[str, object]:
    """The ContactLog row `row_record` wrote: Timestamp a datetime, the other dates dates."""
    row = {header: record.get(header) for header in CONTACT_LOG_HEADERS}
    stamp = row["Timestamp"]
    if isinstance(stamp, str) and stamp:
        row["Timestamp"] = dt.datetime.fromisoformat(stamp)
    for header in ("Promise Date", "Next Action Date"):
        value = row[header]
        if isinstance(value, str) and value:
            row[header] = dt.date.fromisoformat(value[:10])
    return row


def _promise_problems(contact: Contact) -> list[Issue]:
    """A promise is for a positive amount in whole cents, on or after the day it is made."""
    problems = []
    amount = contact.promise_amount
    if amount is not None and (amount <= 0 or round(amount, 2) != amount):
        problems.append(Issue("--promise-amount: a promised amount is more than zero, in "
                              "whole cents", value=amount))
    if contact.promise_date is not None and contact.promise_date < contact.timestamp.date():
        problems.append(Issue(f"--promise-date: the promise date {contact.promise_date:%Y-%m-%d} "
                              f"is before the day of the contact ({contact.timestamp:%Y-%m-%d})"))
    return problems


def contact_log_frame(table: pd.DataFrame | None,
                      place: TablePlace | None = None) -> pd.DataFrame:
    """The ContactLog table's values as a frame with `CONTACT_LOG_COLUMNS` (empty if absent).

    A date, time stamp or amount that cannot be one (text that is no date, 9999-12-31, -5,
    1e308, a 400-digit number) raises `DunningInputError` naming each ContactLog cell: read
    as a blank or wrapped round into another century, it would silently turn a promise or
    a follow-up date into something else. The cell is named where the table sits (`place`,
    else the one its frame was read with, else a table at the top of a ContactLog sheet,
    letters unknown).
    """
    if table is None or table.empty:
        return pd.DataFrame({
            name: pd.Series(dtype="datetime64[ns]" if name in _DATE_COLUMNS else
                            float if name in _AMOUNT_COLUMNS else object)
            for name in CONTACT_LOG_COLUMNS})
    place = place or place_of(table, CONTACT_LOG_TABLE)
    missing = [h for h in CONTACT_LOG_HEADERS
               if h not in table.columns and h not in OPTIONAL_HEADERS]
    if missing:
        raise DunningInputError([Issue(
            f"the ContactLog table lacks the columns {', '.join(missing)}",
            sheet=place.sheet, row=place.header_row)])
    columns: dict[str, object] = {}
    issues: list[Issue] = []
    for header, name in zip(CONTACT_LOG_HEADERS, CONTACT_LOG_COLUMNS, strict=True):
        if header not in table.columns:
            columns[name] = np.full(len(table), np.nan)
            continue
        values = table[header].to_numpy(dtype=object)
        bad: np.ndarray | None = None
        if name == "timestamp":
            columns[name], bad = _timestamps(values)
            expected = f"a date and time from {DATE_RANGE}"
        elif name in _DATE_COLUMNS:
            parsed = parse_dates(values)
            columns[name], bad = parsed.values, parsed.bad
            expected = f"a date from {DATE_RANGE}"
        elif name in _AMOUNT_COLUMNS:
            parsed = parse_amounts(values)
            columns[name], bad = parsed.values, parsed.bad
            expected = f"an amount {AMOUNT_RANGE}"
        else:
            columns[name] = parse_text(values).values
        for position in np.flatnonzero(bad) if bad is not None else ():
            issues.append(place.cell_issue(f"expected {expected}; correct the cell",
                                           position=position, header=header,
                                           headers=table.columns,
                                           value=shown_value(values[position])))
    if issues:
        raise DunningInputError(issues)
    frame = pd.DataFrame(columns)
    frame["outcome"] = frame["outcome"].str.lower()
    frame["stage"] = frame["stage"].str.lower()
    return frame


def _timestamps(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log timestamps keep their time of day (dates elsewhere are midnight); and which
    cells hold no moment from `FIRST_DATE` to `LAST_DATE` (refused, never wrapped round).

    They arrive as datetimes (calamine), Excel serial numbers with a fraction
    (xlwings) or text.
    """
    stamps = [_timestamp(value) for value in values]
    bad = np.array([stamp is None for stamp in stamps], dtype=bool)
    return (np.array([np.datetime64("NaT", "ns") if stamp is None else stamp
                      for stamp in stamps], dtype="datetime64[ns]"), bad)


def _timestamp(value: object) -> np.datetime64 | None:
    """One log time stamp as naive UTC, NaT for a blank cell, None when it is no moment."""
    if is_blank(value):
        return np.datetime64("NaT", "ns")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        serial = float(value)
        first = (pd.Timestamp(FIRST_DATE) - EXCEL_EPOCH).days
        last = (pd.Timestamp(LAST_DATE) - EXCEL_EPOCH).days + 1
        if not first <= serial < last:  # also NaN and inf
            return None
        return (EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")).round("s").as_unit(
            "ns").to_datetime64()
    stamp = pd.to_datetime(value, errors="coerce")
    if not isinstance(stamp, pd.Timestamp) or stamp is pd.NaT:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    if not FIRST_DATE <= stamp.date() <= LAST_DATE:
        return None
    return stamp.as_unit("ns").to_datetime64()

