"""Payment links: the URL a debtor follows to pay, from the Payment Link setting's template.

The template is a URL with up to four fields, `{customer}`, `{invoice}`, `{amount}` and
`{currency}`, such as https://pay.example.com/?c={customer}&i={invoice}&a={amount}. Each
value is URL-encoded whole (as `urllib.parse.quote(value, safe="")` does: UTF-8, every byte
but letters, digits and "-._~" as %XX; written out here, since the core imports no network
module), so a customer id
holding "&" or "/" cannot change the link's shape; the amount is written with a dot and two
decimals (1234.50), whatever the letter's language. Only http and https links are made:
a template or an Invoices table link of any other scheme (javascript:, mailto:, file:) is
refused, as is one with spaces or control characters. Reminders (`dunning.render.messages`)
and the statement of account take their links from `payment_link`, the one way to make one.
"""

from __future__ import annotations

import re
import string

LINK_FIELDS = ("customer", "invoice", "amount", "currency")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f<>\"]")
_LINK = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<rest>.*)", re.DOTALL)
_AUTHORITY = re.compile(r"//(?:[^/?#@]+@)?[^/?#:@]+(?::\d{1,5})?(?:[/?#]|$)")
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def quote(value: str) -> str:
    """`value` percent-encoded whole, as urllib.parse.quote(value, safe="") encodes it."""
    return "".join(chr(byte) if byte in _KEPT else f"%{byte:02X}"
                   for byte in str(value).encode("utf-8"))


def link_problem(url: str) -> str:
    """Why `url` cannot be a payment link ("" when it can): http or https, a host, no spaces."""
    text = str(url)
    if _UNSAFE.search(text):
        return "a link cannot hold spaces, quotes, angle brackets or control characters"
    match = _LINK.fullmatch(text)
    if (not match or match.group("scheme").lower() not in ("http", "https")
            or not _AUTHORITY.match(match.group("rest"))):
        return "expected a link starting with https:// (or http://) and a host name"
    return ""


def template_fields(template: str) -> tuple[str, ...]:
    """The fields a template names, in order; ValueError for braces that are not a field."""
    named = []
    for _, name, spec, conversion in string.Formatter().parse(str(template)):
        if name is None:
            continue
        if name not in LINK_FIELDS or spec or conversion:
            raise ValueError(f"unknown field {{{name}}}: the fields are "
                             + ", ".join(f"{{{field}}}" for field in LINK_FIELDS))
        named.append(name)
    return tuple(named)


def template_problem(template: str) -> str:
    """Why a Payment Link template is unusable ("" when it is usable)."""
    try:
        template_fields(template)
    except ValueError as error:
        return str(error)
    return link_problem(payment_link(template, "C", "INV-1", 1.0, "EUR", checked=False))


def names_invoice(template: str) -> bool:
    """Whether the template makes one link per invoice (it names {invoice})."""
    return "invoice" in template_fields(template)


def payment_link(template: str, customer: str, invoice: str = "", amount: float | None = None,
                 currency: str = "", *, checked: bool = True) -> str:
    """The link for one customer (and invoice), every value URL-encoded; "" without a template.

    Raises ValueError when the template or the link made from it is unusable (`checked`).
    """
    if not template:
        return ""
    shown = "" if amount is None else f"{round(float(amount), 2):.2f}"
    values = {"customer": customer, "invoice": invoice, "amount": shown, "currency": currency}
    try:
        link = str(template).format(**{name: quote(str(value)) for name, value in values.items()})
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"unusable payment link template: {error}") from None
    problem = link_problem(link) if checked else ""
    if problem:
        raise ValueError(problem)
    return link
