"""Reminders as MIME messages: multipart/alternative (text, then HTML), every header checked.

Headers are built only through `email.message.EmailMessage` and
`email.headerregistry`: addresses are checked strictly (CR/LF or anything but one
plain address is refused) and carry an international domain IDNA-encoded, so that
smtplib's envelope (taken from From and To) stays ASCII and needs no SMTPUTF8; subjects
and display names have line breaks and control characters folded to spaces and
bidirectional overrides and other invisible formatting removed; and the key travels
percent-encoded, so no cell can add a header or a recipient. The messages
themselves are rendered by `dunning.render.messages`.
"""

from __future__ import annotations

import datetime as dt
import re
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime

from dunning.core.policy import ascii_address
from dunning.render.headers import CONTROL_CHARACTERS, header_line, recipients
from dunning.render.messages import Message, Sender


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

_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def to_email(message: Message, sender: Sender, *, date: dt.datetime) -> EmailMessage:
    """The message as multipart/alternative (text, then HTML) with every header checked.

    Headers: From (sender name and address), To, Cc (if any), Reply-To (if set), Subject, Date,
    Message-ID, List-Unsubscribe, X-Dunning-Key, Content-Language. A message with
    attachments (a statement, invoice copies) is multipart/mixed: the alternative first,
    then each file as an attachment part with its file name. `date` is the
    moment of the run, which the caller gives (nothing here reads the clock).
    Raises ValueError for an unusable address or header value.
    """
    addresses = list(dict.fromkeys(ascii_address(address)
                                   for address in recipients(message.to)))
    email = EmailMessage(policy=BODY_POLICY)
    display = header_line(sender.sender_name) or header_line(sender.company_name)
    email["From"] = Address(display_name=display, addr_spec=ascii_address(sender.sender_email))
    name = header_line(message.to_name) if len(addresses) == 1 else ""
    email["To"] = [Address(display_name=name, addr_spec=address) for address in addresses]
    copied = [address for address in dict.fromkeys(ascii_address(address) for address in
                                                   recipients(message.cc))
              if address not in addresses] if message.cc else []
    if copied:  # smtplib's send_message puts the Cc addresses in the envelope too
        email["Cc"] = [Address(addr_spec=address) for address in copied]
    if sender.reply_to:
        email["Reply-To"] = Address(addr_spec=ascii_address(sender.reply_to))
    email["Subject"] = header_line(message.subject)
    email["Date"] = format_datetime(date)
    if not re.fullmatch(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[A-Za-z0-9.-]+>", message.message_id):
        raise ValueError(f"not a Message-ID: {message.message_id!r}")
    email["Message-ID"] = message.message_id
    extra = {_checked_header_name(name): _checked_header_value(name, value)
             for name, value in message.headers.items()}
    email.set_content(message.text, cte="quoted-printable")
    email.add_alternative(message.html, subtype="html", cte="quoted-printable")
    for attachment in message.attachments:  # the alternative becomes multipart/mixed's first
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                             filename=header_line(attachment.filename))
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
    if not text or CONTROL_CHARACTERS.search(text) or not text.isascii():
        raise ValueError(f"header {name} must be one line of ASCII text: {value!r}")
    return text
