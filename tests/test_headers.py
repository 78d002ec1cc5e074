"""Header values made safe in render: the key travels percent-encoded and comes back whole."""

from __future__ import annotations

from urllib.parse import unquote

from dunning.render.headers import decode_key
from test_messages import customer, render, standard_items


def test_decode_key_round_trips_any_customer_id():
    [message] = render([customer("a|b c/ü%")], standard_items("a|b c/ü%"))
    assert decode_key(message.headers["X-Dunning-Key"]) == "a|b c/ü%|friendly|2026-11-23"
    assert unquote(message.headers["X-Dunning-Key"]).startswith("a|b c/ü%")
