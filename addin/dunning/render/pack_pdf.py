"""The management pack as a PDF: the receivables of one client on one day, for management.

Page 1 gives each currency's headline figures with their change since the previous
KPIHistory row (or says there is none), the aging by bucket and the DSO trend as charts;
then the largest overdue accounts with their last contact and next action, promises due
and broken, open disputes, payment plans behind and what was sent in the period. Every
section says "None" rather than disappearing, and a workbook with nothing open says so.

`pack_pdf(PackData) -> bytes`: pure, given everything (the app reads the workbook).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from dunning.core.amounts import money
from dunning.core.pack import FIGURES, Account, Headline
from dunning.render.pdf import FONT_FAMILY, Column, Document
from dunning.render.pdf_charts import Box, bar_chart, line_chart

CHART_HEIGHT = 62.0
NEXT_ACTION_CHARACTERS = 110
"""A next action longer than this (a hold naming many invoices) is cut, with an ellipsis."""
GAP = 6.0


@dataclass(frozen=True)
class PackData:
    """Everything the pack shows, computed by the core; the renderer only lays it out."""

    client: str
    as_of: dt.date
    made: str
    headlines: Sequence[Headline]
    aging: Mapping[str, Sequence[tuple[str, float]]]
    trends: Mapping[str, Sequence[tuple[dt.date, float | None, float | None]]]
    accounts: Sequence[Account] = ()
    promises_due: pd.DataFrame = field(default_factory=pd.DataFrame)
    promises_broken: pd.DataFrame = field(default_factory=pd.DataFrame)
    disputes: pd.DataFrame = field(default_factory=pd.DataFrame)
    plans_behind: pd.DataFrame = field(default_factory=pd.DataFrame)
    sent: pd.DataFrame = field(default_factory=pd.DataFrame)
    other_contacts: Mapping[str, int] = field(default_factory=dict)
    period_days: int = 30
    promise_days: int = 7

    @property
    def nothing_open(self) -> bool:
        return all(not (h.values.get("Open Receivables") or 0) for h in self.headlines)


def pack_pdf(data: PackData, *, created: dt.datetime | dt.date | None = None) -> bytes:
    """The pack's PDF bytes (`created`: the document's date; default the as-of date)."""
    title = f"Management pack: {data.client}" if data.client else "Management pack"
    doc = Document(created=created or data.as_of, title=title, author="Dunning",
                   header=f"{title}, receivables as of {data.as_of:%Y-%m-%d}",
                   footer=data.made)
    doc.title(title)
    doc.paragraph(f"Receivables as of {data.as_of:%Y-%m-%d}. {data.made}", size=9)
    if data.nothing_open:
        doc.paragraph(f"Nothing is open on {data.as_of:%Y-%m-%d}: no receivables, nothing "
                      "past due, no accounts to chase.", bold=True)
    for headline in data.headlines:
        _headline(doc, headline)
        if not data.nothing_open:
            _charts(doc, headline.currency, data)
    _accounts(doc, data.accounts)
    _promises(doc, data)
    _disputes(doc, data.disputes)
    _plans(doc, data.plans_behind)
    _sent(doc, data)
    return doc.bytes()


# ------------------------------------------------------------------ sections


def _headline(doc: Document, headline: Headline) -> None:
    currency = headline.currency
    doc.heading(f"Headline figures ({currency})" if currency else "Headline figures")
    previous = headline.previous_as_of
    if previous is None:
        doc.paragraph("No change to show: KPIHistory has no row before this day (each "
                      "Refresh records one; the next pack after a Refresh on a later day "
                      "shows the changes).", size=8.5)
        columns = [Column("Figure", 2.2), Column("Now", 1.6, amount=True)]
        rows = [[label, shown(headline.values.get(column), kind, currency)]
                for label, column, kind in FIGURES]
    else:
        columns = [Column("Figure", 2.2), Column("Now", 1.6, amount=True),
                   Column(f"On {previous:%Y-%m-%d}", 1.6, amount=True),
                   Column("Change", 1.4, amount=True)]
        rows = [[label, shown(headline.values.get(column), kind, currency),
                 shown(headline.previous.get(column), kind, currency),  # type: ignore[union-attr]
                 change_text(headline.change(column), kind)]
                for label, column, kind in FIGURES]
    doc.table(columns, rows)


def _charts(doc: Document, currency: str, data: PackData) -> None:
    pdf = doc.pdf
    if pdf.get_y() + CHART_HEIGHT > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    half = (doc.width - GAP) / 2
    left = pdf.l_margin
    buckets = data.aging.get(currency, ())
    shown_in = f" ({currency})" if currency else ""
    bar_chart(pdf, Box(left, top, half, CHART_HEIGHT), f"Aging by days past due{shown_in}",
              [name for name, _ in buckets], [value for _, value in buckets])
    trend = data.trends.get(currency, ())
    right = Box(left + half + GAP, top, half, CHART_HEIGHT)
    line_chart(pdf, right, f"DSO over time{shown_in}", [day for day, _, _ in trend],
               [("DSO", [dso for _, dso, _ in trend]),
                ("Best possible DSO", [best for _, _, best in trend])])
    if len(trend) < 2:
        with pdf.local_context():
            pdf.set_font(FONT_FAMILY, "", 7)
            pdf.set_xy(right.x + 11, top + CHART_HEIGHT / 2)
            pdf.cell(right.width - 13, 4, f"{len(trend)} KPIHistory row(s) so far: the "
                     "trend grows with each Refresh", align="C")
    doc.at(left, top + CHART_HEIGHT + 3)


def _accounts(doc: Document, accounts: Sequence[Account]) -> None:
    doc.heading("Largest overdue accounts")
    if not accounts:
        doc.paragraph("None: nothing is past due.")
        return
    columns = [Column("Customer", 2.3), Column("Overdue", 1.5, amount=True),
               Column("Oldest days", 0.8, amount=True), Column("Last contact", 2.2),
               Column("Next action", 3.4)]
    rows = []
    for account in accounts:
        name = account.name if account.name and account.name != account.customer else ""
        rows.append([f"{account.customer} {name}".strip(),
                     money(account.overdue, account.currency), str(account.oldest_days),
                     contact_text(account), _short(account.next_action)])
    doc.table(columns, rows, size=7.5)


def _promises(doc: Document, data: PackData) -> None:
    doc.heading("Promises to pay")
    due, broken = data.promises_due, data.promises_broken
    doc.paragraph(f"Due in the next {data.promise_days} days: " + (
        "none." if due.empty else f"{len(due)}."), bold=True, size=9)
    if not due.empty:
        doc.table([Column("Customer", 1.4), Column("Promised for", 1.3),
                   Column("Promised", 1.4, amount=True), Column("Paid so far", 1.4, amount=True)],
                  [[row.customer, _day(row.promise_date), money(row.promised, row.currency),
                    money(row.paid, row.currency)] for row in due.itertuples()], size=8)
    doc.paragraph("Broken or partly kept: " + ("none." if broken.empty else f"{len(broken)}."),
                  bold=True, size=9)
    if not broken.empty:
        doc.table([Column("Customer", 1.4), Column("Promised for", 1.3),
                   Column("Promised", 1.4, amount=True), Column("Paid", 1.4, amount=True),
                   Column("Status", 1.2), Column("Days over", 0.9, amount=True)],
                  [[row.customer, _day(row.promise_date), money(row.promised, row.currency),
                    money(row.paid, row.currency), row.status, str(int(row.days_overdue))]
                   for row in broken.itertuples()], size=8)


def _disputes(doc: Document, disputes: pd.DataFrame) -> None:
    doc.heading("Open disputes")
    if disputes.empty:
        doc.paragraph("None.")
        return
    doc.table([Column("Customer", 1.2), Column("Invoice", 1.4), Column("Open since", 1.2),
               Column("Days", 0.6, amount=True), Column("Open balance", 1.5, amount=True),
               Column("Reason", 2.8)],
              [[row.customer, row.invoice, _day(row.opened),
                "" if pd.isna(row.age_days) else str(int(row.age_days)),
                money(row.open_balance, row.currency), row.reason or ""]
               for row in disputes.itertuples()], size=8)


def _plans(doc: Document, plans: pd.DataFrame) -> None:
    doc.heading("Payment plans behind")
    if plans.empty:
        doc.paragraph("None.")
        return
    doc.table([Column("Plan", 2.0), Column("Customer", 1.1),
               Column("Missed", 0.8, amount=True), Column("Remaining", 1.5, amount=True),
               Column("Next due", 1.1), Column("Next amount", 1.4, amount=True)],
              [[row.plan, row.customer, str(int(row.missed)),
                money(row.remaining, row.currency), _day(row.next_due_date),
                money(row.next_amount, row.currency)] for row in plans.itertuples()], size=8)


def _sent(doc: Document, data: PackData) -> None:
    start = data.as_of - dt.timedelta(days=data.period_days - 1)
    doc.heading(f"Sent from {start:%Y-%m-%d} to {data.as_of:%Y-%m-%d}")
    sent = data.sent
    if sent.empty:
        doc.paragraph("No reminders were sent in the period.")
    else:
        total = int(sent["messages"].sum())
        doc.table([Column("Stage", 2.0), Column("Channel", 1.4),
                   Column("Messages", 1.0, amount=True), Column("Customers", 1.0, amount=True)],
                  [[row.stage or "(no stage)", row.channel or "(no channel)",
                    str(int(row.messages)), str(int(row.customers))]
                   for row in sent.itertuples()], total=["Total", "", str(total), ""], size=8)
    if data.other_contacts:
        listed = ", ".join(f"{count} {outcome}" for outcome, count in
                           data.other_contacts.items())
        doc.paragraph(f"Also logged in the period: {listed}.", size=8.5)


# ------------------------------------------------------------------- words


def shown(value: float | None, kind: str, currency: str = "") -> str:
    """A figure as the pack prints it: money with its currency, days, a percentage."""
    if value is None:
        return "not defined"
    if kind == "money":
        return money(value, currency)
    if kind == "percent":
        return f"{value * 100:.1f}%"
    return f"{value:,.1f} days"


def change_text(value: float | None, kind: str) -> str:
    """A change with its sign: +1,234.50, -2.5 days, +1.2 pts (percentage points)."""
    if value is None:
        return "not defined"
    if kind == "money":
        return ("+" if value > 0 else "") + money(value)
    if kind == "percent":
        return f"{value * 100:+.1f} pts"
    return f"{value:+,.1f} days"


def contact_text(account: Account) -> str:
    contact = account.last_contact
    if contact is None:
        return "none logged"
    what = contact.outcome or "contact"
    if contact.stage:
        what = f"{what} ({contact.stage})"
    how = f" by {contact.channel}" if contact.channel else ""
    return f"{contact.timestamp:%Y-%m-%d}: {what}{how}"


def _short(text: str, limit: int = NEXT_ACTION_CHARACTERS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,(") + "…"


def _day(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"
