"""The statement of account: one customer's open items as of a date, as a PDF.

What it shows, per currency (amounts in different currencies are never added): every
open item (number, invoice date, due date, amount, paid, open, days past due), the aging
by bucket (`dunning.core.aging`, the same buckets as the reports), and the totals: what is
overdue, what is not yet due, the credits netted against them and the balance. Above
them the firm's name and address and the customer's; below them the payment
instructions and the payment link (`payment_link`, a Settings URL template).

Amounts are `dunning.core.amounts.money`; dates are ISO, as in the reminders. Nothing
here opens a file or reads the clock: the as-of date is given, and the same ledger, date
and settings give the same bytes (so a reminder's attached statement is the same on a
rerun).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dunning.core.aging import DEFAULT_EDGES, age_items, aging_summary, bucket_labels
from dunning.core.amounts import money
from dunning.core.payments import payment_link
from dunning.render.pdf import Column, Document


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


COPIES_MISSING = {
    "en": "Copies of these invoices could not be attached: {invoices}. We will send them on "
          "request.",
    "de": "Kopien dieser Rechnungen konnten nicht beigefügt werden: {invoices}. Wir senden sie "
          "Ihnen gern auf Anfrage.",
    "fr": "Les copies de ces factures n'ont pas pu être jointes : {invoices}. Nous vous les "
          "enverrons sur demande.",
    "nl": "Kopieën van deze facturen konden niet worden bijgevoegd: {invoices}. Wij sturen ze "
          "u op verzoek toe.",
    "es": "No se han podido adjuntar copias de estas facturas: {invoices}. Se las enviaremos "
          "si las solicita.",
}
"""The line a reminder adds when invoice copies were not found (by base language)."""


def copies_missing_note(invoices: Sequence[str], language: str = "en") -> str:
    """"Copies of these invoices could not be attached: INV-1, INV-2. ..." in `language`."""
    base = (language or "en").lower().replace("_", "-").split("-")[0]
    return COPIES_MISSING.get(base, COPIES_MISSING["en"]).format(invoices=", ".join(invoices))


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


ITEM_COLUMNS = (Column("Invoice", 1.9), Column("Invoice date", 1.3), Column("Due date", 1.3),
                Column("Amount", 1.45, True), Column("Paid", 1.35, True),
                Column("Open", 1.45, True), Column("Days past due", 1.3, True))


def statement_pdf(ledger: pd.DataFrame, addressee: Addressee, firm: Firm, as_of: dt.date, *,
                  edges: Sequence[int] = DEFAULT_EDGES, language: str = "en") -> bytes:
    """The statement of account of `addressee.customer` as of `as_of`, as PDF bytes.

    `ledger` is the ledger frame in all its currencies (`dunning.core.ledger`); `edges`
    the aging buckets (the Settings' Bucket N Days); `language` sets the amounts'
    separators (`money`).
    """
    mine = ledger[ledger["customer"] == addressee.customer]
    items = statement_items(mine, addressee.customer, as_of, edges=edges)
    doc = Document(created=as_of, title=f"Statement of account: {addressee.shown_name}",
                   author=firm.name, header=firm.name,
                   footer=f"Statement of account, {addressee.shown_name}, as of {as_of:%Y-%m-%d}")
    doc.title(firm.name or "Statement of account")
    if firm.address:
        doc.lines(firm.address, size=9)
    doc.space(6).title("Statement of account", size=14)
    doc.key_values([("Customer", f"{addressee.shown_name} ({addressee.customer})"
                     if addressee.name and addressee.name != addressee.customer
                     else addressee.customer),
                    *([("Address", "\n".join(addressee.address))] if addressee.address else []),
                    ("As of", f"{as_of:%Y-%m-%d}")])
    if items.empty:
        doc.paragraph(f"Nothing is open on the account on {as_of:%Y-%m-%d}.")
    totals = statement_totals(items)
    for total in totals:
        group = items[items["currency"] == total.currency]
        code = total.currency
        doc.heading(f"Open items{f' in {code}' if code else ''}")
        doc.table(ITEM_COLUMNS, [_item_row(item, language) for item in group.itertuples()],
                  total=["Balance", "", "", "", "", money(total.balance, "", language), ""])
        doc.heading(f"Aging{f' ({code})' if code else ''}")
        summary = aging_summary(mine[mine["currency"] == code], as_of, edges=edges)
        labels = bucket_labels(edges)
        doc.table([Column(label, 1.0, True) for label in [*labels, "Total"]],
                  [[money(summary.loc[label, "amount"], "", language)
                    for label in [*labels, "Total"]]])
        doc.key_values(_total_lines(total, language), key_width=70, amounts=True)
        doc.key_values(_links(firm.payment_link, addressee.customer, total, group), key_width=36)
    if firm.payment_instructions:
        doc.heading("How to pay")
        doc.paragraph(firm.payment_instructions)
    doc.paragraph(f"Credits are netted in the balance. Days past due count from the due "
                  f"date to {as_of:%Y-%m-%d}; payments received after that day are not shown.",
                  size=8)
    return doc.bytes()


def _links(template: str, customer: str, total: Totals,
           items: pd.DataFrame) -> list[tuple[str, str]]:
    """The payment link of the balance; one per open invoice when the template names
    {invoice} (a link without its invoice would lead nowhere)."""
    if not template:
        return []
    if "{invoice}" not in template:
        return [("Pay online", payment_link(template, customer, "", max(total.balance, 0.0),
                                            total.currency))]
    return [(f"Pay {item.invoice}", str(getattr(item, "payment_link", "") or "")
             or payment_link(template, customer, str(item.invoice), float(item.open_balance),
                             total.currency))  # the Invoices table's own link wins
            for item in items.itertuples() if item.open_balance > 0]


def _total_lines(total: Totals, language: str) -> list[tuple[str, str]]:
    code = total.currency
    lines = [("Overdue", money(total.overdue, code, language)),
             ("Not yet due", money(total.not_yet_due, code, language))]
    if total.credits:
        lines.append(("Credits", money(total.credits, code, language)))
    lines.append(("Balance, credits netted", money(total.balance, code, language)))
    return lines


def _item_row(item: object, language: str) -> list[str]:
    days = int(item.days_past_due)  # type: ignore[attr-defined]
    invoice = str(item.invoice)  # type: ignore[attr-defined]
    balance = float(item.open_balance)  # type: ignore[attr-defined]
    if balance < 0:
        invoice += " (credit)"
    elif bool(item.disputed):  # type: ignore[attr-defined]
        invoice += " (disputed)"
    return [invoice, _date(item.invoice_date), _date(item.due_date),  # type: ignore[attr-defined]
            money(item.amount, "", language), money(item.paid, "", language),  # type: ignore[attr-defined]
            money(balance, "", language), str(days) if days > 0 and balance > 0 else "-"]


def _date(value: object) -> str:
    stamp = pd.Timestamp(value) if value is not None else pd.NaT
    return "" if pd.isna(stamp) else f"{stamp:%Y-%m-%d}"
