"""The statement of account: one customer's open items as of a date, as a PDF.

What it shows, per currency (amounts in different currencies are never added): every
open item (number, invoice date, due date, amount, paid, open, days past due), the aging
by bucket (`dunning.core.aging`, the same buckets as the reports), and the totals: what is
overdue, what is not yet due, the credits netted against them and the balance. Above
them the firm's name and address and the customer's; below them the payment
instructions and the payment link (`payment_link`, a Settings URL template).

Its words are in the customer's language (the words files' "statement" group,
`dunning.render.words`), English for a language without words; amounts are
`dunning.core.amounts.money` with that language's separators; dates are ISO, as in the
reminders. Nothing
here opens a file or reads the clock: the as-of date is given, and the same ledger, date
and settings give the same bytes (so a reminder's attached statement is the same on a
rerun).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dunning.core.aging import DEFAULT_EDGES, TOTAL, age_items, aging_summary, bucket_labels
from dunning.core.amounts import money
from dunning.core.payments import payment_link
from dunning.render.pdf import Column, Document
from dunning.render.words import StatementLabels, labels_for, statement_labels_for


@dataclass(frozen=True)
class Firm:
    """Who the statement is from (Settings: Company Name, Company Address, Payment
    Instructions, Payment Link)."""

    name: str
    address: tuple[str, ...] = ()
    payment_instructions: str = ""
    payment_link: str = ""  # a URL template: {customer}, {invoice}, {amount}, {currency}


@dataclass(frozen=True)
class Addressee:
    """Who the statement (or letter) is for: the customer id, its name, its postal address."""

    customer: str
    name: str = ""
    address: tuple[str, ...] = ()
    contact: str = ""

    @property
    def shown_name(self) -> str:
        return self.name or self.customer


def copies_missing_note(invoices: Sequence[str], language: str = "en") -> str:
    """"Copies of these invoices could not be attached: INV-1, INV-2. ..." in `language`
    (the words files' labels.copies_missing)."""
    return labels_for(language).copies_missing.format(invoices=", ".join(invoices))


@dataclass(frozen=True)
class Totals:
    """One currency's totals on the statement (credits are negative)."""

    currency: str
    overdue: float
    not_yet_due: float
    credits: float

    @property
    def balance(self) -> float:
        return round(self.overdue + self.not_yet_due + self.credits, 2) + 0.0


def statement_items(ledger: pd.DataFrame, customer: str, as_of: dt.date, *,
                    edges: Sequence[int] = DEFAULT_EDGES) -> pd.DataFrame:
    """The customer's open items on `as_of` (`dunning.core.aging.age_items`), oldest due first,
    with `paid` (amount less what is open)."""
    items = age_items(ledger[ledger["customer"] == customer], as_of, edges=edges)
    items = items.assign(paid=(items["amount"] - items["open_balance"]).round(2))
    return items.sort_values(["currency", "due_date", "invoice"], kind="stable").reset_index(
        drop=True)


def statement_totals(items: pd.DataFrame) -> list[Totals]:
    """Overdue (invoices past due), not yet due, and credits, per currency."""
    found = []
    for currency, group in items.groupby("currency", sort=True):
        debit = group["open_balance"] > 0
        late = group["days_past_due"] > 0
        found.append(Totals(
            str(currency),
            round(float(group.loc[debit & late, "open_balance"].sum()), 2) + 0.0,
            round(float(group.loc[debit & ~late, "open_balance"].sum()), 2) + 0.0,
            round(float(group.loc[~debit, "open_balance"].sum()), 2) + 0.0))
    return found


def item_columns(words: StatementLabels) -> tuple[Column, ...]:
    """The open items table's columns, headed in the statement's language."""
    return (Column(words.invoice, 1.9), Column(words.invoice_date, 1.3),
            Column(words.due_date, 1.3), Column(words.amount, 1.45, True),
            Column(words.paid, 1.35, True), Column(words.open, 1.45, True),
            Column(words.days_past_due, 1.3, True))


def bucket_headings(edges: Sequence[int], words: StatementLabels) -> list[str]:
    """The aging buckets' names (`bucket_labels`) in the statement's language: the first
    ("Current" or "Up to N") and the last ("Over N") have words, the ranges between are
    figures."""
    labels = bucket_labels(edges)
    first = words.current if int(edges[0]) == 0 else words.up_to.format(days=int(edges[0]))
    return [first, *labels[1:-1], words.over.format(days=int(edges[-1]))]


def statement_pdf(ledger: pd.DataFrame, addressee: Addressee, firm: Firm, as_of: dt.date, *,
                  edges: Sequence[int] = DEFAULT_EDGES, language: str = "en") -> bytes:
    """The statement of account of `addressee.customer` as of `as_of`, as PDF bytes.

    `ledger` is the ledger frame in all its currencies (`dunning.core.ledger`); `edges`
    the aging buckets (the Settings' Bucket N Days); `language` (the customer's) sets the
    words (`statement_labels_for`) and the amounts' separators (`money`).
    """
    words = statement_labels_for(language)
    day = f"{as_of:%Y-%m-%d}"
    mine = ledger[ledger["customer"] == addressee.customer]
    items = statement_items(mine, addressee.customer, as_of, edges=edges)
    doc = Document(created=as_of, title=f"{words.title}: {addressee.shown_name}",
                   author=firm.name, header=firm.name, page_label=words.page,
                   footer=words.footer.format(customer=addressee.shown_name, date=day))
    doc.title(firm.name or words.title)
    if firm.address:
        doc.lines(firm.address, size=9)
    doc.space(6).title(words.title, size=14)
    doc.key_values([(words.customer, f"{addressee.shown_name} ({addressee.customer})"
                     if addressee.name and addressee.name != addressee.customer
                     else addressee.customer),
                    *([(words.address, "\n".join(addressee.address))]
                      if addressee.address else []),
                    (words.as_of, day)])
    if items.empty:
        doc.paragraph(words.nothing_open.format(date=day))
    totals = statement_totals(items)
    columns = item_columns(words)
    labels = bucket_labels(edges)
    headings = bucket_headings(edges, words)
    for total in totals:
        group = items[items["currency"] == total.currency]
        code = total.currency
        doc.heading(words.open_items_in.format(currency=code) if code else words.open_items)
        doc.table(columns, [_item_row(item, language, words) for item in group.itertuples()],
                  total=[words.balance, "", "", "", "", money(total.balance, "", language), ""])
        doc.heading(words.aging_in.format(currency=code) if code else words.aging)
        summary = aging_summary(mine[mine["currency"] == code], as_of, edges=edges)
        doc.table([Column(heading, 1.0, True) for heading in [*headings, words.total]],
                  [[money(summary.loc[label, "amount"], "", language)
                    for label in [*labels, TOTAL]]])
        doc.key_values(_total_lines(total, language, words), key_width=70, amounts=True)
        doc.key_values(_links(firm.payment_link, addressee.customer, total, group, words),
                       key_width=36)
    if firm.payment_instructions:
        doc.heading(words.how_to_pay)
        doc.paragraph(firm.payment_instructions)
    doc.paragraph(words.note.format(date=day), size=8)
    return doc.bytes()


def _links(template: str, customer: str, total: Totals, items: pd.DataFrame,
           words: StatementLabels) -> list[tuple[str, str]]:
    """The payment link of the balance; one per open invoice when the template names
    {invoice} (a link without its invoice would lead nowhere)."""
    if not template:
        return []
    if "{invoice}" not in template:
        return [(words.pay_online, payment_link(template, customer, "", max(total.balance, 0.0),
                                            total.currency))]
    return [(words.pay_invoice.format(invoice=item.invoice),
             str(getattr(item, "payment_link", "") or "")
             or payment_link(template, customer, str(item.invoice), float(item.open_balance),
                             total.currency))  # the Invoices table's own link wins
            for item in items.itertuples() if item.open_balance > 0]


def _total_lines(total: Totals, language: str,
                 words: StatementLabels) -> list[tuple[str, str]]:
    code = total.currency
    lines = [(words.overdue, money(total.overdue, code, language)),
             (words.not_yet_due, money(total.not_yet_due, code, language))]
    if total.credits:
        lines.append((words.credits, money(total.credits, code, language)))
    lines.append((words.balance_netted, money(total.balance, code, language)))
    return lines


def _item_row(item: object, language: str, words: StatementLabels) -> list[str]:
    days = int(item.days_past_due)  # type: ignore[attr-defined]
    invoice = str(item.invoice)  # type: ignore[attr-defined]
    balance = float(item.open_balance)  # type: ignore[attr-defined]
    if balance < 0:
        invoice += f" ({words.credit})"
    elif bool(item.disputed):  # type: ignore[attr-defined]
        invoice += f" ({words.disputed})"
    return [invoice, _date(item.invoice_date), _date(item.due_date),  # type: ignore[attr-defined]
            money(item.amount, "", language), money(item.paid, "", language),  # type: ignore[attr-defined]
            money(balance, "", language), str(days) if days > 0 and balance > 0 else "-"]


def _date(value: object) -> str:
    stamp = pd.Timestamp(value) if value is not None else pd.NaT
    return "" if pd.isna(stamp) else f"{stamp:%Y-%m-%d}"
