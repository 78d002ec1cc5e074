"""What a message's headers will carry, made safe before any header is built.

Addresses are checked strictly (one plain address; CR/LF, display names, quotes or
commas are refused), cell text for a subject or a display name is folded to one line,
and the idempotency key (customer|stage|run date) gives the Message-ID (with the
sender's domain, so a rerun renders the same id) and travels percent-encoded in
X-Dunning-Key. `dunning.mail.mime` builds the headers from these values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from urllib.parse import quote, unquote

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS_TEXT = re.compile(
    rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")


def one_line(text: object) -> str:
    """Cell text fit for a header: line breaks and control characters become one space."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(text)).split())


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
