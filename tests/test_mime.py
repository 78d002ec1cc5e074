"""MIME messages: multipart/alternative, every header checked, none a cell can add or bend."""

from __future__ import annotations

import email
import re
from email import policy
from urllib.parse import parse_qs, urlsplit

import pytest

from dunning.mail.mime import to_email
from dunning.render.headers import decode_key
from dunning.render.messages import Message
from test_messages import SENDER, WHEN, customer, parsed, render, rows_set, standard_items


def test_email_is_multipart_alternative_with_every_header():
    [message] = render([customer()], standard_items())
    received = parsed(message)
    assert received.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in received.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert received["From"].addresses[0].display_name == "Jane Smith"
    assert received["From"].addresses[0].addr_spec == "ar@acme.example"
    assert [a.addr_spec for a in received["To"].addresses] == ["anna@mueller.example"]
    assert received["To"].addresses[0].display_name == "Anna Müller"
    assert received["Subject"] == message.subject
    assert received["Date"].datetime.tzinfo is not None
    assert decode_key(received["X-Dunning-Key"]) == message.key
    assert received["Reply-To"] is None
    plain = received.get_body(("plain",)).get_content()
    assert "EUR 1,234.50" in plain and "USD 20.00" in plain


def test_several_addresses_become_several_recipients_without_display_name():
    [message] = render([customer(address="a@x.example; b@y.example")], standard_items())
    received = parsed(message)
    assert [a.addr_spec for a in received["To"].addresses] == ["a@x.example", "b@y.example"]
    assert all(a.display_name == "" for a in received["To"].addresses)


INJECTION = "ACME\r\nBcc: victim@example.com"


def test_customer_name_cannot_inject_a_header_or_a_recipient():
    templates = rows_set(["friendly", "en", "Reminder for {{ customer_name }}",
                          "Dear {{ contact_name }}, pay {{ total }}.", ""])
    [message] = render([customer(name=INJECTION, contact=INJECTION)], standard_items(),
                       templates)
    raw = to_email(message, SENDER, date=WHEN).as_bytes()
    received = email.message_from_bytes(raw, policy=policy.default)
    assert received["Bcc"] is None and received["Cc"] is None
    assert not re.search(rb"(?im)^bcc:", raw)
    assert [a.addr_spec for a in received["To"].addresses] == ["anna@mueller.example"]
    assert received["Subject"] == "Reminder for ACME Bcc: victim@example.com"
    assert "\n" not in message.subject and "\r" not in message.subject


def test_display_name_with_address_characters_stays_one_recipient():
    [message] = render([customer(contact='Smith, John <evil@attacker.example>')],
                       standard_items())
    received = parsed(message)
    assert [a.addr_spec for a in received["To"].addresses] == ["anna@mueller.example"]


def test_to_email_refuses_tampered_recipients_and_headers():
    [message] = render([customer()], standard_items())
    for bad in (dict(to="a@x.example\r\nBcc: v@example.com"), dict(to="a@x.example\nb"),
                dict(headers={"X-Dunning-Key": "k\r\nBcc: v@example.com"}),
                dict(headers={"Bcc": "v@example.com"}),
                dict(message_id="<id@x>\r\nBcc: v@example.com")):
        with pytest.raises(ValueError):
            to_email(Message(**{**message.__dict__, **bad}), SENDER, date=WHEN)


def test_long_and_non_ascii_customer_ids_keep_headers_intact():
    long_id = "Kunde-Ärger-" + "x" * 150
    [message] = render([customer(long_id)], standard_items(long_id))
    raw = to_email(message, SENDER, date=WHEN).as_bytes()
    unsubscribe = next(line for line in raw.split(b"\n") if line.startswith(b"List-Unsub"))
    assert b"=?" not in unsubscribe and b"<mailto:ar@acme.example?subject=" in unsubscribe
    received = email.message_from_bytes(raw, policy=policy.default)
    assert decode_key(received["X-Dunning-Key"]) == message.key
    subject = parse_qs(urlsplit(received["List-Unsubscribe"][1:-1]).query)["subject"][0]
    assert subject.startswith("Opt out: Kunde-Ärger-x") and len(subject) <= len("Opt out: ") + 80
    assert all(len(line) <= 998 for line in raw.split(b"\n"))


def test_to_email_folds_a_tampered_subject_and_display_name():
    [message] = render([customer()], standard_items())
    tampered = Message(**{**message.__dict__, "subject": "Hi\r\nBcc: victim@example.com",
                          "to_name": "X\r\nCc: victim@example.com"})
    raw = to_email(tampered, SENDER, date=WHEN).as_bytes()
    received = email.message_from_bytes(raw, policy=policy.default)
    assert received["Bcc"] is None and received["Cc"] is None
    assert received["Subject"] == "Hi Bcc: victim@example.com"
    assert [a.addr_spec for a in received["To"].addresses] == ["anna@mueller.example"]


def test_to_email_strips_bidi_overrides_from_a_tampered_subject_and_name():
    [message] = render([customer()], standard_items())
    tampered = Message(**{**message.__dict__, "subject": "Invoice \u202eKCATTA\u202c due",
                          "to_name": "\u2067Anna\u2069 \u200fMüller"})
    received = parsed(tampered)
    assert received["Subject"] == "Invoice KCATTA due"
    assert received["To"].addresses[0].display_name == "Anna Müller"


def test_to_email_encodes_an_international_recipient_domain_and_refuses_a_unicode_local_part():
    [message] = render([customer()], standard_items())
    idn = Message(**{**message.__dict__, "to": "anna@müller.example, anna@xn--mller-kva.example"})
    received = parsed(idn)
    assert [a.addr_spec for a in received["To"].addresses] == ["anna@xn--mller-kva.example"]
    with pytest.raises(ValueError, match="SMTPUTF8"):
        to_email(Message(**{**message.__dict__, "to": "jürgen@x.example"}), SENDER, date=WHEN)
