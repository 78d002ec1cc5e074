"""What a message's headers will carry, made safe before any header is built.

Addresses are checked strictly (one plain address; CR/LF, display names, quotes or
commas are refused). An international domain (anna@müller.example) is accepted and
travels IDNA-encoded (anna@xn--mller-kva.example) in the headers and so in the SMTP
envelope; a non-ASCII local part is refused, since it would need SMTPUTF8, which Dunning
does not use. Cell text for a subject or a display name is folded to one line, with
bidirectional overrides and other invisible formatting characters removed (a debtor's
mail client could otherwise show a reversed subject). The idempotency key
(customer|stage|run date) gives the Message-ID (with the sender's domain, so a rerun
renders the same id) and travels percent-encoded in X-Dunning-Key.
`dunning.mail.mime` builds the headers from these values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from urllib.parse import quote, unquote

from dunning.core.policy import ascii_address

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
INVISIBLE_FORMATTING = re.compile(
    "[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]+")
"""Bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A-E,
U+2066-9), zero-width space, invisible operators and the byte-order mark: nothing a
header needs, and they can reorder what a mail client shows. The zero-width joiners
(U+200C/D), which some scripts and emoji need, stay."""


def one_line(text: object) -> str:
    """Cell text fit for a header: line breaks and control characters become one space."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(text)).split())


SMTPUTF8_NEEDED = ("its part before the @ is not ASCII, which would need SMTPUTF8, a mail "
                   "extension Dunning does not use")


class AddressError(ValueError):
    """Not a list of usable addresses; `why` says what is wrong ("" when nothing more
    than "not an email address" can be said)."""

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why


def header_line(text: object) -> str:
    """Cell text fit for a Subject or a display name: `one_line`, without invisible
    formatting characters (bidirectional overrides and the like)."""
    return one_line(INVISIBLE_FORMATTING.sub("", one_line(text)))


def address_problem(text: object) -> str:
    """Why `text` is not one plain address, in a few words; "" when it is one.

    One bare address: a dot-atom local part of ASCII letters, digits and !#$%&'*+/=?^_`{|}~-
    and a domain with a real last label, in ASCII or international (IDNA). No display
    name, quotes, spaces, CR/LF or commas. `to_email` parses each address again through
    email.headerregistry.
    """
    if not isinstance(text, str) or "@" not in text:
        return "not an email address"
    if not text.rpartition("@")[0].isascii():
        return SMTPUTF8_NEEDED
    try:
        ascii_address(text)
    except ValueError:
        return "not an email address"
    return ""


def is_plain_address(text: str) -> bool:
    """One bare address (see `address_problem`): ASCII, or with an international domain."""
    return not address_problem(text)


def recipients(to: str) -> list[str]:
    """The addresses in a To value ("a@x.com, b@y.com" or ";"), each checked strictly, as
    written (`ascii_address` gives the form the headers carry). The ValueError says why."""
    parts = [part.strip() for part in re.split(r"[,;]", str(to or ""))]
    addresses = [part for part in parts if part]
    problems = [address_problem(part) for part in addresses]
    if any(problems) or not addresses:
        why = SMTPUTF8_NEEDED if SMTPUTF8_NEEDED in problems else ""
        raise AddressError(f"not a list of email addresses: {to!r}"
                           + (f" ({why})" if why else ""), why)
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
    shown = header_line(customer)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    subject = f"Opt out: {shown}"
    return f"mailto:{ascii_address(address)}?subject={quote(subject, safe='')}", subject
