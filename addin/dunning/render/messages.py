"""Reminder emails written from templates: one message per customer, in its language.

This module renders; it opens no file and no socket. `TemplateSet.default()`
reads the templates shipped inside the package (package data, like code);
templates in a folder of the user's are read by `dunning.mail.drafts.read_templates`.

Templates. One template is a subject, a plain-text body and an HTML body for
one stage (or template name) and one language. They come from the workbook's
Templates table (header: Stage, Language, Subject, Text, HTML), from a folder
laid out like the built-in set (`<language>/<stage>.subject.txt`,
`<stage>.txt`, `<stage>.html`), or from the built-in set (en, de, fr, nl, es;
courtesy, friendly, firm, final; hand-off sends nothing, so it has none).
A blank HTML cell means "HTML from the text": paragraphs become <p>, and the
items table becomes a real <table>. `TemplateSet.over(fallback)` layers sets.
The built-in letters share one skeleton: each `<language>/<stage>.html` and
`.txt` extends `templates/layout.html` or `layout.txt` and fills its blocks
(greeting, intro, request, after_charges, payment_heading, sign_off).

Choosing one: the customer's language exactly ("de-ch"), then its base
language ("de"), then English; in each, the first set's template wins. Using
English for a customer whose language has none is written in `Message.note`.

Templates from the workbook or a folder render in Jinja2's
`ImmutableSandboxedEnvironment` with `StrictUndefined`: a template can read its
merge fields (`FIELDS`) and nothing else. Unknown names, internal attributes and
`{% extends %}`, `{% include %}` or `{% import %}` are refused when the template
is loaded (the sandbox has no loader either, so each template stands alone);
anything the sandbox blocks at run time (private attributes, methods that modify
a list or dict) fails the render. Either way the error is a `DunningInputError`
naming the stage, the language and the Templates row (or file). Only the
built-in letters compile in a trusted environment whose loader (Jinja2's
PackageLoader over the package's templates folder, so a checkout and an installed
wheel alike) gives them their layout; they are checked against `FIELDS`, layout
included, when loaded. HTML is autoescaped in both, so cell text such as
"<script>" arrives as text.

Amounts, one rule: the ISO currency code, a space, then the amount rounded to
the cent with thousands grouped, separators by the template's language:
en "EUR 1,234.50"; de, nl, es "EUR 1.234,50"; fr "EUR 1 234,50" (narrow
no-break space); any other language as en. The code always comes first, as
symbols are ambiguous ($ is USD, CAD, AUD...). Dates are ISO (2026-11-23) in
every language, which no reader can misread. Credit notes and unapplied
payments show with a minus sign, are marked, and are netted in the totals;
totals are per currency, never added across currencies.

Late-payment charges (optional): `render_messages(..., charges=frame)` takes the rows of
`dunning.core.charges.charges_for_items` (or `charges_for_ledger`), matched to the items by
customer and invoice. Each item then carries its interest, compensation and total, and
the message shows, after the request to pay, one sentence naming the legal basis (the UK
Act, the national law implementing Directive 2011/7/EU, or "as agreed in our terms"), a
table of the charges per overdue invoice with a total per currency, and the balance
including them, in the template's language. Rates show as "11.75%" (en), "11,75 %" (de,
es), "11,75 %" with a narrow no-break space (fr), "11,75%" (nl). Without `charges`
nothing changes: the charge fields are there, but empty.

Mail safety: every message carries an opt-out line (text and HTML, a mailto:
link whose subject names the customer) and the same mailto in a
List-Unsubscribe header; if a template leaves the line out, it is appended.
The Message-ID is derived from the idempotency key (customer|stage|run date)
and the sender's domain, so a rerun renders the same id. Headers are built
only through `email.message.EmailMessage` and `email.headerregistry`:
addresses are checked strictly (CR/LF or anything but one plain address is
refused), subjects and display names have line breaks and control characters
folded to spaces, and the key travels percent-encoded, so no cell can add a
header or a recipient.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd
from jinja2 import (
    BaseLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
    nodes,
    pass_context,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from dunning.core.amounts import money as grouped_amount
from dunning.core.columns import normal_header
from dunning.core.errors import DunningInputError, Issue, column_letter

TEMPLATES_SHEET = "Templates"
TEMPLATE_HEADERS = ("Stage", "Language", "Subject", "Text", "HTML")
FALLBACK_LANGUAGE = "en"
BUILT_IN_STAGES = ("courtesy", "friendly", "firm", "final")
BUILT_IN_LANGUAGES = ("en", "de", "fr", "nl", "es")
PARTS = ("subject", "text", "html")
PART_COLUMNS = {"subject": "Subject", "text": "Text", "html": "HTML"}
FILE_SUFFIXES = {"subject": ".subject.txt", "text": ".txt", "html": ".html"}

FIELDS: frozenset[str] = frozenset({
    "customer", "customer_name", "contact_name", "items", "items_table", "totals", "total",
    "company_name", "sender_name", "sender_email", "payment_instructions", "opt_out_line",
    "opt_out_address", "stage", "run_date", "language", "max_days_past_due",
    "charges", "charges_basis", "charges_table", "charges_note", "charges_totals",
    "charges_total", "total_with_charges",
})
"""Merge fields every template may use. `items` is a list of dicts (invoice, invoice_date,
due_date, amount, open_balance, days_past_due, currency, is_credit, and the charge keys
interest, compensation, charge_total, charge_rate, charge_regime, charge_explanation:
amounts, the annual rate in percent, "uk", "eu" or "contract", and one sentence in the
template's language; all None when the item carries no charge); `totals` maps currency
to the net open amount; `total` is `totals` formatted ("EUR 1,234.50 and USD 20.00");
`items_table` and `opt_out_line` are ready-made (aligned text, or an HTML <table> / link).

Late-payment charges, all empty unless `render_messages` was given charges: `charges` is
the list of the items that carry one (the same dicts as in `items`; empty is false in
`{% if charges %}`); `charges_basis` the sentence naming the legal basis; `charges_table`
the charges per invoice with a total per currency (aligned text or an HTML <table>);
`charges_note` says that interest runs on and gives the balance including the charges;
`charges_totals` maps currency to the charges; `charges_total` is that formatted;
`total_with_charges` is the open balance plus the charges, formatted (equal to `total`
when there are none)."""

class _CachedHeaderRegistry(HeaderRegistry):
    """The stdlib registry builds a new header class for every header set; build each once."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._classes.get(key)
        if made is None:
            made = self._classes[key] = super().__getitem__(name)
        return made


BODY_POLICY = email_policy.default.clone(header_factory=_CachedHeaderRegistry())
HEADERS_POLICY = BODY_POLICY.clone(max_line_length=998)
"""Headers fold only past RFC 5322's hard limit, so a long List-Unsubscribe URL or key stays
one ASCII token instead of being RFC 2047-encoded (which would break the URL). Bodies are
encoded under the default policy first, so their lines stay within 76 characters."""

RESERVED_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "reply-to", "sender",
    "mime-version", "content-type", "content-transfer-encoding", "return-path",
})

SEPARATORS: Mapping[str, tuple[str, str]] = {
    "en": (",", "."), "de": (".", ","), "nl": (".", ","), "es": (".", ","),
    "fr": ("\u202f", ","),
}


@dataclass(frozen=True)
class Labels:
    """Words the code writes around the templates' text, per language."""

    invoice: str
    invoice_date: str
    due_date: str
    amount: str
    open_balance: str
    days_overdue: str
    total: str
    credit: str
    and_: str
    opt_out_text: str  # {address} and {subject} are filled in
    opt_out_html: str  # {link} (the address as a mailto: link) and {subject}


LABELS: Mapping[str, Labels] = {
    "en": Labels("Invoice", "Invoice date", "Due date", "Amount", "Open", "Days overdue",
                 "Total", "credit note", "and",
                 'Prefer not to receive these automated reminders? Email {address} with the '
                 'subject "{subject}".',
                 'Prefer not to receive these automated reminders? Email {link} with the '
                 'subject "{subject}".'),
    "de": Labels("Rechnung", "Rechnungsdatum", "Fällig am", "Betrag", "Offen",
                 "Tage überfällig", "Gesamt", "Gutschrift", "und",
                 "Sie möchten diese automatischen Erinnerungen nicht mehr erhalten? Schreiben "
                 "Sie an {address} mit dem Betreff „{subject}“.",
                 "Sie möchten diese automatischen Erinnerungen nicht mehr erhalten? Schreiben "
                 "Sie an {link} mit dem Betreff „{subject}“."),
    "fr": Labels("Facture", "Date de facture", "Échéance", "Montant", "Reste dû",
                 "Jours de retard", "Total", "avoir", "et",
                 "Vous ne souhaitez plus recevoir ces rappels automatiques\u00a0? Écrivez à "
                 "{address} avec l’objet «\u00a0{subject}\u00a0».",
                 "Vous ne souhaitez plus recevoir ces rappels automatiques\u00a0? Écrivez à "
                 "{link} avec l’objet «\u00a0{subject}\u00a0»."),
    "nl": Labels("Factuur", "Factuurdatum", "Vervaldatum", "Bedrag", "Openstaand",
                 "Dagen te laat", "Totaal", "creditnota", "en",
                 "Wilt u deze automatische herinneringen niet meer ontvangen? Stuur een e-mail "
                 "naar {address} met als onderwerp ‘{subject}’.",
                 "Wilt u deze automatische herinneringen niet meer ontvangen? Stuur een e-mail "
                 "naar {link} met als onderwerp ‘{subject}’."),
    "es": Labels("Factura", "Fecha de factura", "Vencimiento", "Importe", "Pendiente",
                 "Días de retraso", "Total", "abono", "y",
                 "¿Prefiere no recibir estos recordatorios automáticos? Escriba a {address} "
                 "con el asunto «{subject}».",
                 "¿Prefiere no recibir estos recordatorios automáticos? Escriba a {link} "
                 "con el asunto «{subject}»."),
}


@dataclass(frozen=True)
class ChargeLabels:
    """The words around late-payment charges, per language.

    `basis` and `explanation` are keyed by regime ("uk", "eu", "contract"). Placeholders:
    basis {fee} (`basis_fee` when a contractual fee applies, else ""); explanation
    {invoice} {debt} {due} {days} {rate} {margin} {reference} {interest} {compensation}
    {total} {fee} (`explanation_fee` when a fee applies); note {total}. `days` is the
    singular and plural of "day".
    """

    rate: str
    interest: str
    compensation: str
    fee: str
    basis: Mapping[str, str]
    basis_fee: str
    explanation: Mapping[str, str]
    explanation_fee: str
    note: str
    days: tuple[str, str]


CHARGE_LABELS: Mapping[str, ChargeLabels] = {
    "en": ChargeLabels(
        "Rate a year", "Interest", "Compensation", "Fee",
        {"uk": "Under the Late Payment of Commercial Debts (Interest) Act 1998 we are entitled "
               "to claim statutory interest and fixed compensation on these overdue invoices. "
               "They currently come to:",
         "eu": "Under the late payment legislation implementing Directive 2011/7/EU we are "
               "entitled to claim interest for late payment and a fixed compensation for "
               "recovery costs on these overdue invoices. They currently come to:",
         "contract": "As agreed in our terms, we are entitled to charge interest{fee} on these "
                     "overdue invoices. This currently comes to:"},
        " and a fixed fee",
        {"uk": "Invoice {invoice}: {debt} due on {due}, {days} overdue; statutory interest at "
               "{rate} a year ({margin} percentage points over the Bank of England reference "
               "rate of {reference}) comes to {interest}, plus fixed compensation of "
               "{compensation}, a total of {total}.",
         "eu": "Invoice {invoice}: {debt} due on {due}, {days} overdue; interest for late "
               "payment at {rate} a year ({margin} percentage points over the reference rate "
               "of {reference}) comes to {interest}, plus fixed compensation for recovery "
               "costs of {compensation}, a total of {total}.",
         "contract": "Invoice {invoice}: {debt} due on {due}, {days} overdue; interest at the "
                     "agreed {rate} a year comes to {interest}{fee}, a total of {total}."},
        ", plus the agreed fee of {compensation}",
        "Interest continues to accrue daily until payment. Including these charges, the "
        "balance would be {total}.",
        ("day", "days")),
    "de": ChargeLabels(
        "Zinssatz p. a.", "Zinsen", "Pauschale", "Gebühr",
        {"uk": "Nach dem britischen Late Payment of Commercial Debts (Interest) Act 1998 sind "
               "wir berechtigt, für diese überfälligen Rechnungen gesetzliche Zinsen und eine "
               "feste Entschädigung zu verlangen. Die Beträge belaufen sich derzeit auf:",
         "eu": "Nach den Vorschriften zur Umsetzung der Zahlungsverzugsrichtlinie 2011/7/EU "
               "sind wir berechtigt, für diese überfälligen Rechnungen Verzugszinsen und eine "
               "Pauschale für Beitreibungskosten zu verlangen. Die Beträge belaufen sich "
               "derzeit auf:",
         "contract": "Wie in unseren Geschäftsbedingungen vereinbart, sind wir berechtigt, für "
                     "diese überfälligen Rechnungen Zinsen{fee} zu berechnen. Die Beträge "
                     "belaufen sich derzeit auf:"},
        " und eine feste Gebühr",
        {"uk": "Rechnung {invoice}: {debt}, fällig am {due}, {days} überfällig; gesetzliche "
               "Zinsen von {rate} p. a. ({margin} Prozentpunkte über dem Referenzzinssatz der "
               "Bank of England von {reference}) ergeben {interest}, zuzüglich einer "
               "Pauschale von {compensation}, insgesamt {total}.",
         "eu": "Rechnung {invoice}: {debt}, fällig am {due}, {days} überfällig; Verzugszinsen "
               "von {rate} p. a. ({margin} Prozentpunkte über dem Referenzzinssatz von "
               "{reference}) ergeben {interest}, zuzüglich einer Pauschale für "
               "Beitreibungskosten von {compensation}, insgesamt {total}.",
         "contract": "Rechnung {invoice}: {debt}, fällig am {due}, {days} überfällig; Zinsen "
                     "zum vereinbarten Satz von {rate} p. a. ergeben {interest}{fee}, "
                     "insgesamt {total}."},
        ", zuzüglich der vereinbarten Gebühr von {compensation}",
        "Die Zinsen laufen bis zur Zahlung täglich weiter. Einschließlich dieser Beträge "
        "beliefe sich der offene Saldo auf {total}.",
        ("Tag", "Tage")),
    "fr": ChargeLabels(
        "Taux annuel", "Intérêts", "Indemnité", "Frais",
        {"uk": "En application du Late Payment of Commercial Debts (Interest) Act 1998 "
               "(Royaume-Uni), nous sommes en droit de réclamer des intérêts légaux et une "
               "indemnité forfaitaire sur ces factures échues. Ces montants s’élèvent à ce "
               "jour à\u00a0:",
         "eu": "En application de la législation transposant la directive 2011/7/UE "
               "concernant la lutte contre le retard de paiement, nous sommes en droit de "
               "réclamer des intérêts de retard et une indemnité forfaitaire pour frais de "
               "recouvrement sur ces factures échues. Ces montants s’élèvent à ce jour "
               "à\u00a0:",
         "contract": "Conformément à nos conditions générales, nous sommes en droit "
                     "d’appliquer des intérêts de retard{fee} sur ces factures échues. Ces "
                     "montants s’élèvent à ce jour à\u00a0:"},
        " et des frais forfaitaires",
        {"uk": "Facture {invoice}\u00a0: {debt}, échue le {due}, {days} de retard\u00a0; "
               "intérêts légaux au taux annuel de {rate} ({margin} points au-dessus du taux "
               "de référence de la Banque d’Angleterre de {reference})\u00a0: {interest}, "
               "plus une indemnité forfaitaire de {compensation}, soit un total de {total}.",
         "eu": "Facture {invoice}\u00a0: {debt}, échue le {due}, {days} de retard\u00a0; "
               "intérêts de retard au taux annuel de {rate} ({margin} points au-dessus du "
               "taux de référence de {reference})\u00a0: {interest}, plus une indemnité "
               "forfaitaire pour frais de recouvrement de {compensation}, soit un total de "
               "{total}.",
         "contract": "Facture {invoice}\u00a0: {debt}, échue le {due}, {days} de "
                     "retard\u00a0; intérêts au taux convenu de {rate} par an\u00a0: "
                     "{interest}{fee}, soit un total de {total}."},
        ", plus les frais convenus de {compensation}",
        "Les intérêts continuent de courir chaque jour jusqu’au paiement. Avec ces montants, "
        "le solde s’élèverait à {total}.",
        ("jour", "jours")),
    "nl": ChargeLabels(
        "Rente per jaar", "Rente", "Vergoeding", "Kosten",
        {"uk": "Op grond van de Britse Late Payment of Commercial Debts (Interest) Act 1998 "
               "hebben wij recht op wettelijke rente en een vaste vergoeding over deze "
               "achterstallige facturen. Deze bedragen op dit moment:",
         "eu": "Op grond van de wetgeving ter uitvoering van Richtlijn 2011/7/EU betreffende "
               "bestrijding van betalingsachterstand hebben wij recht op rente wegens te late "
               "betaling en een vaste vergoeding voor invorderingskosten over deze "
               "achterstallige facturen. Deze bedragen op dit moment:",
         "contract": "Zoals overeengekomen in onze voorwaarden mogen wij over deze "
                     "achterstallige facturen rente{fee} in rekening brengen. Deze bedragen "
                     "op dit moment:"},
        " en vaste kosten",
        {"uk": "Factuur {invoice}: {debt}, vervallen op {due}, {days} te laat; wettelijke "
               "rente van {rate} per jaar ({margin} procentpunt boven de referentierente van "
               "de Bank of England van {reference}) bedraagt {interest}, plus een vaste "
               "vergoeding van {compensation}, in totaal {total}.",
         "eu": "Factuur {invoice}: {debt}, vervallen op {due}, {days} te laat; rente wegens te "
               "late betaling van {rate} per jaar ({margin} procentpunt boven de "
               "referentierente van {reference}) bedraagt {interest}, plus een vaste "
               "vergoeding voor invorderingskosten van {compensation}, in totaal {total}.",
         "contract": "Factuur {invoice}: {debt}, vervallen op {due}, {days} te laat; rente "
                     "tegen het overeengekomen tarief van {rate} per jaar bedraagt "
                     "{interest}{fee}, in totaal {total}."},
        ", plus de overeengekomen kosten van {compensation}",
        "De rente loopt dagelijks door tot de betaling. Inclusief deze bedragen zou het "
        "openstaande saldo {total} zijn.",
        ("dag", "dagen")),
    "es": ChargeLabels(
        "Tipo anual", "Intereses", "Indemnización", "Cargo",
        {"uk": "Conforme a la Late Payment of Commercial Debts (Interest) Act 1998 del Reino "
               "Unido, tenemos derecho a reclamar intereses legales y una indemnización fija "
               "por estas facturas vencidas. A día de hoy ascienden a:",
         "eu": "Conforme a la normativa que transpone la Directiva 2011/7/UE, por la que se "
               "establecen medidas de lucha contra la morosidad, tenemos derecho a reclamar "
               "intereses de demora y una indemnización fija por costes de cobro por estas "
               "facturas vencidas. A día de hoy ascienden a:",
         "contract": "Según lo acordado en nuestras condiciones, tenemos derecho a aplicar "
                     "intereses de demora{fee} a estas facturas vencidas. A día de hoy "
                     "ascienden a:"},
        " y un cargo fijo",
        {"uk": "Factura {invoice}: {debt}, vencida el {due}, {days} de retraso; los intereses "
               "legales al {rate} anual ({margin} puntos porcentuales sobre el tipo de "
               "referencia del Banco de Inglaterra, del {reference}) ascienden a {interest}, "
               "más una indemnización fija de {compensation}, en total {total}.",
         "eu": "Factura {invoice}: {debt}, vencida el {due}, {days} de retraso; los intereses "
               "de demora al {rate} anual ({margin} puntos porcentuales sobre el tipo de "
               "referencia, del {reference}) ascienden a {interest}, más una indemnización "
               "fija por costes de cobro de {compensation}, en total {total}.",
         "contract": "Factura {invoice}: {debt}, vencida el {due}, {days} de retraso; los "
                     "intereses al tipo acordado del {rate} anual ascienden a {interest}{fee}, "
                     "en total {total}."},
        ", más el cargo acordado de {compensation}",
        "Los intereses siguen devengándose a diario hasta el pago. Con estos importes, el "
        "saldo ascendería a {total}.",
        ("día", "días")),
}

PERCENT_SIGNS: Mapping[str, str] = {"de": "\u00a0%", "es": "\u00a0%", "fr": "\u202f%"}


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class Sender:
    """Who reminders come from (the workbook's Settings); addresses are checked at once."""

    company_name: str
    sender_name: str
    sender_email: str
    payment_instructions: str = ""
    reply_to: str = ""
    opt_out_address: str = ""  # where opt-out requests go; "" means sender_email

    def __post_init__(self) -> None:
        issues = []
        for setting, value, required in (("Sender Email", self.sender_email, True),
                                         ("Reply To", self.reply_to, False),
                                         ("Opt Out Address", self.opt_out_address, False)):
            text = str(value or "")
            if (text or required) and not is_plain_address(text):
                issues.append(Issue("expected one email address such as ar@example.com",
                                    sheet="Settings", column=setting, value=value))
        if issues:
            raise DunningInputError(issues)

    @property
    def domain(self) -> str:
        return self.sender_email.rsplit("@", 1)[1].lower()

    @property
    def opt_out(self) -> str:
        return self.opt_out_address or self.sender_email


@dataclass(frozen=True)
class Message:
    """One rendered reminder, ready for `to_email`.

    `key` is the idempotency key f"{customer}|{stage}|{run_date:%Y-%m-%d}"; `to` the
    recipients joined by ", "; `headers` the extra headers (List-Unsubscribe,
    X-Dunning-Key, Content-Language), already checked. `language` is the template's
    language, `template` where it came from, and `note` says when English stood in
    for the customer's language. `charges` maps currency to the late-payment charges the
    message shows (empty when none).
    """

    key: str
    customer: str
    stage: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    headers: dict[str, str]
    invoices: tuple[str, ...]
    totals: dict[str, float]
    to_name: str = ""
    language: str = ""
    template: str = ""
    note: str = ""
    charges: dict[str, float] = field(default_factory=dict)  # currency -> charges shown


@dataclass(frozen=True)
class Template:
    """One template's sources and where they came from (for error messages)."""

    name: str
    language: str
    subject: str
    text: str
    html: str = ""
    source: str = ""  # "Templates row 4", "built-in en/friendly", a folder path
    sheet: str | None = None
    row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # part -> column letter
    files: Mapping[str, str] = field(default_factory=dict)  # part -> file name

    def issue(self, part: str, message: str) -> Issue:
        """An Issue that points at this template's cell or file for `part`."""
        where = f"template for stage {self.name!r}, language {self.language!r}"
        if self.row is not None:
            return Issue(f"{where}: {message}", sheet=self.sheet, row=self.row,
                         column=PART_COLUMNS[part], column_letter=self.columns.get(part))
        location = self.files.get(part) or self.source or None
        return Issue(f"{where} ({part}): {message}", sheet=location)


# ------------------------------------------------------------------ amounts


def normal_language(text: object) -> str:
    """'DE_ch ' -> 'de-ch'; blank -> ''."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).strip().lower().replace("_", "-")


def money(amount: float | None, currency: str = "", language: str = "en") -> str:
    """`amount` as "EUR 1,234.50" (en), "EUR 1.234,50" (de) ...; see the module docstring."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return ""
    grouped = grouped_amount(round(float(amount), 2) + 0.0)  # + 0.0 turns -0.0 into 0.0
    swap = _separator_table(language)
    if swap:
        grouped = grouped.translate(swap)
    return f"{currency} {grouped}" if currency else grouped


@lru_cache(maxsize=256)
def _separator_table(language: str) -> dict[int, str] | None:
    """str.translate table from "1,234.50" to the language's separators; None for en."""
    thousands, decimal = SEPARATORS.get(normal_language(language).split("-")[0], (",", "."))
    if (thousands, decimal) == (",", "."):
        return None
    return {ord(","): thousands, ord("."): decimal}


def format_totals(totals: Mapping[str, float], language: str = "en") -> str:
    """{"EUR": 1234.5, "USD": 20} -> "EUR 1,234.50 and USD 20.00" (currencies in order)."""
    labels = _labels(language)
    shown = [money(amount, currency, language) for currency, amount in sorted(totals.items())]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} {labels.and_} {shown[-1]}"


def _labels(language: str) -> Labels:
    return LABELS.get(normal_language(language).split("-")[0], LABELS[FALLBACK_LANGUAGE])


# ------------------------------------------------------------------ addresses and headers


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS_TEXT = re.compile(
    rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def one_line(text: object) -> str:
    """Cell text fit for a header: line breaks and control characters become one space."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def is_plain_address(text: str) -> bool:
    """One bare ASCII address: a dot-atom local part and a domain with a real last label.

    No display name, quotes, spaces, CR/LF or commas (the same rule as the policy's
    address check). `to_email` parses each address again through email.headerregistry.
    """
    match = _ADDRESS_TEXT.fullmatch(text) if isinstance(text, str) else None
    return bool(match) and len(text) <= 254 and len(match.group("local")) <= 64


def recipients(to: str) -> list[str]:
    """The addresses in a To value ("a@x.com, b@y.com" or ";"), each checked strictly."""
    parts = [part.strip() for part in re.split(r"[,;]", str(to or ""))]
    addresses = [part for part in parts if part]
    bad = [part for part in addresses if not is_plain_address(part)]
    if bad or not addresses:
        raise ValueError(f"not a list of email addresses: {to!r}")
    return list(dict.fromkeys(addresses))


def message_key(customer: str, stage: str, run_date: dt.date) -> str:
    return f"{customer}|{stage}|{run_date:%Y-%m-%d}"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def message_id(key: str, domain: str) -> str:
    """<hash.dunning@domain>: the same key and domain give the same id on every run."""
    return f"<{key_digest(key)[:32]}.dunning@{domain}>"


def encode_key(key: str) -> str:
    """The key as one ASCII token for the X-Dunning-Key header (percent-encoded)."""
    return quote(key, safe="|-_.~:@+")


def decode_key(value: str) -> str:
    return unquote(str(value).strip())


def opt_out_mailto(address: str, customer: str) -> tuple[str, str]:
    """The opt-out mailto: URL and the subject it carries ("Opt out: <customer>")."""
    shown = one_line(customer)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    subject = f"Opt out: {shown}"
    return f"mailto:{address}?subject={quote(subject, safe='')}", subject


# ------------------------------------------------------------------ the sandbox


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with no globals and a cap on string/list repetition."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                        and times * max(len(seq), 1) > 100_000:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


@pass_context
def _money_filter(context: Any, amount: float | None, currency: str = "") -> str:
    return money(amount, currency, context.get("language", FALLBACK_LANGUAGE))


_SETTINGS: Mapping[str, Any] = {"undefined": StrictUndefined, "trim_blocks": True,
                                 "lstrip_blocks": True, "keep_trailing_newline": True}


def _configured(environment: Environment) -> Environment:
    environment.globals.clear()  # no range, cycler, joiner, lipsum, dict, namespace
    environment.filters["money"] = _money_filter
    return environment


def _environment(autoescape: bool) -> Environment:
    """The sandbox for templates from a workbook or a folder: no loader, so nothing to load."""
    return _configured(_Sandbox(autoescape=autoescape, **_SETTINGS))


def _trusted_environment(loader: BaseLoader, autoescape: bool) -> Environment:
    """The built-in letters' environment: the sandbox's settings, plus their own loader.

    Only the package's templates compile here, so that they can extend the layouts
    shipped beside them (templates/layout.html, layout.txt); nothing a user wrote does.
    """
    return _configured(Environment(loader=loader, autoescape=autoescape, auto_reload=False,
                                   **_SETTINGS))


TEXT_ENV = _environment(autoescape=False)
HTML_ENV = _environment(autoescape=True)


@dataclass(frozen=True)
class _Environments:
    """Where a set's templates compile: subject and text in `text`, HTML in `html`."""

    text: Environment
    html: Environment
    trusted: bool = False  # the built-in letters, which may extend their loader's layouts


_SANDBOXED = _Environments(TEXT_ENV, HTML_ENV)


# ------------------------------------------------------------------ templates


@dataclass(frozen=True)
class _Compiled:
    template: Template
    subject: Any
    text: Any
    html: Any  # from the HTML source, or from the text source when HTML is blank
    html_from_text: bool


class TemplateSet:
    """Templates per (name, language), compiled and checked when loaded."""

    def __init__(self, templates: Iterable[Template] = ()) -> None:
        self._compiled = _compile_all(templates, _SANDBOXED)

    # -- building

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[object]] | pd.DataFrame, *,
                  sheet: str = TEMPLATES_SHEET, header_row: int = 1,
                  first_column: int = 1) -> TemplateSet:
        """From the Templates table: header (Stage, Language, Subject, Text, HTML), then rows.

        Row numbers in errors count from `header_row`; column letters from `first_column`
        (1 = A). A blank Language means English; a blank HTML means HTML from the text.
        """
        if isinstance(rows, pd.DataFrame):
            rows = [list(rows.columns), *rows.astype(object).values.tolist()]
        if not rows:
            return cls()
        header = [normal_header(str(cell or "")) for cell in rows[0]]
        where = {name: header.index(normal_header(name))
                 for name in (*TEMPLATE_HEADERS, "Template") if normal_header(name) in header}
        if "Stage" not in where and "Template" in where:
            where["Stage"] = where["Template"]
        missing = [name for name in ("Stage", "Subject", "Text") if name not in where]
        if missing:
            raise DunningInputError([Issue(
                f"the Templates table needs the columns {', '.join(TEMPLATE_HEADERS)} "
                f"(HTML may be blank); missing: {', '.join(missing)}", sheet=sheet,
                row=header_row)])
        letters = {part: column_letter(first_column - 1 + where[column])
                   for part, column in PART_COLUMNS.items() if column in where}
        templates, issues = [], []
        for offset, row in enumerate(rows[1:], start=1):
            cells = {name: _cell(row, index) for name, index in where.items()}
            if not any(cells.values()):
                continue
            row_number = header_row + offset
            name = cells["Stage"].strip().lower()
            language = normal_language(cells.get("Language", "")) or FALLBACK_LANGUAGE
            template = Template(name, language, cells["Subject"], cells["Text"],
                                cells.get("HTML", ""), f"{sheet} row {row_number}", sheet,
                                row_number, letters)
            if not name:
                issues.append(Issue("Stage is blank; expected a stage name such as friendly",
                                    sheet=sheet, row=row_number, column="Stage"))
            elif not _LANGUAGE_TAG.fullmatch(language):
                issues.append(Issue("expected a language code such as en, de or fr-CH",
                                    sheet=sheet, row=row_number, column="Language",
                                    value=cells.get("Language")))
            else:
                templates.append(template)
        try:
            loaded = cls(templates)
        except DunningInputError as error:
            issues += error.issues
        if issues:
            raise DunningInputError(sorted(issues, key=lambda issue: issue.row or 0))
        return loaded

    @classmethod
    def from_texts(cls, files: Mapping[str, str], *, source: str = "") -> TemplateSet:
        """From file texts keyed "<language>/<name>.subject.txt", ".txt" and ".html".

        Each template needs a subject and a text file; the HTML file is optional.
        Names that fit none of these patterns are ignored.
        """
        return cls(_templates_from_texts(files, source))

    @classmethod
    def default(cls) -> TemplateSet:
        """The built-in templates shipped in dunning/templates (en, de, fr, nl, es)."""
        return _built_in()

    def over(self, fallback: TemplateSet) -> TemplateSet:
        """This set, with `fallback`'s templates for the (name, language) pairs it lacks."""
        layered = TemplateSet()
        layered._compiled = {**fallback._compiled, **self._compiled}
        return layered

    # -- looking up

    def __len__(self) -> int:
        return len(self._compiled)

    def keys(self) -> list[tuple[str, str]]:
        """(name, language) pairs, sorted."""
        return sorted(self._compiled)

    def template(self, name: str, language: str) -> Template:
        return self._compiled[(name, language)].template

    def find(self, name: str, language: str) -> tuple[_Compiled | None, str]:
        """The template for `name` in `language` (exact, base, then English) and a note."""
        wanted = normal_language(language)
        base = wanted.split("-")[0]
        tried = list(dict.fromkeys(c for c in (wanted, base, FALLBACK_LANGUAGE) if c))
        for candidate in tried:
            found = self._compiled.get((name, candidate))
            if found is not None:
                used_base = candidate.split("-")[0]
                note = "" if not wanted or used_base == base else (
                    f"no {wanted!r} template for stage {name!r}; used {candidate!r}")
                return found, note
        return None, (f"no template for stage {name!r} (languages tried: {', '.join(tried)}); "
                      "add a row to the Templates table or a file to the template folder")


def _compile_all(templates: Iterable[Template],
                 environments: _Environments) -> dict[tuple[str, str], _Compiled]:
    """Each template compiled in `environments`, keyed (name, language); raises on problems."""
    compiled: dict[tuple[str, str], _Compiled] = {}
    issues: list[Issue] = []
    for template in templates:
        key = (template.name, template.language)
        if key in compiled:
            first = compiled[key].template.source or "another template"
            issues.append(Issue(
                f"stage {template.name!r}, language {template.language!r} is already "
                f"defined by {first}; keep one", sheet=template.sheet or template.source,
                row=template.row, column="Stage" if template.row is not None else None))
            continue
        done = _compile(template, issues, environments)
        if done is not None:
            compiled[key] = done
    if issues:
        raise DunningInputError(issues)
    return compiled


def _templates_from_texts(files: Mapping[str, str], source: str) -> list[Template]:
    """`TemplateSet.from_texts`'s templates, not yet compiled; raises for missing parts."""
    found: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for path, content in files.items():
        parsed = _template_file(path)
        if parsed:
            language, name, part = parsed
            found.setdefault((name, language), {})[part] = (path, content)
    templates, issues = [], []
    for (name, language), parts in sorted(found.items()):
        paths = {part: _joined(source, path) for part, (path, _text) in parts.items()}
        template = Template(name, language, *(
            _newlines(parts.get(part, ("", ""))[1]) for part in PARTS),
            source=f"{source or 'templates'}/{language}/{name}", files=paths)
        absent = [FILE_SUFFIXES[part] for part in ("subject", "text") if part not in parts]
        if absent:
            issues.append(template.issue(
                "subject", f"missing {' and '.join(name + suffix for suffix in absent)}"))
        else:
            templates.append(template)
    if issues:
        raise DunningInputError(issues)
    return templates


def _cell(row: Sequence[object], index: int) -> str:
    value = row[index] if index < len(row) else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _newlines(str(value))


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _joined(source: str, path: str) -> str:
    return f"{source.rstrip('/')}/{path}" if source else path


def _template_file(path: str) -> tuple[str, str, str] | None:
    """'de/firm.subject.txt' -> ('de', 'firm', 'subject'); None for other names."""
    parts = path.replace("\\", "/").split("/")
    if len(parts) != 2:
        return None
    language, filename = normal_language(parts[0]), parts[1]
    if not _LANGUAGE_TAG.fullmatch(language):
        return None
    for part in ("subject", "text", "html"):  # .subject.txt before .txt
        suffix = FILE_SUFFIXES[part]
        if filename.lower().endswith(suffix) and len(filename) > len(suffix):
            return language, filename[: -len(suffix)].strip().lower(), part
    return None


@lru_cache(maxsize=1)
def _built_in() -> TemplateSet:
    """The package's templates folder, read through Jinja2's PackageLoader (a checkout, an
    installed wheel or a zip alike)."""
    return _built_in_from(PackageLoader("dunning.render", "templates"))


def _built_in_from(loader: BaseLoader) -> TemplateSet:
    """The letters `loader` holds (<language>/<stage>.subject.txt, .txt, .html), compiled in
    environments with that loader, so that they can extend the layouts it holds too.

    Trusted: for the package's own templates only. A workbook's or a folder's templates go
    through `TemplateSet(...)`, `from_rows` or `from_texts`: the sandbox, with no loader.
    """
    environments = _Environments(_trusted_environment(loader, autoescape=False),
                                 _trusted_environment(loader, autoescape=True), trusted=True)
    files = {name: loader.get_source(environments.text, name)[0]
             for name in loader.list_templates() if _template_file(name)}
    built = TemplateSet()
    built._compiled = _compile_all(_templates_from_texts(files, "built-in"), environments)
    return built


def _compile(template: Template, issues: list[Issue],
             environments: _Environments) -> _Compiled | None:
    """Parse, check against FIELDS and compile each part; problems go to `issues`."""
    html_source = template.html if template.html.strip() else template.text
    sources = {"subject": (environments.text, template.subject),
               "text": (environments.text, template.text),
               "html": (environments.html, html_source)}
    if not template.subject.strip():
        issues.append(template.issue("subject", "the subject is blank"))
    if not template.text.strip():
        issues.append(template.issue("text", "the text is blank"))
    compiled = {}
    from_text = not template.html.strip()
    for part, (environment, source) in sources.items():
        if part == "html" and from_text and "text" not in compiled:
            continue  # the text's problem is already reported once
        shown_part = "text" if part == "html" and from_text else part
        try:
            tree = environment.parse(source)
        except Exception as error:  # TemplateSyntaxError: say where, keep going
            line = getattr(error, "lineno", None)
            issues.append(template.issue(
                shown_part, f"is not a valid template (line {line}): {error}"))
            continue
        problems = (_trusted_problems(environment, tree) if environments.trusted
                    else _static_problems(tree))
        if problems:
            issues.append(template.issue(shown_part, "; ".join(problems)))
            continue
        compiled[part] = environment.from_string(tree)
    if len(compiled) != len(PARTS):
        return None
    return _Compiled(template, compiled["subject"], compiled["text"], compiled["html"],
                     from_text)


def _static_problems(tree: nodes.Template) -> list[str]:
    """Unknown fields, internal attributes and loading other templates, before anything runs."""
    problems = _field_problems(tree)
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        problems.append(f"uses {{% {type(node).__name__.lower()} %}}, which templates "
                        "cannot use (each template stands alone: write the whole message; "
                        "the built-in letters' layout is not available to other templates)")
        break
    return problems


def _trusted_problems(environment: Environment, tree: nodes.Template) -> list[str]:
    """A built-in letter's checks: its fields, and those of the layouts it extends."""
    problems: list[str] = []
    trees, seen = [tree], set()
    for checked in trees:  # grows as layouts are found
        for name in meta.find_referenced_templates(checked):
            if name is None:
                problems.append("loads a template named by an expression; name it by a string")
            elif name not in seen:
                seen.add(name)
                try:
                    source = environment.loader.get_source(environment, name)[0]
                    trees.append(environment.parse(source, name))
                except TemplateNotFound:
                    problems.append(f"loads {name!r}, which is not among the built-in templates")
                except TemplateSyntaxError as error:
                    problems.append(f"loads {name!r}, which is not a valid template "
                                    f"(line {error.lineno}): {error}")
    return problems + [problem for checked in trees for problem in _field_problems(checked)]


def _field_problems(tree: nodes.Template) -> list[str]:
    """Unknown fields and internal attributes."""
    problems = []
    unknown = sorted(meta.find_undeclared_variables(tree) - FIELDS)
    if unknown:
        problems.append(f"unknown field{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(repr(name) for name in unknown)} "
                        f"(fields: {', '.join(sorted(FIELDS))})")
    internal = sorted({node.attr for node in tree.find_all(nodes.Getattr)
                       if node.attr.startswith("_")}
                      | {node.arg.value for node in tree.find_all(nodes.Getitem)
                         if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)
                         and node.arg.value.startswith("_")})
    if internal:
        problems.append(f"uses internal attribute{'s' if len(internal) > 1 else ''} "
                        f"{', '.join(repr(name) for name in internal)}, which templates "
                        "cannot reach")
    return problems


# ------------------------------------------------------------------ rendering


ITEM_COLUMNS_REQUIRED = ("customer", "invoice", "currency", "open_balance", "due_date",
                         "days_past_due")


def render_messages(decisions_customers: pd.DataFrame, items: pd.DataFrame,
                    templates: TemplateSet, sender: Sender,
                    run_date: dt.date, charges: pd.DataFrame | None = None) -> list[Message]:
    """One message per customer whose action is "send", listing its included items.

    Args:
        decisions_customers: `dunning.core.policy.Decisions.customers` (customer, name,
            contact_name, email, language, action, stage, optional template and items).
        items: `Decisions.items` (customer, invoice, invoice_date, due_date, amount,
            currency, open_balance, days_past_due, included).
        templates: usually `TemplateSet.from_rows(...).over(TemplateSet.default())`.
        sender: the company and the sending address.
        run_date: the date of the run (the key's date).
        charges: late-payment charges to show, one row per invoice as
            `dunning.core.charges.charges_for_items` returns them (invoice, customer, interest,
            compensation, total, rate_percent, reference_rate, days, debt, regime);
            matched to the items by customer and invoice (by invoice alone when there is
            no customer column). None (the default) shows no charges.

    Raises:
        DunningInputError: a template fails (every failure, each with its stage,
            language and row), a stage has no template, or an address is unusable.
    """
    missing = [name for name in ITEM_COLUMNS_REQUIRED if name not in items.columns]
    if missing:
        raise ValueError(f"items frame lacks columns: {', '.join(missing)}")
    chosen = decisions_customers
    if "action" in chosen.columns:
        chosen = chosen[chosen["action"].astype(str) == "send"]
    by_customer = _items_by_customer(items)
    charge_rows = _charges_by_item(charges)
    messages: list[Message] = []
    issues: dict[tuple[str, str], Issue] = {}
    for row in chosen.to_dict("records"):
        try:
            message = _render_one(row, by_customer, templates, sender, run_date,
                                  charge_rows)
        except _RenderProblem as problem:
            issues.setdefault(problem.dedupe, problem.issue)
            continue
        messages.append(message)
    if issues:
        raise DunningInputError(list(issues.values()))
    return messages


class _RenderProblem(Exception):
    def __init__(self, issue: Issue, dedupe: tuple[str, str]) -> None:
        super().__init__(str(issue))
        self.issue = issue
        self.dedupe = dedupe


def _items_by_customer(items: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Included items as template dicts, grouped by customer in the frame's order."""
    frame = items
    if "included" in frame.columns:
        frame = frame[frame["included"].fillna(False).astype(bool)]
    size = len(frame)

    def column(name: str) -> list[Any]:
        return frame[name].tolist() if name in frame.columns else [None] * size

    grouped: dict[str, list[dict[str, Any]]] = {}
    for customer, invoice, invoice_date, due_date, amount, currency, balance, days in zip(
            _strings(column("customer")), _strings(column("invoice")),
            _iso_dates(column("invoice_date")), _iso_dates(column("due_date")),
            column("amount"), _strings(column("currency")), column("open_balance"),
            column("days_past_due"), strict=True):
        balance = round(float(balance), 2)
        grouped.setdefault(customer, []).append({
            "invoice": invoice, "invoice_date": invoice_date, "due_date": due_date,
            "amount": None if _blank_number(amount) else round(float(amount), 2),
            "open_balance": balance, "currency": currency,
            "days_past_due": 0 if _blank_number(days) else int(days),
            "is_credit": balance < 0,
        })
    return grouped


def _strings(values: list[Any]) -> list[str]:
    return ["" if value is None or (isinstance(value, float) and math.isnan(value))
            else str(value) for value in values]


def _iso_dates(values: list[Any]) -> list[str]:
    shown = []
    for value in values:
        if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            shown.append("")
        elif isinstance(value, dt.date):
            shown.append(f"{value:%Y-%m-%d}")
        else:
            stamp = pd.Timestamp(value)
            shown.append("" if pd.isna(stamp) else f"{stamp:%Y-%m-%d}")
    return shown


def _blank_number(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _render_one(row: Mapping[str, Any], by_customer: Mapping[str, list[dict[str, Any]]],
                templates: TemplateSet, sender: Sender, run_date: dt.date,
                charge_rows: Mapping[tuple[str, str], Mapping[str, Any]]) -> Message:
    customer = _strings([row.get("customer")])[0]
    stage = _strings([row.get("stage")])[0].strip().lower()
    name = _strings([row.get("template")])[0].strip().lower() or stage
    compiled, note = templates.find(name, row.get("language") or "")
    if compiled is None:
        raise _RenderProblem(Issue(note, sheet=TEMPLATES_SHEET), (name, "missing"))
    template = compiled.template
    try:
        to = ", ".join(recipients(_strings([row.get("email")])[0]))
    except ValueError:
        raise _RenderProblem(Issue(
            f"customer {customer!r}: {row.get('email')!r} is not an email address (several "
            "must be separated by ';')", sheet="Customers", column="Contact Email",
            value=row.get("email")), (customer, "address")) from None
    chosen = _chosen_items(by_customer.get(customer, []), row.get("items"))
    if not chosen:
        raise _RenderProblem(Issue(f"customer {customer!r}: no included items to remind of"),
                             (customer, "items"))
    language = template.language
    labels = _labels(language)
    totals = _totals(chosen)
    chosen, charged = _with_charges(customer, chosen, charge_rows, language)
    charge_totals = _charge_totals(charged)
    key = message_key(customer, stage, run_date)
    mailto, opt_subject = opt_out_mailto(sender.opt_out, customer)
    contact = one_line(row.get("contact_name"))
    customer_name = one_line(row.get("name") or row.get("customer_name")) or one_line(customer)
    common = {
        "customer": customer, "customer_name": customer_name, "contact_name": contact,
        "items": chosen, "totals": totals, "total": format_totals(totals, language),
        "company_name": sender.company_name, "sender_name": sender.sender_name,
        "sender_email": sender.sender_email, "payment_instructions": sender.payment_instructions,
        "opt_out_address": sender.opt_out, "stage": stage, "run_date": f"{run_date:%Y-%m-%d}",
        "language": language, "max_days_past_due": max(i["days_past_due"] for i in chosen),
        "charges": charged, "charges_basis": charges_basis(charged, language),
        "charges_note": charges_note(charged, totals, language),
        "charges_totals": charge_totals,
        "charges_total": format_totals(charge_totals, language) if charged else "",
        "total_with_charges": format_totals(_added(totals, charge_totals), language),
    }
    opt_text = labels.opt_out_text.format(address=sender.opt_out, subject=opt_subject)
    text_fields = {**common, "items_table": items_text_table(chosen, totals, language),
                   "charges_table": charges_text_table(charged, language) if charged else "",
                   "opt_out_line": opt_text}
    html_fields = {**{k: _html_text(v) for k, v in common.items() if k not in SENDER_FIELDS},
                   **_sender_html(sender),
                   "items_table": items_html_table(chosen, totals, language),
                   "charges_table": (charges_html_table(charged, language) if charged
                                     else Markup("")),
                   "opt_out_line": _opt_out_html(labels, mailto, sender.opt_out, opt_subject)}
    subject = one_line(_render(compiled, "subject", compiled.subject, text_fields))
    text = _render(compiled, "text", compiled.text, text_fields)
    html = _render(compiled, "html", compiled.html, html_fields)
    if compiled.html_from_text:
        html = _paragraphs(html)
    text, html = _with_opt_out(text, opt_text, html, html_fields["opt_out_line"], mailto)
    headers = {"List-Unsubscribe": f"<{mailto}>", "X-Dunning-Key": encode_key(key)}
    if _LANGUAGE_TAG.fullmatch(language):
        headers["Content-Language"] = language
    return Message(
        key=key, customer=customer, stage=stage, to=to, subject=subject, text=text,
        html=_document(html, language, subject), message_id=message_id(key, sender.domain),
        headers=headers, invoices=tuple(item["invoice"] for item in chosen), totals=totals,
        to_name=contact or customer_name, language=language, template=template.source,
        note=note, charges=charge_totals)


CHARGE_ITEM_KEYS = ("interest", "compensation", "charge_total", "charge_rate",
                    "charge_regime", "charge_explanation")


def _charges_by_item(charges: pd.DataFrame | None) -> dict[tuple[str, str], dict[str, Any]]:
    """Charge rows keyed by (customer, invoice); ("", invoice) when there is no customer."""
    if charges is None or charges.empty:
        return {}
    missing = [name for name in ("invoice", "interest", "compensation", "total")
               if name not in charges.columns]
    if missing:
        raise ValueError(f"charges frame lacks columns: {', '.join(missing)}")
    size = len(charges)

    def column(name: str) -> list[Any]:
        return charges[name].tolist() if name in charges.columns else [None] * size

    found: dict[tuple[str, str], dict[str, Any]] = {}
    for customer, invoice, interest, compensation, total, rate, reference, days, debt, regime \
            in zip(_strings(column("customer")), _strings(column("invoice")),
                   column("interest"), column("compensation"), column("total"),
                   column("rate_percent"), column("reference_rate"), column("days"),
                   column("debt"), _strings(column("regime")), strict=True):
        if _blank_number(total):
            continue
        found[(customer, invoice)] = {
            "interest": round(float(interest), 2), "compensation": round(float(compensation), 2),
            "total": round(float(total), 2),
            "rate": None if _blank_number(rate) else float(rate),
            "reference": None if _blank_number(reference) else float(reference),
            "days": None if _blank_number(days) else int(days),
            "debt": None if _blank_number(debt) else float(debt),
            "regime": regime.strip().lower(),
        }
    return found


def _with_charges(customer: str, items: list[dict[str, Any]],
                  rows: Mapping[tuple[str, str], Mapping[str, Any]],
                  language: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items with their charge keys (None without a charge), and those that carry one."""
    shown, charged = [], []
    for item in items:
        row = rows.get((customer, item["invoice"])) or rows.get(("", item["invoice"]))
        if row is None or row["total"] <= 0 or item["is_credit"]:
            shown.append({**item, **dict.fromkeys(CHARGE_ITEM_KEYS)})
            continue
        full = {**item, "interest": row["interest"], "compensation": row["compensation"],
                "charge_total": row["total"], "charge_rate": row["rate"],
                "charge_regime": row["regime"] if row["regime"] in ("uk", "eu") else "contract",
                "charge_explanation": charge_explanation(item, row, language)}
        shown.append(full)
        charged.append(full)
    return shown, charged


def _charge_totals(charged: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for item in charged:
        totals[item["currency"]] = totals.get(item["currency"], 0.0) + item["charge_total"]
    return {currency: round(amount, 2) + 0.0 for currency, amount in sorted(totals.items())}


def _added(first: Mapping[str, float], second: Mapping[str, float]) -> dict[str, float]:
    return {currency: round(first.get(currency, 0.0) + second.get(currency, 0.0), 2) + 0.0
            for currency in sorted({*first, *second})}


def _chosen_items(items: list[dict[str, Any]], listed: Any) -> list[dict[str, Any]]:
    """The customer's included items, limited to the decision's invoice list when it has one."""
    if isinstance(listed, list | tuple) and listed:
        wanted = {str(invoice) for invoice in listed}
        return [item for item in items if item["invoice"] in wanted]
    return items


def _totals(items: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for item in items:
        totals[item["currency"]] = totals.get(item["currency"], 0.0) + item["open_balance"]
    return {currency: round(amount, 2) + 0.0 for currency, amount in sorted(totals.items())}


def _render(compiled: _Compiled, part: str, template: Any, fields: Mapping[str, Any]) -> str:
    try:
        return template.render(fields)
    except SecurityError as error:
        problem = f"uses something outside its fields: {error}"
    except Exception as error:  # UndefinedError, TypeError...: any failure is the template's
        problem = f"failed: {type(error).__name__}: {error}"
    shown_part = "text" if part == "html" and compiled.html_from_text else part
    issue = compiled.template.issue(shown_part, problem)
    raise _RenderProblem(issue, (compiled.template.source + shown_part, problem))


SENDER_FIELDS = frozenset({"company_name", "sender_name", "sender_email",
                           "payment_instructions", "opt_out_address"})


@lru_cache(maxsize=8)
def _sender_html(sender: Sender) -> dict[str, Any]:
    """The sender's fields for HTML, once per sender rather than once per message."""
    return {"company_name": _html_text(sender.company_name),
            "sender_name": _html_text(sender.sender_name),
            "sender_email": _html_text(sender.sender_email),
            "payment_instructions": _html_text(sender.payment_instructions),
            "opt_out_address": _html_text(sender.opt_out)}


def _html_text(value: Any) -> Any:
    """Text fields for HTML: escaped, line breaks kept as <br>."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup("<br>").join(escape(line) for line in value.split("\n"))
    return value


def _opt_out_html(labels: Labels, mailto: str, address: str, subject: str) -> Markup:
    link = Markup('<a href="{}">{}</a>').format(mailto, address)
    return Markup(escape(labels.opt_out_html).replace("{link}", link)
                  .replace("{subject}", escape(subject)))


def _with_opt_out(text: str, opt_text: str, html: str, opt_html: Markup,
                  mailto: str) -> tuple[str, str]:
    """Append the opt-out line where a template left it out."""
    if opt_text not in text:
        text = f"{text.rstrip()}\n\n{opt_text}\n"
    if str(escape(mailto)) not in html:
        html = f'{html.rstrip()}\n<p class="opt-out">{opt_html}</p>\n'
    if not text.endswith("\n"):
        text += "\n"
    return text, html


_BLOCKS = re.compile(r"\n[ \t]*\n")


def _paragraphs(html: str) -> str:
    """Autoescaped text turned into HTML: blank lines split paragraphs, tables stay tables."""
    blocks = [block.strip() for block in _BLOCKS.split(html.strip()) if block.strip()]
    return "\n".join(block if block.startswith("<table") else
                     f"<p>{block.replace(chr(10), '<br>' + chr(10))}</p>" for block in blocks)


def _document(html: str, language: str, subject: str) -> str:
    if re.search(r"<html[\s>]", html[:2000], re.IGNORECASE):
        return html
    lang = language if _LANGUAGE_TAG.fullmatch(language) else FALLBACK_LANGUAGE
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(subject)}</title>\n</head>\n"
            '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;'
            f'line-height:1.45;color:#222222">\n{html.strip()}\n</body>\n</html>\n')


# ------------------------------------------------------------------ items tables


def _item_cells(item: Mapping[str, Any], labels: Labels, language: str) -> list[str]:
    days = item["days_past_due"]
    overdue = str(days) if days > 0 else ""
    note = labels.credit if item["is_credit"] else overdue
    return [one_line(item["invoice"]), item["invoice_date"], item["due_date"],
            money(item["amount"], item["currency"], language),
            money(item["open_balance"], item["currency"], language), note]


_RIGHT = (False, False, False, True, True, True)


def items_text_table(items: Sequence[Mapping[str, Any]], totals: Mapping[str, float],
                     language: str = "en") -> str:
    """The items as aligned plain-text columns, with one total line per currency."""
    labels = _labels(language)
    header = [labels.invoice, labels.invoice_date, labels.due_date, labels.amount,
              labels.open_balance, labels.days_overdue]
    rows = [_item_cells(item, labels, language) for item in items]
    total_rows = [[labels.total, "", "", "", money(amount, currency, language), ""]
                  for currency, amount in totals.items()]
    widths = [max(len(row[i]) for row in (header, *rows, *total_rows)) for i in range(6)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if right else cell.ljust(width)
                         for cell, width, right in zip(cells, widths, _RIGHT, strict=True))

    rule = "  ".join("-" * width for width in widths)
    body = [line(header), rule, *(line(row) for row in rows), rule,
            *(line(row) for row in total_rows)]
    return "\n".join(text.rstrip() for text in body)


_CELL = "padding:4px 10px;border-bottom:1px solid #dddddd;"
_OPENING = {
    (tag, bold): [f'<{tag} style="{_CELL}{"font-weight:bold;" if bold else ""}'
                  f'text-align:{"right" if right else "left"}">' for right in _RIGHT]
    for tag in ("th", "td") for bold in (False, True)
}


def items_html_table(items: Sequence[Mapping[str, Any]], totals: Mapping[str, float],
                     language: str = "en") -> Markup:
    """The items as an HTML <table> (inline styles, as mail clients drop <style>), escaped."""
    labels = _labels(language)
    header = [labels.invoice, labels.invoice_date, labels.due_date, labels.amount,
              labels.open_balance, labels.days_overdue]

    def cells(values: Sequence[str], tag: str, bold: bool = False) -> str:
        opening = _OPENING[(tag, bold)]
        return "".join(f"{start}{escape(value)}</{tag}>"
                       for start, value in zip(opening, values, strict=True))

    parts = ['<table class="items" cellpadding="0" cellspacing="0" '
             'style="border-collapse:collapse;margin:12px 0">',
             f"<thead><tr>{cells(header, 'th', bold=True)}</tr></thead>", "<tbody>"]
    parts += [f"<tr>{cells(_item_cells(item, labels, language), 'td')}</tr>" for item in items]
    parts.append("</tbody><tfoot>")
    for currency, amount in totals.items():
        total = [labels.total, "", "", "", money(amount, currency, language), ""]
        parts.append(f"<tr>{cells(total, 'td', bold=True)}</tr>")
    parts.append("</tfoot></table>")
    return Markup("".join(parts))


# ------------------------------------------------------------------ late-payment charges


def _charge_labels(language: str) -> ChargeLabels:
    return CHARGE_LABELS.get(normal_language(language).split("-")[0],
                             CHARGE_LABELS[FALLBACK_LANGUAGE])


def percent(value: float | None, language: str = "en") -> str:
    """An annual rate as "11.75%" (en), "11,75 %" (de, es), "11,75 %" (fr), "11,75%" (nl)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    base = normal_language(language).split("-")[0]
    return _number(value, language) + PERCENT_SIGNS.get(base, "%")


def _number(value: float, language: str) -> str:
    """8.0 -> "8", 11.75 -> "11.75" or "11,75", by the language's decimal separator."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    decimal = SEPARATORS.get(normal_language(language).split("-")[0], (",", "."))[1]
    return text.replace(".", decimal)


def _days(days: int, language: str) -> str:
    singular, plural = _charge_labels(language).days
    return f"{days} {singular if days == 1 else plural}"


def charge_explanation(item: Mapping[str, Any], row: Mapping[str, Any],
                       language: str = "en") -> str:
    """One sentence, in `language`, saying how an item's charge was worked out.

    `item` is a template item (invoice, due_date, currency, open_balance, days_past_due);
    `row` holds the charge (regime, interest, compensation, total, rate, reference, days,
    debt), as `render_messages` reads it from the charges frame.
    """
    labels = _charge_labels(language)
    regime = row.get("regime") or "contract"
    currency = item["currency"]
    debt = row.get("debt")
    days = row.get("days")
    rate, reference = row.get("rate"), row.get("reference")
    margin = "" if rate is None or reference is None else _number(rate - reference, language)
    amounts = {name: money(row[name], currency, language)
               for name in ("interest", "compensation", "total")}
    fee = (labels.explanation_fee.format(compensation=amounts["compensation"])
           if regime == "contract" and row["compensation"] else "")
    return labels.explanation.get(regime, labels.explanation["contract"]).format(
        invoice=one_line(item["invoice"]),
        debt=money(item["open_balance"] if debt is None else debt, currency, language),
        due=item["due_date"], days=_days(item["days_past_due"] if days is None else days,
                                         language),
        rate=percent(rate, language), margin=margin, reference=percent(reference, language),
        fee=fee, **amounts)


def charges_basis(charged: Sequence[Mapping[str, Any]], language: str = "en") -> str:
    """The sentence naming the legal basis of the charges shown (one per regime); "" if none."""
    if not charged:
        return ""
    labels = _charge_labels(language)
    sentences = []
    for regime in dict.fromkeys(_regime_of(item) for item in charged):
        fee = labels.basis_fee if regime == "contract" and any(
            item["compensation"] for item in charged if _regime_of(item) == "contract") else ""
        sentences.append(labels.basis[regime].format(fee=fee))
    return " ".join(sentences)


def charges_note(charged: Sequence[Mapping[str, Any]], totals: Mapping[str, float],
                 language: str = "en") -> str:
    """"Interest continues to accrue ... the balance would be X"; "" when nothing is charged."""
    if not charged:
        return ""
    with_charges = _added(totals, _charge_totals(list(charged)))
    return _charge_labels(language).note.format(total=format_totals(with_charges, language))


def _regime_of(item: Mapping[str, Any]) -> str:
    regime = str(item.get("charge_regime") or "")
    return regime if regime in ("uk", "eu", "contract") else "contract"


def _charge_header(charged: Sequence[Mapping[str, Any]], language: str) -> list[str]:
    labels, words = _labels(language), _charge_labels(language)
    fees_only = all(_regime_of(item) == "contract" for item in charged)
    return [labels.invoice, labels.days_overdue, words.rate, words.interest,
            words.fee if fees_only else words.compensation, labels.total]


def _charge_cells(item: Mapping[str, Any], language: str) -> list[str]:
    currency = item["currency"]
    return [one_line(item["invoice"]), str(item["days_past_due"]),
            percent(item["charge_rate"], language),
            money(item["interest"], currency, language),
            money(item["compensation"], currency, language),
            money(item["charge_total"], currency, language)]


def _charge_total_rows(charged: Sequence[Mapping[str, Any]], language: str) -> list[list[str]]:
    sums: dict[str, list[float]] = {}
    for item in charged:
        parts = sums.setdefault(item["currency"], [0.0, 0.0, 0.0])
        for index, name in enumerate(("interest", "compensation", "charge_total")):
            parts[index] += item[name]
    label = _labels(language).total
    return [[label, "", "", *(money(round(value, 2) + 0.0, currency, language)
                              for value in parts)]
            for currency, parts in sorted(sums.items())]


_CHARGE_RIGHT = (False, True, True, True, True, True)


def charges_text_table(charged: Sequence[Mapping[str, Any]], language: str = "en") -> str:
    """The charges per invoice as aligned plain-text columns, with a total line per currency."""
    header = _charge_header(charged, language)
    rows = [_charge_cells(item, language) for item in charged]
    totals = _charge_total_rows(charged, language)
    widths = [max(len(row[i]) for row in (header, *rows, *totals)) for i in range(6)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if right else cell.ljust(width)
                         for cell, width, right in zip(cells, widths, _CHARGE_RIGHT,
                                                       strict=True))

    rule = "  ".join("-" * width for width in widths)
    body = [line(header), rule, *(line(row) for row in rows), rule,
            *(line(row) for row in totals)]
    return "\n".join(text.rstrip() for text in body)


def charges_html_table(charged: Sequence[Mapping[str, Any]], language: str = "en") -> Markup:
    """The charges per invoice as an HTML <table> like the items table, every cell escaped."""
    def cells(values: Sequence[str], tag: str, bold: bool = False) -> str:
        weight = "font-weight:bold;" if bold else ""
        return "".join(
            f'<{tag} style="{_CELL}{weight}text-align:{"right" if right else "left"}">'
            f"{escape(value)}</{tag}>"
            for value, right in zip(values, _CHARGE_RIGHT, strict=True))

    parts = ['<table class="charges" cellpadding="0" cellspacing="0" '
             'style="border-collapse:collapse;margin:12px 0">',
             f"<thead><tr>{cells(_charge_header(charged, language), 'th', True)}</tr></thead>",
             "<tbody>"]
    parts += [f"<tr>{cells(_charge_cells(item, language), 'td')}</tr>" for item in charged]
    parts.append("</tbody><tfoot>")
    parts += [f"<tr>{cells(row, 'td', True)}</tr>"
              for row in _charge_total_rows(charged, language)]
    parts.append("</tfoot></table>")
    return Markup("".join(parts))


# ------------------------------------------------------------------ the email


def to_email(message: Message, sender: Sender, *, date: dt.datetime) -> EmailMessage:
    """The message as multipart/alternative (text, then HTML) with every header checked.

    Headers: From (sender name and address), To, Reply-To (if set), Subject, Date,
    Message-ID, List-Unsubscribe, X-Dunning-Key, Content-Language. `date` is the
    moment of the run, which the caller gives (nothing here reads the clock).
    Raises ValueError for an unusable address or header value.
    """
    addresses = recipients(message.to)
    email = EmailMessage(policy=BODY_POLICY)
    display = one_line(sender.sender_name) or one_line(sender.company_name)
    email["From"] = Address(display_name=display, addr_spec=sender.sender_email)
    name = one_line(message.to_name) if len(addresses) == 1 else ""
    email["To"] = [Address(display_name=name, addr_spec=address) for address in addresses]
    if sender.reply_to:
        email["Reply-To"] = Address(addr_spec=sender.reply_to)
    email["Subject"] = one_line(message.subject)
    email["Date"] = format_datetime(date)
    if not re.fullmatch(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[A-Za-z0-9.-]+>", message.message_id):
        raise ValueError(f"not a Message-ID: {message.message_id!r}")
    email["Message-ID"] = message.message_id
    extra = {_checked_header_name(name): _checked_header_value(name, value)
             for name, value in message.headers.items()}
    email.set_content(message.text, cte="quoted-printable")
    email.add_alternative(message.html, subtype="html", cte="quoted-printable")
    for name, value in extra.items():  # after the bodies: set_content drops Content-* headers
        email[name] = value
    email.policy = HEADERS_POLICY  # set after the bodies are encoded; see HEADERS_POLICY
    return email


def _checked_header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name) or name.lower() in RESERVED_HEADERS:
        raise ValueError(f"not an extra header name Dunning sets: {name!r}")
    return name


def _checked_header_value(name: str, value: str) -> str:
    text = str(value)
    if not text or _CONTROL.search(text) or not text.isascii():
        raise ValueError(f"header {name} must be one line of ASCII text: {value!r}")
    return text
