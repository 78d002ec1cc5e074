"""Reminder emails written from templates: one message per customer, in its language.

This module renders; it opens no file and no socket. The templates, how one is chosen and
the sandbox they render in are in `dunning.render.sandbox`; the words around them in
`dunning.render.words` (one data file per language); rates and totals in
`dunning.render.numbers` (amounts: `dunning.core.amounts.money`); the items and charges
tables in `dunning.render.tables`. `dunning.mail.mime.to_email` makes a `Message` the
email that goes out.

Dates are ISO (2026-11-23) in every language, which no reader can misread. Credit notes
and unapplied payments show with a minus sign, are marked, and are netted in the totals;
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
and the sender's domain, so a rerun renders the same id. What goes into the headers is
checked or folded in `dunning.render.headers` before `dunning.mail.mime` builds them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd
from jinja2.sandbox import SecurityError
from markupsafe import Markup, escape

from dunning.core.amounts import money
from dunning.core.errors import DunningInputError, Issue
from dunning.core.payments import link_problem, names_invoice, payment_link, template_problem
from dunning.core.policy import ascii_domain
from dunning.render.headers import (
    SMTPUTF8_NEEDED,
    AddressError,
    address_problem,
    encode_key,
    header_line,
    message_id,
    message_key,
    one_line,
    opt_out_mailto,
    recipients,
)
from dunning.render.numbers import format_totals, percent, short_number
from dunning.render.pdf import Attachment  # issue 14: statements and invoice copies
from dunning.render.sandbox import (
    LANGUAGE_TAG,
    TEMPLATES_SHEET,
    Compiled,
    RenderBudget,
    RenderLimitError,
    RunBudget,
    RunTimeSpent,
    TemplateSet,
    Unrendered,
    render_bounded,
)
from dunning.render.tables import (
    charges_html_table,
    charges_text_table,
    items_html_table,
    items_text_table,
    regime_of,
)
from dunning.render.words import FALLBACK_LANGUAGE, Labels, charge_labels_for, labels_for

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
    payment_link: str = ""  # the Payment Link template (`dunning.core.payments.payment_link`)
    pay_by_days: int = 7  # Pay By Days: the final notice's pay-by date is this many days on

    def __post_init__(self) -> None:
        issues = []
        for setting, value, required in (("Sender Email", self.sender_email, True),
                                         ("Reply To", self.reply_to, False),
                                         ("Opt Out Address", self.opt_out_address, False)):
            text = str(value or "")
            problem = address_problem(text) if text or required else ""
            if problem:
                why = f" ({problem})" if problem == SMTPUTF8_NEEDED else ""
                issues.append(Issue(f"expected one email address such as ar@example.com{why}",
                                    sheet="Settings", column=setting, value=value))
        problem = template_problem(self.payment_link) if self.payment_link else ""
        if problem:
            issues.append(Issue(f"expected a link starting with https:// ({problem})",
                                sheet="Settings", column="Payment Link", value=self.payment_link))
        if issues:
            raise DunningInputError(issues)

    @property
    def domain(self) -> str:
        """The sending domain as the Message-ID carries it: lower case, IDNA-encoded."""
        return ascii_domain(self.sender_email.rsplit("@", 1)[1]).lower()

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
    cc: str = ""  # the CC addresses joined by ", " ("" for none)
    due_soon: dict[str, float] = field(default_factory=dict)  # currency -> not yet due, shown
    fees: dict[str, float] = field(default_factory=dict)  # currency -> the stage's fixed fee
    payment_link: str = ""  # the message's payment link ("" without a Payment Link setting)
    invoice_links: dict[str, str] = field(default_factory=dict)  # invoice -> its own link
    pay_by: str = ""  # the pay-by date the message names (ISO), Pay By Days after the run
    attachments: tuple[Attachment, ...] = ()  # issue 14: added by dunning.app.attachments


# ------------------------------------------------------------------ rendering


ITEM_COLUMNS_REQUIRED = ("customer", "invoice", "currency", "open_balance", "due_date",
                         "days_past_due")


def render_messages(decisions_customers: pd.DataFrame, items: pd.DataFrame,
                    templates: TemplateSet, sender: Sender,
                    run_date: dt.date, charges: pd.DataFrame | None = None,
                    budget: RunBudget | None = None) -> list[Message]:
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
        budget: the run's time for templates (`dunning.render.sandbox.RunBudget`, one per
            run). When it runs out, rendering stops there: the messages rendered so far are
            returned, and the budget's `stopped` names the slowest template's cell and its
            `left` the messages not rendered, which the caller must report and not send.
            Without one, a run past `RUN_SECONDS` is refused whole (DunningInputError).

    Every message is rendered before this returns (so a refusal comes before anything is
    sent); a template from the workbook or a folder renders within the bounds of
    `dunning.render.sandbox` (time, loops and size per message, size per part, and time
    per run over all its messages).

    Raises:
        DunningInputError: a template fails or passes a bound (every failure, each with its
            stage, language and row or file), a stage has no template, or an address is
            unusable (a non-ASCII part before the @ would need SMTPUTF8: said so).
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
    bounded: dict[str, _RenderProblem] = {}  # template -> the bound it passed
    run = budget if budget is not None else RunBudget()
    rows = chosen.to_dict("records")
    for index, row in enumerate(rows):
        try:
            message = _render_one(row, by_customer, templates, sender, run_date,
                                  charge_rows, bounded, run)
        except RunTimeSpent:  # the run's time is spent: render (and so send) no more
            run.left = [_unrendered(left, sender, run_date) for left in rows[index:]]
            run.stopped = _run_stop(run, templates, whole=budget is None)
            break
        except _RenderProblem as problem:
            issues.setdefault(problem.dedupe, problem.issue)
            if problem.bounded:  # the run stops anyway: don't spend the time again
                bounded.setdefault(problem.template, problem)
            continue
        messages.append(message)
    stop = [run.stopped] if run.stopped is not None else []
    if issues or (stop and budget is None):
        raise DunningInputError([*issues.values(), *stop])
    return messages


def _unrendered(row: Mapping[str, Any], sender: Sender, run_date: dt.date) -> Unrendered:
    """The key and Message-ID a customer's message would have had (as `_render_one` makes
    them), for a report of what was not sent."""
    customer = _strings([row.get("customer")])[0]
    key = message_key(customer, _strings([row.get("stage")])[0].strip().lower(), run_date)
    return Unrendered(key, customer, message_id(key, sender.domain))


def _run_stop(run: RunBudget, templates: TemplateSet, *, whole: bool) -> Issue:
    """Why the run stopped rendering, naming the cell (or file) of the part that spent most
    of its time, and how many messages were left (`whole`: the run is refused, none sent)."""
    left = run.left
    who = (f"{len(left)} reminder(s) ({left[0].customer}" +
           (f" to {left[-1].customer})" if len(left) > 1 else ")"))
    slowest = run.slowest()
    source, part = slowest if isinstance(slowest, tuple) else ("", "")
    template = templates.by_source(source)
    spent = f", {run.by_part[slowest]:.1f} s of them here" if template else ""
    outcome = (f"{who} were not rendered, so nothing is sent: make the template quicker"
               if whole else f"{who} were not rendered and are not sent: make the template "
               "quicker (the next run sends those it renders in time)")
    problem = f"the run's templates took more than {run.seconds:g} seconds in all{spent}, so " \
        + outcome
    if template is None:
        return Issue(problem, sheet=TEMPLATES_SHEET)
    return template.issue(part, problem)


class _RenderProblem(Exception):
    def __init__(self, issue: Issue, dedupe: tuple[str, str], *, template: str = "",
                 bounded: bool = False) -> None:
        super().__init__(str(issue))
        self.issue = issue
        self.dedupe = dedupe
        self.template = template
        self.bounded = bounded  # a time or size bound, not a failure of this customer's data


def _items_by_customer(items: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Included items as template dicts, grouped by customer in the frame's order."""
    frame = items
    if "included" in frame.columns:
        frame = frame[frame["included"].fillna(False).astype(bool)]
    size = len(frame)

    def column(name: str) -> list[Any]:
        return frame[name].tolist() if name in frame.columns else [None] * size

    grouped: dict[str, list[dict[str, Any]]] = {}
    for customer, invoice, invoice_date, due_date, amount, currency, balance, days, link, row \
            in zip(_strings(column("customer")), _strings(column("invoice")),
                   _iso_dates(column("invoice_date")), _iso_dates(column("due_date")),
                   column("amount"), _strings(column("currency")), column("open_balance"),
                   column("days_past_due"), _strings(column("payment_link")), column("row"),
                   strict=True):
        balance = round(float(balance), 2)
        grouped.setdefault(customer, []).append({
            "invoice": invoice, "invoice_date": invoice_date, "due_date": due_date,
            "amount": None if _blank_number(amount) else round(float(amount), 2),
            "open_balance": balance, "currency": currency,
            "days_past_due": 0 if _blank_number(days) else int(days),
            "is_credit": balance < 0, "payment_link": link.strip(),
            "row": None if _blank_number(row) else int(row),
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
                charge_rows: Mapping[tuple[str, str], Mapping[str, Any]],
                bounded: Mapping[str, _RenderProblem], run: RunBudget) -> Message:
    customer = _strings([row.get("customer")])[0]
    stage = _strings([row.get("stage")])[0].strip().lower()
    name = _strings([row.get("template")])[0].strip().lower() or stage
    compiled, note = templates.find(name, row.get("language") or "")
    if compiled is None:
        raise _RenderProblem(Issue(note, sheet=TEMPLATES_SHEET), (name, "missing"))
    template = compiled.template
    if template.source in bounded:
        raise bounded[template.source]
    try:
        email = _strings([row.get("email")])[0]
        by_post = row.get("channel") == "letter" and not email.strip()
        to = "" if by_post else ", ".join(recipients(email))  # a letter needs no address
    except AddressError as error:
        why = f"; {error.why}" if error.why else ""
        raise _RenderProblem(Issue(
            f"customer {customer!r}: {row.get('email')!r} is not an email address (several "
            f"must be separated by ';'{why})", sheet="Customers", column="Contact Email",
            value=row.get("email")), (customer, "address")) from None
    cc = _copied(customer, row.get("cc"))
    listed = _chosen_items(by_customer.get(customer, []), row.get("items"))
    if not listed:
        raise _RenderProblem(Issue(f"customer {customer!r}: no included items to remind of"),
                             (customer, "items"))
    chosen, soon = split_due(listed)
    language = template.language
    labels = labels_for(language)
    totals = _totals(chosen)
    soon_totals = _totals(soon)
    chosen, charged = _with_charges(customer, chosen, charge_rows, language)
    charge_totals = _charge_totals(charged)
    fees = _fees(row)
    link, invoice_links = _links(customer, sender.payment_link, listed, totals)
    pay_by = run_date + dt.timedelta(days=sender.pay_by_days)
    fee_text = " ".join(labels.stage_fee.format(fee=money(amount, currency, language))
                        for currency, amount in fees.items())
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
        "total_with_charges": format_totals(_added(_added(totals, charge_totals), fees),
                                            language),
        "overdue_total": format_totals(totals, language),
        "due_soon_items": soon, "due_soon_totals": soon_totals,
        "due_soon_total": format_totals(soon_totals, language) if soon else "",
        "due_soon_heading": labels.due_soon if soon else "",
        "stage_fee": format_totals(fees, language) if fees else "", "stage_fees": fees,
        "stage_fee_text": fee_text, "pay_by": f"{pay_by:%Y-%m-%d}",
        "payment_link": link, "invoice_links": invoice_links,
    }
    opt_text = labels.opt_out_text.format(address=sender.opt_out, subject=opt_subject)
    text_fields = {**common, "items_table": items_text_table(chosen, totals, language),
                   "due_soon_table": items_text_table(soon, soon_totals, language) if soon
                   else "",
                   "charges_table": charges_text_table(charged, language) if charged else "",
                   "payment_links": _links_text(labels, link, invoice_links),
                   "opt_out_line": opt_text}
    html_fields = {**{k: _html_text(v) for k, v in common.items() if k not in SENDER_FIELDS},
                   **_sender_html(sender),
                   "items_table": items_html_table(chosen, totals, language),
                   "due_soon_table": (items_html_table(soon, soon_totals, language) if soon
                                      else Markup("")),
                   "charges_table": (charges_html_table(charged, language) if charged
                                     else Markup("")),
                   "payment_links": _links_html(labels, link, invoice_links),
                   "opt_out_line": _opt_out_html(labels, mailto, sender.opt_out, opt_subject)}
    budget = RenderBudget(run) if compiled.bounded else None  # one per message, all parts
    subject = header_line(_render(compiled, "subject", compiled.subject, text_fields, budget))
    text = _render(compiled, "text", compiled.text, text_fields, budget)
    html = _render(compiled, "html", compiled.html, html_fields, budget)
    if compiled.html_from_text:
        html = _paragraphs(html)
    text, html = _with_opt_out(text, opt_text, html, html_fields["opt_out_line"], mailto)
    headers = {"List-Unsubscribe": f"<{mailto}>", "X-Dunning-Key": encode_key(key)}
    if LANGUAGE_TAG.fullmatch(language):
        headers["Content-Language"] = language
    return Message(
        key=key, customer=customer, stage=stage, to=to, subject=subject, text=text,
        html=_document(html, language, subject), message_id=message_id(key, sender.domain),
        headers=headers, invoices=tuple(item["invoice"] for item in chosen), totals=totals,
        to_name=contact or customer_name, language=language, template=template.source,
        note=note, charges=charge_totals, cc=cc, due_soon=soon_totals, fees=fees,
        payment_link=link, invoice_links=invoice_links, pay_by=f"{pay_by:%Y-%m-%d}")


def split_due(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items a message asks for, and those it only mentions as falling due soon.

    Past their due date (days past due above 0; credits whose date has passed net them) is
    what is owed now. A customer with nothing past due (a courtesy reminder) is asked about
    what falls due, and nothing is set apart.
    """
    overdue = [item for item in items if item["days_past_due"] > 0]
    if not any(item["open_balance"] > 0 for item in overdue):
        return items, []
    return overdue, [item for item in items if item["days_past_due"] <= 0]


def _copied(customer: str, cc: Any) -> str:
    """The CC addresses (a tuple or a ";" list), checked like the main address."""
    shown = "; ".join(cc) if isinstance(cc, list | tuple) else _strings([cc])[0]
    if not shown.strip():
        return ""
    try:
        return ", ".join(recipients(shown))
    except AddressError as error:
        raise _RenderProblem(Issue(
            f"customer {customer!r}: CC {shown!r} is not a list of email addresses",
            sheet="Customers", column="CC Email", value=shown), (customer, "cc")) from error


def _fees(row: Mapping[str, Any]) -> dict[str, float]:
    """The stage's fixed fee by currency, as the decision carries it (empty when none)."""
    fee = row.get("stage_fee")
    if _blank_number(fee) or not fee:
        return {}
    return {_strings([row.get("fee_currency")])[0]: round(float(fee), 2)}


def _links(customer: str, template: str, items: list[dict[str, Any]],
           totals: Mapping[str, float]) -> tuple[str, dict[str, str]]:
    """The message's payment link (for its whole amount when in one currency) and each
    invoice's: the Invoices table's Payment Link wins; else the template's when it names
    {invoice}. A bad link in the Invoices table is refused, naming its cell."""
    single = len(totals) == 1
    currency, amount = next(iter(totals.items())) if single else ("", None)
    link = payment_link(template, customer, "", amount, currency) if template else ""
    per_invoice = bool(template) and names_invoice(template)
    links: dict[str, str] = {}
    for item in items:
        own = item.get("payment_link") or ""
        problem = link_problem(own) if own else ""
        if problem:
            raise _RenderProblem(Issue(
                f"invoice {item['invoice']!r}: {problem}", sheet="Invoices", row=item.get("row"),
                column="Payment Link", value=own), (item["invoice"], "link"))
        if own:
            links[item["invoice"]] = own
        elif per_invoice and item["open_balance"] > 0:
            links[item["invoice"]] = payment_link(template, customer, item["invoice"],
                                                  item["open_balance"], item["currency"])
    return link, links


def _links_text(labels: Labels, link: str, invoice_links: Mapping[str, str]) -> str:
    if not link and not invoice_links:
        return ""
    lines = [labels.pay_online, *([link] if link else [])]
    lines += [f"{one_line(invoice)}: {url}" for invoice, url in invoice_links.items()]
    return "\n".join(lines)


def _links_html(labels: Labels, link: str, invoice_links: Mapping[str, str]) -> Markup:
    if not link and not invoice_links:
        return Markup("")
    lines = [Markup("<strong>{}</strong>").format(labels.pay_online)]
    if link:
        lines.append(Markup('<a href="{}">{}</a>').format(link, link))
    lines += [Markup('{}: <a href="{}">{}</a>').format(one_line(invoice), url, url)
              for invoice, url in invoice_links.items()]
    return Markup("<br>").join(lines)


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


def _render(compiled: Compiled, part: str, template: Any, fields: Mapping[str, Any],
            budget: RenderBudget | None) -> str:
    """One part rendered: a built-in letter as it is, any other template within `budget`
    and `dunning.render.sandbox.OUTPUT_LIMIT` characters."""
    bounded = False
    shown_part = "text" if part == "html" and compiled.html_from_text else part
    try:
        if budget is None:
            return template.render(fields)
        return render_bounded(template, fields, budget,
                              where=(compiled.template.source, shown_part))
    except RunTimeSpent:
        raise  # the run's bound, not this template's failure: `render_messages` stops
    except RenderLimitError as error:
        problem, bounded = str(error), True
    except SecurityError as error:
        problem = f"uses something outside its fields: {error}"
    except Exception as error:  # UndefinedError, TypeError...: any failure is the template's
        problem = f"failed: {type(error).__name__}: {error}"
    issue = compiled.template.issue(shown_part, problem)
    raise _RenderProblem(issue, (compiled.template.source + shown_part, problem),
                         template=compiled.template.source, bounded=bounded)


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
    lang = language if LANGUAGE_TAG.fullmatch(language) else FALLBACK_LANGUAGE
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(subject)}</title>\n</head>\n"
            '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;'
            f'line-height:1.45;color:#222222">\n{html.strip()}\n</body>\n</html>\n')


# ------------------------------------------------------------------ late-payment charges


def _days(days: int, language: str) -> str:
    singular, plural = charge_labels_for(language).days
    return f"{days} {singular if days == 1 else plural}"


def charge_explanation(item: Mapping[str, Any], row: Mapping[str, Any],
                       language: str = "en") -> str:
    """One sentence, in `language`, saying how an item's charge was worked out.

    `item` is a template item (invoice, due_date, currency, open_balance, days_past_due);
    `row` holds the charge (regime, interest, compensation, total, rate, reference, days,
    debt), as `render_messages` reads it from the charges frame.
    """
    labels = charge_labels_for(language)
    regime = row.get("regime") or "contract"
    currency = item["currency"]
    debt = row.get("debt")
    days = row.get("days")
    rate, reference = row.get("rate"), row.get("reference")
    margin = "" if rate is None or reference is None else short_number(rate - reference, language)
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
    labels = charge_labels_for(language)
    sentences = []
    for regime in dict.fromkeys(regime_of(item) for item in charged):
        fee = labels.basis_fee if regime == "contract" and any(
            item["compensation"] for item in charged if regime_of(item) == "contract") else ""
        sentences.append(labels.basis[regime].format(fee=fee))
    return " ".join(sentences)


def charges_note(charged: Sequence[Mapping[str, Any]], totals: Mapping[str, float],
                 language: str = "en") -> str:
    """"Interest continues to accrue ... the balance would be X"; "" when nothing is charged."""
    if not charged:
        return ""
    with_charges = _added(totals, _charge_totals(list(charged)))
    return charge_labels_for(language).note.format(total=format_totals(with_charges, language))
