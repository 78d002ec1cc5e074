"""Header values made safe in render: the key travels percent-encoded and comes back whole."""

from __future__ import annotations

import email
from email import policy
from email.utils import getaddresses
from urllib.parse import unquote

import pytest

from dunning.core.errors import DunningInputError
from dunning.core.policy import ascii_address
from dunning.mail.mime import to_email
from dunning.render.headers import (
    address_problem,
    decode_key,
    header_line,
    is_plain_address,
    one_line,
)
from dunning.render.messages import Sender
from test_messages import WHEN, customer, parsed, render, rows_set, standard_items


def test_decode_key_round_trips_any_customer_id():
    [message] = render([customer("a|b c/ü%")], standard_items("a|b c/ü%"))
    assert decode_key(message.headers["X-Dunning-Key"]) == "a|b c/ü%|friendly|2026-11-23"
    assert unquote(message.headers["X-Dunning-Key"]).startswith("a|b c/ü%")


# ------------------------------------------------------------------ invisible formatting

BIDI = "\u202e\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u200e\u200f\u061c"


def test_header_line_removes_bidirectional_overrides_and_invisible_formatting():
    assert header_line(f"Invoice {BIDI}fdp.exe\u200b\ufeff") == "Invoice fdp.exe"
    assert header_line("Zoë\u200d👩\u200d💻 Ltd\r\nBcc: x") == "Zoë\u200d👩\u200d💻 Ltd Bcc: x"
    assert one_line(f"a{BIDI}b") == f"a{BIDI}b"  # bodies keep what the cell held


def test_subject_and_display_names_carry_no_bidi_override_but_the_body_keeps_it_escaped():
    templates = rows_set(["friendly", "en", "Reminder {{ customer_name }}",
                          "Dear {{ contact_name }}", "<p>Dear {{ contact_name }}</p>"])
    sender = Sender("Acme", "Jane\u202e Smith", "ar@acme.example")
    [message] = render([customer(name="Gmb\u202eH\u2066x", contact="An\u202ena")],
                       standard_items(), templates, sender=sender)
    received = parsed(message, sender)
    assert message.subject == received["Subject"] == "Reminder GmbHx"
    assert received["To"].addresses[0].display_name == "Anna"
    assert received["From"].addresses[0].display_name == "Jane Smith"
    assert "\u202e" in message.text and "\u202e" in message.html
    shown = [str(received[name]) for name in ("Subject", "From", "To")]
    assert not any(char in value for value in shown for char in BIDI)


# ------------------------------------------------------------------ international domains


def test_ascii_address_encodes_an_international_domain_and_leaves_ascii_alone():
    assert ascii_address("anna@müller.example") == "anna@xn--mller-kva.example"
    assert ascii_address("Anna@Acme.Example") == "Anna@Acme.Example"
    assert is_plain_address("anna@bücher.de") and is_plain_address("a@xn--bcher-kva.de")


@pytest.mark.parametrize("bad", [
    "anna@mü ller.example", "anna@müller..example", "anna@.müller.example", "anna@müller",
    "anna@müller_x.example", "anna@mü<ller.example", "anna@müller.example\r\nBcc: v@x.io",
    "anna@müller.example.", "anna@@müller.example", "@müller.example",
])
def test_malformed_international_addresses_stay_refused(bad):
    assert not is_plain_address(bad)
    with pytest.raises(ValueError):
        ascii_address(bad)


def test_a_non_ascii_local_part_is_refused_saying_smtputf8_is_needed():
    assert "SMTPUTF8" in address_problem("jürgen@example.de")
    with pytest.raises(DunningInputError, match="SMTPUTF8") as caught:
        render([customer(address="jürgen@example.de")], standard_items())
    assert caught.value.issues[0].sheet == "Customers"
    with pytest.raises(DunningInputError, match="Sender Email.*SMTPUTF8"):
        Sender("Acme", "Jane", "jürgen@acme.example")


def test_international_domains_travel_idna_encoded_in_headers_and_envelope():
    sender = Sender("Acme", "Jane", "ar@bücher.example", reply_to="hilfe@bücher.example")
    [message] = render([customer(address="anna@müller.example; bob@b.example")],
                       standard_items(), sender=sender)
    assert message.to == "anna@müller.example, bob@b.example"  # as written, for people
    assert message.message_id.endswith(".dunning@xn--bcher-kva.example>")
    assert "mailto:ar@xn--bcher-kva.example?" in message.headers["List-Unsubscribe"]
    built = to_email(message, sender, date=WHEN)
    raw = built.as_bytes()
    assert raw.isascii()
    received = email.message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in received["To"].addresses] == [
        "anna@xn--mller-kva.example", "bob@b.example"]
    assert received["From"].addresses[0].addr_spec == "ar@xn--bcher-kva.example"
    assert received["Reply-To"].addresses[0].addr_spec == "hilfe@xn--bcher-kva.example"
    # smtplib.send_message takes the envelope from these headers: all ASCII, no SMTPUTF8
    envelope = [address for _, address in getaddresses(
        [str(built["From"]), *map(str, built.get_all("To"))])]
    assert envelope == ["ar@xn--bcher-kva.example", "anna@xn--mller-kva.example",
                        "bob@b.example"]
    assert all(address.isascii() for address in envelope)
